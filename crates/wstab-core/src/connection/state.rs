//! A session's life as a state machine: Idle → Connecting → Open → Closing → Closed, or Failed.

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Created, not started.
    Idle,
    /// DNS, TCP, TLS or the HTTP upgrade in progress.
    Connecting,
    /// Upgraded; frames flow both ways.
    Open,
    /// A close frame was sent or received; waiting for the other side.
    Closing,
    /// Ended with a close handshake (or a close code).
    Closed,
    /// Could not connect, or broke.
    Failed,
}

/// What moves a session from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Start connecting.
    Start,
    /// The server answered 101.
    Upgraded,
    /// A close frame was sent or received.
    CloseStarted,
    /// The close handshake finished / the connection ended after a close.
    Ended,
    /// Something went wrong (refused, timeout, protocol error, drop).
    Error,
    /// The user cancelled (disconnect before or while connecting).
    Cancel,
}

impl SessionState {
    /// The state after `t`, or `None` when `t` makes no sense here (the caller keeps the state).
    pub fn next(self, t: Transition) -> Option<SessionState> {
        use SessionState::*;
        use Transition::*;
        match (self, t) {
            (Idle, Start) => Some(Connecting),
            (Idle, Cancel) => Some(Closed),
            (Connecting, Upgraded) => Some(Open),
            (Connecting, Error) => Some(Failed),
            (Connecting, Cancel) => Some(Closed),
            (Open, CloseStarted) => Some(Closing),
            (Open, Ended) => Some(Closed),
            (Open, Error) => Some(Failed),
            (Open, Cancel) => Some(Closing),
            (Closing, Ended) | (Closing, Cancel) => Some(Closed),
            (Closing, Error) => Some(Failed),
            (Closing, CloseStarted) => Some(Closing),
            _ => None,
        }
    }

    /// True once the session can do nothing more.
    pub fn is_terminal(self) -> bool {
        matches!(self, SessionState::Closed | SessionState::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::SessionState::*;
    use super::Transition::*;
    use super::*;

    fn walk(path: &[Transition]) -> Vec<SessionState> {
        let mut s = Idle;
        let mut seen = vec![s];
        for t in path {
            s = s.next(*t).unwrap_or_else(|| panic!("{t:?} not allowed from {s:?}"));
            seen.push(s);
        }
        seen
    }

    #[test]
    fn test_life_cycle_clean_close() {
        assert_eq!(walk(&[Start, Upgraded, CloseStarted, Ended]), [Idle, Connecting, Open, Closing, Closed]);
    }

    #[test]
    fn test_life_cycle_server_drops_connection() {
        assert_eq!(walk(&[Start, Upgraded, Error]), [Idle, Connecting, Open, Failed]);
    }

    #[test]
    fn test_life_cycle_refused_handshake() {
        assert_eq!(walk(&[Start, Error]), [Idle, Connecting, Failed]);
    }

    #[test]
    fn test_life_cycle_cancelled_while_connecting() {
        assert_eq!(walk(&[Start, Cancel]), [Idle, Connecting, Closed]);
    }

    #[test]
    fn test_life_cycle_user_disconnects() {
        assert_eq!(walk(&[Start, Upgraded, Cancel, Ended]), [Idle, Connecting, Open, Closing, Closed]);
    }

    #[test]
    fn test_life_cycle_error_while_closing() {
        assert_eq!(walk(&[Start, Upgraded, CloseStarted, Error]), [Idle, Connecting, Open, Closing, Failed]);
    }

    #[test]
    fn test_terminal_states_accept_nothing() {
        for s in [Closed, Failed] {
            assert!(s.is_terminal());
            for t in [Start, Upgraded, CloseStarted, Ended, Error, Cancel] {
                assert_eq!(s.next(t), None);
            }
        }
        assert_eq!(Idle.next(Upgraded), None);
    }
}
