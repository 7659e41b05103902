//! TLS like the real thing: the demo's gateway (`wss://`) and hub (`https://`) with a CA
//! generated at start, trusted by wstab's client (`--ca`) and by node (NODE_EXTRA_CA_CERTS).

mod node;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wstab_core::connection::{TlsOptions, client_config};
use wstab_core::webpubsub_token::{self, ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest};
use wstab_emulator::demo::{self, DemoOptions};
use wstab_emulator::tls::ServerTls;

const WAIT: Duration = Duration::from_secs(15);

async fn tls_demo(dir: &tempfile::TempDir) -> demo::Demo {
    let tls = ServerTls::self_signed(&dir.path().join("ca.pem")).unwrap();
    demo::start_with(0, DemoOptions { tls: Some(tls), ..Default::default() }).await.unwrap()
}

#[tokio::test]
async fn test_wstab_client_with_the_printed_ca_talks_wss_through_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let demo = tls_demo(&dir).await;
    assert!(demo.gateway_url.starts_with("wss://"), "{}", demo.gateway_url);
    assert!(demo.connection_string.starts_with("Endpoint=https://"), "{}", demo.connection_string);
    let ca = demo.ca_file.clone().expect("the CA file is reported");
    assert!(demo.json_line().contains(&ca.display().to_string()), "{}", demo.json_line());

    // What `wstab connect --ca FILE` builds.
    let config = client_config(&TlsOptions { insecure: false, ca_file: Some(ca.clone()) }).unwrap();
    let url = format!("{}/echo?subscription-key={}", demo.gateway_url, demo.subscription_key);
    let connector = tokio_tungstenite::Connector::Rustls(config);
    let (mut ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async_tls_with_config(url.as_str(), None, false, Some(connector)),
    )
    .await
    .unwrap()
    .expect("wss handshake with the CA trusted");
    ws.send(Message::text("over tls")).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echoed, Message::text("over tls"));

    // Without the CA the certificate is refused.
    let plain = client_config(&TlsOptions::default()).unwrap();
    let refused = tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        None,
        false,
        Some(tokio_tungstenite::Connector::Rustls(plain)),
    )
    .await;
    assert!(refused.is_err(), "an unknown CA must not be trusted");
}

#[tokio::test]
async fn test_node_sdks_trust_the_ca_through_node_extra_ca_certs() {
    let dir = tempfile::tempdir().unwrap();
    let demo = tls_demo(&dir).await;
    let ca = demo.ca_file.clone().unwrap().display().to_string();
    let cs = ConnectionString::parse(&demo.connection_string).unwrap();
    let req = TokenRequest {
        hub: demo::CHAT_HUB.into(),
        user: Some("tls-user".into()),
        roles: vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()],
        groups: Vec::new(),
        ttl: Duration::from_secs(600),
    };
    let token = webpubsub_token::client_access(&cs, &req).unwrap().token;
    // The client SDK through the TLS gateway.
    let url = format!(
        "{}/client/hubs/chat?access_token={token}&subscription-key={}",
        demo.gateway_url, demo.subscription_key
    );
    let out = node::run("tls_client.mjs", &[&url], &[("NODE_EXTRA_CA_CERTS", &ca)], Duration::from_secs(60)).await;
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("received over tls"), "{}", out.stdout);

    // The server SDK on the https connection string, unchanged (no allowInsecureConnection).
    let script = "import { WebPubSubServiceClient } from '@azure/web-pubsub';\
        const s = new WebPubSubServiceClient(process.argv[1], 'chat');\
        await s.sendToAll('hello');\
        console.log('exists ' + await s.groupExists('nobody'));";
    let out = node::run(
        "--input-type=module",
        &["-e", script, &demo.connection_string],
        &[("NODE_EXTRA_CA_CERTS", &ca)],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("exists false"), "{}", out.stdout);
}

/// A `wss://` backend behind the gateway: its handshake goes over TLS, the subprotocol it
/// chooses comes back, a frame it sends with its 101 is not lost, frames relay both ways over
/// the TLS socket, and its refusal (status and body) is what the client would get.
#[tokio::test]
async fn test_the_gateway_handshakes_with_a_wss_backend() {
    use futures_util::FutureExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use wstab_emulator::gateway::forward;
    use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("backend-ca.pem");
    let tls = ServerTls::self_signed(&ca).unwrap();
    let handler: Handler = Arc::new(|req, _| {
        async move {
            if req.uri().path() == "/deny" {
                let body = r#"{"error":"no entry"}"#;
                return Reply::Http(wsserver::response(http::StatusCode::FORBIDDEN, "application/json", body));
            }
            Reply::Upgrade {
                response: wsserver::switching_protocols(req.headers(), Some("json.v2")),
                on_upgrade: Box::new(|mut ws| {
                    async move {
                        // Speaks first: these bytes may arrive with the 101.
                        let _ = ws.send(Message::text("hello")).await;
                        while let Some(Ok(m)) = ws.next().await {
                            if m.is_text() && ws.send(m).await.is_err() {
                                break;
                            }
                        }
                    }
                    .boxed()
                }),
            }
        }
        .boxed()
    });
    let stop = tokio_util::sync::CancellationToken::new();
    let options = ServerOptions { tls: Some(tls), ..ServerOptions::default() };
    let backend = wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, options, stop.clone()).await.unwrap();
    let config = client_config(&TlsOptions { insecure: false, ca_file: Some(ca) }).unwrap();

    let mut request = format!("wss://localhost:{}/chat", backend.addr.port()).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "json.v1, json.v2".parse().unwrap());
    let (mut halves, protocol) =
        forward::connect(request, "wss://localhost/chat", Some(config.clone()), WAIT).await.expect("TLS handshake");
    assert_eq!(protocol.as_deref(), Some("json.v2"));
    // A masked text frame "hi" (mask 0), as a client sends.
    halves.write.write_all(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']).await.unwrap();
    halves.write.flush().await.unwrap();
    let expected: &[u8] = &[0x81, 5, b'h', b'e', b'l', b'l', b'o', 0x81, 2, b'h', b'i'];
    let mut got = halves.prefix.to_vec();
    while got.len() < expected.len() {
        let mut chunk = [0u8; 64];
        let n = tokio::time::timeout(WAIT, halves.read.read(&mut chunk)).await.unwrap().unwrap();
        assert!(n > 0, "the backend closed early; got {got:?}");
        got.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(got, expected);

    let request = format!("wss://localhost:{}/deny", backend.addr.port()).into_client_request().unwrap();
    let Err(refusal) = forward::connect(request, "wss://localhost/deny", Some(config), WAIT).await else {
        panic!("the backend's refusal was not passed on");
    };
    assert_eq!(refusal.status, http::StatusCode::FORBIDDEN);
    assert_eq!(&refusal.body[..], br#"{"error":"no entry"}"#);
    assert_eq!(refusal.content_type, "application/json");
    stop.cancel();
}
