//! Headless ingest: a flood server on loopback sends N frames to each client. Every client is a
//! separate process that prints each message as a line, and its output goes through a pipe into
//! `wc -l`, which must count N lines: the same work for all of them. Two floods:
//! - text: 2,000,000 text frames of 64 B, printed as they are;
//! - binary: 10,000 binary frames of 1 MiB, printed as base64 (`--binary-as base64`).
//!
//! Clients:
//! - bare: this bench binary started again as a bare tokio-tungstenite reader (one thread,
//!   buffered stdout, base64 into a reused buffer) — the least a client can do;
//! - `wstab connect URL --count N` (`--binary-as base64` for the binary flood);
//! - `websocat -n --text URL`, when it is installed (text flood only).
//!
//! The runs are interleaved (bare, wstab, websocat, repeated), so a burst of load from the
//! others' builds hits all of them alike; medians and the min–max range are printed, and the
//! peak RSS of each client process (`wait4`'s `ru_maxrss`). Asserts no timing. Run:
//! `cargo bench --bench ingest` (`WSTAB_BENCH_FRAMES`, default 2,000,000;
//! `WSTAB_BENCH_BINARY_FRAMES`, default 10,000; `WSTAB_BENCH_RUNS`, default 5).

use std::io::{BufWriter, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use base64::Engine;
use common::*;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

/// Set to a URL, this binary is the bare client instead of the bench.
const BARE_CLIENT_ENV: &str = "WSTAB_BENCH_BARE_CLIENT_URL";
/// The targets in `benches/README.md`: within 1.5× of the bare client, peak RSS under 50 MB.
const TARGET_RATIO: f64 = 1.5;
const TARGET_RSS_MB: f64 = 50.0;
/// Size of each binary flood frame.
const BINARY_PAYLOAD: usize = 1 << 20;

/// The bare client: read frames from the URL until it closes, print each text as a line and
/// each binary as a base64 line.
fn bare_client_process(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        let mut encoded = String::new();
        while let Some(Ok(m)) = ws.next().await {
            match m {
                Message::Text(text) => {
                    out.write_all(text.as_bytes()).unwrap();
                    out.write_all(b"\n").unwrap();
                }
                Message::Binary(b) => {
                    encoded.clear();
                    base64::engine::general_purpose::STANDARD.encode_string(&b, &mut encoded);
                    out.write_all(encoded.as_bytes()).unwrap();
                    out.write_all(b"\n").unwrap();
                }
                _ => {}
            }
        }
        out.flush().unwrap();
    });
}

/// One client run: how long `cmd | wc -l` took and the client's peak RSS in kB.
struct Run {
    elapsed: Duration,
    peak_rss_kb: u64,
}

/// Runs `cmd | wc -l`; the time until both ended, or why the run does not count.
fn piped(cmd: &mut Command, n: u64) -> Result<Run, String> {
    let start = Instant::now();
    let mut client =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    let pipe = client.stdout.take().ok_or("no stdout")?;
    let mut wc = Command::new("wc")
        .arg("-l")
        .stdin(Stdio::from(pipe))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("wc: {e}"))?;
    let mut counted = String::new();
    wc.stdout.take().ok_or("no wc stdout")?.read_to_string(&mut counted).map_err(|e| e.to_string())?;
    let (status, peak_rss_kb) = wait_with_peak_rss(client)?;
    let _ = wc.wait();
    let elapsed = start.elapsed();
    let lines: u64 = counted.trim().parse().map_err(|_| format!("wc said {counted:?}"))?;
    if status != 0 {
        return Err(format!("exited with wait status {status}"));
    }
    if lines != n {
        return Err(format!("{lines} lines, expected {n}"));
    }
    Ok(Run { elapsed, peak_rss_kb })
}

/// Reaps `child` with `wait4`, which also reports its peak RSS (`ru_maxrss`, kB on Linux).
fn wait_with_peak_rss(child: std::process::Child) -> Result<(i32, u64), String> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child, reaped once
    // here (the Child is forgotten so it does not wait on a reaped pid).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    if rc != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    Ok((status, usage.ru_maxrss as u64))
}

struct Client {
    name: String,
    command: Box<dyn Fn() -> Command>,
    runs: Vec<Run>,
    failures: Vec<String>,
}

impl Client {
    fn new(name: impl Into<String>, command: impl Fn() -> Command + 'static) -> Self {
        Self { name: name.into(), command: Box::new(command), runs: Vec::new(), failures: Vec::new() }
    }

    fn spread(&self) -> Option<Spread> {
        (!self.runs.is_empty()).then(|| Spread::of(&self.runs.iter().map(|r| r.elapsed).collect::<Vec<_>>()))
    }

    fn peak_mb(&self) -> f64 {
        self.runs.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0) as f64 / 1024.0
    }
}

/// One flood and the clients that read it.
struct Flood {
    label: String,
    n: u64,
    clients: Vec<Client>,
}

fn bare(url: &str) -> Client {
    let me = std::env::current_exe().expect("the bench's own path");
    let url = url.to_string();
    Client::new("bare tokio-tungstenite reader (separate process)", move || {
        let mut c = Command::new(&me);
        c.env(BARE_CLIENT_ENV, &url);
        c
    })
}

/// Set to paths of other `wstab` builds (`:`-separated), each runs as one more client
/// (interleaved with the others), so a change is measured against the build before it in the
/// same run.
const COMPARE_ENV: &str = "WSTAB_BENCH_COMPARE_BIN";

fn wstab(url: &str, n: u64, extra: &'static [&'static str]) -> Client {
    wstab_at(env!("CARGO_BIN_EXE_wstab").into(), url, n, extra)
}

