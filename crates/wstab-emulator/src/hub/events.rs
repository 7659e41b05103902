//! User events to the upstream handler, and its answer back to the client.
//!
//! A JSON client's `event` message (and, when a handler takes the `message` event, whatever a
//! simple client sends) is a *blocking* event: the service posts it to the handler and waits.
//! A `200` with a body is sent back to the sender: to a JSON client as
//! `{"type":"message","from":"server","dataType":…,"data":…}` (dataType from the answer's
//! `Content-Type`: `text/plain` → text, `application/json` → json, anything else → binary), to
//! a simple client as the frame itself; `204` (or an empty body) sends nothing. The event's
//! `ack` follows the answer, so when the SDK's `sendEvent` resolves the answer has arrived.
//!
//! Events of one socket run on one task, in the order sent, so a slow handler never blocks the
//! connection's other traffic. The answer and the ack are queued in the connection's mailbox:
//! they go out in that order, the answer gets its `sequenceId` on the reliable protocol, and a
//! reconnected socket still receives them.

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::protocol::{self, AckError};
use super::room::Registry;
use super::upstream::{EventContext, EventReply, Upstream};

/// The user event a simple client's frames are posted as.
pub const SIMPLE_CLIENT_EVENT: &str = "message";

/// One event waiting for the handler.
pub struct UserEvent {
    /// Who sent it.
    pub context: EventContext,
    /// The event name.
    pub event: String,
    /// `json`, `text` or `binary` (base64 in `data`).
    pub data_type: String,
    /// The payload.
    pub data: Value,
    /// The client's `ackId`, answered once the handler has.
    pub ack_id: Option<u64>,
    /// The sender speaks a JSON subprotocol (false: a simple client gets the bare frame).
    pub json: bool,
}

/// The events of one socket, posted in order on their own task (started at the first event).
#[derive(Default)]
pub struct UserEvents {
    queue: Option<mpsc::UnboundedSender<UserEvent>>,
}

impl UserEvents {
    /// Queues `event` for `upstream`; answers go to the sender's mailbox in `registry`.
    pub fn post(&mut self, upstream: &Arc<Upstream>, registry: &Arc<Registry>, event: UserEvent) {
        let queue = self.queue.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(work(upstream.clone(), registry.clone(), rx));
            tx
        });
        // The worker lives as long as this sender; a send cannot fail while we hold it.
        let _ = queue.send(event);
    }
}

/// Posts each event and queues what the client gets back. Ends when the socket's
/// [`UserEvents`] is dropped and the queue is drained: answers to events already sent are
/// still delivered, to whichever socket the connection has then.
async fn work(upstream: Arc<Upstream>, registry: Arc<Registry>, mut rx: mpsc::UnboundedReceiver<UserEvent>) {
    while let Some(e) = rx.recv().await {
        let outcome = upstream.user_event(&e.context, &e.event, Some(&e.data_type), &e.data).await;
        let mut out = Vec::new();
        let ack_error = match outcome {
            // No handler took it (the routing changed meanwhile): accepted and dropped.
            None => None,
            Some(Ok(reply)) => {
                out.extend(answer(&reply, e.json));
                None
            }
            Some(Err(err)) => {
                tracing::info!(event = %e.event, error = %err, "user event failed upstream");
                Some((AckError::from_upstream(err.status), err.message))
            }
        };
        if let (Some(id), true) = (e.ack_id, e.json) {
            out.push(Message::text(protocol::ack(id, ack_error).to_string()));
        }
        let (hub, id) = (&e.context.hub, &e.context.connection_id);
        registry.with_hub(hub, |conns| {
            if let Some(member) = conns.get(id) {
                for m in out {
                    let _ = member.tx.send(m);
                }
            }
        });
    }
}

/// What the client receives for the handler's answer (`None`: it answered nothing).
pub fn answer(reply: &EventReply, json: bool) -> Option<Message> {
    let (Some(data_type), Some(data)) = (reply.data_type.as_deref(), reply.data.as_ref()) else {
        return None;
    };
    if json {
        return Some(Message::text(protocol::server_message(data_type, data).to_string()));
    }
    Some(match data_type {
        "binary" => {
            let raw = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default());
            Message::binary(raw.unwrap_or_default())
        }
        "text" => Message::text(data.as_str().unwrap_or_default().to_string()),
        _ => Message::text(data.to_string()),
    })
}

/// Checks an `event`'s payload before it is posted: what the handler would get must be what
/// the client meant.
pub fn check_payload(data_type: &str, data: &Value) -> Result<(), PayloadError> {
    match data_type {
        "json" => Ok(()),
        "text" if data.is_string() => Ok(()),
        "text" => Err(PayloadError::TextNotString),
        "binary" => match data.as_str().map(|s| base64::engine::general_purpose::STANDARD.decode(s)) {
            Some(Ok(_)) => Ok(()),
            _ => Err(PayloadError::BinaryNotBase64),
        },
        other => Err(PayloadError::UnknownDataType(other.to_string())),
    }
}

/// Why an `event`'s payload is refused (the text of the `InvalidPayload` ack).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// `dataType: text` with data that is not a string.
    #[error("dataType text needs a string in data")]
    TextNotString,
    /// `dataType: binary` with data that is not base64.
    #[error("dataType binary needs base64 in data")]
    BinaryNotBase64,
    /// A `dataType` the protocol does not have.
    #[error("unknown dataType {0:?}: use json, text or binary")]
    UnknownDataType(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(data_type: &str, data: Value) -> EventReply {
        EventReply { data_type: Some(data_type.into()), data: Some(data) }
    }

    #[test]
    fn test_json_clients_get_a_server_message_and_simple_clients_the_bare_frame() {
        let text = reply("text", Value::from("hi"));
        let Some(Message::Text(t)) = answer(&text, true) else { panic!("a text frame") };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        assert_eq!(v, serde_json::json!({"type": "message", "from": "server", "dataType": "text", "data": "hi"}));
        assert_eq!(answer(&text, false), Some(Message::text("hi")));
        assert_eq!(answer(&reply("binary", Value::from("AQID")), false), Some(Message::binary(vec![1u8, 2, 3])));
        assert_eq!(answer(&reply("json", serde_json::json!({"a": 1})), false), Some(Message::text(r#"{"a":1}"#)));
        assert_eq!(answer(&EventReply::default(), true), None, "a 204 sends nothing");
    }

    #[test]
    fn test_payload_must_match_its_data_type() {
        assert!(check_payload("json", &serde_json::json!({"a": 1})).is_ok());
        assert!(check_payload("text", &Value::from("x")).is_ok());
        assert!(check_payload("text", &Value::from(3)).is_err());
        assert!(check_payload("binary", &Value::from("AQID")).is_ok());
        assert!(check_payload("binary", &Value::from("not base64!")).is_err());
        assert!(check_payload("xml", &Value::Null).unwrap_err().to_string().contains("json, text or binary"));
    }
}
