//! The hub's client protocol step by step over loopback sockets: subprotocol negotiation, ping,
//! the reliable protocol's sequence ids, acks and recovery, invoke, and the close handshake;
//! recovery also through the gateway of the embedded demo.

mod json_client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt, StreamExt};
use json_client::{Client, WAIT, recv_json, send_json};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;
use wstab_core::webpubsub_token::{ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest, client_access};
use wstab_emulator::hub::invoke::{InvokeError, InvokeHandler, InvokeReply, InvokeRequest};
use wstab_emulator::hub::{HubOptions, serve_on_with};

const JSON: &str = "json.webpubsub.azure.v1";
const RELIABLE: &str = "json.reliable.webpubsub.azure.v1";
const ALL: &[&str] = &[ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP];

struct Hub {
    addr: SocketAddr,
    cs: ConnectionString,
    stop: CancellationToken,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start_hub(options: HubOptions) -> Hub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cs = ConnectionString::parse(&format!("Endpoint=http://{addr};AccessKey=reliable-key;Version=1.0;")).unwrap();
    let stop = CancellationToken::new();
    serve_on_with(listener, cs.clone(), options, stop.clone()).unwrap();
    Hub { addr, cs, stop }
}

impl Hub {
    fn token(&self, user: &str) -> String {
        let req = TokenRequest {
            hub: "chat".into(),
            user: Some(user.into()),
            roles: ALL.iter().map(|r| r.to_string()).collect(),
            groups: Vec::new(),
            ttl: Duration::from_secs(600),
        };
        client_access(&self.cs, &req).unwrap().token
    }

    /// Opens `query` on the chat hub offering `protocols`; returns the socket and the chosen one.
    async fn open(&self, query: &str, protocols: &[&str]) -> (Client, Option<String>) {
        open(&format!("ws://{}/client/hubs/chat?{query}", self.addr), protocols).await
    }

    /// A client on `protocol`, past its `connected` message (returned).
    async fn client(&self, user: &str, protocol: &str) -> (Client, Value) {
        let (mut ws, chosen) = self.open(&format!("access_token={}", self.token(user)), &[protocol]).await;
        assert_eq!(chosen.as_deref(), Some(protocol));
        let hello = recv_json(&mut ws).await;
        (ws, hello)
    }
}

async fn open(url: &str, protocols: &[&str]) -> (Client, Option<String>) {
    let mut req = url.into_client_request().unwrap();
    if !protocols.is_empty() {
        req.headers_mut().insert("sec-websocket-protocol", protocols.join(", ").parse().unwrap());
    }
    let (ws, res) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().unwrap();
    let chosen = res.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap().to_string());
    (ws, chosen)
}

