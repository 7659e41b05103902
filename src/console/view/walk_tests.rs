//! Issue 14's newcomer walk, drawn on ratatui's `TestBackend`: what a cleared log says, and the
//! APIs pane at 120×36 and 80×24.

use super::tests::{connected_app, render, screen};
use crate::console::state::{Intent, Viewport};
use wstab_core::connection::{Closer, Event, EventKind};

#[test]
fn test_ctrl_l_while_connected_says_cleared_and_connected_to_what() {
    let mut app = connected_app();
    app.focus = crate::console::state::Pane::Messages;
    app.update(Intent::ClearLog, &Viewport::default());
    let s = screen(&render(&mut app, 120, 36));
    assert!(!s.contains("No messages yet"), "a cleared log is not a fresh start:\n{s}");
    assert!(s.contains("Log cleared; connected to echo"), "{s}");
    assert!(s.contains("Ctrl-S still saves the whole session"), "{s}");
    // Disconnected afterwards: says so, and how to connect again.
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let closed = EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local };
    app.update(Intent::ToggleConnection, &Viewport::default());
    app.on_event(Event { session, at: app.now, kind: closed });
    app.update(Intent::ClearLog, &Viewport::default());
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("Log cleared; disconnected (F5 connects again)"), "{s}");
}
