//! Request/reply pairing: a received message whose correlation field (a JSON pointer such as
//! `/ackId`) equals a sent message's is its reply; the time between them is a latency sample.
//! Pings pair with the pong carrying the same payload the same way.
//!
//! Pure state driven by [`Event`]s, so `wstab connect` and the console share it: feed every
//! event to [`Pairing::observe`], read [`Pairing::replies`] / [`Pairing::pings`] for the stats,
//! the sparkline history and the requests still waiting.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::connection::{Direction, Event, EventKind, Frame};

/// Samples kept for the percentiles: enough for stable p95 figures, bounded for a long soak.
pub const STATS_WINDOW: usize = 10_000;
/// Samples kept for the sparkline.
pub const HISTORY: usize = 120;
/// Requests kept waiting for a reply; the oldest is dropped (and counted) beyond this.
pub const MAX_WAITING: usize = 10_000;
/// How much of a request's text a waiting entry keeps, for display.
const PREVIEW_CHARS: usize = 80;

/// A request sent and not yet answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// The correlation value as compact JSON (`1`, `"abc"`), or the ping payload as text.
    pub key: String,
    /// When it was sent.
    pub sent_at: SystemTime,
    /// The start of the request's text.
    pub preview: String,
}

impl Waiting {
    /// How long it has waited by `now`.
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.sent_at).unwrap_or_default()
    }
}

/// p50/p95/max over the samples kept, and how many replies came in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencyStats {
    /// Replies paired since the start.
    pub count: u64,
    /// Median latency.
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
    /// Largest latency.
    pub max: Duration,
}

/// One kind of pairing: requests ↔ replies, or pings ↔ pongs.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    waiting: VecDeque<Waiting>,
    window: VecDeque<Duration>,
    history: VecDeque<Duration>,
    count: u64,
    max: Duration,
    dropped: u64,
}

impl Tracker {
    fn sent(&mut self, key: String, at: SystemTime, text: &str) {
        if self.waiting.len() >= MAX_WAITING {
            self.waiting.pop_front();
            self.dropped += 1;
        }
        let preview = match text.char_indices().nth(PREVIEW_CHARS) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_string(),
        };
        self.waiting.push_back(Waiting { key, sent_at: at, preview });
    }

    /// Pairs a reply with the oldest request of the same key; its latency when there was one.
    fn received(&mut self, key: &str, at: SystemTime) -> Option<Duration> {
        let i = self.waiting.iter().position(|w| w.key == key)?;
        let w = self.waiting.remove(i)?;
        let latency = at.duration_since(w.sent_at).unwrap_or_default();
        self.count += 1;
        self.max = self.max.max(latency);
        push_bounded(&mut self.window, latency, STATS_WINDOW);
        push_bounded(&mut self.history, latency, HISTORY);
        Some(latency)
    }

    /// p50/p95/max over the last [`STATS_WINDOW`] samples (max since the start).
    pub fn stats(&self) -> LatencyStats {
        let mut sorted: Vec<Duration> = self.window.iter().copied().collect();
        sorted.sort_unstable();
        LatencyStats {
            count: self.count,
            p50: percentile(&sorted, 50.0),
            p95: percentile(&sorted, 95.0),
            max: self.max,
        }
    }

    /// The last [`HISTORY`] latencies, oldest first: the sparkline's data.
    pub fn history(&self) -> impl Iterator<Item = Duration> + '_ {
        self.history.iter().copied()
    }

    /// The last latencies in whole milliseconds, ready for ratatui's `Sparkline`.
    pub fn sparkline_ms(&self) -> Vec<u64> {
        self.history.iter().map(|d| d.as_millis() as u64).collect()
    }

    /// Requests still waiting for a reply, oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = &Waiting> + '_ {
        self.waiting.iter()
    }

    /// How many requests are still waiting (including the ones dropped beyond [`MAX_WAITING`]).
    pub fn unanswered(&self) -> u64 {
        self.waiting.len() as u64 + self.dropped
    }
}

fn push_bounded(q: &mut VecDeque<Duration>, d: Duration, cap: usize) {
    if q.len() >= cap {
        q.pop_front();
    }
    q.push_back(d);
}

/// The nearest-rank percentile of sorted samples; zero when there are none.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A reply paired with its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paired {
    /// The correlation value (or ping payload).
    pub key: String,
    /// Time from the request to the reply.
    pub latency: Duration,
    /// A pong for a ping, rather than a reply to a message.
    pub pong: bool,
}

/// The pairing state of one session.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    pointer: Option<String>,
    replies: Tracker,
    pings: Tracker,
}

impl Pairing {
    /// Pairs by the JSON pointer `pointer` (e.g. `/ackId`); `None` pairs pings only.
    pub fn new(pointer: Option<String>) -> Self {
        Self { pointer: pointer.filter(|p| !p.is_empty()), ..Self::default() }
    }

    /// The correlation pointer, if any.
    pub fn pointer(&self) -> Option<&str> {
        self.pointer.as_deref()
    }

