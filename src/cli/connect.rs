//! `wstab connect`: the headless, scriptable face of the connection manager (like `wscat -c`).
//!
//! Received messages go to stdout (one per line, or one JSON object per event with `--json`);
//! status and errors go to stderr. Output is buffered and flushed once per batch of events, so a
//! flood on loopback is written in large chunks, never one syscall per message.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use base64::Engine;
use serde::Serialize;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use crate::cli::args::{BinaryFormat, ConnectArgs};
use crate::cli::exit::Exit;
use wstab_core::clock;
use wstab_core::connection::{self, Closer, Command, Direction, Event, EventKind, Frame, SessionId};
use wstab_core::connection::{ConnError, FailureKind, HandshakeTrace};
use wstab_core::pairing::Pairing;
use wstab_core::request::{
    BuiltRequest, ClientAccessUrl, Overrides, Purpose, RequestError, SavedRequestError, build_from_profile,
};
use wstab_core::terminal_text::escape_for_terminal;

/// How many event batches are taken from the channel at once (and written per flush).
const BATCH: usize = 64;
/// How many event batches the session may queue ahead of the output.
const QUEUED_BATCHES: usize = 4;
/// How long `--count` and `--wait` wait for the server's close reply before exiting anyway.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Why `wstab connect` cannot start: a usage error ([`Exit::Usage`]).
#[derive(Debug, thiserror::Error)]
pub enum ConnectSetupError {
    /// The profile or the flags do not make a request.
    #[error(transparent)]
    Request(#[from] SavedRequestError),
    /// `--wait` is not a number of seconds.
    #[error("invalid --wait {0}: expected a number of seconds")]
    Wait(f64),
}

/// Builds the session's target and options from the command line, over the profile when one is
/// named, through the one request builder.
pub fn request_from_args(args: &ConnectArgs) -> Result<BuiltRequest, ConnectSetupError> {
    if let Some(w) = args.wait
        && !(w.is_finite() && w >= 0.0)
    {
        return Err(ConnectSetupError::Wait(w));
    }
    let overrides = overrides_from_args(args).map_err(SavedRequestError::from)?;
    Ok(build_from_profile(args.profile.as_deref(), &overrides, Purpose::Connect)?)
}

/// What the flags lay over the profile's request: the request flags `wstab URL` shares, then
/// connect's own.
fn overrides_from_args(args: &ConnectArgs) -> Result<Overrides, RequestError> {
    Ok(Overrides {
        url: args.url.clone(),
        max_message_size: args.max_message_size,
        reconnect: args.reconnect,
        // Sent after every open, so again after each reconnect.
        on_connect: args.execute.clone(),
        correlation: args.correlate.clone(),
        ..args.request.overrides()?
    })
}

/// With `--access-token-from`: says on stderr that the token was taken (never the token), and
/// warns when the pasted URL is for another hub than the request's.
fn report_access_token(args: &ConnectArgs, request_url: &str) {
    let Some(pasted) = args.request.access_token_from.as_deref().and_then(|u| ClientAccessUrl::parse(u).ok()) else {
        return;
    };
    eprintln!("wstab connect: {}", pasted.note(std::time::SystemTime::now()));
    if let Some(warning) = pasted.hub_mismatch(request_url) {
        eprintln!("wstab connect: warning: {warning}");
    }
}

/// The demo started for a `--profile` with `gateway = "demo"`, if one had to be.
async fn demo_for(args: &ConnectArgs) -> anyhow::Result<Option<wstab_emulator::demo::Demo>> {
    let Some(name) = &args.profile else { return Ok(None) };
    // A profile that does not load is reported by the request builder.
    let Ok(profile) = wstab_core::profile::ProfileStore::open_default().load(name) else { return Ok(None) };
    crate::cli::demo::start_for_profile(&profile).await
}

/// Runs `wstab connect`; returns the exit code.
pub async fn run(args: ConnectArgs) -> Exit {
    // On a worker thread, not the thread that blocks on the runtime: a batch from the session
    // then wakes this loop in the same worker's next slot instead of unparking another thread
    // (a flood of 64 B frames: 1.77× → see benches/README.md).
    match tokio::spawn(run_on_worker(args)).await {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("wstab connect: {e}");
            Exit::Failed
        }
    }
}

