//! One session's task: connect, relay commands out and frames in, close, and report every step
//! as an [`Event`].

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use super::error::{ConnError, Credential, FailureKind, unauthorized_hint};
use super::event::{Closer, Direction, Event, EventBatch, EventKind, Frame, SessionId};
use super::handshake::{ClientWs, UpgradeError, UpgradeResponse, upgrade};
use super::state::{SessionState, Transition};
use super::target::Target;
use super::tls::client_config;
use super::trace::HandshakeTrace;
use crate::secret::Masker;

/// What the owner of a session asks it to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send a text message.
    Text(String),
    /// Send a binary message.
    Binary(Vec<u8>),
    /// Send a ping with this payload.
    Ping(Vec<u8>),
    /// Start the close handshake with this code and reason.
    Close {
        /// Close code (1000 normal).
        code: u16,
        /// Close reason (at most 123 bytes are sent).
        reason: String,
    },
}

/// The owner's side of a running session, plain ([`spawn`]) or supervised
/// ([`super::spawn_supervised`]). Dropping it cancels the session.
#[derive(Debug)]
pub struct SessionHandle {
    /// The session's id (as carried by its events).
    pub id: SessionId,
    commands: mpsc::UnboundedSender<Command>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl SessionHandle {
    /// The handle of a session task started elsewhere in the connection manager.
    pub(super) fn new(
        id: SessionId,
        commands: mpsc::UnboundedSender<Command>,
        cancel: CancellationToken,
        task: JoinHandle<()>,
    ) -> Self {
        Self { id, commands, cancel, task }
    }

    /// Queues a command; false when the session has ended. A supervised session drops commands
    /// given while it waits to reconnect: what must follow a reconnect are the on-connect
    /// messages.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Ends the session: a close handshake when open, an abort while connecting, and (when
    /// supervised) no further reconnect.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// True once the session's task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// How long we wait for the close handshake to finish, whoever started it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Most events sent in one batch. Frames already buffered are read without waiting and sent
/// together, so a flood costs one channel message (and at most one wake-up) per batch.
pub const MAX_BATCH: usize = 512;

/// Most payload bytes in one batch (a single larger frame makes a batch of its own): with the
/// few batches a channel holds, this bounds the memory a slow reader lets pile up.
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Starts a session for `target` on the current tokio runtime. Events go to `events` in batches,
/// in order; a slow reader slows the session down (backpressure) rather than losing events.
pub fn spawn(id: SessionId, target: Target, events: mpsc::Sender<EventBatch>) -> SessionHandle {
    spawn_connection(id, target, events, true)
}

/// Starts one connection of a session. With `announce_end`, its last batch ends with
/// [`EventKind::Ended`]; the reconnect supervisor passes false, because only it knows whether
/// the session goes on after this connection.
pub(super) fn spawn_connection(
    id: SessionId,
    target: Target,
    events: mpsc::Sender<EventBatch>,
    announce_end: bool,
) -> SessionHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let session = Session {
        id,
        events,
        pending: Vec::new(),
        pending_bytes: 0,
        masker: target.masker(),
        state: SessionState::Idle,
        closed_rx: false,
        announce_end,
    };
    let task = tokio::spawn(session.run(target, rx, cancel.clone()));
    SessionHandle { id, commands: tx, cancel, task }
}

type Ws = ClientWs;

struct Session {
    id: SessionId,
    events: mpsc::Sender<EventBatch>,
    /// Events not yet sent.
    pending: Vec<Event>,
    /// Payload bytes of the frames in `pending`.
    pending_bytes: usize,
    masker: Masker,
    state: SessionState,
    /// The receiver is gone: nobody listens any more.
    closed_rx: bool,
    /// Whether this task is the whole session and so says [`EventKind::Ended`] when it stops.
    announce_end: bool,
}

/// The close handshake so far.
#[derive(Default)]
struct Closing {
    /// Set once a close frame was sent or received: the session ends by then at the latest.
    deadline: Option<tokio::time::Instant>,
    local: Option<(u16, String)>,
    remote: Option<(u16, String)>,
}

/// How the frame loop ended.
enum End {
    Closed { code: u16, reason: String, by: Closer },
    Failed(ConnError),
}

impl Session {
    /// Queues an event; it is sent with the next [`Session::flush`].
    fn push(&mut self, kind: EventKind) {
        if let EventKind::Frame { frame, .. } = &kind {
            self.pending_bytes += frame.len();
        }
        self.pending.push(Event::now(self.id, kind));
    }

