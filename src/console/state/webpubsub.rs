//! The console speaking Web PubSub's JSON subprotocols: on the reliable one it acknowledges
//! received data messages itself (`sequenceAck`, batched as the SDKs do), toggled with a key;
//! composed messages get numbered `ackId`s; the picker offers the protocol's messages.

use std::time::{Duration, SystemTime};

use super::{App, CommandToSend, Effect};
use wstab_core::connection::SessionState;
use wstab_core::profile::{MessageFormat, SavedMessage};

/// The reliable JSON subprotocol: data messages carry a `sequenceId` the client acknowledges.
pub use wstab_core::connection::RELIABLE_SUBPROTOCOL;

/// The shortest time between two acks of one session: a flood costs one ack per interval, not
/// one per message (the SDKs batch the same way).
pub const ACK_INTERVAL: Duration = Duration::from_millis(100);

/// A tab's sequence acknowledgements: the highest id received and not yet acked.
#[derive(Debug, Clone, Copy, Default)]
pub struct SequenceAcks {
    pending: Option<u64>,
    last_sent: Option<SystemTime>,
}

impl SequenceAcks {
    /// A data message with this `sequenceId` arrived.
    pub fn received(&mut self, id: u64) {
        self.pending = Some(self.pending.map_or(id, |p| p.max(id)));
    }

    /// The id to acknowledge now, if one waits and the last ack is at least [`ACK_INTERVAL`] old.
    fn due(&mut self, now: SystemTime) -> Option<u64> {
        let id = self.pending?;
        // A clock that stepped back never holds an ack for long: only a recent ack delays it.
        if let Some(last) = self.last_sent
            && now.duration_since(last).is_ok_and(|d| d < ACK_INTERVAL)
        {
            return None;
        }
        self.pending = None;
        self.last_sent = Some(now);
        Some(id)
    }

    /// Forgets what waits (the user turned acknowledging off).
    fn forget(&mut self) {
        self.pending = None;
    }
}

/// The `sequenceAck` message for `id`.
pub fn sequence_ack(id: u64) -> String {
    format!(r#"{{"type":"sequenceAck","sequenceId":{id}}}"#)
}

impl App {
    /// The acks due in every tab with an open session (called by the loop after each batch of
    /// events and on each tick, so an ack goes out when the stream pauses, at most every
    /// [`ACK_INTERVAL`] per session).
    pub fn due_acks(&mut self) -> Vec<Effect> {
        let now = self.now;
        let on = self.auto_ack;
        let tabs = std::iter::once(&mut self.tab).chain(self.parked.iter_mut());
        let mut effects = Vec::new();
        for tab in tabs {
            if !on {
                tab.acks.forget();
                continue;
            }
            let Some(session) = tab.connection.as_ref().filter(|c| c.state == SessionState::Open).map(|c| c.id) else {
                continue;
            };
            if let Some(id) = tab.acks.due(now) {
                effects.push(Effect::Send { session, command: CommandToSend::Text(sequence_ack(id)) });
            }
        }
        effects
    }

    /// The ack key: turns the console's own `sequenceAck`s on or off (for every tab).
    pub(super) fn toggle_auto_ack(&mut self) {
        self.auto_ack = !self.auto_ack;
        let text = if self.auto_ack {
            "sequenceAck on: received messages of the reliable subprotocol are acknowledged"
        } else {
            "sequenceAck off: the hub keeps every message unacknowledged (send acks from the composer)"
        };
        self.notice(text, false);
    }
}

/// `text` with the value of its top-level `ackId` replaced by `id`, when `text` is a JSON object
/// with that field; the rest of the text is kept as typed (spacing, key order). `None` otherwise.
pub fn number_ack_id(text: &str, id: u64) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.as_object()?.get("ackId")?;
    // Valid JSON with a top-level ackId: a scan for its value's bytes cannot go astray.
    let range = top_level_value(text, "ackId")?;
    Some(format!("{}{id}{}", &text[..range.start], &text[range.end..]))
}

/// `text` with an `ackId` field added first in its top-level object (numbered when sent), or why
/// not: it is no JSON object, or it has one already.
pub fn add_ack_id(text: &str) -> Result<String, &'static str> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| "not a JSON object: no ackId added")?;
    let object = value.as_object().ok_or("not a JSON object: no ackId added")?;
    if object.contains_key("ackId") {
        return Err("it has an ackId already (numbered when sent)");
    }
    let open = text.find('{').ok_or("not a JSON object: no ackId added")?;
    let separator = if object.is_empty() { "" } else { "," };
    Ok(format!("{}{{\"ackId\":0{separator}{}", &text[..open], &text[open + 1..]))
}

