//! Request/reply pairing on the demo hub's acks and on ping/pong, auto-reconnect against servers
//! that drop or refuse, and the HAR and k6 exports — over real sockets.

mod common;

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wstab::cli::exit::Exit;
use wstab_core::connection::{
    Command, Event, EventBatch, EventKind, Frame, Param, ReconnectPolicy, SessionId, Supervision, Target,
    spawn_supervised,
};
use wstab_core::pairing::Pairing;

use common::process::output_within;
use common::{WAIT, tools};

/// The wstab binary with its config and data in `dir` and stdin closed (`connect` would send
/// what it reads), for [`output_within`].
fn wstab(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.env("WSTAB_CONFIG_DIR", dir).env("WSTAB_DATA_DIR", dir).stdin(Stdio::null());
    cmd
}

/// Next event from a batch stream, failing the test after [`WAIT`].
async fn next(rx: &mut mpsc::Receiver<EventBatch>, queue: &mut std::collections::VecDeque<Event>) -> Option<Event> {
    loop {
        if let Some(e) = queue.pop_front() {
            return Some(e);
        }
        match tokio::time::timeout(WAIT, rx.recv()).await {
            Ok(Some(b)) => queue.extend(b),
            Ok(None) => return None,
            Err(_) => panic!("timed out waiting for an event"),
        }
    }
}

fn chat_target(demo: &wstab_emulator::demo::Demo) -> Target {
    let api = demo.workspace.apis.iter().find(|a| a.name == "chat").unwrap();
    api.target(&demo.workspace.gateway)
}

