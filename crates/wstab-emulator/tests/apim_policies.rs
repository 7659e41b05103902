//! The sample APIM export (`assets/apim-sample`) through the gateway with real WebSocket
//! clients: each policy's effect, APIM's refusals, `<base />` order across scopes, the trace,
//! and every refused or unsupported construct with its `file:line:col`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{FutureExt, SinkExt, StreamExt};
use http::{HeaderMap, Response};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use wstab_emulator::gateway::policy_xml::apim_dir::{self, LOCAL_KEY};
use wstab_emulator::gateway::{Gateway, LogRecord, LogSink};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

const WAIT: Duration = Duration::from_secs(5);
/// base64 of this is the key in the sample's chat policy.
const CHAT_SECRET: &[u8] = b"wstab-sample-signing-key-0123456789";

#[derive(Debug, Clone)]
struct Seen {
    backend: &'static str,
    uri: String,
    headers: HeaderMap,
}

type SeenLog = Arc<Mutex<Vec<Seen>>>;

/// A backend that records each handshake and accepts it.
async fn start_backend(name: &'static str, seen: SeenLog, stop: CancellationToken) -> SocketAddr {
    let handler: Handler = Arc::new(move |req, _| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(Seen {
                backend: name,
                uri: req.uri().to_string(),
                headers: req.headers().clone(),
            });
            let response = wsserver::switching_protocols(req.headers(), None);
            Reply::Upgrade {
                response,
                on_upgrade: Box::new(|mut ws| {
                    async move {
                        while let Some(Ok(m)) = ws.next().await {
                            if m.is_text() {
                                let _ = ws.send(m).await;
                            }
                        }
                    }
                    .boxed()
                }),
            }
        }
        .boxed()
    });
    wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, ServerOptions::default(), stop).await.unwrap().addr
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/apim-sample")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

struct Rig {
    gateway: Gateway,
    seen: SeenLog,
    _dir: tempfile::TempDir,
    _stop: CancellationToken,
}

/// The sample folder, its beta backend pointed at a local one, served by a gateway.
async fn rig() -> Rig {
    let stop = CancellationToken::new();
    let seen: SeenLog = Arc::default();
    let stable = start_backend("stable", seen.clone(), stop.clone()).await;
    let beta = start_backend("beta", seen.clone(), stop.clone()).await;
    let chat = start_backend("chat", seen.clone(), stop.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_dir(), dir.path());
    // The sample points set-backend-service at a local port, as a user would: use ours.
    let echo_policy = dir.path().join("apis/echo/policy.xml");
    let text = std::fs::read_to_string(&echo_policy).unwrap();
    std::fs::write(&echo_policy, text.replace("ws://localhost:8081/beta", &format!("ws://{beta}/beta"))).unwrap();
    let backends = [
        ("echo".to_string(), url::Url::parse(&format!("ws://{stable}/ws")).unwrap()),
        ("chat".to_string(), url::Url::parse(&format!("ws://{chat}/client/hubs/chat")).unwrap()),
    ];
    let (config, summary) = apim_dir::load(dir.path(), None, &backends, &[]).unwrap();
    assert_eq!(summary.skipped, vec!["orders".to_string()]);
    assert!(summary.local_key);
    let gateway =
        Gateway::start(config, "127.0.0.1:0".parse().unwrap(), Some("127.0.0.1:0".parse().unwrap()), LogSink::Memory)
            .await
            .unwrap();
    Rig { gateway, seen, _dir: dir, _stop: stop }
}

type Answer = Result<Response<Option<Vec<u8>>>, (u16, String, HeaderMap)>;

