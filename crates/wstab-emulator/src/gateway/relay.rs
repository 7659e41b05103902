//! Relaying frames between a client and its backend: one client connection ↔ one backend
//! connection. tungstenite reassembles fragmented messages, so a fragmented message is relayed
//! as one whole message. Pings and pongs are relayed too (tungstenite also answers a ping at
//! each hop, so a client may see an extra, harmless pong). When one side closes, the other is
//! closed with the same code and reason.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
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

/// How one direction of the relay ended.
enum PumpEnd {
    /// The source sent a close frame; it was passed on.
    Closed(Option<CloseFrame>),
    /// The source's connection ended without a close frame, or failed.
    Lost(Option<WsError>),
    /// The source sent a message over the size limit.
    TooBig(String),
    /// Writing to the destination failed: the destination is gone.
    WriteFailed(WsError),
}

/// Messages and payload bytes one way.
#[derive(Default)]
struct Tally {
    messages: u64,
    bytes: u64,
}

/// Most messages forwarded before one flush.
const MAX_BATCH: usize = 256;

/// Relays until one side closes, then closes the other.
///
/// Each direction is its own pump, so a side that is slow to read never stops the other
/// direction: a proxy that waited on one write before reading again would deadlock as soon as
/// both sides' buffers fill (e.g. an echo backend under a stream).
pub async fn relay<C, B>(
    client: WebSocketStream<C>,
    backend: WebSocketStream<B>,
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
    let started = Instant::now();
    // Milliseconds since `started` of the last message either way, for the idle timeout.
    let last_activity = AtomicU64::new(0);
    let (mut client_tx, mut client_rx) = client.split();
    let (mut backend_tx, mut backend_rx) = backend.split();
    let mut up = Tally::default();
    let mut down = Tally::default();
    let (first, end) = {
        let upstream = pump(
            &mut client_rx,
            &mut backend_tx,
            metrics,
            &options.api,
            Flow::ClientToBackend,
            &mut up,
            &last_activity,
            started,
        );
        let downstream = pump(
            &mut backend_rx,
            &mut client_tx,
            metrics,
            &options.api,
            Flow::BackendToClient,
            &mut down,
            &last_activity,
            started,
        );
        tokio::pin!(upstream, downstream);
        let first = tokio::select! {
            end = &mut upstream => Some((Closer::Client, end)),
            end = &mut downstream => Some((Closer::Backend, end)),
            _ = idle(&last_activity, started, options.idle_timeout) => {
                out.error = Some(format!("idle for {} s", options.idle_timeout.as_secs()));
                None
            }
            _ = shutdown.cancelled() => None,
        };
        match first {
            Some((side, end)) => (Some(side), Some(end)),
            None => (None, None),
        }
    };
    out.messages_from_client = up.messages;
    out.bytes_from_client = up.bytes;
    out.messages_from_backend = down.messages;
    out.bytes_from_backend = down.bytes;
    let (Ok(mut client), Ok(mut backend)) = (client_tx.reunite(client_rx), backend_tx.reunite(backend_rx)) else {
        return out;
    };
    let Some(side) = first else {
        // Idle timeout or shutdown: the gateway closes both.
        let reason = if out.error.is_some() { "idle timeout" } else { "gateway shutting down" };
        close_both(&mut client, &mut backend, &mut out, CloseCode::Away, reason).await;
        return out;
    };
    let other = if side == Closer::Client { Closer::Backend } else { Closer::Client };
    match end {
        Some(PumpEnd::Closed(frame)) => {
            out.closed_by = side;
            out.close_code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
            if side == Closer::Client && frame.is_none() {
                // A status-less close (the Web PubSub SDKs' stop()) gets 1000, as from the service.
                tokio::join!(crate::wsserver::answer_empty_close(&mut client), drain(&mut backend));
            } else {
                // Both close handshakes finish (tungstenite answered the closer's frame itself).
                tokio::join!(drain(&mut client), drain(&mut backend));
            }
        }
        Some(PumpEnd::TooBig(e)) => {
            out.error = Some(format!("message from the {} too big: {e}", side.label()));
            close_both(&mut client, &mut backend, &mut out, CloseCode::Size, "message too big").await;
        }
        Some(PumpEnd::WriteFailed(e)) => {
            // The side we wrote to is gone: it ended the connection.
            out.closed_by = other;
            out.close_code = 1006;
            out.error = Some(format!("cannot relay to the {}: {e}", other.label()));
            let reason = format!("{} connection lost", other.label());
            match side {
                Closer::Client => close_one(&mut client, CloseCode::Away, &reason).await,
                _ => close_one(&mut backend, CloseCode::Away, &reason).await,
            }
        }
        Some(PumpEnd::Lost(e)) => {
            out.closed_by = side;
            out.close_code = 1006;
            if let Some(e) = e.filter(|e| !matches!(e, WsError::ConnectionClosed | WsError::AlreadyClosed)) {
                out.error = Some(format!("{} connection failed: {e}", side.label()));
            }
            let reason = format!("{} connection lost", side.label());
            match side {
                Closer::Client => close_one(&mut backend, CloseCode::Away, &reason).await,
                _ => close_one(&mut client, CloseCode::Away, &reason).await,
            }
        }
        // `end` is set whenever `first` is.
        None => {}
    }
    out
}