async fn run_on_worker(args: ConnectArgs) -> Exit {
    // `gateway = "demo"`: the demo runs for as long as this session when none answers.
    let _demo = match demo_for(&args).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("wstab connect: cannot start the demo: {e:#}");
            return Exit::Usage;
        }
    };
    let BuiltRequest { target, session } = match request_from_args(&args) {
        Ok(built) => {
            report_access_token(&args, &built.target.url);
            built
        }
        Err(e) => {
            eprintln!("wstab connect: {e}");
            return Exit::Usage;
        }
    };
    let supervision = session.supervision();
    let mut pairing = session.correlation.as_ref().map(|p| Pairing::new(Some(p.clone())));
    let mut har_events: Option<Vec<Event>> = args.har.as_ref().map(|_| Vec::new());
    // Few batches in flight: a batch may hold a frame of many MiB, and the queue is the memory
    // a slow stdout lets pile up.
    let (tx, mut rx) = mpsc::channel(QUEUED_BATCHES);
    // The HAR file masks what the session's target calls secret (names marked with --secret or
    // in the profile, `${env:}` values), not only the well-known names.
    let har_masker = target.masker();
    let handle = connection::spawn_supervised(SessionId(1), target, supervision, tx);
    let stdout_is_tty = io::stdout().is_terminal();
    let mut out = Output {
        w: io::BufWriter::with_capacity(1 << 16, io::stdout()),
        json: args.json,
        binary_as: args.binary_as,
        escape: stdout_is_tty,
        broken: false,
        line: String::new(),
    };
    let stderr_tty = io::stderr().is_terminal();
    let mut received: u64 = 0;
    let wait = args.wait.map(Duration::from_secs_f64);
    let far = Duration::from_secs(86_400 * 365);
    let idle = tokio::time::sleep(far);
    tokio::pin!(idle);
    let (lines_tx, mut lines_rx) = mpsc::channel::<String>(256);
    let mut lines_tx = Some(lines_tx);
    let mut batch = Vec::with_capacity(BATCH);
    let mut code = None;
    // The exit code the last connection's end calls for; it becomes the exit code once the
    // session says it has ended (a reconnect may still follow a `Closed`/`Failed`).
    let mut last_end = None;
    let mut last_trace: Option<Box<HandshakeTrace>> = None;
    let mut ended = false;
    while code.is_none() {
        tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    // The session ended without a final event (it cannot, but be safe).
                    code = Some(Exit::Lost);
                    break;
                }
                for event in batch.drain(..).flatten() {
                    let paired = pairing.as_mut().and_then(|p| p.observe(&event));
                    if let Some(events) = har_events.as_mut() {
                        events.push(event.clone());
                    }
                    match &event.kind {
                        EventKind::Connecting { url } => {
                            if stderr_tty { eprintln!("connecting to {url}"); }
                        }
                        EventKind::Handshake(trace) => last_trace = Some(trace.clone()),
                        EventKind::Opened { subprotocol, elapsed } => {
                            let proto = subprotocol.as_deref().map(|p| format!(" (subprotocol {p})")).unwrap_or_default();
                            eprintln!("connected in {} ms{proto}", elapsed.as_millis());
                            // The -x messages are on-connect messages: the supervisor sent them.
                            if let Some(tx) = lines_tx.take()
                                && !io::stdin().is_terminal()
                            {
                                tokio::spawn(read_stdin_lines(tx));
                            }
                            if let Some(w) = wait {
                                idle.as_mut().reset(tokio::time::Instant::now() + w);
                            }
                        }
                        EventKind::Frame { dir, frame } => {
                            out.frame(&event, *dir, frame, paired.as_ref().map(|p| p.latency));
                            if *dir == Direction::In && matches!(frame, Frame::Text(_) | Frame::Binary(_)) {
                                received += 1;
                                if let Some(w) = wait {
                                    idle.as_mut().reset(tokio::time::Instant::now() + w);
                                }
                                if args.count.is_some_and(|n| received >= n) {
                                    code = Some(Exit::Ok);
                                    break;
                                }
                            }
                        }
                        EventKind::Closed { code: c, reason, by } => {
                            let who = if *by == Closer::Remote { "server" } else { "client" };
                            eprintln!("closed by {who}: {c}{}", if reason.is_empty() { String::new() } else { format!(" {reason}") });
                            last_end = Some(if *by == Closer::Local || matches!(c, 1000 | 1001 | 1005) { Exit::Ok } else { Exit::Lost });
                        }
                        EventKind::Failed(err) => {
                            report_failure(err, last_trace.as_deref());
                            last_end = Some(Exit::of_error(err));
                        }
                        EventKind::Ended => {
                            ended = true;
                            code = Some(last_end.unwrap_or(Exit::Lost));
                        }
                        EventKind::Reconnecting { attempt, delay, after } => {
                            eprintln!("reconnecting in {:.1}s (attempt {attempt}, after {after})", delay.as_secs_f64());
                        }
                    }
                    if out.broken {
                        code = Some(Exit::Ok);
                        break;
                    }
                }
                out.flush();
                if out.broken {
                    code = Some(Exit::Ok);
                }
            }
            line = lines_rx.recv() => {
                if let Some(line) = line {
                    handle.send(Command::Text(line));
                }
            }
            _ = &mut idle => {
                eprintln!("no message for {:.1}s: closing", wait.unwrap_or_default().as_secs_f64());
                code = Some(Exit::Ok);
            }
        }
    }
    out.flush();
    handle.cancel();
    if !ended {
        // `--count` reached or `--wait` idle: the session sends close 1000 now; wait for the
        // server's reply (the session gives up on its own after its close timeout), so the server
        // sees a clean close rather than a dropped connection.
        let closing = async {
            while let Some(events) = rx.recv().await {
                for event in events {
                    if let Some(events) = har_events.as_mut() {
                        events.push(event.clone());
                    }
                    match &event.kind {
                        EventKind::Closed { code: c, reason, .. } => {
                            eprintln!(
                                "closed: {c}{}",
                                if reason.is_empty() { String::new() } else { format!(" {reason}") }
                            );
                        }
                        EventKind::Ended => return,
                        _ => {}
                    }
                }
            }
        };
        if tokio::time::timeout(CLOSE_WAIT, closing).await.is_err() {
            eprintln!("no close reply within {}s", CLOSE_WAIT.as_secs());
        }
    }
    if let Some(p) = &pairing {
        eprintln!("latency: {}", p.summary());
    }
    if let (Some(path), Some(events)) = (&args.har, &har_events) {
        let har = wstab_core::export::har::from_events_masked(events, &har_masker);
        let bytes = serde_json::to_vec_pretty(&har).unwrap_or_default();
        // A bare file name has an empty parent, where no temporary file can be created.
        let path = if path.parent().is_some_and(|p| p.as_os_str().is_empty()) {
            std::path::Path::new(".").join(path)
        } else {
            path.clone()
        };
        if let Err(e) = wstab_core::profile::atomic_write(&path, &bytes) {
            eprintln!("wstab connect: cannot write the HAR file: {e}");
            return code.filter(|c| *c != Exit::Ok).unwrap_or(Exit::Failed);
        }
    }
    code.unwrap_or(Exit::Ok)
}

