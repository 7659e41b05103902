//! Gateway relay: echo through the gateway emulator versus straight to the same echo backend,
//! and versus nginx as a WebSocket proxy in front of it when nginx is installed. All on loopback.
//!
//! Like with like: one backend serves every path, and it writes the way the gateway does (it
//! echoes everything already read, then flushes once), so no path wins by coalescing another's
//! small writes. Every client sends the same handshake (a subscription key and a bearer JWT).
//! The gateway runs as deployed — `wstab gateway --config FILE --log-file FILE`, its own
//! process like nginx — checking both (subscription required, `validate_jwt` with HS256,
//! audience and issuer) and writing its JSON log to the file. Client and backend share this
//! process's runtime on every path.
//!
//! Four loads, each on every path, interleaved run by run, each run starting one path later
//! than the last (with as many runs as paths, or a multiple, each path sits in each slot
//! equally often):
//! - round trips: one client, one message in flight: the per-message latency (request → reply),
//!   p50 and p99, and what the gateway adds to it;
//! - one stream: one client streaming N messages (up to 1024 in flight): throughput;
//! - 100 streams: 100 clients at once, N/100 messages each (up to 16 in flight each):
//!   throughput, and the latency of each message under that load;
//! - 1 MiB binary: one client, `WSTAB_BENCH_LARGE` (default 500) binary messages of 1 MiB, up
//!   to 4 in flight: what the relay's read size costs large messages (no target of its own).
//!
//! Run: `cargo bench --bench relay` (`WSTAB_BENCH_MESSAGES`, default 1,000,000;
//! `WSTAB_BENCH_ROUNDTRIPS`, default 20,000; `WSTAB_BENCH_RUNS`, default one per path). To
//! compare with an earlier build in the same run, interleaved:
//! `WSTAB_BENCH_BEFORE_BIN=/path/to/old/wstab`. To run only some loads (e.g. while profiling a
//! proxy with `perf record -p`):
//! `WSTAB_BENCH_LOADS=stream` (any of `roundtrips`, `stream`, `streams`, `large`, comma-separated).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::proxy::*;
use common::*;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Targets in `benches/README.md` (issue 16, point 3): the gateway relays at least 90% of
/// direct, at least 1.2× nginx's rate, and adds under 200 µs to a round trip at p99.
const TARGET_SHARE: f64 = 0.90;
const TARGET_VS_NGINX: f64 = 1.2;
const TARGET_ADDED_P99: Duration = Duration::from_micros(200);

/// The one echo backend: echoes every text and binary message, writing all that is already
/// read before one flush (as the gateway's relay does), on every path alike.
async fn batched_echo() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                while let Some(Ok(first)) = ws.next().await {
                    let mut next = Some(first);
                    // Echo what is already buffered without waiting, then flush once.
                    while let Some(m) = next.take() {
                        if (m.is_text() || m.is_binary()) && ws.feed(m).await.is_err() {
                            return;
                        }
                        next = match ws.next().now_or_never() {
                            Some(Some(Ok(m))) => Some(m),
                            Some(_) => return,
                            None => None,
                        };
                    }
                    if ws.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// One load: `clients` clients each sending `each` messages of `size` bytes, at most `window`
/// in flight.
struct Load {
    /// Its name in `WSTAB_BENCH_LOADS`.
    key: &'static str,
    /// Its name in the tables.
    name: &'static str,
    clients: usize,
    each: u64,
    window: usize,
    size: usize,
    role: Role,
}

/// What a load is measured for.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// The added latency per round trip (a target); too few messages for CPU per message.
    Latency,
    /// Throughput against direct and nginx (the 90% and 1.2× targets).
    Throughput,
    /// Shown with its CPU per message, no target: what the relay's read size costs 1 MiB
    /// messages.
    Shown,
}

/// What one load on one path measured.
struct Run {
    elapsed: Duration,
    /// Request → reply of every message, sorted.
    latencies: Vec<Duration>,
}

