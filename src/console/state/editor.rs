//! A small text editor for the console's fields: one line (names, values, prompts) or many (the
//! Message composer). Positions are in chars, so any UTF-8 text edits safely; the cursor moves and
//! deletes by grapheme cluster (what a user sees as one character: `👨‍👩‍👧`, `é` written as `e` and a
//! combining accent), so an edit never leaves half a character behind.

use unicode_segmentation::UnicodeSegmentation;
use wstab_core::terminal_text::escape_for_terminal;

/// Text being edited, with a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    lines: Vec<String>,
    row: usize,
    col: usize,
    multi_line: bool,
}

impl Editor {
    /// An empty one-line editor.
    pub fn one_line(text: &str) -> Self {
        let mut e = Self { lines: vec![String::new()], row: 0, col: 0, multi_line: false };
        e.set_text(text);
        e
    }

    /// An empty multi-line editor.
    pub fn multi_line() -> Self {
        Self { lines: vec![String::new()], row: 0, col: 0, multi_line: true }
    }

    /// The whole text (lines joined with `\n`).
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The lines, for drawing.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Cursor line and column (in chars).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// True when there is no text.
    pub fn is_empty(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].is_empty()
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set_text(&mut self, text: &str) {
        // Loaded text is kept as it is (a value may end in a space); only line breaks are
        // dropped from a one-line field.
        let text = if self.multi_line { text.replace("\r\n", "\n") } else { text.replace(['\r', '\n'], "") };
        self.lines = text.split('\n').map(str::to_string).collect();
        self.row = self.lines.len() - 1;
        self.col = self.lines[self.row].chars().count();
    }

    /// Empties the editor.
    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// Inserts one character at the cursor (newlines only in a multi-line editor).
    pub fn insert_char(&mut self, c: char) {
        if c == '\n' {
            self.newline();
            return;
        }
        let at = byte_at(&self.lines[self.row], self.col);
        self.lines[self.row].insert(at, c);
        self.col += 1;
    }

    /// Inserts text (a paste, or a burst of typing) at the cursor; a one-line editor trims it and
    /// drops line breaks. Linear in the text's length: the cursor's byte offset is found once per
    /// line, not once per character (10,000 typed characters arrive as one insert).
    pub fn insert_str(&mut self, text: &str) {
        let text = if self.multi_line { text.replace("\r\n", "\n") } else { one_line(text) };
        let mut pieces = text.split('\n');
        if let Some(first) = pieces.next() {
            let at = byte_at(&self.lines[self.row], self.col);
            self.lines[self.row].insert_str(at, first);
            self.col += first.chars().count();
        }
        for piece in pieces {
            self.newline();
            let at = byte_at(&self.lines[self.row], self.col);
            self.lines[self.row].insert_str(at, piece);
            self.col += piece.chars().count();
        }
    }

    /// Splits the line at the cursor (multi-line only).
    pub fn newline(&mut self) {
        if !self.multi_line {
            return;
        }
        let at = byte_at(&self.lines[self.row], self.col);
        let rest = self.lines[self.row].split_off(at);
        self.row += 1;
        self.lines.insert(self.row, rest);
        self.col = 0;
    }

    /// Deletes the character (grapheme cluster) before the cursor, joining lines at the start of one.
    pub fn backspace(&mut self) {
        if self.col > 0 {
            let line = &mut self.lines[self.row];
            let start = previous_boundary(line, self.col);
            let range = byte_at(line, start)..byte_at(line, self.col);
            line.replace_range(range, "");
            self.col = start;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
            self.lines[self.row].push_str(&line);
        }
    }

    /// Deletes the character (grapheme cluster) under the cursor, joining the next line at the end
    /// of one.
    pub fn delete(&mut self) {
        let len = self.lines[self.row].chars().count();
        if self.col < len {
            let line = &mut self.lines[self.row];
            let end = next_boundary(line, self.col);
            let range = byte_at(line, self.col)..byte_at(line, end);
            line.replace_range(range, "");
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
        }
    }

    /// Moves the cursor one character (grapheme cluster) left (to the previous line's end at a line
    /// start).
    pub fn left(&mut self) {
        if self.col > 0 {
            self.col = previous_boundary(&self.lines[self.row], self.col);
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
        }
    }

