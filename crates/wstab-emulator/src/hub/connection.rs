//! One hub connection on one socket: send `connected` (and, after a recovery, what the client
//! has not acknowledged), then route what the client sends and deliver what others queue for it,
//! until either side closes, the socket drops, or a reconnect takes the connection over.
//!
//! What others queue in a connection's mailbox ([`super::room::Member::tx`]): text and binary
//! frames are delivered (a JSON data message gets its `sequenceId` on the reliable protocol);
//! a `Close` frame asks the hub to end the connection: the client gets `system/disconnected`
//! with the frame's reason, then that close frame, and the connection cannot be recovered.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::HubContext;
use super::auth::ClientIdentity;
use super::dispatch;
use super::events::{self, UserEvent, UserEvents};
use super::invoke::Invocations;
use super::protocol;
use super::recovery::Attachment;
use super::reliable::{MAX_UNACKED, Outbox};
use super::room::Member;
use super::subprotocol::Subprotocol;
use crate::wsserver::ServerWs;

/// How long the hub waits for the client's half of a close handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// A connection's fixed facts.
pub struct ConnectionInfo {
    /// The hub it connected to.
    pub hub: String,
    /// Its id (in `connected`).
    pub id: String,
    /// Who the token says it is.
    pub identity: ClientIdentity,
    /// The negotiated subprotocol.
    pub protocol: Subprotocol,
}

/// A connection as it outlives its sockets (reliable protocol): identity, mailbox, numbered
/// messages not yet acknowledged, ack ids already processed.
pub struct LogicalConnection {
    /// The fixed facts.
    pub info: ConnectionInfo,
    /// Its reconnection token (reliable protocol only).
    pub reconnection_token: Option<String>,
    /// What others queued for it.
    pub mailbox: mpsc::UnboundedReceiver<Message>,
    /// Data messages sent but not acknowledged (reliable protocol).
    pub outbox: Outbox,
    /// `ackId`s already processed: a resend after a reconnect is a `Duplicate`.
    pub ack_ids: HashSet<u64>,
}

impl LogicalConnection {
    /// A new connection, registered in the hub (in its token's groups, for JSON clients).
    pub fn join(ctx: &HubContext, info: ConnectionInfo, reconnection_token: Option<String>) -> Self {
        let (tx, mailbox) = mpsc::unbounded_channel();
        let json = info.protocol.is_json();
        let groups = if json { info.identity.groups.iter().cloned().collect() } else { HashSet::new() };
        let (user, roles) = (info.identity.user.clone(), info.identity.roles.iter().cloned().collect());
        ctx.registry.add(&info.hub, &info.id, Member { tx, json, groups, user, roles });
        Self { info, reconnection_token, mailbox, outbox: Outbox::default(), ack_ids: HashSet::new() }
    }
}

/// How a socket's life ended.
enum End {
    /// Closed by either side with a handshake: the connection is over.
    Closed,
    /// The socket dropped without a close handshake: a reliable connection waits for recovery.
    Dropped,
    /// A reconnect took the connection over: send it there.
    HandedOver(oneshot::Sender<LogicalConnection>),
}

/// Runs `conn` on `ws` until the socket ends. `attachment` is set for reliable connections;
/// `recovered` says this socket took the connection back after a drop.
pub async fn run(
    mut ws: ServerWs,
    mut conn: LogicalConnection,
    ctx: Arc<HubContext>,
    mut attachment: Option<Attachment>,
    recovered: bool,
) {
    let mut invocations = Invocations::default();
    let end = match greet(&mut ws, &mut conn, recovered).await {
        Err(()) => End::Dropped,
        Ok(()) => serve(&mut ws, &mut conn, &ctx, attachment.as_mut().map(|a| &mut a.takeover), &mut invocations).await,
    };
    // The SDKs fail pending invocations when a socket ends; their answers have nowhere to go.
    invocations.abort_all();
    match (end, attachment) {
        (End::HandedOver(to), _) => {
            let _ = to.send(conn);
        }
        (End::Dropped, Some(attachment)) => ctx.sessions.park(conn, attachment),
        (_, attachment) => {
            if attachment.is_some() {
                ctx.sessions.remove(&conn.info.id);
            }
            ctx.registry.remove(&conn.info.hub, &conn.info.id);
        }
    }
}

/// `connected`, then (after a recovery) every unacknowledged data message, oldest first.
async fn greet(ws: &mut ServerWs, conn: &mut LogicalConnection, recovered: bool) -> Result<(), ()> {
    if !conn.info.protocol.is_json() {
        return Ok(());
    }
    let hello =
        protocol::connected(conn.info.identity.user.as_deref(), &conn.info.id, conn.reconnection_token.as_deref());
    ws.feed(Message::text(hello.to_string())).await.map_err(|_| ())?;
    if recovered {
        for text in conn.outbox.unacked() {
            ws.feed(Message::text(text.to_string())).await.map_err(|_| ())?;
        }
    }
    ws.flush().await.map_err(|_| ())
}

