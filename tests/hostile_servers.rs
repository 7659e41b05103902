//! Hostile and broken servers: each ends as a classified error (never a panic or a hang). What
//! the client then holds in memory is measured from outside, as the peak RSS of `wstab connect`,
//! in `hostile_outcomes.rs`: a test process running many tests at once cannot measure it.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use wstab::cli::exit::Exit;
use wstab_core::connection::{self, Command, Direction, Event, EventKind, FailureKind, Frame, Target};

fn start(target: Target) -> (connection::SessionHandle, mpsc::Receiver<Event>) {
    start_session(target)
}

async fn failure(target: Target) -> wstab_core::connection::ConnError {
    let (_h, mut rx) = start(target);
    match wait_for(&mut rx, "failure", |k| matches!(k, EventKind::Failed(_))).await.kind {
        EventKind::Failed(e) => e,
        _ => unreachable!(),
    }
}

/// A server that completes the upgrade, then writes `bytes` and keeps the connection open.
async fn upgrade_then(bytes: Vec<u8>) -> std::net::SocketAddr {
    raw_server(move |mut tcp| {
        let bytes = bytes.clone();
        async move {
            let head = read_head(&mut tcp).await;
            let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
            let _ = tcp.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await
}

#[tokio::test]
async fn test_server_that_never_answers_the_upgrade_times_out() {
    let addr = raw_server(|mut tcp| async move {
        let _ = read_head(&mut tcp).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.connect_timeout = Duration::from_millis(500);
    let err = failure(t).await;
    assert_eq!(err.kind, FailureKind::Timeout, "{err}");
    assert!(err.message.contains("0.5s"), "{}", err.message);
}

#[tokio::test]
async fn test_unoffered_subprotocol_is_a_bad_handshake() {
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "Sec-WebSocket-Protocol: evil.v9\r\n").as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.subprotocols = vec!["json.webpubsub.azure.v1".into()];
    let err = failure(t).await;
    assert_eq!(err.kind, FailureKind::BadHandshake, "{err}");
    assert!(err.message.to_lowercase().contains("subprotocol"), "{}", err.message);
}

#[tokio::test]
async fn test_one_gib_length_header_is_refused_as_too_large() {
    // A binary frame header announcing 1 GiB, then only a few bytes. That nothing near 1 GiB is
    // allocated is pinned by hostile_outcomes.rs
    // (`test_connect_memory_stays_small_facing_a_gib_header_and_endless_fragments`).
    let mut frame = vec![0x82, 127];
    frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
    frame.extend_from_slice(b"tiny");
    let addr = upgrade_then(frame).await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.max_message_size = Some(16 << 20);
    let err = failure(t).await;
    assert_eq!(err.kind, FailureKind::TooLarge, "{err}");
}

#[tokio::test]
async fn test_fragmented_message_that_never_ends_is_refused_as_too_large() {
    // A text frame without FIN, then continuation frames of 64 KiB forever.
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        let chunk = vec![b'a'; 60_000];
        let mut first = true;
        for _ in 0..10_000 {
            let opcode = if first { 0x01 } else { 0x00 };
            first = false;
            let mut header = vec![opcode, 126];
            header.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            if tcp.write_all(&header).await.is_err() || tcp.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.max_message_size = Some(1 << 20);
    let err = failure(t).await;
    assert_eq!(err.kind, FailureKind::TooLarge, "{err}");
}

#[tokio::test]
async fn test_ping_flood_does_not_stop_the_session() {
    let (addr, _seen) = echo_server().await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    for i in 0..2000 {
        h.send(Command::Text(format!("ping:{i}")));
    }
    h.send(Command::Text("still alive".into()));
    let e = wait_for(&mut rx, "text after the flood", |k| {
        matches!(k, EventKind::Frame { dir: Direction::In, frame: Frame::Text(_) })
    })
    .await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Text(ref t), .. } if t.as_str() == "still alive"));
}

#[tokio::test]
async fn test_invalid_close_code_is_reported_as_protocol_violation_and_the_session_ends() {
    // Close frame with code 999 (not allowed on the wire); the server then never hangs up.
    let addr = upgrade_then(vec![0x88, 0x02, 0x03, 0xe7]).await;
    let (_h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    let e = wait_for(&mut rx, "close frame", |k| matches!(k, EventKind::Frame { frame: Frame::Close(_), .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Close(Some((1002, _))), .. }), "{:?}", e.kind);
    let e = wait_for(&mut rx, "closed", |k| matches!(k, EventKind::Closed { .. } | EventKind::Failed(_))).await;
    assert!(matches!(e.kind, EventKind::Closed { code: 1002, .. }), "{:?}", e.kind);
}

#[tokio::test]
async fn test_masked_frame_from_server_is_a_protocol_error() {
    // Servers must not mask; a masked text frame "hi".
    let addr = upgrade_then(vec![0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]).await;
    let err = failure(Target::new(format!("ws://{addr}/"))).await;
    assert_eq!(err.kind, FailureKind::Protocol, "{err}");
}

#[tokio::test]
async fn test_garbage_instead_of_http_is_a_bad_handshake() {
    let addr = raw_server(|mut tcp| async move {
        let _ = read_head(&mut tcp).await;
        let _ = tcp.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let err = failure(Target::new(format!("ws://{addr}/"))).await;
    assert_eq!(err.kind, FailureKind::BadHandshake, "{err:?}");
    assert!(err.message.contains("not an HTTP/1.1 response"), "{}", err.message);
    assert_eq!(Exit::of_error(&err).code(), 3);
}