    /// Moves the cursor one character (grapheme cluster) right (to the next line's start at a line
    /// end).
    pub fn right(&mut self) {
        if self.col < self.lines[self.row].chars().count() {
            self.col = next_boundary(&self.lines[self.row], self.col);
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    /// Deletes from the start of the line to the cursor (a shell's Ctrl-U); other lines stay.
    pub fn delete_to_line_start(&mut self) {
        let line = &mut self.lines[self.row];
        let end = byte_at(line, self.col);
        line.replace_range(..end, "");
        self.col = 0;
    }

    /// Moves to the start of the line.
    pub fn home(&mut self) {
        self.col = 0;
    }

    /// Moves to the end of the line.
    pub fn end(&mut self) {
        self.col = self.lines[self.row].chars().count();
    }

    /// Moves up a line; false when already on the first (the caller may recall history).
    pub fn up(&mut self) -> bool {
        if self.row == 0 {
            return false;
        }
        self.row -= 1;
        self.col = boundary_at_or_before(&self.lines[self.row], self.col);
        true
    }

    /// Moves down a line; false when already on the last.
    pub fn down(&mut self) -> bool {
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.row += 1;
        self.col = boundary_at_or_before(&self.lines[self.row], self.col);
        true
    }

    /// Moves up a row of the text as drawn `width` columns wide (a long line wraps over rows),
    /// keeping the cursor's column on screen; false on the first row of the first line.
    pub fn up_row(&mut self, width: usize) -> bool {
        let here = Drawn::new(&self.lines[self.row], width);
        let (r, x) = here.place(self.col);
        if r > 0 {
            self.col = here.col_at(&self.lines[self.row], r - 1, x);
            return true;
        }
        if self.row == 0 {
            return false;
        }
        self.row -= 1;
        let above = Drawn::new(&self.lines[self.row], width);
        // The row of a cursor at the end of a full line is drawn only while the cursor is on
        // it: coming up from the line below, the last row drawn is the one before it.
        let last = if above.cursor_row { above.rows.len() - 2 } else { above.rows.len() - 1 };
        self.col = above.col_at(&self.lines[self.row], last, x);
        true
    }

    /// Moves down a row of the text as drawn `width` columns wide; false on the last row of the
    /// last line.
    pub fn down_row(&mut self, width: usize) -> bool {
        let here = Drawn::new(&self.lines[self.row], width);
        let (r, x) = here.place(self.col);
        if r + 1 < here.rows.len() {
            self.col = here.col_at(&self.lines[self.row], r + 1, x);
            return true;
        }
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.row += 1;
        let below = Drawn::new(&self.lines[self.row], width);
        self.col = below.col_at(&self.lines[self.row], 0, x);
        true
    }
}

/// Pasted or loaded text for a one-line field: surrounding whitespace trimmed, line breaks inside
/// dropped (a token wrapped by a terminal or an editor still arrives whole).
pub fn one_line(text: &str) -> String {
    text.trim().chars().filter(|c| *c != '\n' && *c != '\r').collect()
}

/// The byte ranges of `text`'s rows when wrapped to `width` columns, as the composer draws them:
/// at least one. A row ends after a space where it can; only a word longer than the row is
/// split, and never inside a grapheme cluster.
fn wrap_points(text: &str, width: usize) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let (mut start, mut used) = (0, 0);
    // Where the row could end after a space, and the width up to there.
    let mut space: Option<(usize, usize)> = None;
    for (at, g) in text.grapheme_indices(true) {
        let w = display_width(g);
        let blank = g.chars().all(char::is_whitespace);
        // A space past the edge hangs there, unseen, so the next row starts with its word.
        if blank && used + w > width {
            used += w;
            space = Some((at + g.len(), used));
            continue;
        }
        if used + w > width && at > start {
            // The word in progress moves down whole, after the last space.
            if let Some((after, before)) = space {
                rows.push((start, after));
                start = after;
                used -= before;
            }
            // A word longer than the row breaks here.
            if used + w > width && at > start {
                rows.push((start, at));
                start = at;
                used = 0;
            }
            space = None;
        }
        used += w;
        if blank {
            space = Some((at + g.len(), used));
        }
    }
    rows.push((start, text.len()));
    rows
}

/// One line as the composer draws it: escaped (pasted control characters are shown, never sent
/// to the terminal raw), where each char starts in the escaped text, and its rows.
pub struct Drawn {
    text: String,
    /// The escaped byte offset of each char of the line, then of its end.
    at: Vec<usize>,
    /// The rows' byte ranges in `text` ([`wrap_points`]), then the empty row a cursor at the
    /// line's end is drawn on when the last one is full.
    rows: Vec<(usize, usize)>,
    /// True when that empty row is there.
    cursor_row: bool,
}

impl Drawn {
    /// `line` as drawn `width` columns wide.
    pub fn new(line: &str, width: usize) -> Self {
        let mut text = String::with_capacity(line.len());
        let mut at = Vec::with_capacity(line.len() + 1);
        let mut buf = [0; 4];
        for c in line.chars() {
            at.push(text.len());
            text.push_str(&escape_for_terminal(c.encode_utf8(&mut buf)));
        }
        at.push(text.len());
        let width = width.max(1);
        let mut rows = wrap_points(&text, width);
        // The composer draws a cursor at the end of a full last row on a row of its own (never
        // on the border): within the line, that row is one Up or Down step away, like any other.
        let cursor_row =
            rows.last().is_some_and(|&(start, end)| end > start && display_width(&text[start..end]) >= width);
        if cursor_row {
            rows.push((text.len(), text.len()));
        }
        Self { text, at, rows, cursor_row }
    }

