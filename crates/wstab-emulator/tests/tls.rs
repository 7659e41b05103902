//! TLS like the real thing: the demo's gateway (`wss://`) and hub (`https://`) with a CA
//! generated at start, trusted by wstab's client (`--ca`) and by node (NODE_EXTRA_CA_CERTS).

mod node;

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
