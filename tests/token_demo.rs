//! `wstab token` and the embedded demo, over real sockets and through the built binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wstab_core::webpubsub_token::{ClientClaims, ConnectionString, TokenRequest, client_access};

mod common;
use common::process::output_within;

const WAIT: Duration = Duration::from_secs(10);

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn test_token_verifies_with_aud_exp_roles_and_groups() {
    let cs = ConnectionString::parse("Endpoint=https://contoso.webpubsub.azure.com;AccessKey=ABC123key==;Version=1.0;")
        .unwrap();
    let req = TokenRequest {
        hub: "chat".into(),
        user: Some("alice".into()),
        roles: vec!["webpubsub.joinLeaveGroup".into(), "webpubsub.sendToGroup".into()],
        groups: vec!["lobby".into()],
        ttl: Duration::from_secs(1800),
    };
    let access = client_access(&cs, &req).unwrap();
    assert_eq!(access.url, format!("wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={}", access.token));
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&["https://contoso.webpubsub.azure.com/client/hubs/chat"]);
    let data =
        jsonwebtoken::decode::<ClientClaims>(&access.token, &DecodingKey::from_secret(b"ABC123key=="), &v).unwrap();
    let c = data.claims;
    assert!((c.exp as i64 - (now() + 1800) as i64).abs() <= 2, "exp {}", c.exp);
    assert_eq!(c.sub.as_deref(), Some("alice"));
    assert_eq!(c.role, req.roles);
    assert_eq!(c.groups, vec!["lobby".to_string()]);
    // The raw claim names are the service's.
    let raw =
        jsonwebtoken::decode::<Value>(&access.token, &DecodingKey::from_secret(b"ABC123key=="), &v).unwrap().claims;
    assert_eq!(raw["webpubsub.group"], json!(["lobby"]));
    assert_eq!(raw["role"], json!(["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]));
    assert!(raw["iat"].is_u64());
}

#[test]
fn test_http_endpoint_gives_ws_url_and_port_is_honoured() {
    let cs = ConnectionString::parse("Endpoint=http://localhost;Port=8080;AccessKey=k;Version=1.0;").unwrap();
    let access = client_access(&cs, &TokenRequest::new("hub1")).unwrap();
    assert!(access.url.starts_with("ws://localhost:8080/client/hubs/hub1?access_token="), "{}", access.url);
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&["http://localhost:8080/client/hubs/hub1"]);
    jsonwebtoken::decode::<Value>(&access.token, &DecodingKey::from_secret(b"k"), &v).unwrap();
}

#[test]
fn test_token_command_prints_url_and_exits_2_on_bad_input() {
    let bin = env!("CARGO_BIN_EXE_wstab");
    let out = output_within(
        Command::new(bin)
            .args(["token", "--connection-string", "Endpoint=https://x.webpubsub.azure.com;AccessKey=k;Version=1.0;"])
            .args(["--hub", "chat", "--user", "u1", "--role", "webpubsub.sendToGroup", "--ttl", "30m"])
            .stdin(Stdio::null()),
        WAIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = String::from_utf8(out.stdout).unwrap();
    assert!(url.trim().starts_with("wss://x.webpubsub.azure.com/client/hubs/chat?access_token=ey"), "{url}");
    let bad = output_within(
        Command::new(bin).args(["token", "--connection-string", "AccessKey=k", "--hub", "chat"]).stdin(Stdio::null()),
        WAIT,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Endpoint"));
    let bad_ttl = output_within(
        Command::new(bin)
            .args(["token", "--connection-string", "Endpoint=https://x;AccessKey=k", "--hub", "chat", "--ttl", "1y"])
            .stdin(Stdio::null()),
        WAIT,
    );
    assert_eq!(bad_ttl.status.code(), Some(2));
}

async fn connect(url: &str, key: &str, protocol: Option<&str>) -> Client {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("ocp-apim-subscription-key", key.parse().unwrap());
    if let Some(p) = protocol {
        req.headers_mut().insert("sec-websocket-protocol", p.parse().unwrap());
    }
    tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().unwrap().0
}

async fn recv_text(ws: &mut Client) -> String {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(t) => return t.to_string(),
            _ => continue,
        }
    }
}

#[tokio::test]
async fn test_demo_serves_echo_chat_and_ticker_through_the_gateway() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let api = |name: &str| demo.apis.iter().find(|a| a.name == name).unwrap().clone();
    let mut echo = connect(&api("echo").url, &demo.subscription_key, None).await;
    echo.send(Message::text("hello")).await.unwrap();
    assert_eq!(recv_text(&mut echo).await, "hello");

    let chat = api("chat");
    assert!(chat.url.contains("access_token=") && !chat.url.contains("subscription-key"), "{}", chat.url);
    let mut ws = connect(&chat.url, &demo.subscription_key, Some("json.webpubsub.azure.v1")).await;
    let hello: Value = serde_json::from_str(&recv_text(&mut ws).await).unwrap();
    assert_eq!((hello["event"].as_str(), hello["userId"].as_str()), (Some("connected"), Some("demo-user")));
    ws.send(Message::text(r#"{"type":"joinGroup","group":"lobby","ackId":1}"#)).await.unwrap();
    let ack: Value = serde_json::from_str(&recv_text(&mut ws).await).unwrap();
    assert_eq!(ack["success"], true, "{ack}");

    // The chat needs the key at the gateway AND the token at the hub.
    let no_token = format!("{}/client/hubs/chat", demo.gateway_url);
    let refused =
        tokio_tungstenite::connect_async(format!("{no_token}?subscription-key={}", demo.subscription_key)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status().as_u16(), 401),
        other => panic!("expected 401 from the hub, got {:?}", other.map(|_| ())),
    }

    let mut ticker = connect(&api("ticker").url, &demo.subscription_key, None).await;
    let quote: Value = serde_json::from_str(&recv_text(&mut ticker).await).unwrap();
    assert!(quote["symbol"].is_string(), "{quote}");

    // The workspace is ready for the console: key prefilled, secret and required.
    let ws_chat = demo.workspace.apis.iter().find(|a| a.name == "chat").unwrap();
    assert_eq!(ws_chat.subprotocols, vec!["json.webpubsub.azure.v1".to_string()]);
    let key = ws_chat.query.iter().find(|p| p.name == "subscription-key").unwrap();
    assert!(key.secret && key.required && key.value == demo.subscription_key);
    assert!(ws_chat.query.iter().any(|p| p.name == "access_token" && !p.value.is_empty()));
    let target = demo.workspace.apis[0].target(&demo.workspace.gateway);
    assert_eq!(target.request_url().unwrap().path(), "/echo");
    assert!(demo.metrics.render().contains("wstab_gateway_handshakes_total{api=\"echo\",status=\"101\"} 1"));
    demo.shutdown();
}

#[test]
fn test_demo_serve_prints_one_json_line_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["demo", "--serve", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(WAIT);
    // Killed before waiting, so the wait is bounded: a served demo never exits by itself.
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("no JSON line in time");
    let v: Value = serde_json::from_str(line.trim()).unwrap();
    assert!(v["gateway"].as_str().unwrap().starts_with("ws://127.0.0.1:"), "{v}");
    assert!(v["admin"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{v}");
    let names: Vec<&str> = v["apis"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo", "chat", "ticker"]);
    let chat = &v["apis"][1];
    assert!(chat["access_token"].is_string() && chat["subscription_key"] == v["subscription_key"], "{chat}");
    assert!(v["apis"][0].get("access_token").is_none());
}

#[test]
fn test_demo_without_serve_prints_help() {
    let out = output_within(Command::new(env!("CARGO_BIN_EXE_wstab")).arg("demo").stdin(Stdio::null()), WAIT);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--serve"));
}

/// Like APIM, the gateway passes on a backend's 101 that chose none of the offered subprotocols,
/// and wstab's session reports that no subprotocol was negotiated.
#[tokio::test]
async fn test_subprotocol_the_backend_ignores_is_passed_through_as_none() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let api = demo.workspace.apis.iter().find(|a| a.name == "echo").unwrap();
    let mut target = api.target(&demo.workspace.gateway);
    target.subprotocols = vec!["made.up.v1".into()];
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let _session = wstab_core::connection::spawn(wstab_core::connection::SessionId(1), target, tx);
    let opened = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            for e in rx.recv().await.expect("session ended") {
                match e.kind {
                    wstab_core::connection::EventKind::Opened { subprotocol, .. } => return subprotocol,
                    wstab_core::connection::EventKind::Failed(err) => panic!("{err}"),
                    _ => {}
                }
            }
        }
    })
    .await
    .expect("no open");
    assert_eq!(opened, None);
    demo.shutdown();
}

