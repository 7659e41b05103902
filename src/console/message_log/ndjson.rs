//! One JSON object per event, one per line: the format of saved sessions and capture files.
//!
//! Frames use the same fields as `wstab connect --json` (`ts`, `dir`, `kind`, `data`, `encoding`,
//! `code`, `reason`, `size`), plus `session`; connection events carry `kind` = `connecting`,
//! `handshake`, `opened`, `closed` or `failed` with their details. Binary payloads are base64.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};

use wstab_core::clock;
use wstab_core::connection::{Closer, Direction, Event, EventKind, Frame};

/// The event as one NDJSON line (without the newline), `ts`, `session`, `dir` and `kind` first
/// so a reader scanning the file sees when and what before the details.
pub fn line(event: &Event) -> String {
    let mut v = value(event);
    let Some(rest) = v.as_object_mut() else { return v.to_string() };
    // serde_json's map sorts its keys, so the leading ones are written by hand.
    let mut out = String::from("{");
    for key in ["ts", "session", "dir", "kind"] {
        if let Some(x) = rest.remove(key) {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&format!("{}:{x}", Value::from(key)));
        }
    }
    let tail = v.to_string();
    match tail.strip_prefix('{') {
        Some("}") | None => out.push('}'),
        Some(t) => {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(t);
        }
    }
    out
}

/// Remembers the last formatted timestamp: a flood has many events in the same millisecond, and
/// formatting RFC 3339 for each would cost more than writing the event.
#[derive(Debug, Default)]
pub struct TsCache {
    millis: u128,
    text: String,
}

impl TsCache {
    /// `clock::rfc3339(at)`, formatted at most once per millisecond.
    pub fn get(&mut self, at: SystemTime) -> &str {
        let millis = at.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        if millis != self.millis || self.text.is_empty() {
            self.millis = millis;
            self.text = clock::rfc3339(at);
        }
        &self.text
    }
}

/// Writes the event as one NDJSON line, newline included, straight into `w` — the same bytes as
/// [`line`]. Frames, the bulk of any session, take a path without intermediate allocations.
pub fn write_line(w: &mut impl Write, event: &Event, ts: &mut TsCache) -> io::Result<()> {
    let EventKind::Frame { dir, frame } = &event.kind else {
        let mut l = line(event);
        l.push('\n');
        return w.write_all(l.as_bytes());
    };
    let payload = match frame {
        Frame::Text(t) => Payload::Text(t.as_str()),
        Frame::Binary(b) | Frame::Ping(b) | Frame::Pong(b) => Payload::Bytes(b),
        Frame::Close(c) => Payload::Close(c.as_ref().map(|(code, reason)| (*code, reason.as_str()))),
    };
    write_frame(w, ts.get(event.at), event.session.0, *dir, frame.kind_name(), payload, frame.len())
}

