//! The `json.webpubsub.azure.v1` subprotocol: what clients send, what the service answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON subprotocol's name.
pub const JSON_PROTOCOL: &str = "json.webpubsub.azure.v1";

/// A message a client sends.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientMessage {
    /// Join a group.
    JoinGroup {
        /// The group.
        group: String,
        /// Asks for an `ack`.
        #[serde(rename = "ackId", default)]
        ack_id: Option<u64>,
    },
    /// Leave a group.
    LeaveGroup {
        /// The group.
        group: String,
        /// Asks for an `ack`.
        #[serde(rename = "ackId", default)]
        ack_id: Option<u64>,
    },
    /// Send data to a group's members.
    SendToGroup {
        /// The group.
        group: String,
        /// Asks for an `ack`.
        #[serde(rename = "ackId", default)]
        ack_id: Option<u64>,
        /// Do not deliver to the sender even when it is a member.
        #[serde(rename = "noEcho", default)]
        no_echo: bool,
        /// `json`, `text` or `binary` (base64 in `data`).
        #[serde(rename = "dataType", default = "default_data_type")]
        data_type: String,
        /// The payload.
        #[serde(default)]
        data: Value,
    },
    /// A custom event for the upstream server (the demo hub has none, it only acks).
    Event {
        /// The event name.
        event: String,
        /// Asks for an `ack`.
        #[serde(rename = "ackId", default)]
        ack_id: Option<u64>,
        /// `json`, `text` or `binary`.
        #[serde(rename = "dataType", default = "default_data_type")]
        data_type: String,
        /// The payload.
        #[serde(default)]
        data: Value,
    },
}

fn default_data_type() -> String {
    "json".into()
}

impl ClientMessage {
    /// The ack id, if the client asked for an ack.
    pub fn ack_id(&self) -> Option<u64> {
        match self {
            Self::JoinGroup { ack_id, .. }
            | Self::LeaveGroup { ack_id, .. }
            | Self::SendToGroup { ack_id, .. }
            | Self::Event { ack_id, .. } => *ack_id,
        }
    }
}

/// Why an ack reports failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AckError {
    /// The token lacks the role.
    Forbidden,
    /// This ackId was already processed on this connection.
    Duplicate,
    /// The data is not valid for its dataType.
    InvalidPayload,
}

/// The service's `ack` message.
pub fn ack(ack_id: u64, error: Option<(AckError, String)>) -> Value {
    match error {
        None => serde_json::json!({"type": "ack", "ackId": ack_id, "success": true}),
        Some((name, message)) => serde_json::json!({
            "type": "ack", "ackId": ack_id, "success": false,
            "error": {"name": name, "message": message},
        }),
    }
}

/// The `system/connected` message.
pub fn connected(user: Option<&str>, connection_id: &str) -> Value {
    serde_json::json!({"type": "system", "event": "connected", "userId": user, "connectionId": connection_id})
}

/// A group message as members receive it.
pub fn group_message(from_user: Option<&str>, group: &str, data_type: &str, data: &Value) -> Value {
    serde_json::json!({
        "type": "message", "from": "group", "fromUserId": from_user,
        "group": group, "dataType": data_type, "data": data,
    })
}

/// Does `roles` grant `role` for `group` (the role itself, or its `<role>.<group>` form)?
pub fn has_role(roles: &[String], role: &str, group: &str) -> bool {
    roles.iter().any(|r| r == role || r.strip_prefix(role).and_then(|s| s.strip_prefix('.')) == Some(group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_group_scoped_role_grants_only_that_group() {
        let roles = vec!["webpubsub.joinLeaveGroup.lobby".to_string()];
        assert!(has_role(&roles, "webpubsub.joinLeaveGroup", "lobby"));
        assert!(!has_role(&roles, "webpubsub.joinLeaveGroup", "other"));
        assert!(has_role(&["webpubsub.sendToGroup".into()], "webpubsub.sendToGroup", "any"));
    }

    #[test]
    fn test_client_messages_parse() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"sendToGroup","group":"g","ackId":3,"noEcho":true,"dataType":"text","data":"hi"}"#,
        )
        .unwrap();
        assert_eq!(m.ack_id(), Some(3));
        assert!(matches!(m, ClientMessage::SendToGroup { no_echo: true, .. }));
    }
}
