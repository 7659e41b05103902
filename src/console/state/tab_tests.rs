//! Tabs of independent sessions and the gateway's side: events reach the tab that owns their
//! session, closing a tab ends only its session, and the gateway records are kept per API.

use super::tests::{at, connect, workspace};
use super::*;
use crate::console::message_log::Filter;
use crate::console::state::gateway_records::{ConnectionEndRecord, GatewayRecord, HandshakeRecord};
use wstab_core::connection::{Closer, Direction, EventKind, Frame, Utf8Bytes};

fn text_in(session: SessionId, ms: u64, t: &str) -> Event {
    Event {
        session,
        at: at(ms),
        kind: EventKind::Frame { dir: Direction::In, frame: Frame::Text(Utf8Bytes::from(t.to_string())) },
    }
}

/// Two tabs, each connected: returns (first tab's session, second tab's session).
fn two_connected_tabs(app: &mut App) -> (SessionId, SessionId) {
    let first = connect(app);
    app.update(Intent::NewTab, &Viewport::default());
    let second = connect(app);
    (first, second)
}

#[test]
fn test_new_tab_starts_without_a_session_and_shows_it() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    app.update(Intent::NewTab, &Viewport::default());
    assert_eq!((app.tab_count(), app.active), (2, 1));
    assert_eq!(app.state_word(), "Disconnected", "the new tab has no session yet");
    assert!(app.tab.log.is_empty(Filter::All));
    app.update(Intent::PrevTab, &Viewport::default());
    assert_eq!(app.state_word(), "Connected", "the first tab kept its session");
}

#[test]
fn test_events_go_to_the_tab_that_owns_the_session() {
    let mut app = App::new(workspace(), 100);
    let (first, second) = two_connected_tabs(&mut app);
    assert_ne!(first, second);
    let before = app.tab.log.len(Filter::All);
    app.on_event(text_in(first, 10, "for tab 1"));
    assert_eq!(app.tab.log.len(Filter::All), before, "the shown tab (2) logs nothing of tab 1");
    assert_eq!(app.parked[0].log.len(Filter::Received), 1, "tab 1 logs while hidden");
    assert_eq!(app.parked[0].unseen, 1, "the tab bar can tell tab 1 has news");
    app.on_event(text_in(second, 11, "for tab 2"));
    assert_eq!(app.tab.log.len(Filter::Received), 1);
    assert_eq!(app.tab.unseen, 0, "the shown tab's messages are seen");
    app.update(Intent::NextTab, &Viewport::default()); // wraps around to tab 1
    assert_eq!(app.active, 0);
    assert_eq!(app.tab.unseen, 0, "showing a tab marks its messages seen");
    assert_eq!(app.tab.log.counters().received.messages, 1);
    let body = app.tab.log.slice(Filter::Received, 0, 1).map(|e| e.preview()).collect::<String>();
    assert!(body.contains("for tab 1"), "{body}");
}

#[test]
fn test_closing_a_tab_disconnects_only_its_session() {
    let mut app = App::new(workspace(), 100);
    let (first, second) = two_connected_tabs(&mut app);
    app.update(Intent::CloseTab, &Viewport::default());
    assert_eq!(app.update(Intent::Char('y'), &Viewport::default()), Some(Effect::Disconnect { session: second }));
    assert_eq!(app.tab_count(), 1);
    assert_eq!(app.tab.connection.as_ref().map(|c| c.id), Some(first));
    assert_eq!(app.state_word(), "Connected");
    // The closed session's late close reaches no tab.
    let logged = app.tab.log.len(Filter::All);
    app.on_event(Event {
        session: second,
        at: at(30),
        kind: EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local },
    });
    assert_eq!(app.tab.log.len(Filter::All), logged);
    assert_eq!(app.state_word(), "Connected");
    assert_eq!(app.update(Intent::CloseTab, &Viewport::default()), None, "the last tab stays");
    assert_eq!(app.tab_count(), 1);
}

