//! Web PubSub's reliable JSON subprotocol, as a reconnecting client needs it: the `connected`
//! message names the connection and gives a reconnection token; a reconnect that carries both
//! (`awps_connection_id`, `awps_reconnection_token`) gets the same connection back, with its
//! groups and the messages it has not acknowledged.

use super::target::{Param, Target};

/// The reliable JSON subprotocol.
pub const RELIABLE_SUBPROTOCOL: &str = "json.reliable.webpubsub.azure.v1";

/// What recovers a reliable connection: its id and reconnection token, from `connected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The connection's id.
    pub connection_id: String,
    /// The reconnection token (a credential: masked in traces).
    pub reconnection_token: String,
}

impl Recovery {
    /// The recovery a `{"type":"system","event":"connected",…}` message offers, if `text` is one
    /// with a reconnection token.
    pub fn from_connected(text: &str) -> Option<Self> {
        // Cheap for data messages: only system messages are parsed.
        if !text.contains("\"reconnectionToken\"") {
            return None;
        }
        #[derive(serde::Deserialize)]
        struct Connected {
            r#type: String,
            event: Option<String>,
            #[serde(rename = "connectionId")]
            connection_id: Option<String>,
            #[serde(rename = "reconnectionToken")]
            reconnection_token: Option<String>,
        }
        let c: Connected = serde_json::from_str(text).ok()?;
        if c.r#type != "system" || c.event.as_deref() != Some("connected") {
            return None;
        }
        Some(Self { connection_id: c.connection_id?, reconnection_token: c.reconnection_token? })
    }

    /// Puts the recovery query parameters on `target`, replacing any earlier ones.
    pub fn apply(&self, target: &mut Target) {
        target.query.retain(|p| p.name != "awps_connection_id" && p.name != "awps_reconnection_token");
        target.query.push(Param::new("awps_connection_id", &self.connection_id));
        target.query.push(Param::new("awps_reconnection_token", &self.reconnection_token).secret());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_connected_with_a_token_gives_the_recovery() {
        let text =
            r#"{"type":"system","event":"connected","userId":null,"connectionId":"c1","reconnectionToken":"t1"}"#;
        let r = Recovery::from_connected(text).expect("a recovery");
        assert_eq!(r, Recovery { connection_id: "c1".into(), reconnection_token: "t1".into() });
        assert_eq!(Recovery::from_connected(r#"{"type":"system","event":"connected","connectionId":"c1"}"#), None);
        let data = r#"{"type":"message","from":"group","data":{"reconnectionToken":"x"},"sequenceId":1}"#;
        assert_eq!(Recovery::from_connected(data), None, "a data message is no connected message");
    }

    #[test]
    fn test_apply_replaces_the_parameters_and_masks_the_token() {
        let mut t = Target::new("ws://h/client/hubs/chat");
        let first = Recovery { connection_id: "c1".into(), reconnection_token: "t1".into() };
        first.apply(&mut t);
        Recovery { connection_id: "c1".into(), reconnection_token: "t2".into() }.apply(&mut t);
        let names: Vec<&str> = t.query.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["awps_connection_id", "awps_reconnection_token"]);
        assert!(t.query[1].secret && t.query[1].value == "t2");
        assert!(!t.display_url().contains("t2"), "{}", t.display_url());
    }
}
