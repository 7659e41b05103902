//! One session's task: connect, relay commands out and frames in, close, and report every step
//! as an [`Event`].

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream, client_async_tls_with_config};
use tokio_util::sync::CancellationToken;

use super::error::{ConnError, FailureKind};
use super::event::{Closer, Direction, Event, EventKind, Frame, SessionId};
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

/// The owner's side of a running session. Dropping it cancels the session.
#[derive(Debug)]
pub struct SessionHandle {
    /// The session's id (as carried by its events).
    pub id: SessionId,
    commands: mpsc::UnboundedSender<Command>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl SessionHandle {
    /// Queues a command; false when the session has ended.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Ends the session: a close handshake when open, an abort while connecting.
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

/// How long we wait for the server's close frame after sending ours.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a session for `target` on the current tokio runtime. Events go to `events`; a slow
/// reader slows the session down (backpressure) rather than losing events.
pub fn spawn(id: SessionId, target: Target, events: mpsc::Sender<Event>) -> SessionHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let session = Session { id, events, masker: target.masker(), state: SessionState::Idle };
    let task = tokio::spawn(session.run(target, rx, cancel.clone()));
    SessionHandle { id, commands: tx, cancel, task }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Session {
    id: SessionId,
    events: mpsc::Sender<Event>,
    masker: Masker,
    state: SessionState,
}

/// How the frame loop ended.
enum End {
    Closed { code: u16, reason: String, by: Closer },
    Failed(ConnError),
}

impl Session {
    async fn emit(&self, kind: EventKind) -> bool {
        self.events.send(Event::now(self.id, kind)).await.is_ok()
    }

    fn go(&mut self, t: Transition) {
        if let Some(next) = self.state.next(t) {
            tracing::debug!(session = self.id.0, from = ?self.state, to = ?next, "session transition");
            self.state = next;
        }
    }

    async fn fail(&mut self, err: ConnError) {
        self.go(Transition::Error);
        tracing::info!(session = self.id.0, error = %err.message, "session failed");
        self.emit(EventKind::Failed(err)).await;
    }

    async fn run(mut self, target: Target, mut commands: mpsc::UnboundedReceiver<Command>, cancel: CancellationToken) {
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
                self.emit(EventKind::Closed { code: 1000, reason: "cancelled while connecting".into(), by: Closer::Local }).await;
                return;
            }
        };
        let (ws, subprotocol) = match opened {
            Ok(o) => o,
            Err(e) => return self.fail(e).await,
        };
        self.go(Transition::Upgraded);
        tracing::info!(session = self.id.0, ?subprotocol, "open");
        self.emit(EventKind::Opened { subprotocol, elapsed: started.elapsed() }).await;
        match self.frames(ws, &mut commands, &cancel).await {
            End::Closed { code, reason, by } => {
                self.go(Transition::Ended);
                tracing::info!(session = self.id.0, code, ?by, "closed");
                self.emit(EventKind::Closed { code, reason, by }).await;
            }
            End::Failed(e) => self.fail(e).await,
        }
    }

    /// DNS, TCP, TLS and the upgrade; emits the handshake trace whatever the outcome.
    async fn connect(&self, target: &Target) -> Result<(Ws, Option<String>), ConnError> {
        let request = target.request().map_err(|e| ConnError::new(FailureKind::InvalidRequest, e.to_string()))?;
        let mut trace = HandshakeTrace::from_request(&request, &self.masker);
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
        let connector = if tls {
            Connector::Rustls(client_config(&target.tls).map_err(|e| ConnError::new(FailureKind::Tls, e))?)
        } else {
            Connector::Plain
        };
        let config = WebSocketConfig::default()
            .max_message_size(target.max_message_size)
            .max_frame_size(target.max_message_size);
        match client_async_tls_with_config(request, tcp, Some(config), Some(connector)).await {
            Ok((ws, response)) => {
                let body = response.body().as_deref().unwrap_or_default();
                let reason = response.status().canonical_reason().unwrap_or("");
                trace.set_response(response.status().as_u16(), reason, response.headers(), body, &self.masker);
                let subprotocol = response
                    .headers()
                    .get(http::header::SEC_WEBSOCKET_PROTOCOL)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Ok((ws, subprotocol))
            }
            Err(WsError::Http(response)) => {
                let status = response.status();
                let body = response.body().as_deref().unwrap_or_default();
                trace.set_response(
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    response.headers(),
                    body,
                    &self.masker,
                );
                let body_text = trace.response.as_ref().map(|r| r.body.trim().to_string()).unwrap_or_default();
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                let mut message = format!("handshake refused: {shown} answered {status}");
                if !body_text.is_empty() {
                    message.push_str(&format!(": {}", first_chars(&body_text, 500)));
                }
                Err(ConnError::new(FailureKind::HandshakeRefused { status: status.as_u16() }, message))
            }
            Err(e) => {
                self.emit(EventKind::Handshake(Box::new(trace))).await;
                Err(classify_connect_error(e, &shown, &self.masker))
            }
        }
    }

