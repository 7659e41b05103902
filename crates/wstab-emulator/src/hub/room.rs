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
}

/// All connections of all hubs, keyed by hub then connection id.
#[derive(Debug, Default)]
pub struct Registry {
    hubs: Mutex<HashMap<String, HashMap<String, Member>>>,
}

impl Registry {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, HashMap<String, Member>>) -> R) -> R {
        // A poisoned lock only means another connection task panicked; the map is still usable.
        let mut guard = self.hubs.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Adds a connection.
    pub fn add(&self, hub: &str, id: &str, member: Member) {
        self.with(|h| h.entry(hub.to_string()).or_default().insert(id.to_string(), member));
    }

    /// Removes a connection.
    pub fn remove(&self, hub: &str, id: &str) {
        self.with(|h| {
            if let Some(conns) = h.get_mut(hub) {
                conns.remove(id);
                if conns.is_empty() {
                    h.remove(hub);
                }
            }
        });
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
