//! The help overlay: every binding, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{inner, theme};
use crate::console::state::App;
use crate::console::state::editor::display_width;

/// The width of the keys column (two spaces of indent included).
const KEYS_WIDTH: usize = 24;

/// Draws the overlay from line `scroll` (clamped so the last line stays at the bottom).
/// Descriptions wrap under themselves at word boundaries: no word is cut at 80 columns.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = help_rect(frame.area());
    frame.render_widget(Clear, area);
    let body = inner(area);
    let lines = help_text(app, body.width as usize);
    let max = lines.len().saturating_sub(body.height as usize);
    let block = theme::pane_block("Help — keys", true)
        .title_bottom(Span::styled(super::view_footer(max > 0, &[]), theme::dim()))
        .title_bottom(Span::styled(journal_text(app), theme::dim()).into_right_aligned_line());
    frame.render_widget(block, area);
    let scroll = scroll.min(max);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(body.height as usize).collect();
    frame.render_widget(Paragraph::new(shown), body);
}

/// The session journal's size, as the help overlay's footer shows it: ` journal 12.3 MiB ` plus
/// its bound and what the bound dropped, if any (`s` saves what it holds).
pub fn journal_text(app: &App) -> String {
    let j = app.journal;
    let mut text = format!(" session journal {}", super::human_size(j.bytes));
    if let Some(limit) = j.limit {
        text.push_str(&format!(" of {}", super::human_size(limit)));
    }
    if j.dropped > 0 {
        text.push_str(&format!(" · {} older events dropped", j.dropped));
    }
    text.push(' ');
    text
}

/// Where the overlay sits: nearly the whole screen, so descriptions rarely wrap.
fn help_rect(screen: Rect) -> Rect {
    let width = screen.width.saturating_sub(4).min(110);
    let height = screen.height.saturating_sub(2);
    Rect { x: screen.x + (screen.width - width) / 2, y: screen.y + 1, width, height }
}

/// The last first-line that still fills the overlay on a terminal of `screen`.
pub fn scroll_max(screen: Rect, app: &App) -> usize {
    let body = inner(help_rect(screen));
    help_text(app, body.width as usize).len().saturating_sub(body.height as usize)
}

/// Every help line laid out for `width` columns.
fn help_text(app: &App, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (heading, keys, help) in app.keys.help_lines() {
        if let Some(h) = heading {
            lines.push(Line::styled(h, theme::label()));
            continue;
        }
        let keys_width = KEYS_WIDTH.max(display_width(&keys) + 3);
        for (i, part) in wrap_words(help, width.saturating_sub(keys_width)).into_iter().enumerate() {
            let keys = if i == 0 { format!("  {keys}") } else { String::new() };
            let pad = keys_width.saturating_sub(display_width(&keys));
            lines.push(Line::from(vec![
                Span::styled(format!("{keys}{}", " ".repeat(pad)), Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(part),
            ]));
        }
    }
    lines
}

/// `text` cut into lines of at most `width` columns at spaces (a single word longer than a
/// line is the only thing ever split).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if display_width(&candidate) <= width || line.is_empty() {
            line = candidate;
        } else {
            out.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    out.push(line);
    out
}
