//! Console reconnect end to end: a saved profile with `reconnect = true`, opened with
//! `wstab --profile NAME` in tmux against a loopback server that accepts the WebSocket upgrade
//! and then drops every connection. F5 connects; the console keeps reconnecting (each attempt in
//! **Messages**, the status badge saying "reconnecting (attempt N…)"), and F5 stops it for good.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::WAIT;
use common::tmux::Tmux;

/// A server that completes every WebSocket upgrade and then drops the connection without a close
/// frame; returns its address and the number of upgrades it accepted.
async fn dropping_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                    count.fetch_add(1, Ordering::SeqCst);
                    drop(ws);
                }
            });
        }
    });
    (addr, accepted)
}

/// How many times `needle` appears on the screen.
fn occurrences(screen: &str, needle: &str) -> usize {
    screen.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
async fn test_reconnect_profile_keeps_reconnecting_in_the_console_until_f5_stops_it() {
    let (addr, accepted) = dropping_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("config");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(config_dir.join("profiles")).expect("profiles dir");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    std::fs::write(
        config_dir.join("profiles/flaky.toml"),
        format!("version = 1\nurl = \"ws://{addr}/\"\nreconnect = true\n"),
    )
    .expect("profile written");

    let command = format!(
        "WSTAB_CONFIG_DIR='{}' WSTAB_DATA_DIR='{}' '{}' --profile flaky; echo WSTAB_EXIT=$?; sleep 30",
        config_dir.display(),
        data_dir.display(),
        env!("CARGO_BIN_EXE_wstab"),
    );
    let tmux = Tmux::start("test_reconnect_profile_keeps_reconnecting", 160, 45, &command);
    tmux.wait_for("the console", WAIT, |s| s.contains("APIs") && s.contains("Disconnected"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["F5"]);

    // The status badge says which attempt while the supervisor waits or tries again…
    tmux.wait_for("the reconnect badge", WAIT, |s| s.contains("reconnecting (attempt"));
    // …and Messages gets a row per attempt: at least two of them, as the server saw.
    let screen = tmux.wait_for("two reconnect attempts in Messages", WAIT, |s| occurrences(s, "reconnecting in") >= 2);
    assert!(!screen.contains("reconnecting stopped"), "the console stopped reconnecting by itself:\n{screen}");
    let started = Instant::now();
    while accepted.load(Ordering::SeqCst) < 3 {
        assert!(started.elapsed() < WAIT, "the server saw {} connections, not 3", accepted.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // F5 stops it: the session ends and no connection arrives any more.
    tmux.keys(&["F5"]);
    let screen = tmux.wait_for("the console to stop reconnecting", WAIT, |s| {
        s.contains(" Disconnected ") && !s.contains("reconnecting (attempt")
    });
    let after_stop = accepted.load(Ordering::SeqCst);
    // No state to await for "nothing happens": wait well past the longest retry delay (0.5 s
    // plus 20 % jitter, doubling only when connections fail before opening).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = accepted.load(Ordering::SeqCst);
    assert_eq!(later, after_stop, "{} connections arrived after F5; the screen was:\n{screen}", later - after_stop);
    let screen = tmux.capture();
    assert!(screen.contains(" Disconnected "), "{screen}");

    // Enter moved the focus to the composer, where q would be typed: leave it first.
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_for("the console to quit", WAIT, |s| s.contains("WSTAB_EXIT=0"));
}
