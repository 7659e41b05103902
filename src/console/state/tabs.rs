//! Tabs of independent sessions: each tab owns its session, log, Messages view, composer,
//! trace and counters, so two chat users can run side by side in one console.
//!
//! The shown tab lives in `App::tab` (the panes draw it and the key handlers edit it in place);
//! the others wait in `App::parked`. Events find their tab through the session registry
//! ([`super::sessions`]), so a session in a hidden tab keeps logging, and routing stays O(1) in
//! the log size.

use crate::console::message_log::LogStore;
use std::time::{Duration, SystemTime};
use wstab_core::connection::{ConnError, Direction, Event, EventKind, FailureKind, Frame, HandshakeTrace};

use wstab_core::catalog::EntryId;
use wstab_core::connection::{SessionId, SessionState};

use super::composer::Composer;
use super::latency::TabPairing;
use super::messages::MessagesView;
use super::recording::Recording;
use super::{App, Connection, Effect, Rate};

/// One tab: a session of its own and everything the panes show about it.
#[derive(Debug)]
pub struct Tab {
    /// Stable identity (tab-bar positions change as tabs close).
    pub id: u64,
    /// The catalog entry selected in **APIs** (none in an empty catalog); its draft is the
    /// request.
    pub selected: Option<EntryId>,
    /// **Message**.
    pub composer: Composer,
    /// **Messages**' entries.
    pub log: LogStore,
    /// **Messages**' view.
    pub messages: MessagesView,
    /// The tab's current connection, if one was started.
    pub connection: Option<Connection>,
    /// The last handshake, for the trace view.
    pub last_trace: Option<HandshakeTrace>,
    /// The last failure, for the status bar and the trace view.
    pub last_error: Option<ConnError>,
    /// The last handshake's policy trace, when a wstab gateway announced one.
    pub policy_trace: Option<super::policy_trace::PolicyTrace>,
    /// Messages per second, both ways.
    pub rate: Rate,
    /// Messages received while the tab was not shown (the tab bar marks them).
    pub unseen: u64,
    /// Request/reply and ping/pong pairing of the current session, with the latencies shown.
    pub pairing: TabPairing,
    /// The correlation pointer set with Ctrl-R for this tab: `Some(None)` cleared, `None` not
    /// set (the saved profile's `correlation` applies).
    pub correlation_override: Option<Option<String>>,
    /// The current session's events, for HAR export and "save as script".
    pub recording: Recording,
    /// Web PubSub `sequenceId`s received and not yet acknowledged (reliable subprotocol).
    pub acks: super::webpubsub::SequenceAcks,
    /// The `ackId` the next composed message with an `ackId` field is sent with.
    pub next_ack_id: u64,
}

/// A lost connection the reconnect supervisor is about to retry, as the status bar tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    /// 1 for the first retry since the last open connection.
    pub attempt: u32,
    /// How long the supervisor waits before this attempt.
    pub delay: Duration,
    /// When it said so (the event's time), to count the wait down from.
    pub since: SystemTime,
}

impl Reconnect {
    /// "reconnecting (attempt 2, in 1.0s)" while waiting, "reconnecting (attempt 2)" once the
    /// attempt is under way.
    pub fn describe(&self, now: SystemTime) -> String {
        let waited = now.duration_since(self.since).unwrap_or_default();
        match self.delay.checked_sub(waited).filter(|left| !left.is_zero()) {
            Some(left) => format!("reconnecting (attempt {}, in {:.1}s)", self.attempt, left.as_secs_f64()),
            None => format!("reconnecting (attempt {})", self.attempt),
        }
    }
}

/// What an event did to its tab that the console as a whole must react to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventOutcome {
    /// Nothing beyond the tab.
    Logged,
    /// The handshake was refused: the trace explains it.
    Refused,
}

impl Tab {
    /// An empty tab with nothing selected, keeping at most `log_limit` entries.
    pub fn new(id: u64, log_limit: usize) -> Self {
        Self {
            id,
            selected: None,
            composer: Composer::default(),
            log: LogStore::new(log_limit),
            messages: MessagesView::default(),
            connection: None,
            last_trace: None,
            last_error: None,
            policy_trace: None,
            rate: Rate::default(),
            unseen: 0,
            pairing: TabPairing::default(),
            correlation_override: None,
            recording: Recording::default(),
            acks: Default::default(),
            next_ack_id: 1,
        }
    }

    /// True while the tab's session is connecting or open.
    pub fn is_live(&self) -> bool {
        self.connection.as_ref().is_some_and(|c| matches!(c.state, SessionState::Connecting | SessionState::Open))
    }

