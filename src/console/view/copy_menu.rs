//! The copy menu: what `y` can copy, each with the letter that picks it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{inner, theme};
use crate::console::state::App;
use crate::console::state::copy::CopyItem;

/// Draws the menu with item `selected` highlighted; the policy trace is offered when there is one.
pub fn draw(frame: &mut Frame, app: &App, selected: usize) {
    let items = CopyItem::offered(app.tab.policy_trace.is_some());
    let area = frame.area();
    let width = 64.min(area.width);
    let height = (items.len() as u16 + 2).min(area.height);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 3, width, height };
    frame.render_widget(Clear, r);
    let block =
        theme::pane_block("Copy", true).title_bottom(Span::styled(" letter or ↑/↓ Enter · Esc close ", theme::dim()));
    let body = inner(r);
    frame.render_widget(block, r);
    let lines: Vec<Line> = items
        .iter()
        .map(|item| {
            let key = Span::styled(format!(" {}  ", item.key()), Style::new().add_modifier(Modifier::BOLD));
            // An item with nothing to copy yet is dimmed and says why (pressing it says so too).
            match app.nothing_to_copy(*item) {
                None => Line::from(vec![key, Span::raw(item.describe())]),
                Some(why) => Line::from(vec![
                    key.style(theme::dim()),
                    Span::styled(format!("{} · {why}", item.describe()), theme::dim()),
                ]),
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    super::highlight_row(frame, body, selected, theme::selected());
}
