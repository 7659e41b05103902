//! Update-logic tests: `App` driven by Actions and synthetic connection events, no terminal.

use std::time::{Duration, SystemTime};

use super::*;
use crate::console::message_log::Filter;
use wstab_core::connection::{
    Closer, ConnError, Direction, EventKind, FailureKind, Frame, HandshakeTrace, Param, ResponseTrace, Utf8Bytes,
};
use wstab_core::workspace::Api;

fn api(name: &str, suffix: &str) -> Api {
    Api {
        name: name.into(),
        display_name: String::new(),
        url_suffix: suffix.into(),
        query: vec![],
        headers: vec![],
        subprotocols: vec![],
        sample_message: None,
    }
}

/// A workspace with `echo` and a `chat` whose subscription key is required and empty.
pub fn workspace() -> Workspace {
    let mut chat = api("chat", "client/hubs/chat");
    chat.display_name = "Chat".into();
    chat.query = vec![Param::new("subscription-key", "").secret().required()];
    chat.subprotocols = vec!["json.webpubsub.azure.v1".into()];
    let mut echo = api("echo", "echo");
    echo.sample_message = Some("hello".into());
    Workspace { name: "Test".into(), gateway: "ws://127.0.0.1:9".into(), apis: vec![echo, chat] }
}

pub fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

fn ev(app: &App, ms: u64, kind: EventKind) -> Event {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    Event { session, at: at(ms), kind }
}

fn text(dir: Direction, t: &str) -> EventKind {
    EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(t.to_string())) }
}

/// Presses `code` with `mods` as the terminal reports it, in whatever context the app is in:
/// through the keymap, then `update`; returns the effect. A key that does nothing there fails.
#[track_caller]
pub fn press(app: &mut App, code: crossterm::event::KeyCode, mods: crossterm::event::KeyModifiers) -> Option<Effect> {
    let ctx = app.input_context();
    let action = app
        .keys
        .action_for_key(&crossterm::event::KeyEvent::new(code, mods), ctx)
        .unwrap_or_else(|| panic!("{mods:?}+{code:?} does nothing in {ctx:?}"));
    app.update(action, &Viewport::default())
}

/// Types `s` one pressed character at a time (see [`press`]).
pub fn press_text(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, crossterm::event::KeyCode::Char(c), crossterm::event::KeyModifiers::NONE);
    }
}

/// Connects the selected API and feeds the events of a successful open.
pub fn connect(app: &mut App) -> SessionId {
    let Some(Effect::Connect { session, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("F5 should connect");
    };
    app.on_event(ev(app, 0, EventKind::Connecting { url: "ws://127.0.0.1:9/echo".into() }));
    app.on_event(ev(app, 5, EventKind::Opened { subprotocol: None, elapsed: Duration::from_millis(5) }));
    session
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
}

#[test]
fn test_life_cycle_connect_open_disconnect() {
    let mut app = App::new(workspace(), 100);
    assert_eq!(app.state_word(), "Disconnected");
    assert_eq!(app.focus, Pane::Apis);
    let Some(Effect::Connect { session, target, .. }) = app.update(Intent::ToggleConnection, &Viewport::default())
    else {
        panic!()
    };
    assert_eq!(target.url, "ws://127.0.0.1:9/echo");
    assert_eq!(app.state_word(), "Connecting…");
    app.on_event(ev(&app, 5, EventKind::Opened { subprotocol: Some("p".into()), elapsed: Duration::ZERO }));
    assert_eq!(app.state_word(), "Connected");
    assert_eq!(app.connected_api(), Some(0));
    app.on_reply(Reply::Tick(at(65_005)));
    assert_eq!(app.connected_for(), Some(Duration::from_secs(65)));
    assert_eq!(app.update(Intent::ToggleConnection, &Viewport::default()), Some(Effect::Disconnect { session }));
    assert_eq!(app.state_word(), "Disconnecting…");
    app.on_event(ev(&app, 70_000, EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local }));
    assert_eq!(app.state_word(), "Disconnected");
    assert_eq!(app.connected_api(), None);
}