/// `clients` clients each send `each` messages of `size` bytes (text of [`PAYLOAD`] bytes,
/// binary when larger) with at most `window` in flight and read every echo; the clock starts
/// once all are connected.
async fn load(url: &str, token: &str, clients: usize, each: u64, window: usize, size: usize) -> Run {
    let mut sockets = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("Ocp-Apim-Subscription-Key", KEY.parse().unwrap());
        request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
        sockets.push(ws);
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for ws in sockets {
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            let permits = Arc::new(Semaphore::new(window));
            let (sent_at, mut sent) = mpsc::unbounded_channel::<Instant>();
            let writer = {
                let permits = permits.clone();
                tokio::spawn(async move {
                    let msg = if size <= PAYLOAD {
                        Message::text("y".repeat(size))
                    } else {
                        Message::binary(vec![b'y'; size])
                    };
                    for _ in 0..each {
                        // Write while the window allows; flush only before waiting for room.
                        match permits.try_acquire() {
                            Ok(p) => p.forget(),
                            Err(_) => {
                                tx.flush().await.expect("flush");
                                permits.acquire().await.expect("permits").forget();
                            }
                        }
                        let _ = sent_at.send(Instant::now());
                        tx.feed(msg.clone()).await.expect("send");
                    }
                    tx.flush().await.expect("flush");
                    tx
                })
            };
            let mut latencies = Vec::with_capacity(each as usize);
            while (latencies.len() as u64) < each {
                match rx.next().await {
                    Some(Ok(m)) if m.is_text() || m.is_binary() => {
                        let at = sent.recv().await.expect("a send time for every echo");
                        latencies.push(at.elapsed());
                        permits.add_permits(1);
                    }
                    Some(Ok(_)) => {}
                    other => panic!("echo stream ended after {} of {each}: {other:?}", latencies.len()),
                }
            }
            let mut tx = writer.await.expect("writer");
            let _ = tx.close().await;
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(clients * each as usize);
    for t in tasks {
        latencies.extend(t.await.expect("client"));
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Run { elapsed, latencies }
}

/// One load's figures on one path across runs.
#[derive(Default)]
struct Figures {
    times: Vec<Duration>,
    p50: Vec<Duration>,
    p99: Vec<Duration>,
    /// CPU time of this process (the clients and the backend) per run.
    ends_cpu: Vec<Duration>,
    /// CPU time of the proxy (the gateway, nginx's master and workers) per run; zero direct.
    proxy_cpu: Vec<Duration>,
}

impl Figures {
    fn add(&mut self, run: Run, cpu: Cpu) {
        self.p50.push(percentile(&run.latencies, 50.0));
        self.p99.push(percentile(&run.latencies, 99.0));
        self.times.push(run.elapsed);
        self.ends_cpu.push(cpu.ends);
        self.proxy_cpu.push(cpu.proxy);
    }
}

/// Where the CPU went during one load on one path: what shows why a proxy on the same two
/// cores as its clients and backend cannot relay as fast as direct once they are saturated.
struct Cpu {
    ends: Duration,
    proxy: Duration,
}

/// Runs `load` and measures the CPU this process and the proxy (`proxy`, a pid, when there is
/// one) spent on it.
fn measured(
    rt: &tokio::runtime::Runtime,
    proxy: Option<u32>,
    load: impl std::future::Future<Output = Run>,
) -> (Run, Cpu) {
    let me = std::process::id();
    let proxy_cpu = || proxy.map_or(0, tree_cpu_ns);
    let (ends_before, proxy_before) = (process_cpu_ns(me), proxy_cpu());
    let run = rt.block_on(load);
    let ends = Duration::from_nanos(process_cpu_ns(me).saturating_sub(ends_before));
    let proxy = Duration::from_nanos(proxy_cpu().saturating_sub(proxy_before));
    (run, Cpu { ends, proxy })
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn us_spread(v: &[Duration]) -> String {
    let s = Spread::of(v);
    format!("{} ({:.0}–{:.0})", us(s.median), s.min.as_secs_f64() * 1e6, s.max.as_secs_f64() * 1e6)
}

/// Signed difference in µs between two medians.
fn added(through: &[Duration], direct: &[Duration]) -> String {
    let d = Spread::of(through).median.as_secs_f64() - Spread::of(direct).median.as_secs_f64();
    format!("{:+.0} µs", d * 1e6)
}

fn main() {
    // A million: at 200,000 a stream lasted 0.1 s, and a stall or a late wake-up swung it by 10%.
    let n: u64 = env_or("WSTAB_BENCH_MESSAGES", 1_000_000);
    let round_trips: u64 = env_or("WSTAB_BENCH_ROUNDTRIPS", 20_000);
    let large: u64 = env_or("WSTAB_BENCH_LARGE", 500);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gateway.log");
    let backend = rt.block_on(batched_echo());
    let this_bin = Path::new(env!("CARGO_BIN_EXE_wstab"));
    let listen = "127.0.0.1:0";
    let (gateway, gateway_addr) =
        start_gateway(this_bin, dir.path(), &gateway_config(backend, ""), listen, &log).expect("wstab gateway");
    let nginx = start_nginx(dir.path(), backend, &NginxSetup::default());
    let token = token();
    // (name, URL, the proxy's pid)
    let mut paths: Vec<(&str, String, Option<u32>)> = vec![
        ("direct to the backend", format!("ws://{backend}/echo"), None),
        ("through `wstab gateway` (its own process)", format!("ws://{gateway_addr}/echo"), Some(gateway.child.id())),
    ];
    let nginx_path = nginx.as_ref().ok().map(|(server, addr)| {
        paths.push(("through nginx (proxy_pass, workers: auto)", format!("ws://{addr}/echo"), Some(server.child.id())));
        paths.len() - 1
    });
    // An earlier gateway build, measured in the same runs (its own log file and directory).
    let before_dir = tempfile::tempdir().unwrap();
    let before = std::env::var_os("WSTAB_BENCH_BEFORE_BIN").map(|bin| {
        let (server, addr) = start_gateway(
            Path::new(&bin),
            before_dir.path(),
            &gateway_config(backend, ""),
            listen,
            &before_dir.path().join("gateway.log"),
        )
        .expect("the earlier wstab gateway");
        paths.push(("through the earlier `wstab gateway` build", format!("ws://{addr}/echo"), Some(server.child.id())));
        server
    });
    // As many runs as paths by default, so that each path sits in each slot once.
    let runs: usize = env_or("WSTAB_BENCH_RUNS", paths.len());
    let loads = [
        Load {
            key: "roundtrips",
            name: "round trips (1 client, 1 in flight)",
            clients: 1,
            each: round_trips,
            window: 1,
            size: PAYLOAD,
            role: Role::Latency,
        },
        Load {
            key: "stream",
            name: "one stream (1 client, ≤1024 in flight)",
            clients: 1,
            each: n,
            window: 1024,
            size: PAYLOAD,
            role: Role::Throughput,
        },
        Load {
            key: "streams",
            name: "100 streams (100 clients, ≤16 in flight each)",
            clients: 100,
            each: n / 100,
            window: 16,
            size: PAYLOAD,
            role: Role::Throughput,
        },
        Load {
            key: "large",
            name: "1 MiB binary (1 client, ≤4 in flight)",
            clients: 1,
            each: large,
            window: 4,
            size: 1 << 20,
            role: Role::Shown,
        },
    ];
    let only = std::env::var("WSTAB_BENCH_LOADS").unwrap_or_default();
    let only: Vec<&str> = only.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
    if let Some(unknown) = only.iter().find(|k| !loads.iter().any(|l| l.key == **k)) {
        let known: Vec<&str> = loads.iter().map(|l| l.key).collect();
        panic!("WSTAB_BENCH_LOADS: unknown load {unknown:?} (known: {})", known.join(", "));
    }
    // The indices of the loads to run, in the table's order.
    let chosen: Vec<usize> = (0..loads.len()).filter(|&l| only.is_empty() || only.contains(&loads[l].key)).collect();
    let mut figures: Vec<Vec<Figures>> =
        loads.iter().map(|_| paths.iter().map(|_| Figures::default()).collect()).collect();
    for r in 0..runs {
        for &l in &chosen {
            let Load { clients, each, window, size, .. } = loads[l];
            // Each run starts one path later than the last, so no path keeps one slot (as in
            // the scale bench: the slot after another path's teardown measured slower).
            for p in (0..paths.len()).map(|i| (i + r) % paths.len()) {
                let (_, url, proxy) = &paths[p];
                let (run, cpu) = measured(&rt, *proxy, load(url, &token, clients, each, window, size));
                figures[l][p].add(run, cpu);
            }
        }
    }

    println!(
        "gateway relay: echo of {PAYLOAD} B text messages (and 1 MiB binary ones) over loopback, {runs} interleaved runs (median, min–max)"
    );
    println!(
        "gateway: subscription key + validate_jwt (HS256, aud, iss) + JSON log to a file; one batched-flush echo backend for every path"
    );
    println!("| load | path | time | rate | vs direct | latency p50 | latency p99 | added p50 / p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    for &l in &chosen {
        let Load { name: load_name, clients, each, size, .. } = loads[l];
        let total = clients as u64 * each;
        // Messages per second for the small ones, bytes per second for the 1 MiB ones.
        let rate = |t: Duration| {
            let per_sec = total as f64 / t.as_secs_f64();
            if size > PAYLOAD {
                format!("{:.0} MiB/s", per_sec * size as f64 / f64::from(1 << 20))
            } else {
                format!("{:.0}k msgs/s", per_sec / 1000.0)
            }
        };
        let direct = Spread::of(&figures[l][0].times).median;
        for (p, (path_name, _, _)) in paths.iter().enumerate() {
            let f = &figures[l][p];
            let t = Spread::of(&f.times);
            let added = if p == 0 {
                "—".to_string()
            } else {
                format!("{} / {}", added(&f.p50, &figures[l][0].p50), added(&f.p99, &figures[l][0].p99))
            };
            println!(
                "| {load_name} | {path_name} | {} | {} | {:.0}% | {} | {} | {added} |",
                t.secs(),
                rate(t.median),
                100.0 * direct.as_secs_f64() / t.median.as_secs_f64(),
                us_spread(&f.p50),
                us_spread(&f.p99),
            );
        }
    }
    if let Err(why) = &nginx {
        println!("| | through nginx | not measured: {why} | | | | | |");
    }
    // Why a proxy cannot keep up with direct on these two cores: CPU per message of the ends
    // (clients + backend, this process) and of the proxy, and how many cores were busy.
    println!();
    println!("CPU per message (median over runs) and cores busy (CPU time of ends + proxy over wall time)");
    println!("| load | path | ends µs/msg | proxy µs/msg | total µs/msg | cores busy |");
    println!("|---|---|---|---|---|---|");
    for &l in chosen.iter().filter(|&&l| loads[l].role != Role::Latency) {
        let Load { name: load_name, clients, each, .. } = loads[l];
        let total = (clients as u64 * each) as f64;
        for (p, (path_name, _, _)) in paths.iter().enumerate() {
            let f = &figures[l][p];
            let per = |v: &[Duration]| Spread::of(v).median.as_secs_f64() * 1e6 / total;
            let busy: Vec<Duration> = (0..f.times.len())
                .map(|r| {
                    Duration::from_secs_f64((f.ends_cpu[r] + f.proxy_cpu[r]).as_secs_f64() / f.times[r].as_secs_f64())
                })
                .collect();
            println!(
                "| {load_name} | {path_name} | {:.2} | {:.2} | {:.2} | {:.2} |",
                per(&f.ends_cpu),
                per(&f.proxy_cpu),
                per(&f.ends_cpu) + per(&f.proxy_cpu),
                Spread::of(&busy).median.as_secs_f64(),
            );
        }
    }
    let log_lines = std::fs::read_to_string(&log).map(|t| t.lines().count()).unwrap_or(0);
    println!("gateway log file: {log_lines} JSON records (one per handshake, one per connection end)");

    let mut verdicts = Vec::new();
    for &l in chosen.iter().filter(|&&l| loads[l].role == Role::Throughput) {
        let load_name = loads[l].name;
        let direct = Spread::of(&figures[l][0].times);
        let through = Spread::of(&figures[l][1].times);
        let share = direct.median.as_secs_f64() / through.median.as_secs_f64();
        verdicts.push(Verdict {
            target: format!("relay at least 90% of direct: {load_name}"),
            figure: format!("gateway {} = {:.0}%", through.secs(), 100.0 * share),
            baseline: format!("direct {}", direct.secs()),
            met: Some(share >= TARGET_SHARE),
        });
        verdicts.push(match nginx_path.map(|p| &figures[l][p]) {
            Some(nginx) => {
                let proxied = Spread::of(&nginx.times);
                let ratio = proxied.median.as_secs_f64() / through.median.as_secs_f64();
                Verdict {
                    target: format!("relay at least 1.2× nginx, with key, validate_jwt and file log: {load_name}"),
                    figure: format!("gateway {} = {ratio:.2}× nginx", through.secs()),
                    baseline: format!("nginx {}", proxied.secs()),
                    met: Some(ratio >= TARGET_VS_NGINX),
                }
            }
            None => Verdict {
                target: format!("relay at least 1.2× nginx: {load_name}"),
                figure: format!("gateway {}", through.secs()),
                baseline: "nginx not run".into(),
                met: None,
            },
        });
    }
    for &l in chosen.iter().filter(|&&l| loads[l].role == Role::Latency) {
        let f = &figures[l];
        let added_p99 = Spread::of(&f[1].p99).median.saturating_sub(Spread::of(&f[0].p99).median);
        verdicts.push(Verdict {
            target: "added latency per round trip, p99 < 200 µs over direct".into(),
            figure: format!("p50 {} / p99 {}", added(&f[1].p50, &f[0].p50), added(&f[1].p99, &f[0].p99)),
            baseline: format!("direct p50 {} / p99 {}", us_spread(&f[0].p50), us_spread(&f[0].p99)),
            met: Some(added_p99 < TARGET_ADDED_P99),
        });
    }
    print_verdicts("relay", &verdicts);
    drop(before);
    drop(nginx);
    drop(gateway);
}