    /// Sends the queued events as one batch.
    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending_bytes = 0;
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(16));
        if self.events.send(batch).await.is_err() {
            self.closed_rx = true;
        }
    }

    /// Queues an event and sends it at once (for everything but the frame flood).
    async fn emit(&mut self, kind: EventKind) {
        self.push(kind);
        self.flush().await;
    }

    fn go(&mut self, t: Transition) {
        if let Some(next) = self.state.next(t) {
            tracing::debug!(session = self.id.0, from = ?self.state, to = ?next, "session transition");
            self.state = next;
        }
    }

    /// Queues the failure that ends the connection (sent by [`Session::run`] with `Ended`).
    fn fail(&mut self, err: ConnError) {
        self.go(Transition::Error);
        tracing::info!(session = self.id.0, error = %err.message, "session failed");
        self.push(EventKind::Failed(err));
    }

    /// The whole connection, then its last batch: the `Closed`/`Failed`, and `Ended` when this
    /// task is the whole session, together so a reader learns both at once.
    async fn run(mut self, target: Target, commands: mpsc::UnboundedReceiver<Command>, cancel: CancellationToken) {
        self.connection(target, commands, cancel).await;
        if self.announce_end {
            self.push(EventKind::Ended);
        }
        self.flush().await;
    }

    /// Connects and relays until the connection ends; leaves its final event queued.
    async fn connection(
        &mut self,
        target: Target,
        mut commands: mpsc::UnboundedReceiver<Command>,
        cancel: CancellationToken,
    ) {
        self.go(Transition::Start);
        let url = target.display_url();
        tracing::info!(session = self.id.0, %url, "connecting");
        self.emit(EventKind::Connecting { url }).await;
        let started = Instant::now();
        let opened = tokio::select! {
            r = tokio::time::timeout(target.connect_timeout, self.connect(&target)) => match r {
                Ok(r) => r,
                Err(_) => Err(ConnError::new(
                    FailureKind::Timeout,
                    format!("no connection to {} after {:.1}s", target.display_url(), target.connect_timeout.as_secs_f64()),
                )),
            },
            _ = cancel.cancelled() => {
                self.go(Transition::Cancel);
                self.push(EventKind::Closed { code: 1000, reason: "cancelled while connecting".into(), by: Closer::Local });
                return;
            }
        };
        let (ws, subprotocol) = match opened {
            Ok(o) => o,
            Err(e) => return self.fail(e),
        };
        self.go(Transition::Upgraded);
        tracing::info!(session = self.id.0, ?subprotocol, "open");
        self.emit(EventKind::Opened { subprotocol, elapsed: started.elapsed() }).await;
        match self.frames(ws, &mut commands, &cancel).await {
            End::Closed { code, reason, by } => {
                self.go(Transition::Ended);
                tracing::info!(session = self.id.0, code, ?by, "closed");
                self.push(EventKind::Closed { code, reason, by });
            }
            End::Failed(e) => self.fail(e),
        }
    }

    /// DNS, TCP, TLS and the upgrade; emits the handshake trace whatever the outcome.
    async fn connect(&mut self, target: &Target) -> Result<(Ws, Option<String>), ConnError> {
        let request = target.request().map_err(|e| ConnError::new(FailureKind::InvalidRequest, e.to_string()))?;
        let mut trace = HandshakeTrace::from_request(&request, &self.masker);
        // What the request authenticates with, for a 401's hint (the request is moved below).
        let credentials = Credential::sent(
            request.uri().query().unwrap_or("").split('&').map(|pair| pair.split('=').next().unwrap_or("")),
            request.headers().keys().map(http::HeaderName::as_str),
        );
        let uri = request.uri().clone();
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
        let tls = uri.scheme_str() == Some("wss");
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let shown = self.masker.redact(&uri.to_string());

        let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| ConnError::new(FailureKind::Dns, format!("cannot resolve {host}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(ConnError::new(FailureKind::Dns, format!("{host} resolves to no address")));
        }
        let mut last = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some((addr, e)),
            }
        }
        let tcp = match (tcp, last) {
            (Some(s), _) => s,
            (None, Some((addr, e))) => {
                let kind = if e.kind() == io::ErrorKind::ConnectionRefused {
                    FailureKind::Refused
                } else {
                    FailureKind::Network
                };
                return Err(ConnError::new(kind, format!("cannot connect to {host}:{port} ({addr}): {e}")));
            }
            (None, None) => unreachable!("addrs is not empty"),
        };
        let _ = tcp.set_nodelay(true);
        let config = WebSocketConfig::default()
            .max_message_size(target.max_message_size)
            .max_frame_size(target.max_message_size);
        let upgraded = if tls {
            let tls_config = client_config(&target.tls).map_err(|e| ConnError::new(FailureKind::Tls, e.to_string()))?;
            let name = ServerName::try_from(host.clone()).map_err(|e| {
                ConnError::new(FailureKind::InvalidRequest, format!("invalid TLS server name {host:?}: {e}"))
            })?;
            let stream = tokio_rustls::TlsConnector::from(tls_config).connect(name, tcp).await.map_err(|e| {
                ConnError::new(
                    FailureKind::Tls,
                    format!("TLS handshake with {host}:{port} failed: {}", self.masker.redact(&e.to_string())),
                )
            })?;
            upgrade(stream, request, config).await
        } else {
            upgrade(tcp, request, config).await
        };
        match upgraded {
            Ok((ws, response)) => {
                self.record(&mut trace, &response);
                let subprotocol = response
                    .headers
                    .get(http::header::SEC_WEBSOCKET_PROTOCOL)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Ok((ws, subprotocol))
            }
            Err(UpgradeError::Refused(response)) => {
                self.record(&mut trace, &response);
                let status = response.status;
                let body_text = trace.response.as_ref().map(|r| r.body.trim().to_string()).unwrap_or_default();
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                let mut message = format!("handshake refused: {shown} answered {status}");
                if !body_text.is_empty() {
                    message.push_str(&format!(": {}", first_chars(&body_text, 500)));
                }
                let mut err = ConnError::new(FailureKind::HandshakeRefused { status: status.as_u16() }, message);
                if status.as_u16() == 401 {
                    err.hint = unauthorized_hint(&credentials);
                }
                Err(err)
            }
            Err(UpgradeError::Invalid { reason, response }) => {
                self.record(&mut trace, &response);
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Err(ConnError::new(
                    FailureKind::BadHandshake,
                    format!("{shown} answered with an invalid WebSocket upgrade: {}", self.masker.redact(&reason)),
                ))
            }
            Err(UpgradeError::NotHttp(reason)) => {
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Err(ConnError::new(FailureKind::BadHandshake, format!("{shown}: {}", self.masker.redact(&reason))))
            }
            Err(UpgradeError::Io(reason)) => {
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Err(ConnError::new(
                    FailureKind::Network,
                    format!("connection to {shown} failed during the handshake: {}", self.masker.redact(&reason)),
                ))
            }
        }
    }

    fn record(&self, trace: &mut HandshakeTrace, response: &UpgradeResponse) {
        let status = response.status;
        trace.set_response(
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            &response.headers,
            &response.body,
            &self.masker,
        );
    }

    /// The open session: frames in, commands out, until it ends.
    async fn frames(
        &mut self,
        mut ws: Ws,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        cancel: &CancellationToken,
    ) -> End {
        let mut closing = Closing::default();
        let mut commands_open = true;
        loop {
            let deadline =
                closing.deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365));
            tokio::select! {
                biased;
                _ = cancel.cancelled(), if closing.deadline.is_none() => {
                    let frame = (1000u16, String::new());
                    if let Err(e) = self.send_close(&mut ws, frame.clone()).await {
                        return End::Failed(e);
                    }
                    closing.local = Some(frame);
                    closing.deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
                }
                _ = tokio::time::sleep_until(deadline), if closing.deadline.is_some() => {
                    // The close handshake did not finish in time: end the session anyway, so a
                    // server that never answers or never hangs up cannot hold it open.
                    return match (closing.local, closing.remote) {
                        (Some((code, reason)), _) => End::Closed {
                            code,
                            reason: format!("{reason} (no close reply from the server in {}s)", CLOSE_TIMEOUT.as_secs())
                                .trim()
                                .to_string(),
                            by: Closer::Local,
                        },
                        (None, Some((code, reason))) => End::Closed { code, reason, by: Closer::Remote },
                        (None, None) => End::Closed { code: 1006, reason: String::new(), by: Closer::Local },
                    };
                }
                item = ws.next() => {
                    let mut end = self.incoming(item, &mut closing);
                    // Take what is already buffered without waiting, and send it as one batch.
                    while end.is_none() && self.pending.len() < MAX_BATCH && self.pending_bytes < MAX_BATCH_BYTES {
                        match ws.next().now_or_never() {
                            Some(item) => end = self.incoming(item, &mut closing),
                            None => break,
                        }
                    }
                    self.flush().await;
                    if let Some(end) = end {
                        return end;
                    }
                    if self.closed_rx {
                        // Nobody listens any more: leave politely.
                        cancel.cancel();
                    }
                }
                cmd = commands.recv(), if commands_open && closing.deadline.is_none() => match cmd {
                    None => { commands_open = false; cancel.cancel(); }
                    Some(Command::Close { code, reason }) => {
                        let frame = (code, truncate_reason(reason));
                        if let Err(e) = self.send_close(&mut ws, frame.clone()).await {
                            return End::Failed(e);
                        }
                        closing.local = Some(frame);
                        closing.deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
                    }
                    Some(cmd) => {
                        let (msg, frame) = match cmd {
                            Command::Text(t) => {
                                let t = Utf8Bytes::from(t);
                                (Message::Text(t.clone()), Frame::Text(t))
                            }
                            Command::Binary(b) => {
                                let b = Bytes::from(b);
                                (Message::Binary(b.clone()), Frame::Binary(b))
                            }
                            Command::Ping(p) => {
                                let p = Bytes::from(p);
                                (Message::Ping(p.clone()), Frame::Ping(p))
                            }
                            Command::Close { .. } => continue,
                        };
                        if let Err(e) = ws.send(msg).await {
                            return self.ended_with(e, closing);
                        }
                        self.emit(EventKind::Frame { dir: Direction::Out, frame }).await;
                    }
                },
            }
        }
    }

    /// Queues the events for one item from the socket; returns how the session ended, if it did.
    fn incoming(&mut self, item: Option<Result<Message, WsError>>, closing: &mut Closing) -> Option<End> {
        let msg = match item {
            Some(Ok(msg)) => msg,
            Some(Err(e)) => return Some(self.ended_with(e, std::mem::take(closing))),
            None => return Some(self.ended_with(WsError::ConnectionClosed, std::mem::take(closing))),
        };
        let frame = match msg {
            Message::Text(t) => Frame::Text(t),
            Message::Binary(b) => Frame::Binary(b),
            Message::Ping(p) => {
                self.push(EventKind::Frame { dir: Direction::In, frame: Frame::Ping(p.clone()) });
                // tungstenite answers pings by itself; show the pong it sends.
                Frame::Pong(p)
            }
            Message::Pong(p) => Frame::Pong(p),
            Message::Close(c) => {
                let c = c.map(|c| (u16::from(c.code), c.reason.to_string()));
                closing.remote = Some(c.clone().unwrap_or((1005, String::new())));
                self.go(Transition::CloseStarted);
                if closing.deadline.is_none() {
                    closing.deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
                }
                Frame::Close(c)
            }
            Message::Frame(_) => return None,
        };
        let dir = if matches!(frame, Frame::Pong(_)) && self.pending.last().is_some_and(is_ping_in) {
            Direction::Out
        } else {
            Direction::In
        };
        self.push(EventKind::Frame { dir, frame });
        None
    }

    async fn send_close(&mut self, ws: &mut Ws, (code, reason): (u16, String)) -> Result<(), ConnError> {
        self.go(Transition::CloseStarted);
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.clone().into() };
        match ws.close(Some(frame)).await {
            Ok(()) | Err(WsError::ConnectionClosed) | Err(WsError::AlreadyClosed) => {}
            Err(e) => return Err(classify_stream_error(e, &self.masker)),
        }
        self.emit(EventKind::Frame { dir: Direction::Out, frame: Frame::Close(Some((code, reason))) }).await;
        Ok(())
    }

    /// Turns the end of the stream into a clean close or a classified failure.
    fn ended_with(&self, e: WsError, closing: Closing) -> End {
        let (local, remote) = (closing.local, closing.remote);
        let clean = matches!(e, WsError::ConnectionClosed | WsError::AlreadyClosed);
        // After a close frame was exchanged, a dropped TCP connection is the normal end.
        let after_close = matches!(e, WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) | WsError::Io(_));
        match (local, remote) {
            // The server started the close (we answered it).
            (None, Some((code, reason))) if clean || after_close => End::Closed { code, reason, by: Closer::Remote },
            // We started it and the server answered (or just hung up).
            (Some((code, reason)), _) if clean || after_close => End::Closed { code, reason, by: Closer::Local },
            _ if clean => End::Failed(ConnError::new(
                FailureKind::Abnormal,
                "connection closed abnormally (1006): the server ended the connection without a close frame",
            )),
            _ => End::Failed(classify_stream_error(e, &self.masker)),
        }
    }
}