#[test]
fn test_life_cycle_server_close() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    app.on_event(ev(
        &app,
        10,
        EventKind::Frame { dir: Direction::In, frame: Frame::Close(Some((1001, "bye".into()))) },
    ));
    assert_eq!(app.state_word(), "Disconnecting…");
    app.on_event(ev(&app, 11, EventKind::Closed { code: 1001, reason: "bye".into(), by: Closer::Remote }));
    assert_eq!(app.state_word(), "Disconnected");
}

#[test]
fn test_life_cycle_cancel_while_connecting() {
    let mut app = App::new(workspace(), 100);
    let Some(Effect::Connect { session, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!()
    };
    assert_eq!(app.update(Intent::ToggleConnection, &Viewport::default()), Some(Effect::Disconnect { session }));
    app.on_event(ev(&app, 1, EventKind::Closed { code: 1000, reason: "cancelled".into(), by: Closer::Local }));
    assert_eq!(app.state_word(), "Disconnected");
    // F5 again starts a new session with a new id.
    let Some(Effect::Connect { session: second, .. }) = app.update(Intent::ToggleConnection, &Viewport::default())
    else {
        panic!()
    };
    assert_ne!(session, second);
}

#[test]
fn test_refusal_opens_the_trace_with_the_hint() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::ToggleConnection, &Viewport::default());
    let trace = HandshakeTrace {
        request_line: "GET /nope HTTP/1.1".into(),
        request_headers: vec![],
        response: Some(ResponseTrace { status: 404, reason: "Not Found".into(), headers: vec![], body: "x".into() }),
    };
    app.on_event(ev(&app, 1, EventKind::Handshake(Box::new(trace))));
    let err = ConnError::new(FailureKind::HandshakeRefused { status: 404 }, "refused");
    app.on_event(ev(&app, 2, EventKind::Failed(err)));
    assert_eq!(app.state_word(), "Disconnected");
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Trace, scroll: 0 }));
    assert!(app.tab.last_error.as_ref().unwrap().hint.contains("URL suffix"));
    app.update(Intent::Escape, &Viewport::default());
    assert_eq!(app.modals.top().map(|_| ()), None);
    app.update(Intent::ShowTrace, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Trace, scroll: 0 }));
}

#[test]
fn test_required_param_empty_refuses_to_connect_and_names_it() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.selected_index(), Some(1));
    assert_eq!(app.update(Intent::ToggleConnection, &Viewport::default()), None);
    let notice = app.notice.clone().unwrap();
    assert!(notice.error && notice.text.contains("subscription-key"), "{notice:?}");
    assert_eq!(app.focus, Pane::Request);
    assert_eq!(app.tab.connection.as_ref().map(|c| c.state), None);
    // Fill it in: Enter edits the value, typing, Enter accepts; then F5 connects.
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.input_context(), InputContext::Prompt);
    type_text(&mut app, "k-123456");
    app.update(Intent::Enter, &Viewport::default());
    let d = app.draft().unwrap();
    assert_eq!(d.query[0].param.value, "k-123456");
    assert_eq!(d.query[0].shown_value(&[]), wstab_core::secret::MASK, "secret values are masked until revealed");
    assert!(!d.target().display_url().contains("k-123456"));
    app.update(Intent::RevealRow, &Viewport::default());
    assert_eq!(app.draft().unwrap().query[0].shown_value(&[]), "k-123456");
    assert!(matches!(app.update(Intent::ToggleConnection, &Viewport::default()), Some(Effect::Connect { .. })));
}

