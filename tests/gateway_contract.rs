//! README promises of the gateway emulator that had no test: hop-by-hop headers (and the ones
//! the client's `Connection` header lists) never reach the backend; `rate_limit` counts per
//! subscription and its window renews; `ip_filter` with `action = "allow"` admits only the listed
//! addresses; a 429 carries `Retry-After` all the way to `wstab connect`'s output and exit code;
//! `wstab gateway` logs JSON lines on stdout and exits 2 naming `file:line:col` on a bad config;
//! `--certificate ID=PEMFILE` gives a policy's `certificate-id` its key.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::process::{output_within, output_within_async};
use common::{WAIT, echo_server};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogRecord, LogSink};

const KEY_A: &str = "sub-a-primary-0001";
const KEY_A2: &str = "sub-a-secondary-0002";
const KEY_B: &str = "sub-b-primary-0003";

/// Two subscriptions and one API per promise, all in front of `backend`.
fn config_text(backend: SocketAddr) -> String {
    format!(
        r#"
[[subscriptions]]
name = "a"
primary_key = "{KEY_A}"
secondary_key = "{KEY_A2}"

[[subscriptions]]
name = "b"
primary_key = "{KEY_B}"

[[apis]]
name = "echo"
url_suffix = "echo"
backend = "ws://{backend}/echo"

[[apis]]
name = "per-subscription"
url_suffix = "per-subscription"
backend = "ws://{backend}/per-subscription"
[apis.policies.rate_limit]
calls = 1
renewal_period_secs = 60

[[apis]]
name = "short-window"
url_suffix = "short-window"
backend = "ws://{backend}/short-window"
subscription_required = false
[apis.policies.rate_limit]
calls = 1
renewal_period_secs = 1
counter_key = "ip"

[[apis]]
name = "long-window"
url_suffix = "long-window"
backend = "ws://{backend}/long-window"
subscription_required = false
[apis.policies.rate_limit]
calls = 1
renewal_period_secs = 60
counter_key = "ip"

[[apis]]
name = "allow-list"
url_suffix = "allow-list"
backend = "ws://{backend}/allow-list"
subscription_required = false
[apis.policies.ip_filter]
action = "allow"
addresses = ["10.0.0.0/8", "127.0.0.1"]
"#
    )
}

async fn start_gateway(backend: SocketAddr) -> Gateway {
    let config = GatewayConfig::parse("contract.toml", &config_text(backend), std::path::Path::new(".")).unwrap();
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Gateway::start(config, local, None, LogSink::Memory).await.unwrap()
}

/// The status of a handshake to `path` (101 when accepted) and the refusal's `Retry-After`.
async fn handshake(gateway: &Gateway, path: &str) -> (u16, Option<String>) {
    let req = format!("ws://{}/{path}", gateway.addr).into_client_request().unwrap();
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.expect("handshake timed out") {
        Ok(_) => (101, None),
        Err(WsError::Http(res)) => {
            let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (res.status().as_u16(), retry)
        }
        Err(e) => panic!("{path}: {e}"),
    }
}

