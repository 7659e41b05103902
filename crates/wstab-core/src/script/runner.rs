//! Runs a script against a live server: connect, then each step in order, printing each step's
//! result; the first failed expectation stops the run with the closest message and a diff.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::expect::{Expect, Outcome, line_diff, pretty};
use super::{DEFAULT_TIMEOUT, Script, Step};
use crate::connection::{self, Command, Event, EventBatch, EventKind, FailureKind, Frame, SessionId};
use crate::connection::{Direction, HandshakeTrace, Supervision};
use crate::request::{BuiltRequest, Overrides, Purpose, SavedRequestError, build_from_profile};
use crate::terminal_text::escape_for_terminal;

/// How a run ended; the application turns it into the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every step passed.
    Passed,
    /// The script cannot be read, or its request cannot be built.
    Unusable,
    /// An expectation failed: it timed out, or the next message did not match.
    ExpectationFailed,
    /// The connection failed, or ended before the script did: its class.
    Connection(FailureKind),
}

/// `wstab run FILE`: parses and runs the script, reporting to stdout.
pub async fn run_file(path: &Path) -> RunOutcome {
    let script = match super::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wstab run: {e}");
            return RunOutcome::Unusable;
        }
    };
    let mut out = std::io::stdout();
    run_script(&script, &mut out).await
}

/// What a script connects with: the profile's request (when it names one) with the script's URL,
/// query, headers and subprotocols over it, built by the one request builder.
pub fn request_of(script: &Script) -> Result<BuiltRequest, SavedRequestError> {
    let overrides = Overrides {
        url: script.url.clone(),
        query: script.query.clone(),
        headers: script.headers.clone(),
        subprotocols: script.subprotocols.clone(),
        ..Overrides::default()
    };
    build_from_profile(script.profile.as_deref(), &overrides, Purpose::Connect)
}

/// Runs a parsed script, writing each step's result to `out`.
pub async fn run_script(script: &Script, out: &mut dyn Write) -> RunOutcome {
    let BuiltRequest { target, session } = match request_of(script) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(out, "wstab run: {e}");
            return RunOutcome::Unusable;
        }
    };
    let default_timeout = script.timeout.map(Duration::from_secs_f64).unwrap_or(DEFAULT_TIMEOUT);
    let (tx, rx) = mpsc::channel(64);
    let _ = writeln!(out, "connecting to {}", target.display_url());
    let connect_deadline = Instant::now() + target.connect_timeout + Duration::from_secs(1);
    // Only the token refresh applies: a script's expectations would be muddled by reconnects
    // or on-connect messages it did not ask for.
    let supervision = Supervision { prepare: session.supervision().prepare, ..Supervision::default() };
    let handle = connection::spawn_supervised(SessionId(1), target, supervision, tx);
    let mut run = Runner { rx, inbox: VecDeque::new(), opened: false, ended: None, trace: None };
    while !run.opened && run.ended.is_none() {
        if !run.pump(connect_deadline).await {
            let _ = writeln!(out, "✗ connect: timed out");
            return RunOutcome::Connection(FailureKind::Timeout);
        }
    }
    if let Some(end) = run.ended.take() {
        let _ = writeln!(out, "✗ connect: {}", escape_for_terminal(&end.message));
        if let Some(trace) = &run.trace {
            let _ = write!(out, "{}", escape_for_terminal(&trace.to_text()));
        }
        if !end.hint.is_empty() {
            let _ = writeln!(out, "hint: {}", end.hint);
        }
        return RunOutcome::Connection(end.kind);
    }
    let _ = writeln!(out, "✓ connected");
    for (i, step) in script.steps.iter().enumerate() {
        let n = i + 1;
        let started = Instant::now();
        if let Err(outcome) = run.step(&handle, step, n, default_timeout, out).await {
            handle.cancel();
            return outcome;
        }
        if step.expect.is_some() {
            let _ = writeln!(out, "✓ step {n}: {} ({} ms)", step.describe(), started.elapsed().as_millis());
        } else {
            let _ = writeln!(out, "✓ step {n}: {}", step.describe());
        }
    }
    handle.cancel();
    // Let the close handshake finish, briefly: the server's log then shows a clean 1000.
    let deadline = Instant::now() + Duration::from_secs(2);
    while run.ended.is_none() && run.pump(deadline).await {}
    let _ = writeln!(out, "all {} steps passed", script.steps.len());
    RunOutcome::Passed
}

/// How the connection ended, for the report.
struct Ended {
    /// The class of the end: a close the script did not ask for counts as a lost connection.
    kind: FailureKind,
    message: String,
    hint: String,
}

struct Runner {
    rx: mpsc::Receiver<EventBatch>,
    /// Received messages not yet consumed by an `expect` (binary as hex).
    inbox: VecDeque<String>,
    opened: bool,
    ended: Option<Ended>,
    trace: Option<Box<HandshakeTrace>>,
}

