//! The tab bar: one entry per tab with its number, API and connection state (● open, ◐ on the
//! way, ○ none), the shown tab highlighted, and a count of messages a hidden tab received.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::console::state::App;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
use wstab_core::terminal_text::escape_one_line;

/// Draws the bar into the one-line `area`. Tabs come first; when they do not fit, their API
/// names are shortened (ending in `…`) so every tab's number and state stay in view. The key
/// hints after them are shown as whole items while they fit, never cut inside a word.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let width = area.width as usize;
    let tabs: Vec<(bool, String, String, String)> = app
        .tabs()
        .enumerate()
        .map(|(i, (shown, tab))| {
            let entry = tab.selected.and_then(|id| app.catalog.get(id));
            let api = escape_one_line(entry.map_or("(no API)", |e| e.title.as_str()));
            let head = format!(" {} {} ", i + 1, tab.state_mark());
            let tail = if !shown && tab.unseen > 0 { format!(" +{} ", tab.unseen) } else { " ".to_string() };
            (shown, head, api, tail)
        })
        .collect();
    // Columns for the API names: what is left after each tab's number, state, count and `│`.
    let fixed: usize = tabs.iter().map(|(_, head, _, tail)| head.width() + tail.width() + 1).sum();
    let names: usize = tabs.iter().map(|(_, _, api, _)| api.width()).sum();
    let per_name = if fixed + names <= width || tabs.is_empty() {
        usize::MAX
    } else {
        (width.saturating_sub(fixed) / tabs.len()).max(1)
    };
    let mut spans = Vec::new();
    let mut used = 0;
    for (shown, head, api, tail) in &tabs {
        let text = format!("{head}{}{tail}", shorten(api, per_name));
        used += text.width() + 1;
        let style = if *shown { theme::selected().add_modifier(Modifier::BOLD) } else { Style::new() };
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
    let items =
        [format!("{switch} switch"), format!("{} new", k(Intent::NewTab)), format!("{} close", k(Intent::CloseTab))];
    let mut keys = String::new();
    for item in items {
        let piece = if keys.is_empty() { format!(" {item}") } else { format!(" · {item}") };
        if used + keys.width() + piece.width() > width {
            break;
        }
        keys.push_str(&piece);
    }
    spans.push(Span::styled(keys, theme::dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `name` in at most `room` columns: whole, or cut and ended by `…`.
fn shorten(name: &str, room: usize) -> String {
    if name.width() <= room {
        return name.to_string();
    }
    let mut out = String::new();
    for c in name.chars() {
        if out.width() + c.width().unwrap_or(0) + 1 > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}