async fn serve(
    ws: &mut ServerWs,
    conn: &mut LogicalConnection,
    ctx: &HubContext,
    mut takeover: Option<&mut super::recovery::Takeover>,
    invocations: &mut Invocations,
) -> End {
    let mut user_events = UserEvents::default();
    loop {
        tokio::select! {
            _ = ctx.shutdown.cancelled() => {
                close(ws, conn.info.protocol, CloseCode::Away, "The hub is shutting down").await;
                return End::Closed;
            }
            Some(handover) = async { match takeover.as_mut() { Some(t) => t.recv().await, None => None } } => {
                // The client already reconnected on another socket: this one is stale.
                let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(None)).await;
                return End::HandedOver(handover);
            }
            Some((key, response)) = invocations.finished() => {
                if invocations.complete(&key) && ws.send(Message::text(response.to_string())).await.is_err() {
                    return End::Dropped;
                }
            }
            queued = conn.mailbox.recv() => match queued {
                Some(Message::Close(frame)) => {
                    let (code, reason) = frame.map_or((CloseCode::Normal, String::new()), |f| (f.code, f.reason.to_string()));
                    close(ws, conn.info.protocol, code, &reason).await;
                    return End::Closed;
                }
                Some(m) => {
                    let m = number_if_reliable(conn, m);
                    if ws.send(m).await.is_err() {
                        return End::Dropped;
                    }
                    if conn.outbox.len() > MAX_UNACKED {
                        let reason = format!("More than {MAX_UNACKED} messages were not acknowledged (sequenceAck)");
                        close(ws, conn.info.protocol, CloseCode::Policy, &reason).await;
                        return End::Closed;
                    }
                }
                // The registry dropped the sender: the connection was removed.
                None => {
                    close(ws, conn.info.protocol, CloseCode::Normal, "The connection was removed").await;
                    return End::Closed;
                }
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) if conn.info.protocol.is_json() => {
                    if let Some(reply) = dispatch::handle_json(conn, ctx, invocations, &mut user_events, text.as_str())
                        && ws.send(Message::text(reply.to_string())).await.is_err()
                    {
                        return End::Dropped;
                    }
                }
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) if !conn.info.protocol.is_json() => {
                    simple_client_frame(conn, ctx, &mut user_events, m);
                }
                Some(Ok(Message::Close(None))) => {
                    crate::wsserver::answer_empty_close(ws).await;
                    return End::Closed;
                }
                Some(Ok(Message::Close(frame))) => {
                    // tungstenite queued the close reply; reading on flushes it and ends cleanly.
                    drain(ws).await;
                    // 1000 or no code: the client is done (the SDKs' stop()). Anything else, like
                    // the 1001 a gateway sends when the client's side vanished, may be followed
                    // by a recovery.
                    let done = frame.as_ref().is_none_or(|f| f.code == CloseCode::Normal);
                    return if done { End::Closed } else { End::Dropped };
                }
                None | Some(Err(_)) => return End::Dropped,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A simple client's frame is the `message` user event when a handler takes it (its answer
/// comes back as a frame); otherwise the demo hub broadcasts it to the hub's other simple clients.
fn simple_client_frame(conn: &LogicalConnection, ctx: &HubContext, user_events: &mut UserEvents, m: Message) {
    let info = &conn.info;
    let Some(up) = ctx.upstream.as_ref().filter(|up| up.takes_user_event(&info.hub, events::SIMPLE_CLIENT_EVENT))
    else {
        ctx.registry.broadcast_simple(&info.hub, &info.id, &m);
        return;
    };
    let (data_type, data) = match m {
        Message::Text(t) => ("text", Value::from(t.as_str())),
        other => {
            use base64::Engine;
            ("binary", Value::from(base64::engine::general_purpose::STANDARD.encode(other.into_data())))
        }
    };
    let event = UserEvent {
        context: dispatch::events_context(conn),
        event: events::SIMPLE_CLIENT_EVENT.into(),
        data_type: data_type.into(),
        data,
        ack_id: None,
        json: false,
    };
    user_events.post(up, &ctx.registry, event);
}

/// On the reliable protocol a data message gets the connection's next `sequenceId`.
fn number_if_reliable(conn: &mut LogicalConnection, m: Message) -> Message {
    if !conn.info.protocol.is_reliable() {
        return m;
    }
    let Message::Text(text) = &m else { return m };
    match serde_json::from_str::<Value>(text.as_str()) {
        Ok(v) if protocol::is_data_message(&v) => Message::text(conn.outbox.number(v)),
        _ => m,
    }
}

/// Ends the connection from the hub's side: `system/disconnected` with the reason (JSON
/// clients), then the close handshake.
async fn close(ws: &mut ServerWs, protocol: Subprotocol, code: CloseCode, reason: &str) {
    if protocol.is_json() {
        let _ = ws.send(Message::text(protocol::disconnected(reason).to_string())).await;
    }
    let frame = CloseFrame { code, reason: reason.to_string().into() };
    if tokio::time::timeout(CLOSE_GRACE, ws.send(Message::Close(Some(frame)))).await.is_ok() {
        drain(ws).await;
    }
}

/// Reads (and drops) until the close handshake completes or the grace period ends.
async fn drain(ws: &mut ServerWs) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = ws.next().await {} }).await;
}

/// A refused recovery: `system/disconnected` with the reason, then close with 1008, which tells
/// the SDKs the connection id is gone and a new connection is needed.
pub async fn refuse(mut ws: ServerWs, protocol: Subprotocol, reason: String) {
    close(&mut ws, protocol, CloseCode::Policy, &reason).await;
}