    /// The open session: frames in, commands out, until it ends.
    async fn frames(
        &mut self,
        mut ws: Ws,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        cancel: &CancellationToken,
    ) -> End {
        // Set once we sent a close frame: then the session ends when the server answers, or
        // after CLOSE_TIMEOUT.
        let mut close_deadline: Option<tokio::time::Instant> = None;
        let mut local_close: Option<(u16, String)> = None;
        let mut remote_close: Option<(u16, String)> = None;
        let mut commands_open = true;
        loop {
            let deadline =
                close_deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365));
            tokio::select! {
                biased;
                _ = cancel.cancelled(), if close_deadline.is_none() => {
                    let frame = (1000u16, String::new());
                    if let Err(e) = self.send_close(&mut ws, frame.clone()).await {
                        return End::Failed(e);
                    }
                    local_close = Some(frame);
                    close_deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
                }
                _ = tokio::time::sleep_until(deadline), if close_deadline.is_some() => {
                    // The close handshake did not finish in time: end the session anyway, so a
                    // server that never answers or never hangs up cannot hold it open.
                    return match (local_close, remote_close) {
                        (Some((code, reason)), _) => End::Closed {
                            code,
                            reason: format!("{reason} (no close reply from the server in {}s)", CLOSE_TIMEOUT.as_secs()).trim().to_string(),
                            by: Closer::Local,
                        },
                        (None, Some((code, reason))) => End::Closed { code, reason, by: Closer::Remote },
                        (None, None) => End::Closed { code: 1006, reason: String::new(), by: Closer::Local },
                    };
                }
                msg = ws.next() => match msg {
                    Some(Ok(msg)) => {
                        let frame = match msg {
                            Message::Text(t) => Frame::Text(t),
                            Message::Binary(b) => Frame::Binary(b),
                            Message::Ping(p) => Frame::Ping(p),
                            Message::Pong(p) => Frame::Pong(p),
                            Message::Close(c) => {
                                let c = c.map(|c| (u16::from(c.code), c.reason.to_string()));
                                remote_close = Some(c.clone().unwrap_or((1005, String::new())));
                                self.go(Transition::CloseStarted);
                                if close_deadline.is_none() {
                                    close_deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
                                }
                                Frame::Close(c)
                            }
                            Message::Frame(_) => continue,
                        };
                        let is_ping = matches!(frame, Frame::Ping(_));
                        let payload = if let Frame::Ping(p) = &frame { Some(p.clone()) } else { None };
                        if !self.emit(EventKind::Frame { dir: Direction::In, frame }).await {
                            // Nobody listens any more: leave politely.
                            cancel.cancel();
                        }
                        if is_ping {
                            // tungstenite answers pings by itself; show the pong it sends.
                            self.emit(EventKind::Frame { dir: Direction::Out, frame: Frame::Pong(payload.unwrap_or_default()) }).await;
                        }
                    }
                    Some(Err(e)) => return self.ended_with(e, local_close, remote_close),
                    None => return self.ended_with(WsError::ConnectionClosed, local_close, remote_close),
                },
                cmd = commands.recv(), if commands_open && close_deadline.is_none() => match cmd {
                    None => { commands_open = false; cancel.cancel(); }
                    Some(Command::Close { code, reason }) => {
                        let frame = (code, truncate_reason(reason));
                        if let Err(e) = self.send_close(&mut ws, frame.clone()).await {
                            return End::Failed(e);
                        }
                        local_close = Some(frame);
                        close_deadline = Some(tokio::time::Instant::now() + CLOSE_TIMEOUT);
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
                            return self.ended_with(e, local_close, remote_close);
                        }
                        self.emit(EventKind::Frame { dir: Direction::Out, frame }).await;
                    }
                },
            }
        }
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
    fn ended_with(&self, e: WsError, local: Option<(u16, String)>, remote: Option<(u16, String)>) -> End {
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

/// Classifies an error during the TLS handshake or the HTTP upgrade (not a refusal status).
fn classify_connect_error(e: WsError, shown_url: &str, masker: &Masker) -> ConnError {
    let text = masker.redact(&e.to_string());
    match e {
        WsError::Tls(_) => ConnError::new(FailureKind::Tls, format!("TLS handshake with {shown_url} failed: {text}")),
        WsError::Io(io) => {
            // tokio-rustls reports certificate problems as InvalidData io errors wrapping rustls'.
            let is_tls = io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
                || io.kind() == io::ErrorKind::InvalidData;
            let detail = masker.redact(&io.to_string());
            if is_tls {
                ConnError::new(FailureKind::Tls, format!("TLS handshake with {shown_url} failed: {detail}"))
            } else {
                ConnError::new(
                    FailureKind::Network,
                    format!("connection to {shown_url} failed during the handshake: {detail}"),
                )
            }
        }
        WsError::Protocol(p) => ConnError::new(
            FailureKind::BadHandshake,
            format!("{shown_url} answered with an invalid WebSocket upgrade: {}", masker.redact(&p.to_string())),
        ),
        WsError::Url(u) => ConnError::new(FailureKind::InvalidRequest, masker.redact(&u.to_string())),
        _ => ConnError::new(FailureKind::BadHandshake, format!("handshake with {shown_url} failed: {text}")),
    }
}
