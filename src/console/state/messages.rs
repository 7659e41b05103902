//! Where the **Messages** view is: follow mode or paused on a selected row, the filter and the
//! search. Positions are kept as entry seqs, so they stay put while new entries arrive and old
//! ones drop off the front.

use std::collections::VecDeque;

use crate::console::message_log::{Filter, LogStore};

/// The Messages view's state.
#[derive(Debug, Clone)]
pub struct MessagesView {
    /// Which entries are shown.
    pub filter: Filter,
    /// Paused: the selected entry's seq (follow mode when `None`: newest at the bottom).
    pub selected: Option<u64>,
    /// Seq of the first visible entry while paused.
    top: u64,
    /// The last search, for next/previous match.
    pub search: String,
    /// The search's matches in the filtered view, kept current as the log grows and drops.
    matches: Matches,
    /// The seq of the match the last search step went to.
    found: Option<u64>,
}

/// The seqs of the entries that match the search, oldest first, and how far the log has been
/// looked at: entries appended since are checked one by one ([`MessagesView::track`]), so the
/// count stays true while messages arrive without a rescan per frame.
#[derive(Debug, Clone, Default)]
struct Matches {
    seqs: VecDeque<u64>,
    /// The first seq not looked at yet (`None`: nothing looked at).
    next: Option<u64>,
}

/// What the view shows: the first visible position and the selected position, if paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Position (in the filtered view) of the first visible row.
    pub start: usize,
    /// Position of the selected row while paused.
    pub selected: Option<usize>,
}

impl Default for MessagesView {
    fn default() -> Self {
        Self {
            filter: Filter::All,
            selected: None,
            top: 0,
            search: String::new(),
            matches: Matches::default(),
            found: None,
        }
    }
}

impl MessagesView {
    /// True when following the newest entries.
    pub fn following(&self) -> bool {
        self.selected.is_none()
    }

    /// The visible window when `rows` rows fit (the layout says how many). O(log n).
    pub fn window(&self, log: &LogStore, rows: usize) -> Window {
        let len = log.len(self.filter);
        let rows = rows.max(1);
        let Some(sel) = self.selected_position(log) else {
            return Window { start: len.saturating_sub(rows), selected: None };
        };
        let mut start = log.position(self.filter, self.top).min(len.saturating_sub(rows));
        if sel < start {
            start = sel;
        } else if sel >= start + rows {
            start = sel + 1 - rows;
        }
        Window { start, selected: Some(sel) }
    }

    /// The selected position while paused.
    fn selected_position(&self, log: &LogStore) -> Option<usize> {
        let len = log.len(self.filter);
        self.selected.map(|sel| log.position(self.filter, sel).min(len.saturating_sub(1)))
    }

    /// The selected position, or the newest when following (what Enter opens).
    pub fn current(&self, log: &LogStore) -> Option<usize> {
        let len = log.len(self.filter);
        if len == 0 {
            return None;
        }
        Some(self.selected_position(log).unwrap_or(len - 1))
    }

    /// Moves the selection by `delta` rows of `rows` visible; moving past the newest resumes
    /// following.
    pub fn move_by(&mut self, log: &LogStore, delta: isize, rows: usize) {
        let len = log.len(self.filter);
        if len == 0 {
            self.selected = None;
            return;
        }
        let w = self.window(log, rows);
        let from = w.selected.unwrap_or(len);
        let to = from as isize + delta;
        if to >= len as isize {
            self.follow();
            return;
        }
        // The window moves with the selection, so a page key shows a new page.
        let start = (w.start as isize + delta).max(0) as usize;
        self.select(log, to.max(0) as usize, start, rows);
    }

    /// Selects position `pos` (pausing), keeping the window start when it stays visible.
    pub fn select(&mut self, log: &LogStore, pos: usize, start: usize, rows: usize) {
        let len = log.len(self.filter);
        if len == 0 {
            return;
        }
        let pos = pos.min(len - 1);
        let rows = rows.max(1);
        let mut start = start.min(pos).min(len.saturating_sub(rows));
        if pos >= start + rows {
            start = pos + 1 - rows;
        }
        self.selected = log.seq_at(self.filter, pos);
        self.top = log.seq_at(self.filter, start).unwrap_or(0);
    }