#[test]
fn test_request_rows_add_edit_toggle_delete() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::FocusNext, &Viewport::default());
    assert_eq!(app.focus, Pane::Request);
    app.update(Intent::AddHeader, &Viewport::default());
    type_text(&mut app, "X-Trace");
    app.update(Intent::Enter, &Viewport::default());
    type_text(&mut app, "abc");
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.draft().unwrap().headers[0].param, Param::new("X-Trace", "abc"));
    app.update(Intent::ToggleRow, &Viewport::default());
    assert!(!app.draft().unwrap().headers[0].param.enabled);
    assert!(app.draft().unwrap().target().request().unwrap().headers().get("x-trace").is_none());
    app.update(Intent::RenameRow, &Viewport::default());
    for _ in 0..5 {
        app.update(Intent::Backspace, &Viewport::default());
    }
    type_text(&mut app, "Id");
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.draft().unwrap().headers[0].param.name, "X-Id");
    app.update(Intent::Delete, &Viewport::default());
    assert!(app.draft().unwrap().headers.is_empty());
    // Pasting onto a row edits its value, trimmed.
    app.update(Intent::AddQueryParam, &Viewport::default());
    type_text(&mut app, "access_token");
    app.update(Intent::Enter, &Viewport::default());
    app.update(Intent::Escape, &Viewport::default());
    app.update(Intent::Paste("  eyJ.tok\n".into()), &Viewport::default());
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.draft().unwrap().query[0].param.value, "eyJ.tok");
}

#[test]
fn test_send_and_history_recall() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.focus, Pane::Composer);
    assert_eq!(app.tab.composer.editor.text(), "hello", "the API's sample message is loaded");
    assert_eq!(app.update(Intent::Enter, &Viewport::default()), None, "not connected yet");
    assert!(app.notice.as_ref().unwrap().text.contains("F5"));
    let session = connect(&mut app);
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Text("hello".into()) })
    );
    assert!(app.tab.composer.editor.is_empty());
    type_text(&mut app, "two");
    app.update(Intent::Newline, &Viewport::default());
    type_text(&mut app, "lines");
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Text("two\nlines".into()) })
    );
    type_text(&mut app, "draft");
    app.update(Intent::Up, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), "two\nlines");
    app.update(Intent::Up, &Viewport::default()); // moves to the first line of the recalled message
    app.update(Intent::Up, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), "hello");
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), "two\nlines");
    app.update(Intent::Down, &Viewport::default());
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), "draft", "the unsent text comes back");
}

#[test]
fn test_binary_modes_ping_and_close() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    app.focus = Pane::Composer;
    app.tab.composer.editor.clear();
    app.update(Intent::ToggleMessageMode, &Viewport::default());
    type_text(&mut app, "de ad be ef");
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Binary(vec![0xde, 0xad, 0xbe, 0xef]) })
    );
    type_text(&mut app, "zz");
    assert_eq!(app.update(Intent::Enter, &Viewport::default()), None);
    assert!(app.notice.as_ref().unwrap().text.contains("hex"));
    app.tab.composer.editor.clear();
    app.update(Intent::ToggleMessageMode, &Viewport::default());
    type_text(&mut app, "AQI=");
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Binary(vec![1, 2]) })
    );
    assert_eq!(
        app.update(Intent::Ping, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Ping(vec![]) })
    );
    app.update(Intent::Close, &Viewport::default());
    assert_eq!(app.input_context(), InputContext::Prompt);
    type_text(&mut app, " going away");
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("1000 going away"));
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Close { code: 1000, reason: "going away".into() } })
    );
    assert_eq!(app.state_word(), "Disconnecting…");
}

