//! A question with lettered options: the lines explaining it, and each option with the letter
//! that picks it (the keys are shown in the modal itself).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{inner, theme};
use crate::console::state::Ask;
use wstab_core::terminal_text::escape_one_line;

/// Draws the question with its highlighted option.
pub fn draw(frame: &mut Frame, c: &Ask) {
    let area = frame.area();
    let width = area.width.saturating_sub(8).min(96);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for t in &c.text {
        lines.push(Line::raw(escape_one_line(t)));
    }
    if !c.text.is_empty() {
        lines.push(Line::raw(""));
    }
    let first_option = lines.len();
    for o in &c.options {
        lines.push(Line::from(vec![
            Span::styled(format!(" {}  ", o.key), Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(escape_one_line(&o.label)),
        ]));
    }
    // Wrapped lines take more rows: count them so nothing is cut.
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner_width)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let r = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 3, width, height };
    frame.render_widget(Clear, r);
    let block = theme::pane_block(&c.title, true)
        .title_bottom(Span::styled(" letter or ↑/↓ Enter · Esc cancel ", theme::dim()));
    let body = inner(r);
    frame.render_widget(block, r);
    // The highlighted option's first row, counting the rows wrapped lines take above it.
    let row: usize = lines[..first_option + c.selected.min(c.options.len().saturating_sub(1))]
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_width))
        .sum();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    if !c.options.is_empty() {
        super::highlight_row(frame, body, row, theme::selected());
    }
}

#[cfg(test)]
mod tests {
    use crate::console::state::tests::{connect, workspace};
    use crate::console::state::{App, Intent, Pane, Viewport};
    use crate::console::view::tests::{render, screen};

    #[test]
    fn test_the_question_shows_its_keys_and_the_composer_names_the_session() {
        let mut app = App::new(workspace(), 100);
        connect(&mut app);
        app.update(Intent::Down, &Viewport::default());
        app.focus = Pane::Composer;
        app.tab.composer.editor.set_text("hi");
        app.update(Intent::Enter, &Viewport::default());
        for (w, h) in [(120, 36), (80, 24)] {
            let s = screen(&render(&mut app, w, h));
            assert!(s.contains("Message · text → echo (connected)"), "{s}");
            for needle in ["d  disconnect echo and connect Chat in this tab", "t  open Chat in a new tab", "Esc cancel"]
            {
                assert!(s.contains(needle), "{needle:?} at {w}x{h}:\n{s}");
            }
        }
    }
}