/// The close frame the peer sends, after any other messages (returned too).
async fn recv_close(ws: &mut Client) -> (Vec<Value>, Option<CloseFrame>) {
    let mut before = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("no close in time") {
            Some(Ok(Message::Close(frame))) => return (before, frame),
            Some(Ok(Message::Text(t))) => before.push(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Joins `group` and waits for the ack.
async fn join(ws: &mut Client, group: &str, ack_id: u64) {
    send_json(ws, json!({"type": "joinGroup", "group": group, "ackId": ack_id})).await;
    assert_eq!(recv_json(ws).await, json!({"type": "ack", "ackId": ack_id, "success": true}));
}

async fn say(ws: &mut Client, group: &str, n: u64) {
    send_json(ws, json!({"type": "sendToGroup", "group": group, "noEcho": true, "dataType": "json", "data": n})).await;
}

#[tokio::test]
async fn test_101_names_the_chosen_subprotocol_and_plain_clients_get_none() {
    let hub = start_hub(HubOptions::default()).await;
    let query = format!("access_token={}", hub.token("u"));
    assert_eq!(hub.open(&query, &[RELIABLE, JSON]).await.1.as_deref(), Some(RELIABLE));
    assert_eq!(hub.open(&query, &["mqtt", JSON]).await.1.as_deref(), Some(JSON));
    assert_eq!(hub.open(&query, &[]).await.1, None);
}

#[tokio::test]
async fn test_reliable_connected_carries_a_reconnection_token_and_plain_json_does_not() {
    let hub = start_hub(HubOptions::default()).await;
    let (_r, hello) = hub.client("alice", RELIABLE).await;
    assert_eq!((hello["event"].as_str(), hello["userId"].as_str()), (Some("connected"), Some("alice")));
    assert!(hello["reconnectionToken"].as_str().is_some_and(|t| t.len() >= 32), "{hello}");
    let (_j, hello) = hub.client("bob", JSON).await;
    assert!(hello.get("reconnectionToken").is_none(), "{hello}");
}

#[tokio::test]
async fn test_ping_gets_pong_on_both_protocols() {
    let hub = start_hub(HubOptions::default()).await;
    for protocol in [JSON, RELIABLE] {
        let (mut ws, _) = hub.client("u", protocol).await;
        send_json(&mut ws, json!({"type": "ping"})).await;
        assert_eq!(recv_json(&mut ws).await, json!({"type": "pong"}), "{protocol}");
    }
}

#[tokio::test]
async fn test_reliable_data_messages_are_numbered_and_acks_are_not() {
    let hub = start_hub(HubOptions::default()).await;
    let (mut r, _) = hub.client("r", RELIABLE).await;
    let (mut j, _) = hub.client("j", JSON).await;
    join(&mut r, "lobby", 1).await;
    join(&mut j, "lobby", 1).await;
    for n in 1..=3 {
        say(&mut j, "lobby", n).await;
    }
    for n in 1..=3u64 {
        let got = recv_json(&mut r).await;
        assert_eq!((got["data"].as_u64(), got["sequenceId"].as_u64()), (Some(n), Some(n)), "{got}");
    }
    // The plain JSON client's messages carry no sequence id.
    say(&mut r, "lobby", 9).await;
    assert!(recv_json(&mut j).await.get("sequenceId").is_none());
}

/// Sends `n` group messages from `from` and returns the sequence ids `to` receives.
async fn exchange(from: &mut Client, to: &mut Client, numbers: std::ops::RangeInclusive<u64>) -> Vec<(u64, u64)> {
    let mut got = Vec::new();
    for n in numbers.clone() {
        say(from, "lobby", n).await;
    }
    for _ in numbers {
        let m = recv_json(to).await;
        got.push((m["data"].as_u64().unwrap(), m["sequenceId"].as_u64().unwrap()));
    }
    got
}

#[tokio::test]
async fn test_recovery_keeps_id_and_groups_and_resends_unacked_in_order() {
    let hub = start_hub(HubOptions::default()).await;
    let (mut r, hello) = hub.client("r", RELIABLE).await;
    let (id, token) = (hello["connectionId"].as_str().unwrap(), hello["reconnectionToken"].as_str().unwrap());
    let (mut j, _) = hub.client("j", JSON).await;
    join(&mut r, "lobby", 1).await;
    join(&mut j, "lobby", 1).await;
    assert_eq!(exchange(&mut j, &mut r, 1..=3).await, vec![(1, 1), (2, 2), (3, 3)]);
    send_json(&mut r, json!({"type": "sequenceAck", "sequenceId": 1})).await;
    // A ping round trip orders the ack before the drop.
    send_json(&mut r, json!({"type": "ping"})).await;
    assert_eq!(recv_json(&mut r).await["type"], "pong");
    // The TCP connection drops without a close handshake; messages keep coming meanwhile.
    drop(r);
    for n in 4..=5 {
        say(&mut j, "lobby", n).await;
    }
    let query = format!("awps_connection_id={id}&awps_reconnection_token={token}");
    let (mut r, chosen) = hub.open(&query, &[RELIABLE]).await;
    assert_eq!(chosen.as_deref(), Some(RELIABLE));
    let hello = recv_json(&mut r).await;
    assert_eq!((hello["event"].as_str(), hello["connectionId"].as_str()), (Some("connected"), Some(id)), "{hello}");
    let mut got = Vec::new();
    for _ in 0..4 {
        let m = recv_json(&mut r).await;
        got.push((m["data"].as_u64().unwrap(), m["sequenceId"].as_u64().unwrap()));
    }
    assert_eq!(got, vec![(2, 2), (3, 3), (4, 4), (5, 5)], "unacked messages again, in order, then the new ones");
    // Still in the group, numbering goes on; an ackId used before the drop is a duplicate.
    assert_eq!(exchange(&mut j, &mut r, 6..=6).await, vec![(6, 6)]);
    send_json(&mut r, json!({"type": "joinGroup", "group": "lobby", "ackId": 1})).await;
    assert_eq!(recv_json(&mut r).await["error"]["name"], "Duplicate");
}

#[tokio::test]
async fn test_recovery_with_a_wrong_token_is_closed_with_1008_after_disconnected() {
    let hub = start_hub(HubOptions::default()).await;
    let (_r, hello) = hub.client("r", RELIABLE).await;
    let id = hello["connectionId"].as_str().unwrap();
    for query in [
        format!("awps_connection_id={id}&awps_reconnection_token=wrong"),
        format!("awps_connection_id={id}"),
        "awps_connection_id=nosuchconnection&awps_reconnection_token=x".to_string(),
    ] {
        let (mut ws, _) = hub.open(&query, &[RELIABLE]).await;
        let (before, frame) = recv_close(&mut ws).await;
        assert_eq!(frame.as_ref().map(|f| f.code), Some(CloseCode::Policy), "{query}");
        assert_eq!(before.len(), 1, "{before:?}");
        assert_eq!(before[0]["event"], "disconnected");
        assert!(before[0]["message"].as_str().is_some_and(|m| m.contains("cannot be recovered")), "{before:?}");
    }
}

#[tokio::test]
async fn test_recovery_after_the_window_is_refused() {
    let window = Duration::from_millis(200);
    let hub = start_hub(HubOptions { recovery_window: window, ..HubOptions::default() }).await;
    let (r, hello) = hub.client("r", RELIABLE).await;
    let (id, token) = (hello["connectionId"].as_str().unwrap(), hello["reconnectionToken"].as_str().unwrap());
    drop(r);
    // The window is a duration: nothing observable changes before it passes.
    tokio::time::sleep(window * 4).await;
    let (mut ws, _) = hub.open(&format!("awps_connection_id={id}&awps_reconnection_token={token}"), &[RELIABLE]).await;
    assert_eq!(recv_close(&mut ws).await.1.map(|f| f.code), Some(CloseCode::Policy));
}

#[tokio::test]
async fn test_reconnect_while_the_old_socket_is_open_takes_the_connection_over() {
    let hub = start_hub(HubOptions::default()).await;
    let (mut old, hello) = hub.client("r", RELIABLE).await;
    let (id, token) = (hello["connectionId"].as_str().unwrap(), hello["reconnectionToken"].as_str().unwrap());
    join(&mut old, "lobby", 1).await;
    let (mut new, _) = hub.open(&format!("awps_connection_id={id}&awps_reconnection_token={token}"), &[RELIABLE]).await;
    assert_eq!(recv_json(&mut new).await["connectionId"], id);
    // The stale socket is closed by the hub.
    let _ = recv_close(&mut old).await;
    let (mut j, _) = hub.client("j", JSON).await;
    assert_eq!(exchange(&mut j, &mut new, 1..=1).await, vec![(1, 1)]);
}

#[tokio::test]
async fn test_invoke_without_upstream_gets_an_error_response() {
    let hub = start_hub(HubOptions::default()).await;
    let (mut ws, _) = hub.client("u", RELIABLE).await;
    send_json(
        &mut ws,
        json!({"type": "invoke", "invocationId": "7", "event": "echo", "dataType": "text", "data": "hi"}),
    )
    .await;
    let got = recv_json(&mut ws).await;
    assert_eq!((got["type"].as_str(), got["invocationId"].as_str()), (Some("invokeResponse"), Some("7")), "{got}");
    assert_eq!(got["success"], false);
    assert_eq!(got["error"]["name"], "InternalServerError");
}

/// Answers `echo` with its payload; never answers `hang`.
struct EchoUpstream;

impl InvokeHandler for EchoUpstream {
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'static, Result<InvokeReply, InvokeError>> {
        async move {
            match request.event.as_str() {
                "echo" => Ok(InvokeReply { data_type: request.data_type, data: Some(request.data) }),
                "hang" => std::future::pending().await,
                other => Err(InvokeError { name: "BadRequest".into(), message: format!("unknown event {other}") }),
            }
        }
        .boxed()
    }
}

#[tokio::test]
async fn test_invoke_returns_the_upstream_answer_and_cancel_sends_nothing() {
    let hub = start_hub(HubOptions { invoke: Some(Arc::new(EchoUpstream)), ..HubOptions::default() }).await;
    let (mut ws, _) = hub.client("u", JSON).await;
    send_json(&mut ws, json!({"type": "invoke", "invocationId": "1", "event": "hang"})).await;
    send_json(&mut ws, json!({"type": "cancelInvocation", "invocationId": "1"})).await;
    send_json(
        &mut ws,
        json!({"type": "invoke", "invocationId": "2", "event": "echo", "dataType": "json", "data": {"a": 1}}),
    )
    .await;
    let got = recv_json(&mut ws).await;
    assert_eq!(
        got,
        json!({"type": "invokeResponse", "invocationId": "2", "success": true, "dataType": "json", "data": {"a": 1}})
    );
    send_json(&mut ws, json!({"type": "invoke", "invocationId": "3", "event": "nope"})).await;
    let got = recv_json(&mut ws).await;
    assert_eq!((got["invocationId"].as_str(), got["error"]["name"].as_str()), (Some("3"), Some("BadRequest")), "{got}");
}

#[tokio::test]
async fn test_client_close_is_answered_and_the_handshake_completes() {
    let hub = start_hub(HubOptions::default()).await;
    for protocol in [JSON, RELIABLE] {
        let (mut ws, _) = hub.client("u", protocol).await;
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "bye".into() }))).await.unwrap();
        let (before, frame) = recv_close(&mut ws).await;
        assert!(before.is_empty(), "{before:?}");
        assert_eq!(frame.map(|f| f.code), Some(CloseCode::Normal), "{protocol}");
        // Then the TCP connection ends cleanly.
        assert!(tokio::time::timeout(WAIT, ws.next()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn test_hub_shutdown_sends_disconnected_then_closes() {
    let hub = start_hub(HubOptions::default()).await;
    let (mut ws, _) = hub.client("u", RELIABLE).await;
    hub.stop.cancel();
    let (before, frame) = recv_close(&mut ws).await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!((before[0]["type"].as_str(), before[0]["event"].as_str()), (Some("system"), Some("disconnected")));
    assert!(before[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(frame.map(|f| f.code), Some(CloseCode::Away));
}

#[tokio::test]
async fn test_recovery_through_the_gateway_carries_the_subscription_key() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let chat = demo.apis.iter().find(|a| a.name == "chat").unwrap();
    let url = format!("{}&subscription-key={}", chat.url, chat.subscription_key);
    let (mut ws, chosen) = open(&url, &[RELIABLE]).await;
    assert_eq!(chosen.as_deref(), Some(RELIABLE));
    let hello = recv_json(&mut ws).await;
    let (id, token) = (hello["connectionId"].as_str().unwrap(), hello["reconnectionToken"].as_str().unwrap());
    join(&mut ws, "lobby", 1).await;
    drop(ws);
    // As the SDKs do: the first URL (token, key) plus the recovery parameters.
    let recover = format!("{url}&awps_connection_id={id}&awps_reconnection_token={token}");
    let (mut ws, chosen) = open(&recover, &[RELIABLE]).await;
    assert_eq!(chosen.as_deref(), Some(RELIABLE));
    assert_eq!(recv_json(&mut ws).await["connectionId"], id);
    send_json(&mut ws, json!({"type": "sendToGroup", "group": "lobby", "dataType": "text", "data": "still here"}))
        .await;
    // Still in the group: its own message comes back, numbered.
    let echo = recv_json(&mut ws).await;
    assert!(echo["data"] == "still here" && echo["sequenceId"] == 1, "{echo}");
    // Without the key the gateway refuses the recovery like any connect.
    let no_key = format!("{}&awps_connection_id={id}&awps_reconnection_token={token}", chat.url);
    let req = no_key.into_client_request().unwrap();
    let refused = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap();
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 401),
        "{refused:?}"
    );
}