    /// The drawn rows' text; the empty row a cursor at the end of a full line is drawn on only
    /// when `cursor_at_end` (the cursor is there).
    pub fn rows(&self, cursor_at_end: bool) -> impl Iterator<Item = &str> {
        let shown = self.rows.len() - usize::from(self.cursor_row && !cursor_at_end);
        self.rows[..shown].iter().map(|&(start, end)| &self.text[start..end])
    }

    /// The row char `col` is drawn on (the rule the composer's cursor follows) and its column
    /// there.
    pub fn place(&self, col: usize) -> (usize, usize) {
        let at = self.at[col.min(self.at.len() - 1)];
        let r = self.rows.iter().rposition(|(start, _)| *start <= at).unwrap_or(0);
        (r, display_width(&self.text[self.rows[r].0..at]))
    }

    /// The char position on row `r` at column `x` or the nearest before it, stepping by
    /// grapheme cluster (a cursor never lands inside one).
    fn col_at(&self, line: &str, r: usize, x: usize) -> usize {
        let (start, end) = self.rows[r];
        // A row's end is where the next row starts: only the last row's end is its own.
        let last = r + 1 == self.rows.len();
        let (mut k, mut col, mut used) = (0, None, 0);
        for g in line.graphemes(true) {
            let next = k + g.chars().count();
            if self.at[k] >= start && col.is_none() {
                col = Some(k);
            }
            if self.at[next] > end || (!last && self.at[next] == end) {
                break;
            }
            if self.at[k] >= start {
                used += display_width(&self.text[self.at[k]..self.at[next]]);
                if used > x {
                    break;
                }
                col = Some(next);
            }
            k = next;
        }
        col.unwrap_or(k)
    }
}

fn byte_at(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map(|(i, _)| i).unwrap_or(s.len())
}

/// The char position where the grapheme cluster that ends at char `col` starts.
fn previous_boundary(s: &str, col: usize) -> usize {
    let before = &s[..byte_at(s, col)];
    let start = before.grapheme_indices(true).next_back().map_or(0, |(i, _)| i);
    col - before[start..].chars().count()
}

/// The char position just after the grapheme cluster that starts at char `col`.
fn next_boundary(s: &str, col: usize) -> usize {
    col + s[byte_at(s, col)..].graphemes(true).next().map_or(0, |g| g.chars().count())
}

/// The last grapheme cluster boundary at or before char `col` (a column kept from another line
/// must not land inside a cluster).
fn boundary_at_or_before(s: &str, col: usize) -> usize {
    let mut at = 0;
    for g in s.graphemes(true) {
        let next = at + g.chars().count();
        if next > col {
            break;
        }
        at = next;
    }
    at
}

/// The width of `s` on screen, in columns, measured by grapheme cluster as the terminal (and
/// ratatui) lays it out: a ZWJ family is one 2-column glyph, not three.
pub fn display_width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_insert_str_is_the_same_as_typing_each_character() {
        for (start, cursor_left, text) in
            [("", 0, "abc"), ("héllo", 2, "X\nY\nZ"), ("👨‍👩‍👧 end", 4, "\n"), ("one", 1, "a\r\nb")]
        {
            let mut pasted = Editor::multi_line();
            pasted.set_text(start);
            let mut typed = pasted.clone();
            for _ in 0..cursor_left {
                pasted.left();
                typed.left();
            }
            pasted.insert_str(text);
            for c in text.replace("\r\n", "\n").chars() {
                typed.insert_char(c);
            }
            assert_eq!((pasted.text(), pasted.cursor()), (typed.text(), typed.cursor()), "{start:?} + {text:?}");
        }
        let mut one = Editor::one_line("ab");
        one.left();
        one.insert_str("  x\ny  ");
        assert_eq!((one.text(), one.cursor()), ("axyb".to_string(), (0, 3)));
    }

