//! The status bar: the connection state in the portal's words, the subprotocol, how long it has
//! been connected, the focused pane's key hints, and the last notice or error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::theme;
use crate::console::keymap::Scope;
use crate::console::state::{App, InputContext, Intent, Modal, Pane};

/// Draws the bar.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let mut left = state_spans(app);
    let notice = notice_text(app);
    let fixed: usize = left.iter().map(|s| s.content.width()).sum();
    let width = area.width as usize;
    // A notice that fits beside the state shares the first line; a longer one gets lines of its
    // own below it (`status_height`), so it is read whole and never cuts a hint in half.
    let beside = notice.as_ref().filter(|(text, _)| area.height == 1 && fixed + text.width() <= width);
    let room = width.saturating_sub(fixed + beside.map_or(0, |(t, _)| t.width()));
    // Hints come most specific first; each is shown whole or not at all.
    let mut used = 0;
    for (key, hint) in hints_for(app, frame.area()) {
        let piece = format!("{key} {hint}  ");
        if used + piece.trim_end().width() > room {
            break;
        }
        used += piece.width();
        left.push(Span::styled(key, Style::new().add_modifier(Modifier::BOLD)));
        left.push(Span::styled(format!(" {hint}  "), theme::dim()));
    }
    let first = Rect { height: 1, ..area };
    frame.render_widget(Paragraph::new(Line::from(left)), first);
    match (&notice, beside) {
        (Some(_), Some((text, style))) => {
            let w = text.width() as u16;
            let ra = Rect { x: area.right() - w, width: w, ..first };
            frame.render_widget(Paragraph::new(Span::styled(text.clone(), *style)), ra);
        }
        (Some((text, style)), None) => {
            let below = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
            let lines: Vec<Line> = super::help::wrap_words(text.trim(), area.width as usize)
                .into_iter()
                .map(|l| Line::styled(l, *style))
                .collect();
            frame.render_widget(Paragraph::new(lines), below);
        }
        (None, _) => {}
    }
}

/// The connection state, the subprotocol and the connected-for time, then a gap.
fn state_spans(app: &App) -> Vec<Span<'static>> {
    let word = app.state_word();
    let color = match word {
        "Connected" => Color::Green,
        "Disconnected" => Color::Gray,
        _ => Color::Yellow,
    };
    // While the supervisor waits to reconnect, the badge says which attempt and when.
    let badge = app.reconnect_text().unwrap_or_else(|| word.to_string());
    let mut left =
        vec![Span::styled(format!(" {badge} "), Style::new().bg(color).fg(Color::Black).add_modifier(Modifier::BOLD))];
    if let Some(p) = app.tab.connection.as_ref().and_then(|c| c.subprotocol.as_deref()).filter(|_| app.is_connected()) {
        left.push(Span::raw(format!(" {p}")));
    }
    if let Some(d) = app.connected_for() {
        let s = d.as_secs();
        left.push(Span::raw(format!(" {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)));
    }
    left.push(Span::raw("  "));
    left
}

/// The notice or the last error, as the status bar shows it (with its style).
fn notice_text(app: &App) -> Option<(String, Style)> {
    match (&app.notice, &app.tab.last_error) {
        (Some(n), _) => Some((
            format!(" {} ", wstab_core::terminal_text::escape_one_line(&n.text)),
            if n.error { theme::error() } else { theme::hint() },
        )),
        (None, Some(e)) => Some((format!(" ✗ {} (t: trace) ", e.label()), theme::error())),
        (None, None) => None,
    }
}

/// The focused pane's hints, worded for the state: `F5 disconnect` while a session is live.
/// Over a yes/no question, a menu's `↓ move`/`Enter choose`/`Esc close` do nothing useful, and
/// the question's own keys are named once, on the line under it: the bar keeps only the rest.
/// While search results are shown in Messages, their `n/N next/previous` comes first; over a
/// view whose text fits on `screen`, there is no `↓ scroll`.
fn hints_for(app: &App, screen: Rect) -> Vec<(String, &'static str)> {
    let live = app.is_connected();
    let question = matches!(app.modals.top(), Some(Modal::Question(_)));
    let still = matches!(app.modals.top(), Some(Modal::View(_))) && !super::view_scrolls(screen, app);
    let mut hints: Vec<(String, &'static str)> = Vec::new();
    if app.input_context() == InputContext::Pane(Pane::Messages) && !app.tab.messages.search.is_empty() {
        let key = |intent| app.keys.label_in(Scope::Messages, &intent);
        hints.push((format!("{}/{}", key(Intent::SearchOlder), key(Intent::SearchNewer)), "next/previous"));
    }
    hints.extend(
        app.keys
            .hints(app.input_context())
            .into_iter()
            .filter(|(_, h)| !(question && matches!(*h, "move" | "choose" | "close")))
            .filter(|(_, h)| !(still && *h == "scroll"))
            .map(|(key, hint)| if live && hint == "connect" { (key, "disconnect") } else { (key, hint) }),
    );
    hints
}

/// Rows the status bar needs on a terminal `width` columns wide: one, plus the rows a notice
/// too long to share the first line wraps to (at most four, so the panes keep their room).
pub fn status_height(app: &App, width: u16) -> u16 {
    let Some((text, _)) = notice_text(app) else { return 1 };
    let state: usize = state_spans(app).iter().map(|s| s.content.width()).sum();
    let width = width.max(1) as usize;
    if state + text.width() <= width {
        return 1;
    }
    1 + super::help::wrap_words(text.trim(), width).len().clamp(1, 4) as u16
}
