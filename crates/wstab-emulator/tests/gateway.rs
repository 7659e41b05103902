//! The gateway emulator over real loopback sockets: routing, keys, policies, forwarding, relay,
//! limits, metrics and logs.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{FutureExt, SinkExt, StreamExt};
use http::{HeaderMap, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogRecord, LogSink};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

const KEY: &str = "primary-key-123456";
const KEY2: &str = "secondary-key-7890";
const JWT_SECRET: &str = "jwt-secret-for-tests";
/// How long a wait may take before the test fails: only a failure waits this long, and 2 cores
/// shared by the whole suite can stall a healthy step for seconds.
const WAIT: Duration = Duration::from_secs(20);

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the test backend received.
#[derive(Debug, Clone)]
struct Seen {
    uri: String,
    headers: HeaderMap,
}

struct Backend {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The payload of every ping the backend received, in order: what proves a client's ping was
    /// relayed, since each hop also answers a ping with its own pong.
    pings: Arc<Mutex<Vec<Vec<u8>>>>,
    _stop: CancellationToken,
}

/// A backend that records each handshake and each ping's payload; `/refuse` answers 403, others
/// accept (choosing the first requested subprotocol), echo, close with 4001 when sent
/// "close-me", and send a ping carrying `X` when sent "ping-me:X".
async fn start_backend() -> Backend {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pings = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let ping_log = pings.clone();
    let handler: Handler = Arc::new(move |req, _| {
        let log = log.clone();
        let ping_log = ping_log.clone();
        async move {
            log.lock().unwrap().push(Seen { uri: req.uri().to_string(), headers: req.headers().clone() });
            if req.uri().path() == "/refuse" {
                return Reply::Http(wsserver::response(
                    StatusCode::FORBIDDEN,
                    "application/json",
                    r#"{"error":"backend says no"}"#,
                ));
            }
            let protocols = wsserver::requested_protocols(req.headers());
            let response = wsserver::switching_protocols(req.headers(), protocols.first().map(String::as_str));
            Reply::Upgrade {
                response,
                on_upgrade: Box::new(|mut ws| {
                    async move {
                        while let Some(Ok(m)) = ws.next().await {
                            match m {
                                Message::Ping(p) => ping_log.lock().unwrap().push(p.to_vec()),
                                Message::Text(t) if t.as_str().starts_with("ping-me:") => {
                                    let payload = t.as_bytes()["ping-me:".len()..].to_vec();
                                    let _ = ws.send(Message::Ping(payload.into())).await;
                                }
                                Message::Text(t) if t.as_str() == "close-me" => {
                                    let frame =
                                        CloseFrame { code: CloseCode::from(4001), reason: "bye from backend".into() };
                                    let _ = ws.send(Message::Close(Some(frame))).await;
                                }
                                Message::Text(_) | Message::Binary(_) => {
                                    let _ = ws.send(m).await;
                                }
                                _ => {}
                            }
                        }
                    }
                    .boxed()
                }),
            }
        }
        .boxed()
    });
    let stop = CancellationToken::new();
    let server =
        wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, ServerOptions::default(), stop.clone()).await.unwrap();
    Backend { addr: server.addr, seen, pings, _stop: stop }
}

