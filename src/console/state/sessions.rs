//! The console's one session registry: it hands out session ids, knows which tab owns each
//! session, holds the running sessions' handles, and forgets a session only when the session
//! itself says [`EventKind::Ended`](wstab_core::connection::EventKind::Ended).
//!
//! It lives in the state, not in the runtime, because `update` allocates the id (the
//! [`super::Effect::Connect`] it returns names the session) and routes each event to its tab
//! without IO; the runtime only attaches the handle it spawned and looks handles up to send or
//! cancel. A `Closed`/`Failed` does not end an entry: under a reconnect supervisor the session
//! goes on, and dropping its handle there would cancel the reconnect.

use std::collections::BTreeMap;

use wstab_core::connection::{SessionHandle, SessionId};

/// What the registry keeps for one session that has not ended.
#[derive(Debug)]
struct Entry {
    /// The tab (by id) whose panes show the session; `None` once that tab was closed (the
    /// session is then ending, and its late events reach the journal only).
    tab: Option<u64>,
    /// The running session, once the runtime has spawned it.
    handle: Option<SessionHandle>,
}

/// Every session of the console that has not ended yet.
#[derive(Debug)]
pub struct SessionRegistry {
    next: u64,
    /// Ordered, not hashed: a console has a handful of sessions, and every event of a flood is
    /// routed through [`SessionRegistry::owner`], where a few comparisons cost less than SipHash.
    live: BTreeMap<SessionId, Entry>,
}

impl Default for SessionRegistry {
    fn default() -> Self {
        Self { next: 1, live: BTreeMap::new() }
    }
}

impl SessionRegistry {
    /// A new session for tab `tab`: its id, never handed out before.
    pub fn open(&mut self, tab: u64) -> SessionId {
        let id = SessionId(self.next);
        self.next += 1;
        self.live.insert(id, Entry { tab: Some(tab), handle: None });
        id
    }

    /// Keeps the handle of session `id`, spawned for an [`super::Effect::Connect`]. A session the
    /// registry no longer knows has nobody to show it: its handle is dropped, which cancels it.
    pub fn attach(&mut self, id: SessionId, handle: SessionHandle) {
        if let Some(entry) = self.live.get_mut(&id) {
            entry.handle = Some(handle);
        }
    }

    /// The running session `id`, to send to or cancel.
    pub fn handle(&self, id: SessionId) -> Option<&SessionHandle> {
        self.live.get(&id)?.handle.as_ref()
    }

    /// The tab that shows session `id`, if the session is alive and its tab still open.
    pub fn owner(&self, id: SessionId) -> Option<u64> {
        self.live.get(&id)?.tab
    }

    /// True until session `id` has said it ended.
    pub fn is_alive(&self, id: SessionId) -> bool {
        self.live.contains_key(&id)
    }

    /// How many sessions have not ended (their tabs open or not).
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// True when no session is alive.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Tab `tab` was closed: its sessions run to their end (their handles kept, so the close is
    /// a polite one), but no tab shows them any more.
    pub fn release_tab(&mut self, tab: u64) {
        for entry in self.live.values_mut().filter(|e| e.tab == Some(tab)) {
            entry.tab = None;
        }
    }

    /// Session `id` ended: forgets it and drops its handle.
    pub fn ended(&mut self, id: SessionId) {
        self.live.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ids_are_never_reused_and_remember_their_tab() {
        let mut r = SessionRegistry::default();
        let a = r.open(1);
        let b = r.open(2);
        r.ended(a);
        let c = r.open(1);
        assert!(a != b && b != c && a != c);
        assert_eq!((r.owner(a), r.owner(b), r.owner(c)), (None, Some(2), Some(1)));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn test_a_closed_tab_keeps_its_sessions_alive_until_they_end() {
        let mut r = SessionRegistry::default();
        let a = r.open(1);
        let b = r.open(2);
        r.release_tab(1);
        assert!(r.is_alive(a));
        assert_eq!(r.owner(a), None);
        assert_eq!(r.owner(b), Some(2));
        r.ended(a);
        assert!(!r.is_alive(a));
        assert!(r.is_alive(b));
    }

    #[test]
    fn test_nothing_is_attached_to_an_unknown_session() {
        let mut r = SessionRegistry::default();
        let a = r.open(1);
        assert!(r.handle(a).is_none(), "no handle before the runtime spawned it");
        r.ended(a);
        assert!(r.is_empty());
    }
}