#[test]
fn test_follow_pause_and_filter() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    let vp = Viewport { messages_rows: 3, ..Viewport::default() };
    for i in 0..10 {
        let dir = if i % 2 == 0 { Direction::Out } else { Direction::In };
        app.on_event(ev(&app, 100 + i, text(dir, &format!("m{i}"))));
    }
    app.focus = Pane::Messages;
    assert!(app.tab.messages.following());
    app.update(Intent::Up, &vp);
    assert!(!app.tab.messages.following(), "scrolling up pauses");
    assert_eq!(app.tab.messages.newer_than_selection(&app.tab.log), 0, "the first Up selects the newest row");
    app.update(Intent::Up, &vp);
    assert_eq!(app.tab.messages.newer_than_selection(&app.tab.log), 1);
    app.on_event(ev(&app, 200, text(Direction::In, "late")));
    assert_eq!(app.tab.messages.newer_than_selection(&app.tab.log), 2, "the paused view stays put");
    app.update(Intent::Last, &vp);
    assert!(app.tab.messages.following());
    app.update(Intent::Up, &vp);
    app.update(Intent::ToggleConnection, &vp);
    app.on_event(ev(&app, 300, EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local }));
    assert!(!app.tab.messages.following());
    assert!(matches!(app.update(Intent::ToggleConnection, &vp), Some(Effect::Connect { .. })));
    assert!(app.tab.messages.following(), "a new session is watched live");
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.messages.filter, Filter::Sent);
    // Five sent messages, and "disconnected by us".
    assert_eq!(app.tab.log.len(Filter::Sent), 6);
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.log.len(Filter::Received), 6);
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.log.len(Filter::Connection), 3);
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.messages.filter, Filter::Errors);
    assert_eq!(app.tab.log.len(Filter::Errors), 0);
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.messages.filter, Filter::NoChatter);
    app.update(Intent::CycleFilter, &vp);
    assert_eq!(app.tab.messages.filter, Filter::All, "the cycle comes back round");
}

#[test]
fn test_search_finds_older_and_newer_matches() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    for (i, t) in ["apple", "banana", "apple pie", "cherry"].iter().enumerate() {
        app.on_event(ev(&app, 100 + i as u64, text(Direction::In, t)));
    }
    app.focus = Pane::Messages;
    app.update(Intent::Search, &Viewport::default());
    type_text(&mut app, "APPLE");
    app.update(Intent::Enter, &Viewport::default());
    let selected = |app: &App| app.tab.messages.selected.and_then(|s| app.tab.log.get(s)).map(|e| e.preview());
    assert_eq!(selected(&app).as_deref(), Some("apple pie"));
    app.update(Intent::SearchOlder, &Viewport::default());
    assert_eq!(selected(&app).as_deref(), Some("apple"));
    app.update(Intent::SearchOlder, &Viewport::default());
    assert!(app.notice.as_ref().unwrap().text.contains("no more matches"));
    app.update(Intent::SearchNewer, &Viewport::default());
    assert_eq!(selected(&app).as_deref(), Some("apple pie"));
    app.update(Intent::Enter, &Viewport::default());
    assert!(matches!(app.modals.view(), Some(View { kind: ViewKind::Detail { .. }, .. })));
}

#[test]
fn test_bounded_log_says_how_many_were_dropped_and_clear_keeps_saving() {
    let mut app = App::new(workspace(), 5);
    connect(&mut app);
    for i in 0..20 {
        app.on_event(ev(&app, 100 + i, text(Direction::In, "x")));
    }
    assert_eq!(app.tab.log.len(Filter::All), 5);
    assert_eq!(app.tab.log.dropped(), 17);
    app.update(Intent::ClearLog, &Viewport::default());
    assert_eq!(app.tab.log.len(Filter::All), 0);
    assert_eq!(app.update(Intent::Save, &Viewport::default()), None);
    assert_eq!(app.input_context(), InputContext::Prompt);
    assert_eq!(app.modals.prompt().unwrap().field.text(), "wstab-session.ndjson");
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Save { path: "wstab-session.ndjson".into() })
    );
}

#[test]
fn test_q_and_help_and_focus_cycle() {
    let mut app = App::new(workspace(), 5);
    for expected in [Pane::Request, Pane::Messages, Pane::Composer, Pane::Apis] {
        app.update(Intent::FocusNext, &Viewport::default());
        assert_eq!(app.focus, expected);
    }
    app.update(Intent::FocusPrev, &Viewport::default());
    assert_eq!(app.focus, Pane::Composer);
    app.update(Intent::Escape, &Viewport::default());
    assert_eq!(app.focus, Pane::Messages, "Esc leaves the editor");
    app.update(Intent::Help, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Help, scroll: 0 }));
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Help, scroll: 1 }));
    app.update(Intent::Escape, &Viewport::default());
    assert_eq!(app.update(Intent::Quit, &Viewport::default()), Some(Effect::Quit));
}

