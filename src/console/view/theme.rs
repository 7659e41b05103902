//! The console's colours and text styles, in one place.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

/// The console's colour themes (`theme = "dark"` / `"light"` in `config.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    /// The terminal's own background, with the 16 ANSI colours (the default).
    #[default]
    Dark,
    /// Dark text on a white background the console paints itself, so it reads the same on a
    /// dark or a light terminal; colours from the 256-colour cube, which terminal palettes do
    /// not change.
    Light,
}

/// The light theme's white (xterm 231) and text black (xterm 16).
pub const LIGHT_BG: Color = Color::Indexed(231);
/// The light theme's text colour.
pub const LIGHT_FG: Color = Color::Indexed(16);

/// A drawn colour as the light theme shows it: dark, saturated foregrounds that read on white;
/// light backgrounds behind dark text for what stood out by its background.
fn light_fg(c: Color) -> Color {
    match c {
        Color::Reset | Color::Black | Color::White | Color::Gray => LIGHT_FG,
        Color::DarkGray => Color::Indexed(240),
        Color::Red | Color::LightRed => Color::Indexed(124),
        Color::Green | Color::LightGreen => Color::Indexed(22),
        Color::Yellow | Color::LightYellow => Color::Indexed(94),
        Color::Blue | Color::LightBlue => Color::Indexed(19),
        Color::Magenta | Color::LightMagenta => Color::Indexed(90),
        Color::Cyan | Color::LightCyan => Color::Indexed(24),
        other => other,
    }
}

fn light_bg(c: Color) -> Color {
    match c {
        Color::Reset => LIGHT_BG,
        Color::Cyan | Color::LightCyan => Color::Indexed(117),
        Color::DarkGray | Color::Gray => Color::Indexed(252),
        Color::Yellow | Color::LightYellow => Color::Indexed(222),
        Color::Green | Color::LightGreen => Color::Indexed(120),
        Color::Red | Color::LightRed => Color::Indexed(217),
        Color::Blue | Color::LightBlue => Color::Indexed(153),
        Color::Magenta | Color::LightMagenta => Color::Indexed(219),
        other => other,
    }
}

/// Repaints a frame drawn in the dark theme's colours in the light theme's: every cell gets a
/// background, and every foreground a colour that reads on it. Done on the finished buffer so
/// each pane keeps one set of styles.
pub fn relight(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let on_colour = cell.bg != Color::Reset;
        cell.bg = light_bg(cell.bg);
        // Text on a coloured bar (a selection, the state badge) is dark: the bars are light.
        cell.fg = if on_colour { LIGHT_FG } else { light_fg(cell.fg) };
    }
}

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
