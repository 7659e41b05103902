//! The tab bar: one entry per tab with its number, API and connection state (● open, ◐ on the
//! way, ○ none), the shown tab highlighted, and a count of messages a hidden tab received.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::console::state::App;
use wstab_core::terminal_text::escape_one_line;

/// Draws the bar into the one-line `area`.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    for (i, (shown, tab)) in app.tabs().enumerate() {
        let entry = tab.selected.and_then(|id| app.catalog.get(id));
        let api = entry.map_or("(no API)", |e| e.title.as_str());
        let mut text = format!(" {} {} {} ", i + 1, tab.state_mark(), escape_one_line(api));
        if !shown && tab.unseen > 0 {
            text.push_str(&format!("+{} ", tab.unseen));
        }
        let style = if shown { theme::selected().add_modifier(Modifier::BOLD) } else { Style::new() };
        spans.push(Span::styled(text, style));
        spans.push(Span::styled("│", theme::dim()));
    }
    spans.push(Span::styled(" Alt-←/→ switch · Ctrl-T new · Ctrl-W close", theme::dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
