//! Console ingest: the flood from `ingest` goes into the real console — connection manager →
//! event batches → journal and log store (`tui::ingest`, the event loop's own code) — while the
//! console draws into a 200×50 `TestBackend` at its normal rate (at most every 16 ms). Compared
//! with a bare tokio-tungstenite client reading the same flood in the same process. Also checks
//! every frame is accounted for, and reports the peak RSS of the console phase.
//!
//! Run: `cargo bench --bench console` (N from `WSTAB_BENCH_FRAMES`, default 2,000,000).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use wstab::app::{Action, App, Effect};
use wstab::conn::EventBatch;
use wstab::log::journal::Journal;
use wstab::workspace::{Api, Workspace};

/// The shortest time between two draws, as in the event loop.
const FRAME: Duration = Duration::from_millis(16);

struct ConsoleRun {
    elapsed: Duration,
    received: u64,
    in_memory: usize,
    dropped: u64,
    draws: u64,
}

async fn console_run(url: &str, n: u64) -> ConsoleRun {
    let workspace = Workspace {
        name: "bench".into(),
        gateway: String::new(),
        apis: vec![Api {
            name: "flood".into(),
            display_name: "Flood".into(),
            url_suffix: url.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            sample_message: None,
        }],
    };
    let mut app = App::new(workspace, wstab::log::DEFAULT_LIMIT);
    let mut journal = Journal::new(None).expect("journal");
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (tx, mut rx) = mpsc::channel::<EventBatch>(64);
    let start = Instant::now();
    let Some(Effect::Connect { session, target, profile }) = app.update(Action::ToggleConnection) else {
        panic!("F5 did not connect");
    };
    let _handle = wstab::tui::start_session(session, *target, profile.as_deref(), tx);
    let mut batch = Vec::with_capacity(64);
    let mut last_draw = Instant::now() - FRAME;
    let mut dirty = true;
    let mut draws = 0u64;
    while app.tab.log.counters().received.messages < n {
        if dirty && last_draw.elapsed() >= FRAME {
            wstab::tui::draw(&mut term, &mut app).expect("draw");
            draws += 1;
            dirty = false;
            last_draw = Instant::now();
        }
        let next_draw = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            got = rx.recv_many(&mut batch, 64) => {
                if got == 0 {
                    break;
                }
                wstab::tui::ingest(&mut app, &mut journal, &mut batch);
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_draw), if dirty => {}
        }
    }
    wstab::tui::draw(&mut term, &mut app).expect("draw");
    draws += 1;
    let elapsed = start.elapsed();
    ConsoleRun {
        elapsed,
        received: app.tab.log.counters().received.messages,
        in_memory: app.tab.log.len(wstab::log::Filter::All),
        dropped: app.tab.log.dropped(),
        draws,
    }
}

fn main() {
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(flood_server(n));
    let url = format!("ws://{addr}/");
    let rss_before = proc_status_kb("VmRSS").unwrap_or(0);
    reset_peak_rss();
    let mut console = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let run = rt.block_on(console_run(&url, n));
        console.push(run.elapsed);
        last = Some(run);
    }
    let peak = proc_status_kb("VmHWM").unwrap_or(0);
    let bare = median((0..runs).map(|_| rt.block_on(bare_client(&url, n))).collect());
    let console = median(console);
    let run = last.expect("at least one run");
    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e6;
    println!("console ingest: {n} text frames of {PAYLOAD} B, drawn into a 200×50 TestBackend, median of {runs}");
    println!("| client | time | Mframes/s | vs bare |");
    println!("|---|---|---|---|");
    println!("| bare tokio-tungstenite | {:.3} s | {:.2} | 1.00× |", bare.as_secs_f64(), rate(bare));
    println!(
        "| console (manager → batches → journal + log store, drawing) | {:.3} s | {:.2} | {:.2}× |",
        console.as_secs_f64(),
        rate(console),
        console.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "frames received {} of {n} ({}); log in memory {} + dropped from view {} = {} entries; {} draws",
        run.received,
        if run.received == n { "all accounted for" } else { "LOST FRAMES" },
        run.in_memory,
        run.dropped,
        run.in_memory as u64 + run.dropped,
        run.draws
    );
    println!(
        "peak RSS during the console runs: {:.1} MB (process before: {:.1} MB; log bound {} entries)",
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        wstab::log::DEFAULT_LIMIT
    );
}
