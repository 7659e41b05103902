//! The gateway emulator facing clients and backends it does not control: slowloris handshakes,
//! thousands of concurrent handshakes, clients that vanish mid-frame, a backend that never
//! answers, and subscription keys of every length. Limits hold, others keep being served, and
//! `wstab_gateway_connections_active` returns to 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogSink};
use wstab_emulator::wsserver::{self, Handler, Reply, ServerOptions};

const KEY: &str = "primary-key-123456";
const WAIT: Duration = Duration::from_secs(20);

/// An echo backend on loopback (no size limit of its own: the gateway's must hold).
async fn echo_backend(stop: CancellationToken) -> SocketAddr {
    let handler: Handler = Arc::new(|req, _| {
        async move {
            let response = wsserver::switching_protocols(req.headers(), None);
            Reply::Upgrade {
                response,
                on_upgrade: Box::new(|mut ws| {
                    async move {
                        while let Some(Ok(m)) = ws.next().await {
                            if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
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
    // Small buffers here and in the clients, so this process's memory is mostly the gateway's.
    let options = ServerOptions { ws_config: small_buffers(), ..ServerOptions::default() };
    wsserver::bind("127.0.0.1:0".parse().unwrap(), handler, options, stop).await.unwrap().addr
}

/// A backend that accepts TCP, reads, and never answers the upgrade.
async fn silent_backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while tcp.read(&mut buf).await.is_ok_and(|n| n > 0) {}
            });
        }
    });
    addr
}

struct Rig {
    gateway: Gateway,
    _stop: CancellationToken,
}

async fn rig(limits: &str) -> Rig {
    let stop = CancellationToken::new();
    let echo = echo_backend(stop.clone()).await;
    let silent = silent_backend().await;
    let text = format!(
        r#"
[limits]
{limits}

[[subscriptions]]
name = "tests"
primary_key = "{KEY}"

[[apis]]
name = "echo"
url_suffix = "echo"
backend = "ws://{echo}/"

[[apis]]
name = "silent"
url_suffix = "silent"
backend = "ws://{silent}/"
subscription_required = false
"#
    );
    let config = GatewayConfig::parse("faults.toml", &text, std::path::Path::new(".")).unwrap();
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let gateway = Gateway::start(config, local, Some(local), LogSink::Memory).await.unwrap();
    Rig { gateway, _stop: stop }
}

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

impl Rig {
    async fn connect(&self, path: &str) -> Result<Client, WsError> {
        let req = format!("ws://{}/{path}", self.gateway.addr).into_client_request().unwrap();
        let connecting = tokio_tungstenite::connect_async_with_config(req, Some(small_buffers()), true);
        tokio::time::timeout(WAIT, connecting).await.expect("handshake hung").map(|(ws, _)| ws)
    }

    async fn echo_works(&self) {
        let mut ws = self.connect(&format!("echo?subscription-key={KEY}")).await.expect("echo refused");
        ws.send(Message::text("still served")).await.unwrap();
        let m = tokio::time::timeout(WAIT, ws.next()).await.expect("no echo").expect("ended").unwrap();
        assert_eq!(m, Message::text("still served"));
        let _ = ws.close(None).await;
    }

    /// The sum of `wstab_gateway_connections_active` over all APIs, from `/metrics`.
    async fn active(&self) -> i64 {
        let mut s = TcpStream::connect(self.gateway.admin_addr.unwrap()).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut text = String::new();
        tokio::time::timeout(WAIT, s.read_to_string(&mut text)).await.expect("metrics hung").unwrap();
        text.lines()
            .filter(|l| l.starts_with("wstab_gateway_connections_active{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
            .sum()
    }

    async fn wait_active_zero(&self) {
        let started = Instant::now();
        loop {
            let n = self.active().await;
            if n == 0 {
                return;
            }
            assert!(started.elapsed() < WAIT, "connections_active stuck at {n}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn small_buffers() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0)
}

fn status_of(e: &WsError) -> Option<u16> {
    match e {
        WsError::Http(res) => Some(res.status().as_u16()),
        _ => None,
    }
}

/// Resident memory of this process in KiB (Linux), for the leak check. Fails the test when it
/// cannot be read: a bound checked against 0 would pass without measuring anything.
#[track_caller]
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status for VmRSS");
    let kib = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no VmRSS line in /proc/self/status:\n{status}"));
    assert!(kib > 0, "VmRSS reads 0 KiB: memory cannot be measured here");
    kib
}

/// Raises this process's open-file soft limit to its hard limit and fails the test, naming the
/// command to fix it, if that is still below `need`: a test that quietly ran fewer connections
/// would pass without pinning what its name says.
#[track_caller]
fn require_nofile(need: u64) {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    let lim = unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0, "getrlimit(RLIMIT_NOFILE) failed");
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0, "setrlimit(RLIMIT_NOFILE) to the hard limit");
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0, "getrlimit(RLIMIT_NOFILE) failed");
        }
        lim
    };
    assert!(
        lim.rlim_cur >= need,
        "this test needs {need} open files but the hard limit is {}: raise it (e.g. `ulimit -Hn {need}` as root, \
         or `LimitNOFILE=` / `--ulimit nofile={need}` for a service or container) and run it again",
        lim.rlim_max
    );
}

/// How soon a client the 1 s handshake timeout should cut must be gone. Generous on purpose: 2
/// cores shared by the whole suite can delay a timer by seconds. Still well below the ~15 s the
/// slowloris head takes to send whole, so a gateway without the timeout fails the test.
const CUT_WITHIN: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_slowloris_handshake_is_cut_by_the_handshake_timeout_while_others_are_served() {
    let r = rig("handshake_timeout_secs = 1").await;
    let request = format!("GET /echo?subscription-key={KEY} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n");
    let slow = async {
        let mut tcp = TcpStream::connect(r.gateway.addr).await.unwrap();
        let started = Instant::now();
        // One byte every 200 ms: the head would take ~15 s; the 1 s timeout must cut it.
        for b in request.bytes() {
            if tcp.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut buf = [0u8; 512];
            // A closed socket reads 0 (or a 408) without waiting.
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut buf)).await {
                let _ = n;
                break;
            }
            assert!(started.elapsed() < CUT_WITHIN, "slowloris still connected after {CUT_WITHIN:?}");
        }
        started.elapsed()
    };
    let silent = async {
        // A client that connects and says nothing is cut too.
        let mut tcp = TcpStream::connect(r.gateway.addr).await.unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 512];
        let _ = tokio::time::timeout(CUT_WITHIN, tcp.read(&mut buf)).await.expect("silent client kept");
        started.elapsed()
    };
    let others = async {
        for _ in 0..5 {
            r.echo_works().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (slow, silent, ()) = tokio::join!(slow, silent, others);
    assert!(slow < CUT_WITHIN, "slowloris cut after {slow:?}");
    assert!(silent < CUT_WITHIN, "silent client cut after {silent:?}");
    r.wait_active_zero().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_thousands_of_concurrent_handshakes_are_served_and_released() {
    // Each relayed connection costs 4 descriptors in this process (client, gateway's side,
    // gateway→backend, backend's side), plus some for the runtime, listeners and test harness.
    let n: usize = 2000;
    require_nofile(4 * n as u64 + 256);
    let r = rig("max_connections = 5000\nhandshake_timeout_secs = 20").await;
    r.echo_works().await;
    let baseline = rss_kib();
    let mut peaks = Vec::new();
    for round in 0..2 {
        let started = Instant::now();
        let clients = futures_util::future::join_all((0..n).map(|i| {
            let r = &r;
            async move {
                let mut ws = r.connect(&format!("echo?subscription-key={KEY}")).await.expect("handshake failed");
                ws.send(Message::text(format!("c{i}"))).await.unwrap();
                let m = tokio::time::timeout(WAIT, ws.next()).await.expect("no echo").expect("ended").unwrap();
                assert_eq!(m, Message::text(format!("c{i}")));
                ws
            }
        }))
        .await;
        assert_eq!(r.active().await, n as i64, "all {n} open at once");
        peaks.push(rss_kib());
        eprintln!("round {round}: {n} concurrent connections open in {:?}, RSS {} KiB", started.elapsed(), rss_kib());
        drop(clients);
        r.wait_active_zero().await;
    }
    // The gateway holds two WebSockets per connection; their buffers must not make a thousand
    // connections cost hundreds of MiB (tungstenite's default eager read buffer is 128 KiB).
    let per_connection = peaks[0].saturating_sub(baseline) / n as u64;
    eprintln!("{per_connection} KiB per relayed connection (baseline {baseline} KiB)");
    assert!(per_connection < 128, "{per_connection} KiB per relayed connection");
    // A second round costs no more than the first: connections are released, not leaked.
    assert!(peaks[1] < peaks[0] + peaks[0] / 4 + 10_000, "RSS grew from {} to {} KiB", peaks[0], peaks[1]);
    r.echo_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_max_connections_holds_under_a_burst_of_handshakes() {
    let r = rig("max_connections = 50").await;
    let path = format!("echo?subscription-key={KEY}");
    let results = futures_util::future::join_all((0..200).map(|_| r.connect(&path))).await;
    let accepted = results.iter().filter(|x| x.is_ok()).count();
    let refused: Vec<_> = results.iter().filter_map(|x| x.as_ref().err()).collect();
    assert_eq!(accepted, 50, "exactly the limit is accepted");
    assert!(refused.iter().all(|e| status_of(e) == Some(503)), "{refused:?}");
    assert_eq!(r.active().await, 50);
    drop(results);
    r.wait_active_zero().await;
    r.echo_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_clients_that_vanish_mid_frame_are_released() {
    let r = rig("").await;
    for i in 0..50u8 {
        let mut ws = r.connect(&format!("echo?subscription-key={KEY}")).await.unwrap();
        // Half a masked frame announcing 100 bytes, then the TCP connection is gone.
        let tcp = match ws.get_mut() {
            tokio_tungstenite::MaybeTlsStream::Plain(t) => t,
            _ => unreachable!("plain ws://"),
        };
        tcp.write_all(&[0x82, 0x80 | 100, 1, 2, 3, 4, i, i, i]).await.unwrap();
        if i % 2 == 0 {
            // Half of them only stop writing; dropping closes the rest.
            let _ = tcp.shutdown().await;
        }
        drop(ws);
    }
    r.wait_active_zero().await;
    let ends = r
        .gateway
        .log
        .recent()
        .into_iter()
        .filter(|rec| matches!(rec, wstab_emulator::gateway::LogRecord::ConnectionEnd(_)))
        .count();
    assert_eq!(ends, 50, "every vanished client has its connection-end record");
    r.echo_works().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_backend_that_never_answers_gets_504_within_the_timeout_while_others_are_served() {
    let r = rig("handshake_timeout_secs = 1").await;
    let hung = async {
        let started = Instant::now();
        let results = futures_util::future::join_all((0..20).map(|_| r.connect("silent"))).await;
        for res in results {
            match res {
                Err(e) => assert_eq!(status_of(&e), Some(504), "{e}"),
                Ok(_) => panic!("a silent backend was accepted"),
            }
        }
        started.elapsed()
    };
    let others = async {
        for _ in 0..5 {
            r.echo_works().await;
        }
    };
    let (took, ()) = tokio::join!(hung, others);
    // The 504 itself proves the gateway's timeout fired (without it each handshake would hang
    // until `connect` fails the test after WAIT); the bound only catches a timeout applied many
    // times over, and is CUT_WITHIN for the same reason as above.
    assert!(took < CUT_WITHIN, "504s took {took:?}");
    r.wait_active_zero().await;
}

#[tokio::test]
async fn test_wrong_subscription_keys_of_any_length_get_401() {
    let r = rig("").await;
    let same_length: String = KEY.chars().rev().collect();
    let one_off = format!("{}7", &KEY[..KEY.len() - 1]);
    for key in
        [same_length.as_str(), one_off.as_str(), &KEY[..KEY.len() - 1], &format!("{KEY}x"), "k", &"k".repeat(4000)]
    {
        assert_ne!(key, KEY);
        match r.connect(&format!("echo?subscription-key={key}")).await {
            Err(e) => assert_eq!(status_of(&e), Some(401), "key of length {}: {e}", key.len()),
            Ok(_) => panic!("wrong key {key:?} accepted"),
        }
    }
    r.echo_works().await;
}
