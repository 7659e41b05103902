//! What the benchmark binaries share: a flood server on loopback, a bare tokio-tungstenite
//! client as the baseline, peak memory and CPU time of this process, and medians.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Payload size of each flood frame.
pub const PAYLOAD: usize = 64;

/// Serves floods until the process ends: each connection gets `n` text frames of [`PAYLOAD`]
/// bytes, then a close.
pub async fn flood_server(n: u64) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                let msg = Message::text("x".repeat(PAYLOAD));
                for _ in 0..n {
                    if ws.feed(msg.clone()).await.is_err() {
                        return;
                    }
                }
                let _ = ws.flush().await;
                let _ = ws.close(None).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    addr
}

/// The baseline: a bare tokio-tungstenite client reading `n` text frames from `url`.
pub async fn bare_client(url: &str, n: u64) -> Duration {
    let start = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut got = 0u64;
    while let Some(Ok(m)) = ws.next().await {
        if m.is_text() {
            got += 1;
            if got == n {
                break;
            }
        }
    }
    assert_eq!(got, n, "the bare client lost frames");
    start.elapsed()
}

/// A `/proc/self/status` field in kB (Linux), e.g. `VmHWM` (peak RSS) or `VmRSS`.
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix(" kB")?.parse().ok())
}

/// Resets the peak RSS counter (Linux: writing 5 to clear_refs), so a phase's peak can be read.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The median of some durations.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An environment variable as a number, or a default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}
