//! The JSON subprotocols (`json.webpubsub.azure.v1` and its reliable twin
//! `json.reliable.webpubsub.azure.v1`): what clients send, what the service answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON subprotocol's name.
pub const JSON_PROTOCOL: &str = "json.webpubsub.azure.v1";
/// The reliable JSON subprotocol's name: the SDKs' default (sequence ids, recovery).
pub const RELIABLE_JSON_PROTOCOL: &str = "json.reliable.webpubsub.azure.v1";

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
    /// A custom event for the upstream event handler (acked and dropped when none takes it).
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
    /// A request for the upstream server's answer (`invokeEvent` in the SDKs).
    Invoke {
        /// Correlates the `invokeResponse` (the SDKs send a string; numbers are accepted).
        #[serde(rename = "invocationId")]
        invocation_id: Value,
        /// The event name.
        #[serde(default)]
        event: String,
        /// `json`, `text` or `binary`; absent when there is no payload.
        #[serde(rename = "dataType", default)]
        data_type: Option<String>,
        /// The payload.
        #[serde(default)]
        data: Value,
    },
    /// The client no longer waits for an invocation's answer.
    CancelInvocation {
        /// The invocation to cancel.
        #[serde(rename = "invocationId")]
        invocation_id: Value,
    },
    /// Keepalive: answered with `pong`.
    Ping,
    /// Reliable protocol: every data message up to this sequence id has arrived.
    SequenceAck {
        /// The largest sequence id received.
        #[serde(rename = "sequenceId")]
        sequence_id: u64,
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
            Self::Invoke { .. } | Self::CancelInvocation { .. } | Self::Ping | Self::SequenceAck { .. } => None,
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
    /// The event handler failed the event (or could not be reached).
    InternalServerError,
    /// The event handler answered 400.
    BadRequest,
    /// The event handler answered 401.
    Unauthorized,
}

impl AckError {
    /// The ack error for an event handler's failure status, named as `invokeResponse` errors are.
    pub fn from_upstream(status: http::StatusCode) -> Self {
        match status {
            http::StatusCode::BAD_REQUEST => Self::BadRequest,
            http::StatusCode::UNAUTHORIZED => Self::Unauthorized,
            http::StatusCode::FORBIDDEN => Self::Forbidden,
            _ => Self::InternalServerError,
        }
    }
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

/// The `system/connected` message; reliable connections also get their reconnection token.
pub fn connected(user: Option<&str>, connection_id: &str, reconnection_token: Option<&str>) -> Value {
    let mut v =
        serde_json::json!({"type": "system", "event": "connected", "userId": user, "connectionId": connection_id});
    if let Some(token) = reconnection_token {
        v["reconnectionToken"] = Value::from(token);
    }
    v
}

/// The `system/disconnected` message the service sends before it closes a connection.
pub fn disconnected(reason: &str) -> Value {
    serde_json::json!({"type": "system", "event": "disconnected", "message": reason})
}

/// The answer to `ping`.
pub fn pong() -> Value {
    serde_json::json!({"type": "pong"})
}

/// A message from the server side (REST API, upstream handler) as a JSON client receives it.
pub fn server_message(data_type: &str, data: &Value) -> Value {
    serde_json::json!({"type": "message", "from": "server", "dataType": data_type, "data": data})
}

/// Is this outgoing text a data message (`type: message`), which the reliable protocol numbers?
pub fn is_data_message(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("message")
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
        let m: ClientMessage = serde_json::from_str(r#"{"type":"sequenceAck","sequenceId":9}"#).unwrap();
        assert_eq!(m, ClientMessage::SequenceAck { sequence_id: 9 });
        assert_eq!(serde_json::from_str::<ClientMessage>(r#"{"type":"ping"}"#).unwrap(), ClientMessage::Ping);
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"invoke","invocationId":"1","target":null,"event":"echo","dataType":"text","data":"x"}"#,
        )
        .unwrap();
        assert!(matches!(m, ClientMessage::Invoke { ref event, .. } if event == "echo"), "{m:?}");
    }

    #[test]
    fn test_connected_carries_the_reconnection_token_only_when_reliable() {
        assert!(connected(None, "c", None).get("reconnectionToken").is_none());
        assert_eq!(connected(Some("u"), "c", Some("t"))["reconnectionToken"], "t");
    }
}
