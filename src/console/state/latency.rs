//! A tab's request/reply pairing as the console shows it: the [`Pairing`] fed by every event,
//! the latency of each paired reply keyed by its log row, and the stats the Messages pane draws.
//!
//! Stats are computed off the draw path (they sort the sample window): on the clock's tick, or
//! at once while there are few samples, so drawing stays O(visible rows).

use std::collections::VecDeque;
use std::time::Duration;

use wstab_core::connection::Event;
use wstab_core::pairing::{LatencyStats, Pairing};

/// Below this many paired replies the stats are recomputed on every pairing (cheap); above it,
/// on the next tick only, so a flood of replies does not sort the window per reply.
const EAGER_STATS: u64 = 512;

/// The pairing of a tab's current session and what it showed.
#[derive(Debug, Clone, Default)]
pub struct TabPairing {
    /// The pairing state (pointer, trackers, waiting requests).
    pub pairing: Pairing,
    /// (log seq, latency) of paired replies and pongs, oldest first, at most the log's limit.
    latencies: VecDeque<(u64, Duration)>,
    /// Requests ↔ replies stats as of the last refresh.
    pub replies: LatencyStats,
    /// Pings ↔ pongs stats as of the last refresh.
    pub pings: LatencyStats,
    stale: bool,
}

impl TabPairing {
    /// Pairing by `pointer` (`None`: pings and pongs only).
    pub fn new(pointer: Option<String>) -> Self {
        Self { pairing: Pairing::new(pointer), ..Self::default() }
    }

    /// Starts over for a new session with `pointer`, keeping the latencies shown on old rows.
    pub fn restart(&mut self, pointer: Option<String>) {
        self.pairing = Pairing::new(pointer);
        self.replies = LatencyStats::default();
        self.pings = LatencyStats::default();
        self.stale = false;
    }

    /// Takes an event already logged as row `seq`; `limit` bounds the rows remembered. O(1)
    /// amortised (plus the JSON parse of a text frame when a pointer is set).
    pub fn observe(&mut self, event: &Event, seq: Option<u64>, limit: usize) {
        let Some(paired) = self.pairing.observe(event) else { return };
        if let Some(seq) = seq {
            if self.latencies.len() >= limit.max(1) {
                self.latencies.pop_front();
            }
            self.latencies.push_back((seq, paired.latency));
        }
        let count = if paired.pong { self.pings.count } else { self.replies.count };
        if count < EAGER_STATS {
            self.refresh_now();
        } else {
            self.stale = true;
            // The count moves at once; the percentiles follow on the tick.
            if paired.pong {
                self.pings.count += 1;
            } else {
                self.replies.count += 1;
            }
        }
    }

    /// The latency shown on row `seq`, if it was a paired reply. O(log n).
    pub fn latency_of(&self, seq: u64) -> Option<Duration> {
        let i = self.latencies.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        self.latencies.get(i).map(|(_, d)| *d)
    }

    /// Recomputes the stats if a pairing came since the last time (on the clock's tick).
    pub fn refresh(&mut self) {
        if self.stale {
            self.refresh_now();
        }
    }

    fn refresh_now(&mut self) {
        self.replies = self.pairing.replies().stats();
        self.pings = self.pairing.pings().stats();
        self.stale = false;
    }
}
