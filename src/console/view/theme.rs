//! The console's colours and text styles, in one place.

use ratatui::style::{Color, Modifier, Style};

/// A focused pane's border.
pub fn focused_border() -> Style {
    Style::new().fg(Color::Cyan)
}

/// An unfocused pane's border.
pub fn border() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// A pane title.
pub fn title(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

/// The selected row in the focused pane.
pub fn selected() -> Style {
    Style::new().bg(Color::Cyan).fg(Color::Black)
}

/// The selected row in an unfocused pane.
pub fn selected_unfocused() -> Style {
    // A foreground too: dim text on the grey bar would vanish.
    Style::new().bg(Color::DarkGray).fg(Color::White)
}

/// Secondary text.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Errors and missing required values.
pub fn error() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// Hints.
pub fn hint() -> Style {
    Style::new().fg(Color::Yellow)
}

/// Labels in front of values.
pub fn label() -> Style {
    Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
}

/// A search match.
pub fn matched() -> Style {
    Style::new().bg(Color::Yellow).fg(Color::Black)
}

/// A block for a pane, with its title, highlighted when focused.
pub fn pane_block(title_text: &str, focused: bool) -> ratatui::widgets::Block<'static> {
    use ratatui::widgets::{Block, BorderType, Borders};
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { focused_border() } else { border() })
        .title(ratatui::text::Span::styled(format!(" {title_text} "), title(focused)))
}