fn wstab_at(bin: std::path::PathBuf, url: &str, n: u64, extra: &'static [&'static str]) -> Client {
    let url = url.to_string();
    let program = if bin.as_path() == std::path::Path::new(env!("CARGO_BIN_EXE_wstab")) {
        "wstab".to_string()
    } else {
        format!("{} (other build)", bin.display())
    };
    let name = format!("{program} connect URL --count N{}", if extra.is_empty() { "" } else { " --binary-as base64" });
    Client::new(name, move || {
        let mut c = Command::new(&bin);
        c.args(["connect", &url, "--count", &n.to_string()]).args(extra);
        c
    })
}

fn main() {
    if let Ok(url) = std::env::var(BARE_CLIENT_ENV) {
        bare_client_process(&url);
        return;
    }
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let n_binary: u64 = env_or("WSTAB_BENCH_BINARY_FRAMES", 10_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 5);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let text_url = format!("ws://{}/", rt.block_on(flood_server(n)));
    let binary_url =
        format!("ws://{}/", rt.block_on(flood_server_of(n_binary, Message::binary(vec![0xa5u8; BINARY_PAYLOAD]))));

    let mut text = Flood {
        label: format!("{n} text frames of {PAYLOAD} B"),
        n,
        clients: vec![bare(&text_url), wstab(&text_url, n, &[])],
    };
    let has_websocat = installed("websocat", "--version");
    if has_websocat {
        let url = text_url.clone();
        text.clients.push(Client::new("websocat -n --text URL", move || {
            let mut c = Command::new("websocat");
            c.args(["-n", "--text", &url]);
            c
        }));
    }
    let binary = Flood {
        label: format!("{n_binary} binary frames of 1 MiB as base64"),
        n: n_binary,
        clients: vec![bare(&binary_url), wstab(&binary_url, n_binary, &["--binary-as", "base64"])],
    };
    let mut floods = vec![text, binary];
    for other in std::env::var_os(COMPARE_ENV).iter().flat_map(std::env::split_paths) {
        floods[0].clients.push(wstab_at(other.clone(), &text_url, n, &[]));
        floods[1].clients.push(wstab_at(other, &binary_url, n_binary, &["--binary-as", "base64"]));
    }
    for _ in 0..runs {
        for flood in &mut floods {
            for client in &mut flood.clients {
                match piped(&mut (client.command)(), flood.n) {
                    Ok(r) => client.runs.push(r),
                    Err(e) => client.failures.push(e),
                }
            }
        }
    }

    let mut verdicts = Vec::new();
    for flood in &floods {
        let n = flood.n;
        let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e3;
        println!("headless ingest: {}, over loopback, each client `| wc -l`, {runs} interleaved runs", flood.label);
        println!("| client | median (min–max) | kframes/s | vs bare | peak RSS | runs that did not count |");
        println!("|---|---|---|---|---|---|");
        let bare = flood.clients[0].spread();
        for c in &flood.clients {
            let Some(s) = c.spread() else {
                println!("| {} | no valid run | | | | {} |", c.name, c.failures.join("; "));
                continue;
            };
            let vs =
                bare.map_or(String::from("?"), |b| format!("{:.2}×", s.median.as_secs_f64() / b.median.as_secs_f64()));
            println!(
                "| {} | {} | {:.1} | {vs} | {:.1} MB | {} |",
                c.name,
                s.secs(),
                rate(s.median),
                c.peak_mb(),
                c.failures.join("; ")
            );
        }
        println!();
        let ours = &flood.clients[1];
        let bare_shown = bare.map_or("no valid run".into(), |b| format!("bare {}", b.secs()));
        verdicts.push(match (ours.spread(), bare) {
            (Some(o), Some(b)) => {
                let ratio = o.median.as_secs_f64() / b.median.as_secs_f64();
                Verdict {
                    target: format!("headless ingest within {TARGET_RATIO}× of the bare client ({})", flood.label),
                    figure: format!("wstab {} = {ratio:.2}×", o.secs()),
                    baseline: bare_shown.clone(),
                    met: Some(ratio <= TARGET_RATIO),
                }
            }
            _ => Verdict {
                target: format!("headless ingest within {TARGET_RATIO}× of the bare client ({})", flood.label),
                figure: "no valid run".into(),
                baseline: bare_shown.clone(),
                met: None,
            },
        });
        verdicts.push(Verdict {
            target: format!("peak RSS of `wstab connect` under {TARGET_RSS_MB} MB ({})", flood.label),
            figure: format!("{:.1} MB", ours.peak_mb()),
            baseline: format!("bare {:.1} MB", flood.clients[0].peak_mb()),
            met: (!ours.runs.is_empty()).then(|| ours.peak_mb() < TARGET_RSS_MB),
        });
    }
    if !has_websocat {
        println!("websocat: not installed (cargo install websocat)");
    }
    let text = &floods[0];
    verdicts.push(
        match (
            text.clients[1].spread(),
            text.clients.iter().find(|c| c.name.starts_with("websocat")).and_then(Client::spread),
        ) {
            (Some(o), Some(w)) => Verdict {
                target: "headless ingest faster than websocat (text)".into(),
                figure: format!("wstab {}", o.secs()),
                baseline: format!("websocat {}", w.secs()),
                met: Some(o.median < w.median),
            },
            _ => Verdict {
                target: "headless ingest faster than websocat (text)".into(),
                figure: if has_websocat { "no valid run".into() } else { "websocat not installed".into() },
                baseline: String::new(),
                met: None,
            },
        },
    );
    print_verdicts("ingest", &verdicts);
}
