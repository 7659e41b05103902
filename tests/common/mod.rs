//! Test servers on loopback shared by the integration tests: a recording echo server, a raw TCP
//! server for broken peers, a TLS echo server with a self-signed CA, and event helpers.
#![allow(dead_code)]
// tungstenite's handshake callback returns its whole error response by value.
#![allow(clippy::result_large_err)]

pub mod console;
pub mod process;
pub mod tmux;
pub mod tools;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wstab_core::connection::{Event, EventBatch, EventKind, SessionHandle, SessionId, Target};

/// How long any wait in a test may take before the test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(20);

/// What the echo server saw of a handshake.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub uri: String,
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

/// Special text commands the echo server obeys instead of echoing.
/// `close:CODE:REASON` closes with that code; `ping:DATA` sends a ping; `bin:HEX` sends binary.
pub async fn echo_server() -> (SocketAddr, mpsc::UnboundedReceiver<SeenRequest>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let callback = |req: &Request, mut resp: Response| {
                    let seen = SeenRequest {
                        uri: req.uri().to_string(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect(),
                    };
                    if let Some(p) = req.headers().get("sec-websocket-protocol") {
                        let first = p.to_str().unwrap_or("").split(',').next().unwrap_or("").trim().to_string();
                        resp.headers_mut().insert("sec-websocket-protocol", first.parse().unwrap());
                    }
                    let _ = tx.send(seen);
                    Ok(resp)
                };
                let config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(config)).await
                else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    let reply = match msg {
                        Message::Text(t) if t.starts_with("close:") => {
                            let mut parts = t.splitn(3, ':').skip(1);
                            let code: u16 = parts.next().unwrap_or("1000").parse().unwrap_or(1000);
                            let reason = parts.next().unwrap_or("").to_string();
                            let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
                                code: code.into(),
                                reason: reason.into(),
                            };
                            let _ = ws.close(Some(frame)).await;
                            continue;
                        }
                        Message::Text(t) if t.starts_with("ping:") => Message::Ping(t.as_bytes()[5..].to_vec().into()),
                        Message::Text(t) if t.starts_with("bin:") => {
                            Message::Binary(hex::decode(&t[4..]).unwrap().into())
                        }
                        Message::Text(t) if t.starts_with("flood:") => {
                            let n: usize = t[6..].parse().unwrap();
                            for i in 0..n {
                                if ws.feed(Message::text(format!("m{i}"))).await.is_err() {
                                    return;
                                }
                            }
                            let _ = ws.flush().await;
                            continue;
                        }
                        m @ (Message::Text(_) | Message::Binary(_)) => m,
                        _ => continue,
                    };
                    if ws.send(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// A loopback port nobody accepts on, held for as long as the returned socket lives: it is bound
/// but not listening, so a connect is refused (RST), and no other test or process can take the
/// port in between, as it could after "bind port 0, drop, reuse".
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind a loopback port");
    let port = socket.local_addr().expect("bound address").port();
    (socket, port)
}

/// Reads an HTTP request head from `tcp` and returns it as text.
pub async fn read_head(tcp: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).await.unwrap_or(0) == 0 {
            break;
        }
        buf.push(byte[0]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The `101` answer to a request head, computed properly.
pub fn switching_protocols(head: &str, extra: &str) -> String {
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ").or_else(|| l.strip_prefix("sec-websocket-key: ")))
        .unwrap_or("")
        .trim();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extra}\r\n",
        derive_accept_key(key.as_bytes())
    )
}

/// A server that runs `behave` on each raw TCP connection: for peers that break the protocol.
pub async fn raw_server<F, Fut>(behave: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let behave = Arc::new(behave);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(behave(tcp));
        }
    });
    addr
}

/// A server that answers every upgrade with `status` and `body`.
pub async fn refusing_server(status: &'static str, body: &'static str) -> SocketAddr {
    raw_server(move |mut tcp| async move {
        let _ = read_head(&mut tcp).await;
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = tcp.write_all(resp.as_bytes()).await;
        let _ = tcp.shutdown().await;
    })
    .await
}

