//! The session registry seen through `update`/`on_event`: a session lives until its `Ended`, not
//! its first `Closed`/`Failed`; a reconnect shows its attempt and countdown; F5 stops it.

use super::tests::{at, connect, workspace};
use super::*;
use crate::console::message_log::Filter;
use wstab_core::connection::{Closer, ConnError, EventKind, FailureKind};

fn event(session: SessionId, ms: u64, kind: EventKind) -> Event {
    Event { session, at: at(ms), kind }
}

/// The events a reconnect supervisor sends when the server drops an open connection.
fn dropped_then_reconnecting(app: &mut App, session: SessionId, ms: u64, attempt: u32) {
    let lost = ConnError::new(FailureKind::Abnormal, "connection closed abnormally (1006)");
    app.on_event(event(session, ms, EventKind::Failed(lost)));
    let delay = Duration::from_secs(2);
    app.on_event(event(session, ms, EventKind::Reconnecting { attempt, delay, after: "abnormal".into() }));
}

fn log_text(app: &App) -> String {
    let n = app.tab.log.len(Filter::All);
    app.tab.log.slice(Filter::All, 0, n).map(|e| e.preview()).collect::<Vec<_>>().join("\n")
}

#[test]
fn test_a_lost_connection_under_reconnect_keeps_the_session_and_shows_the_attempt() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    dropped_then_reconnecting(&mut app, session, 100, 1);
    // The test's clock: the events' times, not the wall clock `App::new` started with.
    app.on_reply(Reply::Tick(at(100)));
    assert!(app.sessions.is_alive(session), "a Failed followed by Reconnecting is not the end");
    assert_eq!(app.state_word(), "Connecting…");
    assert_eq!(app.reconnect_text().as_deref(), Some("reconnecting (attempt 1, in 2.0s)"));
    app.on_reply(Reply::Tick(at(600)));
    assert_eq!(app.reconnect_text().as_deref(), Some("reconnecting (attempt 1, in 1.5s)"), "the wait counts down");
    app.on_reply(Reply::Tick(at(2_200)));
    assert_eq!(app.reconnect_text().as_deref(), Some("reconnecting (attempt 1)"), "the attempt is under way");
    assert!(log_text(&app).contains("reconnecting in 2.0s (attempt 1, after abnormal)"), "{}", log_text(&app));
    // The next attempt opens: back to connected, the same session.
    app.on_event(event(session, 2_300, EventKind::Connecting { url: "ws://127.0.0.1:9/echo".into() }));
    app.on_event(event(session, 2_310, EventKind::Opened { subprotocol: None, elapsed: Duration::from_millis(10) }));
    assert_eq!(app.state_word(), "Connected");
    assert_eq!(app.reconnect_text(), None);
    assert!(app.sessions.is_alive(session));
}

#[test]
fn test_f5_while_reconnecting_stops_it_and_the_end_forgets_the_session() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    dropped_then_reconnecting(&mut app, session, 100, 1);
    assert_eq!(app.update(Intent::ToggleConnection, &Viewport::default()), Some(Effect::Disconnect { session }));
    assert_eq!(app.state_word(), "Disconnecting…");
    assert_eq!(app.reconnect_text(), None, "no countdown once the user stopped it");
    let stopped = EventKind::Closed { code: 1000, reason: "reconnecting stopped".into(), by: Closer::Local };
    app.on_event(event(session, 300, stopped));
    assert!(app.sessions.is_alive(session), "alive until the session says it ended");
    let rows = app.tab.log.len(Filter::All);
    app.on_event(event(session, 300, EventKind::Ended));
    assert!(!app.sessions.is_alive(session));
    assert_eq!(app.tab.log.len(Filter::All), rows, "Ended adds no log row");
    assert_eq!(app.state_word(), "Disconnected");
    // F5 now starts a new session.
    let Some(Effect::Connect { session: next, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("F5 after the end should connect");
    };
    assert_ne!(next, session);
}

#[test]
fn test_a_clean_close_ends_the_session_only_with_ended() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    app.on_event(event(session, 50, EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Remote }));
    assert_eq!(app.state_word(), "Disconnected");
    assert!(app.sessions.is_alive(session));
    app.on_event(event(session, 50, EventKind::Ended));
    assert!(app.sessions.is_empty());
}

#[test]
fn test_a_closed_tabs_session_stays_registered_until_it_ends() {
    let mut app = App::new(workspace(), 100);
    let first = connect(&mut app);
    app.update(Intent::NewTab, &Viewport::default());
    let second = connect(&mut app);
    app.update(Intent::CloseTab, &Viewport::default());
    assert_eq!(app.update(Intent::Char('y'), &Viewport::default()), Some(Effect::Disconnect { session: second }));
    assert!(app.sessions.is_alive(second), "its handle is kept so the close is polite");
    assert_eq!(app.sessions.owner(second), None, "no tab shows it any more");
    let rows = app.tab.log.len(Filter::All);
    app.on_event(event(second, 60, EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local }));
    app.on_event(event(second, 60, EventKind::Ended));
    assert!(!app.sessions.is_alive(second));
    assert_eq!(app.tab.log.len(Filter::All), rows, "the remaining tab logs nothing of it");
    assert_eq!(app.sessions.owner(first), Some(app.tab.id));
    assert_eq!(app.state_word(), "Connected");
}
