//! One JSON object per event, one per line: the format of saved sessions and capture files.
//!
//! Frames use the same fields as `wstab connect --json` (`ts`, `dir`, `kind`, `data`, `encoding`,
//! `code`, `reason`, `size`), plus `session`; connection events carry `kind` = `connecting`,
//! `handshake`, `opened`, `closed` or `failed` with their details. Binary payloads are base64.

use base64::Engine;
use serde_json::{Value, json};

use crate::clock;
use crate::conn::{Closer, Direction, Event, EventKind, Frame};

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
    }
}