    /// The connection state as the tab bar marks it: ● open, ◐ on the way, ○ none.
    pub fn state_mark(&self) -> &'static str {
        match self.connection.as_ref().map(|c| c.state) {
            Some(SessionState::Open) => "●",
            Some(SessionState::Connecting | SessionState::Closing) => "◐",
            _ => "○",
        }
    }

    /// Records one of the tab's events: the log row, the counters and the session's state.
    pub(super) fn on_event(&mut self, event: Event) -> EventOutcome {
        if matches!(event.kind, EventKind::Ended) {
            // No log row: the `Closed`/`Failed` just before it says how it ended. No retry is
            // coming any more.
            if let Some(conn) = self.connection.as_mut().filter(|c| c.id == event.session) {
                conn.reconnect = None;
                if !conn.state.is_terminal() {
                    conn.state = SessionState::Closed;
                }
            }
            return EventOutcome::Logged;
        }
        self.log.push_event(&event);
        self.messages.track(&self.log);
        if let EventKind::Frame { frame: f @ (Frame::Text(_) | Frame::Binary(_)), dir } = &event.kind {
            self.rate.record(event.at, f.len());
            if *dir == Direction::In {
                self.unseen += 1;
            }
        }
        let Some(conn) = self.connection.as_mut().filter(|c| c.id == event.session) else {
            // An earlier session of this tab (e.g. its late close): logged, nothing more.
            return EventOutcome::Logged;
        };
        if let EventKind::Frame { dir: Direction::In, frame: Frame::Text(_) } = &event.kind
            && conn.subprotocol.as_deref() == Some(super::webpubsub::RELIABLE_SUBPROTOCOL)
            && let Some(id) = self.log.last_seq().and_then(|s| self.log.get(s)).and_then(|e| e.sequence_id)
        {
            self.acks.received(id);
        }
        // Paired and recorded for the current session only, so stats and exports are its own.
        self.pairing.observe(&event, self.log.last_seq(), self.log.limit());
        if let EventKind::Frame { dir, frame } = &event.kind {
            if *dir == Direction::In && matches!(frame, Frame::Close(_)) {
                conn.state = SessionState::Closing;
            }
            // Moved, not cloned: a flood's frames cost the recording no reference count
            // traffic on the buffer the session is still reading into.
            self.recording.push(event, self.log.limit());
            return EventOutcome::Logged;
        }
        self.recording.push(event.clone(), self.log.limit());
        match event.kind {
            EventKind::Connecting { .. } => conn.state = SessionState::Connecting,
            EventKind::Handshake(trace) => {
                // Each handshake has its own trace (or none): never show the previous one's.
                self.policy_trace = super::policy_trace::PolicyTrace::announced_by(&trace);
                self.last_trace = Some(*trace);
            }
            EventKind::Opened { subprotocol, .. } => {
                conn.state = SessionState::Open;
                conn.reconnect = None;
                conn.subprotocol = subprotocol;
                conn.opened_at = Some(event.at);
                self.last_error = None;
            }
            // Handled above.
            EventKind::Frame { .. } => {}
            EventKind::Closed { .. } => conn.state = SessionState::Closed,
            EventKind::Failed(err) => {
                conn.state = SessionState::Failed;
                let refused = matches!(err.kind, FailureKind::HandshakeRefused { .. } | FailureKind::BadHandshake);
                self.last_error = Some(err);
                if refused {
                    return EventOutcome::Refused;
                }
            }
            // The supervisor connects again by itself; the log row says when, the status bar
            // counts down.
            EventKind::Reconnecting { attempt, delay, .. } => {
                conn.state = SessionState::Connecting;
                conn.reconnect = Some(Reconnect { attempt, delay, since: event.at });
            }
            EventKind::Ended => {}
        }
        EventOutcome::Logged
    }
}

impl App {
    /// The tabs in tab-bar order, with `true` on the shown one.
    pub fn tabs(&self) -> impl Iterator<Item = (bool, &Tab)> {
        let (before, after) = self.parked.split_at(self.active.min(self.parked.len()));
        before
            .iter()
            .map(|t| (false, t))
            .chain(std::iter::once((true, &self.tab)))
            .chain(after.iter().map(|t| (false, t)))
    }

    /// How many tabs there are (at least one).
    pub fn tab_count(&self) -> usize {
        self.parked.len() + 1
    }

