//! A saved profile's connection settings take effect **in the console**, not only in `wstab
//! connect`: its CA file and `insecure` against a self-signed TLS echo server, its connect
//! timeout against a server that never answers, its max message size against an echo too big,
//! and a secret named only in its `secret_names` masked on screen and in the capture. The
//! console state is driven headless (`App` + effects) and this test plays the event loop's part
//! with exactly the target the console asked for.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use tokio::sync::mpsc;
use wstab::console::message_log::journal::Journal;
use wstab::console::state::{App, CommandToSend, Effect, Intent, Pane, Reply, Viewport};
use wstab_core::connection::{Command, EventBatch, Param, TlsOptions};
use wstab_core::profile::Profile;
use wstab_core::workspace::Workspace;

/// A value only a secret query parameter carries.
const QUERY_SECRET: &str = "hush-query-4711";
/// A value only a secret header carries.
const HEADER_SECRET: &str = "hush-header-4711";
/// A value that is not secret: it must show, or the masking assertions prove nothing.
const VISIBLE: &str = "plain-value-4711";

/// A console with one saved profile, `name`, selected, as the loop starts it.
fn console_with(name: &str, profile: Profile) -> App {
    let workspace = Workspace { name: "profiles".into(), gateway: "ws://127.0.0.1:9".into(), apis: Vec::new() };
    let mut app = App::new(workspace, 1000);
    app.pinned_profile = Some(name.into());
    app.on_reply(Reply::ProfilesLoaded {
        profiles: vec![(name.into(), profile)],
        broken: Vec::new(),
        outcomes: Vec::new(),
        select: Some(name.into()),
    });
    app
}

fn screen(app: &mut App) -> String {
    common::console::screen(app, 160, 40)
}

/// Plays the event loop's part for F5: spawns the session with the target the console built
/// (nothing overridden), journals and applies its events until `until` holds, and sends `send`
/// from the composer once connected. Returns how long it took.
async fn run_session(
    app: &mut App,
    journal: &mut Journal,
    send: Option<&str>,
    until: impl Fn(&App) -> bool,
) -> Duration {
    let started = Instant::now();
    let effect = app.update(Intent::ToggleConnection, &Viewport::default());
    let Some(Effect::Connect { session, target, .. }) = effect else {
        panic!("F5 did not connect: {effect:?}; notice {:?}", app.notice)
    };
    let (tx, mut rx) = mpsc::channel::<EventBatch>(64);
    let handle = wstab_core::connection::spawn(session, *target, tx);
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut sent = false;
    while !until(app) {
        let batch = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(_) => panic!("the session did not get there in time; state {}", app.state_word()),
        };
        for event in batch {
            journal.record(&event);
            app.on_event(event);
        }
        journal.flush();
        if let Some(text) = send.filter(|_| !sent && app.state_word() == "Connected") {
            sent = true;
            app.focus = Pane::Composer;
            for c in text.chars() {
                app.update(Intent::Char(c), &Viewport::default());
            }
            match app.update(Intent::Enter, &Viewport::default()) {
                Some(Effect::Send { command: CommandToSend::Text(t), .. }) => {
                    handle.send(Command::Text(t));
                }
                other => panic!("Enter in the composer did not send: {other:?}; notice {:?}", app.notice),
            }
        }
    }
    started.elapsed()
}

fn received(app: &App, text: &str) -> bool {
    use wstab::console::message_log::{Body, Filter};
    let log = &app.tab.log;
    log.slice(Filter::Received, 0, log.len(Filter::Received))
        .any(|e| matches!(&e.body, Body::Text(t) if t.as_str() == text))
}

fn error_label(app: &App) -> Option<String> {
    app.tab.last_error.as_ref().map(|e| e.label())
}

fn ended(app: &App) -> bool {
    app.state_word() == "Disconnected" && app.connected_api().is_none()
}

fn tls_profile(addr: std::net::SocketAddr, tls: TlsOptions) -> Profile {
    Profile { url: format!("wss://localhost:{}/", addr.port()), tls, ..Profile::default() }
}

fn write_ca(dir: &Path, pki: &TestPki) -> std::path::PathBuf {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("write the CA");
    ca
}

