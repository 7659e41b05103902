//! The message log store: a bounded, filterable, searchable list of what happened in the console.
//!
//! Appending is O(1) and reading any slice of the (filtered) view is O(slice), so drawing cost
//! depends on what is visible, never on how much was logged. What falls off the front is counted
//! and reported; the full session lives in the [`journal`], which writes every event to disk.

pub mod journal;
pub mod ndjson;
pub mod spill;

use std::collections::VecDeque;
use std::time::SystemTime;

use wstab_core::connection::{Closer, ConnError, Direction, Event, EventKind, Frame, SessionId, Utf8Bytes};
use wstab_core::terminal_text::escape_one_line;

/// Default number of entries kept in memory.
pub const DEFAULT_LIMIT: usize = 10_000;

/// The longest one-line preview kept per entry, in characters; the detail view shows the rest.
const PREVIEW_CHARS: usize = 400;

/// What a log row is about: it picks the marker and which filters keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Connecting, handshake, opened.
    Connection,
    /// A text or binary message we sent.
    Sent,
    /// A text or binary message the server sent.
    Received,
    /// A ping or pong, either way.
    PingPong(Direction),
    /// A close frame, either way, or the end of the session.
    Close(Direction),
    /// A failure.
    Error,
    /// Web PubSub protocol chatter, either way: a `sequenceAck` (the console sends them itself on
    /// the reliable subprotocol) or a JSON `ping`/`pong`. Hidden by the "no chatter" filter.
    Chatter(Direction),
}

/// One row of the log, with everything the detail view needs.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in the whole session (never reused), the entry's stable id.
    pub seq: u64,
    /// The session it belongs to.
    pub session: SessionId,
    /// When it happened.
    pub at: SystemTime,
    /// What it is about.
    pub kind: EntryKind,
    /// A short name of the kind shown beside the marker (`text`, `json`, `binary`, `open`…).
    pub label: &'static str,
    /// Payload size in bytes (0 for connection events).
    pub size: usize,
    /// The full content for the detail view (the one-line preview is made from it when the row
    /// is drawn, so a flood costs no per-row formatting).
    pub body: Body,
    /// The `sequenceId` of a received Web PubSub data message (reliable subprotocol), shown on
    /// its row and acknowledged by the console.
    pub sequence_id: Option<u64>,
}

/// The full content of an entry.
#[derive(Debug, Clone)]
pub enum Body {
    /// Text (a text frame, a close reason, an error, a connection note); raw, not yet escaped.
    /// Shares the received frame's buffer.
    Text(Utf8Bytes),
    /// Bytes (a binary frame, a ping or pong payload).
    Binary(bytes::Bytes),
}

/// Which entries the Messages view keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Everything.
    #[default]
    All,
    /// Messages, pings and closes we sent.
    Sent,
    /// Messages, pings and closes the server sent.
    Received,
    /// Connecting, handshake, open, close.
    Connection,
    /// Failures.
    Errors,
    /// Everything but Web PubSub protocol chatter (`sequenceAck`, JSON ping/pong).
    NoChatter,
}

impl Filter {
    /// The next filter in the cycle the filter key walks through.
    pub fn next(self) -> Self {
        match self {
            Filter::All => Filter::Sent,
            Filter::Sent => Filter::Received,
            Filter::Received => Filter::Connection,
            Filter::Connection => Filter::Errors,
            Filter::Errors => Filter::NoChatter,
            Filter::NoChatter => Filter::All,
        }
    }

    /// The filter's name as the Messages title shows it.
    pub fn name(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Sent => "sent",
            Filter::Received => "received",
            Filter::Connection => "connection",
            Filter::Errors => "errors",
            Filter::NoChatter => "no chatter",
        }
    }

    /// Does the filter keep entries of `kind`?
    pub fn keeps(self, kind: EntryKind) -> bool {
        match self {
            Filter::All => true,
            Filter::Sent => matches!(
                kind,
                EntryKind::Sent
                    | EntryKind::PingPong(Direction::Out)
                    | EntryKind::Close(Direction::Out)
                    | EntryKind::Chatter(Direction::Out)
            ),
            Filter::Received => matches!(
                kind,
                EntryKind::Received
                    | EntryKind::PingPong(Direction::In)
                    | EntryKind::Close(Direction::In)
                    | EntryKind::Chatter(Direction::In)
            ),
            Filter::Connection => matches!(kind, EntryKind::Connection | EntryKind::Close(_)),
            Filter::Errors => kind == EntryKind::Error,
            Filter::NoChatter => !matches!(kind, EntryKind::Chatter(_)),
        }
    }

    const INDEXED: [Filter; 5] =
        [Filter::Sent, Filter::Received, Filter::Connection, Filter::Errors, Filter::NoChatter];
}

