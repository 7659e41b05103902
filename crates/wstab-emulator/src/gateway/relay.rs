//! Relaying a client connection to its backend connection at the frame level: after both
//! handshakes, each direction copies bytes as they are read, independently of the other,
//! looking only at frame headers (see [`scan`]). Frames from the client are already masked, as the backend (a
//! server) requires; frames from the backend are unmasked, as the client requires; so nothing
//! is decoded or re-encoded. Fragmented messages pass fragment by fragment. Pings and pongs pass
//! through untouched and the gateway never answers them itself: a client gets exactly one pong
//! per ping, from the far end. A close frame passes too, and the close handshake is the two
//! ends' own; the gateway sends close frames of its own only when it ends the connection
//! itself (idle timeout, message too big, shutdown, a side lost), always between two frames.

mod pump;
pub mod scan;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;
use pump::{Pump, Shared};
use scan::FrameScanner;

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
    /// The API (metrics label), shared by both directions.
    pub api: Arc<str>,
    /// Close both sides after this long without a message.
    pub idle_timeout: Duration,
    /// The largest message relayed, in payload bytes; a larger one closes both sides with 1009.
    pub max_message_bytes: usize,
}

/// One side of a relayed connection, taken apart so that each direction owns what it uses.
pub struct Halves {
    /// Bytes read past the handshake (e.g. a hub's first message sent with its 101), relayed
    /// before anything else.
    pub prefix: Bytes,
    /// The side's incoming bytes.
    pub read: Box<dyn AsyncRead + Send + Unpin>,
    /// The side's outgoing bytes.
    pub write: Box<dyn AsyncWrite + Send + Unpin>,
}

impl Halves {
    /// An upgraded HTTP connection. A plain TCP connection is split into independent owned
    /// halves (no lock shared between the two directions); others (TLS) through a lock.
    pub fn from_upgraded(io: TokioIo<Upgraded>) -> Self {
        match io.into_inner().downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => Self { prefix: parts.read_buf, ..Self::from_tcp(parts.io.into_inner()) },
            Err(upgraded) => Self::from_io(TokioIo::new(upgraded)),
        }
    }

    /// A plain TCP connection, split into owned halves.
    pub fn from_tcp(tcp: TcpStream) -> Self {
        let (read, write) = tcp.into_split();
        Self { prefix: Bytes::new(), read: Box::new(read), write: Box::new(write) }
    }

    /// Any bidirectional stream, split through a lock.
    pub fn from_io<S: AsyncRead + AsyncWrite + Send + 'static>(io: S) -> Self {
        let (read, write) = tokio::io::split(io);
        Self { prefix: Bytes::new(), read: Box::new(read), write: Box::new(write) }
    }
}

/// Aborts a direction's task if the relay is dropped or gives up waiting for it.
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Relays until the connection ends, and says how it ended.
///
/// Each direction runs on its own (upstream in a task, downstream in the caller's), so a side
/// that is slow to read never stops the other direction, and a busy connection uses both cores.
pub async fn relay(
    client: Halves,
    backend: Halves,
    options: RelayOptions,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> RelayOutcome {
    let shared = Arc::new(Shared::new());
    let limit = options.max_message_bytes as u64;
    let pump = |from: Closer, prefix: Bytes, src, dst| Pump {
        from,
        prefix,
        src,
        dst,
        // Frames from the client are masked; from the backend, not.
        scanner: FrameScanner::new(from == Closer::Client, limit),
        shared: shared.clone(),
        metrics: metrics.clone(),
        api: options.api.clone(),
    };
    let upstream = pump(Closer::Client, client.prefix, client.read, backend.write);
    let downstream = pump(Closer::Backend, backend.prefix, backend.read, client.write);
    // Upstream in a task of its own; downstream in this one, beside the watch for the idle
    // timeout and shutdown (one task fewer per connection to spawn and wake).
    let mut upstream = Task(tokio::spawn(upstream.run()));
    let downstream = downstream.run();
    tokio::pin!(downstream);
    let mut downstream_done = false;
    tokio::select! {
        _ = shared.ended.cancelled() => {}
        // It only ends once the ending is known; ended above may simply be polled second.
        _ = &mut downstream => downstream_done = true,
        _ = shared.idle(options.idle_timeout) => {
            let error = format!("idle for {} s", options.idle_timeout.as_secs());
            shared.end(Closer::Gateway, 1001, Some(error));
            shared.close_both(1001, "idle timeout");
        }
        _ = shutdown.cancelled() => {
            shared.end(Closer::Gateway, 1001, None);
            shared.close_both(1001, "gateway shutting down");
        }
    }
    // Both ends finish the close handshake (or drain after the gateway's close) within the
    // grace; a direction still blocked then (writing to a side that reads nothing) is aborted
    // (downstream: dropped).
    let both = async {
        if !downstream_done {
            (&mut downstream).await;
        }
        let _ = (&mut upstream.0).await;
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, both).await;
    drop(upstream);
    let ending = shared.ending();
    let [up, down] = &shared.tallies;
    RelayOutcome {
        messages_from_client: up.messages.load(Ordering::Relaxed),
        messages_from_backend: down.messages.load(Ordering::Relaxed),
        bytes_from_client: up.bytes.load(Ordering::Relaxed),
        bytes_from_backend: down.bytes.load(Ordering::Relaxed),
        close_code: ending.as_ref().map_or(1005, |e| e.code),
        closed_by: ending.as_ref().map_or(Closer::Gateway, |e| e.closed_by),
        error: ending.and_then(|e| e.error),
    }
}
