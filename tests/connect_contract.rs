//! README promises of `wstab connect` that had no test: `--secret NAME` masks that query
//! parameter's or header's value in every place wstab writes (stderr and its handshake trace,
//! an error message, `--json` output, wstab's own log), and a server close with 1001 or with no
//! code at all is a normal end (exit 0). The real binary against servers on loopback.

mod common;

use std::time::Duration;

use common::process::output_within_async;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// Values under names wstab does not treat as secret by itself; only `--secret` makes them so.
const QUERY_SECRET: &str = "QSECRET-4f1a";
const URL_SECRET: &str = "USECRET-77d0";
const HEADER_SECRET: &str = "HSECRET-9c2e";
const SECRET_FLAGS: [&str; 6] = ["--secret", "nonce", "--secret", "ticket", "--secret", "X-Api-Token"];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// wstab's own log (`wstab.log` in the data dir), written at `WSTAB_LOG=trace`.
    log: String,
}

/// Runs `wstab connect ARGS` with a private data dir and the most verbose log filter, so every
/// line wstab can log is in `Run::log`.
async fn connect(args: &[&str]) -> Run {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.arg("connect").args(args);
    cmd.env("WSTAB_DATA_DIR", data.path()).env("WSTAB_CONFIG_DIR", data.path()).env("WSTAB_LOG", "trace");
    let out = output_within_async(&mut cmd, WAIT).await;
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: std::fs::read_to_string(data.path().join("wstab.log")).unwrap_or_default(),
    }
}

/// The request with one secret in the URL, one given with `-q` and one header.
fn secret_args<'a>(url: &'a str, header: &'a str) -> Vec<&'a str> {
    vec![url, "-q", "nonce=QSECRET-4f1a", "-H", header]
}

fn url_with_secret(addr: std::net::SocketAddr) -> String {
    format!("ws://{addr}/api?ticket={URL_SECRET}&plain=visible")
}

#[track_caller]
fn assert_no_secret(r: &Run) {
    for secret in [QUERY_SECRET, URL_SECRET, HEADER_SECRET] {
        for (place, text) in [("stdout", &r.stdout), ("stderr", &r.stderr), ("wstab.log", &r.log)] {
            assert!(!text.contains(secret), "{secret} leaked into {place}:\n{text}");
        }
    }
}

