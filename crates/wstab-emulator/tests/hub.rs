//! The Web PubSub-style hub over real loopback sockets: token checks, the JSON subprotocol
//! (connected, groups, acks, roles) and simple clients; plus the echo and ticker backends.

mod json_client;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use json_client::{Client, WAIT, recv_json, send_json};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use wstab_core::webpubsub_token::{ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest, client_access};

const PROTOCOL: &str = "json.webpubsub.azure.v1";

struct Hub {
    addr: SocketAddr,
    cs: ConnectionString,
    _stop: CancellationToken,
}

async fn start_hub() -> Hub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cs = ConnectionString::parse(&format!("Endpoint=http://{addr};AccessKey=hub-test-key;Version=1.0;")).unwrap();
    let stop = CancellationToken::new();
    wstab_emulator::hub::serve_on(listener, cs.clone(), stop.clone()).unwrap();
    Hub { addr, cs, _stop: stop }
}

impl Hub {
    fn token(&self, user: &str, roles: &[&str], groups: &[&str]) -> String {
        let req = TokenRequest {
            hub: "chat".into(),
            user: Some(user.into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ttl: Duration::from_secs(600),
        };
        client_access(&self.cs, &req).unwrap().token
    }

    async fn open(&self, token: &str, protocol: Option<&str>) -> Result<Client, WsError> {
        let mut req =
            format!("ws://{}/client/hubs/chat?access_token={token}", self.addr).into_client_request().unwrap();
        if let Some(p) = protocol {
            req.headers_mut().insert("sec-websocket-protocol", p.parse().unwrap());
        }
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().map(|(ws, _)| ws)
    }

    /// A JSON-protocol client, past its `connected` message (returned).
    async fn json_client(&self, user: &str, roles: &[&str], groups: &[&str]) -> (Client, Value) {
        let mut ws = self.open(&self.token(user, roles, groups), Some(PROTOCOL)).await.unwrap();
        let hello = recv_json(&mut ws).await;
        (ws, hello)
    }
}

/// Asserts nothing but pings arrives for a short while.
async fn assert_silent(ws: &mut Client) {
    let got = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(got.is_err(), "unexpected message: {got:?}");
}

const ALL: &[&str] = &[ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP];

#[tokio::test]
async fn test_connected_message_names_user_and_connection() {
    let hub = start_hub().await;
    let (_ws, hello) = hub.json_client("alice", &[], &[]).await;
    assert_eq!(hello["type"], "system");
    assert_eq!(hello["event"], "connected");
    assert_eq!(hello["userId"], "alice");
    assert!(hello["connectionId"].as_str().is_some_and(|c| !c.is_empty()));
}

#[tokio::test]
async fn test_bad_tokens_get_401_saying_why() {
    let hub = start_hub().await;
    let claims = |aud: &str, exp: u64| json!({"aud": aud, "exp": exp, "iat": 0});
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let sign = |c: &Value, key: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            c,
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap()
    };
    let aud = hub.cs.audience("chat");
    let cases = [
        (sign(&claims(&aud, now - 600), "hub-test-key"), "expired"),
        (sign(&claims(&aud, now + 600), "other-key"), "signature"),
        (sign(&claims("https://elsewhere/client/hubs/chat", now + 600), "hub-test-key"), "audience"),
        (String::new(), "missing"),
    ];
    for (token, why) in cases {
        match hub.open(&token, Some(PROTOCOL)).await {
            Err(WsError::Http(res)) => {
                assert_eq!(res.status().as_u16(), 401);
                let body = String::from_utf8(res.into_body().unwrap_or_default()).unwrap();
                assert!(body.contains(why), "expected {why:?} in {body:?}");
            }
            other => panic!("{why}: expected 401, got {:?}", other.map(|_| ())),
        }
    }
    // A Bearer header works as well as the query parameter.
    let mut req = format!("ws://{}/client/hubs/chat", hub.addr).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", hub.token("u", &[], &[])).parse().unwrap());
    tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().unwrap();
}

