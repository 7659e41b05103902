//! The import report: what an import saved, what it skipped and why, and what failed.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{inner, popup, theme};
use crate::console::state::App;
use wstab_core::terminal_text::escape_one_line;

/// Draws the report from line `scroll`.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 90, 70);
    let block = theme::pane_block("Import", true).title_bottom(Span::styled(" Esc close · ↑/↓ scroll ", theme::dim()));
    let body = inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = app
        .report
        .iter()
        .map(|(error, text)| {
            let style = if *error {
                theme::error()
            } else if text.starts_with("skipped") {
                theme::hint()
            } else {
                ratatui::style::Style::new()
            };
            Line::styled(escape_one_line(text), style)
        })
        .collect();
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
}