#[tokio::test]
async fn test_hop_by_hop_and_connection_listed_headers_do_not_reach_the_backend() {
    let (backend, mut seen) = echo_server().await;
    let gateway = start_gateway(backend).await;
    // Written by hand: a WebSocket client library would not send most of these.
    let client_key = "dGhlIHNhbXBsZSBub25jZQ==";
    let request = format!(
        "GET /echo?subscription-key={KEY_A} HTTP/1.1\r\n\
         Host: {addr}\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade, X-Hop-Custom\r\n\
         Sec-WebSocket-Key: {client_key}\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate\r\n\
         X-Hop-Custom: listed-in-connection\r\n\
         Keep-Alive: timeout=5\r\n\
         Proxy-Authorization: Basic cHJveHk6c2VjcmV0\r\n\
         Proxy-Connection: keep-alive\r\n\
         TE: trailers\r\n\
         Trailer: X-Checksum\r\n\
         X-End-To-End: kept\r\n\r\n",
        addr = gateway.addr
    );
    // Control: sent straight to the backend, every one of them is recorded, so their absence
    // below is the gateway's doing and not the recorder's.
    let direct = upgrade_seen_by_backend(backend, &request, &mut seen).await;
    for hop in ["x-hop-custom", "keep-alive", "proxy-authorization", "te", "sec-websocket-extensions"] {
        assert!(!direct.header(hop).is_empty(), "the backend cannot record {hop}: {:?}", direct.headers);
    }

    let at_backend = upgrade_seen_by_backend(gateway.addr, &request, &mut seen).await;
    for hop in [
        "x-hop-custom",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "sec-websocket-extensions",
    ] {
        assert!(at_backend.header(hop).is_empty(), "{hop} reached the backend: {:?}", at_backend.headers);
    }
    // Connection, Upgrade, Host and the key are the gateway's own handshake with the backend,
    // once each, never the client's values.
    let connection = at_backend.header("connection").join(",").to_ascii_lowercase();
    assert!(!connection.contains("x-hop-custom"), "{connection}");
    assert_eq!(at_backend.header("upgrade").len(), 1, "{:?}", at_backend.headers);
    assert_eq!(at_backend.header("host"), [backend.to_string().as_str()]);
    let key = at_backend.header("sec-websocket-key");
    assert!(key.len() == 1 && key[0] != client_key, "{key:?}");
    // End-to-end headers go through.
    assert_eq!(at_backend.header("x-end-to-end"), ["kept"]);
}

/// Sends the raw upgrade `request` to `addr`, expects a 101 and returns what the backend saw.
async fn upgrade_seen_by_backend(
    addr: SocketAddr,
    request: &str,
    seen: &mut tokio::sync::mpsc::UnboundedReceiver<common::SeenRequest>,
) -> common::SeenRequest {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let head = tokio::time::timeout(WAIT, common::read_head(&mut tcp)).await.expect("no answer to the upgrade");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tokio::time::timeout(WAIT, seen.recv()).await.expect("the backend saw no handshake").unwrap()
}

#[tokio::test]
async fn test_rate_limit_counts_per_subscription_not_per_key_or_client() {
    let (backend, _seen) = echo_server().await;
    let gateway = start_gateway(backend).await;
    let path = |key: &str| format!("per-subscription?subscription-key={key}");
    assert_eq!(handshake(&gateway, &path(KEY_A)).await.0, 101);
    // Subscription a's other key shares its window.
    let (status, retry_after) = handshake(&gateway, &path(KEY_A2)).await;
    assert_eq!(status, 429);
    let secs: u64 = retry_after.expect("a 429 without Retry-After").parse().unwrap();
    assert!((1..=60).contains(&secs), "Retry-After {secs} outside the 60 s window");
    // Subscription b, from the same client address, has a window of its own.
    assert_eq!(handshake(&gateway, &path(KEY_B)).await.0, 101);
    assert_eq!(handshake(&gateway, &path(KEY_B)).await.0, 429);
}

