//! Auto-reconnect: a supervisor around [`spawn`] that connects again with exponential backoff
//! and jitter when a connection is lost, re-sends the on-connect messages after each (re)connect,
//! and refreshes credentials (e.g. a Web PubSub access token) before every attempt. On Web
//! PubSub's reliable subprotocol a reconnect recovers the same connection (its id and
//! reconnection token from `connected` go in the URL); when the hub refuses the recovery (1008),
//! the next attempt starts a new connection.
//!
//! It keeps the session's [`Event`] stream as it is and adds one event,
//! [`EventKind::Reconnecting`], right after the `Closed`/`Failed` event that ended a connection,
//! in the same batch. Once it decides not to retry (the end is final, the attempts ran out, or
//! the owner cancelled while it waited) it sends [`EventKind::Ended`], once, as the session's
//! last event: that, not a `Closed`/`Failed`, is what tells an owner to forget the session.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use tokio_util::sync::CancellationToken;

use super::error::{ConnError, FailureKind};
use super::event::{Closer, Direction, Event, EventBatch, EventKind, Frame, SessionId};
use super::recovery::{RELIABLE_SUBPROTOCOL, Recovery};
use super::session::{Command, SessionHandle, spawn, spawn_connection};
use super::target::Target;

/// When and how often a lost connection is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// The first delay.
    pub initial: Duration,
    /// The delay never grows beyond this.
    pub max: Duration,
    /// Each delay is multiplied by a random factor in `1 ± jitter` (0.2 = ±20 %), so many clients
    /// dropped at once by a gateway restart do not come back in lockstep.
    pub jitter: f64,
    /// Give up after this many attempts in a row without an open connection; `None` retries forever.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self { initial: Duration::from_millis(500), max: Duration::from_secs(30), jitter: 0.2, max_attempts: None }
    }
}

impl ReconnectPolicy {
    /// The delay before attempt `attempt` (1-based) without jitter: `initial · 2^(attempt-1)`,
    /// capped at `max`.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let factor = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        self.initial.mul_f64(factor).min(self.max)
    }

    /// The delay before attempt `attempt`, with jitter (still capped at `max`).
    pub fn delay(&self, attempt: u32) -> Duration {
        let j = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + j * (rand::random::<f64>() * 2.0 - 1.0);
        self.base_delay(attempt).mul_f64(factor).min(self.max)
    }
}

/// Prepares the target before every connection attempt, e.g. puts a fresh access token in it.
/// An error ends the session with that failure (retrying cannot fix a bad connection string).
pub type PrepareTarget = Arc<dyn Fn(&mut Target) -> Result<(), ConnError> + Send + Sync>;

/// What the supervisor does besides connecting.
#[derive(Clone, Default)]
pub struct Supervision {
    /// Reconnect when a connection is lost; `None` connects once, like [`spawn`].
    pub reconnect: Option<ReconnectPolicy>,
    /// Sent, in order, after every open (the first and each reconnect): joinGroup, subscribe….
    pub on_connect: Vec<Command>,
    /// Runs before every attempt (the first one too).
    pub prepare: Option<PrepareTarget>,
}

impl std::fmt::Debug for Supervision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervision")
            .field("reconnect", &self.reconnect)
            .field("on_connect", &self.on_connect.len())
            .field("prepare", &self.prepare.is_some())
            .finish()
    }
}

/// Should a connection that ended with this event be retried?
pub fn should_retry(kind: &EventKind) -> bool {
    match kind {
        // The server said goodbye on purpose (1000), or rejected our behaviour (1008): coming
        // back at once would be refused the same way. Everything else (1001 going away, 1006,
        // 1011 server error, 1012 restart…) is worth another try.
        EventKind::Closed { by: Closer::Remote, code, .. } => !matches!(code, 1000 | 1008),
        EventKind::Closed { by: Closer::Local, .. } => false,
        EventKind::Failed(err) => match err.kind {
            FailureKind::Dns
            | FailureKind::Refused
            | FailureKind::Timeout
            | FailureKind::Network
            | FailureKind::Abnormal => true,
            // A 4xx (401 bad key, 403 policy, 404 wrong suffix) will be refused again: retrying
            // is pointless. A 5xx (502 backend down, 503 busy) may pass later.
            FailureKind::HandshakeRefused { status } => status >= 500,
            FailureKind::InvalidRequest
            | FailureKind::Tls
            | FailureKind::BadHandshake
            | FailureKind::Protocol
            | FailureKind::TooLarge => false,
        },
        _ => false,
    }
}

