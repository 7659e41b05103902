//! The hub's HTTP event handlers: an application written with `@azure/web-pubsub-express`
//! accepts or refuses connects, names users and answers `invoke`; a hand-written upstream checks
//! the CloudEvents headers, the signature and the abuse-protection handshake.

mod node;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use http::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use wstab_core::webpubsub_token::{self, ConnectionString, TokenRequest};
use wstab_emulator::demo::{self, Demo, DemoOptions};
use wstab_emulator::hub::upstream::{EventHandlerConfig, signature};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(15);

fn handler(url: String) -> EventHandlerConfig {
    EventHandlerConfig {
        hub: "chat".into(),
        url_template: url,
        user_events: vec!["*".into()],
        system_events: vec!["connect".into(), "connected".into(), "disconnected".into()],
    }
}

async fn demo_with(url: String) -> Demo {
    demo::start_with(0, DemoOptions { event_handlers: vec![handler(url)], ..Default::default() }).await.unwrap()
}

/// Connects to the hub directly as `user` with the JSON protocol.
async fn connect(demo: &Demo, user: &str) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
    connect_as(demo, user, Some("json.webpubsub.azure.v1")).await
}

/// Connects to the hub directly as `user`, offering `protocol` (`None`: a simple client).
async fn connect_as(
    demo: &Demo,
    user: &str,
    protocol: Option<&str>,
) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let cs = ConnectionString::parse(&demo.connection_string).unwrap();
    let mut req = TokenRequest::new("chat");
    req.user = Some(user.into());
    req.ttl = Duration::from_secs(600);
    let token = webpubsub_token::client_access(&cs, &req).unwrap().token;
    let url = format!("{}/client/hubs/chat?access_token={token}", demo.hub_url.replace("http", "ws"));
    let mut request = url.into_client_request().unwrap();
    if let Some(p) = protocol {
        request.headers_mut().insert("Sec-WebSocket-Protocol", p.parse().unwrap());
    }
    let (ws, _) =
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("handshake in time")?;
    Ok(ws)
}

async fn recv(ws: &mut Client) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

