//! The connection manager over real sockets on loopback: what arrives at the server, what comes
//! back as events, and how every failure is classified.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use wstab::cli::exit::Exit;
use wstab_core::connection::{
    Closer, Command, Direction, Event, EventKind, FailureKind, Frame, Param, SessionHandle, Target,
};

fn start(target: Target) -> (SessionHandle, mpsc::Receiver<Event>) {
    start_session(target)
}

async fn failure_of(
    target: Target,
) -> (wstab_core::connection::ConnError, Option<wstab_core::connection::HandshakeTrace>) {
    let (_h, mut rx) = start(target);
    let mut trace = None;
    loop {
        let e = wait_for(&mut rx, "a failure", |k| matches!(k, EventKind::Failed(_) | EventKind::Handshake(_))).await;
        match e.kind {
            EventKind::Handshake(t) => trace = Some(*t),
            EventKind::Failed(err) => return (err, trace),
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn test_query_headers_and_subprotocols_arrive_as_built() {
    let (addr, mut seen) = echo_server().await;
    let mut t = Target::new(format!("ws://{addr}/api/chat?fixed=1&dup=old"));
    t.query = vec![Param::new("dup", "new value"), Param::new("access_token", "a/b+c="), Param::new("off", "x")];
    t.query[2].enabled = false;
    t.headers = vec![
        Param::new("Ocp-Apim-Subscription-Key", "key-123"),
        Param::new("X-Trace", "t1"),
        Param::new("Sec-WebSocket-Version", "8"),
        Param::new("Connection", "close"),
    ];
    t.subprotocols = vec!["json.webpubsub.azure.v1".into(), "plain".into()];
    let (_h, mut rx) = start(t);
    let opened = wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    let EventKind::Opened { subprotocol, .. } = opened.kind else { unreachable!() };
    assert_eq!(subprotocol.as_deref(), Some("json.webpubsub.azure.v1"));
    let req = tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap();
    assert_eq!(req.uri, "/api/chat?fixed=1&dup=new+value&access_token=a%2Fb%2Bc%3D");
    assert_eq!(req.header("ocp-apim-subscription-key"), ["key-123"]);
    assert_eq!(req.header("x-trace"), ["t1"]);
    assert_eq!(req.header("sec-websocket-version"), ["13"]);
    assert_eq!(req.header("connection"), ["Upgrade"]);
    assert_eq!(req.header("upgrade"), ["websocket"]);
    assert_eq!(req.header("sec-websocket-key").len(), 1);
    assert_eq!(req.header("sec-websocket-protocol"), ["json.webpubsub.azure.v1, plain"]);
}

#[tokio::test]
async fn test_text_binary_ping_pong_and_close_both_ways() {
    let (addr, _seen) = echo_server().await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;

    h.send(Command::Text("héllo".into()));
    let e = wait_for(&mut rx, "text back", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Text(ref t), .. } if t.as_str() == "héllo"));

    h.send(Command::Binary(vec![0, 1, 2, 255]));
    let e = wait_for(&mut rx, "binary back", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Binary(ref b), .. } if b[..] == [0, 1, 2, 255]));

    h.send(Command::Ping(b"p1".to_vec()));
    let e = wait_for(&mut rx, "pong", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Pong(ref b), .. } if &b[..] == b"p1"));

    // The server pings us: we see the ping and the automatic pong.
    h.send(Command::Text("ping:srv".into()));
    let e = wait_for(&mut rx, "server ping", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Ping(ref b), .. } if &b[..] == b"srv"));
    let e = wait_for(&mut rx, "our pong", |k| matches!(k, EventKind::Frame { dir: Direction::Out, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Pong(ref b), .. } if &b[..] == b"srv"));

    // We close with a code and reason; the server answers; the session ends closed by us.
    h.send(Command::Close { code: 4001, reason: "bye now".into() });
    let e = wait_for(&mut rx, "closed", |k| matches!(k, EventKind::Closed { .. })).await;
    let EventKind::Closed { code, reason, by } = e.kind else { unreachable!() };
    assert_eq!((code, reason.as_str(), by), (4001, "bye now", Closer::Local));
}