/// Resolves once nothing has been relayed for `timeout`.
async fn idle(last_activity: &AtomicU64, started: Instant, timeout: Duration) {
    loop {
        let last = started + Duration::from_millis(last_activity.load(Ordering::Relaxed));
        let deadline = last + timeout;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// One direction: reads from `src`, writes to `dst`, flushing once per burst of messages already
/// buffered, until the source closes, fails, or the destination cannot be written.
#[allow(clippy::too_many_arguments)]
async fn pump<S, D>(
    src: &mut SplitStream<WebSocketStream<S>>,
    dst: &mut SplitSink<WebSocketStream<D>, Message>,
    metrics: &Metrics,
    api: &str,
    flow: Flow,
    tally: &mut Tally,
    last_activity: &AtomicU64,
    started: Instant,
) -> PumpEnd
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let mut item = src.next().await;
        let mut count = 0;
        loop {
            let msg = match item {
                Some(Ok(Message::Close(frame))) => {
                    // Pass the close on; what the destination answers goes back the other way.
                    let _ = dst.send(Message::Close(frame.clone())).await;
                    return PumpEnd::Closed(frame);
                }
                Some(Ok(Message::Frame(_))) => None,
                Some(Ok(msg)) => Some(msg),
                Some(Err(WsError::Capacity(e))) => {
                    let _ = dst.flush().await;
                    return PumpEnd::TooBig(e.to_string());
                }
                Some(Err(e)) => {
                    let _ = dst.flush().await;
                    return PumpEnd::Lost(Some(e));
                }
                None => {
                    let _ = dst.flush().await;
                    return PumpEnd::Lost(None);
                }
            };
            if let Some(msg) = msg {
                let payload = match &msg {
                    Message::Text(t) => Some(t.len()),
                    Message::Binary(b) => Some(b.len()),
                    _ => None,
                };
                if let Err(e) = dst.feed(msg).await {
                    return PumpEnd::WriteFailed(e);
                }
                if let Some(len) = payload {
                    metrics.message(api, flow, len);
                    tally.messages += 1;
                    tally.bytes += len as u64;
                }
                last_activity.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            count += 1;
            // Take what the source has already buffered, without waiting.
            match (count < MAX_BATCH).then(|| src.next().now_or_never()).flatten() {
                Some(next) => item = next,
                None => break,
            }
        }
        if let Err(e) = dst.flush().await {
            return PumpEnd::WriteFailed(e);
        }
    }
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
