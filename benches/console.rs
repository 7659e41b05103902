//! Console ingest, two ways, against a bare tokio-tungstenite client reading the same flood:
//! - in process: the flood from `ingest` goes into the real console code — connection manager →
//!   event batches → journal and log store (`tui::ingest`, the event loop's own code) — while
//!   the console draws into a 200×50 `TestBackend` at its normal rate (at most every 16 ms);
//!   checks every frame is accounted for and reports the peak RSS of that phase;
//! - the real binary in a real terminal: `wstab --workspace` in tmux at 200×50, from `F5` until
//!   the Messages counter on the screen shows every frame (`← N msgs`), the screen read every
//!   25 ms (so the figure is late by up to one poll); peak RSS of that process.
//!
//! Run: `cargo bench --bench console` (N from `WSTAB_BENCH_FRAMES`, default 2,000,000;
//! `WSTAB_BENCH_RUNS`, default 3).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use wstab::console::message_log::journal::Journal;
use wstab::console::state::{Action, App, Effect};
use wstab_core::connection::EventBatch;
use wstab_core::workspace::{Api, Workspace};

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
    let mut app = App::new(workspace, wstab::console::message_log::DEFAULT_LIMIT);
    let mut journal = Journal::new(None).expect("journal");
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (tx, mut rx) = mpsc::channel::<EventBatch>(64);
    let start = Instant::now();
    let Some(Effect::Connect { session, target, profile }) = app.update(Action::ToggleConnection) else {
        panic!("F5 did not connect");
    };
    let _handle = wstab::console::runtime::start_session(session, *target, profile.as_deref(), tx);
    let mut batch = Vec::with_capacity(64);
    let mut last_draw = Instant::now() - FRAME;
    let mut dirty = true;
    let mut draws = 0u64;
    while app.tab.log.counters().received.messages < n {
        if dirty && last_draw.elapsed() >= FRAME {
            wstab::console::runtime::draw(&mut term, &mut app).expect("draw");
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
                wstab::console::runtime::ingest(&mut app, &mut journal, &mut batch);
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_draw), if dirty => {}
        }
    }
    wstab::console::runtime::draw(&mut term, &mut app).expect("draw");
    draws += 1;
    let elapsed = start.elapsed();
    ConsoleRun {
        elapsed,
        received: app.tab.log.counters().received.messages,
        in_memory: app.tab.log.len(wstab::console::message_log::Filter::All),
        dropped: app.tab.log.dropped(),
        draws,
    }
}

/// How often the screen is read while waiting for the counter.
const POLL: Duration = Duration::from_millis(25);
/// Generous: two million frames on two loaded cores, through a terminal.
const FLOOD_TIMEOUT: Duration = Duration::from_secs(120);
/// Targets in `benches/README.md`.
const TARGET_RATIO: f64 = 3.0;
const TARGET_RSS_MB: f64 = 200.0;

/// One run of the real binary in tmux: F5 → the counter showing `n`; the pane process's peak RSS.
fn in_terminal(addr: std::net::SocketAddr, n: u64) -> Result<(Duration, u64), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let workspace = dir.path().join("w.toml");
    std::fs::write(&workspace, format!("gateway = \"ws://{addr}\"\n[[apis]]\nname = \"flood\"\n"))
        .map_err(|e| e.to_string())?;
    let command = format!(
        "exec env WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' TERM=xterm-256color '{bin}' --workspace '{w}'",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        w = workspace.display()
    );
    let tmux = Tmux::start("console", &command, 200, 50).ok_or("tmux did not start")?;
    tmux.wait_for("Disconnected", POLL, Duration::from_secs(15)).ok_or("the console did not show Disconnected")?;
    // Enter uses the API, F5 connects: the clock starts as the keys are sent.
    tmux.keys(&["Enter", "F5"]);
    let counter = format!("← {n} msgs");
    let took = tmux
        .wait_for(&counter, POLL, FLOOD_TIMEOUT)
        .ok_or_else(|| format!("the counter never showed {counter:?}; screen:\n{}", tmux.screen()))?;
    let rss = tmux.pane_pid().and_then(|pid| pid_status_kb(pid, "VmHWM")).unwrap_or(0);
    Ok((took, rss))
}

