//! The gateway's frame-level relay against a backend written byte by byte, so that what the
//! gateway adds or answers on its own shows: one pong per ping (the backend's), the bytes a
//! backend sends together with its 101, the gateway's own close frames (masked towards the
//! backend), and large messages intact both ways.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogRecord, LogSink};

const WAIT: Duration = Duration::from_secs(5);
/// What the raw backend sends in the same write as its 101, as the hub sends `connected`.
const GREETING: &str = "hello-with-the-101";

/// One frame as the raw backend read it (unmasked).
#[derive(Debug, Clone, PartialEq)]
struct Got {
    fin: bool,
    opcode: u8,
    masked: bool,
    payload: Vec<u8>,
}

/// A server frame (unmasked).
fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Got> {
    let mut head = [0u8; 2];
    r.read_exact(&mut head).await?;
    let len = match head[1] & 0x7F {
        126 => u64::from(r.read_u16().await?),
        127 => r.read_u64().await?,
        n => u64::from(n),
    };
    let masked = head[1] & 0x80 != 0;
    let mut key = [0u8; 4];
    if masked {
        r.read_exact(&mut key).await?;
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload).await?;
    if masked {
        payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= key[i % 4]);
    }
    Ok(Got { fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, masked, payload })
}

/// A backend speaking WebSocket by hand: greets in the same write as its 101, answers a ping
/// with a pong of its own choosing (`backend:` + the ping's payload) and then a text `pong
/// sent`, echoes data frames (drops the connection on `die`), and reports every frame it reads.
async fn raw_backend() -> (SocketAddr, mpsc::UnboundedReceiver<Got>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve_raw(tcp, tx.clone()));
        }
    });
    (addr, rx)
}

async fn serve_raw(mut tcp: TcpStream, seen: mpsc::UnboundedSender<Got>) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if tcp.read_exact(&mut b).await.is_err() {
            return;
        }
        head.push(b[0]);
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let key = text
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key")))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    )
    .into_bytes();
    answer.extend(server_frame(0x1, GREETING.as_bytes()));
    if tcp.write_all(&answer).await.is_err() {
        return;
    }
    let (mut rd, mut wr) = tcp.into_split();
    while let Ok(frame) = read_frame(&mut rd).await {
        let _ = seen.send(frame.clone());
        let reply = match frame.opcode {
            0x9 => {
                [server_frame(0xA, &[b"backend:".as_slice(), &frame.payload].concat()), server_frame(0x1, b"pong sent")]
                    .concat()
            }
            // Gone without a close frame.
            0x1 if frame.payload == b"die" => return,
            0x1 | 0x2 => server_frame(frame.opcode, &frame.payload),
            0x8 => {
                let _ = wr.write_all(&server_frame(0x8, &frame.payload)).await;
                return;
            }
            _ => continue,
        };
        if wr.write_all(&reply).await.is_err() {
            return;
        }
    }
}

async fn gateway_for(backend: SocketAddr, limits: &str) -> Gateway {
    let text = format!(
        r#"
[limits]
{limits}

[[apis]]
name = "raw"
url_suffix = "raw"
backend = "ws://{backend}/"
subscription_required = false
"#
    );
    let config = GatewayConfig::parse("relay.toml", &text, std::path::Path::new(".")).unwrap();
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Gateway::start(config, local, None, LogSink::Memory).await.unwrap()
}

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn connect(gateway: &Gateway) -> Client {
    let url = format!("ws://{}/raw", gateway.addr);
    tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.expect("handshake hung").unwrap().0
}

async fn next(ws: &mut Client) -> Message {
    tokio::time::timeout(WAIT, ws.next()).await.expect("nothing in time").expect("stream ended").unwrap()
}

