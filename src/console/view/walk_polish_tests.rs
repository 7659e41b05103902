//! Issue 14's third walk through the console (120×36 and 80×24), drawn on ratatui's
//! `TestBackend`: the Messages border says "paused" only when something newer waits, and a
//! question names its keys once.

use super::tests::{connected_app, render, screen};
use crate::console::state::tests::{at, workspace};
use crate::console::state::{App, Intent, Pane, Reply, Viewport};
use wstab_core::connection::{Direction, Event, EventKind, Frame, Utf8Bytes};

fn push_text(app: &mut App, dir: Direction, ms: u64, text: &str) {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let frame = Frame::Text(Utf8Bytes::from(text.to_string()));
    app.on_event(Event { session, at: at(ms), kind: EventKind::Frame { dir, frame } });
}

#[test]
fn test_a_search_on_the_newest_row_does_not_say_paused_until_something_newer_arrives() {
    let mut app = connected_app();
    app.focus = Pane::Messages;
    app.update(Intent::Search, &Viewport::default());
    for c in "pong".chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
    app.update(Intent::Enter, &Viewport::default());
    assert!(!app.tab.messages.following(), "the match is selected");
    let s = screen(&render(&mut app, 80, 24));
    let title = s.lines().find(|l| l.contains("Messages")).unwrap_or_default().to_string();
    assert!(!title.contains("paused") && !title.contains("0 newer"), "{title}");
    assert!(title.contains("End follows"), "{title}");
    // Something newer arrives: now the view holds it back, and says so.
    push_text(&mut app, Direction::In, 90_000, "later");
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("paused · 1 newer · End follows"), "{s}");
}

#[test]
fn test_a_question_names_its_keys_once_on_the_line_under_it() {
    let profile = wstab_core::profile::Profile { url: "ws://h/x".into(), ..Default::default() };
    let mut app = App::new(workspace(), 100);
    app.on_reply(Reply::ProfilesLoaded {
        profiles: vec![("chat-prod".into(), profile)],
        broken: vec![],
        outcomes: vec![],
        select: None,
    });
    app.select_index(2);
    app.focus = Pane::Apis;
    app.update(Intent::DeleteProfile, &Viewport::default());
    for (w, h) in [(80, 24), (120, 36)] {
        let s = screen(&render(&mut app, w, h));
        assert!(s.contains("Delete the profile \"chat-prod\" (its file too)?"), "{s}");
        assert!(s.contains("y delete · n / Enter / Esc keep"), "{s}");
        assert!(!s.contains("y/N") && !s.contains("Y/n"), "{s}");
        assert_eq!(s.matches("keep").count(), 1, "the keys are named once at {w}×{h}:\n{s}");
    }
}
