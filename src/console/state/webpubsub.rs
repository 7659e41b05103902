//! The console speaking Web PubSub's JSON subprotocols: on the reliable one it acknowledges
//! received data messages itself (`sequenceAck`, batched as the SDKs do), toggled with a key.

use std::time::{Duration, SystemTime};

use super::{App, CommandToSend, Effect};
use wstab_core::connection::SessionState;

/// The reliable JSON subprotocol: data messages carry a `sequenceId` the client acknowledges.
pub const RELIABLE_SUBPROTOCOL: &str = "json.reliable.webpubsub.azure.v1";

/// The shortest time between two acks of one session: a flood costs one ack per interval, not
/// one per message (the SDKs batch the same way).
pub const ACK_INTERVAL: Duration = Duration::from_millis(100);

/// A tab's sequence acknowledgements: the highest id received and not yet acked.
#[derive(Debug, Clone, Copy, Default)]
pub struct SequenceAcks {
    pending: Option<u64>,
    last_sent: Option<SystemTime>,
}

impl SequenceAcks {
    /// A data message with this `sequenceId` arrived.
    pub fn received(&mut self, id: u64) {
        self.pending = Some(self.pending.map_or(id, |p| p.max(id)));
    }

    /// The id to acknowledge now, if one waits and the last ack is at least [`ACK_INTERVAL`] old.
    fn due(&mut self, now: SystemTime) -> Option<u64> {
        let id = self.pending?;
        // A clock that stepped back never holds an ack for long: only a recent ack delays it.
        if let Some(last) = self.last_sent
            && now.duration_since(last).is_ok_and(|d| d < ACK_INTERVAL)
        {
            return None;
        }
        self.pending = None;
        self.last_sent = Some(now);
        Some(id)
    }

    /// Forgets what waits (the user turned acknowledging off).
    fn forget(&mut self) {
        self.pending = None;
    }
}

/// The `sequenceAck` message for `id`.
pub fn sequence_ack(id: u64) -> String {
    format!(r#"{{"type":"sequenceAck","sequenceId":{id}}}"#)
}

impl App {
    /// The acks due in every tab with an open session (called by the loop after each batch of
    /// events and on each tick, so an ack goes out when the stream pauses, at most every
    /// [`ACK_INTERVAL`] per session).
    pub fn due_acks(&mut self) -> Vec<Effect> {
        let now = self.now;
        let on = self.auto_ack;
        let tabs = std::iter::once(&mut self.tab).chain(self.parked.iter_mut());
        let mut effects = Vec::new();
        for tab in tabs {
            if !on {
                tab.acks.forget();
                continue;
            }
            let Some(session) = tab.connection.as_ref().filter(|c| c.state == SessionState::Open).map(|c| c.id) else {
                continue;
            };
            if let Some(id) = tab.acks.due(now) {
                effects.push(Effect::Send { session, command: CommandToSend::Text(sequence_ack(id)) });
            }
        }
        effects
    }

    /// The ack key: turns the console's own `sequenceAck`s on or off (for every tab).
    pub(super) fn toggle_auto_ack(&mut self) {
        self.auto_ack = !self.auto_ack;
        let text = if self.auto_ack {
            "sequenceAck on: received messages of the reliable subprotocol are acknowledged"
        } else {
            "sequenceAck off: the hub keeps every message unacknowledged (send acks from the composer)"
        };
        self.notice(text, false);
    }
}
