//! Hub fan-out: messages sent to a group through the Web PubSub-style hub
//! (`wstab_emulator::hub`, JSON protocol, `sendToGroup`) against a bare tokio broadcast server
//! doing the same job (every text a sender sends goes to every member through a
//! `tokio::sync::broadcast` channel), both in this process on the same runtime, with the same
//! tokio-tungstenite clients. Two loads, interleaved × runs:
//! - one to 1,000: one sender, a group of 1,000 members; a message is sent and the clock stops
//!   when the last member has it (each run: `WSTAB_BENCH_FANOUT_ROUNDS`, default 20, messages one
//!   after another; the median message is the run's figure);
//! - 100 × 100: 100 senders each send one message at once to a group of 100 members; the clock
//!   stops when every member has all 100 (10,000 deliveries).
//!
//! Memory per connection: a child process (this binary again) opens 1,000 member connections to
//! one server and reports its RSS growth per connection; clients are in the same process, so the
//! bare server's figure (same clients) is the baseline and the difference is the hub's own.
//!
//! Run: `cargo bench --bench fanout` (`WSTAB_BENCH_RUNS`, default 5). Asserts no timing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, broadcast};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_util::sync::CancellationToken;
use wstab_core::webpubsub_token::{ConnectionString, ROLE_SEND_TO_GROUP, TokenRequest, client_access};

/// Set to `hub` or `bare`, this binary is the memory child instead of the bench.
const MEMORY_CHILD_ENV: &str = "WSTAB_BENCH_FANOUT_MEMORY";
/// The target in `benches/README.md`: within 2× of the bare broadcast server.
const TARGET_RATIO: f64 = 2.0;
/// No load here takes long; a stuck one is reported, not waited for.
const DEADLINE: Duration = Duration::from_secs(60);
const GROUP: &str = "bench";
const PAYLOAD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Which server the clients talk to.
#[derive(Clone)]
enum Server {
    /// The hub: clients need a token; members are in the group from their token.
    Hub { url: String, cs: ConnectionString },
    /// The bare broadcast server: `/member` receives, `/sender` sends.
    Bare { url: String },
}

/// Counts deliveries and wakes the waiter when the count reaches its target.
struct Deliveries {
    got: AtomicU64,
    target: AtomicU64,
    done: Notify,
}

impl Deliveries {
    fn new() -> Arc<Self> {
        Arc::new(Self { got: AtomicU64::new(0), target: AtomicU64::new(u64::MAX), done: Notify::new() })
    }

    fn one(&self) {
        let got = self.got.fetch_add(1, Ordering::AcqRel) + 1;
        if got == self.target.load(Ordering::Acquire) {
            self.done.notify_one();
        }
    }

    /// Expects `more` deliveries beyond those so far; the future ends when they are all in.
    async fn wait_for(&self, target: u64) -> bool {
        let notified = self.done.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        self.target.store(target, Ordering::Release);
        if self.got.load(Ordering::Acquire) >= target {
            return true;
        }
        tokio::time::timeout(DEADLINE, notified).await.is_ok()
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(server: &Server, member: bool, user: &str) -> Ws {
    let (url, protocol) = match server {
        Server::Hub { url, cs } => {
            let req = TokenRequest {
                hub: "chat".into(),
                user: Some(user.into()),
                roles: vec![ROLE_SEND_TO_GROUP.into()],
                groups: if member { vec![GROUP.into()] } else { Vec::new() },
                ttl: Duration::from_secs(3600),
            };
            let token = client_access(cs, &req).expect("token").token;
            (format!("{url}/client/hubs/chat?access_token={token}"), Some("json.webpubsub.azure.v1"))
        }
        Server::Bare { url } => (format!("{url}/{}", if member { "member" } else { "sender" }), None),
    };
    let mut req = url.into_client_request().unwrap();
    if let Some(p) = protocol {
        req.headers_mut().insert("sec-websocket-protocol", p.parse().unwrap());
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("connect");
    if protocol.is_some() {
        // The hub's `connected` system message comes first.
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() {
                break;
            }
        }
    }
    ws
}

/// Opens `n` members that count every group message they receive.
async fn members(server: &Server, n: usize, deliveries: &Arc<Deliveries>) {
    let hub = matches!(server, Server::Hub { .. });
    let mut opened = Vec::with_capacity(n);
    for i in 0..n {
        opened.push(open(server, true, &format!("member-{i}")).await);
    }
    for mut ws in opened {
        let d = deliveries.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m
                    && (!hub || t.as_str().contains("\"type\":\"message\""))
                {
                    d.one();
                }
            }
        });
    }
}