/// Waits for the first event matching `pred`, failing the test after [`WAIT`].
pub async fn wait_for(rx: &mut mpsc::Receiver<Event>, what: &str, pred: impl Fn(&EventKind) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) if pred(&e.kind) => return e,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("session ended before {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// A self-signed CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
pub struct TestPki {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

pub fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "wstab test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .unwrap();
    TestPki { ca_pem: ca_cert.pem(), server: Arc::new(server) }
}

/// A wss echo server using `pki`'s certificate.
pub async fn tls_echo_server(pki: &TestPki) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(pki.server.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Starts a session and returns its events one by one (the manager sends them in batches).
pub fn start_session(target: Target) -> (SessionHandle, mpsc::Receiver<Event>) {
    let (tx, mut batches) = mpsc::channel::<EventBatch>(64);
    let handle = wstab_core::connection::spawn(SessionId(7), target, tx);
    let (one_tx, one_rx) = mpsc::channel(4096);
    tokio::spawn(async move {
        while let Some(batch) = batches.recv().await {
            for e in batch {
                if one_tx.send(e).await.is_err() {
                    return;
                }
            }
        }
    });
    (handle, one_rx)
}

/// The broken or hostile servers of issue 7, each a way a server can fail a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// Reads the request and never answers.
    NeverAnswers,
    /// Answers 101 with a wrong `Sec-WebSocket-Accept`.
    BadAcceptKey,
    /// Picks a subprotocol the client did not offer.
    UnofferedSubprotocol,
    /// Announces a 1 GiB binary frame and sends four bytes of it.
    GibLengthHeader,
    /// Starts a text message and sends 60 kB continuation frames without FIN.
    EndlessFragments,
    /// Closes with code 999, which is not allowed on the wire.
    InvalidCloseCode,
    /// Sends half a frame and drops the TCP connection.
    DropMidFrame,
    /// Sends a text frame that is not UTF-8.
    InvalidUtf8,
    /// Answers with an SSH banner instead of HTTP.
    NotHttp,
}

impl Hostile {
    /// Every case.
    pub const ALL: [Hostile; 9] = [
        Hostile::NeverAnswers,
        Hostile::BadAcceptKey,
        Hostile::UnofferedSubprotocol,
        Hostile::GibLengthHeader,
        Hostile::EndlessFragments,
        Hostile::InvalidCloseCode,
        Hostile::DropMidFrame,
        Hostile::InvalidUtf8,
        Hostile::NotHttp,
    ];
}

/// A server on loopback that behaves as `how` on every connection.
pub async fn hostile_server(how: Hostile) -> SocketAddr {
    raw_server(move |mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let upgrade = switching_protocols(&head, "");
        let after: Vec<u8> = match how {
            Hostile::NeverAnswers => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Hostile::BadAcceptKey => {
                let bad = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
                let _ = tcp.write_all(bad.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Hostile::UnofferedSubprotocol => {
                let _ = tcp.write_all(switching_protocols(&head, "Sec-WebSocket-Protocol: evil.v9\r\n").as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Hostile::NotHttp => {
                let _ = tcp.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Hostile::EndlessFragments => {
                let _ = tcp.write_all(upgrade.as_bytes()).await;
                let chunk = vec![b'a'; 60_000];
                // Bounded so a client that keeps reading cannot keep the server busy forever.
                for i in 0..2_000 {
                    let mut header = vec![if i == 0 { 0x01 } else { 0x00 }, 126];
                    header.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
                    if tcp.write_all(&header).await.is_err() || tcp.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Hostile::GibLengthHeader => {
                let mut frame = vec![0x82, 127];
                frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
                frame.extend_from_slice(b"tiny");
                frame
            }
            Hostile::InvalidCloseCode => vec![0x88, 0x02, 0x03, 0xe7],
            Hostile::DropMidFrame => vec![0x81, 0x0a, b'h', b'a', b'l'],
            Hostile::InvalidUtf8 => vec![0x81, 0x03, 0xff, 0xfe, 0x41],
        };
        let _ = tcp.write_all(upgrade.as_bytes()).await;
        let _ = tcp.write_all(&after).await;
        if how == Hostile::DropMidFrame {
            tokio::time::sleep(Duration::from_millis(50)).await;
            return; // dropping the stream resets the connection mid-frame
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}
