//! Soak: many wstab sessions (the connection manager the console and `connect` use) sending
//! mixed text and binary messages with sequence numbers through the gateway emulator to an echo
//! backend, on loopback. Every echo must come back, in order; memory must stay flat.
//!
//! CI runs the short soak (20 sessions × 3 s). The long one is a separate command:
//! `cargo test --release --test soak -- --ignored --nocapture` (200 sessions × 60 s by default;
//! `SOAK_SESSIONS` and `SOAK_SECS` change it). Its last figures are in `tests/README.md`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wstab_core::connection::{Command, Direction, EventBatch, EventKind, Frame, SessionId, Target};
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogSink};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

const KEY: &str = "soak-key-123456";
/// Messages a session may have in flight (sent, echo not yet seen).
const WINDOW: u64 = 16;

/// What one soak saw.
#[derive(Debug, Default, Clone)]
struct Figures {
    sessions: usize,
    sent: u64,
    received: u64,
    lost: u64,
    reordered: u64,
    failed_sessions: u64,
    rss_kib: Vec<(String, u64)>,
    elapsed: Duration,
}

/// Resident memory of this process in KiB (Linux). Fails the test when it cannot be read: the
/// long soak's "memory stays flat" bound would pass on zeros without measuring anything.
#[track_caller]
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status for VmRSS");
    let kib = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no VmRSS line in /proc/self/status:\n{status}"));
    assert!(kib > 0, "VmRSS reads 0 KiB: memory cannot be measured here");
    kib
}

async fn echo_backend(stop: CancellationToken) -> SocketAddr {
    let handler: Handler = Arc::new(|req, _| {
        async move {
            Reply::Upgrade {
                response: wsserver::switching_protocols(req.headers(), None),
                on_upgrade: Box::new(|mut ws| {
                    async move {
                        while let Some(Ok(m)) = ws.next().await {
                            if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                                break;
                            }
                        }
                    }
                    .boxed()
                }),
            }
        }
        .boxed()
    });
    wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, ServerOptions::default(), stop).await.unwrap().addr
}

/// The payload of message `seq` of session `sid`: text or binary by turns, of varied size, with
/// the sequence number first.
fn message(sid: usize, seq: u64) -> Command {
    let pad = (seq * 37 % 2000) as usize;
    if seq.is_multiple_of(2) {
        Command::Text(format!("{sid}:{seq}:{}", "x".repeat(pad)))
    } else {
        let mut b = Vec::with_capacity(16 + pad);
        b.extend_from_slice(&(sid as u64).to_be_bytes());
        b.extend_from_slice(&seq.to_be_bytes());
        b.resize(16 + pad, (seq % 251) as u8);
        Command::Binary(b)
    }
}

/// The (session, sequence) an echo carries.
fn parse(frame: &Frame) -> Option<(usize, u64)> {
    match frame {
        Frame::Text(t) => {
            let mut it = t.as_str().splitn(3, ':');
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        }
        Frame::Binary(b) if b.len() >= 16 => {
            let sid = u64::from_be_bytes(b[..8].try_into().ok()?) as usize;
            Some((sid, u64::from_be_bytes(b[8..16].try_into().ok()?)))
        }
        _ => None,
    }
}

