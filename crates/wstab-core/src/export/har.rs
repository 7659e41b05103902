//! HAR 1.2 export: one entry per connection attempt, carrying the handshake (request as sent,
//! secrets masked; response status and headers) and `_webSocketMessages` the way Chrome's
//! DevTools writes them, so the capture opens in browser tools.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};
use url::Url;

use crate::clock;
use crate::connection::{Direction, Event, EventKind, Frame, ResponseTrace};
use crate::secret::Masker;

/// One connection attempt being assembled.
#[derive(Default)]
struct Entry {
    started: Option<SystemTime>,
    url: String,
    request_headers: Vec<(String, String)>,
    response: Option<ResponseTrace>,
    connect_time: Option<Duration>,
    messages: Vec<Value>,
}

fn unix_secs(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn headers(list: &[(String, String)], masker: &Masker) -> Value {
    Value::Array(list.iter().map(|(n, v)| json!({"name": n, "value": masker.header_value(n, v)})).collect())
}

impl Entry {
    fn message(&mut self, at: SystemTime, dir: Direction, frame: &Frame) {
        let (opcode, data) = match frame {
            Frame::Text(t) => (1, t.to_string()),
            Frame::Binary(b) => (2, base64::engine::general_purpose::STANDARD.encode(b)),
            // Chrome records data frames only; control frames are not part of the capture.
            _ => return,
        };
        let kind = if dir == Direction::Out { "send" } else { "receive" };
        self.messages.push(json!({"type": kind, "time": unix_secs(at), "opcode": opcode, "data": data}));
    }

    fn to_value(&self, masker: &Masker) -> Value {
        let started = self.started.unwrap_or(UNIX_EPOCH);
        let url = masker.redact(&self.url);
        let query: Vec<Value> = Url::parse(&url)
            .map(|u| u.query_pairs().map(|(n, v)| json!({"name": n, "value": v})).collect())
            .unwrap_or_default();
        let r = self.response.clone().unwrap_or(ResponseTrace {
            status: 0,
            reason: String::new(),
            headers: Vec::new(),
            body: String::new(),
        });
        let (status, status_text, resp_headers, body) = (r.status, r.reason, r.headers, masker.redact(&r.body));
        let wait = self.connect_time.map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
        json!({
            "startedDateTime": clock::rfc3339(started),
            "time": wait,
            "request": {
                "method": "GET",
                "url": url,
                "httpVersion": "HTTP/1.1",
                "headers": headers(&self.request_headers, masker),
                "queryString": query,
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": status_text,
                "httpVersion": "HTTP/1.1",
                "headers": headers(&resp_headers, masker),
                "cookies": [],
                "content": {"size": body.len(), "mimeType": "x-unknown", "text": body},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": body.len(),
            },
            "cache": {},
            "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": wait, "receive": 0},
            "_resourceType": "websocket",
            "_webSocketMessages": self.messages,
        })
    }
}

/// [`from_events_masked`] knowing only the well-known secret names: for events the connection
/// manager already masked (`wstab connect --har`).
pub fn from_events(events: &[Event]) -> Value {
    from_events_masked(events, &Masker::default())
}

/// A session's events as a HAR 1.2 document: one entry per connection attempt (a reconnecting
/// session has several). The URL, the headers and the response body are masked here with
/// `masker` (secret names and values), not trusted to arrive masked: the file is meant to be
/// shared, so it is the last place a secret can be stopped.
pub fn from_events_masked(events: &[Event], masker: &Masker) -> Value {
    let mut entries: Vec<Entry> = Vec::new();
    for e in events {
        if let EventKind::Connecting { url } = &e.kind {
            entries.push(Entry { started: Some(e.at), url: url.clone(), ..Entry::default() });
            continue;
        }
        let Some(entry) = entries.last_mut() else { continue };
        match &e.kind {
            EventKind::Handshake(trace) => {
                entry.request_headers = trace.request_headers.clone();
                entry.response = trace.response.clone();
            }
            EventKind::Opened { elapsed, .. } => entry.connect_time = Some(*elapsed),
            EventKind::Frame { dir, frame } => entry.message(e.at, *dir, frame),
            _ => {}
        }
    }
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "wstab", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries.iter().map(|e| e.to_value(masker)).collect::<Vec<_>>(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{SessionId, Utf8Bytes};

    #[test]
    fn test_messages_carry_chrome_types_and_opcodes() {
        let ev = |kind| Event::now(SessionId(1), kind);
        let events = vec![
            ev(EventKind::Connecting { url: "ws://h/echo?subscription-key=••••••".into() }),
            ev(EventKind::Frame { dir: Direction::Out, frame: Frame::Text(Utf8Bytes::from_static("hi")) }),
            ev(EventKind::Frame { dir: Direction::In, frame: Frame::Binary(bytes::Bytes::from_static(&[1, 2])) }),
            ev(EventKind::Frame { dir: Direction::In, frame: Frame::Ping(bytes::Bytes::new()) }),
        ];
        let har = from_events(&events);
        let entry = &har["log"]["entries"][0];
        assert_eq!(entry["request"]["queryString"][0]["name"], "subscription-key");
        let m = entry["_webSocketMessages"].as_array().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0]["type"].as_str(), m[0]["opcode"].as_u64(), m[0]["data"].as_str()),
            (Some("send"), Some(1), Some("hi"))
        );
        assert_eq!(
            (m[1]["type"].as_str(), m[1]["opcode"].as_u64(), m[1]["data"].as_str()),
            (Some("receive"), Some(2), Some("AQI="))
        );
        assert!(m[0]["time"].as_f64().unwrap() > 1.0e9);
    }
}
