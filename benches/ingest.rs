//! Headless ingest: a flood server on loopback sends N text frames of 64 bytes to each client.
//! Every client is a separate process that prints each message as a line, and its output goes
//! through a pipe into `wc -l`, which must count N lines: the same work for all of them.
//! - bare: this bench binary started again as a bare tokio-tungstenite reader (one thread,
//!   buffered stdout) — the least a client can do;
//! - `wstab connect URL --count N`;
//! - `websocat -n --text URL`, when it is installed.
//!
//! The runs are interleaved (bare, wstab, websocat, repeated), so a burst of load from the
//! others' builds hits all of them alike; medians and the min–max range are printed. Asserts
//! no timing. Run: `cargo bench --bench ingest` (N from `WSTAB_BENCH_FRAMES`, default
//! 2,000,000; `WSTAB_BENCH_RUNS`, default 5).

use std::io::{BufWriter, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::*;
use futures_util::StreamExt;

/// Set to a URL, this binary is the bare client instead of the bench.
const BARE_CLIENT_ENV: &str = "WSTAB_BENCH_BARE_CLIENT_URL";
/// The target in `benches/README.md`: within 2× of the bare client.
const TARGET_RATIO: f64 = 2.0;

/// The bare client: read text frames from the URL until it closes, print each as a line.
fn bare_client_process(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        while let Some(Ok(m)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = m {
                out.write_all(text.as_bytes()).unwrap();
                out.write_all(b"\n").unwrap();
            }
        }
        out.flush().unwrap();
    });
}

/// Runs `cmd | wc -l`; the time until both ended, or why the run does not count.
fn piped(cmd: &mut Command, n: u64) -> Result<Duration, String> {
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
    let status = client.wait().map_err(|e| e.to_string())?;
    let _ = wc.wait();
    let elapsed = start.elapsed();
    let lines: u64 = counted.trim().parse().map_err(|_| format!("wc said {counted:?}"))?;
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    if lines != n {
        return Err(format!("{lines} lines, expected {n}"));
    }
    Ok(elapsed)
}

struct Client {
    name: &'static str,
    command: Box<dyn Fn() -> Command>,
    runs: Vec<Duration>,
    failures: Vec<String>,
}

fn main() {
    if let Ok(url) = std::env::var(BARE_CLIENT_ENV) {
        bare_client_process(&url);
        return;
    }
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 5);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(flood_server(n));
    let url = format!("ws://{addr}/");
    let me = std::env::current_exe().expect("the bench's own path");

    let mut clients = vec![
        Client {
            name: "bare tokio-tungstenite reader (separate process)",
            command: Box::new({
                let url = url.clone();
                move || {
                    let mut c = Command::new(&me);
                    c.env(BARE_CLIENT_ENV, &url);
                    c
                }
            }),
            runs: Vec::new(),
            failures: Vec::new(),
        },
        Client {
            name: "wstab connect URL --count N",
            command: Box::new({
                let url = url.clone();
                move || {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_wstab"));
                    c.args(["connect", &url, "--count", &n.to_string()]);
                    c
                }
            }),
            runs: Vec::new(),
            failures: Vec::new(),
        },
    ];
    let has_websocat = installed("websocat", "--version");
    if has_websocat {
        clients.push(Client {
            name: "websocat -n --text URL",
            command: Box::new({
                let url = url.clone();
                move || {
                    let mut c = Command::new("websocat");
                    c.args(["-n", "--text", &url]);
                    c
                }
            }),
            runs: Vec::new(),
            failures: Vec::new(),
        });
    }
    for _ in 0..runs {
        for client in &mut clients {
            match piped(&mut (client.command)(), n) {
                Ok(d) => client.runs.push(d),
                Err(e) => client.failures.push(e),
            }
        }
    }

    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e6;
    println!(
        "headless ingest: {n} text frames of {PAYLOAD} B over loopback, each client `| wc -l`, {runs} interleaved runs"
    );
    println!("| client | median (min–max) | Mframes/s | vs bare | runs that did not count |");
    println!("|---|---|---|---|---|");
    let spread = |i: usize| clients.get(i).filter(|c| !c.runs.is_empty()).map(|c| Spread::of(&c.runs));
    let bare = spread(0);
    for c in &clients {
        if c.runs.is_empty() {
            println!("| {} | no valid run | | | {} |", c.name, c.failures.join("; "));
            continue;
        }
        let s = Spread::of(&c.runs);
        let vs = bare.map_or(String::from("?"), |b| format!("{:.2}×", s.median.as_secs_f64() / b.median.as_secs_f64()));
        println!("| {} | {} | {:.2} | {vs} | {} |", c.name, s.secs(), rate(s.median), c.failures.join("; "));
    }
    if !has_websocat {
        println!("| websocat | not installed (cargo install websocat) | | | |");
    }

    let (ours, websocat) = (spread(1), spread(2));
    let mut verdicts = Vec::new();
    let bare_shown = bare.map_or("no valid run".into(), |b| format!("bare {}", b.secs()));
    verdicts.push(match (ours, bare) {
        (Some(o), Some(b)) => {
            let ratio = o.median.as_secs_f64() / b.median.as_secs_f64();
            Verdict {
                target: "headless ingest within 2× of the bare client".into(),
                figure: format!("wstab {} = {ratio:.2}×", o.secs()),
                baseline: bare_shown.clone(),
                met: Some(ratio <= TARGET_RATIO),
            }
        }
        _ => Verdict {
            target: "headless ingest within 2× of the bare client".into(),
            figure: "no valid run".into(),
            baseline: bare_shown.clone(),
            met: None,
        },
    });
    verdicts.push(match (ours, websocat) {
        (Some(o), Some(w)) => Verdict {
            target: "headless ingest faster than websocat".into(),
            figure: format!("wstab {}", o.secs()),
            baseline: format!("websocat {}", w.secs()),
            met: Some(o.median < w.median),
        },
        _ => Verdict {
            target: "headless ingest faster than websocat".into(),
            figure: if has_websocat { "no valid run".into() } else { "websocat not installed".into() },
            baseline: String::new(),
            met: None,
        },
    });
    print_verdicts("ingest", &verdicts);
}