    #[test]
    fn test_up_and_down_by_drawn_rows_keep_the_column_and_whole_graphemes() {
        // "aaaa bbbb cccc" at 5 columns: rows "aaaa ", "bbbb ", "cccc".
        let mut e = Editor::multi_line();
        e.set_text("aaaa bbbb cccc");
        assert_eq!(e.cursor(), (0, 14));
        assert!(e.up_row(5));
        assert_eq!(e.cursor(), (0, 9), "end of cccc (column 4) → column 4 of the row above");
        assert!(e.up_row(5) && e.cursor() == (0, 4));
        assert!(!e.up_row(5), "the first row of the first line");
        assert!(e.down_row(5) && e.down_row(5) && e.cursor() == (0, 14));
        assert!(!e.down_row(5));
        // A family emoji (2 columns, 5 chars) is never entered; a control character is drawn
        // escaped (`\x01`, 4 columns) and counted as drawn.
        let mut e = Editor::multi_line();
        e.set_text("xx 👨‍👩‍👧 yy");
        assert!(e.up_row(3), "rows 'xx ', '👨‍👩‍👧 ', 'yy'");
        assert_eq!(e.cursor(), (0, 8), "column 2 of 'yy' → after the family, not inside it");
        let mut e = Editor::multi_line();
        e.set_text("ab\u{1}cd efgh");
        assert!(e.up_row(8), "rows 'ab\\x01cd ' (8 columns drawn), 'efgh'");
        assert_eq!(e.cursor(), (0, 2), "column 4 of 'efgh' is inside the drawn \\x01 (2–5): before it");
        assert!(e.down_row(8));
        assert_eq!(e.cursor(), (0, 8), "and back: column 2 of efgh");
        // From the second line's start, Up lands on the first line's last drawn row.
        let mut e = Editor::multi_line();
        e.set_text("aaaa bbbb\ncc");
        e.home();
        assert!(e.up_row(5));
        assert_eq!(e.cursor(), (0, 5), "the start of the row 'bbbb'");
    }

    #[test]
    fn test_up_from_the_row_a_full_line_draws_its_end_on_moves_up_a_row() {
        // "ab cd" fills 5 columns: a cursor at its end is drawn on a second row, so Up moves to
        // the first row (it used to report the first row, and the composer recalled history).
        let mut e = Editor::multi_line();
        e.set_text("ab cd");
        assert!(e.up_row(5));
        assert_eq!(e.cursor(), (0, 0));
        assert!(!e.up_row(5));
        assert!(e.down_row(5) && e.cursor() == (0, 5), "and Down goes back to the end");
        assert!(!e.down_row(5));
        // From the line below, Up lands on the full row, not on the end's row of its own.
        e.set_text("aaaa bbbbb\ncc");
        e.home();
        assert!(e.up_row(5));
        assert_eq!(e.cursor(), (0, 5), "the start of 'bbbbb'");
    }

    #[test]
    fn test_multi_line_editing() {
        let mut e = Editor::multi_line();
        e.insert_str("héllo");
        e.newline();
        e.insert_str("wörld");
        assert_eq!(e.text(), "héllo\nwörld");
        assert!(e.up());
        assert!(!e.up(), "first line is the edge");
        e.end();
        e.delete();
        assert_eq!(e.text(), "héllowörld");
        e.backspace();
        assert_eq!(e.text(), "héllwörld");
    }

    #[test]
    fn test_backspace_and_delete_remove_a_whole_grapheme_cluster() {
        let family = "👨\u{200d}👩\u{200d}👧";
        let accented = "e\u{301}";
        let mut e = Editor::one_line(&format!("a{family}b{accented}"));
        e.backspace();
        assert_eq!(e.text(), format!("a{family}b"), "the combining accent went with its letter");
        e.backspace();
        e.backspace();
        assert_eq!(e.text(), "a", "the family went whole, joiners included");
        e.set_text(&format!("{family}{accented}x"));
        e.home();
        e.delete();
        assert_eq!(e.text(), format!("{accented}x"));
        e.right();
        assert_eq!(e.cursor(), (0, 2), "right steps over the letter and its accent");
        e.left();
        assert_eq!(e.cursor(), (0, 0));
    }

    #[test]
    fn test_moving_between_lines_never_lands_inside_a_cluster() {
        let mut e = Editor::multi_line();
        e.insert_str("👍🏽x\nabcdef");
        e.home();
        e.right();
        assert!(e.up());
        assert_eq!(e.cursor(), (0, 0), "column 1 is inside the thumbs-up and its skin tone");
        e.backspace();
        assert_eq!(e.text(), "👍🏽x\nabcdef");
    }

    #[test]
    fn test_display_width_counts_a_zwj_sequence_once() {
        assert_eq!(display_width("👨\u{200d}👩\u{200d}👧"), 2);
        assert_eq!(display_width("e\u{301}x"), 2);
        assert_eq!(display_width("日本"), 4);
    }

    #[test]
    fn test_one_line_paste_is_trimmed_and_whole() {
        let mut e = Editor::one_line("");
        e.insert_str("  eyJhbGci\nOiJIUzI1NiJ9  \n");
        assert_eq!(e.text(), "eyJhbGciOiJIUzI1NiJ9");
        e.newline();
        assert_eq!(e.lines().len(), 1);
    }
}
