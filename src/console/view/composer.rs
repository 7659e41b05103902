//! The **Message** pane: the multi-line composer, its mode (text or binary) and the cursor.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, theme};
use crate::console::state::editor::{Drawn, display_width};
use crate::console::state::{App, Pane};
use wstab_core::terminal_text::escape_one_line;

/// The footer's items, most useful first, with the keys as configured: as many as fit are
/// shown, each whole.
fn footer_items(app: &App) -> Vec<String> {
    use crate::console::keymap::Scope;
    use crate::console::state::Intent;
    let k = &app.keys;
    vec![
        format!("{} send", k.label_in(Scope::Composer, &Intent::Enter)),
        format!("{} new line", k.label_in(Scope::Composer, &Intent::Newline)),
        format!("{} text/binary", k.label_for(&Intent::ToggleMessageMode)),
        format!("{} ping", k.label_for(&Intent::Ping)),
        format!("{} close", k.label_for(&Intent::Close)),
    ]
}

/// `items` joined with ` · ` as far as they fit in `width` columns, each whole, padded with a
/// space on both sides (a border title).
pub fn fit_items<S: AsRef<str>>(items: &[S], width: usize) -> String {
    let mut out = String::new();
    for item in items {
        let item = item.as_ref();
        let next = if out.is_empty() { format!(" {item} ") } else { format!("{out}· {item} ") };
        if display_width(&next) > width {
            break;
        }
        out = next;
    }
    out
}

/// Draws the pane, and puts the terminal cursor in it when it is focused.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Pane::Composer;
    let c = &app.tab.composer;
    let mut title = format!("Message · {}", c.mode.name());
    let footer = fit_items(&footer_items(app), area.width.saturating_sub(2) as usize);
    // Where a message goes, always named: the session's entry, even while another is shown.
    let sends_to = app.sends_to();
    if let Some(to) = &sends_to {
        // A long name (an ad-hoc URL) gives way, ending in `…`: the state stays readable.
        let fixed = display_width(&title) + display_width(" →  ()") + display_width(to.state) + 4;
        let name = super::fit(escape_one_line(&to.title), (area.width as usize).saturating_sub(fixed));
        title.push_str(&format!(" → {name} ({})", to.state));
    }
    let mut block = theme::pane_block(&title, focused).title_bottom(Span::styled(footer, theme::dim()));
    if sends_to.is_some_and(|t| t.elsewhere) {
        block = block.title_style(theme::error());
    }
    let body = inner(area);
    frame.render_widget(block, area);
    if c.editor.is_empty() && !focused {
        frame.render_widget(Paragraph::new("Type a message here (Tab to focus)").style(theme::dim()), body);
        return;
    }
    let (rows, cursor) = layout_rows(c.editor.lines(), c.editor.cursor(), body.width as usize);
    // The cursor's row stays in view: the rows above it scroll off the top.
    let top = cursor.0.saturating_sub(body.height.saturating_sub(1) as usize);
    let shown: Vec<Line> = rows.into_iter().skip(top).take(body.height as usize).map(Line::raw).collect();
    frame.render_widget(Paragraph::new(shown), body);
    if focused && app.modals.is_empty() {
        let x = body.x + cursor.1.min(body.width.saturating_sub(1) as usize) as u16;
        let y = body.y + (cursor.0 - top) as u16;
        frame.set_cursor_position(Position { x, y });
    }
}

/// How many rows the composer's text takes when wrapped to `width` columns (the layout sizes
/// the pane by it).
pub fn wrapped_rows(app: &App, width: u16) -> usize {
    let e = &app.tab.composer.editor;
    layout_rows(e.lines(), e.cursor(), width as usize).0.len()
}

/// The editor's `lines` wrapped to `width` columns as they are drawn (escaped: pasted control
/// characters are shown, never sent to the terminal raw), and the cursor's (row, column) among
/// them. A line wraps after a space where it can; only a word longer than the row is split, and
/// never inside a grapheme cluster. A cursor at the end of a full row gets a row of its own, so
/// it is never drawn on the border.
fn layout_rows(lines: &[String], (row, col): (usize, usize), width: usize) -> (Vec<String>, (usize, usize)) {
    let mut out = Vec::new();
    let mut cursor = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        // The editor moves `↑`/`↓` by these same rows ([`Drawn`]): one rule for both.
        let drawn = Drawn::new(line, width);
        let here = i == row;
        if here {
            let (r, x) = drawn.place(col);
            cursor = (out.len() + r, x);
        }
        out.extend(drawn.rows(here && col >= line.chars().count()).map(str::to_string));
    }
    (out, cursor)
}

#[cfg(test)]
mod tests {
    use super::layout_rows;
    use crate::console::state::editor::Editor;

    /// Every cursor position of `text`, from its end back to its start.
    fn positions(text: &str) -> Vec<(usize, usize)> {
        let mut e = Editor::multi_line();
        e.set_text(text);
        let mut out = vec![e.cursor()];
        loop {
            e.left();
            if Some(&e.cursor()) == out.last() {
                return out;
            }
            out.push(e.cursor());
        }
    }

    #[test]
    fn test_up_and_down_move_exactly_one_drawn_row() {
        // A line that fills its last row draws a cursor at its end on a row of its own: Up from
        // there used to skip the row above it, or, on a one-row message, recall history.
        let texts = [
            "ab cd",
            "aaaa bbbbb",
            "aaaa bbbb cccc",
            "abcdefghij",
            "aaaaa   bbb",
            "xx 👨\u{200d}👩\u{200d}👧 yy",
            "日本語日本語",
            "a\u{1}bcdefg",
            "aaaa bbbbb\ncc",
            "ab\ncdefgh ij",
        ];
        let mut wrong = Vec::new();
        for text in texts {
            // At least as wide as the widest thing drawn (the escaped \x01, 4 columns).
            for width in 4..9 {
                for at in positions(text) {
                    for up in [true, false] {
                        let mut e = Editor::multi_line();
                        e.set_text(text);
                        while e.cursor() != at {
                            e.left();
                        }
                        let (_, before) = layout_rows(e.lines(), at, width);
                        let moved = if up { e.up_row(width) } else { e.down_row(width) };
                        let (_, after) = layout_rows(e.lines(), e.cursor(), width);
                        let last = e.lines().len() - 1;
                        let rows_at_end = layout_rows(e.lines(), (last, e.lines()[last].chars().count()), width).0;
                        let ok = match (up, moved) {
                            (true, true) => after.0 + 1 == before.0,
                            (true, false) => before.0 == 0,
                            // From the row of its own at a full line's end to the next
                            // line: that row goes, the next line's first row takes its place.
                            (false, true) => {
                                after.0 == before.0 + 1
                                    || (after.0 == before.0 && after.1 == 0 && at.0 + 1 == e.cursor().0)
                            }
                            (false, false) => before.0 + 1 == rows_at_end.len(),
                        };
                        if !ok {
                            let key = if up { "Up" } else { "Down" };
                            wrong.push(format!("{text:?} at {width}: {key} from {at:?} drawn {before:?} → {after:?}"));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
