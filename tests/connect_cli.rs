//! `wstab connect` as a user's script runs it: the real binary against servers on loopback,
//! checking stdout, stderr and the exit code contract (0 ok, 2 usage, 3 refused, 4 cannot
//! connect, 5 lost).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn wstab(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.arg("connect").args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("WSTAB_DATA_DIR", std::env::temp_dir().join("wstab-test-data"));
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    // A hung wstab is killed when the timeout below drops it, not left running.
    cmd.kill_on_drop(true);
    let mut child = cmd.spawn().expect("run wstab");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).await.unwrap();
        drop(pipe); // EOF
    }
    let out = tokio::time::timeout(WAIT, child.wait_with_output()).await.expect("wstab connect hung").unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn test_execute_messages_are_sent_in_order_and_printed_back() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "-x", "hello", "-x", "{\"a\": 1}", "--count", "2"], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "hello\n{\"a\": 1}\n");
}

#[tokio::test]
async fn test_stdin_lines_are_sent_and_eof_alone_does_not_close() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "--wait", "1"], Some("one\ntwo\n")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "one\ntwo\n");
    // It ended because of --wait, after stdin had long reached EOF.
    assert!(r.stderr.contains("no message for 1.0s"), "{}", r.stderr);
}

#[tokio::test]
async fn test_json_prints_one_object_per_event_both_ways() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "--json", "-x", "hi", "-x", "bin:00ff", "--count", "2"], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let brief: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (e["dir"].as_str().unwrap().into(), e["kind"].as_str().unwrap().into(), e["data"].as_str().unwrap().into())
        })
        .collect();
    let expect = |d: &str, k: &str, v: &str| (d.to_string(), k.to_string(), v.to_string());
    // Sent and received interleave as the network decides; each direction keeps its order.
    let outs: Vec<_> = brief.iter().filter(|e| e.0 == "out").cloned().collect();
    let ins: Vec<_> = brief.iter().filter(|e| e.0 == "in").cloned().collect();
    assert_eq!(outs, [expect("out", "text", "hi"), expect("out", "text", "bin:00ff")]);
    assert_eq!(ins, [expect("in", "text", "hi"), expect("in", "binary", "00ff")]);
    assert_eq!(events[3]["size"], 2);
    assert!(events.iter().all(|e| e["ts"].as_str().is_some_and(|ts| ts.contains('T'))));
}

#[tokio::test]
async fn test_binary_as_base64() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "--binary-as", "base64", "-x", "bin:00ff", "--count", "1"], None).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "AP8=\n"), "{}", r.stderr);
    let r = wstab(&[&format!("ws://{addr}/"), "-x", "bin:00ff", "--count", "1"], None).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "00ff\n"), "{}", r.stderr);
}

#[tokio::test]
async fn test_server_close_exit_codes() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "-x", "close:1000:done"], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("closed by server: 1000 done"), "{}", r.stderr);
    let r = wstab(&[&format!("ws://{addr}/"), "-x", "close:1011:internal"], None).await;
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[tokio::test]
async fn test_refused_handshake_exits_3_with_trace_body_and_hint_and_no_secret() {
    let addr = refusing_server("404 Not Found", r#"{ "statusCode": 404, "message": "Resource not found" }"#).await;
    let r = wstab(
        &[
            &format!("ws://{addr}/wrong-suffix"),
            "-q",
            "subscription-key=SECRETKEY123",
            "-H",
            "Authorization: Bearer SECRETJWT456",
        ],
        None,
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("404"), "{}", r.stderr);
    assert!(r.stderr.contains("> GET /wrong-suffix?subscription-key=•••••• HTTP/1.1"), "{}", r.stderr);
    assert!(r.stderr.contains("Resource not found"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: the request URL must be exactly the gateway URL plus the API's URL suffix"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("SECRET") && !r.stdout.contains("SECRET"), "{}", r.stderr);
}

#[tokio::test]
async fn test_cannot_connect_exits_4_and_lost_connection_exits_5() {
    // A port held bound but not listening (kept until the end of the test): refused.
    let (_held, port) = refusing_port();
    let r = wstab(&[&format!("ws://127.0.0.1:{port}/")], None).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);

    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(tcp);
    })
    .await;
    let r = wstab(&[&format!("ws://{addr}/")], None).await;
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("1006"), "{}", r.stderr);
}

#[tokio::test]
async fn test_usage_errors_exit_2() {
    for args in [
        vec!["ws://127.0.0.1:1/", "-H", "no colon here"],
        vec!["not a url"],
        vec!["ws://127.0.0.1:1/", "--binary-as", "octal"],
        vec!["ws://127.0.0.1:1/", "--connect-timeout", "0"],
        vec![],
    ] {
        let r = wstab(&args, None).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty());
    }
}

#[tokio::test]
async fn test_closed_stdout_pipe_ends_quietly() {
    let (addr, _seen) = echo_server().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["connect", &format!("ws://{addr}/"), "-x", "flood:200000"])
        .env("WSTAB_DATA_DIR", std::env::temp_dir().join("wstab-test-data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line()).await.expect("no first line in time");
    assert_eq!(first.unwrap().as_deref(), Some("m0"));
    drop(lines); // like `| head -1`
    let out = tokio::time::timeout(WAIT, child.wait_with_output()).await.expect("hung after EPIPE").unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("cannot write") && !stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn test_flood_is_printed_completely_and_in_order() {
    let (addr, _seen) = echo_server().await;
    let r = wstab(&[&format!("ws://{addr}/"), "-x", "flood:100000", "--count", "100000"], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 100_000);
    assert!(lines.iter().enumerate().all(|(i, l)| *l == format!("m{i}")));
}

#[tokio::test]
async fn test_wss_with_ca_flag() {
    let pki = test_pki();
    let addr = tls_echo_server(&pki).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let url = format!("wss://localhost:{}/", addr.port());
    let r = wstab(&[&url, "--ca", ca.to_str().unwrap(), "-x", "tls ok", "--count", "1"], None).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "tls ok\n"), "{}", r.stderr);
    let r = wstab(&[&url, "-x", "x", "--count", "1"], None).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = wstab(&[&url, "--insecure", "-x", "insecure ok", "--count", "1"], None).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "insecure ok\n"), "{}", r.stderr);
}

/// Against an independent implementation (Python's `websockets`), as wscat would be used.
/// `.ci/run` installs it; without it the test fails (CI) or is listed as ignored (local build).
#[tokio::test]
#[cfg_attr(missing_python_websockets, ignore = "needs python websockets: pip install websockets")]
async fn test_against_independent_python_echo_server() {
    tools::require(tools::PYTHON_WEBSOCKETS);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/echo_server.py");
    let mut server = Command::new("python3").arg(script).stdout(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    // The server binds port 0 itself and prints the port it holds: no race for it.
    let port = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("the Python server printed no port in time")
        .unwrap()
        .expect("the Python server ended before printing its port");
    let url = format!("ws://127.0.0.1:{port}/");
    let big = "z".repeat(100_000);
    let r = wstab(&[&url, "-s", "chat.v1", "-x", "first", "-x", &big, "--count", "3"], Some("from stdin\n")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "first");
    assert!(lines.contains(&big.as_str()) && lines.contains(&"from stdin"));
    assert!(r.stderr.contains("subprotocol chat.v1"), "{}", r.stderr);
}
