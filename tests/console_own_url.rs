//! The user's own URL in the console, in a real terminal (tmux), against a loopback echo server
//! that records every handshake it receives (issue 13): `wstab URL` opens on the URL with its
//! query as rows (the secret masked on screen) and F5 sends both; editing the URL row splits the
//! query again; `n` with a pasted URL adds an entry; a pasted Client Access URL puts only its
//! token on the wire, to the entry's own path; `P` saves an opened URL as a profile.

mod common;

use std::path::Path;

use base64::Engine;
use common::tmux::Tmux;
use common::{SeenRequest, WAIT};
use tokio::sync::mpsc::UnboundedReceiver;

/// A value only the `access_token` carries: it must reach the server and never the screen.
const TOKEN: &str = "T0KEN-4711-secret";

/// The screen as wide as the status bar needs to show a notice on one line.
const WIDTH: u16 = 160;
const HEIGHT: u16 = 40;

/// A runtime for the recording echo server, kept alive for the test.
fn server() -> (tokio::runtime::Runtime, std::net::SocketAddr, UnboundedReceiver<SeenRequest>) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let (addr, seen) = rt.block_on(common::echo_server());
    (rt, addr, seen)
}

/// The next handshake the server records, within [`WAIT`].
#[track_caller]
fn next_handshake(rt: &tokio::runtime::Runtime, seen: &mut UnboundedReceiver<SeenRequest>) -> SeenRequest {
    // The timer is made inside the runtime, which it needs.
    rt.block_on(async { tokio::time::timeout(WAIT, seen.recv()).await })
        .expect("the server saw no handshake in time")
        .expect("the server is running")
}

/// The shell command running the console with `args` (shell-quoted by the caller), with its own
/// config and data directories and no clipboard, printing `WSTAB_EXIT=<code>` at the end.
fn console(dir: &Path, args: &str) -> String {
    format!(
        "WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' DISPLAY= WAYLAND_DISPLAY= '{bin}' {args}; echo WSTAB_EXIT=$?; sleep 60",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    )
}

/// Pastes `text` as the terminal does (bracketed paste, as the console asked for).
fn paste(tmux: &Tmux, text: &str) {
    tmux.run(&["set-buffer", "-b", "wstab-test", "--", text]);
    tmux.run(&["paste-buffer", "-p", "-d", "-b", "wstab-test", "-t", "t"]);
}