#[tokio::test]
async fn test_secret_flag_masks_custom_names_in_the_refusal_trace_and_the_log() {
    let addr = refusing_server("401 Unauthorized", r#"{"statusCode": 401, "message": "no"}"#).await;
    let url = url_with_secret(addr);
    let header = format!("X-Api-Token: {HEADER_SECRET}");
    let mut args = secret_args(&url, &header);
    args.extend(SECRET_FLAGS);
    let r = connect(&args).await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    // The trace is printed, with each secret masked and the rest as sent.
    assert!(r.stderr.contains("> GET /api?ticket=••••••&plain=visible&nonce=•••••• HTTP/1.1"), "{}", r.stderr);
    assert!(r.stderr.contains("> X-Api-Token: ••••••"), "{}", r.stderr);
    assert_no_secret(&r);
    // The log is not vacuously clean: it recorded the attempt, masked.
    assert!(r.log.contains("connecting") && r.log.contains("nonce=••••••"), "wstab.log:\n{}", r.log);

    // Without --secret these names are ordinary: the same run shows the values, so the masking
    // above is the flag's doing.
    let r = connect(&secret_args(&url, &header)).await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    for value in [QUERY_SECRET, URL_SECRET, HEADER_SECRET] {
        assert!(r.stderr.contains(value), "{value} not shown without --secret:\n{}", r.stderr);
    }
}

#[tokio::test]
async fn test_secret_flag_masks_custom_names_in_json_output_and_the_log_of_a_session() {
    let (addr, mut seen) = echo_server().await;
    let url = url_with_secret(addr);
    let header = format!("X-Api-Token: {HEADER_SECRET}");
    let mut args = secret_args(&url, &header);
    args.extend(SECRET_FLAGS);
    args.extend(["--json", "-x", "hello", "--count", "1"]);
    let r = connect(&args).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // The secrets really were sent: masking is on what wstab writes, not on the request.
    let request = tokio::time::timeout(WAIT, seen.recv()).await.expect("no handshake seen").unwrap();
    assert!(request.uri.contains(URL_SECRET) && request.uri.contains(QUERY_SECRET), "{request:?}");
    assert_eq!(request.header("x-api-token"), [HEADER_SECRET]);
    let events: Vec<serde_json::Value> =
        r.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(events.iter().any(|e| e["dir"] == "in" && e["data"] == "hello"), "{}", r.stdout);
    assert_no_secret(&r);
    assert!(r.log.contains("connecting") && r.log.contains("ticket=••••••"), "wstab.log:\n{}", r.log);
}

#[tokio::test]
async fn test_secret_flag_masks_custom_names_in_a_connect_error_message() {
    // A server that never answers the upgrade: the timeout's message names the URL.
    let addr = hostile_server(Hostile::NeverAnswers).await;
    let url = url_with_secret(addr);
    let header = format!("X-Api-Token: {HEADER_SECRET}");
    let mut args = secret_args(&url, &header);
    args.extend(SECRET_FLAGS);
    args.extend(["--connect-timeout", "0.5"]);
    let r = connect(&args).await;
    assert_eq!(r.code, Some(4), "{}", r.stderr);
    assert!(r.stderr.contains("error: no connection to") && r.stderr.contains("ticket=••••••"), "{}", r.stderr);
    assert_no_secret(&r);
}

#[tokio::test]
async fn test_server_close_with_1001_exits_0() {
    let (addr, _seen) = echo_server().await;
    let r = connect(&[&format!("ws://{addr}/"), "-x", "close:1001:going away"]).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("closed by server: 1001 going away"), "{}", r.stderr);
}

#[tokio::test]
async fn test_server_close_without_a_code_exits_0() {
    // Upgrades, then sends a close frame with an empty payload (no code, reported as 1005) and
    // waits for the client's close reply before hanging up, as a well-behaved server does.
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        let _ = tcp.write_all(&[0x88, 0x00]).await;
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut sink)).await;
    })
    .await;
    let r = connect(&[&format!("ws://{addr}/")]).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("closed by server: 1005"), "{}", r.stderr);
}

/// A server that echoes text and reports the close frame it receives (`None`: the connection
/// dropped without one).
async fn close_recording_server() -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Option<u16>>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                let mut seen = None;
                while let Some(Ok(msg)) = ws.next().await {
                    match msg {
                        Message::Text(t) => {
                            let _ = ws.send(Message::Text(t)).await;
                        }
                        Message::Close(frame) => {
                            seen = Some(frame.map(|f| u16::from(f.code)).unwrap_or(1005));
                            // tungstenite answers the close; drive it out.
                            let _ = ws.flush().await;
                        }
                        _ => {}
                    }
                }
                let _ = tx.send(seen);
            });
        }
    });
    (addr, rx)
}

/// Issue 14: `--wait` ended with "closing" but sent no close frame; it sends 1000 now and waits
/// for the reply, as `--count` does. The server is what says so.
#[tokio::test]
async fn test_wait_and_count_end_with_a_close_frame_the_server_sees() {
    let (addr, mut seen) = close_recording_server().await;
    let url = format!("ws://{addr}/");
    for args in [vec![url.as_str(), "--wait", "0.3"], vec![url.as_str(), "-x", "hi", "--count", "1"]] {
        let r = connect(&args).await;
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        let got = tokio::time::timeout(WAIT, seen.recv()).await.expect("the server's report").unwrap();
        assert_eq!(got, Some(1000), "{args:?}: the server saw no close frame; stderr: {}", r.stderr);
        assert!(r.stderr.contains("closed: 1000"), "{args:?}: {}", r.stderr);
    }
}