fn fixtures() -> std::path::PathBuf {
    // The JWT fixtures live beside the emulator's tests, their only users.
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn config_text(backend: SocketAddr, limits: &str) -> String {
    format!(
        r#"
[limits]
{limits}

[[subscriptions]]
name = "tests"
primary_key = "{KEY}"
secondary_key = "{KEY2}"

[[subscriptions]]
name = "suspended"
primary_key = "suspended-key-000"
active = false

[[apis]]
name = "echo"
url_suffix = "echo"
backend = "ws://{backend}/echo?fixed=1"

[[apis]]
name = "refuse"
url_suffix = "refuse"
backend = "ws://{backend}/refuse"

[[apis]]
name = "dead"
url_suffix = "dead"
backend = "ws://127.0.0.1:1/"

[[apis]]
name = "jwt"
url_suffix = "jwt"
backend = "ws://{backend}/jwt"
subscription_required = false
[apis.policies.validate_jwt]
hs256_secret = "{JWT_SECRET}"
audiences = ["api://wstab"]
issuers = ["https://issuer.test"]
required_claims = [{{ name = "scope", values = ["chat"] }}]

[[apis]]
name = "jwtq"
url_suffix = "jwtq"
backend = "ws://{backend}/jwtq"
subscription_required = false
[apis.policies.validate_jwt]
query = "token"
rs256_public_key_file = "rsa_public.pem"

[[apis]]
name = "jwks"
url_suffix = "jwks"
backend = "ws://{backend}/jwks"
subscription_required = false
[apis.policies.validate_jwt]
jwks_file = "jwks.json"

[[apis]]
name = "limited"
url_suffix = "limited"
backend = "ws://{backend}/limited"
subscription_required = false
[apis.policies.rate_limit]
calls = 2
renewal_period_secs = 60
counter_key = "ip"

[[apis]]
name = "blocked"
url_suffix = "blocked"
backend = "ws://{backend}/blocked"
subscription_required = false
[apis.policies.ip_filter]
action = "forbid"
addresses = ["127.0.0.0/8"]

[[apis]]
name = "tenant"
url_suffix = "tenant/api"
backend = "ws://{backend}/tenant"
subscription_key = {{ header = "X-Key", query = "key" }}
[apis.policies]
check_header = [{{ name = "X-Tenant", values = ["contoso"], ignore_case = true, failed_status = 403, failed_message = "Tenant not allowed." }}]
set_header = [{{ name = "X-From-Gateway", value = "yes" }}]
set_query_parameter = [{{ name = "added", value = "1" }}]
"#
    )
}

async fn start_gateway(backend: SocketAddr, limits: &str) -> Gateway {
    let text = config_text(backend, limits);
    let config = GatewayConfig::parse("test.toml", &text, &fixtures()).unwrap();
    let local = "127.0.0.1:0".parse().unwrap();
    Gateway::start(config, local, Some(local), LogSink::Memory).await.unwrap()
}

struct Rig {
    backend: Backend,
    gateway: Gateway,
}

async fn rig() -> Rig {
    rig_with("").await
}

async fn rig_with(limits: &str) -> Rig {
    let backend = start_backend().await;
    let gateway = start_gateway(backend.addr, limits).await;
    Rig { backend, gateway }
}

impl Rig {
    fn url(&self, path_and_query: &str) -> String {
        format!("ws://{}/{}", self.gateway.addr, path_and_query)
    }

    async fn connect(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Result<Client, WsError> {
        let mut req = self.url(path_and_query).into_client_request().unwrap();
        for (n, v) in headers {
            req.headers_mut().append(http::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("handshake timed out")
            .map(|(ws, _)| ws)
    }

    async fn refused(&self, path_and_query: &str, headers: &[(&str, &str)]) -> (u16, String) {
        match self.connect(path_and_query, headers).await {
            Err(WsError::Http(res)) => {
                let status = res.status().as_u16();
                let body = String::from_utf8(res.into_body().unwrap_or_default()).unwrap();
                (status, body)
            }
            Ok(_) => panic!("{path_and_query} was accepted"),
            Err(e) => panic!("{path_and_query}: unexpected error {e}"),
        }
    }

    async fn metrics(&self) -> String {
        http_get(self.gateway.admin_addr.unwrap(), "/metrics").await
    }
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    raw_http(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await
}

/// Sends raw bytes and returns the whole response text.
async fn raw_http(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await.expect("response timed out").unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

async fn next_message(ws: &mut Client) -> Message {
    loop {
        let m =
            tokio::time::timeout(WAIT, ws.next()).await.expect("no message in time").expect("stream ended").unwrap();
        if !matches!(m, Message::Ping(_) | Message::Pong(_)) {
            return m;
        }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn hs_token(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn good_claims() -> serde_json::Value {
    serde_json::json!({"aud": "api://wstab", "iss": "https://issuer.test", "exp": now() + 600, "scope": "chat"})
}

#[tokio::test]
async fn test_unknown_suffix_gets_404_with_apim_body() {
    let r = rig().await;
    let (status, body) = r.refused("nope?subscription-key=x", &[]).await;
    assert_eq!(status, 404);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v, serde_json::json!({"statusCode": 404, "message": "Resource not found"}));
    // Exact suffix: a longer path is not the API.
    assert_eq!(r.refused(&format!("echo/more?subscription-key={KEY}"), &[]).await.0, 404);
}

#[tokio::test]
async fn test_plain_get_gets_400_naming_missing_headers() {
    let r = rig().await;
    let text = http_get(r.gateway.addr, &format!("/echo?subscription-key={KEY}")).await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("Upgrade: websocket") && text.contains("Sec-WebSocket-Key"), "{text}");
}

#[tokio::test]
async fn test_missing_key_gets_401() {
    let r = rig().await;
    let (status, body) = r.refused("echo", &[]).await;
    assert_eq!(status, 401);
    assert!(body.starts_with(r#"{"statusCode": 401, "message": "#), "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["statusCode"], 401);
    assert_eq!(
        v["message"],
        "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
    );
}

#[tokio::test]
async fn test_invalid_or_suspended_key_gets_401() {
    let r = rig().await;
    for key in ["wrong-key", "suspended-key-000"] {
        let (status, body) = r.refused(&format!("echo?subscription-key={key}"), &[]).await;
        assert_eq!(status, 401, "{key}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["message"],
            "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
        );
    }
}

#[tokio::test]
async fn test_key_in_header_or_secondary_key_is_accepted() {
    let r = rig().await;
    r.connect("echo", &[("Ocp-Apim-Subscription-Key", KEY)]).await.unwrap();
    r.connect(&format!("echo?subscription-key={KEY2}"), &[]).await.unwrap();
}

#[tokio::test]
async fn test_key_is_stripped_before_the_backend_and_forwarded_for_added() {
    let r = rig().await;
    let mut ws = r
        .connect(
            &format!("echo?other=x&subscription-key={KEY}"),
            &[("Ocp-Apim-Subscription-Key", KEY), ("X-Custom", "kept"), ("Sec-WebSocket-Protocol", "p1, p2")],
        )
        .await
        .unwrap();
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(next_message(&mut ws).await, Message::text("hi"));
    let seen = r.backend.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen.uri, "/echo?fixed=1&other=x");
    assert!(seen.headers.get("ocp-apim-subscription-key").is_none());
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen.headers["x-custom"], "kept");
    assert_eq!(seen.headers["sec-websocket-protocol"], "p1, p2");
    for (_, v) in &seen.headers {
        assert!(!v.to_str().unwrap_or("").contains(KEY), "key leaked in {v:?}");
    }
}

#[tokio::test]
async fn test_backend_chosen_subprotocol_is_passed_back() {
    let r = rig().await;
    let mut req = r.url(&format!("echo?subscription-key={KEY}")).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "json.webpubsub.azure.v1".parse().unwrap());
    let (_ws, res) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.unwrap().unwrap();
    assert_eq!(res.headers()["sec-websocket-protocol"], "json.webpubsub.azure.v1");
}

#[tokio::test]
async fn test_backend_refusal_is_passed_through_with_status_and_body() {
    let r = rig().await;
    let (status, body) = r.refused(&format!("refuse?subscription-key={KEY}"), &[]).await;
    assert_eq!(status, 403);
    assert_eq!(body, r#"{"error":"backend says no"}"#);
}

#[tokio::test]
async fn test_unreachable_backend_gets_502() {
    let r = rig().await;
    let (status, body) = r.refused(&format!("dead?subscription-key={KEY}"), &[]).await;
    assert_eq!(status, 502);
    assert!(body.contains("Bad Gateway") && body.contains("127.0.0.1:1"), "{body}");
}

#[tokio::test]
async fn test_valid_jwt_is_accepted() {
    let r = rig().await;
    let token = hs_token(good_claims(), JWT_SECRET);
    r.connect("jwt", &[("Authorization", &format!("Bearer {token}"))]).await.unwrap();
}

#[tokio::test]
async fn test_jwt_failures_get_401_with_reason() {
    let r = rig().await;
    let mut expired = good_claims();
    expired["exp"] = (now() - 120).into();
    let mut not_yet = good_claims();
    not_yet["nbf"] = (now() + 600).into();
    let mut wrong_aud = good_claims();
    wrong_aud["aud"] = "api://other".into();
    let mut wrong_iss = good_claims();
    wrong_iss["iss"] = "https://evil.test".into();
    let mut no_scope = good_claims();
    no_scope["scope"] = "admin".into();
    let good = hs_token(good_claims(), JWT_SECRET);
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let b64 = |v: &serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let mut rich = good_claims();
    rich["scope"] = "chat admin".into();
    parts[1] = b64(&rich);
    let tampered = parts.join(".");
    let alg_none = format!("{}.{}.", b64(&serde_json::json!({"alg": "none", "typ": "JWT"})), b64(&good_claims()));
    let cases = [
        (None, "JWT not present"),
        (Some(hs_token(expired, JWT_SECRET)), "expired"),
        (Some(hs_token(not_yet, JWT_SECRET)), "not valid yet"),
        (Some(hs_token(wrong_aud, JWT_SECRET)), "audience"),
        (Some(hs_token(wrong_iss, JWT_SECRET)), "issuer"),
        (Some(hs_token(no_scope, JWT_SECRET)), "scope"),
        (Some(hs_token(good_claims(), "another-secret")), "signature"),
        (Some(tampered), "signature"),
        (Some(alg_none), "alg none"),
    ];
    for (token, reason) in cases {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let (status, body) = r.refused("jwt", &headers).await;
        assert_eq!(status, 401, "{reason}: {body}");
        assert!(body.contains(reason), "expected {reason:?} in {body}");
    }
}

#[tokio::test]
async fn test_rs256_api_refuses_hs256_signed_with_the_public_key() {
    let r = rig().await;
    let claims = serde_json::json!({"exp": now() + 600, "sub": "u"});
    let private = std::fs::read(fixtures().join("rsa_private.pem")).unwrap();
    let rs =
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_pem(&private).unwrap())
            .unwrap();
    r.connect(&format!("jwtq?token={rs}"), &[]).await.unwrap();
    // Algorithm confusion: HS256 with the public key's PEM bytes as the secret.
    let public = std::fs::read_to_string(fixtures().join("rsa_public.pem")).unwrap();
    let confused = hs_token(claims.clone(), &public);
    let (status, body) = r.refused(&format!("jwtq?token={confused}"), &[]).await;
    assert_eq!(status, 401);
    assert!(body.contains("algorithm"), "{body}");
    // JWKS: selected by kid.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let jwks_token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&private).unwrap()).unwrap();
    r.connect("jwks", &[("Authorization", &format!("Bearer {jwks_token}"))]).await.unwrap();
    header.kid = Some("unknown".into());
    let bad_kid = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&private).unwrap()).unwrap();
    assert_eq!(r.refused("jwks", &[("Authorization", &format!("Bearer {bad_kid}"))]).await.0, 401);
}

#[tokio::test]
async fn test_close_from_client_reaches_backend_and_back_with_code_and_reason() {
    let r = rig().await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    let frame = CloseFrame { code: CloseCode::from(4000), reason: "client done".into() };
    ws.send(Message::Close(Some(frame))).await.unwrap();
    // The backend echoes the close (tungstenite's reply), which the gateway relays back.
    match next_message(&mut ws).await {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 4000);
            assert_eq!(f.reason.as_str(), "client done");
        }
        other => panic!("expected a close, got {other:?}"),
    }
    let end = wait_for_end(&r.gateway).await;
    assert_eq!((end["close_code"].as_u64(), end["closed_by"].as_str()), (Some(4000), Some("client")));
}

#[tokio::test]
async fn test_close_from_backend_reaches_client_with_code_and_reason() {
    let r = rig().await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    ws.send(Message::text("close-me")).await.unwrap();
    match next_message(&mut ws).await {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 4001);
            assert_eq!(f.reason.as_str(), "bye from backend");
        }
        other => panic!("expected a close, got {other:?}"),
    }
    let end = wait_for_end(&r.gateway).await;
    assert_eq!((end["close_code"].as_u64(), end["closed_by"].as_str()), (Some(4001), Some("backend")));
}