#[test]
fn test_clicks_focus_and_select() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::Click { pane: Pane::Apis, row: Some(1) }, &Viewport::default());
    assert_eq!(app.selected_index(), Some(1));
    app.update(Intent::Click { pane: Pane::Composer, row: None }, &Viewport::default());
    assert_eq!(app.focus, Pane::Composer);
    app.update(Intent::Click { pane: Pane::Apis, row: Some(0) }, &Viewport::default());
    connect(&mut app);
    app.update(Intent::Click { pane: Pane::Messages, row: Some(0) }, &Viewport::default());
    assert_eq!(app.focus, Pane::Messages);
    assert!(!app.tab.messages.following());
    app.update(Intent::Scroll { pane: Pane::Messages, lines: 3 }, &Viewport::default());
    assert!(app.tab.messages.following(), "wheel down to the end follows again");
}

#[test]
fn test_events_of_a_left_session_are_logged_without_changing_state() {
    let mut app = App::new(workspace(), 100);
    let old = connect(&mut app);
    app.update(Intent::ToggleConnection, &Viewport::default());
    app.on_event(Event {
        session: old,
        at: at(10),
        kind: EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local },
    });
    connect(&mut app);
    assert_eq!(app.state_word(), "Connected");
    app.on_event(Event {
        session: old,
        at: at(20),
        kind: EventKind::Failed(ConnError::new(FailureKind::Abnormal, "late")),
    });
    assert_eq!(app.state_word(), "Connected");
    assert_eq!(app.tab.log.len(Filter::Errors), 1);
}