    /// Requests and their replies.
    pub fn replies(&self) -> &Tracker {
        &self.replies
    }

    /// Pings and their pongs.
    pub fn pings(&self) -> &Tracker {
        &self.pings
    }

    /// Takes one event; returns the pairing when it is a reply (or pong) to something sent.
    pub fn observe(&mut self, event: &Event) -> Option<Paired> {
        let EventKind::Frame { dir, frame } = &event.kind else { return None };
        match (dir, frame) {
            (Direction::Out, Frame::Ping(p)) => {
                let key = String::from_utf8_lossy(p).into_owned();
                self.pings.sent(key.clone(), event.at, &key);
                None
            }
            (Direction::In, Frame::Pong(p)) => {
                let key = String::from_utf8_lossy(p).into_owned();
                let latency = self.pings.received(&key, event.at)?;
                Some(Paired { key, latency, pong: true })
            }
            (Direction::Out, Frame::Text(t)) => {
                let key = self.key_of(t.as_str())?;
                self.replies.sent(key, event.at, t.as_str());
                None
            }
            (Direction::In, Frame::Text(t)) => {
                let key = self.key_of(t.as_str())?;
                let latency = self.replies.received(&key, event.at)?;
                Some(Paired { key, latency, pong: false })
            }
            _ => None,
        }
    }

    /// The correlation value of a text message, as compact JSON; `None` when the message is not
    /// JSON or has no (non-null) value there.
    pub fn key_of(&self, text: &str) -> Option<String> {
        let pointer = self.pointer.as_deref()?;
        // Cheap test first: most traffic in a flood is not JSON with this field.
        if !text.trim_start().starts_with(['{', '[']) {
            return None;
        }
        let v: Value = serde_json::from_str(text).ok()?;
        match v.pointer(pointer)? {
            Value::Null => None,
            x => Some(x.to_string()),
        }
    }

    /// `count 12, p50 3 ms, p95 9 ms, max 11 ms, unanswered 0`: the summary `connect` prints.
    pub fn summary(&self) -> String {
        let line = |t: &Tracker| {
            let s = t.stats();
            format!(
                "count {}, p50 {} ms, p95 {} ms, max {} ms, unanswered {}",
                s.count,
                s.p50.as_millis(),
                s.p95.as_millis(),
                s.max.as_millis(),
                t.unanswered()
            )
        };
        let mut out = format!("replies ({}): {}", self.pointer.as_deref().unwrap_or("-"), line(&self.replies));
        if self.pings.count > 0 || self.pings.unanswered() > 0 {
            out.push_str(&format!("; pings: {}", line(&self.pings)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{SessionId, Utf8Bytes};

    fn text(dir: Direction, t: &str, ms: u64) -> Event {
        Event {
            session: SessionId(1),
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
            kind: EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(t.to_string())) },
        }
    }

    #[test]
    fn test_reply_with_same_ack_id_is_paired_with_its_latency() {
        let mut p = Pairing::new(Some("/ackId".into()));
        assert_eq!(p.observe(&text(Direction::Out, r#"{"type":"joinGroup","ackId":1}"#, 1000)), None);
        assert_eq!(p.observe(&text(Direction::Out, r#"{"type":"sendToGroup","ackId":2}"#, 1001)), None);
        assert_eq!(p.replies().unanswered(), 2);
        let paired = p.observe(&text(Direction::In, r#"{"type":"ack","ackId":2}"#, 1011)).unwrap();
        assert_eq!((paired.key.as_str(), paired.latency), ("2", Duration::from_millis(10)));
        // A second reply with the same id has nothing left to pair with.
        assert_eq!(p.observe(&text(Direction::In, r#"{"type":"ack","ackId":2}"#, 1012)), None);
        let waiting: Vec<_> = p.replies().waiting().map(|w| w.key.clone()).collect();
        assert_eq!(waiting, ["1"]);
        assert_eq!(
            p.replies().waiting().next().unwrap().age(SystemTime::UNIX_EPOCH + Duration::from_secs(2)).as_millis(),
            1000
        );
    }

    #[test]
    fn test_percentiles_are_nearest_rank() {
        let mut p = Pairing::new(Some("/id".into()));
        for i in 1..=100u64 {
            p.observe(&text(Direction::Out, &format!(r#"{{"id":{i}}}"#), 0));
            p.observe(&text(Direction::In, &format!(r#"{{"id":{i}}}"#), i));
        }
        let s = p.replies().stats();
        assert_eq!((s.count, s.p50.as_millis(), s.p95.as_millis(), s.max.as_millis()), (100, 50, 95, 100));
        assert_eq!(p.replies().sparkline_ms().len(), 100);
    }

    #[test]
    fn test_non_json_and_missing_fields_are_not_paired() {
        let mut p = Pairing::new(Some("/ackId".into()));
        assert_eq!(p.observe(&text(Direction::Out, "hello", 0)), None);
        assert_eq!(p.observe(&text(Direction::Out, r#"{"x":1}"#, 0)), None);
        assert_eq!(p.replies().unanswered(), 0);
    }
}
