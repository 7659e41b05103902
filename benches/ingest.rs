//! Headless ingest: a flood server on loopback sends N text frames of 64 bytes; compare the time
//! `wstab connect URL --count N > /dev/null` takes with a bare tokio-tungstenite client reading
//! the same flood (and with websocat when it is installed). Prints a table; asserts nothing.
//!
//! Run: `cargo bench --bench ingest` (N from `WSTAB_BENCH_FRAMES`, default 2,000,000).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::*;

fn process(cmd: &mut Command) -> Option<Duration> {
    let start = Instant::now();
    let status = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?;
    status.success().then(|| start.elapsed())
}

fn main() {
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(flood_server(n));
    let url = format!("ws://{addr}/");
    let wstab = env!("CARGO_BIN_EXE_wstab");

    let mut bare = Vec::new();
    let mut ours = Vec::new();
    let mut websocat = Vec::new();
    let has_websocat = Command::new("websocat").arg("--version").stdout(Stdio::null()).status().is_ok();
    for _ in 0..runs {
        bare.push(rt.block_on(bare_client(&url, n)));
        ours.push(
            process(Command::new(wstab).args(["connect", &url, "--count", &n.to_string()]))
                .expect("wstab connect failed"),
        );
        if has_websocat && let Some(d) = process(Command::new("websocat").args(["-n", "--text", &url])) {
            websocat.push(d);
        }
    }
    let bare = median(bare);
    let ours = median(ours);
    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e6;
    println!("headless ingest: {n} text frames of {PAYLOAD} B over loopback, median of {runs}");
    println!("| client | time | Mframes/s | vs bare |");
    println!("|---|---|---|---|");
    println!("| bare tokio-tungstenite (in-process) | {:.3} s | {:.2} | 1.00× |", bare.as_secs_f64(), rate(bare));
    println!(
        "| wstab connect > /dev/null | {:.3} s | {:.2} | {:.2}× |",
        ours.as_secs_f64(),
        rate(ours),
        ours.as_secs_f64() / bare.as_secs_f64()
    );
    if websocat.is_empty() {
        println!("| websocat | not installed (cargo install websocat) | | |");
    } else {
        let w = median(websocat);
        println!(
            "| websocat -n --text > /dev/null | {:.3} s | {:.2} | {:.2}× |",
            w.as_secs_f64(),
            rate(w),
            w.as_secs_f64() / bare.as_secs_f64()
        );
    }
}
