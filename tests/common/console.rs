//! The console as the user sees it, headless: the state drawn into a `TestBackend`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wstab::console::state::App;

/// Draws `app` on a `width`×`height` test terminal and returns the screen as text, one line per
/// row.
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    t.draw(|f| wstab::console::view::draw(f, app)).expect("draw");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