    /// Scrolls the window (the wheel): pauses, and keeps the selection within the window.
    pub fn scroll(&mut self, log: &LogStore, delta: isize, rows: usize) {
        let len = log.len(self.filter);
        if len == 0 {
            return;
        }
        let rows = rows.max(1);
        let w = self.window(log, rows);
        let max_start = len.saturating_sub(rows);
        let start = (w.start as isize + delta).clamp(0, max_start as isize) as usize;
        if delta > 0 && start == max_start {
            self.follow();
            return;
        }
        let sel = w.selected.unwrap_or(len - 1).clamp(start, start + rows - 1);
        self.selected = log.seq_at(self.filter, sel);
        self.top = log.seq_at(self.filter, start).unwrap_or(0);
    }

    /// Forgets the search (Esc in Messages): no term, no highlight, no count.
    pub fn clear_search(&mut self) {
        self.search.clear();
        self.matches = Matches::default();
        self.found = None;
    }

    /// Starts searching for `term`: counts its matches in the whole filtered view (once, when
    /// the user searches), with no match gone to yet.
    pub fn start_search(&mut self, log: &LogStore, term: String) {
        self.search = term;
        self.found = None;
        self.recount(log);
    }

    /// The gone-to match's number (0 before the first, or once it left the log) and how many
    /// matches the view holds (`3/17`), while there is a search. O(log n): drawing never scans.
    pub fn hits(&self) -> Option<(usize, usize)> {
        if self.search.is_empty() {
            return None;
        }
        let total = self.matches.seqs.len();
        let at = match self.found {
            Some(f) if self.matches.seqs.front().is_some_and(|first| *first <= f) => {
                self.matches.seqs.partition_point(|s| *s <= f)
            }
            _ => 0,
        };
        Some((at, total))
    }

    /// Brings the match count up to date after the log changed (entries appended, the oldest
    /// dropped at the limit, or all cleared): only the entries not looked at yet are checked.
    pub fn track(&mut self, log: &LogStore) {
        if self.search.is_empty() {
            return;
        }
        let first = log.seq_at(self.filter, 0);
        while self.matches.seqs.front().is_some_and(|s| first.is_none_or(|f| *s < f)) {
            self.matches.seqs.pop_front();
        }
        let query = self.search.to_lowercase();
        let from = self.matches.next.map_or(0, |next| log.position(self.filter, next));
        for pos in from..log.len(self.filter) {
            if let Some(seq) = log.seq_at(self.filter, pos)
                && log.get(seq).is_some_and(|e| e.matches_lowercase(&query))
            {
                self.matches.seqs.push_back(seq);
            }
        }
        self.matches.next = log.last_seq().map(|s| s + 1);
    }

    /// Counts the matches afresh (a new term or filter).
    fn recount(&mut self, log: &LogStore) {
        self.matches = Matches::default();
        self.track(log);
    }

    /// Back to following the newest entries.
    pub fn follow(&mut self) {
        self.selected = None;
    }

    /// Entries newer than the selection while paused.
    pub fn newer_than_selection(&self, log: &LogStore) -> usize {
        match self.selected_position(log) {
            Some(sel) => log.len(self.filter).saturating_sub(sel + 1),
            None => 0,
        }
    }

    /// Switches the filter, keeping the selected entry in view when the new filter keeps it.
    pub fn set_filter(&mut self, log: &LogStore, filter: Filter, rows: usize) {
        let keep = self.selected;
        self.filter = filter;
        self.recount(log);
        match keep {
            Some(seq) => {
                let pos = log.position(filter, seq);
                if pos >= log.len(filter) {
                    self.follow();
                } else {
                    self.select(log, pos, pos.saturating_sub(rows / 2), rows);
                }
            }
            None => self.follow(),
        }
    }

    /// Jumps to the next match of the search: older (`backwards`) or newer than the current row.
    /// False when nothing matches.
    pub fn find(&mut self, log: &LogStore, backwards: bool, include_current: bool, rows: usize) -> bool {
        let Some(cur) = self.current(log) else { return false };
        let from = match (backwards, include_current) {
            (_, true) => cur,
            (true, false) if cur == 0 => return false,
            (true, false) => cur - 1,
            (false, false) => cur + 1,
        };
        match log.find(self.filter, &self.search, from, backwards) {
            Some(pos) => {
                let start = pos.saturating_sub(rows / 2);
                self.select(log, pos, start, rows);
                self.found = log.seq_at(self.filter, pos);
                true
            }
            None => false,
        }
    }
}