#[tokio::test]
async fn test_rate_limit_window_renews_after_its_period() {
    let (backend, _seen) = echo_server().await;
    let gateway = start_gateway(backend).await;
    let started = Instant::now();
    assert_eq!(handshake(&gateway, "short-window").await.0, 101);
    assert_eq!(handshake(&gateway, "short-window").await, (429, Some("1".into())));
    // Refused attempts do not count, so polling is harmless; the window is 1 s.
    let renewed = tokio::time::timeout(WAIT, async {
        loop {
            if handshake(&gateway, "short-window").await.0 == 101 {
                return Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the window never renewed");
    // The first call was counted after `started`, so a renewal cannot come sooner than 1 s later.
    assert!(renewed - started >= Duration::from_secs(1), "renewed after {:?}", renewed - started);
}

#[tokio::test]
async fn test_ip_filter_allow_admits_listed_addresses_and_refuses_others_with_403() {
    let (backend, _seen) = echo_server().await;
    let gateway = start_gateway(backend).await;
    assert_eq!(handshake(&gateway, "allow-list").await.0, 101, "127.0.0.1 is listed");
    // 127.0.0.2 is loopback too (Linux routes all of 127/8 to lo) but is not on the list.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).expect("bind a client socket to 127.0.0.2");
    let tcp = tokio::time::timeout(WAIT, socket.connect(gateway.addr)).await.unwrap().unwrap();
    let req = format!("ws://{}/allow-list", gateway.addr).into_client_request().unwrap();
    match tokio::time::timeout(WAIT, tokio_tungstenite::client_async(req, tcp)).await.unwrap() {
        Err(WsError::Http(res)) => {
            assert_eq!(res.status().as_u16(), 403);
            let body = String::from_utf8(res.into_body().unwrap_or_default()).unwrap();
            assert!(body.contains("Forbidden"), "{body}");
        }
        other => panic!("127.0.0.2 was not refused: {:?}", other.map(|_| ())),
    }
    let refused = gateway.log.recent().into_iter().find_map(|r| match r {
        LogRecord::Handshake(h) if h.status == 403 => Some(h),
        _ => None,
    });
    assert!(refused.is_some_and(|h| h.client.starts_with("127.0.0.2:")), "{:?}", gateway.log.recent());
}

#[tokio::test]
async fn test_rate_limited_wstab_connect_shows_429_and_retry_after_and_exits_3() {
    let (backend, _seen) = echo_server().await;
    let gateway = start_gateway(backend).await;
    assert_eq!(handshake(&gateway, "long-window").await.0, 101);
    let data = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.args(["connect", &format!("ws://{}/long-window", gateway.addr), "--wait", "1"]);
    cmd.env("WSTAB_DATA_DIR", data.path()).env("WSTAB_CONFIG_DIR", data.path());
    let out = output_within_async(&mut cmd, WAIT).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("< HTTP/1.1 429"), "{stderr}");
    let secs: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("< Retry-After: "))
        .unwrap_or_else(|| panic!("no Retry-After in the trace:\n{stderr}"))
        .trim()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs), "{stderr}");
    assert!(stderr.contains("Rate limit is exceeded. Try again in"), "{stderr}");
    assert!(stderr.contains("hint: rate limited"), "{stderr}");
}

