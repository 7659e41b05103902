//! Who is connected to each hub, and which groups they are in.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;

/// One connected client as the registry sees it.
#[derive(Debug)]
pub struct Member {
    /// Where to queue messages for the client.
    pub tx: UnboundedSender<Message>,
    /// Speaks `json.webpubsub.azure.v1` (false: a simple client).
    pub json: bool,
    /// The groups it is in.
    pub groups: HashSet<String>,
    /// The user the token (or the upstream `connect` handler) named.
    pub user: Option<String>,
    /// The token's roles plus the permissions granted through the REST API.
    pub roles: HashSet<String>,
}

impl Member {
    /// Asks the connection to close with `reason` (the REST API's close calls): the connection
    /// task sees the Close frame in its queue and runs its closing steps.
    pub fn close(&self, reason: &str) {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
        // A close reason is at most 123 bytes; cut on a character boundary.
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let frame = CloseFrame { code: CloseCode::Normal, reason: reason[..end].to_string().into() };
        let _ = self.tx.send(Message::Close(Some(frame)));
    }
}

/// All connections of all hubs, keyed by hub then connection id.
#[derive(Debug, Default)]
pub struct Registry {
    hubs: Mutex<HashMap<String, HashMap<String, Member>>>,
    /// Groups users were added to through the REST API, keyed by hub then user: they apply to
    /// the user's connections now and to those it opens later, as the service's do.
    user_groups: Mutex<HashMap<String, HashMap<String, HashSet<String>>>>,
    /// Told when a (logical) connection is added or removed: the upstream `connected` and
    /// `disconnected` events.
    watcher: std::sync::OnceLock<Watcher>,
}

/// What a [`Watcher`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The connection joined the hub.
    Added,
    /// The connection left the hub (not a drop that may still be recovered).
    Removed,
}

/// The watcher's callback: hub, connection id, user, what changed.
pub type WatchFn = dyn Fn(&str, &str, Option<&str>, Change) + Send + Sync;

/// Called with the hub, the connection id, its user and what changed.
pub struct Watcher(pub Box<WatchFn>);

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watcher")
    }
}

impl Registry {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, HashMap<String, Member>>) -> R) -> R {
        // A poisoned lock only means another connection task panicked; the map is still usable.
        let mut guard = self.hubs.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn with_users<R>(&self, f: impl FnOnce(&mut HashMap<String, HashMap<String, HashSet<String>>>) -> R) -> R {
        let mut guard = self.user_groups.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Sets the one watcher told of added and removed connections (later calls are ignored).
    pub fn watch(&self, watcher: Watcher) {
        let _ = self.watcher.set(watcher);
    }

    /// Adds a connection (and puts it in the groups its user was added to).
    pub fn add(&self, hub: &str, id: &str, mut member: Member) {
        if let Some(user) = &member.user {
            let groups = self.with_users(|u| u.get(hub).and_then(|m| m.get(user)).cloned()).unwrap_or_default();
            member.groups.extend(groups);
        }
        let user = member.user.clone();
        self.with(|h| h.entry(hub.to_string()).or_default().insert(id.to_string(), member));
        if let Some(w) = self.watcher.get() {
            (w.0)(hub, id, user.as_deref(), Change::Added);
        }
    }

    /// Runs `f` on `hub`'s connections, keyed by connection id (an empty map for an unknown hub).
    pub fn with_hub<R>(&self, hub: &str, f: impl FnOnce(&mut HashMap<String, Member>) -> R) -> R {
        self.with(|h| {
            let conns = h.entry(hub.to_string()).or_default();
            let out = f(conns);
            if conns.is_empty() {
                h.remove(hub);
            }
            out
        })
    }

    /// Adds `user` to `group` (`true`) or removes it (`false`): its connections now and later.
    pub fn set_user_group(&self, hub: &str, user: &str, group: &str, member: bool) {
        self.with_users(|u| {
            let groups = u.entry(hub.to_string()).or_default().entry(user.to_string()).or_default();
            if member {
                groups.insert(group.to_string());
            } else {
                groups.remove(group);
            }
        });
        self.with_hub(hub, |conns| {
            for m in conns.values_mut().filter(|m| m.user.as_deref() == Some(user)) {
                if member {
                    m.groups.insert(group.to_string());
                } else {
                    m.groups.remove(group);
                }
            }
        });
    }

    /// Removes `user` from every group: its connections now and later.
    pub fn remove_user_from_all_groups(&self, hub: &str, user: &str) {
        self.with_users(|u| u.get_mut(hub).and_then(|m| m.remove(user)));
        self.with_hub(hub, |conns| {
            for m in conns.values_mut().filter(|m| m.user.as_deref() == Some(user)) {
                m.groups.clear();
            }
        });
    }

    /// Does connection `id` hold `role` for `group` (from its token or granted since)?
    pub fn has_role(&self, hub: &str, id: &str, role: &str, group: &str) -> bool {
        self.with(|h| {
            h.get(hub).and_then(|c| c.get(id)).is_some_and(|m| {
                m.roles
                    .iter()
                    .any(|r| r == role || r.strip_prefix(role).and_then(|s| s.strip_prefix('.')) == Some(group))
            })
        })
    }

    /// Removes a connection.
    pub fn remove(&self, hub: &str, id: &str) {
        let removed = self.with(|h| {
            let conns = h.get_mut(hub)?;
            let m = conns.remove(id);
            if conns.is_empty() {
                h.remove(hub);
            }
            m
        });
        if let (Some(m), Some(w)) = (removed, self.watcher.get()) {
            (w.0)(hub, id, m.user.as_deref(), Change::Removed);
        }
    }

    /// Puts a connection in or out of a group.
    pub fn set_group(&self, hub: &str, id: &str, group: &str, member: bool) {
        self.with(|h| {
            if let Some(m) = h.get_mut(hub).and_then(|c| c.get_mut(id)) {
                if member {
                    m.groups.insert(group.to_string());
                } else {
                    m.groups.remove(group);
                }
            }
        });
    }

    /// Queues `message` for every member of `group` (except `skip`).
    pub fn send_to_group(&self, hub: &str, group: &str, skip: Option<&str>, message: &Message) {
        self.with(|h| {
            for (id, m) in h.get(hub).into_iter().flatten() {
                if m.groups.contains(group) && skip != Some(id.as_str()) {
                    let _ = m.tx.send(message.clone());
                }
            }
        });
    }

    /// Queues `message` for every simple client of `hub` except `skip`.
    pub fn broadcast_simple(&self, hub: &str, skip: &str, message: &Message) {
        self.with(|h| {
            for (id, m) in h.get(hub).into_iter().flatten() {
                if !m.json && id != skip {
                    let _ = m.tx.send(message.clone());
                }
            }
        });
    }

    /// How many connections `hub` has.
    pub fn count(&self, hub: &str) -> usize {
        self.with(|h| h.get(hub).map_or(0, HashMap::len))
    }
}