#[test]
fn test_each_tab_has_its_own_composer_and_api() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::Down, &Viewport::default()); // APIs: chat
    app.update(Intent::NewTab, &Viewport::default());
    assert_eq!(app.selected_index(), Some(1), "a new tab starts on the shown tab's API");
    app.update(Intent::Up, &Viewport::default()); // this tab: echo
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text("tab 2 draft");
    app.update(Intent::PrevTab, &Viewport::default());
    assert_eq!(app.selected_index(), Some(1), "tab 1 is still on chat");
    assert_ne!(app.tab.composer.editor.text(), "tab 2 draft");
    app.update(Intent::NextTab, &Viewport::default());
    assert_eq!((app.selected_index(), app.tab.composer.editor.text()), (Some(0), "tab 2 draft".to_string()));
}

#[test]
fn test_switching_tabs_keeps_the_bar_order() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::NewTab, &Viewport::default());
    app.update(Intent::NewTab, &Viewport::default());
    let ids = |app: &App| app.tabs().map(|(_, t)| t.id).collect::<Vec<_>>();
    assert_eq!(ids(&app), vec![1, 2, 3]);
    app.update(Intent::NextTab, &Viewport::default());
    assert_eq!((app.active, app.tab.id), (0, 1));
    app.show_tab(1);
    assert_eq!((ids(&app), app.tab.id), (vec![1, 2, 3], 2));
    app.update(Intent::CloseTab, &Viewport::default());
    assert_eq!((ids(&app), app.tab.id, app.active), (vec![1, 3], 3, 1));
}

fn handshake(api: &str, status: u16) -> GatewayRecord {
    GatewayRecord::Handshake(HandshakeRecord {
        time: "2026-11-26T12:00:01Z".into(),
        api: Some(api.into()),
        url: format!("/{api}?subscription-key=***"),
        status,
        reason: if status == 101 { "relayed".into() } else { "missing subscription key".into() },
        client: "127.0.0.1:5000".into(),
        duration_ms: 3,
        policies: Vec::new(),
    })
}

#[test]
fn test_gateway_records_are_kept_and_filtered_by_api() {
    let mut app = App::new(workspace(), 100);
    assert!(!app.gateway.watched, "off the demo there is nothing to show");
    app.on_reply(Reply::GatewayRecords(vec![handshake("echo", 101), handshake("chat", 401)]));
    app.on_reply(Reply::GatewayRecords(vec![GatewayRecord::ConnectionEnd(ConnectionEndRecord {
        time: "2026-11-26T12:00:09Z".into(),
        api: "echo".into(),
        client: "127.0.0.1:5000".into(),
        messages_from_client: 1,
        messages_from_backend: 1,
        bytes_from_client: 5,
        bytes_from_backend: 5,
        close_code: 1000,
        closed_by: "client".into(),
        error: None,
        duration_ms: 8000,
    })]));
    assert!(app.gateway.watched);
    let echo: Vec<_> = app.gateway.records_for("echo").collect();
    assert_eq!(echo.len(), 2);
    assert!(matches!(echo[0], GatewayRecord::ConnectionEnd(_)), "newest first");
    assert_eq!(app.gateway.records_for("chat").count(), 1);
    for _ in 0..gateway_side::KEEP {
        app.on_reply(Reply::GatewayRecords(vec![handshake("ticker", 101)]));
    }
    assert_eq!(app.gateway.records.len(), gateway_side::KEEP, "bounded");
}

#[test]
fn test_f6_opens_and_closes_the_gateway_view() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::GatewayView, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Gateway, scroll: 0 }));
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Gateway, scroll: 1 }));
    app.update(Intent::GatewayView, &Viewport::default());
    assert_eq!(app.modals.top().map(|_| ()), None);
}

#[test]
fn test_gateway_status_from_the_admin_address_replaces_what_is_shown() {
    let mut app = App::new(workspace(), 100);
    app.on_reply(Reply::GatewayRecords(vec![handshake("echo", 101), handshake("echo", 401)]));
    let mut metrics = std::collections::BTreeMap::new();
    metrics.insert("echo".to_string(), gateway_records::ApiMetrics { active: 2, ..Default::default() });
    let status = gateway_records::GatewayStatus { metrics, records: vec![handshake("echo", 101)] };
    app.on_reply(Reply::GatewayStatus(Box::new(status)));
    assert!(app.gateway.watched);
    assert_eq!(app.gateway.records_for("echo").count(), 1, "a poll replaces, never duplicates");
    assert_eq!(app.gateway.metrics["echo"].active, 2);
}
