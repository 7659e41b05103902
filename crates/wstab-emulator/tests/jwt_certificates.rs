//! `validate-jwt` with `<key certificate-id="…" />`: the certificate given to the gateway
//! (`[[certificates]]`, or `--certificate ID=PEMFILE` through `GatewayConfig::load_with`)
//! checks real RS256 tokens: one signed by the certificate's key is let through to the backend,
//! one signed by another key gets APIM's 401, and an id nobody gave stops the load naming
//! `file:line:col` and the flag.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{FutureExt, SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use wstab_emulator::gateway::config::CertificateConfig;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogSink};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

const WAIT: Duration = Duration::from_secs(10);

/// A fresh 2048-bit RSA key as PKCS#8 PEM.
fn rsa_key() -> String {
    let key = rsa::RsaPrivateKey::new(&mut rand_core06::OsRng, 2048).expect("RSA key generated");
    key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8").to_string()
}

/// A self-signed certificate for `key_pem`, as an identity provider publishes its signing cert.
fn certificate(key_pem: &str) -> String {
    let key = rcgen::KeyPair::from_pem(key_pem).expect("rcgen takes the RSA key");
    rcgen::CertificateParams::new(vec!["login.contoso.example".into()]).unwrap().self_signed(&key).unwrap().pem()
}

fn token(key_pem: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = serde_json::json!({"aud": "api://secure", "sub": "ada", "exp": now + 600});
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).expect("signing key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
}

/// An echo backend.
async fn backend(stop: CancellationToken) -> SocketAddr {
    let handler: Handler = Arc::new(|req, _| {
        async move {
            let response = wsserver::switching_protocols(req.headers(), None);
            let on_upgrade = Box::new(|mut ws: wsserver::ServerWs| {
                async move {
                    while let Some(Ok(m)) = ws.next().await {
                        if m.is_text() && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
                .boxed()
            });
            Reply::Upgrade { response, on_upgrade }
        }
        .boxed()
    });
    wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, ServerOptions::default(), stop).await.unwrap().addr
}

const POLICY: &str = r#"<policies>
  <inbound>
    <base />
    <validate-jwt query-parameter-name="access_token">
      <issuer-signing-keys>
        <key certificate-id="idp-signing" />
      </issuer-signing-keys>
      <audiences>
        <audience>api://secure</audience>
      </audiences>
    </validate-jwt>
  </inbound>
</policies>
"#;

/// Writes the gateway TOML (with `extra` appended) and the policy beside it.
fn write_config(dir: &Path, backend: SocketAddr, extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("policy.xml"), POLICY).unwrap();
    let toml = dir.join("gateway.toml");
    std::fs::write(
        &toml,
        format!(
            "[[apis]]\nname = \"secure\"\nurl_suffix = \"secure\"\nbackend = \"ws://{backend}/\"\nsubscription_required = false\n\n[apis.policies]\non_handshake_xml = \"policy.xml\"\n{extra}"
        ),
    )
    .unwrap();
    toml
}

/// Connects with `token`: `Ok` after an echo, or the refusal's status and body.
async fn connect(gateway: &Gateway, token: &str) -> Result<(), (u16, String)> {
    let url = format!("ws://{}/secure?access_token={token}", gateway.addr);
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.expect("handshake in time") {
        Ok((mut ws, _)) => {
            ws.send(Message::text("through")).await.unwrap();
            let echoed = tokio::time::timeout(WAIT, ws.next()).await.expect("an echo in time");
            assert!(matches!(&echoed, Some(Ok(Message::Text(t))) if t.as_str() == "through"), "{echoed:?}");
            Ok(())
        }
        Err(WsError::Http(res)) => {
            Err((res.status().as_u16(), String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).into()))
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn test_certificate_id_checks_rs256_tokens_with_the_given_certificates_key() {
    let stop = CancellationToken::new();
    let backend = backend(stop.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (signer, stranger) = (rsa_key(), rsa_key());
    let cert = dir.path().join("idp.pem");
    std::fs::write(&cert, certificate(&signer)).unwrap();
    let toml = write_config(dir.path(), backend, "");

    // As `--certificate idp-signing=…/idp.pem` gives it.
    let given = [CertificateConfig { id: "idp-signing".into(), path: cert.clone() }];
    let config = GatewayConfig::load_with(&toml, &given).expect("the policy loads with the certificate");
    let gateway = Gateway::start(config, "127.0.0.1:0".parse().unwrap(), None, LogSink::Memory).await.unwrap();
    connect(&gateway, &token(&signer)).await.expect("a token signed by the certificate's key passes");
    let refused = connect(&gateway, &token(&stranger)).await.expect_err("another key's token is refused");
    assert_eq!(refused, (401, r#"{"statusCode": 401, "message": "Invalid JWT."}"#.to_string()));
    gateway.stop();

    // The same from the TOML's own [[certificates]], its path relative to the TOML.
    let toml = write_config(dir.path(), backend, "\n[[certificates]]\nid = \"idp-signing\"\npath = \"idp.pem\"\n");
    let config = GatewayConfig::load(&toml).expect("[[certificates]] in the TOML");
    let gateway = Gateway::start(config, "127.0.0.1:0".parse().unwrap(), None, LogSink::Memory).await.unwrap();
    connect(&gateway, &token(&signer)).await.expect("accepted with the TOML's certificate");
    gateway.stop();
    stop.cancel();
}

#[tokio::test]
async fn test_an_unknown_certificate_id_stops_the_load_naming_file_line_col_and_the_flag() {
    let stop = CancellationToken::new();
    let dir = tempfile::tempdir().unwrap();
    let toml = write_config(dir.path(), backend(stop.clone()).await, "");
    let e = GatewayConfig::load(&toml).expect_err("no certificate named idp-signing").to_string();
    assert!(e.contains("policy.xml:6:9"), "{e}");
    assert!(e.contains("--certificate idp-signing=PEMFILE") && e.contains("[[certificates]]"), "{e}");
    // A certificate id given, but the file is not a certificate: named with its path.
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let junk = [CertificateConfig { id: "idp-signing".into(), path: dir.path().join("junk.pem") }];
    let e = GatewayConfig::load_with(&toml, &junk).expect_err("junk is no certificate").to_string();
    assert!(e.contains("junk.pem") && e.contains("no CERTIFICATE"), "{e}");
    stop.cancel();
}