#[tokio::test]
async fn test_server_close_code_and_reason_reach_us() {
    let (addr, _seen) = echo_server().await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    h.send(Command::Text("close:4321:server says bye".into()));
    let e = wait_for(&mut rx, "close frame", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(
        matches!(e.kind, EventKind::Frame { frame: Frame::Close(Some((4321, ref r))), .. } if r == "server says bye")
    );
    let e = wait_for(&mut rx, "closed", |k| matches!(k, EventKind::Closed { .. })).await;
    let EventKind::Closed { code, reason, by } = e.kind else { unreachable!() };
    assert_eq!((code, reason.as_str(), by), (4321, "server says bye", Closer::Remote));
}

#[tokio::test]
async fn test_sixteen_mib_message_round_trips() {
    let (addr, _seen) = echo_server().await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    let big: String = (0..16 << 20).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    h.send(Command::Text(big.clone()));
    let e = wait_for(&mut rx, "16 MiB back", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    let EventKind::Frame { frame: Frame::Text(t), .. } = e.kind else { panic!("not text") };
    assert_eq!(t.len(), 16 << 20);
    assert!(t.as_str() == big);
}

#[tokio::test]
async fn test_max_message_size_is_enforced_with_a_clear_error() {
    let (addr, _seen) = echo_server().await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.max_message_size = Some(1000);
    let (h, mut rx) = start(t);
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    // The server sends 2000 bytes back (we may send it: the limit is on what we accept).
    h.send(Command::Text(format!("bin:{}", "ab".repeat(2000))));
    let e = wait_for(&mut rx, "failure", |k| matches!(k, EventKind::Failed(_))).await;
    let EventKind::Failed(err) = e.kind else { unreachable!() };
    assert_eq!(err.kind, FailureKind::TooLarge, "{err}");
    assert!(err.message.contains("1000"), "{}", err.message);
    assert!(err.hint.contains("--max-message-size"), "{}", err.hint);
}

#[tokio::test]
async fn test_abrupt_tcp_drop_is_1006_without_panic() {
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        // Half a text frame, then the connection is gone.
        let _ = tcp.write_all(&[0x81, 0x05, b'h', b'e']).await;
        drop(tcp);
    })
    .await;
    let (err, _) = failure_of(Target::new(format!("ws://{addr}/"))).await;
    assert_eq!(err.kind, FailureKind::Abnormal, "{err}");
    assert!(err.message.contains("1006"), "{}", err.message);
    assert_eq!(Exit::of_error(&err).code(), 5);
}

#[tokio::test]
async fn test_invalid_utf8_text_frame_is_a_protocol_error() {
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        let _ = tcp.write_all(&[0x81, 0x02, 0xff, 0xfe]).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let (err, _) = failure_of(Target::new(format!("ws://{addr}/"))).await;
    assert_eq!(err.kind, FailureKind::Protocol, "{err}");
    assert!(err.message.contains("UTF-8"), "{}", err.message);
}

