//! One direction of a relayed connection: bytes from one side's socket to the other's, copied
//! as read, with only frame headers looked at (see [`super::scan`]).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::scan::{FrameScanner, Stop, close_frame};
use super::{CLOSE_GRACE, Closer};
use crate::gateway::metrics::{Flow, Metrics};

/// The read buffer a connection starts with: enough for chat-sized traffic, cheap when idle
/// (its pages are only touched once something is read).
const SMALL_BUFFER: usize = 4 * 1024;
/// The read buffer once a read has filled the small one: a large payload moves in large copies.
const LARGE_BUFFER: usize = 128 * 1024;
/// The most read at once between frame headers (unless a frame's payload still to come is
/// larger). A stream of small messages is passed on in pieces of this size, not in whatever
/// the socket holds: the destination starts on the first piece while the gateway reads the
/// next, where a whole 64 KiB burst read, scanned and written at once kept it (and, through
/// the echo, the source) waiting. `cargo bench --bench relay`, one stream of 64 B messages, 8
/// interleaved runs: 86% of direct with this rule against 76% reading whatever fits in 128 KiB
/// (nginx 82%); fixed 8, 32 and 4 KiB pieces gave 82%, 79% and 72%. A large frame's payload is
/// still read in pieces up to the buffer: fixed 16 KiB pieces cost 1 MiB messages 15% more
/// gateway CPU, while this rule keeps them at par (54% of direct against 55%).
const STREAM_READ: u64 = 16 * 1024;