fn refused_status(e: tokio_tungstenite::tungstenite::Error) -> u16 {
    match e {
        tokio_tungstenite::tungstenite::Error::Http(res) => res.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

#[tokio::test]
async fn test_express_handler_refuses_names_users_and_answers_invoke() {
    let mut app = node::spawn("upstream_express.mjs", &["chat"]);
    let port = app.line_starting("port ", WAIT).await;
    let demo = demo_with(format!("http://127.0.0.1:{port}/eventhandler")).await;

    // connect refused by the handler: the client's handshake gets its 401.
    let err = connect(&demo, "mallory").await.expect_err("mallory is refused");
    assert_eq!(refused_status(err), 401);

    // connect accepted: the handler's userId and groups replace the token's.
    let mut bob = connect(&demo, "bob").await.expect("bob connects");
    let hello = recv(&mut bob).await;
    assert_eq!(hello["userId"], "upstream-bob", "{hello}");
    let id = hello["connectionId"].as_str().unwrap().to_string();
    let connected = app.line_starting("event connected ", WAIT).await;
    assert_eq!(connected, format!("{id} upstream-bob"));

    // invoke: the handler's answer comes back as the invokeResponse.
    let invoke =
        serde_json::json!({"type": "invoke", "invocationId": "7", "event": "echo", "dataType": "text", "data": "ping"});
    bob.send(Message::text(invoke.to_string())).await.unwrap();
    let answer = recv(&mut bob).await;
    assert_eq!(answer["type"], "invokeResponse", "{answer}");
    assert_eq!(answer["invocationId"], "7");
    assert_eq!(answer["success"], true, "{answer}");
    assert_eq!(answer["data"], "upstream says: ping");

    // An event the handler fails: the invocation fails with its status's name.
    let invoke =
        serde_json::json!({"type": "invoke", "invocationId": "8", "event": "nope", "dataType": "text", "data": "x"});
    bob.send(Message::text(invoke.to_string())).await.unwrap();
    let answer = recv(&mut bob).await;
    assert_eq!(
        (answer["success"].as_bool(), answer["error"]["name"].as_str()),
        (Some(false), Some("BadRequest")),
        "{answer}"
    );

    bob.close(None).await.unwrap();
    let gone = app.line_starting("event disconnected ", WAIT).await;
    assert_eq!(gone, id);
}

/// A client access URL for the demo's chat hub: straight to the hub, or through its gateway
/// (with the subscription key), as the SDKs are given it.
fn chat_url(demo: &Demo, through_gateway: bool) -> String {
    let token = demo.chat_token(Duration::from_secs(600)).unwrap();
    if through_gateway {
        let key = &demo.subscription_key;
        format!("ws://{}/client/hubs/chat?access_token={token}&subscription-key={key}", demo.gateway_addr())
    } else {
        format!("{}/client/hubs/chat?access_token={token}", demo.hub_url.replace("http", "ws"))
    }
}

/// `@azure/web-pubsub-client` sends events an `@azure/web-pubsub-express` handler answers: each
/// answer arrives as a `server-message` with its data type, before the event's ack.
async fn sdk_user_events_get_the_handler_answers(through_gateway: bool) {
    let mut app = node::spawn("upstream_express.mjs", &["chat"]);
    let port = app.line_starting("port ", WAIT).await;
    let demo = demo_with(format!("http://127.0.0.1:{port}/eventhandler")).await;
    let arg = serde_json::json!({"url": chat_url(&demo, through_gateway)}).to_string();
    let out = node::run("user_event.mjs", &[&arg], &[], Duration::from_secs(60)).await;
    let report = |event: &str| {
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["event"] == event)
            .unwrap_or_else(|| panic!("no {event} report\n{out:?}"))
    };
    let answers = report("answers");
    assert_eq!(
        answers["got"],
        serde_json::json!([
            {"dataType": "text", "data": "upstream says: hi"},
            {"dataType": "json", "data": {"got": {"n": 1}}},
            {"dataType": "binary", "data": [1, 2, 3]},
        ]),
        "{out:?}"
    );
    // Each answer was in when its sendEvent resolved; "quiet" (an empty 200) sent nothing.
    assert_eq!(answers["counts"], serde_json::json!({"echo": 1, "json": 2, "bin": 3, "quiet": 3, "nope": 3}));
    assert_eq!(answers["error"]["name"], "BadRequest", "{answers}");
    assert!(answers["error"]["message"].as_str().is_some_and(|m| m.contains("unknown event nope")), "{answers}");
    assert_eq!(report("stopped")["closeCode"], 1000, "{out:?}");
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[tokio::test]
async fn test_sdk_user_events_get_the_handler_answers_directly() {
    sdk_user_events_get_the_handler_answers(false).await;
}

#[tokio::test]
async fn test_sdk_user_events_get_the_handler_answers_through_the_gateway() {
    sdk_user_events_get_the_handler_answers(true).await;
}

#[tokio::test]
async fn test_event_answer_precedes_its_ack_and_a_simple_clients_frame_is_answered_as_a_frame() {
    let mut app = node::spawn("upstream_express.mjs", &["chat"]);
    let port = app.line_starting("port ", WAIT).await;
    let demo = demo_with(format!("http://127.0.0.1:{port}/eventhandler")).await;

    let mut bob = connect(&demo, "bob").await.expect("bob connects");
    assert_eq!(recv(&mut bob).await["event"], "connected");
    let send = |v: Value| Message::text(v.to_string());
    bob.send(send(serde_json::json!({"type": "event", "event": "echo", "dataType": "text", "data": "yo", "ackId": 1})))
        .await
        .unwrap();
    assert_eq!(
        recv(&mut bob).await,
        serde_json::json!({"type": "message", "from": "server", "dataType": "text", "data": "upstream says: yo"})
    );
    assert_eq!(recv(&mut bob).await, serde_json::json!({"type": "ack", "ackId": 1, "success": true}));
    // An empty answer: only the ack.
    bob.send(send(serde_json::json!({"type": "event", "event": "quiet", "dataType": "json", "data": 1, "ackId": 2})))
        .await
        .unwrap();
    assert_eq!(recv(&mut bob).await, serde_json::json!({"type": "ack", "ackId": 2, "success": true}));
    // A payload that does not match its dataType never reaches the handler.
    let bad = serde_json::json!({"type": "event", "event": "echo", "dataType": "binary", "data": "%%", "ackId": 3});
    bob.send(send(bad)).await.unwrap();
    let ack = recv(&mut bob).await;
    assert_eq!((ack["ackId"].as_u64(), ack["error"]["name"].as_str()), (Some(3), Some("InvalidPayload")), "{ack}");

    // A simple client's frame is the `message` event; the answer comes back as a bare frame.
    let mut simple = connect_as(&demo, "sam", None).await.expect("sam connects");
    simple.send(Message::text("hello")).await.unwrap();
    let frame = loop {
        match tokio::time::timeout(WAIT, simple.next()).await.expect("an answer in time") {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => break other,
        }
    };
    assert!(matches!(&frame, Some(Ok(Message::Text(t))) if t.as_str() == "upstream says: hello"), "{frame:?}");
}

/// What a hand-written upstream saw.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(http::Method, http::HeaderMap, String)>>,
}

/// An upstream answering OPTIONS with `allowed` as `WebHook-Allowed-Origin` (none if empty)
/// and `connect` with 204.
async fn fake_upstream(allowed: &'static str, shutdown: CancellationToken) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let record = seen.clone();
    let handler: Handler = Arc::new(move |req, _| {
        let record = record.clone();
        async move {
            use http_body_util::BodyExt;
            let (parts, body) = req.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let options = parts.method == http::Method::OPTIONS;
            record.lock().unwrap().push((parts.method, parts.headers, String::from_utf8_lossy(&body).into_owned()));
            let mut res =
                wsserver::response(if options { StatusCode::OK } else { StatusCode::NO_CONTENT }, "text/plain", "");
            if options && !allowed.is_empty() {
                res.headers_mut().insert("WebHook-Allowed-Origin", allowed.parse().unwrap());
            }
            Reply::Http(res)
        }
        .boxed()
    });
    let server =
        wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, ServerOptions::default(), shutdown).await.unwrap();
    (format!("http://{}/upstream/{{hub}}/{{event}}", server.addr), seen)
}

