//! Update-logic tests for pairing in the console (latency on the reply row, stats, the waiting
//! list, ping RTT, Ctrl-R) and for the session exports (HAR, `wstab run` script) written by the
//! loop's own effects into a temp dir.

use std::time::Duration;

use super::request::Row;
use super::tests::{at, connect, workspace};
use super::*;
use crate::console::runtime::effects::Outside;
use wstab_core::connection::{Direction, EventKind, Frame, HandshakeTrace, Param, ResponseTrace, Utf8Bytes};
use wstab_core::profile::ProfileStore;

fn ev(app: &App, ms: u64, kind: EventKind) -> Event {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    Event { session, at: at(ms), kind }
}

fn text(dir: Direction, t: &str) -> EventKind {
    EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(t.to_string())) }
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
}

/// Ctrl-R, replace the prompt's text with `pointer`, Enter.
fn set_pointer(app: &mut App, pointer: &str) {
    app.update(Intent::SetCorrelation, &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.what.clone()), Some(PromptFor::Correlation));
    let n = app.modals.prompt().map(|p| p.field.text().chars().count()).unwrap_or(0);
    for _ in 0..n {
        app.update(Intent::Backspace, &Viewport::default());
    }
    type_text(app, pointer);
    app.update(Intent::Enter, &Viewport::default());
}

