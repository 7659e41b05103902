//! A small text editor for the console's fields: one line (names, values, prompts) or many (the
//! Message composer). Positions are in chars, so any UTF-8 text edits safely.

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

    /// Inserts text (a paste) at the cursor; a one-line editor trims it and drops line breaks.
    pub fn insert_str(&mut self, text: &str) {
        let text = if self.multi_line { text.replace("\r\n", "\n") } else { one_line(text) };
        for c in text.chars() {
            self.insert_char(c);
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

    /// Deletes the character before the cursor, joining lines at the start of one.
    pub fn backspace(&mut self) {
        if self.col > 0 {
            let at = byte_at(&self.lines[self.row], self.col - 1);
            self.lines[self.row].remove(at);
            self.col -= 1;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
            self.lines[self.row].push_str(&line);
        }
    }

    /// Deletes the character under the cursor, joining the next line at the end of one.
    pub fn delete(&mut self) {
        let len = self.lines[self.row].chars().count();
        if self.col < len {
            let at = byte_at(&self.lines[self.row], self.col);
            self.lines[self.row].remove(at);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
        }
    }

    /// Moves the cursor one char left (to the previous line's end at a line start).
    pub fn left(&mut self) {
        if self.col > 0 {
            self.col -= 1;
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
        }
    }

    /// Moves the cursor one char right (to the next line's start at a line end).
    pub fn right(&mut self) {
        if self.col < self.lines[self.row].chars().count() {
            self.col += 1;
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
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
        self.col = self.col.min(self.lines[self.row].chars().count());
        true
    }

    /// Moves down a line; false when already on the last.
    pub fn down(&mut self) -> bool {
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.row += 1;
        self.col = self.col.min(self.lines[self.row].chars().count());
        true
    }
}

/// Pasted or loaded text for a one-line field: surrounding whitespace trimmed, line breaks inside
/// dropped (a token wrapped by a terminal or an editor still arrives whole).
pub fn one_line(text: &str) -> String {
    text.trim().chars().filter(|c| *c != '\n' && *c != '\r').collect()
}

fn byte_at(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map(|(i, _)| i).unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn test_one_line_paste_is_trimmed_and_whole() {
        let mut e = Editor::one_line("");
        e.insert_str("  eyJhbGci\nOiJIUzI1NiJ9  \n");
        assert_eq!(e.text(), "eyJhbGciOiJIUzI1NiJ9");
        e.newline();
        assert_eq!(e.lines().len(), 1);
    }
}
