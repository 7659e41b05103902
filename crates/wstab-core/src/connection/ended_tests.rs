//! `Ended` per path: a session says it is over exactly once, as its last event, and only once no
//! retry will follow — against loopback servers that close, refuse or drop.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;

/// How a test server treats each connection.
#[derive(Clone, Copy)]
enum Server {
    /// Accepts the upgrade, then closes with 1000.
    ClosesNormally,
    /// Answers the upgrade with 401.
    Refuses401,
    /// Answers the upgrade with 503 (worth retrying, and never opens, so attempts add up).
    Refuses503,
    /// Accepts the upgrade, then drops the TCP connection without a close frame.
    Drops,
}

/// Starts `server` on loopback; returns its URL and how many connections it accepted.
async fn serve(server: Server) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                match server {
                    Server::Refuses401 | Server::Refuses503 => {
                        let mut buf = [0u8; 4096];
                        let _ = tcp.read(&mut buf).await;
                        let status: &[u8] = match server {
                            Server::Refuses401 => b"401 Unauthorized",
                            _ => b"503 Service Unavailable",
                        };
                        let _ = tcp.write_all(&[b"HTTP/1.1 ", status, b"\r\nContent-Length: 0\r\n\r\n"].concat()).await;
                    }
                    Server::ClosesNormally => {
                        let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                        let frame = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
                        let _ = ws.send(Message::Close(Some(frame))).await;
                        // Read until the client's reply ends the close handshake.
                        use futures_util::StreamExt;
                        while ws.next().await.is_some_and(|m| m.is_ok()) {}
                    }
                    Server::Drops => {
                        let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                        drop(ws);
                    }
                }
            });
        }
    });
    (format!("ws://{addr}/"), accepted)
}

/// A policy that retries quickly, at most `max` times.
fn fast_retries(max: Option<u32>) -> Supervision {
    let policy = ReconnectPolicy {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(20),
        jitter: 0.0,
        max_attempts: max,
    };
    Supervision { reconnect: Some(policy), ..Supervision::default() }
}

/// Every event of the session until its channel closes, failing after 10 s.
async fn all_events(mut rx: mpsc::Receiver<EventBatch>) -> Vec<EventKind> {
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(batch)) => seen.extend(batch.into_iter().map(|e| e.kind)),
            Ok(None) => return seen,
            Err(_) => panic!("the session did not finish in 10 s; events so far: {seen:?}"),
        }
    }
}

/// Asserts `Ended` comes exactly once, last, right after a `Closed`/`Failed`.
#[track_caller]
fn assert_ends_once(events: &[EventKind]) {
    let ended = events.iter().filter(|k| matches!(k, EventKind::Ended)).count();
    assert_eq!(ended, 1, "Ended {ended} times in {events:?}");
    assert!(matches!(events.last(), Some(EventKind::Ended)), "Ended is not last: {events:?}");
    let before = &events[events.len().saturating_sub(2)];
    assert!(matches!(before, EventKind::Closed { .. } | EventKind::Failed(_)), "Ended after {before:?}");
}

fn count<F: Fn(&EventKind) -> bool>(events: &[EventKind], f: F) -> usize {
    events.iter().filter(|k| f(k)).count()
}

#[tokio::test]
async fn test_plain_session_ends_after_a_clean_close() {
    let (url, _) = serve(Server::ClosesNormally).await;
    let (tx, rx) = mpsc::channel(64);
    let _handle = spawn(SessionId(1), Target::new(url), tx);
    let events = all_events(rx).await;
    assert_ends_once(&events);
    assert!(events.iter().any(|k| matches!(k, EventKind::Closed { code: 1000, by: Closer::Remote, .. })), "{events:?}");
}

#[tokio::test]
async fn test_supervised_session_ends_after_a_clean_close_without_retrying() {
    let (url, accepted) = serve(Server::ClosesNormally).await;
    let (tx, rx) = mpsc::channel(64);
    let _handle = spawn_supervised(SessionId(2), Target::new(url), fast_retries(None), tx);
    let events = all_events(rx).await;
    assert_ends_once(&events);
    assert_eq!(count(&events, |k| matches!(k, EventKind::Reconnecting { .. })), 0, "{events:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn test_refused_handshake_ends_without_retrying() {
    let (url, accepted) = serve(Server::Refuses401).await;
    let (tx, rx) = mpsc::channel(64);
    let _handle = spawn_supervised(SessionId(3), Target::new(url), fast_retries(None), tx);
    let events = all_events(rx).await;
    assert_ends_once(&events);
    let refused =
        |k: &EventKind| matches!(k, EventKind::Failed(e) if e.kind == FailureKind::HandshakeRefused { status: 401 });
    assert_eq!(count(&events, refused), 1, "{events:?}");
    assert_eq!(count(&events, |k| matches!(k, EventKind::Reconnecting { .. })), 0, "{events:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn test_supervisor_that_gives_up_ends_once_and_never_between_retries() {
    // A connection that opens resets the count, so the server must refuse for attempts to add up.
    let (url, accepted) = serve(Server::Refuses503).await;
    let (tx, rx) = mpsc::channel(64);
    let _handle = spawn_supervised(SessionId(4), Target::new(url), fast_retries(Some(2)), tx);
    let events = all_events(rx).await;
    assert_ends_once(&events);
    // Two retries after the first drop, each announced with its number, then the end.
    let attempts: Vec<u32> = events
        .iter()
        .filter_map(|k| match k {
            EventKind::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2], "{events:?}");
    assert_eq!(count(&events, |k| matches!(k, EventKind::Failed(_))), 3, "{events:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn test_cancel_while_waiting_to_reconnect_ends_the_session() {
    let (url, accepted) = serve(Server::Drops).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut supervision = fast_retries(None);
    if let Some(p) = supervision.reconnect.as_mut() {
        // Long enough that the cancel below lands while the supervisor waits.
        p.initial = Duration::from_secs(30);
        p.max = Duration::from_secs(30);
    }
    let handle = spawn_supervised(SessionId(5), Target::new(url), supervision, tx);
    let mut seen = Vec::new();
    while !seen.iter().any(|k| matches!(k, EventKind::Reconnecting { .. })) {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(batch)) => seen.extend(batch.into_iter().map(|e| e.kind)),
            other => panic!("no Reconnecting in 10 s ({other:?}): {seen:?}"),
        }
    }
    assert_eq!(count(&seen, |k| matches!(k, EventKind::Ended)), 0, "ended while retrying: {seen:?}");
    handle.cancel();
    let rest = all_events(rx).await;
    assert_ends_once(&rest);
    assert!(
        rest.iter().any(
            |k| matches!(k, EventKind::Closed { by: Closer::Local, reason, .. } if reason == "reconnecting stopped")
        ),
        "{rest:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn test_cancelled_plain_session_ends_once() {
    let (url, _) = serve(Server::Drops).await;
    let (tx, rx) = mpsc::channel(64);
    // Cancelled before it could connect: closed by us, then the end.
    let handle = spawn(SessionId(6), Target::new(url), tx);
    handle.cancel();
    let events = all_events(rx).await;
    assert_ends_once(&events);
}
