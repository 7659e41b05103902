//! Gateway scale (issue 16.4): many concurrent idle WebSocket connections through
//! `wstab gateway` (as deployed: its own process, subscription key required, a `validate_jwt`
//! policy, the JSON log to a file) to an echo backend, against nginx as a WebSocket proxy in
//! front of the same kind of backend, and against the backend alone.
//!
//! Per path and run, with a fresh backend (a child process: the bench's own binary started
//! again) and a fresh proxy: 100 connections opened and closed to warm up; the proxy's RSS
//! (nginx: master and workers) read; N connections opened, [`IN_FLIGHT`] handshakes at a time,
//! each with the subscription key and a bearer JWT — the new-connection rate is N over the
//! time that took; after a second's settling the RSS read again — the growth per connection;
//! then one message echoed over every connection, to show each is relayed and not merely
//! accepted. Paths are interleaved run by run, each run starting one path later than the last
//! (so with as many runs as paths, or a multiple, each path sits in each slot equally often);
//! every run uses addresses of its own in 127.0.0.0/8 (so TIME_WAIT from one never meets the
//! next, and the ephemeral ports of one address pair suffice).
//!
//! The clients are minimal on purpose (a handshake written by hand, then the socket held), so
//! the bench's own share of the two cores stays small.
//!
//! Run: `cargo bench --bench scale` (`WSTAB_BENCH_CONNECTIONS`, default 10,000, lowered to
//! what the open-file limit allows: the gateway holds two descriptors per connection;
//! `WSTAB_BENCH_RUNS`, default one per path; `WSTAB_BENCH_BEFORE_BIN=/path/to/old/wstab` adds
//! an earlier gateway build to the same runs).

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::proxy::*;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Set in the backend child: the address (an IP) it listens on.
const BACKEND_ENV: &str = "WSTAB_BENCH_SCALE_BACKEND";
/// Handshakes in flight at once.
const IN_FLIGHT: usize = 64;
/// Connections opened and closed before the first RSS reading.
const WARM_UP: usize = 100;
/// Targets in `benches/README.md` (issue 16, point 4).
const TARGET_KIB_PER_CONN: f64 = 30.0;
const TARGET_RATE_VS_NGINX: f64 = 1.0;
/// Every wait on the network is bounded.
const WAIT: Duration = Duration::from_secs(20);

/// The backend child: a tokio-tungstenite echo server on `ip`; prints its address, serves until
/// its stdin closes (so it never outlives the bench). Its read buffer is small: tungstenite's
/// default (128 KiB, zero-filled on the first read) made the backend spend more of the two
/// cores than the proxy in front of it, on every path alike.
fn backend_child(ip: &str) {
    let light = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    raise_file_limit();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("backend bind");
        println!("{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(light)).await else {
                        return;
                    };
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let _ = tokio::task::spawn_blocking(|| {
            let mut byte = [0u8; 1];
            while std::io::stdin().read(&mut byte).is_ok_and(|n| n > 0) {}
        })
        .await;
    });
}

/// A backend child and where it listens.
fn start_backend(ip: &str) -> Result<(Server, SocketAddr), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(me)
        .env(BACKEND_ENV, ip)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server { child, signal: libc::SIGTERM };
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map_err(|e| e.to_string())?;
    let addr = line.trim().parse().map_err(|e| format!("backend said {line:?}: {e}"))?;
    Ok((server, addr))
}

/// The handshake every client sends: the subscription key and a bearer token (the backend and
/// nginx ignore them; the gateway checks both).
fn request(addr: SocketAddr, token: &str) -> String {
    format!(
        "GET /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Ocp-Apim-Subscription-Key: {KEY}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
}

/// Opens one WebSocket connection: the handshake written, the `101` read; the socket and how
/// long that took.
async fn open(addr: SocketAddr, request: &str) -> Result<(TcpStream, Duration), String> {
    let started = Instant::now();
    let handshake = async {
        let mut tcp = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        tcp.write_all(request.as_bytes()).await.map_err(|e| format!("write: {e}"))?;
        let mut head = Vec::with_capacity(512);
        let mut chunk = [0u8; 512];
        // The echo backend sends nothing before it is sent something: the head is all there is.
        while !head.ends_with(b"\r\n\r\n") {
            let n = tcp.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err(format!("closed during the handshake: {}", String::from_utf8_lossy(&head)));
            }
            head.extend_from_slice(&chunk[..n]);
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            return Err(format!("refused: {}", String::from_utf8_lossy(&head).lines().next().unwrap_or_default()));
        }
        Ok(tcp)
    };
    let tcp = tokio::time::timeout(WAIT, handshake).await.map_err(|_| "handshake timed out".to_string())??;
    Ok((tcp, started.elapsed()))
}

