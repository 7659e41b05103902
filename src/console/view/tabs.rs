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
    use crate::console::state::Intent;
    let k = |i: Intent| app.key_for(&i);
    let (prev, next) = (k(Intent::PrevTab), k(Intent::NextTab));
    // `Alt-←/→` when both share a modifier, as the keys are usually bound.
    let switch = match (prev.strip_prefix("Alt-"), next.strip_prefix("Alt-")) {
        (Some(p), Some(n)) => format!("Alt-{p}/{n}"),
        _ => format!("{prev}/{next}"),
    };
    let keys = format!(" {switch} switch · {} new · {} close", k(Intent::NewTab), k(Intent::CloseTab));
    spans.push(Span::styled(keys, theme::dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
