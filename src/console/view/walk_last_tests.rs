//! Issue 14's last newcomer walk, over what earlier walks left out (`i`, `w`, the import report,
//! `Ctrl-R`, a refused handshake, `wstab URL`, quitting), drawn on ratatui's `TestBackend`.

use super::tests::{connected_app, render, screen};
use crate::console::state::{Intent, Viewport};

/// The status bar: the screen's last line.
fn status_bar(s: &str) -> String {
    s.lines().last().unwrap_or_default().to_string()
}

#[test]
fn test_a_yes_no_question_hints_its_answers_not_a_menus_keys() {
    let mut app = connected_app();
    app.update(Intent::AskQuit, &Viewport::default());
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.contains("Quit and close 1 connection? (y/N)"), "{s}");
    let bar = status_bar(&s);
    assert!(bar.contains("y yes  n no  Enter no"), "the question's own answers, Enter's default: {bar}");
    assert!(!bar.contains("move") && !bar.contains("choose"), "↓ and Enter choose do nothing here: {bar}");
    assert!(bar.contains("F5 disconnect"), "the rest of the hints still follow the state: {bar}");
}