#[tokio::test]
async fn test_one_ping_through_the_gateway_gets_exactly_one_pong_from_the_backend() {
    let (backend, _seen) = raw_backend().await;
    let gateway = gateway_for(backend, "").await;
    let mut ws = connect(&gateway).await;
    assert_eq!(next(&mut ws).await, Message::text(GREETING));
    ws.send(Message::Ping(b"p1".to_vec().into())).await.unwrap();
    // Everything up to the backend's marker: the pongs for this ping.
    let mut pongs = Vec::new();
    loop {
        match next(&mut ws).await {
            Message::Pong(p) => pongs.push(p.to_vec()),
            m if m == Message::text("pong sent") => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pongs, vec![b"backend:p1".to_vec()], "one pong, the backend's, none from the gateway");
}

#[tokio::test]
async fn test_what_the_backend_sends_with_its_101_reaches_the_client_first() {
    let (backend, _seen) = raw_backend().await;
    let gateway = gateway_for(backend, "").await;
    for _ in 0..20 {
        let mut ws = connect(&gateway).await;
        assert_eq!(next(&mut ws).await, Message::text(GREETING));
        ws.send(Message::text("then this")).await.unwrap();
        assert_eq!(next(&mut ws).await, Message::text("then this"));
    }
}

#[tokio::test]
async fn test_an_oversized_message_gets_1009_both_ways_masked_towards_the_backend() {
    let (backend, mut seen) = raw_backend().await;
    let gateway = gateway_for(backend, "max_message_bytes = 1024").await;
    let mut ws = connect(&gateway).await;
    assert_eq!(next(&mut ws).await, Message::text(GREETING));
    ws.send(Message::text("small")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("small"));
    ws.send(Message::binary(vec![9u8; 4096])).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!((u16::from(f.code), f.reason.as_str()), (1009, "message too big")),
        other => panic!("expected a close, got {other:?}"),
    }
    // The backend got the small message, never a byte of the big one, then the gateway's close.
    let small = tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap();
    assert_eq!((small.opcode, small.payload.as_slice()), (0x1, b"small".as_slice()));
    let close = tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap();
    assert_eq!((close.opcode, close.fin, close.masked), (0x8, true, true), "{close:?}");
    assert_eq!(&close.payload[..2], &1009u16.to_be_bytes());
    assert_eq!(&close.payload[2..], b"message too big");
    let end = connection_end(&gateway).await;
    assert_eq!((end.close_code, end.closed_by.as_str(), end.messages_from_client), (1009, "gateway", 1));
    assert!(end.error.as_deref().unwrap_or_default().contains("4096 > 1024"), "{:?}", end.error);
}

async fn connection_end(gateway: &Gateway) -> wstab_emulator::gateway::access_log::ConnectionEndRecord {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(LogRecord::ConnectionEnd(e)) =
                gateway.log.recent().into_iter().find(|r| matches!(r, LogRecord::ConnectionEnd(_)))
            {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("no connection-end record")
}

#[tokio::test]
async fn test_a_backend_gone_without_a_close_gets_the_client_1001_and_logs_1006() {
    let (backend, _seen) = raw_backend().await;
    let gateway = gateway_for(backend, "").await;
    let mut ws = connect(&gateway).await;
    assert_eq!(next(&mut ws).await, Message::text(GREETING));
    ws.send(Message::text("die")).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => {
            assert_eq!((u16::from(f.code), f.reason.as_str()), (1001, "backend connection lost"))
        }
        other => panic!("expected a close, got {other:?}"),
    }
    let end = connection_end(&gateway).await;
    assert_eq!((end.close_code, end.closed_by.as_str()), (1006, "backend"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_3_mb_message_passes_intact_both_ways() {
    let (backend, mut seen) = raw_backend().await;
    let gateway = gateway_for(backend, "").await;
    let mut ws = connect(&gateway).await;
    assert_eq!(next(&mut ws).await, Message::text(GREETING));
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::binary(big.clone()));
    let frame = tokio::time::timeout(WAIT, seen.recv()).await.unwrap().unwrap();
    assert_eq!((frame.opcode, frame.masked, frame.payload.len()), (0x2, true, big.len()));
    ws.close(None).await.unwrap();
    let m = gateway.metrics.per_api();
    let raw = &m["raw"];
    assert_eq!((raw.messages_from_client, raw.bytes_from_client), (1, big.len() as u64));
}