impl Runner {
    /// Takes the next batch of events, or returns false at `deadline`.
    async fn pump(&mut self, deadline: Instant) -> bool {
        let batch = match tokio::time::timeout_at(deadline.into(), self.rx.recv()).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.ended.get_or_insert(Ended {
                    kind: FailureKind::Abnormal,
                    message: "the session ended".into(),
                    hint: String::new(),
                });
                return true;
            }
            Err(_) => return false,
        };
        for e in batch {
            self.take(e);
        }
        true
    }

    fn take(&mut self, e: Event) {
        match e.kind {
            EventKind::Opened { .. } => self.opened = true,
            EventKind::Handshake(t) => self.trace = Some(t),
            EventKind::Frame { dir: Direction::In, frame: Frame::Text(t) } => self.inbox.push_back(t.to_string()),
            EventKind::Frame { dir: Direction::In, frame: Frame::Binary(b) } => self.inbox.push_back(hex::encode(b)),
            EventKind::Closed { code, reason, .. } => {
                self.ended.get_or_insert(Ended {
                    kind: FailureKind::Abnormal,
                    message: format!(
                        "the connection closed ({code}{})",
                        if reason.is_empty() { String::new() } else { format!(" {reason}") }
                    ),
                    hint: String::new(),
                });
            }
            EventKind::Failed(err) => {
                self.ended.get_or_insert(Ended {
                    kind: err.kind.clone(),
                    message: err.message.clone(),
                    hint: err.hint.clone(),
                });
            }
            _ => {}
        }
    }

    async fn step(
        &mut self,
        handle: &connection::SessionHandle,
        step: &Step,
        n: usize,
        default_timeout: Duration,
        out: &mut dyn Write,
    ) -> Result<(), RunOutcome> {
        let sent = if let Some(t) = &step.send {
            Some(Command::Text(t.clone()))
        } else if let Some(v) = &step.send_json {
            Some(Command::Text(v.to_string()))
        } else {
            step.send_hex
                .as_ref()
                .map(|h| Command::Binary(hex::decode(h.split_whitespace().collect::<String>()).unwrap_or_default()))
        };
        if let Some(cmd) = sent {
            if self.ended.is_some() || !handle.send(cmd) {
                let _ = writeln!(out, "✗ step {n}: {}: the connection is closed", step.describe());
                return Err(self.lost());
            }
            return Ok(());
        }
        if let Some(secs) = step.sleep {
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            return Ok(());
        }
        let Some(expect) = &step.expect else { return Ok(()) };
        let timeout = expect.timeout.map(Duration::from_secs_f64).unwrap_or(default_timeout);
        let deadline = Instant::now() + timeout;
        let mut seen: Vec<(String, Outcome)> = Vec::new();
        loop {
            while let Some(m) = self.inbox.pop_front() {
                let outcome = expect.check(&m);
                if outcome.passed {
                    return Ok(());
                }
                seen.push((m, outcome));
                if !expect.skips() {
                    let _ = writeln!(out, "✗ step {n}: {}: the next message did not match", step.describe());
                    report(out, expect, &seen);
                    return Err(RunOutcome::ExpectationFailed);
                }
            }
            if let Some(end) = &self.ended {
                let _ = writeln!(out, "✗ step {n}: {}: {} before a match", step.describe(), end.message);
                report(out, expect, &seen);
                return Err(RunOutcome::Connection(end.kind.clone()));
            }
            if !self.pump(deadline).await {
                let _ = writeln!(
                    out,
                    "✗ step {n}: {}: timed out after {:.1}s ({} message(s) received, none matched)",
                    step.describe(),
                    timeout.as_secs_f64(),
                    seen.len()
                );
                report(out, expect, &seen);
                return Err(RunOutcome::ExpectationFailed);
            }
        }
    }

    fn lost(&self) -> RunOutcome {
        RunOutcome::Connection(self.ended.as_ref().map(|e| e.kind.clone()).unwrap_or(FailureKind::Abnormal))
    }
}

/// Prints the expectation, the closest message received and a diff.
fn report(out: &mut dyn Write, expect: &Expect, seen: &[(String, Outcome)]) {
    let _ = writeln!(out, "  expected ({}):", expect.describe());
    for l in expect.expected_text().lines() {
        let _ = writeln!(out, "    {l}");
    }
    // The message meeting the most conditions; among equals, the latest.
    let Some((msg, outcome)) = seen.iter().rev().max_by_key(|(_, o)| o.held) else {
        let _ = writeln!(out, "  received: nothing");
        return;
    };
    let whole = serde_json::from_str::<serde_json::Value>(msg).map(|v| pretty(&v)).unwrap_or_else(|_| msg.clone());
    let _ = writeln!(out, "  closest received message:");
    for l in escape_for_terminal(&whole).lines() {
        let _ = writeln!(out, "    {l}");
    }
    let actual = match &outcome.actual {
        Some(v) => pretty(v),
        None => format!("(nothing at {})", expect.pointer.as_deref().unwrap_or("")),
    };
    let _ = writeln!(out, "  diff (- expected, + received):");
    for l in escape_for_terminal(&line_diff(&expect.expected_text(), &actual)).lines() {
        let _ = writeln!(out, "    {l}");
    }
}