async fn wait_for_end(gateway: &Gateway) -> serde_json::Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let found = gateway.log.recent().into_iter().find(|r| matches!(r, LogRecord::ConnectionEnd(_)));
            if let Some(r) = found {
                return serde_json::to_value(&r).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("no connection-end record")
}

#[tokio::test]
async fn test_fragmented_and_binary_frames_are_relayed() {
    let r = rig().await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    ws.send(Message::Frame(Frame::message(&b"hel"[..], OpCode::Data(Data::Text), false))).await.unwrap();
    ws.send(Message::Frame(Frame::message(&b"lo "[..], OpCode::Data(Data::Continue), false))).await.unwrap();
    ws.send(Message::Frame(Frame::message(&b"world"[..], OpCode::Data(Data::Continue), true))).await.unwrap();
    assert_eq!(next_message(&mut ws).await, Message::text("hello world"));
    let binary: Vec<u8> = (0..=255u8).collect();
    ws.send(Message::binary(binary.clone())).await.unwrap();
    assert_eq!(next_message(&mut ws).await, Message::binary(binary));
}

#[tokio::test]
async fn test_pings_are_relayed_both_ways_with_their_payload() {
    // A pong proves nothing here: the gateway answers a client's ping itself. The proof is the
    // payload arriving at the far end: recorded by the backend one way, read by the client the
    // other (no hop originates a ping with these payloads).
    let r = rig().await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    ws.send(Message::Ping(b"client-ping-41".to_vec().into())).await.unwrap();
    // A text message after the ping, echoed: the relay keeps order, so once its echo is back the
    // ping has been forwarded and the backend, which reads in order, has recorded it.
    ws.send(Message::text("after the ping")).await.unwrap();
    assert_eq!(next_message(&mut ws).await, Message::text("after the ping"));
    assert_eq!(*r.backend.pings.lock().unwrap(), [b"client-ping-41".to_vec()], "the backend saw the client's ping");

    ws.send(Message::text("ping-me:backend-ping-42")).await.unwrap();
    let ping = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(p))) => return p,
                Some(Ok(_)) => continue,
                other => panic!("the connection ended before the backend's ping: {other:?}"),
            }
        }
    })
    .await
    .expect("the backend's ping reached the client in time");
    assert_eq!(&ping[..], b"backend-ping-42");
}

