//! "Save session as script": a session's sent messages and the replies that came, as a script
//! that `wstab run` replays and checks.

use serde_json::Value;

use super::expect::Expect;
use super::{Script, Step};
use crate::connection::{Direction, Event, EventKind, Frame};
use crate::secret::Masker;

/// Fields whose values change from run to run; a recorded expectation leaves them out, or the
/// script would fail on its first replay.
const VOLATILE: &[&str] =
    &["connectionId", "id", "timestamp", "time", "ts", "date", "at", "createdAt", "sequenceId", "price", "nonce"];

/// Where the recorded script connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptTarget {
    /// A saved profile, by name.
    Profile(String),
    /// A URL; [`from_session`] masks its secrets, so replaying it may need them put back as
    /// `${env:NAME}` references.
    Url(String),
}

/// The script for a session: each text or binary message sent becomes a send step (`send_json`
/// for a JSON object), each one received an `expect` that skips others and requires the
/// message's stable fields (`includes`, volatile ones such as `connectionId` left out). Returns
/// the TOML text. A URL target is written with `masker`'s secrets masked (by name and value):
/// a script is meant to be shared, so it is the last place a secret can be stopped.
pub fn from_session(target: &ScriptTarget, events: &[Event], masker: &Masker) -> String {
    let mut script = Script::default();
    match target {
        ScriptTarget::Profile(p) => script.profile = Some(p.clone()),
        ScriptTarget::Url(u) => script.url = Some(masker.redact(u)),
    }
    for e in events {
        let EventKind::Frame { dir, frame } = &e.kind else { continue };
        let step = match (dir, frame) {
            (Direction::Out, Frame::Text(t)) => match serde_json::from_str::<Value>(t.as_str()) {
                Ok(v @ Value::Object(_)) if toml_safe(&v) => Step { send_json: Some(v), ..Step::default() },
                _ => Step { send: Some(t.to_string()), ..Step::default() },
            },
            (Direction::Out, Frame::Binary(b)) => Step { send_hex: Some(hex::encode(b)), ..Step::default() },
            (Direction::In, Frame::Text(t)) => Step { expect: Some(expect_for(t.as_str())), ..Step::default() },
            (Direction::In, Frame::Binary(b)) => Step {
                expect: Some(Expect { equals: Some(Value::String(hex::encode(b))), ..Expect::default() }),
                ..Step::default()
            },
            _ => continue,
        };
        script.steps.push(step);
    }
    let body = toml::to_string(&script).unwrap_or_default();
    format!(
        "# Recorded by wstab: replay with `wstab run FILE`. Each expect skips other messages until\n# one includes the recorded fields; volatile ones (ids, timestamps) were left out.\n{body}"
    )
}

fn expect_for(text: &str) -> Expect {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut map)) => {
            map.retain(|k, v| !VOLATILE.contains(&k.as_str()) && !v.is_null());
            let v = Value::Object(map);
            if toml_safe(&v) {
                Expect { includes: Some(v), ..Expect::default() }
            } else {
                Expect { equals: Some(Value::String(text.to_string())), ..Expect::default() }
            }
        }
        _ => Expect { equals: Some(Value::String(text.to_string())), ..Expect::default() },
    }
}

/// TOML has no null: a value holding one cannot be written as TOML.
fn toml_safe(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().all(toml_safe),
        Value::Object(o) => o.values().all(toml_safe),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{SessionId, Utf8Bytes};

    #[test]
    fn test_recorded_session_parses_back_as_a_script() {
        let frame = |dir, t: &str| {
            Event::now(SessionId(1), EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(t.to_string())) })
        };
        let events = vec![
            frame(Direction::In, r#"{"type":"system","event":"connected","connectionId":"c1","userId":"u"}"#),
            frame(Direction::Out, r#"{"type":"joinGroup","group":"lobby","ackId":1}"#),
            frame(Direction::In, r#"{"type":"ack","ackId":1,"success":true,"error":null}"#),
            frame(Direction::Out, "plain"),
        ];
        let text = from_session(&ScriptTarget::Profile("chat".into()), &events, &Masker::default());
        let script = super::super::parse("rec.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(script.profile.as_deref(), Some("chat"));
        assert_eq!(script.steps.len(), 4);
        let first = script.steps[0].expect.as_ref().unwrap().includes.as_ref().unwrap();
        assert!(first.get("connectionId").is_none() && first["userId"] == "u", "{first}");
        assert_eq!(script.steps[1].send_json.as_ref().unwrap()["group"], "lobby");
        assert!(script.steps[2].expect.as_ref().unwrap().check(r#"{"type":"ack","ackId":1,"success":true}"#).passed);
        assert_eq!(script.steps[3].send.as_deref(), Some("plain"));
    }
}
