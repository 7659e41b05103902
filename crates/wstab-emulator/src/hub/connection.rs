//! One hub connection: send `connected`, then route what the client sends (JSON protocol or
//! simple client) and deliver what others send to it.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::auth::ClientIdentity;
use super::protocol::{self, AckError, ClientMessage};
use super::room::{Member, Registry};
use crate::wsserver::ServerWs;
use wstab_core::webpubsub_token::{ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP};

/// A connection's fixed facts.
pub struct ConnectionInfo {
    /// The hub it connected to.
    pub hub: String,
    /// Its id (in `connected`).
    pub id: String,
    /// Who the token says it is.
    pub identity: ClientIdentity,
    /// Speaks `json.webpubsub.azure.v1`.
    pub json: bool,
}

/// Runs the connection until either side closes or the hub shuts down.
pub async fn run(mut ws: ServerWs, info: ConnectionInfo, registry: Arc<Registry>, shutdown: CancellationToken) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let groups: HashSet<String> =
        if info.json { info.identity.groups.iter().cloned().collect() } else { HashSet::new() };
    registry.add(&info.hub, &info.id, Member { tx, json: info.json, groups });
    if info.json {
        let hello = protocol::connected(info.identity.user.as_deref(), &info.id);
        if ws.send(Message::text(hello.to_string())).await.is_err() {
            registry.remove(&info.hub, &info.id);
            return;
        }
    }
    let mut acked: HashSet<u64> = HashSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = ws.close(None).await;
                break;
            }
            queued = rx.recv() => match queued {
                Some(m) => if ws.send(m).await.is_err() { break },
                None => break,
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) if info.json => {
                    if let Some(reply) = handle_json(&info, &registry, &mut acked, text.as_str())
                        && ws.send(Message::text(reply.to_string())).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) if !info.json => {
                    registry.broadcast_simple(&info.hub, &info.id, &m);
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    registry.remove(&info.hub, &info.id);
}

/// Handles one JSON-protocol message; returns the ack to send, if any.
fn handle_json(info: &ConnectionInfo, registry: &Registry, acked: &mut HashSet<u64>, text: &str) -> Option<Value> {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            // Web PubSub drops what it cannot parse; an ackId we can still read gets an answer.
            let ack_id = serde_json::from_str::<Value>(text).ok()?.get("ackId")?.as_u64()?;
            return Some(protocol::ack(ack_id, Some((AckError::InvalidPayload, format!("invalid message: {e}")))));
        }
    };
    let ack_id = message.ack_id();
    if let Some(id) = ack_id
        && !acked.insert(id)
    {
        let text = format!("Message with ack-id: {id} has been processed");
        return Some(protocol::ack(id, Some((AckError::Duplicate, text))));
    }
    let roles = &info.identity.roles;
    let outcome: Result<(), (AckError, String)> = match &message {
        ClientMessage::JoinGroup { group, .. } | ClientMessage::LeaveGroup { group, .. } => {
            if protocol::has_role(roles, ROLE_JOIN_LEAVE, group) {
                let join = matches!(message, ClientMessage::JoinGroup { .. });
                registry.set_group(&info.hub, &info.id, group, join);
                Ok(())
            } else {
                Err((
                    AckError::Forbidden,
                    format!("Forbidden: the token has no {ROLE_JOIN_LEAVE} role for group {group}"),
                ))
            }
        }
        ClientMessage::SendToGroup { group, no_echo, data_type, data, .. } => {
            if !protocol::has_role(roles, ROLE_SEND_TO_GROUP, group) {
                Err((
                    AckError::Forbidden,
                    format!("Forbidden: the token has no {ROLE_SEND_TO_GROUP} role for group {group}"),
                ))
            } else if !matches!(data_type.as_str(), "json" | "text" | "binary") {
                Err((AckError::InvalidPayload, format!("unknown dataType {data_type:?}: use json, text or binary")))
            } else {
                let out = protocol::group_message(info.identity.user.as_deref(), group, data_type, data);
                let skip = no_echo.then_some(info.id.as_str());
                registry.send_to_group(&info.hub, group, skip, &Message::text(out.to_string()));
                Ok(())
            }
        }
        // No upstream event handler exists in the local hub: the event is accepted and dropped.
        ClientMessage::Event { .. } => Ok(()),
    };
    ack_id.map(|id| protocol::ack(id, outcome.err()))
}