#[tokio::test]
async fn test_refusals_are_classified_with_status_body_and_hint() {
    let cases: [(&str, &str, u16, &str); 5] = [
        ("400 Bad Request", "Invalid websocket upgrade request", 400, "Upgrade: websocket"),
        (
            "401 Unauthorized",
            r#"{"statusCode": 401, "message": "Access denied due to missing subscription key."}"#,
            401,
            "subscription key",
        ),
        ("403 Forbidden", "forbidden", 403, "policies"),
        ("404 Not Found", r#"{"statusCode": 404, "message": "Resource not found"}"#, 404, "URL suffix"),
        ("502 Bad Gateway", "backend down", 502, "backend"),
    ];
    for (status, body, code, hint) in cases {
        let addr = refusing_server(status, body).await;
        let (err, trace) = failure_of(Target::new(format!("ws://{addr}/x"))).await;
        assert_eq!(err.kind, FailureKind::HandshakeRefused { status: code });
        assert_eq!(Exit::of_error(&err).code(), 3);
        assert!(err.message.contains(body), "{}", err.message);
        assert!(err.hint.contains(hint), "{code}: {}", err.hint);
        let response = trace.unwrap().response.unwrap();
        assert_eq!((response.status, response.body.as_str()), (code, body));
    }
}

/// Issue 14: a 401's hint names only the credentials the request sent (Echo sends none, so it
/// is not told to check an access token it does not have).
#[tokio::test]
async fn test_a_401_hint_names_only_what_the_request_authenticates_with() {
    let addr = refusing_server("401 Unauthorized", "denied").await;
    let (err, _) = failure_of(Target::new(format!("ws://{addr}/echo"))).await;
    assert!(err.hint.contains("sends none") && !err.hint.contains("check that"), "{}", err.hint);
    let mut keyed = Target::new(format!("ws://{addr}/chat"));
    keyed.query = vec![Param::new("subscription-key", "k")];
    let (err, _) = failure_of(keyed).await;
    assert!(err.hint.contains("subscription key") && !err.hint.contains("access_token"), "{}", err.hint);
    let mut hub = Target::new(format!("ws://{addr}/client/hubs/chat?access_token=t"));
    hub.headers = vec![Param::new("Ocp-Apim-Subscription-Key", "k")];
    let (err, _) = failure_of(hub).await;
    assert!(err.hint.contains("access_token") && err.hint.contains("subscription key"), "{}", err.hint);
    assert!(!err.hint.contains("Authorization"), "{}", err.hint);
}

#[tokio::test]
async fn test_trace_and_errors_mask_secrets() {
    // The server quotes the key back in its body: it must still not leak.
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let body = format!("you sent: {}", head.replace("\r\n", " | "));
        let resp = format!("HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let _ = tcp.write_all(resp.as_bytes()).await;
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/chat?access_token=tok-SECRET-aaa"));
    t.query = vec![Param::new("subscription-key", "sub-SECRET-bbb"), Param::new("mine", "my-SECRET-ccc").secret()];
    t.headers = vec![Param::new("Authorization", "Bearer jwt-SECRET-ddd"), Param::new("X-Plain", "visible")];
    let (err, trace) = failure_of(t).await;
    let text = format!("{err}\n{}", trace.unwrap().to_text());
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("X-Plain: visible"), "{text}");
    assert!(text.contains("access_token=••••••"), "{text}");
}

#[tokio::test]
async fn test_connection_refused_dns_and_timeout_are_classified() {
    // Refused: a port held bound but not listening (kept until the end of the test).
    let (_held, port) = refusing_port();
    let (err, _) = failure_of(Target::new(format!("ws://127.0.0.1:{port}/"))).await;
    assert_eq!(err.kind, FailureKind::Refused, "{err}");
    assert_eq!(Exit::of_error(&err).code(), 4);

    let (err, _) = failure_of(Target::new("ws://no-such-host.invalid/")).await;
    assert_eq!(err.kind, FailureKind::Dns, "{err}");
    assert!(err.hint.contains("host name"), "{}", err.hint);

    // Timeout: accepts TCP but never answers the upgrade.
    let addr = raw_server(|tcp| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tcp);
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.connect_timeout = Duration::from_millis(300);
    let (err, _) = failure_of(t).await;
    assert_eq!(err.kind, FailureKind::Timeout, "{err}");
    assert_eq!(Exit::of_error(&err).code(), 4);
}

#[tokio::test]
async fn test_invalid_accept_key_is_a_bad_handshake() {
    let addr = raw_server(|mut tcp| async move {
        let _ = read_head(&mut tcp).await;
        let resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n";
        let _ = tcp.write_all(resp.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let (err, _) = failure_of(Target::new(format!("ws://{addr}/"))).await;
    assert_eq!(err.kind, FailureKind::BadHandshake, "{err}");
    assert_eq!(Exit::of_error(&err).code(), 3);
}

#[tokio::test]
async fn test_wss_with_self_signed_ca_file_and_without() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();

    // With the CA file: verified and working.
    let mut t = Target::new(format!("wss://localhost:{}/", addr.port()));
    t.tls.ca_file = Some(ca.clone());
    let (h, mut rx) = start(t);
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    h.send(Command::Text("over tls".into()));
    let e = wait_for(&mut rx, "echo", |k| matches!(k, EventKind::Frame { dir: Direction::In, .. })).await;
    assert!(matches!(e.kind, EventKind::Frame { frame: Frame::Text(ref t), .. } if t.as_str() == "over tls"));

    // Without it: a TLS failure with the hint to pass --ca.
    let (err, _) = failure_of(Target::new(format!("wss://localhost:{}/", addr.port()))).await;
    assert_eq!(err.kind, FailureKind::Tls, "{err}");
    assert!(err.hint.contains("--ca"), "{}", err.hint);

    // Insecure: accepted without verification.
    let mut t = Target::new(format!("wss://localhost:{}/", addr.port()));
    t.tls.insecure = true;
    let (_h, mut rx) = start(t);
    wait_for(&mut rx, "open (insecure)", |k| matches!(k, EventKind::Opened { .. })).await;

    // A CA file that is not PEM is a clear TLS setup error naming the file.
    std::fs::write(&ca, "not a certificate").unwrap();
    let mut t = Target::new(format!("wss://localhost:{}/", addr.port()));
    t.tls.ca_file = Some(ca);
    let (err, _) = failure_of(t).await;
    assert_eq!(err.kind, FailureKind::Tls);
    assert!(err.message.contains("ca.pem"), "{}", err.message);
}

#[tokio::test]
async fn test_cancel_while_connecting_and_dropping_the_handle() {
    let addr = raw_server(|tcp| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tcp);
    })
    .await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "connecting", |k| matches!(k, EventKind::Connecting { .. })).await;
    h.cancel();
    let e = wait_for(&mut rx, "closed", |k| matches!(k, EventKind::Closed { .. })).await;
    assert!(matches!(e.kind, EventKind::Closed { by: Closer::Local, .. }));

    // Dropping the handle of an open session closes it politely.
    let (addr, _seen) = echo_server().await;
    let (h, mut rx) = start(Target::new(format!("ws://{addr}/")));
    wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. })).await;
    drop(h);
    let e = wait_for(&mut rx, "closed", |k| matches!(k, EventKind::Closed { .. })).await;
    assert!(matches!(e.kind, EventKind::Closed { code: 1000, by: Closer::Local, .. }));
}

#[tokio::test]
async fn test_bad_url_fails_as_invalid_request() {
    let (err, _) = failure_of(Target::new("ftp://example.net/x")).await;
    assert_eq!(err.kind, FailureKind::InvalidRequest);
    assert_eq!(Exit::of_error(&err).code(), 2);
}

#[tokio::test]
async fn test_server_choosing_no_subprotocol_is_accepted_as_browsers_do() {
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut t = Target::new(format!("ws://{addr}/"));
    t.subprotocols = vec!["json.webpubsub.azure.v1".into()];
    let (_h, mut rx) = start(t);
    let e = wait_for(&mut rx, "open", |k| matches!(k, EventKind::Opened { .. } | EventKind::Failed(_))).await;
    assert!(matches!(e.kind, EventKind::Opened { subprotocol: None, .. }), "{:?}", e.kind);
}
