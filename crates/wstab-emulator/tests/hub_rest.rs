//! The hub's data-plane REST API, driven by the official server SDK (`@azure/web-pubsub`) with
//! the demo's connection string, and by hand for the service's authentication and errors.

mod node;

use std::time::Duration;

use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use wstab_core::webpubsub_token::{self, ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest};
use wstab_emulator::demo::{self, DemoOptions};

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

fn token(cs: &ConnectionString, user: &str) -> String {
    let req = TokenRequest {
        hub: "chat".into(),
        user: Some(user.into()),
        roles: vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()],
        groups: Vec::new(),
        ttl: Duration::from_secs(600),
    };
    webpubsub_token::client_access(cs, &req).unwrap().token
}

/// A JSON-protocol client straight to the hub; returns it and its connection id.
async fn client(hub_url: &str, cs: &ConnectionString, user: &str) -> (Client, String) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/client/hubs/chat?access_token={}", hub_url.replace("http", "ws"), token(cs, user));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "json.webpubsub.azure.v1".parse().unwrap());
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().unwrap();
    let hello = recv(&mut ws).await;
    assert_eq!(hello["event"], "connected", "{hello}");
    (ws, hello["connectionId"].as_str().unwrap().to_string())
}

/// The next JSON message (skipping pings).
async fn recv(ws: &mut Client) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// One REST call signed like the SDKs sign it (`aud` = the URL), or with `key` when given.
async fn rest(method: &str, url: &str, key: &str, content_type: &str, body: &str) -> (u16, String) {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"aud": url, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap();
    let parsed = url::Url::parse(url).unwrap();
    let authority = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let tcp = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    let target = format!("{}?{}", parsed.path(), parsed.query().unwrap_or_default());
    let req = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", authority)
        .header("authorization", format!("Bearer {jwt}"))
        .header("content-type", content_type)
        .body(Full::new(bytes::Bytes::from(body.to_string())))
        .unwrap();
    let res = tokio::time::timeout(WAIT, sender.send_request(req)).await.unwrap().unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn test_server_sdk_sends_checks_groups_and_closes_against_the_demo_hub() {
    let demo = demo::start_with(0, DemoOptions::default()).await.unwrap();
    assert!(demo.connection_string.contains(demo::DEFAULT_ACCESS_KEY), "{}", demo.connection_string);
    let cs = ConnectionString::parse(&demo.connection_string).unwrap();
    let (mut alice, alice_id) = client(&demo.hub_url, &cs, "alice").await;
    let (mut bob, bob_id) = client(&demo.hub_url, &cs, "bob").await;

    let out = node::run(
        "server_sdk.mjs",
        &[&demo.connection_string, "chat", &alice_id, &bob_id],
        &[],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    for (step, want) in [
        ("groupExistsBefore", false),
        ("groupExistsAfter", true),
        ("userExists", true),
        ("userMissing", false),
        ("connectionExists", true),
        ("hasPermission", true),
        ("token", true),
    ] {
        assert_eq!(out.step(step), Some(Value::Bool(want)), "{step}: {}", out.stdout);
    }

    let m = recv(&mut alice).await;
    assert_eq!(
        (m["from"].as_str(), m["dataType"].as_str(), &m["data"]),
        (Some("server"), Some("json"), &serde_json::json!({"hello": "all"}))
    );
    let m = recv(&mut alice).await;
    assert_eq!((m["dataType"].as_str(), m["data"].as_str()), (Some("text"), Some("to the group")), "{m}");

    assert_eq!(recv(&mut bob).await["data"], serde_json::json!({"hello": "all"}));
    assert_eq!(recv(&mut bob).await["data"], serde_json::json!({"hello": "bob"}));
    assert_eq!(recv(&mut bob).await["data"], "not alice");
    // The close: a Close frame with the SDK's reason (after any system message).
    let close = tokio::time::timeout(WAIT, async {
        loop {
            match bob.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(close.map(|f| f.reason.to_string()).as_deref(), Some("closed by the server SDK"));

    // The filtered send skipped alice: the next thing she gets is this marker.
    let url = format!("{}/api/hubs/chat/connections/{alice_id}/:send?api-version=2024-12-01", demo.hub_url);
    assert_eq!(rest("POST", &url, demo::DEFAULT_ACCESS_KEY, "text/plain", "marker").await.0, 202);
    assert_eq!(recv(&mut alice).await["data"], "marker");
}

#[tokio::test]
async fn test_rest_refuses_a_bad_token_with_401_and_names_errors_like_the_service() {
    let demo =
        demo::start_with(0, DemoOptions { access_key: Some("custom-key".into()), ..Default::default() }).await.unwrap();
    assert!(demo.connection_string.contains("AccessKey=custom-key;"), "{}", demo.connection_string);
    let url = format!("{}/api/hubs/chat/:send?api-version=2024-12-01", demo.hub_url);
    let (status, body) = rest("POST", &url, demo::DEFAULT_ACCESS_KEY, "application/json", "{}").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "Unauthorized");
    assert_eq!(rest("POST", &url, "custom-key", "application/json", "{}").await.0, 202);

    // A token for another URL is refused too: the audience is the request's URL.
    let other = format!("{}/api/hubs/chat/:closeConnections?api-version=2024-12-01", demo.hub_url);
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"aud": url, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(b"custom-key"),
    )
    .unwrap();
    let parsed = url::Url::parse(&other).unwrap();
    let mut tcp = tokio::net::TcpStream::connect((parsed.host_str().unwrap(), parsed.port().unwrap())).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST {}?{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {jwt}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        parsed.path(),
        parsed.query().unwrap()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    // Errors carry the service's ErrorDetail body.
    let cs = ConnectionString::parse(&demo.connection_string).unwrap();
    let put = format!("{}/api/hubs/chat/groups/g/connections/nope?api-version=2024-12-01", demo.hub_url);
    let (status, body) = rest("PUT", &put, "custom-key", "application/json", "").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "NotFound");
    let no_version = format!("{}/api/hubs/chat/:send", demo.hub_url);
    assert_eq!(rest("POST", &no_version, "custom-key", "application/json", "{}").await.0, 400);
    let (status, _) = rest("POST", &url, "custom-key", "application/xml", "<a/>").await;
    assert_eq!(status, 415);
    drop(cs);
}

#[tokio::test]
async fn test_rest_adds_users_to_groups_for_their_later_connections_and_closes_a_group() {
    let demo = demo::start_with(0, DemoOptions::default()).await.unwrap();
    let cs = ConnectionString::parse(&demo.connection_string).unwrap();
    let key = demo::DEFAULT_ACCESS_KEY;
    let base = format!("{}/api/hubs/chat", demo.hub_url);
    let v = "api-version=2024-12-01";
    assert_eq!(rest("PUT", &format!("{base}/users/dana/groups/ops?{v}"), key, "text/plain", "").await.0, 200);
    // Dana connects after being added: the group is hers.
    let (mut dana, _) = client(&demo.hub_url, &cs, "dana").await;
    assert_eq!(rest("HEAD", &format!("{base}/groups/ops?{v}"), key, "text/plain", "").await.0, 200);
    assert_eq!(rest("POST", &format!("{base}/groups/ops/:send?{v}"), key, "text/plain", "hi ops").await.0, 202);
    assert_eq!(recv(&mut dana).await["data"], "hi ops");
    let (status, body) = rest("GET", &format!("{base}/groups/ops/connections?{v}"), key, "text/plain", "").await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["value"][0]["userId"], "dana");
    let close = format!("{base}/groups/ops/:closeConnections?{v}&reason=maintenance");
    assert_eq!(rest("POST", &close, key, "text/plain", "").await.0, 204);
    let frame = tokio::time::timeout(WAIT, async {
        loop {
            match dana.next().await {
                Some(Ok(Message::Close(f))) => return f,
                Some(Ok(_)) => continue,
                other => panic!("expected a close, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(frame.map(|f| f.reason.to_string()).as_deref(), Some("maintenance"));
    // The connection leaves the hub once its close completes.
    let gone = async {
        while rest("HEAD", &format!("{base}/users/dana?{v}"), key, "text/plain", "").await.0 != 404 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(WAIT, gone).await.expect("dana's connection leaves the hub");
}