#[tokio::test]
async fn test_gateway_binary_logs_json_lines_on_stdout() {
    let (backend, _seen) = echo_server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, config_text(backend)).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["gateway", "--config"])
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .env("WSTAB_DATA_DIR", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    // The gateway binds the port itself and says which it got.
    let addr = listening_addr(&mut stderr).await;

    let url = format!("ws://{addr}/echo?subscription-key={KEY_A}");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.unwrap().unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echoed, Message::text("hello"));
    ws.close(None).await.unwrap();
    let refused = format!("ws://{addr}/echo?subscription-key=not-a-key");
    assert!(tokio_tungstenite::connect_async(refused).await.is_err());

    // Every stdout line is one JSON record; wait for the three this session makes.
    let mut records: Vec<serde_json::Value> = Vec::new();
    let has = |records: &[serde_json::Value], op: &str, status: Option<u64>| {
        records.iter().any(|r| r["operation"] == op && status.is_none_or(|s| r["status"] == s))
    };
    tokio::time::timeout(WAIT, async {
        while !(has(&records, "onHandshake", Some(101))
            && has(&records, "onHandshake", Some(401))
            && has(&records, "onClose", None))
        {
            let line = stdout.next_line().await.unwrap().expect("stdout ended");
            assert!(!line.contains(KEY_A) && !line.contains("not-a-key"), "a key in the log: {line}");
            records.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the log records did not all come; got {records:#?}"));
    let accepted = records.iter().find(|r| r["operation"] == "onHandshake" && r["status"] == 101).unwrap();
    assert_eq!(accepted["api"], "echo");
    assert_eq!(accepted["url"], "/echo?subscription-key=••••••");
    assert!(accepted["client"].as_str().is_some_and(|c| c.starts_with("127.0.0.1:")), "{accepted}");
    assert!(accepted["duration_ms"].is_u64() && accepted["time"].is_string(), "{accepted}");
    let closed = records.iter().find(|r| r["operation"] == "onClose").unwrap();
    assert_eq!(
        (&closed["messages_from_client"], &closed["bytes_from_client"], &closed["closed_by"]),
        (&serde_json::json!(1), &serde_json::json!(5), &serde_json::json!("client")),
        "{closed}"
    );
    child.start_kill().unwrap();
    tokio::time::timeout(WAIT, child.wait()).await.expect("wstab gateway did not stop").unwrap();
}

#[test]
fn test_gateway_binary_exits_2_on_a_bad_config_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("unknown-key.toml", "[[apis]]\nname = \"a\"\nbogus = 1\n", ":3:1", "bogus"),
        ("bad-value.toml", "[[apis]]\nname = \"a\"\nurl_suffix = \"a\"\nbackend = \"http://x\"\n", ":4:", "ws://"),
    ];
    for (name, text, position, words) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        // A config that loaded would serve until killed: the deadline turns that into a failure.
        let out = output_within(
            std::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
                .args(["gateway", "--config"])
                .arg(&path)
                .args(["--listen", "127.0.0.1:0"])
                .env("WSTAB_DATA_DIR", dir.path())
                .stdin(Stdio::null()),
            WAIT,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        let located = format!("{}{position}", path.display());
        assert!(
            stderr.contains(&located) && stderr.contains(words),
            "{name}: expected {located} and {words}: {stderr}"
        );
    }
}

/// `--certificate ID=PEMFILE` (a path relative to where the command runs) gives the policy's
/// `<key certificate-id="ID" />` its key: an RS256 token signed by the certificate's key gets
/// through `wstab gateway`; without the flag the gateway exits 2 naming `file:line:col` and it.
#[tokio::test]
async fn test_gateway_certificate_flag_gives_validate_jwt_its_key_and_without_it_exits_2() {
    let (backend, _seen) = echo_server().await;
    let dir = tempfile::tempdir().unwrap();
    let key_pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/wstab-emulator/tests/fixtures/rsa_private.pem"
    ))
    .unwrap();
    let key = rcgen::KeyPair::from_pem(&key_pem).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["idp".into()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.path().join("idp.pem"), cert.pem()).unwrap();
    std::fs::write(
        dir.path().join("policy.xml"),
        "<policies>\n  <inbound>\n    <validate-jwt query-parameter-name=\"t\">\n      <issuer-signing-keys>\n        <key certificate-id=\"idp\" />\n      </issuer-signing-keys>\n    </validate-jwt>\n  </inbound>\n</policies>\n",
    )
    .unwrap();
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[[apis]]\nname = \"jwt\"\nurl_suffix = \"jwt\"\nbackend = \"ws://{backend}/\"\nsubscription_required = false\n[apis.policies]\non_handshake_xml = \"policy.xml\"\n"
        ),
    )
    .unwrap();
    let gateway = |certificate: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
        cmd.args(["gateway", "--config"]).arg(&config).args(["--listen", "127.0.0.1:0"]);
        cmd.args(certificate.map(|c| vec!["--certificate", c]).unwrap_or_default());
        cmd.current_dir(dir.path()).env("WSTAB_DATA_DIR", dir.path()).stdin(Stdio::null());
        cmd
    };

    let out = output_within(&mut gateway(None), WAIT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("policy.xml:5:9") && stderr.contains("--certificate idp=PEMFILE"), "{stderr}");

    let mut child = tokio::process::Command::from(gateway(Some("idp=idp.pem")));
    let mut child = child.stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = listening_addr(&mut stderr).await;
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 600;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &serde_json::json!({"sub": "ada", "exp": exp}), &signing).unwrap();
    let url = format!("ws://{addr}/jwt?t={token}");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.unwrap().unwrap();
    ws.send(Message::text("signed")).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echoed, Message::text("signed"));
    child.start_kill().unwrap();
    tokio::time::timeout(WAIT, child.wait()).await.expect("wstab gateway did not stop").unwrap();
}

/// Where a `wstab gateway` child listens: it binds the port itself and says which on stderr.
async fn listening_addr(stderr: &mut tokio::io::Lines<BufReader<tokio::process::ChildStderr>>) -> SocketAddr {
    tokio::time::timeout(WAIT, async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("wstab gateway: listening on ws://") {
                return rest.split_whitespace().next().unwrap().parse().unwrap();
            }
        }
        panic!("wstab gateway exited before listening");
    })
    .await
    .expect("wstab gateway did not start listening")
}