#[tokio::test]
async fn test_hub_acks_pair_by_ack_id_with_latency_stats_and_pings_pair_with_pongs() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let handle = wstab_core::connection::spawn(SessionId(1), chat_target(&demo), tx);
    let mut q = Default::default();
    let mut pairing = Pairing::new(Some("/ackId".into()));
    let mut paired = Vec::new();
    let mut pongs = 0;
    while paired.len() < 5 || pongs < 1 {
        let e = next(&mut rx, &mut q).await.expect("session ended");
        if let EventKind::Opened { .. } = e.kind {
            for id in 1..=5 {
                handle.send(Command::Text(format!(r#"{{"type":"joinGroup","group":"g{id}","ackId":{id}}}"#)));
            }
            handle.send(Command::Ping(b"rtt-1".to_vec()));
        }
        if let EventKind::Failed(err) = &e.kind {
            panic!("{err}");
        }
        if let Some(p) = pairing.observe(&e) {
            if p.pong {
                pongs += 1;
                assert_eq!(p.key, "rtt-1");
            } else {
                paired.push(p);
            }
        }
    }
    let keys: Vec<&str> = paired.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["1", "2", "3", "4", "5"]);
    let s = pairing.replies().stats();
    assert_eq!(s.count, 5);
    assert!(s.p50 <= s.p95 && s.p95 <= s.max && s.max < WAIT, "{s:?}");
    assert_eq!(pairing.replies().unanswered(), 0);
    assert_eq!(pairing.replies().sparkline_ms().len(), 5);
    assert_eq!(pairing.pings().stats().count, 1);
    assert!(pairing.summary().starts_with("replies (/ackId): count 5, p50 "), "{}", pairing.summary());
    handle.cancel();
}

/// A server that drops the first connection (no close frame) after its first message and echoes
/// on the later ones; reports (connection index, text) for every message received.
async fn dropping_server() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<(usize, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0..10usize {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                while let Ok(Some(Ok(msg))) = tokio::time::timeout(WAIT, ws.next()).await {
                    if let tokio_tungstenite::tungstenite::Message::Text(t) = &msg {
                        let _ = tx.send((n, t.to_string()));
                    }
                    if n == 0 {
                        return; // dropping the stream: a 1006 for the client
                    }
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

fn fast() -> ReconnectPolicy {
    ReconnectPolicy {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        ..ReconnectPolicy::default()
    }
}

#[tokio::test]
async fn test_dropped_connection_reconnects_resends_on_connect_and_cancel_stops_it() {
    let (addr, mut seen) = dropping_server().await;
    let supervision =
        Supervision { reconnect: Some(fast()), on_connect: vec![Command::Text("join".into())], prepare: None };
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn_supervised(SessionId(2), Target::new(format!("ws://{addr}/")), supervision, tx);
    let mut q = Default::default();
    let mut reconnecting = Vec::new();
    let mut opened = 0;
    while opened < 2 {
        let e = next(&mut rx, &mut q).await.expect("session ended");
        match e.kind {
            EventKind::Opened { .. } => opened += 1,
            EventKind::Reconnecting { attempt, delay, after } => {
                assert!(delay <= Duration::from_millis(200), "{delay:?}");
                reconnecting.push((attempt, after));
            }
            _ => {}
        }
    }
    assert_eq!(reconnecting.len(), 1, "{reconnecting:?}");
    assert_eq!(reconnecting[0].0, 1);
    assert!(reconnecting[0].1.contains("1006"), "{:?}", reconnecting[0]);
    let got: Vec<(usize, String)> = vec![
        tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap(),
        tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap(),
    ];
    assert_eq!(got, [(0, "join".to_string()), (1, "join".to_string())]);
    // The echo of the re-sent join comes back on the new connection.
    loop {
        let e = next(&mut rx, &mut q).await.expect("session ended");
        if matches!(&e.kind, EventKind::Frame { frame: Frame::Text(t), dir: wstab_core::connection::Direction::In } if t.as_str() == "join")
        {
            break;
        }
    }
    handle.cancel();
    loop {
        match next(&mut rx, &mut q).await {
            Some(Event { kind: EventKind::Reconnecting { .. }, .. }) => panic!("reconnected after cancel"),
            Some(Event { kind: EventKind::Closed { .. }, .. }) | None => break,
            Some(_) => {}
        }
    }
    tokio::time::timeout(WAIT, async {
        while !handle.is_finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn test_401_refusal_is_not_retried_and_prepare_runs_once() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    // No subscription key: the gateway answers 401, which no retry can fix.
    let target = Target::new(format!("{}/echo", demo.gateway_url));
    let (tx, mut rx) = mpsc::channel(64);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let supervision = Supervision {
        reconnect: Some(fast()),
        on_connect: Vec::new(),
        prepare: Some(std::sync::Arc::new(move |t: &mut Target| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            t.query.push(Param::new("attempt", n.to_string()));
            Ok(())
        })),
    };
    let _handle = spawn_supervised(SessionId(3), target, supervision, tx);
    let mut q = Default::default();
    let mut failed = None;
    while let Some(e) = next(&mut rx, &mut q).await {
        match e.kind {
            EventKind::Reconnecting { .. } => panic!("a 401 was retried"),
            EventKind::Failed(err) => failed = Some(err),
            _ => {}
        }
    }
    let err = failed.expect("no failure reported");
    assert_eq!(Exit::of_error(&err).code(), 3, "{err}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn test_connect_correlate_prints_latency_and_har_holds_handshake_and_messages_without_secret() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let demo = rt.block_on(wstab_emulator::demo::start(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let har_path = dir.path().join("session.har");
    let out = output_within(
        wstab(dir.path())
            .args(["connect", &format!("{}/echo", demo.gateway_url), "-q"])
            .arg(format!("subscription-key={}", demo.subscription_key))
            .args(["-x", r#"{"id":7,"q":"hi"}"#, "-x", "bin?", "--count", "2", "--json", "--correlate", "/id", "--har"])
            .arg(&har_path),
        WAIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let reply = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["dir"] == "in" && v["data"] == r#"{"id":7,"q":"hi"}"#)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(reply["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{reply}");
    assert!(stderr.contains("latency: replies (/id): count 1, p50 "), "{stderr}");
    assert!(stderr.contains("unanswered 0"), "{stderr}");

    let text = std::fs::read_to_string(&har_path).unwrap();
    assert!(!text.contains(&demo.subscription_key), "the key leaked into the HAR");
    let har: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entry = &har["log"]["entries"][0];
    assert_eq!(entry["request"]["method"], "GET");
    assert!(
        entry["request"]["url"].as_str().unwrap().starts_with(&format!("{}/echo?subscription-key=", demo.gateway_url))
    );
    assert_eq!(entry["response"]["status"], 101);
    assert!(entry["request"]["headers"].as_array().unwrap().iter().any(|h| h["name"] == "Sec-WebSocket-Key"));
    let messages = entry["_webSocketMessages"].as_array().unwrap();
    let kinds: Vec<(&str, u64, &str)> = messages
        .iter()
        .map(|m| (m["type"].as_str().unwrap(), m["opcode"].as_u64().unwrap(), m["data"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds[0], ("send", 1, r#"{"id":7,"q":"hi"}"#));
    assert!(kinds.contains(&("receive", 1, "bin?")), "{kinds:?}");
    assert!(messages.iter().all(|m| m["time"].as_f64().unwrap() > 1.6e9));
}

/// `wstab export k6` of a chat profile with a secret query key, an `${env:…}` header, on-connect
/// and saved messages; returns the temp dir (kept alive) and the script.
fn k6_export_of_a_chat_profile() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = wstab_core::profile::ProfileStore::new(dir.path().join("profiles"));
    let profile = wstab_core::profile::Profile {
        gateway: "wss://contoso.azure-api.net".into(),
        url_suffix: "client/hubs/chat".into(),
        query: vec![Param::new("subscription-key", "k-SECRET-123").secret(), Param::new("mode", "a b")],
        headers: vec![Param::new("Authorization", "${env:CHAT_JWT}"), Param::new("X-Client", "wstab")],
        subprotocols: vec!["json.webpubsub.azure.v1".into()],
        on_connect: vec![r#"{"type":"joinGroup","group":"lobby"}"#.into()],
        messages: vec![
            wstab_core::profile::SavedMessage {
                name: "hello".into(),
                body: r#"{"type":"sendToGroup","group":"lobby","data":"hi"}"#.into(),
                format: wstab_core::profile::MessageFormat::Text,
            },
            wstab_core::profile::SavedMessage {
                name: "raw".into(),
                body: "de ad".into(),
                format: wstab_core::profile::MessageFormat::Hex,
            },
        ],
        ..Default::default()
    };
    store.save("chat", &profile, false).unwrap();
    let out_path = dir.path().join("chat.k6.js");
    let out = output_within(wstab(dir.path()).args(["export", "k6", "--profile", "chat", "-o"]).arg(&out_path), WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let js = std::fs::read_to_string(&out_path).unwrap();
    (dir, js)
}

#[test]
fn test_k6_export_has_url_headers_messages_and_no_inlined_secret() {
    let (_dir, js) = k6_export_of_a_chat_profile();
    assert!(!js.contains("k-SECRET-123"), "{js}");
    assert!(js.contains("import ws from 'k6/ws';"), "{js}");
    assert!(js.contains(r#"const BASE_URL = "wss://contoso.azure-api.net/client/hubs/chat";"#), "{js}");
    assert!(js.contains(r#"["subscription-key", __ENV.SUBSCRIPTION_KEY]"#), "{js}");
    assert!(js.contains(r#"["mode", "a b"]"#), "{js}");
    assert!(js.contains(r#""Authorization": __ENV.CHAT_JWT"#) && js.contains(r#""X-Client": "wstab""#), "{js}");
    assert!(js.contains(r#"'Sec-WebSocket-Protocol': "json.webpubsub.azure.v1""#), "{js}");
    assert!(js.contains(r#"{ text: "{\"type\":\"joinGroup\",\"group\":\"lobby\"}" }"#), "{js}");
    assert!(js.contains(r#"{ name: "raw", hex: "dead" }"#), "{js}");
    assert!(js.contains("r.status === 101"), "{js}");
    assert!(js.contains("-e SUBSCRIPTION_KEY=… -e CHAT_JWT=…"), "{js}");
}

/// k6 itself is not installable from the registries this project uses, so `k6 inspect` is not
/// run; node checks the script parses as an ES module, which is what k6 loads.
#[test]
#[cfg_attr(missing_node, ignore = "needs node: apt-get install nodejs")]
fn test_k6_export_parses_as_a_javascript_module() {
    tools::require(tools::NODE);
    let (dir, js) = k6_export_of_a_chat_profile();
    let mjs = dir.path().join("check.mjs");
    std::fs::write(&mjs, &js).unwrap();
    let check = output_within(std::process::Command::new("node").arg("--check").arg(&mjs).stdin(Stdio::null()), WAIT);
    assert!(check.status.success(), "node --check: {}\n{js}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn test_webpubsub_profile_generates_a_token_and_sends_on_connect_messages() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (hub_addr, cs_text) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let text = format!("Endpoint=http://{addr};AccessKey=test-key-SECRET;Version=1.0;");
        let cs = wstab_core::webpubsub_token::ConnectionString::parse(&text).unwrap();
        wstab_emulator::hub::serve_on(listener, cs, shutdown.clone()).unwrap();
        (addr, text)
    });
    let dir = tempfile::tempdir().unwrap();
    let profile = format!(
        r#"version = 1
url = "ws://{hub_addr}/client/hubs/chat"
subprotocols = ["json.webpubsub.azure.v1"]
correlation = "/ackId"
on_connect = ['{{"type":"joinGroup","group":"lobby","ackId":9}}']

[webpubsub]
connection_string = "${{env:WPS_CS}}"
hub = "chat"
user = "alice"
roles = ["webpubsub.joinLeaveGroup"]
"#
    );
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    std::fs::write(dir.path().join("profiles/wps.toml"), profile).unwrap();
    let out = output_within(
        wstab(dir.path()).args(["connect", "--profile", "wps", "--count", "2", "--json"]).env("WPS_CS", &cs_text),
        WAIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let received: Vec<serde_json::Value> = lines
        .iter()
        .filter(|v| v["dir"] == "in")
        .map(|v| serde_json::from_str(v["data"].as_str().unwrap()).unwrap())
        .collect();
    // The token the profile generated was accepted: the hub welcomed alice, and acked the join.
    assert_eq!(received[0]["userId"], "alice", "{stdout}");
    assert_eq!((received[1]["type"].as_str(), received[1]["ackId"].as_u64()), (Some("ack"), Some(9)), "{stdout}");
    assert!(lines.iter().any(|v| v["dir"] == "in" && v["latency_ms"].is_number()), "{stdout}");
    assert!(stderr.contains("latency: replies (/ackId): count 1"), "{stderr}");
    assert!(!stderr.contains("test-key-SECRET") && !stdout.contains("test-key-SECRET"));
    shutdown.cancel();
}

#[test]
fn test_connect_reconnect_flag_survives_a_drop_and_resends_x_messages() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (addr, mut seen) = rt.block_on(dropping_server());
    let dir = tempfile::tempdir().unwrap();
    let out = output_within(
        wstab(dir.path()).args(["connect", &format!("ws://{addr}/"), "--reconnect", "-x", "hi", "--count", "1"]),
        WAIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "hi");
    assert!(
        stderr.contains("reconnecting in") && stderr.contains("(attempt 1, after connection lost (1006))"),
        "{stderr}"
    );
    let got: Vec<(usize, String)> = std::iter::from_fn(|| seen.try_recv().ok()).collect();
    assert_eq!(got, [(0, "hi".to_string()), (1, "hi".to_string())]);
}
