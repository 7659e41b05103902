//! End to end in a real terminal: `wstab --workspace FILE` inside tmux, connected to an echo
//! server started by the test: select echo, F5, type, Enter, see the echo in **Messages**, quit,
//! and check the terminal was given back. Every test here needs tmux (`common::tmux`).

mod common;

use std::process::Command;
use std::time::Duration;

use common::tmux::Tmux;
use futures_util::{SinkExt, StreamExt};

/// An echo server on a loopback port, on its own thread and runtime.
fn start_echo_server() -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr").port()).expect("port sent");
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                    while let Some(Ok(msg)) = ws.next().await {
                        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("echo server started")
}

/// The status bar: the last line of the screen, starting with the connection state.
fn status_bar(screen: &str) -> &str {
    screen.trim_end().lines().last().unwrap_or_default()
}

/// A workspace with one API, `echo`, on the echo server at `port`, and the shell command that
/// runs the console on it in `dir`, printing `WSTAB_EXIT=<code>` when it ends.
fn console_on_echo(dir: &std::path::Path, port: u16) -> String {
    let workspace = dir.join("workspace.toml");
    std::fs::write(
        &workspace,
        format!(
            "name = \"e2e\"\ngateway = \"ws://127.0.0.1:{port}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\n"
        ),
    )
    .expect("workspace written");
    format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}' --workspace '{ws}'; echo WSTAB_EXIT=$?; sleep 60",
        data = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
    )
}