/// Prints a failure to stderr: the message, the handshake trace when the server refused or
/// botched the upgrade (request as sent, secrets masked; response status, headers and body), and
/// the hint.
fn report_failure(err: &ConnError, trace: Option<&HandshakeTrace>) {
    eprintln!("error: {}", escape_for_terminal(&err.message));
    if matches!(err.kind, FailureKind::HandshakeRefused { .. } | FailureKind::BadHandshake)
        && let Some(trace) = trace
    {
        eprint!("{}", escape_for_terminal(&trace.to_text()));
    }
    if !err.hint.is_empty() {
        eprintln!("hint: {}", err.hint);
    }
}

async fn read_stdin_lines(tx: mpsc::Sender<String>) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    // EOF or an error ends the reading, not the session.
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send(line).await.is_err() {
            break;
        }
    }
}

/// Where and how received events are printed.
struct Output<W: Write> {
    w: io::BufWriter<W>,
    json: bool,
    binary_as: BinaryFormat,
    /// Escape control characters: stdout is a terminal, which must never interpret what a server sent.
    escape: bool,
    /// Stdout was closed (e.g. `| head`): stop quietly.
    broken: bool,
    /// A binary frame's line, encoded; kept to be reused.
    line: String,
}

/// One `--json` line.
#[derive(Serialize)]
struct JsonEvent<'a> {
    ts: String,
    dir: &'static str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<std::borrow::Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    size: usize,
    /// Time since the request this reply (or pong) answers, with `--correlate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
}

