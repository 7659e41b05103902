//! Relaying frames between a client and its backend: one client connection ↔ one backend
//! connection. tungstenite reassembles fragmented messages, so a fragmented message is relayed
//! as one whole message. Pings and pongs are relayed too (tungstenite also answers a ping at
//! each hop, so a client may see an extra, harmless pong). When one side closes, the other is
//! closed with the same code and reason.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::metrics::{Flow, Metrics};

/// How long each side gets to finish the close handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Who ended a relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// The client sent a close frame or dropped the connection.
    Client,
    /// The backend did.
    Backend,
    /// The gateway did (idle timeout, message too big, shutdown).
    Gateway,
}

impl Closer {
    /// The log's `closed_by` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Backend => "backend",
            Self::Gateway => "gateway",
        }
    }
}

/// What happened on a relayed connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayOutcome {
    /// Messages from the client.
    pub messages_from_client: u64,
    /// Messages from the backend.
    pub messages_from_backend: u64,
    /// Payload bytes from the client.
    pub bytes_from_client: u64,
    /// Payload bytes from the backend.
    pub bytes_from_backend: u64,
    /// Close code (1005 none given, 1006 dropped).
    pub close_code: u16,
    /// Who closed.
    pub closed_by: Closer,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The API (metrics label).
    pub api: String,
    /// Close both sides after this long without a message.
    pub idle_timeout: Duration,
}

enum Side {
    Client,
    Backend,
}

/// Relays until one side closes, then closes the other.
pub async fn relay<C, B>(
    mut client: WebSocketStream<C>,
    mut backend: WebSocketStream<B>,
    options: RelayOptions,
    metrics: &Metrics,
    shutdown: CancellationToken,
) -> RelayOutcome
where
    C: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = RelayOutcome {
        messages_from_client: 0,
        messages_from_backend: 0,
        bytes_from_client: 0,
        bytes_from_backend: 0,
        close_code: 1005,
        closed_by: Closer::Gateway,
        error: None,
    };
    let mut deadline = Instant::now() + options.idle_timeout;
    loop {
        let (side, item) = tokio::select! {
            m = client.next() => (Side::Client, m),
            m = backend.next() => (Side::Backend, m),
            _ = tokio::time::sleep_until(deadline.into()) => {
                out.error = Some(format!("idle for {} s", options.idle_timeout.as_secs()));
                close_both(&mut client, &mut backend, &mut out, CloseCode::Away, "idle timeout").await;
                return out;
            }
            _ = shutdown.cancelled() => {
                close_both(&mut client, &mut backend, &mut out, CloseCode::Away, "gateway shutting down").await;
                return out;
            }
        };
        deadline = Instant::now() + options.idle_timeout;
        let closer = match side {
            Side::Client => Closer::Client,
            Side::Backend => Closer::Backend,
        };
        match item {
            Some(Ok(Message::Close(frame))) => {
                out.closed_by = closer;
                out.close_code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
                match side {
                    Side::Client => finish(&mut client, &mut backend, Message::Close(frame)).await,
                    Side::Backend => finish(&mut backend, &mut client, Message::Close(frame)).await,
                }
                return out;
            }
            Some(Ok(Message::Frame(_))) => {}
            Some(Ok(msg)) => {
                let payload = match &msg {
                    Message::Text(t) => Some(t.len()),
                    Message::Binary(b) => Some(b.len()),
                    _ => None,
                };
                let (flow, sent) = match side {
                    Side::Client => (Flow::ClientToBackend, backend.send(msg).await),
                    Side::Backend => (Flow::BackendToClient, client.send(msg).await),
                };
                if let Some(len) = payload {
                    metrics.message(&options.api, flow, len);
                    match side {
                        Side::Client => {
                            out.messages_from_client += 1;
                            out.bytes_from_client += len as u64;
                        }
                        Side::Backend => {
                            out.messages_from_backend += 1;
                            out.bytes_from_backend += len as u64;
                        }
                    }
                }
                if let Err(e) = sent {
                    // The side we wrote to is gone: it ended the connection.
                    out.closed_by = match side {
                        Side::Client => Closer::Backend,
                        Side::Backend => Closer::Client,
                    };
                    out.close_code = 1006;
                    out.error = Some(format!("cannot relay to the {}: {e}", out.closed_by.label()));
                    let reason = format!("{} connection lost", out.closed_by.label());
                    match side {
                        Side::Client => close_one(&mut client, CloseCode::Away, &reason).await,
                        Side::Backend => close_one(&mut backend, CloseCode::Away, &reason).await,
                    }
                    return out;
                }
            }
            Some(Err(WsError::Capacity(e))) => {
                out.closed_by = Closer::Gateway;
                out.close_code = 1009;
                out.error = Some(format!("message from the {} too big: {e}", closer.label()));
                close_both(&mut client, &mut backend, &mut out, CloseCode::Size, "message too big").await;
                out.close_code = 1009;
                return out;
            }
            Some(Err(e)) => {
                out.closed_by = closer;
                out.close_code = 1006;
                if !matches!(e, WsError::ConnectionClosed | WsError::AlreadyClosed) {
                    out.error = Some(format!("{} connection failed: {e}", closer.label()));
                }
                let reason = format!("{} connection lost", closer.label());
                match side {
                    Side::Client => close_one(&mut backend, CloseCode::Away, &reason).await,
                    Side::Backend => close_one(&mut client, CloseCode::Away, &reason).await,
                }
                return out;
            }
            None => {
                out.closed_by = closer;
                out.close_code = 1006;
                let reason = format!("{} connection lost", closer.label());
                match side {
                    Side::Client => close_one(&mut backend, CloseCode::Away, &reason).await,
                    Side::Backend => close_one(&mut client, CloseCode::Away, &reason).await,
                }
                return out;
            }
        }
    }
}

/// `closer` sent `close`: pass it on to `other`, then let both finish their close handshakes.
async fn finish<A, B>(closer: &mut WebSocketStream<A>, other: &mut WebSocketStream<B>, close: Message)
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let _ = other.send(close).await;
    tokio::join!(drain(closer), drain(other));
}

async fn close_one<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>, code: CloseCode, reason: &str) {
    let frame = CloseFrame { code, reason: reason.to_string().into() };
    let _ = ws.send(Message::Close(Some(frame))).await;
    drain(ws).await;
}

async fn close_both<A, B>(
    a: &mut WebSocketStream<A>,
    b: &mut WebSocketStream<B>,
    out: &mut RelayOutcome,
    code: CloseCode,
    reason: &str,
) where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    out.closed_by = Closer::Gateway;
    out.close_code = u16::from(code);
    tokio::join!(close_one(a, code, reason), close_one(b, code, reason));
}

/// Reads (and drops) until the close handshake completes, flushing any queued close reply.
async fn drain<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = ws.next().await {} }).await;
}