/// How a relayed connection ended, decided once by whoever saw it first.
#[derive(Debug, Clone)]
pub struct Ending {
    /// Who ended it.
    pub closed_by: Closer,
    /// The close code for the log (1005 none given, 1006 dropped).
    pub code: u16,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// Messages and payload bytes relayed one way.
#[derive(Debug, Default)]
pub struct Tally {
    /// Data messages completed.
    pub messages: AtomicU64,
    /// Payload bytes of data frames.
    pub bytes: AtomicU64,
}

/// What both directions of one connection share.
#[derive(Debug)]
pub struct Shared {
    started: Instant,
    /// Milliseconds since `started` when something was last read, either way.
    last_activity_ms: AtomicU64,
    ending: Mutex<Option<Ending>>,
    /// Cancelled once `ending` is set.
    pub ended: CancellationToken,
    /// Cancelled when the gateway closes both sides itself: each direction sends
    /// `gateway_close` (when set) to its destination, then drains its source.
    pub stop: CancellationToken,
    gateway_close: Mutex<Option<(u16, String)>>,
    /// Close frames passed on so far (one per direction at most).
    closes: AtomicU8,
    /// Cancelled once a close frame has passed each way: the close handshake is complete and
    /// both directions end, as tungstenite ended a stream then, without waiting for either
    /// peer to drop its TCP connection.
    both_closed: CancellationToken,
    /// From the client, from the backend.
    pub tallies: [Tally; 2],
}

impl Shared {
    /// Nothing relayed yet.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
            ending: Mutex::new(None),
            ended: CancellationToken::new(),
            stop: CancellationToken::new(),
            gateway_close: Mutex::new(None),
            closes: AtomicU8::new(0),
            both_closed: CancellationToken::new(),
            tallies: Default::default(),
        }
    }

    /// Records how the connection ended, unless that is already known.
    pub fn end(&self, closed_by: Closer, code: u16, error: Option<String>) {
        let mut ending = self.ending.lock().unwrap_or_else(|p| p.into_inner());
        if ending.is_none() {
            *ending = Some(Ending { closed_by, code, error });
        }
        self.ended.cancel();
    }

    /// How the connection ended (as far as known).
    pub fn ending(&self) -> Option<Ending> {
        self.ending.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Makes both directions stop, each sending a close frame with `code` and `reason` to its
    /// destination (the first such request wins).
    pub fn close_both(&self, code: u16, reason: &str) {
        self.gateway_close.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| (code, reason.to_string()));
        self.stop.cancel();
    }

    /// Resolves once nothing has been read either way for `timeout`.
    pub async fn idle(&self, timeout: Duration) {
        loop {
            let last = self.started + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed));
            let deadline = last + timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }

    fn touch(&self) {
        self.last_activity_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

/// One direction: reads `src`, writes `dst`.
pub struct Pump {
    /// The side read from.
    pub from: Closer,
    /// Bytes already read from `from` past its handshake.
    pub prefix: Bytes,
    /// The source.
    pub src: Box<dyn AsyncRead + Send + Unpin>,
    /// The destination (the other side).
    pub dst: Box<dyn AsyncWrite + Send + Unpin>,
    /// Frame state of the source's stream.
    pub scanner: FrameScanner,
    /// The connection's shared state.
    pub shared: Arc<Shared>,
    /// The gateway's counters.
    pub metrics: Arc<Metrics>,
    /// The API (metrics label).
    pub api: Arc<str>,
}

impl Pump {
    fn to(&self) -> Closer {
        if self.from == Closer::Client { Closer::Backend } else { Closer::Client }
    }

    fn flow(&self) -> Flow {
        if self.from == Closer::Client { Flow::ClientToBackend } else { Flow::BackendToClient }
    }

    fn tally(&self) -> &Tally {
        &self.shared.tallies[usize::from(self.from != Closer::Client)]
    }

    /// Copies until the source ends or the gateway stops the connection.
    pub async fn run(mut self) {
        let mut buf: Vec<u8> = Vec::with_capacity(SMALL_BUFFER.max(self.prefix.len() + SMALL_BUFFER));
        buf.extend_from_slice(&std::mem::take(&mut self.prefix));
        // The source sent a close frame, and it was passed on.
        let mut closed = false;
        // What came with the handshake is scanned before any read.
        let mut unscanned = !buf.is_empty();
        // Waited on across reads, not made anew for each: each new one took the token's lock
        // three times (registered, checked, dropped) per read.
        let shared = self.shared.clone();
        let stop = shared.stop.cancelled();
        let both_closed = shared.both_closed.cancelled();
        tokio::pin!(stop, both_closed);
        loop {
            if !unscanned {
                // At most an incomplete header or close frame is kept, so there is always room.
                let spare = buf.capacity() - buf.len();
                let mut src = (&mut self.src).take(STREAM_READ.max(self.scanner.payload_ahead()));
                let read = tokio::select! {
                    biased;
                    _ = &mut stop => return self.stopped(buf, closed).await,
                    _ = &mut both_closed => {
                        let _ = tokio::time::timeout(CLOSE_GRACE, self.dst.shutdown()).await;
                        return;
                    }
                    read = src.read_buf(&mut buf) => read,
                };
                match read {
                    Ok(0) => return self.source_ended(None, closed).await,
                    Ok(n) => {
                        if n == spare && buf.capacity() < LARGE_BUFFER {
                            // A read filled the buffer: a stream, worth larger copies.
                            buf.reserve_exact(LARGE_BUFFER - buf.len());
                        }
                    }
                    Err(e) => return self.source_ended(Some(e), closed).await,
                }
            }
            unscanned = false;
            self.shared.touch();
            let scan = self.scanner.scan(&buf);
            let written = if scan.complete > 0 { write(&mut self.dst, &buf[..scan.complete]).await } else { Ok(()) };
            if let Err(e) = &written {
                // The destination is gone: that is how the connection ended.
                let to = self.to();
                self.shared.end(to, 1006, Some(format!("cannot relay to the {}: {e}", to.label())));
            }
            if scan.messages > 0 || scan.bytes > 0 {
                let tally = self.tally();
                tally.messages.fetch_add(scan.messages, Ordering::Relaxed);
                tally.bytes.fetch_add(scan.bytes, Ordering::Relaxed);
                self.metrics.relayed(&self.api, self.flow(), scan.messages, scan.bytes);
            }
            if let Some(code) = scan.close
                && !closed
            {
                closed = true;
                self.shared.end(self.from, code, None);
                if self.shared.closes.fetch_add(1, Ordering::AcqRel) == 1 {
                    self.shared.both_closed.cancel();
                }
            }
            buf.drain(..scan.complete);
            if written.is_err() {
                // The gateway closes the source with 1001 (through the other direction).
                self.shared.close_both(1001, &format!("{} connection lost", self.to().label()));
                return self.stopped(buf, closed).await;
            }
            let from = self.from.label();
            match scan.stop {
                None => {}
                Some(Stop::TooBig { size, limit }) => {
                    let error = format!("message from the {from} too big: Message too long: {size} > {limit}");
                    self.shared.end(Closer::Gateway, 1009, Some(error));
                    self.shared.close_both(1009, "message too big");
                    return self.stopped(buf, closed).await;
                }
                Some(Stop::Violation(v)) => {
                    self.shared.end(Closer::Gateway, 1002, Some(format!("protocol violation by the {from}: {v}")));
                    self.shared.close_both(1002, "protocol error");
                    return self.stopped(buf, closed).await;
                }
            }
        }
    }

    /// The source's connection ended (`error` when it failed). Without a close frame first,
    /// the destination is told with 1001, as the old hop-by-hop relay did.
    async fn source_ended(mut self, error: Option<std::io::Error>, closed: bool) {
        if !closed {
            let from = self.from.label();
            self.shared.end(self.from, 1006, error.map(|e| format!("{from} connection failed: {e}")));
            if self.scanner.at_frame_boundary() {
                let frame = close_frame(1001, &format!("{from} connection lost"), self.to() == Closer::Backend);
                let _ = tokio::time::timeout(CLOSE_GRACE, write(&mut self.dst, &frame)).await;
            }
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, self.dst.shutdown()).await;
    }

    /// The gateway is closing both sides: send its close frame to the destination (unless a
    /// close already went that way, or a frame is half sent), then read the source until its
    /// close frame (the answer to the one the other direction sent), its end, or the grace.
    async fn stopped(mut self, mut buf: Vec<u8>, closed: bool) {
        let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
        let frame = self.shared.gateway_close.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((code, reason)) = frame
            && !closed
            && self.scanner.at_frame_boundary()
        {
            let frame = close_frame(code, &reason, self.to() == Closer::Backend);
            let _ = tokio::time::timeout_at(deadline, write(&mut self.dst, &frame)).await;
        }
        if !closed {
            self.scanner.unlimited();
            let _ = tokio::time::timeout_at(deadline, async {
                loop {
                    let scan = self.scanner.scan(&buf);
                    buf.drain(..scan.complete);
                    if scan.close.is_some() || scan.stop.is_some() {
                        return;
                    }
                    if buf.capacity() - buf.len() < SMALL_BUFFER {
                        buf.reserve(SMALL_BUFFER);
                    }
                    match self.src.read_buf(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                }
            })
            .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.dst.shutdown()).await;
    }
}

async fn write<W: AsyncWrite + Unpin + ?Sized>(dst: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    dst.write_all(bytes).await?;
    dst.flush().await
}