#[tokio::test]
async fn test_join_and_send_to_group_reaches_members_with_echo() {
    let hub = start_hub().await;
    let (mut alice, _) = hub.json_client("alice", ALL, &[]).await;
    let (mut bob, _) = hub.json_client("bob", ALL, &[]).await;
    for ws in [&mut alice, &mut bob] {
        send_json(ws, json!({"type": "joinGroup", "group": "lobby", "ackId": 1})).await;
        assert_eq!(recv_json(ws).await, json!({"type": "ack", "ackId": 1, "success": true}));
    }
    send_json(
        &mut alice,
        json!({"type": "sendToGroup", "group": "lobby", "ackId": 2, "dataType": "json", "data": {"n": 1}}),
    )
    .await;
    let expected = json!({"type": "message", "from": "group", "fromUserId": "alice", "group": "lobby", "dataType": "json", "data": {"n": 1}});
    assert_eq!(recv_json(&mut bob).await, expected);
    // Without noEcho the sender gets its own message too (plus its ack, in either order).
    let a = [recv_json(&mut alice).await, recv_json(&mut alice).await];
    assert!(a.contains(&expected) && a.contains(&json!({"type": "ack", "ackId": 2, "success": true})), "{a:?}");
}

#[tokio::test]
async fn test_send_to_group_binary_arrives_as_base64_with_data_type_binary() {
    use base64::Engine;
    let hub = start_hub().await;
    let (mut alice, _) = hub.json_client("alice", ALL, &["lobby"]).await;
    let (mut bob, _) = hub.json_client("bob", ALL, &["lobby"]).await;
    // Bytes that are not UTF-8 (0xff, 0xfe) and a NUL: only base64 carries them in JSON intact.
    let bytes = [0x00u8, 0xff, 0xfe, 0x10, b'h', b'i'];
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    send_json(
        &mut alice,
        json!({"type": "sendToGroup", "group": "lobby", "ackId": 1, "noEcho": true, "dataType": "binary", "data": data}),
    )
    .await;
    assert_eq!(recv_json(&mut alice).await, json!({"type": "ack", "ackId": 1, "success": true}));
    let got = recv_json(&mut bob).await;
    assert_eq!(
        got,
        json!({"type": "message", "from": "group", "fromUserId": "alice", "group": "lobby", "dataType": "binary", "data": data})
    );
    let decoded = base64::engine::general_purpose::STANDARD.decode(got["data"].as_str().unwrap()).unwrap();
    assert_eq!(decoded, bytes);
}

#[tokio::test]
async fn test_simple_clients_broadcast_binary_frames_as_binary() {
    let hub = start_hub().await;
    let token = hub.token("s", &[], &[]);
    let mut a = hub.open(&token, None).await.unwrap();
    let mut b = hub.open(&token, None).await.unwrap();
    let bytes = vec![0x00u8, 0xff, 0x80, 0x7f];
    a.send(Message::binary(bytes.clone())).await.unwrap();
    let got = tokio::time::timeout(WAIT, b.next()).await.expect("no frame in time").unwrap().unwrap();
    assert_eq!(got, Message::binary(bytes));
}

#[tokio::test]
async fn test_no_echo_skips_the_sender() {
    let hub = start_hub().await;
    let (mut alice, _) = hub.json_client("alice", ALL, &["lobby"]).await;
    let (mut bob, _) = hub.json_client("bob", ALL, &["lobby"]).await;
    send_json(
        &mut alice,
        json!({"type": "sendToGroup", "group": "lobby", "noEcho": true, "dataType": "text", "data": "hi"}),
    )
    .await;
    let got = recv_json(&mut bob).await;
    assert_eq!((got["data"].as_str(), got["dataType"].as_str()), (Some("hi"), Some("text")));
    assert_silent(&mut alice).await;
}

#[tokio::test]
async fn test_without_roles_join_and_send_are_forbidden() {
    let hub = start_hub().await;
    let (mut ws, _) = hub.json_client("mallory", &["webpubsub.joinLeaveGroup.open"], &[]).await;
    send_json(&mut ws, json!({"type": "joinGroup", "group": "lobby", "ackId": 1})).await;
    let ack = recv_json(&mut ws).await;
    assert_eq!((ack["success"].as_bool(), ack["error"]["name"].as_str()), (Some(false), Some("Forbidden")), "{ack}");
    // The group-scoped role grants its own group.
    send_json(&mut ws, json!({"type": "joinGroup", "group": "open", "ackId": 2})).await;
    assert_eq!(recv_json(&mut ws).await["success"], true);
    send_json(&mut ws, json!({"type": "sendToGroup", "group": "open", "ackId": 3, "data": 1})).await;
    assert_eq!(recv_json(&mut ws).await["error"]["name"], "Forbidden");
}

