//! Where the **Messages** view is: follow mode or paused on a selected row, the filter and the
//! search. Positions are kept as entry seqs, so they stay put while new entries arrive and old
//! ones drop off the front.

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
    /// The selected match's number and the number of matches (`3/17`), as of the last search
    /// step.
    pub hits: Option<(usize, usize)>,
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
        Self { filter: Filter::All, selected: None, top: 0, search: String::new(), hits: None }
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
        self.hits = None;
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
                self.hits = Some(log.match_rank(self.filter, &self.search, pos));
                true
            }
            None => false,
        }
    }
}