/// The README's console keys in a real terminal against an echo server: F2 sends typed hex as
/// a binary message that echoes back, F3 pings and logs the pong, Ctrl-S saves the session,
/// Ctrl-L clears the log, Ctrl-T / Ctrl-PgUp / Ctrl-PgDn / Ctrl-W open, switch and close tabs,
/// and F4 closes with the code and reason typed.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_console_keys_binary_ping_save_clear_tabs_and_close_in_a_real_terminal() {
    let port = start_echo_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::start(
        "test_console_keys_binary_ping_save_clear_tabs_and_close_in_a_real_terminal",
        120,
        40,
        &console_on_echo(dir.path(), port),
    );
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the console", timeout, |s| s.contains("APIs") && s.contains("Disconnected"));
    tmux.keys(&["Enter", "F5"]);
    tmux.wait_for("Connected", timeout, |s| status_bar(s).starts_with(" Connected"));

    // F2: the composer sends binary typed as hex; the echo comes back as binary.
    tmux.keys(&["F2"]);
    tmux.wait_for("the hex mode", timeout, |s| s.contains("Message · binary (hex)"));
    tmux.text("de ad be ef");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the binary echo", timeout, |s| {
        ["→ binary", "← binary"].iter().all(|dir| s.lines().any(|l| l.contains(dir) && l.contains("4 B  deadbeef")))
    });

    // F3: a ping, and the server's pong logged after it.
    tmux.keys(&["F3"]);
    tmux.wait_for("the ping and its pong", timeout, |s| {
        let ping = s.lines().position(|l| l.contains("→ ping"));
        let pong = s.lines().position(|l| l.contains("← pong"));
        matches!((ping, pong), (Some(a), Some(b)) if a < b)
    });

    // Ctrl-S: the whole session as NDJSON, to the file named in the prompt.
    let saved = dir.path().join("keys.ndjson");
    tmux.keys(&["C-s"]);
    tmux.wait_for("the save prompt", timeout, |s| s.contains("Save session as NDJSON to"));
    for _ in 0.."wstab-session.ndjson".len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.text(&saved.display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the saved notice", timeout, |s| s.contains("saved the session"));
    let ndjson = std::fs::read_to_string(&saved).expect("the session file");
    assert!(ndjson.lines().any(|l| l.contains("ping")), "the ping is in the saved session:\n{ndjson}");

    // Ctrl-L: the Messages log is empty again.
    tmux.keys(&["C-l"]);
    tmux.wait_for("the log cleared", timeout, |s| s.contains("Log cleared; connected to") && !s.contains("deadbeef"));

    // Ctrl-T: a second tab without a session; Ctrl-PgUp back to the connected one, Ctrl-PgDn to
    // the new one again, Ctrl-W closes it and the first tab (still connected) is shown alone.
    tmux.keys(&["C-t"]);
    tmux.wait_for("the second tab", timeout, |s| {
        s.contains("1 ● echo") && s.contains("2 ○ echo") && status_bar(s).starts_with(" Disconnected")
    });
    tmux.keys(&["C-PPage"]);
    tmux.wait_for("the first tab shown", timeout, |s| status_bar(s).starts_with(" Connected"));
    tmux.keys(&["C-NPage"]);
    tmux.wait_for("the second tab shown", timeout, |s| status_bar(s).starts_with(" Disconnected"));
    tmux.keys(&["C-w"]);
    tmux.wait_for("the second tab closed", timeout, |s| {
        !s.contains("2 ○ echo") && status_bar(s).starts_with(" Connected")
    });

    // F4: close with a code and a reason; the close is logged with both.
    tmux.keys(&["F4"]);
    tmux.wait_for("the close prompt", timeout, |s| s.contains("Close with code and reason"));
    for _ in 0.."1000 ".len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.text("4001 done here");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the close logged", timeout, |s| {
        s.lines().any(|l| l.contains("× closed") && l.contains("(4001): done here"))
            && status_bar(s).starts_with(" Disconnected")
    });
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_echo_round_trip_in_a_real_terminal_and_terminal_restored() {
    let port = start_echo_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("workspace.toml");
    std::fs::write(
        &workspace,
        format!(
            "name = \"e2e\"\ngateway = \"ws://127.0.0.1:{port}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\n\n[[apis]]\nname = \"other\"\nurl_suffix = \"other\"\n"
        ),
    )
    .expect("workspace written");
    let capture = dir.path().join("capture.ndjson");
    let command = format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' '{bin}' --workspace '{ws}' --capture '{cap}'; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
        cap = capture.display(),
    );
    let tmux = Tmux::start("test_echo_round_trip_in_a_real_terminal_and_terminal_restored", 120, 40, &command);

    let timeout = Duration::from_secs(20);
    tmux.wait_for("the console", timeout, |s| s.contains("APIs") && s.contains("Disconnected"));
    // Focus starts on APIs with the first API (echo) selected: Enter uses it, F5 connects.
    tmux.keys(&["Enter"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));
    // Alt-Enter adds a line; Enter sends both lines as one message.
    tmux.text("first line");
    tmux.keys(&["M-Enter"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the two-line echo", timeout, |s| {
        s.lines().any(|l| l.contains("← text") && l.contains("first line\\n"))
    });
    tmux.text("hello from e2e");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the echo in Messages", timeout, |s| {
        s.lines().any(|l| l.contains("→ text") && l.contains("hello from e2e"))
            && s.lines().any(|l| l.contains("← text") && l.contains("hello from e2e"))
    });
    assert!(screen.contains("Messages"), "{screen}");

    // Below 80×24 the console says so; back at full size it draws the panes again.
    tmux.resize(70, 20);
    tmux.wait_for("the too-small message", timeout, |s| s.contains("at least 80×24"));
    tmux.resize(80, 24);
    tmux.wait_for("the panes at 80×24", timeout, |s| s.contains("Messages") && s.contains("APIs"));

    // Leave the editor (Esc), then q quits.
    tmux.keys(&["Escape"]);
    // A lone Esc must be read before the next key, or the terminal reports Esc+q as Alt-q: wait
    // until the console shows the Messages pane's hints (the editor was left).
    tmux.wait_for("the editor left", timeout, |s| status_bar(s).contains("Enter open"));
    // Echo is still connected: q asks once, Enter (the default) keeps it, y quits.
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", timeout, |s| {
        s.contains("Quit and close 1 connection?") && s.contains("y quit · n / Enter / Esc stay")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the question answered no", timeout, |s| {
        !s.contains("Quit and close") && status_bar(s).starts_with(" Connected")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question again", timeout, |s| s.contains("Quit and close 1 connection?"));
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
    assert!(!screen.contains("Messages"), "the console is still on screen after quitting:\n{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "0", "the alternate screen was not left");

    let captured = std::fs::read_to_string(&capture).expect("capture file written");
    assert!(captured.lines().any(|l| l.contains("\"dir\":\"in\"") && l.contains("hello from e2e")), "{captured}");
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_panic_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("workspace.toml");
    std::fs::write(&workspace, "gateway = \"ws://127.0.0.1:9\"\n[[apis]]\nname = \"echo\"\n").expect("written");
    let command = format!(
        "RUST_BACKTRACE=0 WSTAB_PANIC_FOR_TEST=1 WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' '{bin}' --workspace '{ws}'; echo WSTAB_EXIT=$?; stty -a | grep -o -- '-\\?icanon' ; sleep 30",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
    );
    let tmux = Tmux::start("test_panic_restores_the_terminal", 100, 30, &command);
    let screen = tmux.wait_for("wstab to exit", Duration::from_secs(20), |s| s.contains("WSTAB_EXIT="));
    assert!(!screen.contains("WSTAB_EXIT=0"), "a panic must not exit 0:\n{screen}");
    assert!(screen.contains("panicking with the terminal taken over"), "the panic message is visible:\n{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "0", "the alternate screen was not left");
    let screen = tmux.wait_for("stty's report", Duration::from_secs(5), |s| s.contains("icanon"));
    assert!(screen.lines().any(|l| l.trim() == "icanon"), "raw mode was not left (canonical mode is off):\n{screen}");
}

/// The newcomer's path: `wstab` with nothing configured opens the embedded demo; Enter on Echo,
/// F5, Enter sends the sample message through the demo gateway and it comes back.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_demo_start_echo_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let command = format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' '{bin}'; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    );
    let tmux = Tmux::start("test_demo_start_echo_round_trip", 120, 40, &command);
    let timeout = Duration::from_secs(20);
    let screen = tmux.wait_for("the demo's APIs", timeout, |s| s.contains("Echo") && s.contains("Disconnected"));
    assert!(screen.contains("Chat") && screen.contains("ticker"), "{screen}");
    assert!(screen.contains("subscription-key=••••••"), "the demo key is prefilled and masked:\n{screen}");
    tmux.keys(&["Enter"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));
    tmux.text(" from the demo");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the echo through the demo gateway", timeout, |s| {
        s.lines().any(|l| l.contains("← text") && l.contains("hello from the demo"))
    });
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