/// A frame's content as its NDJSON line shows it.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// A text frame's text (`data`, escaped).
    Text(&'a str),
    /// A binary, ping or pong frame's bytes (`data`, base64).
    Bytes(&'a [u8]),
    /// A close frame's code and reason, if it had them.
    Close(Option<(u16, &'a str)>),
}

/// Writes one frame's NDJSON line, newline included, from its parts: what [`write_line`] writes
/// for a live frame, and what the journal writes for a frame's record when it is saved.
pub fn write_frame(
    w: &mut impl Write,
    ts: &str,
    session: u64,
    dir: Direction,
    kind: &str,
    payload: Payload<'_>,
    size: usize,
) -> io::Result<()> {
    let dir = if dir == Direction::In { "in" } else { "out" };
    write!(w, "{{\"ts\":\"{ts}\",\"session\":{session},\"dir\":\"{dir}\",\"kind\":\"{kind}\"")?;
    match payload {
        Payload::Text(t) => {
            w.write_all(b",\"data\":")?;
            serde_json::to_writer(&mut *w, t)?;
        }
        Payload::Bytes(b) => {
            w.write_all(b",\"data\":\"")?;
            // Base64 needs no JSON escaping.
            let mut enc = base64::write::EncoderWriter::new(&mut *w, &base64::engine::general_purpose::STANDARD);
            enc.write_all(b)?;
            enc.finish()?;
            drop(enc);
            w.write_all(b"\",\"encoding\":\"base64\"")?;
        }
        Payload::Close(Some((code, reason))) => {
            write!(w, ",\"code\":{code},\"reason\":")?;
            serde_json::to_writer(&mut *w, reason)?;
        }
        Payload::Close(None) => {}
    }
    writeln!(w, ",\"size\":{size}}}")
}

/// The event as a JSON object.
pub fn value(event: &Event) -> Value {
    let ts = clock::rfc3339(event.at);
    let session = event.session.0;
    match &event.kind {
        EventKind::Connecting { url } => json!({"ts": ts, "session": session, "kind": "connecting", "url": url}),
        EventKind::Handshake(trace) => json!({
            "ts": ts, "session": session, "kind": "handshake",
            "request": trace.request_line,
            "request_headers": trace.request_headers,
            "status": trace.response.as_ref().map(|r| r.status),
            "response_headers": trace.response.as_ref().map(|r| &r.headers),
            "body": trace.response.as_ref().map(|r| &r.body),
        }),
        EventKind::Opened { subprotocol, elapsed } => json!({
            "ts": ts, "session": session, "kind": "opened",
            "subprotocol": subprotocol, "elapsed_ms": elapsed.as_millis() as u64,
        }),
        EventKind::Frame { dir, frame } => {
            let dir = if *dir == Direction::In { "in" } else { "out" };
            let mut v =
                json!({"ts": ts, "session": session, "dir": dir, "kind": frame.kind_name(), "size": frame.len()});
            match frame {
                Frame::Text(t) => v["data"] = json!(t.as_str()),
                Frame::Binary(b) | Frame::Ping(b) | Frame::Pong(b) => {
                    v["data"] = json!(base64::engine::general_purpose::STANDARD.encode(b));
                    v["encoding"] = json!("base64");
                }
                Frame::Close(Some((code, reason))) => {
                    v["code"] = json!(code);
                    v["reason"] = json!(reason);
                }
                Frame::Close(None) => {}
            }
            v
        }
        EventKind::Closed { code, reason, by } => json!({
            "ts": ts, "session": session, "kind": "closed", "code": code, "reason": reason,
            "by": if *by == Closer::Local { "local" } else { "remote" },
        }),
        EventKind::Failed(err) => json!({
            "ts": ts, "session": session, "kind": "failed",
            "error": err.label(), "message": err.message, "hint": err.hint,
        }),
        EventKind::Reconnecting { attempt, delay, after } => json!({
            "ts": ts, "session": session, "kind": "reconnecting",
            "attempt": attempt, "delay_ms": delay.as_millis() as u64, "after": after,
        }),
        // The console does not journal it (see `runtime::ingest`); written only if asked to.
        EventKind::Ended => json!({ "ts": ts, "session": session, "kind": "ended" }),
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use wstab_core::connection::{SessionId, Utf8Bytes};

    #[test]
    fn test_write_line_matches_line_for_every_frame_kind() {
        let frames = [
            Frame::Text(Utf8Bytes::from("he said \"hi\"\n\u{1b}[31m é".to_string())),
            Frame::Binary(bytes::Bytes::from_static(&[0, 1, 2, 255])),
            Frame::Ping(bytes::Bytes::from_static(b"p")),
            Frame::Pong(bytes::Bytes::new()),
            Frame::Close(Some((4000, "bye \"now\"".into()))),
            Frame::Close(None),
        ];
        let mut ts = TsCache::default();
        for (i, frame) in frames.into_iter().enumerate() {
            let dir = if i % 2 == 0 { Direction::In } else { Direction::Out };
            let event = Event::now(SessionId(3), EventKind::Frame { dir, frame });
            let mut fast = Vec::new();
            write_line(&mut fast, &event, &mut ts).unwrap();
            assert_eq!(String::from_utf8(fast).unwrap(), format!("{}\n", line(&event)));
        }
        let other = Event::now(SessionId(3), EventKind::Connecting { url: "ws://h/".into() });
        let mut out = Vec::new();
        write_line(&mut out, &other, &mut ts).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", line(&other)));
    }
}