#[tokio::test]
async fn test_repeated_ack_id_is_a_duplicate() {
    let hub = start_hub().await;
    let (mut ws, _) = hub.json_client("u", ALL, &[]).await;
    send_json(&mut ws, json!({"type": "event", "event": "hello", "ackId": 7, "data": "x"})).await;
    assert_eq!(recv_json(&mut ws).await["success"], true);
    send_json(&mut ws, json!({"type": "event", "event": "hello", "ackId": 7, "data": "x"})).await;
    let ack = recv_json(&mut ws).await;
    assert_eq!((ack["success"].as_bool(), ack["error"]["name"].as_str()), (Some(false), Some("Duplicate")), "{ack}");
}

#[tokio::test]
async fn test_leave_group_stops_delivery() {
    let hub = start_hub().await;
    let (mut alice, _) = hub.json_client("alice", ALL, &["lobby"]).await;
    let (mut bob, _) = hub.json_client("bob", ALL, &["lobby"]).await;
    send_json(&mut bob, json!({"type": "leaveGroup", "group": "lobby", "ackId": 1})).await;
    assert_eq!(recv_json(&mut bob).await["success"], true);
    send_json(&mut alice, json!({"type": "sendToGroup", "group": "lobby", "noEcho": true, "data": "x"})).await;
    assert_silent(&mut bob).await;
}

#[tokio::test]
async fn test_simple_clients_broadcast_to_each_other() {
    let hub = start_hub().await;
    let token = hub.token("s", &[], &[]);
    let mut a = hub.open(&token, None).await.unwrap();
    let mut b = hub.open(&token, None).await.unwrap();
    let (mut json_client, _) = hub.json_client("j", ALL, &[]).await;
    a.send(Message::text("plain hello")).await.unwrap();
    let got = tokio::time::timeout(WAIT, b.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(got, Message::text("plain hello"));
    assert_silent(&mut a).await;
    assert_silent(&mut json_client).await;
}

#[tokio::test]
async fn test_echo_and_ticker_backends() {
    let stop = CancellationToken::new();
    let local = "127.0.0.1:0".parse().unwrap();
    let echo = wstab_emulator::hub::start_echo(local, stop.clone()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/", echo.addr)).await.unwrap();
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap(), Message::binary(vec![1, 2, 3]));
    let ticker = wstab_emulator::hub::start_ticker(local, stop.clone()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/", ticker.addr)).await.unwrap();
    let quote = recv_json(&mut ws).await;
    assert!(quote["symbol"].is_string() && quote["price"].is_number() && quote["change"].is_number(), "{quote}");
    assert!(quote["time"].is_string(), "{quote}");
    stop.cancel();
}

/// The protobuf subprotocols are not emulated: a client offering only them is refused with 501
/// and a body naming the JSON subprotocols to use instead, straight to the hub and through the
/// demo's gateway (which passes the hub's answer on); offered beside a JSON one, JSON is chosen.
#[tokio::test]
async fn test_protobuf_only_offers_are_refused_with_501_naming_the_json_protocols() {
    let demo = wstab_emulator::demo::start_with(0, Default::default()).await.unwrap();
    let token = demo.chat_token(Duration::from_secs(600)).unwrap();
    let direct = format!("{}/client/hubs/chat?access_token={token}", demo.hub_url.replace("http", "ws"));
    let key = &demo.subscription_key;
    let gateway = format!("ws://{}/client/hubs/chat?access_token={token}&subscription-key={key}", demo.gateway_addr());
    for url in [direct, gateway] {
        let offer = |protocols: &str| {
            let mut req = url.as_str().into_client_request().unwrap();
            req.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
            tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
        };
        match offer("protobuf.reliable.webpubsub.azure.v1").await.expect("an answer in time") {
            Err(WsError::Http(res)) => {
                let body = String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).into_owned();
                assert_eq!(res.status().as_u16(), 501, "{url}: {body}");
                assert!(body.contains("does not emulate the protobuf subprotocols"), "{body}");
                assert!(body.contains("json.reliable.webpubsub.azure.v1"), "{body}");
            }
            other => panic!("{url}: expected a 501 refusal, got {other:?}"),
        }
        let (_ws, res) = offer("protobuf.webpubsub.azure.v1, json.webpubsub.azure.v1")
            .await
            .expect("an answer in time")
            .expect("JSON beside protobuf connects");
        assert_eq!(res.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap()), Some(PROTOCOL));
    }
}