/// Issue 8's two chat users in one console: two tabs on the demo's Chat hub join the same group,
/// tab 2 sends to it, tab 1 (switched back to) shows the message in its own log; the gateway view
/// shows the gateway's own handshake records (101) for chat.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_demo_two_tabs_chat_and_the_gateway_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let command = format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' '{bin}'; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    );
    // Wide enough that a group message's data fits on its Messages row.
    let tmux = Tmux::start("test_demo_two_tabs_chat_and_the_gateway_view", 200, 50, &command);
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the demo's APIs", timeout, |s| s.contains("Chat") && s.contains("Disconnected"));
    let join = r#"{"type":"joinGroup","group":"g"}"#;
    // Tab 1: Chat, connect, join g.
    tmux.keys(&["Down", "Enter"]);
    let connect_and_join = || {
        tmux.keys(&["C-e"]);
        for _ in 0..80 {
            tmux.keys(&["BSpace"]);
        }
        tmux.keys(&["F5"]);
        tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));
        tmux.wait_for("the hub's connected message", timeout, |s| s.contains("connected"));
        tmux.text(join);
        tmux.keys(&["Enter"]);
        tmux.wait_for("the join sent", timeout, |s| s.lines().any(|l| l.contains("→ json") && l.contains("joinGroup")));
    };
    connect_and_join();
    // Tab 2: same API, its own session and log.
    tmux.keys(&["C-t"]);
    tmux.wait_for("the tab bar", timeout, |s| s.contains("2 ○ Chat"));
    connect_and_join();
    tmux.wait_for("tab 2 connected", timeout, |s| s.contains("2 ● Chat"));
    tmux.text(r#"{"type":"sendToGroup","group":"g","dataType":"text","data":"hi from tab 2"}"#);
    tmux.keys(&["Enter"]);
    tmux.wait_for("tab 2's own copy", timeout, |s| s.lines().any(|l| l.contains("←") && l.contains("hi from tab 2")));
    // Back to tab 1: the group message is in its log, and tab 1 never sent it.
    tmux.keys(&["M-Left"]);
    let screen = tmux.wait_for("the group message in tab 1", timeout, |s| {
        !s.contains("sendToGroup") && s.lines().any(|l| l.contains("← json") && l.contains("hi from tab 2"))
    });
    assert!(screen.contains("1 ● Chat") && screen.contains("2 ● Chat"), "{screen}");
    // The gateway's side: its own records of both chat handshakes.
    tmux.keys(&["F6"]);
    tmux.wait_for("the gateway's chat handshakes", timeout, |s| {
        s.contains("Gateway: Chat (Web PubSub hub)")
            && s.lines().filter(|l| l.contains("onHandshake") && l.contains(" 101 ")).count() >= 2
    });
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

/// Issue 5's round trip: save the demo's Echo request as a profile from the console (P), quit,
/// start again with `--profile NAME`, and find it first in APIs with its request.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_profile_saved_in_the_console_opens_first_with_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &str| {
        format!(
            "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}' {args}; echo WSTAB_EXIT=$?; sleep 30",
            data = dir.path().display(),
            bin = env!("CARGO_BIN_EXE_wstab"),
        )
    };
    let timeout = Duration::from_secs(20);
    let tmux = Tmux::start("test_profile_saved_in_the_console_opens_first_with_profile", 120, 40, &run(""));
    tmux.wait_for("the demo", timeout, |s| s.contains("Echo") && s.contains("Disconnected"));
    tmux.keys(&["P"]);
    tmux.wait_for("the profile name prompt", timeout, |s| s.contains("Save the request as profile"));
    tmux.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("daily-echo");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the save notice", timeout, |s| s.contains("saved profile daily-echo"));
    assert!(screen.contains("daily-echo  ◆ profile"), "the APIs pane lists and marks it:\n{screen}");
    // y u copies the masked URL; without a display that is OSC 52, and the status bar says so.
    tmux.keys(&["y"]);
    tmux.wait_for("the copy menu", timeout, |s| s.contains("the request URL (secrets masked)"));
    tmux.keys(&["u"]);
    tmux.wait_for("the copy notice", timeout, |s| s.contains("terminal clipboard (OSC 52)"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "{screen}");
    let file = dir.path().join("profiles").join("daily-echo.toml");
    let text = std::fs::read_to_string(&file).expect("the profile file");
    assert!(text.contains("url_suffix = \"echo\""), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "profile files are private");

    tmux.restart(120, 40, &run("--profile daily-echo"));
    let screen = tmux.wait_for("the profile", timeout, |s| s.contains("daily-echo") && s.contains("Disconnected"));
    let first_api = screen.lines().nth(1).unwrap_or_default();
    assert!(first_api.contains("daily-echo"), "the profile is first in APIs:\n{screen}");
    assert!(screen.contains("/echo?subscription-key=••••••"), "with its request, key masked:\n{screen}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "{screen}");
}

/// Issue 8's pairing in the console: on the demo's Chat hub, Ctrl-R sets `/ackId`, a joinGroup
/// with an ackId gets its ack, and the ack row shows the latency and the border the stats; then
/// H and R write the session as HAR and as a `wstab run` script.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_demo_chat_ack_latency_and_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let command = format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' '{bin}'; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    );
    let tmux = Tmux::start("test_demo_chat_ack_latency_and_exports", 200, 50, &command);
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the demo's APIs", timeout, |s| s.contains("Chat") && s.contains("Disconnected"));
    tmux.keys(&["Down", "Enter"]);
    tmux.keys(&["C-e"]);
    for _ in 0..80 {
        tmux.keys(&["BSpace"]);
    }
    // Ctrl-R offers /ackId; Enter takes it.
    tmux.keys(&["C-r"]);
    tmux.wait_for("the correlation prompt", timeout, |s| s.contains("Correlation JSON pointer"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pointer set", timeout, |s| s.contains("pairing replies by /ackId"));
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));
    tmux.text(r#"{"type":"joinGroup","group":"g","ackId":1}"#);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the ack row with its latency", timeout, |s| {
        s.lines().any(|l| l.contains("← json") && l.contains("↩ ") && l.contains(" ms") && l.contains(r#""ackId":1"#))
    });
    assert!(screen.contains("p50/p95/max"), "the border shows the stats:\n{screen}");
    // Leave the composer, then export. Esc must be read alone, or Esc+H arrives as Alt-H.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the editor left", timeout, |s| status_bar(s).contains("Enter open"));
    for (key, name, what) in [("H", "chat.har", "HAR"), ("R", "chat.toml", "script")] {
        tmux.keys(&[key]);
        tmux.wait_for("the file prompt", timeout, |s| s.contains("the tab's session"));
        for _ in 0..40 {
            tmux.keys(&["BSpace"]);
        }
        tmux.text(&dir.path().join(name).display().to_string());
        tmux.keys(&["Enter"]);
        tmux.wait_for("the saved notice", timeout, |s| s.contains(&format!("saved the {what} to")));
    }
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("chat.har")).expect("HAR written"))
            .expect("JSON");
    let messages = har["log"]["entries"][0]["_webSocketMessages"].as_array().cloned().unwrap_or_default();
    assert!(
        messages.iter().any(|m| m["type"] == "send" && m["data"].as_str().is_some_and(|d| d.contains("joinGroup")))
    );
    let script = std::fs::read_to_string(dir.path().join("chat.toml")).expect("script written");
    assert!(script.contains("joinGroup") && script.contains("[[steps]]"), "{script}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

/// Off the demo, `--gateway-admin URL` watches a gateway emulator through its admin address: the
/// console talks to a `wstab demo --serve` in another process and F6 shows that gateway's 101.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_gateway_view_through_the_admin_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["demo", "--serve"])
        .env("WSTAB_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("demo runs");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(demo.stdout.take().expect("stdout")), &mut line)
        .expect("the demo's JSON line");
    let _demo = Kill(demo);
    let info: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
    let (gateway, admin, key) = (
        info["gateway"].as_str().expect("gateway"),
        info["admin"].as_str().expect("admin"),
        info["subscription_key"].as_str().expect("key"),
    );
    let workspace = dir.path().join("w.toml");
    std::fs::write(
        &workspace,
        format!(
            "gateway = \"{gateway}\"\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nquery = [{{ name = \"subscription-key\", value = \"{key}\", secret = true }}]\n"
        ),
    )
    .expect("workspace written");
    let command = format!(
        "WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' '{bin}' --workspace '{w}' --gateway-admin '{admin}'; echo WSTAB_EXIT=$?; sleep 30",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        w = workspace.display(),
    );
    let tmux = Tmux::start("test_gateway_view_through_the_admin_address", 160, 40, &command);
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the console", timeout, |s| s.contains("APIs") && s.contains("Disconnected"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));
    tmux.keys(&["F6"]);
    let screen = tmux.wait_for("the other process's gateway records", timeout, |s| {
        s.contains("Gateway: echo") && s.lines().any(|l| l.contains("onHandshake") && l.contains(" 101 "))
    });
    assert!(!screen.contains(key), "the key never shows:\n{screen}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "{screen}");
}

/// `config.toml` in a real terminal: a rebinding works (F9 connects, the status bar says
/// `F9 disconnect`); a file with a mistake leaves the console on the defaults with the error,
/// at its file:line:col, in the status bar.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_config_toml_rebinds_keys_and_a_bad_one_is_shown_at_its_line() {
    let port = start_echo_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "theme = \"light\"\n[keys]\ntoggle_connection = \"F9\"\n").expect("config written");
    let tmux = Tmux::start(
        "test_config_toml_rebinds_keys_and_a_bad_one_is_shown_at_its_line",
        120,
        36,
        &console_on_echo(dir.path(), port),
    );
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the console", timeout, |s| s.contains("APIs") && status_bar(s).contains("F9 connect"));
    tmux.keys(&["F5"]);
    tmux.keys(&["F9"]);
    tmux.wait_for("F9 connected", timeout, |s| {
        status_bar(s).starts_with(" Connected") && status_bar(s).contains("F9 disconnect")
    });
    // The light theme paints its own background (xterm 231).
    let styled = tmux.capture_styled();
    assert!(styled.contains("48;5;231"), "no light background in:\n{styled}");
    // Connected, q asks first (confirm_quit's default); y quits.
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", timeout, |s| s.contains("Quit and close 1 connection?"));
    tmux.keys(&["y"]);
    tmux.wait_for("the exit", timeout, |s| s.contains("WSTAB_EXIT=0"));

    std::fs::write(&config, "theme = \"light\"\nkeys.toggle_connection = \"F99\"\n").expect("config written");
    tmux.restart(120, 36, &console_on_echo(dir.path(), port));
    let shown = tmux.wait_for("the error", timeout, |s| s.contains("config.toml not used"));
    let joined: String = shown.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(joined.contains("config.toml:2:26: unknown key `F99`"), "{shown}");
    tmux.keys(&["F5"]);
    // The notice wraps below the status bar's first line.
    tmux.wait_for("F5 connects, as by default", timeout, |s| s.lines().any(|l| l.starts_with(" Connected ")));
}
