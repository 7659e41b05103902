//! The shown tab's connection as the console tracks it: F5 connects (through the one request
//! builder, asking first about an expired token) or disconnects, and commands go to the open
//! session; the status bar's state, uptime and rate.

use super::*;

/// The console's connection, as the status bar tells it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The session's id.
    pub id: SessionId,
    /// The catalog entry it was opened for (it may have been deleted since).
    pub entry: EntryId,
    /// Where it is in its life.
    pub state: SessionState,
    /// The negotiated subprotocol.
    pub subprotocol: Option<String>,
    /// When the server accepted the upgrade.
    pub opened_at: Option<SystemTime>,
    /// Set while the reconnect supervisor waits or tries again after a lost connection.
    pub reconnect: Option<tabs::Reconnect>,
}

/// Messages and bytes per second, counted in whole wall-clock seconds from event times.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    second: u64,
    /// `second` as times, [start, end): an event inside is counted with two comparisons, not a
    /// conversion of its time (every frame of a flood is counted here).
    span: (SystemTime, SystemTime),
    current: (u64, u64),
    previous: (u64, u64),
}

impl Default for Rate {
    fn default() -> Self {
        Self { second: 0, span: (SystemTime::UNIX_EPOCH, SystemTime::UNIX_EPOCH), current: (0, 0), previous: (0, 0) }
    }
}

impl Rate {
    pub(super) fn record(&mut self, at: SystemTime, bytes: usize) {
        if !(self.span.0 <= at && at < self.span.1) {
            let s = secs(at);
            if s != self.second {
                self.previous = if s == self.second + 1 { self.current } else { (0, 0) };
                self.current = (0, 0);
                self.second = s;
            }
            let start = SystemTime::UNIX_EPOCH + Duration::from_secs(s);
            self.span = (start, start + Duration::from_secs(1));
        }
        self.current.0 += 1;
        self.current.1 += bytes as u64;
    }

    /// Messages and bytes in the last whole second before `now` (zero once the stream stops).
    pub fn per_second(&self, now: SystemTime) -> (u64, u64) {
        let s = secs(now);
        if s == self.second {
            self.previous
        } else if s == self.second + 1 {
            self.current
        } else {
            (0, 0)
        }
    }
}

fn secs(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl App {
    pub(super) fn toggle_connection(&mut self) -> Option<Effect> {
        self.modals.close_questions();
        // F5 on an entry other than the session's: disconnect it, or connect the one shown?
        if self.ask_switch(switch_entry::SwitchFor::Connect) {
            return None;
        }
        if let Some(conn) =
            self.tab.connection.as_mut().filter(|c| matches!(c.state, SessionState::Connecting | SessionState::Open))
        {
            conn.state = SessionState::Closing;
            return Some(Effect::Disconnect { session: conn.id });
        }
        if self.tab.connection.as_ref().is_some_and(|c| c.state == SessionState::Closing) {
            self.notice("still disconnecting…", false);
            return None;
        }
        self.connect(true)
    }

    /// Starts a session for the selected API's request; with `check_expiry`, an expired token
    /// asks first.
    pub(super) fn connect(&mut self, check_expiry: bool) -> Option<Effect> {
        let Some(draft) = self.draft() else {
            self.notice("the workspace has no APIs", true);
            return None;
        };
        if let Some((table, i, row)) = draft.first_missing() {
            let what = if table == Table::Query { "query parameter" } else { "header" };
            let text = if row.is_disabled_required() {
                let toggle = self.key_for(&Intent::ToggleRow);
                format!("cannot connect: required {what} {} is disabled ({toggle} enables it)", row.param.name)
            } else {
                format!("cannot connect: required {what} {} is empty", row.param.name)
            };
            let flat = draft.flat(table, Some(i));
            if let Some(d) = self.draft_mut() {
                d.selected = flat;
                d.url_selected = false;
            }
            self.focus = Pane::Request;
            self.notice(text, true);
            return None;
        }
        let draft_request = draft.request();
        // On the demo chat a fresh token is minted for every connect: an old one does not matter.
        let minted = super::demo_chat::demo_chat_auth(&draft_request).is_some();
        if check_expiry
            && !minted
            && let Some(question) = token::expired_warning(draft, self.now)
        {
            self.ask(question, Pending::Connect);
            return None;
        }
        // The one request builder: `${env:NAME}` values (from saved profiles) are read now,
        // never stored resolved, and the profile's TLS, limits and secret names are kept.
        let built = build_target(&draft_request, &self.overrides, Purpose::Connect);
        let BuiltRequest { target, session: options } = match built {
            Ok(b) => b,
            Err(e) => {
                self.notice(format!("cannot connect: {e}"), true);
                return None;
            }
        };
        let entry = self.tab.selected?;
        let id = self.sessions.open(self.tab.id);
        self.tab.connection = Some(Connection {
            id,
            entry,
            state: SessionState::Connecting,
            subprotocol: None,
            opened_at: None,
            reconnect: None,
        });
        self.tab.last_error = None;
        // A new session is watched live, whatever row an earlier one was paused on.
        self.tab.messages.follow();
        let profile = self.session_profile(&draft_request);
        // Stats and exports are per session: the tab's pointer (Ctrl-R) wins over the profile's.
        let pointer = match &self.tab.correlation_override {
            Some(p) => p.clone(),
            None => options.correlation,
        };
        self.tab.pairing.restart(pointer);
        self.tab.recording.clear();
        Some(Effect::Connect { session: id, target: Box::new(target), profile })
    }

    pub(super) fn send(&mut self, command: CommandToSend) -> Option<Effect> {
        match self.open_session() {
            Some(session) => Some(Effect::Send { session, command }),
            None => {
                self.notice(
                    format!("not connected: press {} to connect", self.key_for(&Intent::ToggleConnection)),
                    true,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn test_rate_counts_whole_seconds_and_follows_the_clock_both_ways() {
        let mut rate = Rate::default();
        for ms in [100_000, 100_500, 100_999] {
            rate.record(at(ms), 10);
        }
        rate.record(at(101_000), 7);
        // The last whole second before 101.x is 100: three messages.
        assert_eq!(rate.per_second(at(101_200)), (3, 30));
        assert_eq!(rate.per_second(at(102_000)), (1, 7));
        // The clock stepped back a minute: a second of its own, nothing before it.
        rate.record(at(40_000), 5);
        assert_eq!(rate.per_second(at(40_500)), (0, 0));
        assert_eq!(rate.per_second(at(41_000)), (1, 5));
        // And on again: the whole second before counts.
        rate.record(at(41_500), 1);
        rate.record(at(41_999), 1);
        rate.record(at(42_000), 1);
        assert_eq!(rate.per_second(at(42_000)), (2, 2));
    }
}
