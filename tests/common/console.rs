//! The console as the user sees it, headless: the state drawn into a `TestBackend`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use wstab::console::state::App;

/// Draws `app` on a `width`×`height` test terminal and returns the screen as text, one line per
/// row, after telling the state how many Messages rows fit (as the event loop does).
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    app.set_messages_rows(wstab::console::view::messages_rows(Rect::new(0, 0, width, height), app));
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