/// Messages and bytes one way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Text and binary messages.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

/// Counters shown under the Messages pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// What we sent.
    pub sent: Tally,
    /// What we received.
    pub received: Tally,
}

/// The bounded log: the newest `limit` entries, plus per-filter indexes so a filtered view is
/// as cheap to slice as the whole one.
#[derive(Debug)]
pub struct LogStore {
    limit: usize,
    entries: VecDeque<Entry>,
    /// Seqs of the entries each indexed filter keeps, in order (index = position in
    /// `Filter::INDEXED`).
    indexes: [VecDeque<u64>; 5],
    next_seq: u64,
    dropped: u64,
    counters: Counters,
}

impl LogStore {
    /// An empty log keeping at most `limit` entries in memory (at least 1).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            entries: VecDeque::new(),
            indexes: Default::default(),
            next_seq: 0,
            dropped: 0,
            counters: Counters::default(),
        }
    }

    /// How many entries are kept at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many older entries were dropped from view since the last clear.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Messages and bytes each way since the last clear.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Adds the log row for a connection event. O(1) (amortised).
    pub fn push_event(&mut self, event: &Event) {
        let (kind, label, size, body) = describe(&event.kind);
        if let EventKind::Frame { dir, frame: Frame::Text(_) | Frame::Binary(_) } = &event.kind {
            let tally = if *dir == Direction::Out { &mut self.counters.sent } else { &mut self.counters.received };
            tally.messages += 1;
            tally.bytes += size as u64;
        }
        self.push(event.session, event.at, kind, label, size, body);
        if let EventKind::Frame { dir: Direction::In, frame: Frame::Text(t) } = &event.kind
            && kind == EntryKind::Received
            && let Some(last) = self.entries.back_mut()
        {
            last.sequence_id = sequence_id_of(t);
        }
    }

    /// Adds a row.
    pub fn push(
        &mut self,
        session: SessionId,
        at: SystemTime,
        kind: EntryKind,
        label: &'static str,
        size: usize,
        body: Body,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        for (i, f) in Filter::INDEXED.iter().enumerate() {
            if f.keeps(kind) {
                self.indexes[i].push_back(seq);
            }
        }
        self.entries.push_back(Entry { seq, session, at, kind, label, size, body, sequence_id: None });
        while self.entries.len() > self.limit {
            if let Some(old) = self.entries.pop_front() {
                self.dropped += 1;
                for index in &mut self.indexes {
                    if index.front() == Some(&old.seq) {
                        index.pop_front();
                    }
                }
            }
        }
    }

    /// The seq of the newest row pushed (even if cleared since), `None` before the first.
    pub fn last_seq(&self) -> Option<u64> {
        self.next_seq.checked_sub(1)
    }

    /// Empties the view and resets the counters (the journal keeps the session).
    pub fn clear(&mut self) {
        self.entries.clear();
        for index in &mut self.indexes {
            index.clear();
        }
        self.dropped = 0;
        self.counters = Counters::default();
    }

    /// The entry with this seq, if still in memory. O(1).
    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let first = self.entries.front()?.seq;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.entries.get(i)
    }

    /// Number of entries the filter keeps.
    pub fn len(&self, filter: Filter) -> usize {
        match index_of(filter) {
            None => self.entries.len(),
            Some(i) => self.indexes[i].len(),
        }
    }

    /// True when the filter keeps nothing.
    pub fn is_empty(&self, filter: Filter) -> bool {
        self.len(filter) == 0
    }

    /// The seq at position `pos` of the filtered view. O(1).
    pub fn seq_at(&self, filter: Filter, pos: usize) -> Option<u64> {
        match index_of(filter) {
            None => self.entries.get(pos).map(|e| e.seq),
            Some(i) => self.indexes[i].get(pos).copied(),
        }
    }

    /// The position of `seq` in the filtered view, or of the first entry after it when the
    /// filter does not keep it (or it was dropped). O(log n).
    pub fn position(&self, filter: Filter, seq: u64) -> usize {
        match index_of(filter) {
            None => match self.entries.front() {
                None => 0,
                Some(first) => {
                    usize::try_from(seq.saturating_sub(first.seq)).unwrap_or(usize::MAX).min(self.entries.len())
                }
            },
            Some(i) => self.indexes[i].partition_point(|s| *s < seq),
        }
    }

    /// The entries at positions `start..start + count` of the filtered view. O(count).
    pub fn slice(&self, filter: Filter, start: usize, count: usize) -> impl Iterator<Item = &Entry> {
        (start..start.saturating_add(count)).map_while(move |pos| self.seq_at(filter, pos).and_then(|s| self.get(s)))
    }

    /// The nearest position at or after (or, `backwards`, at or before) `from` in the filtered
    /// view whose entry contains `query` (case-insensitive). A search the user starts, not a
    /// per-frame cost.
    pub fn find(&self, filter: Filter, query: &str, from: usize, backwards: bool) -> Option<usize> {
        let query = query.to_lowercase();
        if query.is_empty() {
            return None;
        }
        let len = self.len(filter);
        let hit = |pos: usize| {
            self.seq_at(filter, pos).and_then(|s| self.get(s)).is_some_and(|e| e.matches_lowercase(&query))
        };
        if backwards {
            (0..=from.min(len.saturating_sub(1))).rev().find(|p| hit(*p))
        } else {
            (from..len).find(|p| hit(*p))
        }
    }
}

