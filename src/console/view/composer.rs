//! The **Message** pane: the multi-line composer, its mode (text or binary) and the cursor.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, theme};
use crate::console::state::editor::display_width;
use crate::console::state::{App, Pane};
use wstab_core::terminal_text::{escape_for_terminal, escape_one_line};

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
        let name = super::messages::fit(escape_one_line(&to.title), (area.width as usize).saturating_sub(fixed));
        title.push_str(&format!(" → {name} ({})", to.state));
    }
    let mut block = theme::pane_block(&title, focused).title_bottom(Span::styled(footer, theme::dim()));
    if sends_to.is_some_and(|t| t.elsewhere) {
        block = block.title_style(theme::error());
    }
    let body = inner(area);
    frame.render_widget(block, area);
    let (row, col) = c.editor.cursor();
    let lines = c.editor.lines();
    let top = row.saturating_sub(body.height.saturating_sub(1) as usize);
    // Pasted text may hold control characters: shown escaped, never sent to the terminal raw.
    let before_cursor = escape_for_terminal(&lines[row].chars().take(col).collect::<String>());
    let cursor_x = display_width(&before_cursor);
    let left = cursor_x.saturating_sub(body.width.saturating_sub(1) as usize);
    if c.editor.is_empty() && !focused {
        frame.render_widget(Paragraph::new("Type a message here (Tab to focus)").style(theme::dim()), body);
        return;
    }
    let shown: Vec<Line> =
        lines.iter().skip(top).take(body.height as usize).map(|l| Line::raw(escape_for_terminal(l))).collect();
    frame.render_widget(Paragraph::new(shown).scroll((0, left as u16)), body);
    if focused && app.modals.is_empty() {
        let x = body.x + (cursor_x - left) as u16;
        let y = body.y + (row - top) as u16;
        frame.set_cursor_position(Position { x, y });
    }
}
