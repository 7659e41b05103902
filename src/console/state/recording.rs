//! A bounded in-memory copy of the events of a tab's current session, for "export as HAR" and
//! "save as script".
//!
//! Why not read the journal back: it holds every session of the console in one NDJSON spill
//! whose lines do not carry everything `har` needs (the handshake's headers as sent), and
//! re-parsing it would mean a second event format to keep in step. Frames are cheap to copy
//! here (their payloads are reference-counted bytes), and the copy is bounded like the log, so a
//! flood costs at most the log limit of frames; the connection events (handshake, open, close,
//! reconnects) are kept apart so the HAR always has its handshake.

use std::collections::VecDeque;

use wstab_core::connection::{Event, EventKind};

/// Connection events kept at most (a reconnect loop makes a few per attempt).
const MAX_CONNECTION_EVENTS: usize = 1_000;

/// The events of one session, in order, frames bounded.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// (order, event) of connection events.
    connection: VecDeque<(u64, Event)>,
    /// (order, event) of frames, the newest `limit`.
    frames: VecDeque<(u64, Event)>,
    next: u64,
    dropped: u64,
}

impl Recording {
    /// Forgets everything: a new session starts.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Keeps `event`, dropping the oldest frame beyond `limit` frames. O(1).
    pub fn push(&mut self, event: Event, limit: usize) {
        let (queue, cap) = match event.kind {
            EventKind::Frame { .. } => (&mut self.frames, limit.max(1)),
            _ => (&mut self.connection, MAX_CONNECTION_EVENTS),
        };
        if queue.len() >= cap {
            queue.pop_front();
            self.dropped += 1;
        }
        queue.push_back((self.next, event));
        self.next += 1;
    }

    /// How many events were dropped for the bound.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.connection.is_empty() && self.frames.is_empty()
    }

    /// The events kept, in the order they came. O(n).
    pub fn events(&self) -> Vec<Event> {
        let mut out = Vec::with_capacity(self.connection.len() + self.frames.len());
        let (mut c, mut f) = (self.connection.iter().peekable(), self.frames.iter().peekable());
        loop {
            let next = match (c.peek(), f.peek()) {
                (Some(a), Some(b)) => {
                    if a.0 < b.0 {
                        c.next()
                    } else {
                        f.next()
                    }
                }
                (Some(_), None) => c.next(),
                (None, Some(_)) => f.next(),
                (None, None) => break,
            };
            if let Some((_, e)) = next {
                out.push(e.clone());
            }
        }
        out
    }
}