impl Entry {
    /// One line, escaped so the terminal cannot interpret it, at most [`PREVIEW_CHARS`] chars
    /// (binary as hex). Made when the row is drawn.
    pub fn preview(&self) -> String {
        preview_of(&self.body)
    }

    /// Does the entry's label or content contain `query` (already lowercase)?
    pub fn matches_lowercase(&self, query: &str) -> bool {
        if self.label.contains(query) {
            return true;
        }
        match &self.body {
            Body::Text(t) => t.to_lowercase().contains(query),
            Body::Binary(_) => self.preview().contains(query),
        }
    }
}

fn index_of(filter: Filter) -> Option<usize> {
    Filter::INDEXED.iter().position(|f| *f == filter)
}

fn preview_of(body: &Body) -> String {
    match body {
        Body::Text(t) => {
            let cut: String = t.chars().take(PREVIEW_CHARS).collect();
            escape_one_line(&cut)
        }
        Body::Binary(b) => {
            let shown = b.len().min(PREVIEW_CHARS / 3);
            let mut s = hex::encode(&b[..shown]);
            if shown < b.len() {
                s.push('…');
            }
            s
        }
    }
}

/// The label of a Web PubSub protocol message that is chatter rather than data (`seq-ack`,
/// `wps-ping`, `wps-pong`), else `None`. Cheap for anything else: only short JSON objects whose
/// text starts with a `type` field are parsed.
pub fn chatter_label(text: &str) -> Option<&'static str> {
    let t = text.trim_start();
    if t.len() > 200 || !t.starts_with('{') || !t.contains("\"type\"") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow)]
        r#type: Option<&'a str>,
    }
    match serde_json::from_str::<Typed>(t).ok()?.r#type? {
        "sequenceAck" => Some("seq-ack"),
        "ping" => Some("wps-ping"),
        "pong" => Some("wps-pong"),
        _ => None,
    }
}

/// The top-level `sequenceId` of a received Web PubSub message (the reliable subprotocol numbers
/// every data message), else `None`. Parsed only when the text mentions it.
pub fn sequence_id_of(text: &str) -> Option<u64> {
    // Every received text frame comes here: what is not a JSON object is not searched.
    if !text.trim_start().starts_with('{') || !text.contains("\"sequenceId\"") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Numbered {
        #[serde(rename = "sequenceId")]
        sequence_id: Option<u64>,
    }
    serde_json::from_str::<Numbered>(text).ok()?.sequence_id
}

/// Is this text a JSON object or array (what gets the `json` label and highlighting)?
pub fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    // IgnoredAny validates without building the value: no allocation per message.
    (t.starts_with('{') || t.starts_with('[')) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