/// Starts a supervised session for `target`: like [`spawn`], plus reconnects, on-connect
/// messages and credential refresh as `supervision` says.
pub fn spawn_supervised(
    id: SessionId,
    target: Target,
    supervision: Supervision,
    events: mpsc::Sender<EventBatch>,
) -> SessionHandle {
    // Nothing to supervise: a plain session, without the supervisor's extra hop per batch.
    if supervision.reconnect.is_none() && supervision.prepare.is_none() && supervision.on_connect.is_empty() {
        return spawn(id, target, events);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(supervise(id, target, supervision, events, rx, cancel.clone()));
    SessionHandle::new(id, tx, cancel, task)
}

async fn supervise(
    id: SessionId,
    base: Target,
    supervision: Supervision,
    events: mpsc::Sender<EventBatch>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    cancel: CancellationToken,
) {
    let mut attempt: u32 = 0;
    // The last reliable connection's id and token, while a reconnect may recover it.
    let mut recovery: Option<Recovery> = None;
    loop {
        let mut target = base.clone();
        if let Some(prepare) = &supervision.prepare
            && let Err(err) = prepare(&mut target)
        {
            end_session(id, &events, vec![Event::now(id, EventKind::Failed(err))]).await;
            return;
        }
        let recovering = recovery.is_some();
        if let Some(r) = &recovery {
            r.apply(&mut target);
        }
        let mut reliable = false;
        // Few batches: each may hold up to MAX_BATCH_BYTES or one large frame, and this queue
        // adds to the owner's in memory.
        let (inner_tx, mut inner_rx) = mpsc::channel::<EventBatch>(4);
        let session = spawn_connection(id, target, inner_tx, false);
        let mut commands_open = true;
        let mut cancel_sent = false;
        // How this connection ended, and the batch carrying that end (held back to append to).
        let ending: Option<(EventBatch, EventKind)> = loop {
            tokio::select! {
                batch = inner_rx.recv() => {
                    let Some(batch) = batch else { break None };
                    let mut end = None;
                    for e in &batch {
                        match &e.kind {
                            EventKind::Opened { subprotocol, .. } => {
                                attempt = 0;
                                reliable = subprotocol.as_deref() == Some(RELIABLE_SUBPROTOCOL);
                                for c in &supervision.on_connect {
                                    session.send(c.clone());
                                }
                            }
                            k @ (EventKind::Closed { .. } | EventKind::Failed(_)) => end = Some(k.clone()),
                            EventKind::Frame { dir: Direction::In, frame: Frame::Text(t) } if reliable => {
                                if let Some(r) = Recovery::from_connected(t) {
                                    recovery = Some(r);
                                }
                            }
                            _ => {}
                        }
                    }
                    match end {
                        Some(k) => break Some((batch, k)),
                        None => {
                            if events.send(batch).await.is_err() {
                                return; // nobody listens: dropping `session` cancels it
                            }
                        }
                    }
                }
                cmd = commands.recv(), if commands_open => match cmd {
                    Some(c) => { session.send(c); }
                    // The handle is gone: end the session politely.
                    None => { commands_open = false; cancel.cancel(); }
                },
                _ = cancel.cancelled(), if !cancel_sent => { cancel_sent = true; session.cancel(); }
            }
        };
        let Some((mut batch, end)) = ending else {
            // The connection's task stopped without a final event (it cannot): still say so.
            end_session(id, &events, Vec::new()).await;
            return;
        };
        // A refused recovery (the window passed, a bad token) is worth one more try as a new
        // connection, as the SDKs do.
        let recovery_refused = recovering
            && matches!(
                &end,
                EventKind::Closed { by: Closer::Remote, code: 1008, .. }
                    | EventKind::Failed(ConnError { kind: FailureKind::HandshakeRefused { .. }, .. })
            );
        if recovery_refused {
            recovery = None;
        }
        let policy = match &supervision.reconnect {
            Some(p) if !cancel.is_cancelled() && (should_retry(&end) || recovery_refused) => p,
            _ => {
                end_session(id, &events, batch).await;
                return;
            }
        };
        attempt += 1;
        if policy.max_attempts.is_some_and(|max| attempt > max) {
            end_session(id, &events, batch).await;
            return;
        }
        let delay = policy.delay(attempt);
        let after = match &end {
            EventKind::Failed(err) => err.label(),
            EventKind::Closed { code, .. } => format!("close {code}"),
            _ => String::new(),
        };
        batch.push(Event::now(id, EventKind::Reconnecting { attempt, delay, after }));
        if events.send(batch).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = cancel.cancelled() => {
                // The user disconnected while we waited: say the session is over.
                let closed = EventKind::Closed { code: 1000, reason: "reconnecting stopped".into(), by: Closer::Local };
                end_session(id, &events, vec![Event::now(id, closed)]).await;
                return;
            }
        }
        // Commands given while disconnected have nowhere to go.
        while commands.try_recv().is_ok() {}
    }
}

/// Sends the session's last batch: `batch` (the final `Closed`/`Failed`, if any) then `Ended`.
async fn end_session(id: SessionId, events: &mpsc::Sender<EventBatch>, mut batch: EventBatch) {
    batch.push(Event::now(id, EventKind::Ended));
    // Nobody listening any more is no error: the session is over either way.
    let _ = events.send(batch).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_backoff_doubles_from_half_a_second_to_the_cap() {
        let p = ReconnectPolicy::default();
        assert_eq!(p.base_delay(1), Duration::from_millis(500));
        assert_eq!(p.base_delay(2), Duration::from_secs(1));
        assert_eq!(p.base_delay(4), Duration::from_secs(4));
        assert_eq!(p.base_delay(7), Duration::from_secs(30));
        assert_eq!(p.base_delay(1000), Duration::from_secs(30));
        for _ in 0..200 {
            let d = p.delay(2).as_secs_f64();
            assert!((0.8..=1.2).contains(&d), "{d}");
            assert!(p.delay(50) <= Duration::from_secs(30));
        }
    }

    #[test]
    fn test_4xx_refusals_stop_and_network_failures_retry() {
        let failed = |kind| EventKind::Failed(ConnError::new(kind, "x"));
        assert!(!should_retry(&failed(FailureKind::HandshakeRefused { status: 401 })));
        assert!(should_retry(&failed(FailureKind::HandshakeRefused { status: 503 })));
        assert!(should_retry(&failed(FailureKind::Abnormal)));
        assert!(should_retry(&failed(FailureKind::Refused)));
        assert!(!should_retry(&failed(FailureKind::Tls)));
        let closed = |code, by| EventKind::Closed { code, reason: String::new(), by };
        assert!(should_retry(&closed(1006, Closer::Remote)));
        assert!(should_retry(&closed(1001, Closer::Remote)));
        assert!(!should_retry(&closed(1000, Closer::Remote)));
        assert!(!should_retry(&closed(1006, Closer::Local)));
    }
}
