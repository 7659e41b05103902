//! Reliable connections outlive their sockets: when one drops, the connection is *parked*
//! (still in its groups, its mailbox still filling) for the recovery window; a reconnect with
//! `awps_connection_id` and the matching `awps_reconnection_token` takes it back. When the window
//! passes, the connection is removed for good and a late reconnect is refused.
//!
//! A reconnect can also arrive while the hub still holds the old socket (a half-open TCP
//! connection it has not noticed yet): the old socket's task is then asked to hand the
//! connection over, and closes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

use super::connection::LogicalConnection;
use super::room::Registry;

/// How long a dropped reliable connection waits to be recovered by default.
pub const DEFAULT_RECOVERY_WINDOW: Duration = Duration::from_secs(60);

/// How long a reconnect waits for the old socket's task to hand the connection over.
const HANDOVER_WAIT: Duration = Duration::from_secs(5);

/// A socket task's way to be asked for its connection: each request carries where to send it.
pub type Takeover = mpsc::UnboundedReceiver<oneshot::Sender<LogicalConnection>>;

/// Why a reconnect is refused (the `disconnected` message's text; the socket closes with 1008).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoverError {
    /// No such connection in this hub: never existed, closed, or its recovery window passed.
    #[error("the connection {0} cannot be recovered: it is closed or its recovery window has passed")]
    Gone(String),
    /// The token does not belong to the connection.
    #[error("the connection {0} cannot be recovered: invalid reconnection token")]
    BadToken(String),
    /// The old socket did not hand the connection over in time.
    #[error("the connection {0} cannot be recovered: it is still attached to another socket")]
    Busy(String),
}

enum State {
    Attached(mpsc::UnboundedSender<oneshot::Sender<LogicalConnection>>),
    Parked(Box<LogicalConnection>),
}

struct Slot {
    hub: String,
    token: String,
    /// Bumped by every attach, so a stale expiry timer or a superseded socket task knows.
    generation: u64,
    state: State,
}

/// An attachment of a connection to one socket.
pub struct Attachment {
    /// Which attachment this is (for [`Sessions::park`]).
    pub generation: u64,
    /// Where a later reconnect asks for the connection.
    pub takeover: Takeover,
}

/// The reliable connections of one hub server, attached or parked.
pub struct Sessions {
    slots: Mutex<HashMap<String, Slot>>,
    registry: Arc<Registry>,
    window: Duration,
}

impl Sessions {
    /// An empty table; parked connections are removed from `registry` when `window` passes.
    pub fn new(registry: Arc<Registry>, window: Duration) -> Self {
        Self { slots: Mutex::default(), registry, window }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Slot>) -> R) -> R {
        // A poisoned lock only means a connection task panicked; the table is still usable.
        let mut guard = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Records a new reliable connection, attached to its first socket.
    pub fn register(&self, hub: &str, id: &str, token: &str) -> Attachment {
        let (tx, takeover) = mpsc::unbounded_channel();
        let slot = Slot { hub: hub.into(), token: token.into(), generation: 0, state: State::Attached(tx) };
        self.with(|s| s.insert(id.to_string(), slot));
        Attachment { generation: 0, takeover }
    }

    /// Forgets a connection that ended for good (closed by either side).
    pub fn remove(&self, id: &str) {
        self.with(|s| s.remove(id));
    }

    /// The socket of `attachment` dropped: park the connection for the recovery window, or,
    /// if a reconnect has already superseded this socket, hand the connection to it.
    pub fn park(self: &Arc<Self>, conn: LogicalConnection, attachment: Attachment) {
        let Attachment { generation, mut takeover } = attachment;
        let id = conn.info.id.clone();
        let handover = self.with(|slots| match slots.get_mut(&id) {
            Some(slot) if slot.generation == generation => {
                slot.state = State::Parked(Box::new(conn));
                None
            }
            // Superseded: the reconnect queued its request before bumping the generation.
            _ => Some((conn, takeover.try_recv().ok())),
        });
        match handover {
            None => {
                let sessions = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(sessions.window).await;
                    sessions.expire(&id, generation);
                });
            }
            Some((conn, Some(to))) => {
                let _ = to.send(conn);
            }
            Some((conn, None)) => self.registry.remove(&conn.info.hub, &id),
        }
    }

    fn expire(&self, id: &str, generation: u64) {
        let expired = self.with(|slots| match slots.get(id) {
            Some(slot) if slot.generation == generation && matches!(slot.state, State::Parked(_)) => {
                slots.remove(id).map(|s| s.hub)
            }
            _ => None,
        });
        if let Some(hub) = expired {
            self.registry.remove(&hub, id);
        }
    }

    /// Takes connection `id` of `hub` back for a new socket, if `token` is its reconnection token.
    pub async fn recover(
        &self,
        hub: &str,
        id: &str,
        token: &str,
    ) -> Result<(LogicalConnection, Attachment), RecoverError> {
        enum Step {
            Ready(Box<LogicalConnection>, Attachment),
            Wait(oneshot::Receiver<LogicalConnection>, Attachment),
        }
        let step = self.with(|slots| {
            let slot = slots.get_mut(id).filter(|s| s.hub == hub).ok_or_else(|| RecoverError::Gone(id.into()))?;
            if !bool::from(slot.token.as_bytes().ct_eq(token.as_bytes())) {
                return Err(RecoverError::BadToken(id.into()));
            }
            let (tx, takeover) = mpsc::unbounded_channel();
            let previous = std::mem::replace(&mut slot.state, State::Attached(tx));
            slot.generation += 1;
            let attachment = Attachment { generation: slot.generation, takeover };
            match previous {
                State::Parked(conn) => Ok(Step::Ready(conn, attachment)),
                State::Attached(old) => {
                    let (give, receive) = oneshot::channel();
                    // If the old task is gone its request is simply dropped; the wait below fails.
                    let _ = old.send(give);
                    Ok(Step::Wait(receive, attachment))
                }
            }
        })?;
        match step {
            Step::Ready(conn, attachment) => Ok((*conn, attachment)),
            Step::Wait(receive, attachment) => match tokio::time::timeout(HANDOVER_WAIT, receive).await {
                Ok(Ok(conn)) => Ok((conn, attachment)),
                _ => {
                    if self.with(|s| s.remove(id)).is_some() {
                        self.registry.remove(hub, id);
                    }
                    Err(RecoverError::Busy(id.into()))
                }
            },
        }
    }
}

/// A fresh reconnection token: 256 random bits, hex.
pub fn new_token() -> String {
    format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>(),
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}