    /// Ctrl-T: a new tab next to the shown one, on the same API, with no session yet.
    pub(super) fn new_tab(&mut self) {
        let mut tab = Tab::new(self.next_tab, self.tab.log.limit());
        self.next_tab += 1;
        tab.selected = self.tab.selected;
        let shown = std::mem::replace(&mut self.tab, tab);
        self.parked.insert(self.active.min(self.parked.len()), shown);
        self.active += 1;
        self.load_sample_message();
        let f5 = self.key_for(&crate::console::state::Intent::ToggleConnection);
        self.notice(format!("tab {} of {}: {f5} connects it", self.active + 1, self.tab_count()), false);
    }

    /// Ctrl-W: closes the shown tab, ending its session; the last tab stays. Asks first when
    /// a live connection or a message being written would be lost.
    pub(super) fn close_tab(&mut self) -> Option<Effect> {
        if self.parked.is_empty() {
            self.notice("this is the only tab (q quits)", true);
            return None;
        }
        let live = self.tab.connection.as_ref().is_some_and(|c| !c.state.is_terminal());
        let draft = self.has_draft();
        if live || draft {
            let lose = match (live, draft) {
                (true, true) => "its connection and the message being written",
                (true, false) => "its connection",
                _ => "the message being written",
            };
            let question = format!("Close tab {} and lose {lose}?", self.active + 1);
            self.ask(question, super::profiles::Pending::CloseTab);
            return None;
        }
        self.close_tab_now()
    }

    /// True when the composer holds text the user wrote (not the API's sample, not empty).
    fn has_draft(&self) -> bool {
        let text = self.tab.composer.editor.text();
        let sample = self.selected_entry().and_then(|e| e.sample_message());
        !text.trim().is_empty() && Some(text.as_str()) != sample
    }

    /// Closes the shown tab (there is another), ending its session.
    pub(super) fn close_tab_now(&mut self) -> Option<Effect> {
        if self.parked.is_empty() {
            return None;
        }
        // The tab on the right takes its place, or the one on the left at the end of the bar.
        let next = if self.active < self.parked.len() { self.active } else { self.active - 1 };
        let closed = std::mem::replace(&mut self.tab, self.parked.remove(next));
        self.active = next;
        self.tab.unseen = 0;
        self.modals.close_overlays();
        let live = closed.connection.as_ref().filter(|c| !c.state.is_terminal()).map(|c| c.id);
        // Its sessions' late events go to the journal only; the registry keeps them until they end.
        self.sessions.release_tab(closed.id);
        self.notice(format!("tab closed; tab {} of {}", self.active + 1, self.tab_count()), false);
        live.map(|session| Effect::Disconnect { session })
    }

    /// Alt-→ / Alt-←: shows the next or previous tab, wrapping around.
    pub(super) fn step_tab(&mut self, forward: bool) {
        let n = self.tab_count();
        if n == 1 {
            let new = self.key_for(&crate::console::state::Intent::NewTab);
            self.notice(format!("only one tab: {new} opens another"), false);
            return;
        }
        let to = if forward { (self.active + 1) % n } else { (self.active + n - 1) % n };
        self.show_tab(to);
    }

    /// The shown tab's reconnect in the user's words ("reconnecting (attempt 2, in 1.0s)"), while
    /// its session waits to connect again.
    pub fn reconnect_text(&self) -> Option<String> {
        let conn = self.tab.connection.as_ref().filter(|c| c.state == SessionState::Connecting)?;
        Some(conn.reconnect?.describe(self.now))
    }

    /// Shows the tab at bar position `to`.
    pub fn show_tab(&mut self, to: usize) {
        if to == self.active || to >= self.tab_count() {
            return;
        }
        // `parked` is the bar without the shown tab: bar position → parked index, and back.
        let incoming = self.parked.remove(if to < self.active { to } else { to - 1 });
        let outgoing = std::mem::replace(&mut self.tab, incoming);
        let back_at = if to < self.active { self.active - 1 } else { self.active };
        self.parked.insert(back_at, outgoing);
        self.active = to;
        self.tab.unseen = 0;
        // Its stats waited for a tick while hidden.
        self.tab.pairing.refresh();
        // Views opened on the other tab (its trace, one of its messages) do not apply here.
        self.modals.close_overlays();
    }

    /// The tab that owns `session`, shown or parked.
    pub(super) fn tab_of(&mut self, session: SessionId) -> Option<&mut Tab> {
        let id = self.sessions.owner(session)?;
        if self.tab.id == id {
            return Some(&mut self.tab);
        }
        self.parked.iter_mut().find(|t| t.id == id)
    }
}