#[tokio::test]
async fn test_profile_ca_file_connects_the_console_to_a_self_signed_server_and_without_it_tls_fails() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::new(None).expect("journal");

    let mut app = console_with("tls", tls_profile(addr, TlsOptions::default()));
    run_session(&mut app, &mut journal, None, ended).await;
    assert_eq!(error_label(&app).as_deref(), Some("TLS error"), "an unknown CA is refused");

    let ca = write_ca(dir.path(), &pki);
    let mut app = console_with("tls", tls_profile(addr, TlsOptions { insecure: false, ca_file: Some(ca) }));
    run_session(&mut app, &mut journal, Some("over tls"), |a| received(a, "over tls")).await;
    assert_eq!(app.state_word(), "Connected");
    assert_eq!(error_label(&app), None);
}

#[tokio::test]
async fn test_profile_insecure_connects_the_console_without_verifying() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let mut journal = Journal::new(None).expect("journal");
    let mut app = console_with("lab", tls_profile(addr, TlsOptions { insecure: true, ca_file: None }));
    run_session(&mut app, &mut journal, Some("unverified"), |a| received(a, "unverified")).await;
    assert_eq!(app.state_word(), "Connected");
}

#[tokio::test]
async fn test_profile_connect_timeout_bounds_the_console_handshake() {
    let addr = hostile_server(Hostile::NeverAnswers).await;
    let mut journal = Journal::new(None).expect("journal");
    let profile = Profile { url: format!("ws://{addr}/"), connect_timeout_secs: Some(0.3), ..Profile::default() };
    let mut app = console_with("slow", profile);
    let took = run_session(&mut app, &mut journal, None, ended).await;
    assert_eq!(error_label(&app).as_deref(), Some("timed out"));
    // The engine's default is 10 s: well under it, the profile's 0.3 s applied.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn test_profile_max_message_size_refuses_a_bigger_echo_in_the_console() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::new(None).expect("journal");
    let tls = TlsOptions { insecure: false, ca_file: Some(write_ca(dir.path(), &pki)) };
    let profile = Profile { max_message_size: Some(1024), ..tls_profile(addr, tls) };
    let mut app = console_with("small", profile);
    let big = "x".repeat(2000);
    run_session(&mut app, &mut journal, Some(&big), ended).await;
    assert_eq!(error_label(&app).as_deref(), Some("message too large"));
    assert!(!received(&app, &big));
}

#[tokio::test]
async fn test_profile_secret_names_mask_on_screen_and_in_the_capture() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("capture.ndjson");
    let mut journal = Journal::new(Some(&capture)).expect("journal");
    let tls = TlsOptions { insecure: false, ca_file: Some(write_ca(dir.path(), &pki)) };
    let profile = Profile {
        query: vec![Param::new("tenant-pass", QUERY_SECRET), Param::new("tenant-open", VISIBLE)],
        headers: vec![Param::new("X-Tenant-Pass", HEADER_SECRET)],
        // Neither name is a well-known secret: only the profile says so.
        secret_names: vec!["tenant-pass".into(), "x-tenant-pass".into()],
        ..tls_profile(addr, tls)
    };
    let mut app = console_with("tenant", profile);
    app.focus = Pane::Request;
    let before = screen(&mut app);
    assert!(before.contains("tenant-pass") && before.contains(VISIBLE), "the Request pane lists the rows:\n{before}");
    assert!(!before.contains(QUERY_SECRET), "a secret-named value shows in the Request pane:\n{before}");

    run_session(&mut app, &mut journal, Some("hello"), |a| received(a, "hello")).await;
    let after = screen(&mut app);
    assert!(after.contains("Connected"), "{after}");
    for secret in [QUERY_SECRET, HEADER_SECRET] {
        assert!(!after.contains(secret), "{secret} on screen:\n{after}");
    }
    // The handshake trace (request line and headers) is where both secrets would surface.
    let trace = app.tab.last_trace.as_ref().map(|t| t.to_text()).unwrap_or_default();
    assert!(trace.contains("X-Tenant-Pass") && trace.contains(VISIBLE), "{trace}");
    assert!(!trace.contains(QUERY_SECRET) && !trace.contains(HEADER_SECRET), "{trace}");

    drop(journal);
    let captured = std::fs::read_to_string(&capture).expect("the capture file");
    assert!(captured.contains("tenant-pass") && captured.contains(VISIBLE), "{captured}");
    assert!(!captured.contains(QUERY_SECRET) && !captured.contains(HEADER_SECRET), "{captured}");
}