#[tokio::test]
async fn test_metrics_count_a_session() {
    let r = rig().await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    for m in ["one", "two", "three"] {
        ws.send(Message::text(m)).await.unwrap();
        next_message(&mut ws).await;
    }
    let live = r.metrics().await;
    assert!(live.contains("wstab_gateway_connections_active{api=\"echo\"} 1"), "{live}");
    ws.close(None).await.unwrap();
    wait_for_end(&r.gateway).await;
    let _ = r.refused("echo", &[]).await;
    let text = r.metrics().await;
    for line in [
        "wstab_gateway_handshakes_total{api=\"echo\",status=\"101\"} 1",
        "wstab_gateway_handshakes_total{api=\"echo\",status=\"401\"} 1",
        "wstab_gateway_connections_active{api=\"echo\"} 0",
        "wstab_gateway_messages_total{api=\"echo\",direction=\"client_to_backend\"} 3",
        "wstab_gateway_messages_total{api=\"echo\",direction=\"backend_to_client\"} 3",
        "wstab_gateway_bytes_total{api=\"echo\",direction=\"client_to_backend\"} 11",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

#[tokio::test]
async fn test_no_secret_appears_in_the_logs() {
    let backend = start_backend().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gw.log");
    let config = GatewayConfig::parse("t.toml", &config_text(backend.addr, ""), &fixtures()).unwrap();
    let file = std::fs::File::create(&log_path).unwrap();
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let gateway = Gateway::start(config, local, None, LogSink::File(Mutex::new(file))).await.unwrap();
    let r = Rig { backend, gateway };
    let token = hs_token(good_claims(), JWT_SECRET);
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}&x=1"), &[]).await.unwrap();
    ws.close(None).await.unwrap();
    let _ = r.refused("echo?subscription-key=wrong-secret-value", &[]).await;
    let _ = r.connect("echo", &[("Ocp-Apim-Subscription-Key", KEY2)]).await.unwrap();
    r.connect("jwt", &[("Authorization", &format!("Bearer {token}"))]).await.unwrap();
    r.connect("tenant/api?key=secret-custom-key&access_token=tok-secret-1", &[("X-Tenant", "contoso")])
        .await
        .unwrap_err();
    wait_for_end(&r.gateway).await;
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.lines().count() >= 6, "{text}");
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["operation"] == "onHandshake" || v["operation"] == "onClose", "{line}");
    }
    for secret in [KEY, KEY2, "wrong-secret-value", &token, "secret-custom-key", "tok-secret-1"] {
        assert!(!text.contains(secret), "secret {secret} in log:\n{text}");
    }
    assert!(text.contains("\"url\":\"/echo?subscription-key=••••••&x=1\""), "{text}");
    assert!(text.contains("\"duration_ms\""), "{text}");
}

