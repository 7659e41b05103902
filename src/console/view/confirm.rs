//! A yes/no question drawn over the panes (overwrite a profile, delete one, connect with an
//! expired token, overwrite imported profiles).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{inner, theme};
use crate::console::keymap::Scope;
use crate::console::state::{App, Intent, Question};
use wstab_core::terminal_text::escape_one_line;

/// Draws the question.
pub fn draw(frame: &mut Frame, app: &App, c: &Question) {
    let area = frame.area();
    let width = area.width.saturating_sub(8).min(90);
    // The question alone: its keys are named once, on the line under it.
    let text = escape_one_line(&c.question);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    // As many rows as the words wrap to, so the last word is never cut off by the border.
    let rows = super::help::wrap_words(&text, inner_width).len() as u16;
    let height = (rows + 2).min(area.height);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height / 3, width, height };
    frame.render_widget(Clear, r);
    let label = |intent| app.keys.label_in(Scope::Menu, &intent);
    let keys = format!(" {} ", c.keys(&label(Intent::Enter), &label(Intent::Escape)));
    let block = theme::pane_block("Are you sure?", true).title_bottom(Span::styled(keys, theme::dim()));
    frame.render_widget(block, r);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner(r));
}