fn main() {
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(flood_server(n));
    let url = format!("ws://{addr}/");
    let rss_before = proc_status_kb("VmRSS").unwrap_or(0);
    let has_tmux = installed("tmux", "-V");
    let mut console = Vec::new();
    let mut bare = Vec::new();
    let mut terminal = Vec::new();
    let mut terminal_rss = 0u64;
    let mut terminal_failures = Vec::new();
    let mut peak = 0u64;
    let mut last = None;
    // Interleaved, so load from other work on the machine hits every client alike.
    for _ in 0..runs {
        bare.push(rt.block_on(bare_client(&url, n)));
        reset_peak_rss();
        let run = rt.block_on(console_run(&url, n));
        peak = peak.max(proc_status_kb("VmHWM").unwrap_or(0));
        console.push(run.elapsed);
        last = Some(run);
        if has_tmux {
            match in_terminal(addr, n) {
                Ok((took, rss)) => {
                    terminal.push(took);
                    terminal_rss = terminal_rss.max(rss);
                }
                Err(e) => terminal_failures.push(e),
            }
        }
    }
    let (bare, console) = (Spread::of(&bare), Spread::of(&console));
    let run = last.expect("at least one run");
    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e6;
    let ratio = |d: Duration| d.as_secs_f64() / bare.median.as_secs_f64();
    println!("console ingest: {n} text frames of {PAYLOAD} B, {runs} interleaved runs (median, min–max)");
    println!("| client | time | Mframes/s | vs bare |");
    println!("|---|---|---|---|");
    println!("| bare tokio-tungstenite (in process) | {} | {:.2} | 1.00× |", bare.secs(), rate(bare.median));
    println!(
        "| console code in process (manager → batches → journal + log store, drawing a 200×50 TestBackend) | {} | {:.2} | {:.2}× |",
        console.secs(),
        rate(console.median),
        ratio(console.median)
    );
    let terminal = (!terminal.is_empty()).then(|| Spread::of(&terminal));
    match terminal {
        Some(t) => println!(
            "| real binary in tmux 200×50: F5 → counter shows every frame (±{} ms poll) | {} | {:.2} | {:.2}× |",
            POLL.as_millis(),
            t.secs(),
            rate(t.median),
            ratio(t.median)
        ),
        None if has_tmux => println!("| real binary in tmux | failed: {} | | |", terminal_failures.join("; ")),
        None => println!("| real binary in tmux | tmux not installed (apt-get install tmux) | | |"),
    }
    if terminal.is_some() && !terminal_failures.is_empty() {
        println!("runs in tmux that did not count: {}", terminal_failures.join("; "));
    }
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
        "peak RSS during the in-process console runs: {:.1} MB (process before: {:.1} MB; log bound {} entries); \
         real binary in tmux: {:.1} MB",
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        wstab::console::message_log::DEFAULT_LIMIT,
        terminal_rss as f64 / 1024.0
    );

    let mut verdicts = vec![Verdict {
        target: "console ingest within 3× of bare (console code, TestBackend)".into(),
        figure: format!("{} = {:.2}×", console.secs(), ratio(console.median)),
        baseline: format!("bare {}", bare.secs()),
        met: Some(ratio(console.median) <= TARGET_RATIO),
    }];
    verdicts.push(match terminal {
        Some(t) => Verdict {
            target: "console ingest within 3× of bare (real binary in a terminal)".into(),
            figure: format!("{} = {:.2}×", t.secs(), ratio(t.median)),
            baseline: format!("bare {}", bare.secs()),
            met: Some(ratio(t.median) <= TARGET_RATIO),
        },
        None => Verdict {
            target: "console ingest within 3× of bare (real binary in a terminal)".into(),
            figure: "not measured (see above)".into(),
            baseline: format!("bare {}", bare.secs()),
            met: None,
        },
    });
    verdicts.push(Verdict {
        target: "every frame counted".into(),
        figure: format!(
            "{} of {n} received; {} in memory + {} dropped from view",
            run.received, run.in_memory, run.dropped
        ),
        baseline: format!("{n} sent"),
        met: Some(run.received == n && run.in_memory as u64 + run.dropped >= n),
    });
    let peak_mb = peak.max(terminal_rss) as f64 / 1024.0;
    verdicts.push(Verdict {
        target: "peak RSS under 200 MB".into(),
        figure: format!(
            "{:.1} MB in process, {:.1} MB real binary",
            peak as f64 / 1024.0,
            terminal_rss as f64 / 1024.0
        ),
        baseline: format!("bench process before the runs {:.1} MB", rss_before as f64 / 1024.0),
        met: Some(peak_mb < TARGET_RSS_MB),
    });
    print_verdicts("console", &verdicts);
}
