//! The requests of the shown tab still waiting for their reply (w), oldest first, with their
//! age; pings waiting for their pong after them. Only the visible rows are formatted.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, popup, theme};
use crate::console::state::App;
use wstab_core::terminal_text::escape_one_line;

/// Draws the list from row `scroll`.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 90, 70);
    let pairing = &app.tab.pairing.pairing;
    let unset = format!("none: {} sets one", app.key_for(&crate::console::state::Intent::SetCorrelation));
    let pointer = pairing.pointer().unwrap_or(&unset);
    let title = format!("Waiting for a reply · correlation {pointer}");
    let body = inner(area);
    let max = scroll_max(frame.area(), app);
    let block =
        theme::pane_block(&title, true).title_bottom(Span::styled(super::view_footer(max > 0, &[]), theme::dim()));
    frame.render_widget(block, area);
    let scroll = scroll.min(max);
    let (replies, pings) = (pairing.replies(), pairing.pings());
    if replies.unanswered() + pings.unanswered() == 0 {
        frame
            .render_widget(Paragraph::new("Nothing is waiting: every request was answered.").style(theme::dim()), body);
        return;
    }
    let rows = replies.waiting().map(|w| ("→", w)).chain(pings.waiting().map(|w| ("ping", w)));
    let lines: Vec<Line> = rows
        .skip(scroll)
        .take(body.height as usize)
        .map(|(kind, w)| {
            let age = w.age(app.now);
            Line::from(vec![
                Span::styled(format!("{:>8.1} s  ", age.as_secs_f64()), theme::hint()),
                Span::styled(format!("{kind:<5}"), theme::dim()),
                Span::raw(format!("{}  ", escape_one_line(&w.key))),
                Span::styled(escape_one_line(&w.preview), theme::dim()),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}

/// The last first row that still fills the list on a terminal of `screen` (0 when it fits).
pub fn scroll_max(screen: ratatui::layout::Rect, app: &App) -> usize {
    let body = inner(super::popup_rect(screen, 90, 70));
    let pairing = &app.tab.pairing.pairing;
    let rows = pairing.replies().waiting().count() + pairing.pings().waiting().count();
    rows.saturating_sub(body.height as usize)
}