impl Rig {
    async fn connect(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut req = format!("ws://{}{path}", self.gateway.addr).into_client_request().unwrap();
        for (n, v) in headers {
            req.headers_mut().append(http::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await.expect("handshake timed out") {
            Ok((mut ws, res)) => {
                ws.send(Message::text("ping")).await.unwrap();
                let echoed = tokio::time::timeout(WAIT, ws.next()).await.expect("no echo").unwrap().unwrap();
                assert_eq!(echoed, Message::text("ping"));
                Ok(res)
            }
            Err(WsError::Http(res)) => {
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                Err((status, String::from_utf8(res.into_body().unwrap_or_default()).unwrap(), headers))
            }
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn last_seen(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().expect("no backend handshake")
    }

    fn last_handshake(&self) -> wstab_emulator::gateway::access_log::HandshakeRecord {
        self.gateway
            .log
            .recent()
            .into_iter()
            .rev()
            .find_map(|r| match r {
                LogRecord::Handshake(h) => Some(h),
                _ => None,
            })
            .expect("no handshake record")
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn chat_token(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(CHAT_SECRET)).unwrap()
}

fn good_chat_claims() -> serde_json::Value {
    serde_json::json!({"aud": "api://chat", "iss": "https://login.contoso.example/", "exp": now() + 600,
        "sub": "ada", "roles": ["chat.writer"]})
}

fn echo_path() -> String {
    format!("/echo?subscription-key={LOCAL_KEY}")
}

#[tokio::test]
async fn test_base_orders_scopes_as_apim_and_operation_sets_query() {
    let rig = rig().await;
    rig.connect(&echo_path(), &[("X-Client-Id", "order")]).await.unwrap();
    let seen = rig.last_seen();
    assert_eq!(seen.backend, "stable");
    let order: Vec<&str> = seen.headers.get_all("x-policy-order").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(order, ["api-before-base", "global", "product", "api", "operation"]);
    assert!(seen.uri.contains("source=apim-local"), "{}", seen.uri);
    assert!(!seen.uri.contains(LOCAL_KEY), "the key is stripped: {}", seen.uri);
    assert_eq!(seen.headers.get("x-caller").unwrap(), "local");
    assert_eq!(seen.headers.get("x-branch").unwrap(), "stable");
    let trace = rig.last_handshake().policies;
    let scopes: Vec<&str> = trace.iter().map(|s| s.scope.as_str()).collect();
    assert_eq!(scopes.first(), Some(&"api echo"));
    assert!(
        scopes.contains(&"global")
            && scopes.contains(&"product starter")
            && scopes.last() == Some(&"operation onHandshake")
    );
}

#[tokio::test]
async fn test_choose_branch_with_set_backend_service_reaches_the_beta_backend() {
    let rig = rig().await;
    rig.connect(&echo_path(), &[("X-Tier", "beta"), ("X-Client-Id", "beta")]).await.unwrap();
    let seen = rig.last_seen();
    assert_eq!(seen.backend, "beta");
    assert!(seen.uri.starts_with("/beta"), "{}", seen.uri);
    assert_eq!(seen.headers.get("x-branch").unwrap(), "beta");
    let trace = rig.last_handshake().policies;
    assert!(trace.iter().any(|s| s.policy == "choose" && s.detail == "when #2 matched"), "{trace:?}");
    assert!(trace.iter().any(|s| s.policy == "set-backend-service" && s.detail.contains("/beta")));
}

#[tokio::test]
async fn test_return_response_answers_with_its_status_headers_and_body() {
    let rig = rig().await;
    let (status, body, headers) =
        rig.connect(&format!("{}&mode=maintenance", echo_path()), &[("X-Client-Id", "maint")]).await.unwrap_err();
    assert_eq!(status, 503);
    assert_eq!(body, r#"{"status": "maintenance", "message": "Echo is down for maintenance."}"#);
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert_eq!(headers.get("retry-after").unwrap(), "120");
    assert!(rig.seen.lock().unwrap().is_empty(), "the backend is never reached");
    assert_eq!(rig.last_handshake().policies.last().unwrap().outcome, "returned");
}

#[tokio::test]
async fn test_rate_limit_by_key_gives_429_with_retry_after_and_counts_per_key() {
    let rig = rig().await;
    for _ in 0..3 {
        rig.connect(&echo_path(), &[("X-Client-Id", "burst")]).await.unwrap();
    }
    let rl = rig.last_handshake().policies.into_iter().find(|s| s.policy == "rate-limit-by-key").unwrap();
    assert_eq!(rl.detail, "counter key \"burst\": 0 of 3 calls left in 60 s");
    let (status, body, headers) = rig.connect(&echo_path(), &[("X-Client-Id", "burst")]).await.unwrap_err();
    assert_eq!(status, 429);
    assert!(body.starts_with(r#"{"statusCode": 429, "message": "Rate limit is exceeded. Try again in "#), "{body}");
    let retry: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert!(rig.last_handshake().reason.contains("rate-limit-by-key"));
    // Another key has its own counter.
    rig.connect(&echo_path(), &[("X-Client-Id", "other")]).await.unwrap();
}

fn chat_path(token: &str) -> String {
    format!("/client/hubs/chat?chat-key={LOCAL_KEY}&access_token={token}")
}

#[tokio::test]
async fn test_validate_jwt_accepts_a_good_token_with_the_apis_own_key_name() {
    let rig = rig().await;
    rig.connect(&chat_path(&chat_token(good_chat_claims())), &[("X-Chat-Client", "tests")]).await.unwrap();
    assert_eq!(rig.last_seen().backend, "chat");
    let jwt = rig.last_handshake().policies.into_iter().find(|s| s.policy == "validate-jwt").unwrap();
    assert_eq!(jwt.detail, "token from query parameter access_token is valid (sub ada)");
    // The default key name is not this API's.
    let (status, _, _) = rig
        .connect(&format!("/client/hubs/chat?subscription-key={LOCAL_KEY}"), &[("X-Chat-Client", "tests")])
        .await
        .unwrap_err();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn test_validate_jwt_failures_get_401_with_apims_body_and_the_failed_check_in_the_trace() {
    let rig = rig().await;
    let mut expired = good_chat_claims();
    expired["exp"] = (now() - 600).into();
    let mut wrong_aud = good_chat_claims();
    wrong_aud["aud"] = "api://other".into();
    let mut no_role = good_chat_claims();
    no_role["roles"] = serde_json::json!(["chat.admin"]);
    let bad_sig = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good_chat_claims(),
        &EncodingKey::from_secret(b"not-the-sample-key-at-all-000000"),
    )
    .unwrap();
    let cases = [
        (
            format!("/client/hubs/chat?chat-key={LOCAL_KEY}"),
            "JWT not present.",
            "JWT not present in query parameter access_token",
        ),
        (chat_path(&chat_token(expired)), "Invalid JWT.", "JWT validation failed: token has expired"),
        (chat_path(&chat_token(wrong_aud)), "Invalid JWT.", "JWT validation failed: audience (aud) is not accepted"),
        (chat_path(&bad_sig), "Invalid JWT.", "JWT validation failed: signature is invalid"),
        (
            chat_path(&chat_token(no_role)),
            "Invalid JWT.",
            "claim roles does not hold any of [\"chat.reader\", \"chat.writer\"]",
        ),
    ];
    for (path, message, detail) in cases {
        let (status, body, _) = rig.connect(&path, &[("X-Chat-Client", "tests")]).await.unwrap_err();
        assert_eq!(status, 401, "{detail}");
        assert_eq!(body, format!(r#"{{"statusCode": 401, "message": "{message}"}}"#));
        let record = rig.last_handshake();
        let step = record.policies.last().unwrap();
        assert_eq!(
            (step.policy.as_str(), step.outcome.as_str(), step.detail.as_str()),
            ("validate-jwt", "refused", detail)
        );
        assert!(step.location.ends_with("apis/chat/policy.xml:5:5"), "{}", step.location);
        assert!(record.reason.contains(detail) && !record.reason.contains("eyJ"), "{}", record.reason);
    }
}

#[tokio::test]
async fn test_check_header_and_ip_filter_refuse_with_apims_status_and_body() {
    let rig = rig().await;
    let token = chat_token(good_chat_claims());
    let (status, body, _) = rig.connect(&chat_path(&token), &[]).await.unwrap_err();
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"statusCode": 400, "message": "The X-Chat-Client header is required."}"#)
    );
    let (status, body, _) =
        rig.connect(&chat_path(&token), &[("X-Chat-Client", "t"), ("X-Zone", "restricted")]).await.unwrap_err();
    assert_eq!((status, body.as_str()), (403, r#"{"statusCode": 403, "message": "Forbidden"}"#));
    let step = rig.last_handshake().policies.last().cloned().unwrap();
    assert_eq!(step.detail, "caller IP 127.0.0.1 is not listed (allow)");
    assert_eq!(step.scope, "operation onHandshake");
}

#[tokio::test]
async fn test_ocp_apim_trace_gives_a_trace_location_on_the_admin_address() {
    let rig = rig().await;
    let res = rig.connect(&echo_path(), &[("Ocp-Apim-Trace", "true"), ("X-Client-Id", "trace")]).await.unwrap();
    let location = res.headers().get("ocp-apim-trace-location").expect("trace location").to_str().unwrap().to_string();
    let admin = rig.gateway.admin_addr.unwrap();
    let path = location.strip_prefix(&format!("http://{admin}")).expect("points at the admin address");
    let body = http_get(admin, path).await;
    let json: serde_json::Value = serde_json::from_str(body.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["status"], 101);
    let policies = json["policies"].as_array().unwrap();
    assert!(policies.iter().any(|p| p["policy"] == "quota" && p["detail"].as_str().unwrap().contains("calls left")));
    assert!(policies.iter().all(|p| p["elapsed_us"].is_u64() && p["location"].as_str().unwrap().contains(".xml:")));
    // A refused handshake carries it too; without the header there is none.
    let (_, _, headers) = rig
        .connect(&format!("{}&mode=maintenance", echo_path()), &[("Ocp-Apim-Trace", "true"), ("X-Client-Id", "trace")])
        .await
        .unwrap_err();
    assert!(headers.contains_key("ocp-apim-trace-location"));
    let res = rig.connect(&echo_path(), &[("X-Client-Id", "trace2")]).await.unwrap();
    assert!(!res.headers().contains_key("ocp-apim-trace-location"));
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await.expect("response timed out").unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

#[test]
fn test_a_refused_policy_in_the_export_stops_the_load_with_its_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_dir(), dir.path());
    let op = dir.path().join("apis/echo/operations/onHandshake/policy.xml");
    let text = std::fs::read_to_string(&op).unwrap();
    std::fs::write(
        &op,
        text.replacen("    <base />\n", "    <base />\n    <mock-response status-code=\"200\" />\n", 1),
    )
    .unwrap();
    let backends = [("echo".to_string(), url::Url::parse("ws://127.0.0.1:1/").unwrap())];
    let e = apim_dir::load(dir.path(), None, &backends, &[]).unwrap_err().to_string();
    assert!(e.contains("apis/echo/operations/onHandshake/policy.xml:4:5: <mock-response> is not allowed"), "{e}");
    // A --backend naming no WebSocket API is an error, not ignored.
    let unknown = [("orders".to_string(), url::Url::parse("ws://127.0.0.1:1/").unwrap())];
    std::fs::write(&op, text).unwrap();
    let e = apim_dir::load(dir.path(), None, &unknown, &[]).unwrap_err().to_string();
    assert!(e.contains("--backend orders"), "{e}");
}

#[tokio::test]
async fn test_subscription_flag_replaces_the_local_key() {
    let dir = sample_dir();
    let backends = [
        ("echo".to_string(), url::Url::parse("ws://127.0.0.1:1/").unwrap()),
        ("chat".to_string(), url::Url::parse("ws://127.0.0.1:1/").unwrap()),
    ];
    let subs = [("team".to_string(), "team-key-1".to_string())];
    let (config, summary) = apim_dir::load(&dir, None, &backends, &subs).unwrap();
    assert!(!summary.local_key);
    assert_eq!(config.subscriptions.iter().map(|s| s.primary_key.as_str()).collect::<Vec<_>>(), ["team-key-1"]);
    let suffixes: Vec<&str> = config.apis.iter().map(|a| a.url_suffix.as_str()).collect();
    assert_eq!(suffixes, ["client/hubs/chat", "echo"]);
    assert_eq!(config.apis[0].subscription_key.query, "chat-key");
}
