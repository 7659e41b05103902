//! Issue 14's second newcomer walk (the state side): what a user of Postman expects from the
//! Request tables when a new row is cancelled or left without a name.

use super::request::Table;
use super::tests::workspace;
use super::*;

fn query_names(app: &App) -> Vec<String> {
    app.draft().unwrap().rows(Table::Query).iter().map(|r| r.param.name.clone()).collect()
}

#[test]
fn test_a_new_row_cancelled_or_left_without_a_name_is_not_kept() {
    let v = Viewport::default();
    let mut app = App::new(workspace(), 100);
    app.select_index(1);
    app.focus = Pane::Request;
    let before = query_names(&app);
    // `a` then Esc on its name: nothing added.
    app.update(Intent::AddQueryParam, &v);
    assert_eq!(query_names(&app).len(), before.len() + 1, "the row shows while it is named");
    app.update(Intent::Escape, &v);
    assert_eq!(query_names(&app), before, "a cancelled new row is gone");
    // `a`, Enter on an empty name: not added either, and the status bar says why.
    app.update(Intent::AddQueryParam, &v);
    app.update(Intent::Enter, &v);
    assert_eq!(query_names(&app), before);
    assert!(app.modals.is_empty(), "no value is asked for a row that is not there");
    let n = app.notice.clone().expect("a notice");
    assert!(n.error && n.text.contains("a row needs a name"), "{n:?}");
    // Named, the value prompt follows and the row stays even when the value is cancelled.
    app.update(Intent::AddQueryParam, &v);
    app.update(Intent::Char('p'), &v);
    app.update(Intent::Enter, &v);
    app.update(Intent::Escape, &v);
    assert_eq!(query_names(&app).last().map(String::as_str), Some("p"));
    // Renaming to nothing keeps the old name.
    app.update(Intent::RenameRow, &v);
    app.update(Intent::DeleteToLineStart, &v);
    app.update(Intent::Enter, &v);
    assert_eq!(query_names(&app).last().map(String::as_str), Some("p"));
    assert!(app.notice.clone().unwrap().text.contains("not renamed"));
}

#[test]
fn test_connecting_to_notice_goes_once_the_new_tab_is_connected() {
    use std::time::Duration;
    use wstab_core::connection::{Event, EventKind};
    let v = Viewport::default();
    let mut app = App::new(workspace(), 100);
    app.draft_at(1).query[0].param.value = "k".into();
    super::tests::connect(&mut app);
    app.update(Intent::Down, &v);
    app.update(Intent::ToggleConnection, &v);
    let Some(Effect::Connect { session, .. }) = app.update(Intent::Char('t'), &v) else {
        panic!("the new tab connects")
    };
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("connecting to")), "{:?}", app.notice);
    let opened = EventKind::Opened { subprotocol: None, elapsed: Duration::from_millis(3) };
    app.on_event(Event { session, at: super::tests::at(9_000), kind: opened });
    assert_eq!(app.notice, None, "a stale 'connecting to' stays no longer than the connecting");
    // Another notice is left alone by an open.
    app.notice = Some(Notice { text: "saved profile x".into(), error: false });
    let (session2, opened) = (session, EventKind::Opened { subprotocol: None, elapsed: Duration::from_millis(3) });
    app.on_event(Event { session: session2, at: super::tests::at(9_500), kind: opened });
    assert!(app.notice.is_some());
}