#[test]
fn test_reply_with_ack_id_shows_its_latency_on_its_row_and_in_the_stats() {
    let mut app = App::new(workspace(), 100);
    set_pointer(&mut app, "/ackId");
    connect(&mut app);
    assert_eq!(app.tab.pairing.pairing.pointer(), Some("/ackId"), "the tab's pointer applies to its session");
    app.on_event(ev(&app, 10, text(Direction::Out, r#"{"type":"joinGroup","group":"g","ackId":1}"#)));
    app.on_event(ev(&app, 11, text(Direction::Out, r#"{"type":"joinGroup","group":"h","ackId":2}"#)));
    app.on_event(ev(&app, 22, text(Direction::In, r#"{"type":"ack","ackId":1,"success":true}"#)));
    let reply = app.tab.log.last_seq().unwrap();
    assert_eq!(app.tab.pairing.latency_of(reply), Some(Duration::from_millis(12)));
    assert_eq!(app.tab.pairing.latency_of(reply - 1), None, "the request row has no latency");
    let s = app.tab.pairing.replies;
    assert_eq!((s.count, s.p50, s.max), (1, Duration::from_millis(12), Duration::from_millis(12)));
    // The second request is still waiting; the overlay lists it.
    let waiting: Vec<_> = app.tab.pairing.pairing.replies().waiting().map(|w| w.key.clone()).collect();
    assert_eq!(waiting, ["2"]);
    app.focus = Pane::Messages;
    app.update(Intent::ShowWaiting, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Waiting, scroll: 0 }));
    app.update(Intent::ShowWaiting, &Viewport::default());
    assert_eq!(app.modals.top().map(|_| ()), None, "w closes it again");
}

#[test]
fn test_ping_round_trip_is_paired_without_a_pointer() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    assert_eq!(app.tab.pairing.pairing.pointer(), None);
    app.on_event(ev(&app, 100, EventKind::Frame { dir: Direction::Out, frame: Frame::Ping(b"p1".to_vec().into()) }));
    app.on_event(ev(&app, 107, EventKind::Frame { dir: Direction::In, frame: Frame::Pong(b"p1".to_vec().into()) }));
    assert_eq!(app.tab.pairing.pings.count, 1);
    assert_eq!(app.tab.pairing.pings.p95, Duration::from_millis(7));
    assert_eq!(app.tab.pairing.latency_of(app.tab.log.last_seq().unwrap()), Some(Duration::from_millis(7)));
    // Without a pointer, JSON replies are not paired.
    app.on_event(ev(&app, 110, text(Direction::Out, r#"{"ackId":1}"#)));
    app.on_event(ev(&app, 111, text(Direction::In, r#"{"ackId":1}"#)));
    assert_eq!(app.tab.pairing.replies.count, 0);
}

#[test]
fn test_ctrl_r_rejects_a_non_pointer_and_clears_with_empty() {
    let mut app = App::new(workspace(), 100);
    set_pointer(&mut app, "ackId");
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("JSON pointer")));
    assert_eq!(app.tab.correlation_override, None);
    set_pointer(&mut app, "/id");
    assert_eq!(app.tab.pairing.pairing.pointer(), Some("/id"));
    set_pointer(&mut app, "");
    assert_eq!(app.tab.correlation_override, Some(None), "cleared: the profile's pointer no longer applies");
    assert_eq!(app.tab.pairing.pairing.pointer(), None);
}

#[test]
fn test_saved_profile_correlation_applies_on_connect() {
    let dir = tempfile::tempdir().unwrap();
    let mut outside = Outside::new(
        ProfileStore::new(dir.path().join("profiles")),
        crate::console::clipboard::Clipboard::osc52_only(),
    );
    let mut app = App::new(workspace(), 100);
    app.on_reply(outside.load_profiles(Vec::new(), None));
    let mut effect = app.update(Intent::SaveProfile, &Viewport::default());
    assert_eq!(effect, None);
    effect = app.update(Intent::Enter, &Viewport::default());
    let mut sink = Vec::new();
    if let Some(e) = effect {
        let answer = outside.carry_out(e, &mut sink).expect("a profile effect");
        app.on_reply(answer);
    }
    let name = app.selected_profile().map(str::to_string).expect("saved as a profile");
    // The profile file gains a pointer and is loaded again, as after an edit on disk.
    let mut profiles: Vec<(String, Profile)> = app.profiles.clone().into_iter().collect();
    for (n, p) in &mut profiles {
        if *n == name {
            p.correlation = Some("/id".into());
        }
    }
    app.on_reply(Reply::ProfilesLoaded { profiles, broken: Vec::new(), outcomes: Vec::new(), select: Some(name) });
    connect(&mut app);
    assert_eq!(app.tab.pairing.pairing.pointer(), Some("/id"));
}

/// The secrets `chat_session` connects with: a subscription key typed into the request, a
/// custom header the user marked secret, and what the gateway put in the URL (an access token).
const SUBSCRIPTION_KEY: &str = "s3cr3t-key";
const TENANT_TOKEN: &str = "tenant-t0ken-9f2";
const ACCESS_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";

/// Connected to `chat` with secrets in the query and a header, a handshake and a short exchange.
/// The events carry the secrets **unmasked**, as a regression in the connection manager's
/// masking would deliver them: the exports must mask them themselves, not trust their input.
fn chat_session() -> App {
    let mut app = App::new(workspace(), 100);
    app.select_index(1);
    {
        let d = app.draft_at(1);
        d.query[0].param.value = SUBSCRIPTION_KEY.into();
        d.headers.push(Row { param: Param::new("X-Tenant-Token", TENANT_TOKEN).secret(), revealed: false });
    }
    let Some(Effect::Connect { .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("F5 should connect")
    };
    let url = format!(
        "ws://127.0.0.1:9/client/hubs/chat?subscription-key={SUBSCRIPTION_KEY}&access_token={ACCESS_TOKEN}&hub=chat"
    );
    app.on_event(ev(&app, 0, EventKind::Connecting { url: url.clone() }));
    let trace = HandshakeTrace {
        request_line: format!("GET {} HTTP/1.1", url.trim_start_matches("ws://127.0.0.1:9")),
        request_headers: vec![
            ("Host".into(), "127.0.0.1:9".into()),
            ("Ocp-Apim-Subscription-Key".into(), SUBSCRIPTION_KEY.into()),
            ("Authorization".into(), format!("Bearer {ACCESS_TOKEN}")),
            ("X-Tenant-Token".into(), TENANT_TOKEN.into()),
        ],
        response: Some(ResponseTrace {
            status: 101,
            reason: "Switching Protocols".into(),
            headers: vec![("Upgrade".into(), "websocket".into())],
            body: String::new(),
        }),
    };
    app.on_event(ev(&app, 3, EventKind::Handshake(Box::new(trace))));
    app.on_event(ev(&app, 5, EventKind::Opened { subprotocol: None, elapsed: Duration::from_millis(5) }));
    app.on_event(ev(&app, 10, text(Direction::Out, r#"{"type":"joinGroup","group":"g","ackId":1}"#)));
    app.on_event(ev(&app, 21, text(Direction::In, r#"{"type":"ack","ackId":1,"success":true}"#)));
    app
}

/// Fails naming the secret if an export holds any of `chat_session`'s secrets.
#[track_caller]
fn assert_no_secret(text: &str) {
    for secret in [SUBSCRIPTION_KEY, TENANT_TOKEN, ACCESS_TOKEN] {
        assert!(!text.contains(secret), "the export leaks {secret:?}:\n{text}");
    }
}

/// Asks for `action`'s file, names it `name` in `dir`, and carries the write out as the loop does.
fn export(app: &mut App, action: Intent, dir: &std::path::Path, name: &str) -> String {
    app.update(action, &Viewport::default());
    assert!(app.modals.prompt().is_some(), "asks for a file name");
    let n = app.modals.prompt().map(|p| p.field.text().chars().count()).unwrap_or(0);
    for _ in 0..n {
        app.update(Intent::Backspace, &Viewport::default());
    }
    let path = dir.join(name);
    type_text(app, &path.display().to_string());
    let effect = app.update(Intent::Enter, &Viewport::default()).expect("a write effect");
    assert!(matches!(effect, Effect::WriteFile { .. }), "{effect:?}");
    let mut outside =
        Outside::new(ProfileStore::new(dir.join("profiles")), crate::console::clipboard::Clipboard::osc52_only());
    let answer = outside.carry_out(effect, &mut Vec::new()).expect("carried out by Outside");
    app.on_reply(answer);
    let notice = app.notice.clone().unwrap_or(Notice { text: String::new(), error: true });
    assert!(!notice.error && notice.text.contains(name), "the status bar says where: {notice:?}");
    std::fs::read_to_string(path).expect("written")
}

#[test]
fn test_export_har_holds_the_session_messages_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = chat_session();
    let text = export(&mut app, Intent::ExportHar, dir.path(), "chat.har");
    assert_no_secret(&text);
    let har: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["response"]["status"], 101);
    // Masked, not dropped: the reader still sees which credentials were sent, and the rest as is.
    let request = &entries[0]["request"];
    assert_eq!(
        request["url"],
        "ws://127.0.0.1:9/client/hubs/chat?subscription-key=••••••&access_token=••••••&hub=chat"
    );
    let header = |name: &str| {
        request["headers"].as_array().expect("headers").iter().find(|h| h["name"] == name).map(|h| h["value"].clone())
    };
    assert_eq!(header("Authorization"), Some("Bearer ••••••".into()));
    assert_eq!(header("Ocp-Apim-Subscription-Key"), Some("••••••".into()));
    assert_eq!(header("X-Tenant-Token"), Some("••••••".into()), "a header the user marked secret");
    assert_eq!(header("Host"), Some("127.0.0.1:9".into()));
    let messages = entries[0]["_webSocketMessages"].as_array().expect("messages");
    let kinds: Vec<_> = messages.iter().map(|m| m["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["send", "receive"]);
    assert!(messages[0]["data"].as_str().unwrap_or_default().contains("joinGroup"));
    assert!(!dir.path().read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
}

#[test]
fn test_save_script_parses_and_replays_the_exchange_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = chat_session();
    let text = export(&mut app, Intent::SaveScript, dir.path(), "chat.toml");
    assert_no_secret(&text);
    let script = wstab_core::script::parse("chat.toml", &text).expect("the script loads as `wstab run` loads it");
    assert_eq!(
        script.url.as_deref(),
        Some("ws://127.0.0.1:9/client/hubs/chat?subscription-key=••••••&access_token=••••••&hub=chat")
    );
    assert_eq!(script.steps.len(), 2);
    assert!(script.steps[0].send_json.is_some() && script.steps[1].expect.is_some());
}

#[test]
fn test_export_without_a_session_says_so() {
    let mut app = App::new(workspace(), 100);
    assert_eq!(app.update(Intent::ExportHar, &Viewport::default()), None);
    assert!(app.modals.prompt().is_none());
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("no session")));
}

#[test]
fn test_a_new_session_starts_its_own_recording_and_stats() {
    let mut app = chat_session();
    assert!(!app.tab.recording.is_empty());
    app.update(Intent::ToggleConnection, &Viewport::default());
    app.on_event(ev(
        &app,
        30,
        EventKind::Closed { code: 1000, reason: String::new(), by: wstab_core::connection::Closer::Local },
    ));
    app.update(Intent::ToggleConnection, &Viewport::default());
    assert!(app.tab.recording.is_empty(), "the next export is the new session's");
    assert_eq!(app.tab.pairing.replies.count, 0);
}
