//! Issue 14's third walk (the state side): the search's `3/17` stays true while messages arrive
//! and old ones drop off the log.

use super::tests::{at, connect, workspace};
use super::*;
use wstab_core::connection::{Direction, EventKind, Frame, Utf8Bytes};

fn receive(app: &mut App, ms: u64, text: &str) {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let frame = Frame::Text(Utf8Bytes::from(text.to_string()));
    app.on_event(Event { session, at: at(ms), kind: EventKind::Frame { dir: Direction::In, frame } });
}

fn search(app: &mut App, term: &str) {
    let v = Viewport::default();
    app.update(Intent::Search, &v);
    for c in term.chars() {
        app.update(Intent::Char(c), &v);
    }
    app.update(Intent::Enter, &v);
}

#[test]
fn test_the_search_count_follows_messages_that_arrive_and_drop_off() {
    // Six entries kept: `connect`, `open`, then what arrives.
    let mut app = App::new(workspace(), 6);
    connect(&mut app);
    for (i, t) in ["apple", "banana", "apple pie"].iter().enumerate() {
        receive(&mut app, 100 + i as u64, t);
    }
    app.focus = Pane::Messages;
    search(&mut app, "Apple");
    assert_eq!(app.tab.messages.hits(), Some((2, 2)), "on the newest match, second of two");
    receive(&mut app, 200, "crab apple");
    assert_eq!(app.tab.messages.hits(), Some((2, 3)), "a match arrived: counted");
    receive(&mut app, 201, "cherry");
    receive(&mut app, 202, "damson");
    assert_eq!(app.tab.messages.hits(), Some((2, 3)), "`connect` and `open` dropped: no match lost");
    receive(&mut app, 203, "elder");
    assert_eq!(app.tab.messages.hits(), Some((1, 2)), "the first apple dropped off the log");
    app.update(Intent::SearchNewer, &Viewport::default());
    assert_eq!(app.tab.messages.hits(), Some((2, 2)));
    app.update(Intent::ClearLog, &Viewport::default());
    assert_eq!(app.tab.messages.hits(), Some((0, 0)), "a cleared log holds no match");
    receive(&mut app, 300, "APPLE again");
    assert_eq!(app.tab.messages.hits(), Some((0, 1)), "one match, not gone to yet");
    search(&mut app, "apple");
    assert_eq!(app.tab.messages.hits(), Some((1, 1)));
}
