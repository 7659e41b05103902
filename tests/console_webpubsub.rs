//! The console speaking Web PubSub's reliable subprotocol to the demo's hub, through a TCP proxy
//! the test can cut: it acknowledges what it receives, and a reconnect recovers the same
//! connection, so a group message sent while it was away still arrives.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wstab::console::message_log::{EntryKind, Filter};
use wstab::console::state::{App, Effect, Intent, Viewport};
use wstab_core::connection::{
    Command, Direction, Event, EventBatch, EventKind, Frame, Param, RELIABLE_SUBPROTOCOL, ReconnectPolicy, SessionId,
    Supervision, Target, spawn, spawn_supervised,
};
use wstab_core::workspace::{Api, Workspace};

use common::WAIT;

/// A TCP proxy to `upstream` whose connections the test can cut at once.
struct Proxy {
    addr: SocketAddr,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let kept = links.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                kept.lock().unwrap().push(link);
            }
        });
        Self { addr, links }
    }

    /// Drops every connection through the proxy: both peers see their TCP end.
    fn cut(&self) {
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

/// The console's side: the app, its session's events and the session's handle.
struct Console {
    app: App,
    rx: mpsc::Receiver<EventBatch>,
    queue: VecDeque<Event>,
    handle: wstab_core::connection::SessionHandle,
}

impl Console {
    /// Feeds the console events until `done` holds for one (which is returned), carrying out the
    /// acks it asks for as the runtime does; fails after [`WAIT`].
    async fn until(&mut self, what: &str, mut done: impl FnMut(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            while let Some(e) = self.queue.pop_front() {
                let hit = done(&e);
                self.app.on_event(e.clone());
                for ack in self.app.due_acks() {
                    let Effect::Send { command, .. } = ack else { panic!("an ack is a send: {ack:?}") };
                    self.handle.send(command.into());
                }
                if hit {
                    return e;
                }
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(batch)) => self.queue.extend(batch),
                Ok(None) => panic!("the session ended while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }
}

fn text_in(e: &Event) -> Option<&str> {
    match &e.kind {
        EventKind::Frame { dir: Direction::In, frame: Frame::Text(t) } => Some(t.as_str()),
        _ => None,
    }
}

fn http_to_ws(url: &str) -> String {
    url.replacen("http://", "ws://", 1)
}

#[tokio::test]
async fn test_reliable_console_session_acks_and_recovers_the_same_connection_after_a_cut() {
    recovers_after_a_cut(false).await;
}

#[tokio::test]
async fn test_recovery_through_the_gateway_carries_the_subscription_key_again() {
    recovers_after_a_cut(true).await;
}

/// A console session on the reliable subprotocol to the demo's hub (through its gateway, or
/// straight), its TCP cut while a group message is sent: acks, recovery, the message.
async fn recovers_after_a_cut(via_gateway: bool) {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let hub_addr: SocketAddr = demo.hub_url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(if via_gateway { demo.gateway_addr() } else { hub_addr }).await;
    let token = demo.chat_token(Duration::from_secs(600)).unwrap();
    let mut query = vec![Param::new("access_token", &token).secret()];
    if via_gateway {
        query.push(Param::new("subscription-key", &demo.subscription_key).secret());
    }
    let api = Api {
        name: "chat".into(),
        display_name: String::new(),
        url_suffix: "client/hubs/chat".into(),
        query,
        headers: vec![],
        subprotocols: vec![RELIABLE_SUBPROTOCOL.into()],
        sample_message: None,
    };
    let workspace = Workspace { name: "t".into(), gateway: format!("ws://{}", proxy.addr), apis: vec![api] };
    let mut app = App::new(workspace, 1000);
    let Some(Effect::Connect { session, target, .. }) = app.update(Intent::ToggleConnection, &Viewport::default())
    else {
        panic!("F5 connects")
    };
    let supervision = Supervision {
        // Long enough for the hub to see the cut and park the connection before the retry.
        reconnect: Some(ReconnectPolicy {
            initial: Duration::from_millis(300),
            max: Duration::from_millis(600),
            ..ReconnectPolicy::default()
        }),
        on_connect: vec![Command::Text(r#"{"type":"joinGroup","group":"g","ackId":1}"#.into())],
        prepare: None,
    };
    let (tx, rx) = mpsc::channel(64);
    let handle = spawn_supervised(session, *target, supervision, tx);
    let mut console = Console { app, rx, queue: VecDeque::new(), handle };

    let connected = console.until("connected", |e| text_in(e).is_some_and(|t| t.contains("\"connected\""))).await;
    let connected: serde_json::Value = serde_json::from_str(text_in(&connected).unwrap()).unwrap();
    let connection_id = connected["connectionId"].as_str().unwrap().to_string();
    assert!(connected["reconnectionToken"].is_string(), "{connected}");
    console.until("the join's ack", |e| text_in(e).is_some_and(|t| t.contains(r#""ackId":1"#))).await;

    // Another client sends to the group.
    let sender_target = Target {
        query: vec![Param::new("access_token", &token)],
        subprotocols: vec!["json.webpubsub.azure.v1".into()],
        ..Target::new(format!("{}/client/hubs/chat", http_to_ws(&demo.hub_url)))
    };
    let (stx, mut srx) = mpsc::channel(64);
    let sender = spawn(SessionId(99), sender_target, stx);
    let mut sq = VecDeque::new();
    loop {
        let b = tokio::time::timeout(WAIT, srx.recv()).await.expect("sender opens").expect("sender open");
        sq.extend(b);
        if sq.iter().any(|e| matches!(e.kind, EventKind::Opened { .. })) {
            break;
        }
    }
    let send = |data: &str| {
        Command::Text(format!(r#"{{"type":"sendToGroup","group":"g","dataType":"text","data":"{data}"}}"#))
    };
    sender.send(send("before"));
    console.until("the first group message", |e| text_in(e).is_some_and(|t| t.contains("\"before\""))).await;
    // The console acknowledged it itself; the ack is chatter.
    console
        .until("the console's sequenceAck", |e| {
            matches!(&e.kind, EventKind::Frame { dir: Direction::Out, frame: Frame::Text(t) } if t.contains("sequenceAck"))
        })
        .await;
    let log = &console.app.tab.log;
    let before = log.slice(Filter::Received, 0, 100).find(|e| e.preview().contains("before")).unwrap();
    assert_eq!(before.sequence_id, Some(1), "the first data message is #1");
    assert!(log.slice(Filter::All, 0, 100).any(|e| e.kind == EntryKind::Chatter(Direction::Out)));

    proxy.cut();
    console.until("the reconnect", |e| matches!(e.kind, EventKind::Reconnecting { .. })).await;
    sender.send(send("while-away"));
    let again = console.until("the recovery attempt", |e| matches!(e.kind, EventKind::Connecting { .. })).await;
    let EventKind::Connecting { url } = &again.kind else { unreachable!() };
    assert!(url.contains(&format!("awps_connection_id={connection_id}")), "{url}");
    assert!(url.contains("awps_reconnection_token="), "{url}");
    if via_gateway {
        assert!(url.contains("subscription-key="), "the gateway needs the key again: {url}");
    }
    let mut new_connection = None;
    console
        .until("the message sent while away", |e| {
            if let Some(t) = text_in(e)
                && t.contains("\"connected\"")
            {
                new_connection = Some(t.to_string());
            }
            text_in(e).is_some_and(|t| t.contains("\"while-away\""))
        })
        .await;
    // The service greets a recovered connection again, with the same id.
    let greeting: serde_json::Value = serde_json::from_str(&new_connection.expect("connected again")).unwrap();
    assert_eq!(greeting["connectionId"].as_str(), Some(connection_id.as_str()), "recovered, not a new connection");
    let last = console.app.tab.log.slice(Filter::Received, 0, 100).last().unwrap();
    assert_eq!(last.sequence_id, Some(2), "numbered after #1 on the same connection");
    console.handle.cancel();
    sender.cancel();
}

/// A stand-in hub: connection 0 says `connected` (id `c0`, token `t0`) then drops; a connection
/// asking to recover is refused as the service does (`disconnected`, close 1008); any other says
/// `connected` (id `c2`) and stays. Reports each handshake's request URI.
async fn refusing_hub() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0..10usize {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut uri = String::new();
                // The error type is tungstenite's callback signature, not ours to shrink.
                #[allow(clippy::result_large_err)]
                let callback = |req: &Request, mut resp: Response| {
                    uri = req.uri().to_string();
                    resp.headers_mut().insert("Sec-WebSocket-Protocol", RELIABLE_SUBPROTOCOL.parse().unwrap());
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else { return };
                let _ = tx.send(uri.clone());
                let connected = |id: &str| {
                    Message::text(format!(
                        r#"{{"type":"system","event":"connected","connectionId":"{id}","reconnectionToken":"t{id}"}}"#
                    ))
                };
                if uri.contains("awps_connection_id") {
                    let _ =
                        ws.send(Message::text(r#"{"type":"system","event":"disconnected","message":"gone"}"#)).await;
                    let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
                        code: 1008.into(),
                        reason: "cannot be recovered".into(),
                    };
                    let _ = ws.close(Some(frame)).await;
                    let _ = tokio::time::timeout(WAIT, ws.next()).await;
                    return;
                }
                let _ = ws.send(connected(if n == 0 { "c0" } else { "c2" })).await;
                if n == 0 {
                    return; // dropped: a 1006 for the client
                }
                let _ = tokio::time::timeout(WAIT, async { while let Some(Ok(_)) = ws.next().await {} }).await;
            });
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn test_refused_recovery_is_followed_by_a_new_connection() {
    let (addr, mut uris) = refusing_hub().await;
    let target =
        Target { subprotocols: vec![RELIABLE_SUBPROTOCOL.into()], ..Target::new(format!("ws://{addr}/client")) };
    let supervision = Supervision {
        reconnect: Some(ReconnectPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(50),
            ..ReconnectPolicy::default()
        }),
        ..Supervision::default()
    };
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn_supervised(SessionId(7), target, supervision, tx);
    let mut opened = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    while opened < 3 {
        let batch = tokio::time::timeout_at(deadline, rx.recv()).await.expect("three opens").expect("session alive");
        opened += batch.iter().filter(|e| matches!(e.kind, EventKind::Opened { .. })).count();
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(tokio::time::timeout(WAIT, uris.recv()).await.unwrap().unwrap());
    }
    assert!(!seen[0].contains("awps_"), "{seen:?}");
    assert!(seen[1].contains("awps_connection_id=c0") && seen[1].contains("awps_reconnection_token=tc0"), "{seen:?}");
    assert!(!seen[2].contains("awps_"), "after the refusal, a new connection: {seen:?}");
    handle.cancel();
}
