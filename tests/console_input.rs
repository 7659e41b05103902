//! Typing into the console in a real terminal (tmux): input that arrives faster than one event
//! per wake-up must all be read, at once, without waiting for another key (issue 14, bug 1).

mod common;

use std::time::{Duration, Instant};

use common::tmux::Tmux;

/// A workspace with one API on `addr`'s echo server, and the shell command that runs the console
/// on it with `--capture FILE`, printing `WSTAB_EXIT=<code>` when it ends.
fn console_on_echo(dir: &std::path::Path, addr: std::net::SocketAddr, capture: &std::path::Path) -> String {
    let workspace = dir.join("workspace.toml");
    std::fs::write(
        &workspace,
        format!("name = \"input\"\ngateway = \"ws://{addr}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\n"),
    )
    .expect("workspace written");
    format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}' --workspace '{ws}' --capture '{cap}'; echo WSTAB_EXIT=$?; sleep 60",
        data = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
        cap = capture.display(),
    )
}

/// The size of the first text message the echo server sent back, from the capture file.
fn echoed_text_size(capture: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(capture).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| (v["dir"] == "in" && v["kind"] == "text").then(|| v["size"].as_u64()).flatten())
}

/// 10,000 characters typed (not pasted) then Enter: the message is sent and echoed whole within
/// 2 s, with no further key. With crossterm's default (edge-triggered epoll) event source the
/// console slept with bytes still unread in the tty until the next key arrived.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_ten_thousand_typed_characters_are_sent_without_another_key() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let (addr, _seen) = rt.block_on(common::echo_server());
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("capture.ndjson");
    let tmux = Tmux::start(
        "test_ten_thousand_typed_characters_are_sent_without_another_key",
        120,
        36,
        &console_on_echo(dir.path(), addr, &capture),
    );
    let timeout = Duration::from_secs(20);
    tmux.wait_for("the console", timeout, |s| s.contains("APIs") && s.contains("Disconnected"));
    tmux.keys(&["Enter", "F5"]);
    tmux.wait_for("Connected", timeout, |s| s.contains(" Connected "));

    // Digits only: no key here has a meaning of its own in the composer, and the burst is far
    // beyond the 1 KiB crossterm reads at a time.
    let typed: String = (0..10_000).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    tmux.text(&typed);
    tmux.keys(&["Enter"]);
    let sent = Instant::now();
    let deadline = Duration::from_secs(2);
    loop {
        if echoed_text_size(&capture) == Some(10_000) {
            break;
        }
        assert!(
            sent.elapsed() < deadline,
            "no 10,000-byte echo within {deadline:?} of Enter (echoed: {:?}); the screen:\n{}",
            echoed_text_size(&capture),
            tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    tmux.keys(&["C-c"]);
    tmux.wait_for("wstab to exit", timeout, |s| s.contains("WSTAB_EXIT="));
}
