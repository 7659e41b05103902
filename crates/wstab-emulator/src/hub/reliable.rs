//! The reliable protocol's delivery side: every data message sent to a connection gets the next
//! `sequenceId` and is kept until the client's `sequenceAck` covers it, so a recovered
//! connection can be sent, in order, what the dropped socket may have lost.

use std::collections::VecDeque;

use serde_json::Value;

/// Unacknowledged data messages beyond this many end the connection, as the service ends a
/// subscriber that never acks (its memory is bounded too).
pub const MAX_UNACKED: usize = 10_000;

/// The numbered data messages of one connection id, across its sockets.
#[derive(Debug, Default)]
pub struct Outbox {
    last: u64,
    unacked: VecDeque<(u64, String)>,
}

impl Outbox {
    /// Numbers `message` (a data message) and keeps it until acked; returns the text to send.
    pub fn number(&mut self, mut message: Value) -> String {
        self.last += 1;
        message["sequenceId"] = Value::from(self.last);
        let text = message.to_string();
        self.unacked.push_back((self.last, text.clone()));
        text
    }

    /// The client has every message up to `sequence_id`. An ack beyond what was sent is clamped:
    /// it cannot acknowledge messages that do not exist yet.
    pub fn ack(&mut self, sequence_id: u64) {
        let upto = sequence_id.min(self.last);
        while self.unacked.front().is_some_and(|(id, _)| *id <= upto) {
            self.unacked.pop_front();
        }
    }

    /// What to send again after a recovery, oldest first.
    pub fn unacked(&self) -> impl Iterator<Item = &str> {
        self.unacked.iter().map(|(_, text)| text.as_str())
    }

    /// How many messages wait for an ack.
    pub fn len(&self) -> usize {
        self.unacked.len()
    }

    /// Nothing waits for an ack.
    pub fn is_empty(&self) -> bool {
        self.unacked.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str) -> u64 {
        serde_json::from_str::<Value>(text).unwrap()["sequenceId"].as_u64().unwrap()
    }

    #[test]
    fn test_sequence_ids_start_at_one_and_increase() {
        let mut out = Outbox::default();
        let a = out.number(serde_json::json!({"type": "message", "data": 1}));
        let b = out.number(serde_json::json!({"type": "message", "data": 2}));
        assert_eq!((seq(&a), seq(&b)), (1, 2));
    }

    #[test]
    fn test_ack_drops_everything_up_to_it_and_replay_keeps_order() {
        let mut out = Outbox::default();
        for n in 0..5 {
            out.number(serde_json::json!({"type": "message", "data": n}));
        }
        out.ack(2);
        let left: Vec<u64> = out.unacked().map(seq).collect();
        assert_eq!(left, vec![3, 4, 5]);
        out.ack(99);
        assert!(out.is_empty());
        // Numbering continues after a clamped ack.
        assert_eq!(seq(&out.number(serde_json::json!({"type": "message"}))), 6);
    }
}