/// `GET /status` on the admin address gives what the console's gateway view shows when it
/// watches a gateway from outside: numbers per API and the recent records, secrets masked.
#[tokio::test]
async fn test_admin_status_reports_metrics_and_records_without_secrets() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let echo = demo.apis.iter().find(|a| a.name == "echo").unwrap().clone();
    let mut ws = connect(&echo.url, &demo.subscription_key, None).await;
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(recv_text(&mut ws).await, "hello");
    let status = wstab_emulator::gateway::fetch_status(&demo.admin_url).await.unwrap();
    let m = status.metrics.get("echo").expect("echo metrics");
    assert_eq!(m.handshakes.get(&101), Some(&1));
    assert_eq!(m.active, 1);
    assert_eq!(m.messages_from_client, 1);
    let json = serde_json::to_string(&status).unwrap();
    assert!(json.contains("onHandshake"), "{json}");
    assert!(!json.contains(&demo.subscription_key), "{json}");
    // A port held bound but not listening: refused, whatever else runs on this machine.
    let (_held, port) = common::refusing_port();
    let unreachable = format!("http://127.0.0.1:{port}");
    assert!(
        wstab_emulator::gateway::fetch_status(&unreachable).await.unwrap_err().to_string().contains("cannot reach")
    );
    demo.shutdown();
}