#[tokio::test]
async fn test_rate_limit_gets_429() {
    let r = rig().await;
    r.connect("limited", &[]).await.unwrap();
    r.connect("limited", &[]).await.unwrap();
    let (status, body) = r.refused("limited", &[]).await;
    assert_eq!(status, 429);
    assert!(body.contains("Rate limit is exceeded"), "{body}");
}

#[tokio::test]
async fn test_ip_filter_gets_403() {
    let r = rig().await;
    assert_eq!(r.refused("blocked", &[]).await.0, 403);
}

#[tokio::test]
async fn test_check_header_set_header_and_custom_key_names() {
    let r = rig().await;
    // The custom key names replace the defaults.
    assert_eq!(r.refused(&format!("tenant/api?subscription-key={KEY}"), &[("X-Tenant", "contoso")]).await.0, 401);
    let (status, body) = r.refused(&format!("tenant/api?key={KEY}"), &[("X-Tenant", "fabrikam")]).await;
    assert_eq!((status, body.contains("Tenant not allowed.")), (403, true), "{body}");
    r.connect("tenant/api?q=1", &[("X-Key", KEY), ("X-Tenant", "CONTOSO")]).await.unwrap();
    let seen = r.backend.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen.uri, "/tenant?q=1&added=1");
    assert_eq!(seen.headers["x-from-gateway"], "yes");
    assert!(seen.headers.get("x-key").is_none());
}