/// Connects with the reliable Web PubSub subprotocol negotiated.
fn connect_reliable(app: &mut App) -> SessionId {
    let Some(Effect::Connect { session, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("F5 should connect");
    };
    let subprotocol = Some(webpubsub::RELIABLE_SUBPROTOCOL.to_string());
    app.on_event(ev(app, 5, EventKind::Opened { subprotocol, elapsed: Duration::from_millis(5) }));
    session
}

fn group_message(id: u64) -> String {
    format!(r#"{{"type":"message","from":"group","group":"g","dataType":"text","data":"m{id}","sequenceId":{id}}}"#)
}

#[test]
fn test_reliable_messages_are_acked_with_the_highest_id_at_most_every_interval() {
    let mut app = App::new(workspace(), 100);
    app.on_reply(Reply::Tick(at(0)));
    let session = connect_reliable(&mut app);
    assert!(app.due_acks().is_empty(), "nothing received, nothing to ack");
    for id in 1..=3 {
        app.on_event(ev(&app, 10, text(Direction::In, &group_message(id))));
    }
    let ack = |id| Effect::Send { session, command: CommandToSend::Text(webpubsub::sequence_ack(id)) };
    assert_eq!(app.due_acks(), vec![ack(3)], "one ack for the batch, with the highest id");
    assert!(app.due_acks().is_empty(), "acked once");
    app.on_event(ev(&app, 50, text(Direction::In, &group_message(4))));
    assert!(app.due_acks().is_empty(), "held back: the last ack is younger than the interval");
    app.on_reply(Reply::Tick(at(120)));
    assert_eq!(app.due_acks(), vec![ack(4)], "the tick sends what waited");
    // The ack the session reports back is chatter, which the last filter hides.
    app.on_event(ev(&app, 121, text(Direction::Out, &webpubsub::sequence_ack(4))));
    let last = app.tab.log.get(app.tab.log.last_seq().unwrap()).unwrap();
    assert_eq!(last.kind, crate::console::message_log::EntryKind::Chatter(Direction::Out));
    assert_eq!(app.tab.log.len(Filter::All), 6);
    assert_eq!(app.tab.log.len(Filter::NoChatter), 5);
    assert_eq!(app.tab.log.len(Filter::Sent), 1, "an ack is still something we sent");
}

#[test]
fn test_the_ack_key_turns_acknowledging_off_and_on() {
    let mut app = App::new(workspace(), 100);
    connect_reliable(&mut app);
    app.focus = Pane::Messages;
    app.update(Intent::ToggleSequenceAck, &Viewport::default());
    assert!(!app.auto_ack);
    app.on_event(ev(&app, 10, text(Direction::In, &group_message(1))));
    assert!(app.due_acks().is_empty(), "off: no ack");
    app.update(Intent::ToggleSequenceAck, &Viewport::default());
    app.on_event(ev(&app, 20, text(Direction::In, &group_message(2))));
    assert_eq!(app.due_acks().len(), 1, "on again");
}

#[test]
fn test_messages_on_other_subprotocols_are_not_acked() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    app.on_event(ev(&app, 10, text(Direction::In, &group_message(1))));
    assert!(app.due_acks().is_empty());
}

#[test]
fn test_received_sequence_id_is_kept_on_its_row() {
    let mut app = App::new(workspace(), 100);
    connect_reliable(&mut app);
    app.on_event(ev(&app, 10, text(Direction::In, &group_message(12))));
    let last = app.tab.log.get(app.tab.log.last_seq().unwrap()).unwrap();
    assert_eq!(last.sequence_id, Some(12));
    app.on_event(ev(&app, 11, text(Direction::In, r#"{"data":{"sequenceId":9}}"#)));
    let last = app.tab.log.get(app.tab.log.last_seq().unwrap()).unwrap();
    assert_eq!(last.sequence_id, None, "only the top-level field counts");
}

#[test]
fn test_composed_ack_ids_count_up_and_other_messages_are_sent_as_typed() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    app.focus = Pane::Composer;
    let sent = |app: &mut App, typed: &str| {
        app.tab.composer.editor.set_text(typed);
        match app.update(Intent::Enter, &Viewport::default()) {
            Some(Effect::Send { session: s, command: CommandToSend::Text(t) }) if s == session => t,
            other => panic!("{other:?}"),
        }
    };
    let join = r#"{"type":"joinGroup","group":"g","ackId":0}"#;
    assert_eq!(sent(&mut app, join), r#"{"type":"joinGroup","group":"g","ackId":1}"#);
    assert_eq!(app.notice.as_ref().map(|n| n.text.as_str()), Some("sent with ackId 1"));
    assert_eq!(sent(&mut app, join), r#"{"type":"joinGroup","group":"g","ackId":2}"#);
    assert_eq!(sent(&mut app, "plain ackId"), "plain ackId", "not JSON: as typed");
    assert_eq!(sent(&mut app, r#"{"type":"event"}"#), r#"{"type":"event"}"#, "no ackId: as typed");
    assert_eq!(sent(&mut app, join), r#"{"type":"joinGroup","group":"g","ackId":3}"#);
}

#[test]
fn test_ctrl_k_adds_an_ack_id_that_is_numbered_when_sent() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text(r#"{"type":"event","event":"e"}"#);
    app.update(Intent::AddAckId, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), r#"{"ackId":0,"type":"event","event":"e"}"#);
    let Some(Effect::Send { command: CommandToSend::Text(sent), .. }) = app.update(Intent::Enter, &Viewport::default())
    else {
        panic!()
    };
    assert_eq!(sent, r#"{"ackId":1,"type":"event","event":"e"}"#);
    app.tab.composer.editor.set_text("plain");
    app.update(Intent::AddAckId, &Viewport::default());
    assert_eq!(app.tab.composer.editor.text(), "plain");
    assert!(app.notice.as_ref().is_some_and(|n| n.error), "{:?}", app.notice);
}