/// One session: send for `run`, keeping at most [`WINDOW`] in flight, then wait for the last
/// echoes. Returns (sent, received, lost, reordered, failed).
async fn session(sid: usize, url: String, run: Duration) -> (u64, u64, u64, u64, bool) {
    let mut target = Target::new(url);
    target.query = vec![wstab_core::connection::Param::new("subscription-key", KEY)];
    let (tx, mut rx) = mpsc::channel::<EventBatch>(64);
    let handle = wstab_core::connection::spawn(SessionId(sid as u64), target, tx);
    let (mut sent, mut received, mut reordered, mut expected) = (0u64, 0u64, 0u64, 0u64);
    let mut open = false;
    let mut failed = false;
    let started = Instant::now();
    let drain_until = started + run + Duration::from_secs(15);
    loop {
        let sending = open && started.elapsed() < run;
        if sending && sent - received < WINDOW {
            handle.send(message(sid, sent));
            sent += 1;
            continue;
        }
        if !sending && open && received == sent {
            break;
        }
        let batch = match tokio::time::timeout_at(drain_until.into(), rx.recv()).await {
            Ok(Some(b)) => b,
            Ok(None) | Err(_) => break,
        };
        for e in batch {
            match e.kind {
                EventKind::Opened { .. } => open = true,
                EventKind::Frame { dir: Direction::In, frame } => {
                    if let Some((s, seq)) = parse(&frame) {
                        assert_eq!(s, sid, "an echo for another session");
                        received += 1;
                        if seq != expected {
                            reordered += 1;
                        }
                        expected = seq + 1;
                    }
                }
                EventKind::Failed(_) | EventKind::Closed { .. } => failed = true,
                _ => {}
            }
        }
        if failed {
            break;
        }
    }
    handle.send(Command::Close { code: 1000, reason: String::new() });
    (sent, received, sent.saturating_sub(received), reordered, failed || !open)
}

async fn soak(sessions: usize, run: Duration) -> Figures {
    let stop = CancellationToken::new();
    let backend = echo_backend(stop.clone()).await;
    let text = format!(
        "[limits]\nmax_connections = {}\n\n[[subscriptions]]\nname = \"soak\"\nprimary_key = \"{KEY}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nbackend = \"ws://{backend}/\"\n",
        sessions + 10
    );
    let config = GatewayConfig::parse("soak.toml", &text, std::path::Path::new(".")).unwrap();
    let gateway = Gateway::start(config, "127.0.0.1:0".parse().unwrap(), None, LogSink::Memory).await.unwrap();
    let url = format!("ws://{}/echo", gateway.addr);
    let mut figures = Figures { sessions, ..Figures::default() };
    figures.rss_kib.push(("start".into(), rss_kib()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..sessions).map(|i| tokio::spawn(session(i, url.clone(), run))).collect();
    tokio::time::sleep(run / 2).await;
    figures.rss_kib.push(("middle".into(), rss_kib()));
    for t in tasks {
        let (s, r, l, o, f) = t.await.expect("session task");
        figures.sent += s;
        figures.received += r;
        figures.lost += l;
        figures.reordered += o;
        figures.failed_sessions += u64::from(f);
    }
    figures.elapsed = started.elapsed();
    figures.rss_kib.push(("end".into(), rss_kib()));
    gateway.stop();
    stop.cancel();
    eprintln!("soak: {figures:?}");
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_short_soak_loses_and_reorders_nothing() {
    let f = soak(20, Duration::from_secs(3)).await;
    assert_eq!(f.failed_sessions, 0, "{f:?}");
    assert!(f.sent > 20 * 10, "too little traffic to mean anything: {f:?}");
    assert_eq!((f.lost, f.reordered), (0, 0), "{f:?}");
    assert_eq!(f.sent, f.received, "{f:?}");
}

/// The long soak; run it with `cargo test --release --test soak -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long soak: a separate command, see tests/README.md"]
async fn soak_long() {
    let sessions = std::env::var("SOAK_SESSIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let secs = std::env::var("SOAK_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let f = soak(sessions, Duration::from_secs(secs)).await;
    println!(
        "SOAK {} sessions x {} s: sent {} received {} lost {} reordered {} failed sessions {} in {:.1} s ({:.0} msg/s each way); RSS KiB {:?}",
        f.sessions,
        secs,
        f.sent,
        f.received,
        f.lost,
        f.reordered,
        f.failed_sessions,
        f.elapsed.as_secs_f64(),
        f.received as f64 / f.elapsed.as_secs_f64(),
        f.rss_kib
    );
    assert_eq!(f.failed_sessions, 0, "{f:?}");
    assert_eq!((f.lost, f.reordered), (0, 0), "{f:?}");
    let start = f.rss_kib[1].1;
    let end = f.rss_kib[2].1;
    assert!(end < start * 2 + 50_000, "memory grew from {start} KiB (middle) to {end} KiB (end)");
}
