//! The status bar: the connection state in the portal's words, the subprotocol, how long it has
//! been connected, the focused pane's key hints, and the last notice or error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::theme;
use crate::console::keymap;
use crate::console::state::App;

/// Draws the bar.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let word = app.state_word();
    let color = match word {
        "Connected" => Color::Green,
        "Disconnected" => Color::Gray,
        _ => Color::Yellow,
    };
    let mut left =
        vec![Span::styled(format!(" {word} "), Style::new().bg(color).fg(Color::Black).add_modifier(Modifier::BOLD))];
    if let Some(p) = app.tab.connection.as_ref().and_then(|c| c.subprotocol.as_deref()).filter(|_| app.is_connected()) {
        left.push(Span::raw(format!(" {p}")));
    }
    if let Some(d) = app.connected_for() {
        let s = d.as_secs();
        left.push(Span::raw(format!(" {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)));
    }
    left.push(Span::raw("  "));
    let right = match (&app.notice, &app.tab.last_error) {
        (Some(n), _) => Some(Span::styled(
            format!(" {} ", wstab_core::terminal_text::escape_one_line(&n.text)),
            if n.error { theme::error() } else { theme::hint() },
        )),
        (None, Some(e)) => Some(Span::styled(format!(" ✗ {} (t: trace) ", e.label()), theme::error())),
        (None, None) => None,
    };
    // A notice may take all but the connection state: it is what the user just asked about.
    let right_width = right.as_ref().map(|s| s.content.width() as u16).unwrap_or(0).min(area.width.saturating_sub(24));
    for (key, hint) in keymap::hints(app.input_context()) {
        left.push(Span::styled(key, Style::new().add_modifier(Modifier::BOLD)));
        left.push(Span::styled(format!(" {hint}  "), theme::dim()));
    }
    let left_area = Rect { width: area.width.saturating_sub(right_width), ..area };
    frame.render_widget(Paragraph::new(Line::from(left)), left_area);
    if let Some(r) = right {
        let ra = Rect { x: area.right() - right_width, width: right_width, ..area };
        frame.render_widget(Paragraph::new(Line::from(r)), ra);
    }
}