/// A JWT (unsigned: only its claims are read) expiring 59 minutes and a half from now.
fn jwt_for_59_minutes() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = format!(r#"{{"exp":{},"sub":"u"}}"#, now + 59 * 60 + 30);
    format!("{}.{}.sig", e.encode(r#"{"alg":"HS256","typ":"JWT"}"#), e.encode(claims))
}

fn connected(s: &str) -> bool {
    s.contains(" Connected ")
}

fn disconnected(s: &str) -> bool {
    s.contains(" Disconnected ")
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_wstab_url_opens_with_its_query_as_rows_and_f5_sends_them_and_the_url_row_resplits() {
    let (rt, addr, mut seen) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("ws://{addr}/path?a=1&access_token={TOKEN}");
    let tmux = Tmux::start(
        "test_wstab_url_opens_with_its_query_as_rows",
        WIDTH,
        HEIGHT,
        &console(dir.path(), &format!("'{url}'")),
    );
    let screen = tmux.wait_for("the console on the URL", WAIT, |s| s.contains("[x] access_token"));
    assert!(screen.contains("[x] a "), "row a:\n{screen}");
    assert!(screen.contains("[x] access_token ••••••"), "the token row is masked:\n{screen}");
    assert!(!screen.contains(TOKEN), "the token is never on screen:\n{screen}");
    assert!(screen.contains(&format!("ws://{addr}/path")), "listed and shown:\n{screen}");

    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", WAIT, connected);
    let first = next_handshake(&rt, &mut seen);
    assert_eq!(first.uri, format!("/path?a=1&access_token={TOKEN}"), "both rows are sent");

    // The URL row (above the first row of the tables): Enter edits it, the secret masked.
    tmux.keys(&["F5"]);
    tmux.wait_for("Disconnected", WAIT, disconnected);
    tmux.keys(&["Tab", "Up", "Enter"]);
    let prompt = tmux.wait_for("the URL prompt", WAIT, |s| s.contains("access_token=••••••"));
    assert!(!prompt.contains(TOKEN), "{prompt}");
    tmux.text("&b=2");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("row b", WAIT, |s| s.contains("[x] b "));
    assert!(screen.contains("[x] access_token ••••••"), "the masked value was kept:\n{screen}");
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected again", WAIT, connected);
    let second = next_handshake(&rt, &mut seen);
    assert_eq!(second.uri, format!("/path?a=1&access_token={TOKEN}&b=2"), "the query was split again");

    // A URL that cannot be used is refused with the reason; the request is unchanged.
    tmux.keys(&["F5"]);
    tmux.wait_for("Disconnected", WAIT, disconnected);
    tmux.keys(&["u"]);
    tmux.wait_for("the URL prompt", WAIT, |s| s.contains("URL (the query becomes rows"));
    tmux.keys(&["Home"]);
    tmux.text("x");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the refusal", WAIT, |s| s.contains("URL not changed"));
    assert!(screen.contains("unsupported scheme \"xws\""), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected with the old URL", WAIT, connected);
    assert_eq!(next_handshake(&rt, &mut seen).uri, second.uri, "the old value was kept");

    tmux.keys(&["C-c"]);
    tmux.wait_for("wstab to exit", WAIT, |s| s.contains("WSTAB_EXIT=0"));
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_n_and_a_pasted_url_add_an_entry_that_connects() {
    let (rt, addr, mut seen) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::start(
        "test_n_and_a_pasted_url_add_an_entry",
        WIDTH,
        HEIGHT,
        &console(dir.path(), &format!("'ws://{addr}/first'")),
    );
    tmux.wait_for("the console", WAIT, |s| s.contains(&format!("ws://{addr}/first")));
    tmux.keys(&["n"]);
    tmux.wait_for("the open-URL prompt", WAIT, |s| s.contains("Open URL"));
    paste(&tmux, &format!("  ws://{addr}/second?room=blue\n"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the new entry", WAIT, |s| s.contains("[x] room"));
    let listed = screen.lines().filter(|l| l.contains(&format!("ws://{addr}/"))).count();
    assert!(listed >= 3, "two entries in APIs and the selected one's URL:\n{screen}");
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", WAIT, connected);
    assert_eq!(next_handshake(&rt, &mut seen).uri, "/second?room=blue");

    // `P` saves the ad-hoc entry as a profile (its URL and its query as rows).
    tmux.keys(&["P"]);
    tmux.wait_for("the profile name prompt", WAIT, |s| s.contains("Save the request as profile"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the save said", WAIT, |s| s.contains("saved profile"));
    let saved: Vec<String> = std::fs::read_dir(dir.path().join("profiles"))
        .expect("the profiles folder")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(saved[0].contains(&format!("url = \"ws://{addr}/second\"")), "{}", saved[0]);
    assert!(saved[0].contains("name = \"room\"") && saved[0].contains("value = \"blue\""), "{}", saved[0]);
    tmux.keys(&["C-c"]);
    tmux.wait_for("wstab to exit", WAIT, |s| s.contains("WSTAB_EXIT=0"));
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_a_pasted_client_access_url_puts_only_its_token_on_the_wire() {
    let (rt, addr, mut seen) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::start(
        "test_a_pasted_client_access_url",
        WIDTH,
        HEIGHT,
        &console(dir.path(), &format!("'ws://{addr}/client/hubs/chat?a=1'")),
    );
    tmux.wait_for("the console", WAIT, |s| s.contains("[x] a "));
    let token = jwt_for_59_minutes();
    let pasted = format!("wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}");
    tmux.keys(&["Tab"]);
    paste(&tmux, &pasted);
    let screen = tmux.wait_for("the note", WAIT, |s| s.contains("took access_token from the pasted URL"));
    assert!(screen.contains("(hub chat, expires in 59m)"), "{screen}");
    assert!(screen.contains("[x] access_token"), "{screen}");
    assert!(!screen.contains(&token) && !screen.contains("contoso"), "only the token was taken:\n{screen}");
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", WAIT, connected);
    let seen = next_handshake(&rt, &mut seen);
    assert_eq!(seen.uri, format!("/client/hubs/chat?a=1&access_token={token}"), "the entry's own path");
    assert_eq!(seen.header("host"), [addr.to_string().as_str()], "to the entry's host, not the pasted one");

    // For another hub than the entry's: taken as asked, with the warning.
    tmux.keys(&["F5"]);
    tmux.wait_for("Disconnected", WAIT, disconnected);
    paste(&tmux, &pasted.replace("/hubs/chat", "/hubs/news"));
    // The status bar wraps a long notice over its own rows: read as one text.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let screen = tmux.wait_for("the warning", WAIT, |s| words(s).contains("APIM would pass it to the wrong hub"));
    assert!(words(&screen).contains("401 (wrong audience)"), "{screen}");
    tmux.keys(&["C-c"]);
    tmux.wait_for("wstab to exit", WAIT, |s| s.contains("WSTAB_EXIT=0"));
}

/// A URL the console cannot use, or request flags without a URL, are refused before the
/// terminal is taken: exit 2 and the reason (secrets masked), with a hint for a mistyped command.
#[test]
fn test_a_bad_url_or_flags_without_one_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
        cmd.args(args).env("WSTAB_CONFIG_DIR", dir.path()).env("WSTAB_DATA_DIR", dir.path());
        cmd.stdin(std::process::Stdio::null());
        let out = common::process::output_within(&mut cmd, WAIT);
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(&["ftp://h/x?access_token=hush-4711"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unsupported scheme \"ftp\"") && !err.contains("hush-4711"), "{err}");
    let (code, err) = run(&["conect", "ws://h/x"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = run(&["conect"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the commands are in `wstab --help`"), "{err}");
    let (code, err) = run(&["-H", "X-A: 1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("describe the URL to open"), "{err}");
    let (code, err) = run(&["ws://h/x", "--access-token-from", "wss://h/client/hubs/chat?x=1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no access_token query parameter"), "{err}");
}