fn message(server: &Server, i: usize) -> Message {
    match server {
        Server::Hub { .. } => Message::text(
            serde_json::json!({"type": "sendToGroup", "group": GROUP, "dataType": "text", "data": format!("{i} {PAYLOAD}"), "noEcho": true})
                .to_string(),
        ),
        Server::Bare { .. } => Message::text(format!("{i} {PAYLOAD}")),
    }
}

/// One to 1,000: the median time for one message to reach every member.
async fn one_to_many(server: &Server, members_n: usize, rounds: usize) -> Result<Duration, String> {
    let d = Deliveries::new();
    members(server, members_n, &d).await;
    let mut sender = open(server, false, "sender").await;
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let start = Instant::now();
        sender.send(message(server, i)).await.map_err(|e| e.to_string())?;
        if !d.wait_for(((i + 1) * members_n) as u64).await {
            return Err(format!("round {i}: {} of {} delivered", d.got.load(Ordering::Acquire), (i + 1) * members_n));
        }
        times.push(start.elapsed());
    }
    Ok(median(times))
}

/// 100 × 100: every sender sends once, at once; the time until every member has every message.
async fn many_to_many(server: &Server, senders_n: usize, members_n: usize) -> Result<Duration, String> {
    let d = Deliveries::new();
    members(server, members_n, &d).await;
    let mut senders = Vec::with_capacity(senders_n);
    for i in 0..senders_n {
        senders.push(open(server, false, &format!("sender-{i}")).await);
    }
    let start = Instant::now();
    let sends = senders.into_iter().enumerate().map(|(i, mut ws)| {
        let m = message(server, i);
        tokio::spawn(async move {
            let _ = ws.send(m).await;
            ws
        })
    });
    let sends: Vec<_> = sends.collect();
    let target = (senders_n * members_n) as u64;
    let ok = d.wait_for(target).await;
    let took = start.elapsed();
    for s in sends {
        let _ = s.await;
    }
    if !ok {
        return Err(format!("{} of {target} delivered", d.got.load(Ordering::Acquire)));
    }
    Ok(took)
}

/// The bare broadcast server: what a sender sends goes to every member.
async fn bare_server(stop: CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, _) = broadcast::channel::<Message>(4096);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = tokio::select! {
                _ = stop.cancelled() => return,
                a = listener.accept() => match a { Ok(a) => a, Err(_) => return },
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let mut path = String::new();
                // The error type is tungstenite's callback signature, not ours to shrink.
                #[allow(clippy::result_large_err)]
                let callback = |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
                    path = req.uri().path().to_string();
                    Ok(resp)
                };
                let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else { return };
                let (mut write, mut read) = ws.split();
                if path == "/member" {
                    let mut rx = tx.subscribe();
                    tokio::spawn(async move { while read.next().await.is_some() {} });
                    while let Ok(m) = rx.recv().await {
                        if write.send(m).await.is_err() {
                            return;
                        }
                    }
                } else {
                    while let Some(Ok(m)) = read.next().await {
                        if m.is_text() {
                            let _ = tx.send(m);
                        }
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

async fn hub_server(stop: CancellationToken) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cs = ConnectionString::parse(&format!("Endpoint=http://{addr};AccessKey=bench-key;Version=1.0;")).unwrap();
    wstab_emulator::hub::serve_on(listener, cs.clone(), stop).unwrap();
    Server::Hub { url: format!("ws://{addr}"), cs }
}

async fn server(hub: bool, stop: CancellationToken) -> Server {
    if hub { hub_server(stop).await } else { Server::Bare { url: bare_server(stop).await } }
}

/// The memory child: RSS growth per connection with `n` members open to one server.
fn memory_child(which: &str, n: usize) {
    raise_file_limit();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let stop = CancellationToken::new();
        let server = server(which == "hub", stop.clone()).await;
        // Warm up: one member, so the runtime's and the server's first allocations are not counted.
        let d = Deliveries::new();
        members(&server, 1, &d).await;
        let before = proc_status_kb("VmRSS").unwrap_or(0);
        members(&server, n, &d).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = proc_status_kb("VmRSS").unwrap_or(0);
        println!("{before} {after}");
        stop.cancel();
    });
}

