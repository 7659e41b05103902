//! The saved-messages picker (Ctrl-O in the composer): the selected API's saved messages by name,
//! with their format and the start of the body.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{inner, scroll_offset, theme};
use crate::console::state::App;
use wstab_core::profile::MessageFormat;
use wstab_core::terminal_text::escape_one_line;

/// Draws the picker with message `selected` highlighted.
pub fn draw(frame: &mut Frame, app: &App, selected: usize) {
    let list = app.saved_messages();
    let area = frame.area();
    let width = area.width.saturating_sub(8).min(100);
    let height = (list.len() as u16 + 2).clamp(3, area.height.saturating_sub(4).max(3));
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 3, width, height };
    frame.render_widget(Clear, r);
    let block = theme::pane_block("Saved messages", true)
        .title_bottom(Span::styled(" ↑/↓ Enter load into the composer · Esc close ", theme::dim()));
    let body = inner(r);
    frame.render_widget(block, r);
    let rows = body.height as usize;
    let start = scroll_offset(selected, list.len(), rows);
    let name_width = list.iter().map(|m| m.name.chars().count()).max().unwrap_or(0).clamp(4, 24);
    let room = (body.width as usize).saturating_sub(name_width + 3 + 8);
    let lines: Vec<Line> = list
        .iter()
        .skip(start)
        .take(rows)
        .map(|m| {
            let format = match m.format {
                MessageFormat::Text => "text  ",
                MessageFormat::Hex => "hex   ",
                MessageFormat::Base64 => "base64",
            };
            Line::from(vec![
                Span::raw(format!(" {:<w$}  ", escape_one_line(&m.name), w = name_width)),
                Span::styled(format!("{format}  "), theme::dim()),
                // A body longer than the row ends in `…`: loaded, it is whole.
                Span::raw(super::fit(escape_one_line(&m.body), room)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    super::highlight_row(frame, body, selected.saturating_sub(start), theme::selected());
}
