//! A tab's session belongs to one catalog entry, in a real terminal on the embedded demo: with
//! Echo connected and Chat selected, the composer still names Echo, and Enter asks (disconnect
//! and switch, or a new tab) instead of sending Chat's message over Echo's socket. And the demo
//! says so when its fixed port is taken.

mod common;

use std::time::Duration;

use common::tmux::Tmux;

/// `wstab` with nothing configured (the embedded demo) in a private config dir.
fn demo_command(dir: &std::path::Path) -> String {
    demo_command_on(dir, "")
}

/// [`demo_command`] with more environment, e.g. `WSTAB_DEMO_PORT=P`.
fn demo_command_on(dir: &std::path::Path, env: &str) -> String {
    format!(
        "{env} WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}'; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    )
}

/// The issue's path: Echo connected, APIs, Down to Chat, Enter in the composer. Before, the
/// joinGroup went over Echo's socket and came back echoed; now the console asks, `t` opens Chat
/// in a new tab where the hub acknowledges it, and Echo's tab never saw it.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_the_composer_never_sends_to_an_entry_it_does_not_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::start("test_the_composer_never_sends_elsewhere", 160, 40, &demo_command(dir.path()));
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the demo's APIs", timeout, |s| s.contains("Echo") && s.contains("Disconnected"));
    // Echo: use it, connect, and replace its sample with Chat's join.
    tmux.keys(&["Enter", "F5"]);
    tmux.wait_for("Echo connected", timeout, |s| s.contains("Message · text → Echo (connected)"));
    tmux.keys(&["End"]);
    for _ in 0..10 {
        tmux.keys(&["BSpace"]);
    }
    let join = r#"{"type":"joinGroup","group":"lobby","ackId":1}"#;
    tmux.text(join);
    // APIs, Down to Chat, back to the composer: Chat's request is shown, Echo is named.
    tmux.keys(&["BTab", "BTab", "BTab", "Down", "Tab", "Tab", "Tab"]);
    let screen = tmux.wait_for("Chat's request shown", timeout, |s| s.contains("/client/hubs/chat"));
    assert!(screen.contains("Message · text → Echo (connected)"), "the composer names Echo:\n{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the question", timeout, |s| s.contains("This tab is connected elsewhere"));
    for needle in ["d  disconnect Echo and connect Chat", "t  open Chat (Web PubSub hub) in a new tab", "Esc cancel"] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    // A new tab: Chat connects there, the join goes to the hub and is acknowledged.
    tmux.keys(&["t"]);
    tmux.wait_for("Chat connected in tab 2", timeout, |s| {
        s.contains("2 ● Chat") && s.contains("→ Chat (Web PubSub hub) (connected)")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the hub's ack", timeout, |s| s.lines().any(|l| l.contains('←') && l.contains(r#""type":"ack""#)));
    // Echo's tab is still connected and never carried the join.
    tmux.keys(&["M-Left"]);
    let screen = tmux.wait_for("tab 1", timeout, |s| s.contains("Message · text → Echo (connected)"));
    assert!(screen.contains("1 ● Echo"), "Echo stays connected:\n{screen}");
    assert!(!screen.contains("joinGroup"), "the join never went over Echo's socket:\n{screen}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

/// Issue 13: the demo's fixed port is taken (held by this test, or by anyone else): the console
/// starts the demo on another port and says so in the status bar, and Echo still connects there.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_the_demo_says_when_its_fixed_port_is_taken() {
    // The demo's fixed port, moved to one this test holds (WSTAB_DEMO_PORT), so no other test's
    // demo or `--profile` ever meets this listener, which speaks no WebSocket.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let port = held.local_addr().expect("its address").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let command = demo_command_on(dir.path(), &format!("WSTAB_DEMO_PORT={port}"));
    let tmux = Tmux::start("test_the_demo_says_when_its_fixed_port_is_taken", 160, 40, &command);
    let screen = tmux.wait_for("the notice", Duration::from_secs(20), |s| s.contains(&format!("port {port} is taken")));
    assert!(screen.contains("the demo gateway is on ws://127.0.0.1:"), "{screen}");
    tmux.keys(&["Enter", "F5"]);
    tmux.wait_for("Echo connected", Duration::from_secs(20), |s| s.contains("→ Echo (connected)"));
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", Duration::from_secs(20), |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
    drop(held);
}