impl std::ops::Deref for Seen {
    type Target = Mutex<Vec<(http::Method, http::HeaderMap, String)>>;
    fn deref(&self) -> &Self::Target {
        &self.requests
    }
}

#[tokio::test]
async fn test_connect_event_carries_cloudevents_headers_and_the_signature_after_abuse_protection() {
    let stop = CancellationToken::new();
    let (url, seen) = fake_upstream("*", stop.clone()).await;
    let demo = demo_with(url).await;
    let mut ws = connect(&demo, "carol").await.expect("204 from connect accepts the client");
    let hello = recv(&mut ws).await;
    assert_eq!(hello["userId"], "carol", "a 204 keeps the token's user: {hello}");
    let id = hello["connectionId"].as_str().unwrap().to_string();

    let requests = seen.lock().unwrap().clone();
    let (first, connect) = (&requests[0], &requests[1]);
    assert_eq!(first.0, http::Method::OPTIONS, "abuse protection comes first");
    let origin = first.1.get("WebHook-Request-Origin").and_then(|v| v.to_str().ok()).unwrap();
    assert!(demo.hub_url.ends_with(origin), "{origin} names the hub");
    assert_eq!(connect.0, http::Method::POST);
    let h = |name: &str| connect.1.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(h("ce-type"), "azure.webpubsub.sys.connect");
    assert_eq!(h("ce-specversion"), "1.0");
    assert_eq!(h("ce-hub"), "chat");
    assert_eq!(h("ce-eventName"), "connect");
    assert_eq!(h("ce-connectionId"), id);
    assert_eq!(h("ce-userId"), "carol");
    assert_eq!(h("ce-signature"), signature(demo::DEFAULT_ACCESS_KEY, &id));
    let body: Value = serde_json::from_str(&connect.2).unwrap();
    assert_eq!(body["claims"]["sub"], serde_json::json!(["carol"]));
    assert!(body["query"].get("access_token").is_none(), "the token is not handed on: {body}");
    stop.cancel();
}

#[tokio::test]
async fn test_upstream_failing_abuse_protection_gets_no_event_and_the_client_is_refused() {
    let stop = CancellationToken::new();
    let (url, seen) = fake_upstream("", stop.clone()).await;
    let demo = demo_with(url).await;
    let err = connect(&demo, "dave").await.expect_err("refused");
    assert_eq!(refused_status(err), 500);
    let requests = seen.lock().unwrap().clone();
    assert!(requests.iter().all(|r| r.0 == http::Method::OPTIONS), "no event was posted: {:?}", requests.len());
    assert!(!requests.is_empty());
    stop.cancel();
}
