//! What the layout tells the state with each key: how many Messages rows are visible and how far
//! the view on top may scroll. The runtime measures it from the terminal's size before every
//! intent (`console::view::viewport`) and passes it to [`App::update`](super::App::update); the
//! state keeps no layout of its own.

/// The screen as the state needs it to handle a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    /// Rows the Messages pane shows: a page for PgUp/PgDn, and where a paused view's window
    /// starts.
    pub messages_rows: usize,
    /// The last line the view on top may scroll to (its text past its end would show an empty
    /// box); `usize::MAX` for views that clamp when they draw.
    pub view_scroll_max: usize,
    /// Columns of text the composer shows: `↑`/`↓` move by the rows a long line wraps to. 0
    /// when not measured: they move by line.
    pub composer_width: usize,
}

impl Default for Viewport {
    /// A screen never measured (scripted input, tests): ten Messages rows, views unbounded,
    /// the composer moving by line.
    fn default() -> Self {
        Self { messages_rows: 10, view_scroll_max: usize::MAX, composer_width: 0 }
    }
}

impl Viewport {
    /// Messages rows, never zero.
    pub fn rows(&self) -> usize {
        self.messages_rows.max(1)
    }
}