fn truncate_reason(mut reason: String) -> String {
    // A close frame's payload is at most 125 bytes: 2 for the code, 123 for the reason.
    while reason.len() > 123 {
        reason.pop();
    }
    reason
}

fn first_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Classifies an error during an open session.
fn classify_stream_error(e: WsError, masker: &Masker) -> ConnError {
    let text = masker.redact(&e.to_string());
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => ConnError::new(
            FailureKind::TooLarge,
            format!("message of {size} bytes exceeds the max message size of {max_size} bytes"),
        ),
        WsError::Capacity(c) => ConnError::new(FailureKind::TooLarge, format!("message too large: {c}")),
        WsError::Utf8(_) => {
            ConnError::new(FailureKind::Protocol, format!("protocol error: a text frame was not valid UTF-8 ({text})"))
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => ConnError::new(
            FailureKind::Abnormal,
            "connection closed abnormally (1006): the TCP connection was dropped without a close frame",
        ),
        WsError::Protocol(p) => {
            ConnError::new(FailureKind::Protocol, format!("protocol error: {}", masker.redact(&p.to_string())))
        }
        WsError::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            ) =>
        {
            ConnError::new(
                FailureKind::Abnormal,
                format!("connection closed abnormally (1006): {}", masker.redact(&io.to_string())),
            )
        }
        WsError::Tls(_) => ConnError::new(FailureKind::Tls, format!("TLS error: {text}")),
        _ => ConnError::new(FailureKind::Abnormal, format!("connection lost (1006): {text}")),
    }
}

fn is_ping_in(e: &Event) -> bool {
    matches!(e.kind, EventKind::Frame { dir: Direction::In, frame: Frame::Ping(_) })
}
