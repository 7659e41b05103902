//! What the hub does with each JSON-protocol message a client sends, and what it answers
//! right away (acks, `pong`, an `invokeResponse` when no upstream is configured).

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::HubContext;
use super::connection::LogicalConnection;
use super::events::{self, UserEvent, UserEvents};
use super::invoke::{self, Invocations, InvokeRequest};
use super::protocol::{self, AckError, ClientMessage};
use wstab_core::webpubsub_token::{ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP};

/// Handles one JSON-protocol message; returns the immediate answer to send, if any.
pub fn handle_json(
    conn: &mut LogicalConnection,
    ctx: &HubContext,
    invocations: &mut Invocations,
    user_events: &mut UserEvents,
    text: &str,
) -> Option<Value> {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            // Web PubSub drops what it cannot parse; an ackId we can still read gets an answer.
            let ack_id = serde_json::from_str::<Value>(text).ok()?.get("ackId")?.as_u64()?;
            return Some(protocol::ack(ack_id, Some((AckError::InvalidPayload, format!("invalid message: {e}")))));
        }
    };
    match message {
        ClientMessage::Ping => return Some(protocol::pong()),
        ClientMessage::SequenceAck { sequence_id } => {
            conn.outbox.ack(sequence_id);
            return None;
        }
        ClientMessage::Invoke { invocation_id, event, data_type, data } => {
            return invoke(conn, ctx, invocations, invocation_id, event, data_type, data);
        }
        ClientMessage::CancelInvocation { invocation_id } => {
            invocations.cancel(&invocation_id);
            return None;
        }
        _ => {}
    }
    let ack_id = message.ack_id();
    if let Some(id) = ack_id
        && !conn.ack_ids.insert(id)
    {
        let text = format!("Message with ack-id: {id} has been processed");
        return Some(protocol::ack(id, Some((AckError::Duplicate, text))));
    }
    if let ClientMessage::Event { event, data_type, data, .. } = &message {
        if let Err(e) = events::check_payload(data_type, data) {
            return ack_id.map(|id| protocol::ack(id, Some((AckError::InvalidPayload, e.to_string()))));
        }
        let info = &conn.info;
        if let Some(up) = ctx.upstream.as_ref().filter(|up| up.takes_user_event(&info.hub, event)) {
            // The ack follows the handler's answer (see `events`).
            let posted = UserEvent {
                context: events_context(conn),
                event: event.clone(),
                data_type: data_type.clone(),
                data: data.clone(),
                ack_id,
                json: true,
            };
            user_events.post(up, &ctx.registry, posted);
            return None;
        }
    }
    let outcome = act(conn, ctx, &message);
    ack_id.map(|id| protocol::ack(id, outcome.err()))
}

/// Who a user event is from, as the handler is told.
pub fn events_context(conn: &LogicalConnection) -> super::upstream::EventContext {
    let info = &conn.info;
    super::upstream::EventContext {
        hub: info.hub.clone(),
        connection_id: info.id.clone(),
        user: info.identity.user.clone(),
        subprotocol: info.protocol.name().map(str::to_string),
    }
}

/// Joins, leaves, sends to a group, or takes an event.
fn act(conn: &LogicalConnection, ctx: &HubContext, message: &ClientMessage) -> Result<(), (AckError, String)> {
    let info = &conn.info;
    // Roles from the token plus those granted through the REST API since.
    let has_role = |role: &str, group: &str| ctx.registry.has_role(&info.hub, &info.id, role, group);
    match message {
        ClientMessage::JoinGroup { group, .. } | ClientMessage::LeaveGroup { group, .. } => {
            if !has_role(ROLE_JOIN_LEAVE, group) {
                return Err((
                    AckError::Forbidden,
                    format!("Forbidden: the token has no {ROLE_JOIN_LEAVE} role for group {group}"),
                ));
            }
            let join = matches!(message, ClientMessage::JoinGroup { .. });
            ctx.registry.set_group(&info.hub, &info.id, group, join);
            Ok(())
        }
        ClientMessage::SendToGroup { group, no_echo, data_type, data, .. } => {
            if !has_role(ROLE_SEND_TO_GROUP, group) {
                return Err((
                    AckError::Forbidden,
                    format!("Forbidden: the token has no {ROLE_SEND_TO_GROUP} role for group {group}"),
                ));
            }
            if !matches!(data_type.as_str(), "json" | "text" | "binary") {
                return Err((
                    AckError::InvalidPayload,
                    format!("unknown dataType {data_type:?}: use json, text or binary"),
                ));
            }
            let out = protocol::group_message(info.identity.user.as_deref(), group, data_type, data);
            let skip = no_echo.then_some(info.id.as_str());
            ctx.registry.send_to_group(&info.hub, group, skip, &Message::text(out.to_string()));
            Ok(())
        }
        // No event handler takes it: accepted and dropped, as the service does.
        ClientMessage::Event { .. } => Ok(()),
        ClientMessage::Invoke { .. }
        | ClientMessage::CancelInvocation { .. }
        | ClientMessage::Ping
        | ClientMessage::SequenceAck { .. } => Ok(()),
    }
}

/// Starts an invocation on the upstream handler, or answers at once that there is none.
fn invoke(
    conn: &LogicalConnection,
    ctx: &HubContext,
    invocations: &mut Invocations,
    invocation_id: Value,
    event: String,
    data_type: Option<String>,
    data: Value,
) -> Option<Value> {
    let info = &conn.info;
    if invocations.is_pending(&invocation_id) {
        let error = invoke::InvokeError {
            name: "Duplicate".into(),
            message: format!("Invocation {} is already in progress", Invocations::key(&invocation_id)),
        };
        return Some(invoke::response(&invocation_id, Err(error)));
    }
    let Some(handler) = ctx.invoke.as_ref() else {
        return Some(invoke::response(&invocation_id, Err(invoke::no_handler(&info.hub, &event))));
    };
    let request = InvokeRequest {
        hub: info.hub.clone(),
        connection_id: info.id.clone(),
        user: info.identity.user.clone(),
        roles: info.identity.roles.clone(),
        event,
        data_type,
        data,
    };
    invocations.start(invocation_id, handler.invoke(request));
    None
}