#[tokio::test]
async fn test_oversized_headers_get_431() {
    let r = rig_with("max_header_bytes = 8192").await;
    let big = "a".repeat(20_000);
    let request = format!("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let text = raw_http(r.gateway.addr, &request).await;
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
}

#[tokio::test]
async fn test_max_connections_gets_503() {
    let r = rig_with("max_connections = 1").await;
    let first = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    let (status, body) = r.refused(&format!("echo?subscription-key={KEY}"), &[]).await;
    assert_eq!(status, 503);
    assert!(body.contains("limit of 1"), "{body}");
    drop(first);
    // The slot is freed once the first connection ends.
    tokio::time::timeout(WAIT, async {
        while r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("slot never freed");
}

#[tokio::test]
async fn test_idle_connection_is_closed_with_1001() {
    let r = rig_with("idle_timeout_secs = 1").await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    match next_message(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!((u16::from(f.code), f.reason.as_str()), (1001, "idle timeout")),
        other => panic!("expected close, got {other:?}"),
    }
}

#[tokio::test]
async fn test_oversized_message_closes_with_1009() {
    let r = rig_with("max_message_bytes = 1024").await;
    let mut ws = r.connect(&format!("echo?subscription-key={KEY}"), &[]).await.unwrap();
    ws.send(Message::binary(vec![7u8; 4096])).await.unwrap();
    match next_message(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1009),
        other => panic!("expected close, got {other:?}"),
    }
}

#[tokio::test]
async fn test_config_errors_name_file_line_and_column() {
    let err =
        GatewayConfig::parse("gw.toml", "[[apis]]\nname = \"a\"\nbogus = 1\n", &fixtures()).unwrap_err().to_string();
    assert!(err.starts_with("gw.toml:3:1") && err.contains("bogus"), "{err}");
    let bad_url = "[[apis]]\nname = \"a\"\nurl_suffix = \"a\"\nbackend = \"http://x\"\n";
    let err = GatewayConfig::parse("gw.toml", bad_url, &fixtures()).unwrap_err().to_string();
    assert!(err.starts_with("gw.toml:4:") && err.contains("ws://"), "{err}");
    let two_keys = "[[apis]]\nname = \"a\"\nurl_suffix = \"a\"\nbackend = \"ws://x\"\n[apis.policies.validate_jwt]\nhs256_secret = \"s\"\njwks_file = \"jwks.json\"\n";
    let err = GatewayConfig::parse("gw.toml", two_keys, &fixtures()).unwrap_err().to_string();
    assert!(err.starts_with("gw.toml:") && err.contains("exactly one"), "{err}");
    let bad_ip = "[[apis]]\nname = \"a\"\nurl_suffix = \"a\"\nbackend = \"ws://x\"\n[apis.policies.ip_filter]\naction = \"allow\"\naddresses = [\"10.0.0.0/99\"]\n";
    let err = GatewayConfig::parse("gw.toml", bad_ip, &fixtures()).unwrap_err().to_string();
    assert!(err.starts_with("gw.toml:7:") && err.contains("prefix"), "{err}");
}

#[test]
fn test_example_config_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/gateway.example.toml");
    GatewayConfig::load(&path).unwrap();
}