/// The byte range of the value of the top-level `key` in a valid JSON object text.
fn top_level_value(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    // The last structural byte at depth 1 ('{' or ','): a string right after one is a key.
    let mut after_separator = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let is_key = depth == 1 && after_separator;
                after_separator = false;
                if is_key && text.get(start..i) == Some(key) {
                    let colon = start + text[start..].find(':')?;
                    let from = colon + 1 + (text[colon + 1..].len() - text[colon + 1..].trim_start().len());
                    return Some(from..value_end(bytes, from));
                }
            }
            b'{' | b'[' => {
                depth += 1;
                after_separator = depth == 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => after_separator = depth == 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where the JSON value starting at `from` ends (exclusive), trailing whitespace left out.
fn value_end(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => break,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    let mut end = i.min(bytes.len());
    while end > from && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

/// The group an API's own messages join (the demo chat's sample joins `lobby`), so the
/// templates offered beside them talk to the same group.
pub fn joined_group(messages: &[SavedMessage]) -> Option<String> {
    messages.iter().find_map(|m| {
        let v: serde_json::Value = serde_json::from_str(&m.body).ok()?;
        (v.get("type")?.as_str()? == "joinGroup").then(|| v.get("group")?.as_str().map(str::to_string)).flatten()
    })
}

/// The Web PubSub client messages the composer's picker (Ctrl-O) offers on a Web PubSub API,
/// with the protocol's fields filled in and an `ackId` (numbered when sent) or `invocationId`:
/// joining `group`, leaving it, sending to it, an event, an invoke and a sequenceAck.
pub fn templates_for(group: &str) -> Vec<SavedMessage> {
    let t = |name: &str, body: String| SavedMessage { name: name.into(), body, format: MessageFormat::Text };
    // The group as a JSON string, whatever it holds.
    let g = serde_json::Value::from(group).to_string();
    vec![
        t("joinGroup", format!(r#"{{"type":"joinGroup","group":{g},"ackId":1}}"#)),
        t("leaveGroup", format!(r#"{{"type":"leaveGroup","group":{g},"ackId":1}}"#)),
        t(
            "sendToGroup",
            format!(
                r#"{{"type":"sendToGroup","group":{g},"ackId":1,"noEcho":false,"dataType":"json","data":{{"hello":"world"}}}}"#
            ),
        ),
        t("event", r#"{"type":"event","event":"message","ackId":1,"dataType":"text","data":"hello"}"#.into()),
        t("invoke", r#"{"type":"invoke","invocationId":"1","event":"echo","dataType":"text","data":"hello"}"#.into()),
        t("sequenceAck", r#"{"type":"sequenceAck","sequenceId":1}"#.into()),
    ]
}

/// Does this API speak a Web PubSub JSON subprotocol (asked for, or negotiated)?
pub fn is_webpubsub(subprotocols: &[String], negotiated: Option<&str>) -> bool {
    subprotocols.iter().map(String::as_str).chain(negotiated).any(|p| p.contains(".webpubsub.azure."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ack_id_is_renumbered_in_place() {
        let typed = r#"{"type":"joinGroup", "group":"g",  "ackId" : 7 }"#;
        assert_eq!(number_ack_id(typed, 3).as_deref(), Some(r#"{"type":"joinGroup", "group":"g",  "ackId" : 3 }"#));
        let nested = r#"{"data":{"ackId":1},"ackId":null,"x":"\"ackId\":"}"#;
        assert_eq!(number_ack_id(nested, 12).as_deref(), Some(r#"{"data":{"ackId":1},"ackId":12,"x":"\"ackId\":"}"#));
    }

    #[test]
    fn test_add_ack_id_puts_one_first_in_the_object_once() {
        assert_eq!(add_ack_id(r#"{"type":"event"}"#).as_deref(), Ok(r#"{"ackId":0,"type":"event"}"#));
        assert_eq!(add_ack_id(" {}").as_deref(), Ok(r#" {"ackId":0}"#));
        assert!(add_ack_id(r#"{"ackId":3}"#).is_err());
        assert!(add_ack_id("[1]").is_err() && add_ack_id("hi").is_err());
    }

    #[test]
    fn test_messages_without_a_top_level_ack_id_are_left_alone() {
        assert_eq!(number_ack_id(r#"{"data":{"ackId":1}}"#, 2), None);
        assert_eq!(number_ack_id("ackId", 2), None);
        assert_eq!(number_ack_id(r#"[{"ackId":1}]"#, 2), None);
    }

    #[test]
    fn test_the_templates_use_the_group_the_apis_own_message_joins() {
        let sample = SavedMessage {
            name: "sample".into(),
            body: r#"{"type":"joinGroup","group":"lobby","ackId":1}"#.into(),
            format: MessageFormat::Text,
        };
        assert_eq!(joined_group(std::slice::from_ref(&sample)).as_deref(), Some("lobby"));
        assert_eq!(joined_group(&[]), None);
        let list = templates_for("lobby");
        let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["joinGroup", "leaveGroup", "sendToGroup", "event", "invoke", "sequenceAck"]);
        for m in &list {
            let v: serde_json::Value = serde_json::from_str(&m.body).expect("each template is JSON");
            if m.name.contains("Group") {
                assert_eq!(v["group"], "lobby", "{}", m.body);
            }
        }
    }
}
