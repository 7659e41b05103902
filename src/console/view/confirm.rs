//! A yes/no question drawn over the panes (overwrite a profile, delete one, connect with an
//! expired token, overwrite imported profiles).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{inner, theme};
use crate::console::state::Question;
use wstab_core::terminal_text::escape_one_line;

/// Draws the question.
pub fn draw(frame: &mut Frame, c: &Question) {
    let area = frame.area();
    let width = area.width.saturating_sub(8).min(90);
    let text = format!("{} ({})", escape_one_line(&c.question), c.choices());
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let height = (text.chars().count().div_ceil(inner_width) as u16 + 2).min(area.height);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height / 3, width, height };
    frame.render_widget(Clear, r);
    let keys = if c.enter_means_yes { " y / Enter yes · n / Esc no " } else { " y yes · n / Enter / Esc no " };
    let block = theme::pane_block("Are you sure?", true).title_bottom(Span::styled(keys, theme::dim()));
    frame.render_widget(block, r);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner(r));
}