fn describe(kind: &EventKind) -> (EntryKind, &'static str, usize, Body) {
    match kind {
        EventKind::Connecting { url } => {
            (EntryKind::Connection, "connect", 0, Body::Text(format!("connecting to {url}").into()))
        }
        EventKind::Handshake(trace) => {
            let text = match &trace.response {
                Some(r) => format!("{} → HTTP {} {}", trace.request_line, r.status, r.reason),
                None => format!("{} → no response", trace.request_line),
            };
            (EntryKind::Connection, "handshake", 0, Body::Text(text.into()))
        }
        EventKind::Opened { subprotocol, elapsed } => {
            let proto = subprotocol.as_deref().map(|p| format!(", subprotocol {p}")).unwrap_or_default();
            let text = format!("connected in {} ms{proto}", elapsed.as_millis());
            (EntryKind::Connection, "open", 0, Body::Text(text.into()))
        }
        EventKind::Frame { dir, frame } => {
            let size = frame.len();
            match frame {
                Frame::Text(t) => {
                    if let Some(label) = chatter_label(t) {
                        return (EntryKind::Chatter(*dir), label, size, Body::Text(t.clone()));
                    }
                    let label = if looks_like_json(t) { "json" } else { "text" };
                    let kind = if *dir == Direction::Out { EntryKind::Sent } else { EntryKind::Received };
                    (kind, label, size, Body::Text(t.clone()))
                }
                Frame::Binary(b) => {
                    let kind = if *dir == Direction::Out { EntryKind::Sent } else { EntryKind::Received };
                    (kind, "binary", size, Body::Binary(b.clone()))
                }
                Frame::Ping(b) => (EntryKind::PingPong(*dir), "ping", size, Body::Binary(b.clone())),
                Frame::Pong(b) => (EntryKind::PingPong(*dir), "pong", size, Body::Binary(b.clone())),
                Frame::Close(c) => {
                    let text = match c {
                        Some((code, reason)) if reason.is_empty() => format!("close {code}"),
                        // The reason in brackets, so where the code ends and the reason begins
                        // reads the same in the row and in the detail view's title.
                        Some((code, reason)) => format!("close {code} [{reason}]"),
                        None => "close (no code)".to_string(),
                    };
                    (EntryKind::Close(*dir), "close", size, Body::Text(text.into()))
                }
            }
        }
        EventKind::Closed { code, reason, by } => {
            let who = match by {
                Closer::Local => "by us",
                Closer::Remote => "by the server",
            };
            let reason = if reason.is_empty() { String::new() } else { format!(": {reason}") };
            let dir = if *by == Closer::Local { Direction::Out } else { Direction::In };
            (EntryKind::Close(dir), "closed", 0, Body::Text(format!("disconnected {who} ({code}){reason}").into()))
        }
        EventKind::Failed(err) => (EntryKind::Error, "error", 0, Body::Text(error_text(err).into())),
        EventKind::Reconnecting { attempt, delay, after } => {
            let text = format!("reconnecting in {:.1}s (attempt {attempt}, after {after})", delay.as_secs_f64());
            (EntryKind::Connection, "reconnect", 0, Body::Text(text.into()))
        }
        // Not logged by the console (the `Closed`/`Failed` before it says how it ended), but
        // described in case a log is fed every event.
        EventKind::Ended => (EntryKind::Connection, "ended", 0, Body::Text("session ended".into())),
    }
}

fn error_text(err: &ConnError) -> String {
    format!("{}: {} (hint: {})", err.label(), err.message, err.hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wstab_core::connection::Utf8Bytes;

    fn frame(dir: Direction, text: &str) -> Event {
        Event::now(SessionId(1), EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(text.to_string())) })
    }

    #[test]
    fn test_bounded_log_counts_dropped_entries() {
        let mut log = LogStore::new(3);
        for i in 0..5 {
            log.push_event(&frame(Direction::In, &format!("m{i}")));
        }
        assert_eq!(log.len(Filter::All), 3);
        assert_eq!(log.dropped(), 2);
        let shown: Vec<_> = log.slice(Filter::All, 0, 10).map(|e| e.preview()).collect();
        assert_eq!(shown, ["m2", "m3", "m4"]);
        assert_eq!(log.counters().received, Tally { messages: 5, bytes: 10 });
    }

    #[test]
    fn test_filters_keep_their_kinds_and_drop_with_the_log() {
        let mut log = LogStore::new(4);
        log.push_event(&Event::now(SessionId(1), EventKind::Connecting { url: "ws://h".into() }));
        log.push_event(&frame(Direction::Out, "a"));
        log.push_event(&frame(Direction::In, "b"));
        log.push_event(&frame(Direction::Out, "c"));
        assert_eq!(log.len(Filter::Sent), 2);
        assert_eq!(log.len(Filter::Received), 1);
        assert_eq!(log.len(Filter::Connection), 1);
        log.push_event(&frame(Direction::In, "d"));
        assert_eq!(log.len(Filter::Connection), 0, "the connecting row fell off the front");
        let sent: Vec<_> = log.slice(Filter::Sent, 0, 9).map(|e| e.preview()).collect();
        assert_eq!(sent, ["a", "c"]);
        assert_eq!(log.position(Filter::Sent, 3), 1);
    }

    #[test]
    fn test_find_searches_both_ways() {
        let mut log = LogStore::new(10);
        for t in ["alpha", "beta", "Alphabet", "gamma"] {
            log.push_event(&frame(Direction::In, t));
        }
        assert_eq!(log.find(Filter::All, "ALPHA", 3, true), Some(2));
        assert_eq!(log.find(Filter::All, "alpha", 1, true), Some(0));
        assert_eq!(log.find(Filter::All, "alpha", 1, false), Some(2));
        assert_eq!(log.find(Filter::All, "zeta", 3, true), None);
    }

    #[test]
    fn test_preview_is_one_escaped_line() {
        let mut log = LogStore::new(10);
        log.push_event(&frame(Direction::In, "a\nb\x1b[2J"));
        let e = log.slice(Filter::All, 0, 1).next().unwrap();
        assert_eq!(e.preview(), "a\\nb\\x1b[2J");
    }
}