fn memory_per_connection(which: &str, n: usize) -> Option<f64> {
    let me = std::env::current_exe().ok()?;
    let out = std::process::Command::new(me)
        .env(MEMORY_CHILD_ENV, which)
        .env("WSTAB_BENCH_FANOUT_MEMBERS", n.to_string())
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|s| s.parse::<f64>().ok());
    let (before, after) = (it.next()??, it.next()??);
    Some((after - before) / n as f64)
}

fn main() {
    let members_n: usize = env_or("WSTAB_BENCH_FANOUT_MEMBERS", 1000);
    if let Ok(which) = std::env::var(MEMORY_CHILD_ENV) {
        memory_child(&which, members_n);
        return;
    }
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 5);
    let rounds: usize = env_or("WSTAB_BENCH_FANOUT_ROUNDS", 20);
    let limit = raise_file_limit();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // [load][hub?] → runs
    let mut times: [[Vec<Duration>; 2]; 2] = Default::default();
    let mut failures: Vec<String> = Vec::new();
    for _ in 0..runs {
        for hub in [false, true] {
            let who = if hub { "hub" } else { "bare" };
            // A fresh server per load, so neither inherits the other's connections.
            let stop = CancellationToken::new();
            let s = rt.block_on(server(hub, stop.clone()));
            match rt.block_on(one_to_many(&s, members_n, rounds)) {
                Ok(t) => times[0][hub as usize].push(t),
                Err(e) => failures.push(format!("{who} one to {members_n}: {e}")),
            }
            stop.cancel();
            let stop = CancellationToken::new();
            let s = rt.block_on(server(hub, stop.clone()));
            match rt.block_on(many_to_many(&s, 100, 100)) {
                Ok(t) => times[1][hub as usize].push(t),
                Err(e) => failures.push(format!("{who} 100 × 100: {e}")),
            }
            stop.cancel();
        }
    }
    let hub_mem = memory_per_connection("hub", members_n);
    let bare_mem = memory_per_connection("bare", members_n);

    println!("hub fan-out, {runs} interleaved runs (median, min–max); open-file limit {limit}");
    println!("| load | bare tokio broadcast server | hub (JSON protocol, sendToGroup) | hub vs bare |");
    println!("|---|---|---|---|");
    let loads = [
        format!("one message to {members_n} members (median of {rounds} messages)"),
        "100 senders × 100 members, all at once".to_string(),
    ];
    let mut verdicts = Vec::new();
    for (i, load) in loads.iter().enumerate() {
        let (bare, hub) = (&times[i][0], &times[i][1]);
        if bare.is_empty() || hub.is_empty() {
            println!("| {load} | not measured | | |");
            verdicts.push(Verdict {
                target: format!("hub fan-out within {TARGET_RATIO}× of a bare broadcast server ({load})"),
                figure: "not measured".into(),
                baseline: String::new(),
                met: None,
            });
            continue;
        }
        let (b, h) = (Spread::of(bare), Spread::of(hub));
        let ratio = h.median.as_secs_f64() / b.median.as_secs_f64();
        println!("| {load} | {} | {} | {ratio:.2}× |", b.millis(), h.millis());
        verdicts.push(Verdict {
            target: format!("hub fan-out within {TARGET_RATIO}× of a bare broadcast server ({load})"),
            figure: format!("hub {} = {ratio:.2}×", h.millis()),
            baseline: format!("bare {}", b.millis()),
            met: Some(ratio <= TARGET_RATIO),
        });
    }
    if !failures.is_empty() {
        println!("runs that did not count: {}", failures.join("; "));
    }
    let kib = |v: Option<f64>| v.map_or("not measured".to_string(), |v| format!("{v:.1} KiB"));
    println!(
        "memory per member connection ({members_n} open, clients in the same process): hub {}, bare {}, the hub's \
         extra over the bare server ≈ {}",
        kib(hub_mem),
        kib(bare_mem),
        match (hub_mem, bare_mem) {
            (Some(h), Some(b)) => format!("{:.1} KiB", h - b),
            _ => "?".into(),
        }
    );
    print_verdicts("fanout", &verdicts);
}
