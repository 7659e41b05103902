//! The help overlay: every binding, generated from the keymap.

use ratatui::Frame;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, popup, theme};
use crate::console::keymap;

/// Draws the overlay from line `scroll`.
pub fn draw(frame: &mut Frame, scroll: usize) {
    let area = popup(frame, 80, 90);
    let block =
        theme::pane_block("Help — keys", true).title_bottom(Span::styled(" Esc close · ↑/↓ scroll ", theme::dim()));
    let body = inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = keymap::help_lines()
        .into_iter()
        .skip(scroll)
        .take(body.height as usize)
        .map(|(heading, keys, help)| match heading {
            Some(h) => Line::styled(h, theme::label()),
            None => Line::from(vec![
                Span::styled(format!("  {keys:<22}"), Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(help),
            ]),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}