/// One masked text message out, its echo back.
async fn echo(tcp: &mut TcpStream) -> Result<(), String> {
    let mask = [0x11, 0x22, 0x33, 0x44];
    let mut frame = vec![0x81, 0x80 | 4];
    frame.extend_from_slice(&mask);
    frame.extend(b"ping".iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    let round = async {
        tcp.write_all(&frame).await?;
        let mut back = [0u8; 6];
        tcp.read_exact(&mut back).await?;
        Ok::<_, std::io::Error>(back)
    };
    match tokio::time::timeout(WAIT, round).await {
        Ok(Ok(back)) if back == *b"\x81\x04ping" => Ok(()),
        Ok(Ok(back)) => Err(format!("unexpected echo {back:?}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("echo timed out".into()),
    }
}

/// RSS in kB of `pid` and its children.
fn tree_rss_kb(pid: u32) -> u64 {
    tree(pid).into_iter().map(|p| pid_status_kb(p, "VmRSS").unwrap_or(0)).sum()
}

/// What one path measured in one run.
struct Run {
    /// Time to open all N.
    open: Duration,
    /// Each handshake's own time (connect → `101`), sorted.
    handshakes: Vec<Duration>,
    /// RSS growth of the server side per open connection, KiB.
    kib_per_conn: f64,
    /// RSS before and after, kB.
    rss: (u64, u64),
    /// The server side's CPU time per connection opened, from the first handshake to the last.
    cpu_per_conn: Duration,
    /// Connections that echoed afterwards.
    echoed: usize,
}

/// Opens `n` connections to `addr` with [`IN_FLIGHT`] handshakes at a time; `pid` is the
/// process (tree) whose memory is watched.
async fn measure(addr: SocketAddr, pid: u32, n: usize, token: &str) -> Result<Run, String> {
    let request = request(addr, token);
    let request = request.as_str();
    // Warm up: the runtime's, allocator's and log's first allocations are not the connections'.
    let warm: Vec<_> =
        futures_util::stream::iter(0..WARM_UP).map(|_| open(addr, request)).buffer_unordered(IN_FLIGHT).collect().await;
    for w in warm {
        let (mut tcp, _) = w?;
        echo(&mut tcp).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = tree_rss_kb(pid);
    let cpu_before = tree_cpu_ns(pid);
    let started = Instant::now();
    let opened: Vec<_> =
        futures_util::stream::iter(0..n).map(|_| open(addr, request)).buffer_unordered(IN_FLIGHT).collect().await;
    let open_time = started.elapsed();
    let cpu = tree_cpu_ns(pid).saturating_sub(cpu_before);
    let mut sockets = Vec::with_capacity(n);
    let mut handshakes = Vec::with_capacity(n);
    let mut errors = Vec::new();
    for o in opened {
        match o {
            Ok((tcp, took)) => {
                sockets.push(tcp);
                handshakes.push(took);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(format!("{} of {n} connections failed, first: {}", errors.len(), errors[0]));
    }
    // Idle: let the server finish what the handshakes started (log writes, tasks settling).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = tree_rss_kb(pid);
    let echoed: usize = futures_util::stream::iter(sockets.iter_mut())
        .map(|tcp| async move { usize::from(echo(tcp).await.is_ok()) })
        .buffer_unordered(256)
        .fold(0, |a, b| async move { a + b })
        .await;
    drop(sockets);
    handshakes.sort();
    Ok(Run {
        open: open_time,
        handshakes,
        kib_per_conn: (after as f64 - before as f64) / n as f64,
        rss: (before, after),
        cpu_per_conn: Duration::from_nanos(cpu / n as u64),
        echoed,
    })
}

/// Hands out loopback addresses, one per server per run.
struct Addresses(u8);

impl Addresses {
    fn next(&mut self) -> String {
        self.0 = self.0.checked_add(1).expect("fewer than 240 servers per bench");
        format!("127.0.0.{}", self.0)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Route {
    Direct,
    Gateway,
    Before,
    Nginx,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Self::Direct => "the echo backend alone (tokio-tungstenite)",
            Self::Gateway => "through `wstab gateway` (key + validate_jwt + file log)",
            Self::Before => "through the earlier `wstab gateway` build",
            Self::Nginx => "through nginx (proxy_pass, workers: auto, reuseport)",
        }
    }
}

/// One path's run: a fresh backend and proxy on addresses of their own, measured, stopped.
fn one_run(
    rt: &tokio::runtime::Runtime,
    path: Route,
    ips: &mut Addresses,
    n: usize,
    limit: u64,
    token: &str,
) -> Result<Run, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (backend, backend_addr) = start_backend(&ips.next())?;
    let gateway_bin = |p: Route| match p {
        Route::Before => std::env::var_os("WSTAB_BENCH_BEFORE_BIN").map(std::path::PathBuf::from),
        _ => Some(Path::new(env!("CARGO_BIN_EXE_wstab")).to_path_buf()),
    };
    let (proxy, addr) = match path {
        Route::Direct => (None, backend_addr),
        Route::Gateway | Route::Before => {
            let bin = gateway_bin(path).ok_or("no earlier build")?;
            // Room for every connection (the default limit is 1,000).
            let config = gateway_config(backend_addr, &format!("[limits]\nmax_connections = {}\n", 2 * n + 1000));
            let listen = format!("{}:0", ips.next());
            let (server, addr) = start_gateway(&bin, dir.path(), &config, &listen, &dir.path().join("gateway.log"))?;
            (Some(server), addr)
        }
        Route::Nginx => {
            let ip = ips.next();
            let setup =
                NginxSetup { ip: &ip, worker_connections: limit as usize, worker_files: Some(limit), reuseport: true };
            let (server, addr) = start_nginx(dir.path(), backend_addr, &setup)?;
            (Some(server), addr)
        }
    };
    let pid = proxy.as_ref().map_or(backend.child.id(), |p| p.child.id());
    let run = rt.block_on(measure(addr, pid, n, token));
    drop(proxy);
    drop(backend);
    run
}

fn main() {
    if let Ok(ip) = std::env::var(BACKEND_ENV) {
        backend_child(&ip);
        return;
    }
    let requested: usize = env_or("WSTAB_BENCH_CONNECTIONS", 10_000);
    let limit = raise_file_limit();
    // The gateway holds two descriptors per connection (client and backend), plus a few of its own.
    let n = requested.min((limit.saturating_sub(64) / 2) as usize).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let token = token();
    let mut paths = vec![Route::Direct, Route::Gateway];
    if std::env::var_os("WSTAB_BENCH_BEFORE_BIN").is_some() {
        paths.push(Route::Before);
    }
    let has_nginx = installed("nginx", "-v");
    if has_nginx {
        paths.push(Route::Nginx);
    }
    let runs: usize = env_or("WSTAB_BENCH_RUNS", paths.len());
    let mut ips = Addresses(9);
    let mut results: Vec<Vec<Run>> = paths.iter().map(|_| Vec::new()).collect();
    let mut failures = Vec::new();
    for run in 0..runs {
        // Each run starts one path later: the path measured right after another one's
        // connections were torn down was measured slow (the same gateway build in two slots:
        // 5,395/s in the second, 7,099/s in the third), so no path keeps one slot.
        for k in 0..paths.len() {
            let p = (run + k) % paths.len();
            let path = paths[p];
            match one_run(&rt, path, &mut ips, n, limit, &token) {
                Ok(run) => results[p].push(run),
                Err(e) => failures.push(format!("{}: {e}", path.name())),
            }
        }
    }

    println!(
        "gateway scale: {n} concurrent idle connections{}, {IN_FLIGHT} handshakes in flight, {runs} interleaved runs \
         (median, min–max); open-file limit {limit}",
        if n < requested { format!(" ({requested} asked; the open-file limit allows {n})") } else { String::new() }
    );
    println!(
        "| path | open {n}: time | handshakes/s | handshake p50 / p99 | server CPU per handshake | RSS growth per connection | RSS before → after | echoed after |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let median_f = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // Per path: handshakes/s, KiB per connection, server CPU µs per handshake.
    let mut summary: Vec<Option<(f64, f64, f64)>> = Vec::new();
    for (p, &path) in paths.iter().enumerate() {
        let r = &results[p];
        if r.is_empty() {
            println!("| {} | not measured | | | | | | |", path.name());
            summary.push(None);
            continue;
        }
        let open = Spread::of(&r.iter().map(|r| r.open).collect::<Vec<_>>());
        let rate = n as f64 / open.median.as_secs_f64();
        let kib: Vec<f64> = r.iter().map(|r| r.kib_per_conn).collect();
        let kib_median = median_f(kib.clone());
        let (lo, hi) = kib.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
        let p50 = Spread::of(&r.iter().map(|r| percentile(&r.handshakes, 50.0)).collect::<Vec<_>>()).median;
        let p99 = Spread::of(&r.iter().map(|r| percentile(&r.handshakes, 99.0)).collect::<Vec<_>>()).median;
        let cpu = Spread::of(&r.iter().map(|r| r.cpu_per_conn).collect::<Vec<_>>());
        let last = r.last().expect("a run");
        println!(
            "| {} | {} | {rate:.0} | {:.2} / {:.2} ms | {:.0} µs ({:.0}–{:.0}) | {kib_median:.1} KiB ({lo:.1}–{hi:.1}) | {:.1} → {:.1} MB | {} of {n} |",
            path.name(),
            open.secs(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            cpu.median.as_secs_f64() * 1e6,
            cpu.min.as_secs_f64() * 1e6,
            cpu.max.as_secs_f64() * 1e6,
            last.rss.0 as f64 / 1024.0,
            last.rss.1 as f64 / 1024.0,
            r.iter().map(|r| r.echoed).min().unwrap_or(0),
        );
        summary.push(Some((rate, kib_median, cpu.median.as_secs_f64() * 1e6)));
    }
    if !failures.is_empty() {
        println!("runs that did not count: {}", failures.join("; "));
    }
    let at = |path: Route| paths.iter().position(|&p| p == path).and_then(|i| summary[i]);
    let mut verdicts = Vec::new();
    let gateway = at(Route::Gateway);
    verdicts.push(match gateway {
        Some((_, kib, _)) => Verdict {
            target: format!("gateway RSS growth ≤ {TARGET_KIB_PER_CONN} KiB per idle connection ({n} open)"),
            figure: format!("{kib:.1} KiB"),
            baseline: at(Route::Nginx).map_or("nginx not run".into(), |(_, k, _)| format!("nginx {k:.1} KiB")),
            met: Some(kib <= TARGET_KIB_PER_CONN),
        },
        None => Verdict {
            target: format!("gateway RSS growth ≤ {TARGET_KIB_PER_CONN} KiB per idle connection"),
            figure: "not measured".into(),
            baseline: String::new(),
            met: None,
        },
    });
    verdicts.push(match (gateway, at(Route::Nginx)) {
        (Some((g, _, g_cpu)), Some((x, _, x_cpu))) => Verdict {
            target: "gateway new-connection rate ≥ nginx's (key check + validate_jwt + file log)".into(),
            figure: format!("{g:.0}/s = {:.2}× nginx; {g_cpu:.0} µs CPU per handshake", g / x),
            baseline: format!(
                "nginx {x:.0}/s, {x_cpu:.0} µs CPU per handshake{}",
                at(Route::Direct).map_or(String::new(), |(d, _, _)| format!("; backend alone {d:.0}/s"))
            ),
            met: Some(g / x >= TARGET_RATE_VS_NGINX),
        },
        _ => Verdict {
            target: "gateway new-connection rate ≥ nginx's".into(),
            figure: gateway.map_or("not measured".into(), |(g, _, _)| format!("{g:.0}/s")),
            baseline: if has_nginx {
                "nginx failed".into()
            } else {
                "nginx not installed (apt-get install nginx)".into()
            },
            met: None,
        },
    });
    print_verdicts("scale", &verdicts);
}
