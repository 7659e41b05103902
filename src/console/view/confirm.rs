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
    // As many rows as the text wraps to when drawn (a word longer than a row, a long profile
    // name, is split over rows), so the last word is never cut off by the border.
    let para = Paragraph::new(text).wrap(Wrap { trim: true });
    let rows = u16::try_from(para.line_count(inner_width as u16)).unwrap_or(u16::MAX);
    let height = rows.saturating_add(2).min(area.height);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height / 3, width, height };
    frame.render_widget(Clear, r);
    let label = |intent| app.keys.label_in(Scope::Menu, &intent);
    let keys = format!(" {} ", c.keys(&label(Intent::Enter), &label(Intent::Escape)));
    let block = theme::pane_block("Are you sure?", true).title_bottom(Span::styled(keys, theme::dim()));
    frame.render_widget(block, r);
    frame.render_widget(para, inner(r));
}

#[cfg(test)]
mod tests {
    use crate::console::state::profiles::Pending;
    use crate::console::state::{Modal, Question};
    use crate::console::view::tests::{connected_app, render, screen};

    #[test]
    fn test_a_question_with_a_word_longer_than_its_box_still_shows_its_last_word() {
        // A profile name longer than the box is split over rows when drawn: the box counts
        // those rows too, so "(its file too)?" is not hidden under the border.
        for len in 60..150 {
            let name: String = "orders-websocket-api-".chars().cycle().take(len).collect();
            let question = format!("Delete the profile {name:?} (its file too)?");
            let mut app = connected_app();
            app.modals.push(Modal::Question(Question::new(question, Pending::Delete { name })));
            let s = screen(&render(&mut app, 80, 24));
            assert!(s.contains("too)?"), "a name of {len}:\n{s}");
        }
    }
}