impl<W: Write> Output<W> {
    fn encode_binary(&self, b: &[u8]) -> String {
        match self.binary_as {
            BinaryFormat::Hex => hex::encode(b),
            BinaryFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(b),
        }
    }

    fn frame(&mut self, event: &Event, dir: Direction, frame: &Frame, latency: Option<Duration>) {
        if self.broken {
            return;
        }
        let result = if self.json {
            let (data, encoding, code, reason) = match frame {
                Frame::Text(t) => (Some(std::borrow::Cow::Borrowed(t.as_str())), None, None, None),
                Frame::Binary(b) | Frame::Ping(b) | Frame::Pong(b) => {
                    let enc = match self.binary_as {
                        BinaryFormat::Hex => "hex",
                        BinaryFormat::Base64 => "base64",
                    };
                    (Some(std::borrow::Cow::Owned(self.encode_binary(b))), Some(enc), None, None)
                }
                Frame::Close(c) => (None, None, c.as_ref().map(|c| c.0), c.as_ref().map(|c| c.1.as_str())),
            };
            let line = JsonEvent {
                ts: clock::rfc3339(event.at),
                dir: if dir == Direction::In { "in" } else { "out" },
                kind: frame.kind_name(),
                data,
                encoding,
                code,
                reason,
                size: frame.len(),
                latency_ms: latency.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3),
            };
            serde_json::to_writer(&mut self.w, &line).map_err(io::Error::from).and_then(|()| self.w.write_all(b"\n"))
        } else if dir == Direction::In {
            match frame {
                Frame::Text(t) if self.escape => writeln!(self.w, "{}", escape_for_terminal(t.as_str())),
                Frame::Text(t) => self.w.write_all(t.as_bytes()).and_then(|()| self.w.write_all(b"\n")),
                Frame::Binary(b) => {
                    // Into one reused buffer: a fresh string per 1 MiB frame costs page faults.
                    let mut line = std::mem::take(&mut self.line);
                    line.clear();
                    match self.binary_as {
                        BinaryFormat::Hex => line.extend(b.iter().flat_map(|x| {
                            let d = b"0123456789abcdef";
                            [d[usize::from(x >> 4)] as char, d[usize::from(x & 15)] as char]
                        })),
                        BinaryFormat::Base64 => base64::engine::general_purpose::STANDARD.encode_string(b, &mut line),
                    }
                    line.push('\n');
                    let r = self.w.write_all(line.as_bytes());
                    self.line = line;
                    r
                }
                _ => Ok(()),
            }
        } else {
            Ok(())
        };
        if let Err(e) = result {
            self.on_error(e);
        }
    }

    fn flush(&mut self) {
        if !self.broken
            && let Err(e) = self.w.flush()
        {
            self.on_error(e);
        }
    }

    fn on_error(&mut self, e: io::Error) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("wstab connect: cannot write to stdout: {e}");
        }
        self.broken = true;
    }
}
