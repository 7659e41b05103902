//! A one-line prompt drawn over the panes: a row's name or value, the subprotocols, a search,
//! the file to save to, or the close code and reason.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::{inner, theme};
use crate::console::state::editor::display_width;
use crate::console::state::request::Table;
use crate::console::state::{App, Prompt, PromptFor};
use wstab_core::terminal_text::escape_one_line;

/// The prompt's title: its label, and for a row's name or value which table and row it is
/// (`Value of subscription-key (query parameter)`), so the field says what it edits.
pub fn title(app: &App, p: &Prompt) -> String {
    let place = |table: Table| match table {
        Table::Query => "query parameter",
        Table::Headers => "header",
    };
    let name = |table: Table, row: usize| {
        app.draft().and_then(|d| d.rows(table).get(row)).map(|r| escape_one_line(&r.param.name)).unwrap_or_default()
    };
    match p.what {
        PromptFor::ParamName { table, row, then_value } => {
            let old = name(table, row);
            match (then_value, old.is_empty()) {
                (false, false) => format!("Rename the {} {old} to", place(table)),
                _ => format!("New {} name", place(table)),
            }
        }
        PromptFor::ParamValue { table, row } => match name(table, row) {
            n if n.is_empty() => format!("Value ({})", place(table)),
            n => format!("Value of {n} ({})", place(table)),
        },
        ref other => other.label().to_string(),
    }
}

/// Draws the prompt, titled `title`, and puts the cursor in it.
pub fn draw(frame: &mut Frame, p: &Prompt, title: &str) {
    let area = frame.area();
    let width = area.width.saturating_sub(8).min(100);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height / 3, width, height: 3 };
    frame.render_widget(ratatui::widgets::Clear, r);
    let keys = if p.masked {
        " Enter accept · Esc cancel · masked: r on the row reveals "
    } else {
        " Enter accept · Esc cancel "
    };
    let block = theme::pane_block(title, true).title_bottom(Span::styled(keys, theme::dim()));
    let body = inner(r);
    frame.render_widget(block, r);
    // Pasted text may hold control characters: shown escaped, never sent to the terminal raw.
    let shown = |t: &str| {
        if p.masked {
            // One bullet per character, so the cursor still shows where an edit lands.
            "•".repeat(t.chars().count())
        } else if p.what.is_secret() {
            mask_access_key(t)
        } else {
            escape_one_line(t)
        }
    };
    let text = shown(&p.field.text());
    let (_, col) = p.field.cursor();
    let before = shown(&p.field.text().chars().take(col).collect::<String>());
    let cursor_x = display_width(&before);
    let left = cursor_x.saturating_sub(body.width.saturating_sub(1) as usize);
    frame.render_widget(Paragraph::new(text).scroll((0, left as u16)), body);
    frame.set_cursor_position(Position { x: body.x + (cursor_x - left) as u16, y: body.y });
}

/// A connection string with its `AccessKey` value masked, so a screen share or a screenshot never
/// shows the key while it is being pasted.
fn mask_access_key(text: &str) -> String {
    let parts: Vec<String> = text
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("accesskey") && !v.is_empty() => {
                format!("{k}={}", wstab_core::secret::MASK)
            }
            _ => part.to_string(),
        })
        .collect();
    escape_one_line(&parts.join(";"))
}
