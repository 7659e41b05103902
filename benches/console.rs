//! Console ingest, two ways, against a bare tokio-tungstenite client reading the same flood:
//! - in process: the flood from `ingest` goes into the real console code — connection manager →
//!   event batches → journal and log store (`runtime::ingest_slice`, the event loop's own code,
//!   in the same slices) — while the console draws into a 200×50 `TestBackend` at its normal
//!   rate (at most every 16 ms); checks every frame is accounted for and reports the peak RSS of that phase;
//! - the real binary in a real terminal: `wstab --workspace` in tmux at 200×50, from `F5` until
//!   the Messages counter on the screen shows every frame (`← N msgs`), the screen read every
//!   25 ms (so the figure is late by up to one poll); peak RSS of that process.
//!
//! - key press → effect on screen: the real binary in a 200×50 pseudo-terminal of our own during
//!   a flood four times as long, 120 characters typed into the composer 10 ms apart, each timed
//!   from its write to the terminal until its glyph comes out (p50/p99 over every run's keys).
//!
//! Run: `cargo bench --bench console` (N from `WSTAB_BENCH_FRAMES`, default 2,000,000;
//! `WSTAB_BENCH_RUNS`, default 3; `WSTAB_BENCH_BEFORE_BIN=/path/to/old/wstab` runs an earlier
//! build's real binary in the same runs, interleaved, for both real-terminal phases).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use wstab::console::message_log::journal::Journal;
use wstab::console::state::{App, Effect, Intent, Viewport};
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
    let Some(Effect::Connect { session, target, profile }) = app.update(Intent::ToggleConnection, &Viewport::default())
    else {
        panic!("F5 did not connect");
    };
    let _handle = wstab::console::runtime::start_session(session, *target, profile.as_deref(), tx);
    let mut last_draw = Instant::now() - FRAME;
    let mut dirty = true;
    let mut draws = 0u64;
    while app.tab.log.counters().received.messages < n {
        if dirty && last_draw.elapsed() >= FRAME {
            wstab::console::runtime::draw(&mut term, &app).expect("draw");
            draws += 1;
            dirty = false;
            last_draw = Instant::now();
        }
        let next_draw = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            got = rx.recv() => {
                let Some(first) = got else { break };
                wstab::console::runtime::ingest_slice(&mut app, &mut journal, first, &mut rx);
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_draw), if dirty => {}
        }
    }
    wstab::console::runtime::draw(&mut term, &app).expect("draw");
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
const TARGET_RATIO: f64 = 2.0;
const TARGET_RSS_MB: f64 = 100.0;

/// One run of the real binary in tmux: F5 → the counter showing `n`; the pane process's peak RSS.
fn in_terminal(bin: &std::path::Path, addr: std::net::SocketAddr, n: u64) -> Result<(Duration, u64), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let workspace = dir.path().join("w.toml");
    std::fs::write(&workspace, format!("gateway = \"ws://{addr}\"\n[[apis]]\nname = \"flood\"\n"))
        .map_err(|e| e.to_string())?;
    let command = format!(
        "exec env WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' TERM=xterm-256color '{bin}' --workspace '{w}'",
        d = dir.path().display(),
        bin = bin.display(),
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

/// Keys typed into the composer per run, one at a time.
const KEYS: usize = 120;
/// The pause between two keys (a fast typist's pace).
const KEY_GAP: Duration = Duration::from_millis(10);
/// A glyph nothing else on the console's screen shows, so its bytes in the output are the key's
/// effect and nothing else.
const GLYPH: &str = "ж";
/// Target in `benches/README.md`.
const TARGET_KEY_P99: Duration = Duration::from_millis(50);

/// One run of the key-latency phase.
struct KeyRun {
    /// Key write → the glyph's bytes out of the terminal, one per key.
    latencies: Vec<Duration>,
    /// Keys whose glyph never showed within the deadline.
    lost: usize,
    /// From F5 to the last key's effect.
    span: Duration,
    peak_rss_kb: u64,
}

/// Key press → effect on screen while a flood streams in: the real binary in a 200×50
/// pseudo-terminal of our own, the composer focused, [`KEYS`] characters typed one at a time;
/// each is timed from its write to the terminal until its glyph comes out of the terminal.
fn key_latency(bin: &std::path::Path, addr: std::net::SocketAddr) -> Result<KeyRun, String> {
    use std::io::Write;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let workspace = dir.path().join("w.toml");
    std::fs::write(&workspace, format!("gateway = \"ws://{addr}\"\n[[apis]]\nname = \"flood\"\n"))
        .map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("--workspace")
        .arg(&workspace)
        .env("WSTAB_CONFIG_DIR", dir.path())
        .env("WSTAB_DATA_DIR", dir.path())
        .env("TERM", "xterm-256color");
    let mut pty = Pty::spawn(&mut cmd, 200, 50).map_err(|e| e.to_string())?;
    pty.time_to(b"Disconnected", Duration::from_secs(15)).ok_or("the console did not show Disconnected")?;
    // Enter uses the API and focuses the composer; F5 connects and the flood starts.
    pty.input.write_all(b"\r\x1b[15~").map_err(|e| e.to_string())?;
    let f5 = Instant::now();
    let glyph = GLYPH.as_bytes();
    let mut latencies = Vec::with_capacity(KEYS);
    let mut lost = 0;
    for _ in 0..KEYS {
        std::thread::sleep(KEY_GAP);
        // What came out before this key cannot be its effect.
        while pty.output.try_recv().is_ok() {}
        pty.input.write_all(glyph).map_err(|e| e.to_string())?;
        let sent = Instant::now();
        let deadline = sent + Duration::from_secs(5);
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                lost += 1;
                break;
            };
            let Ok((at, chunk)) = pty.output.recv_timeout(left) else {
                lost += 1;
                break;
            };
            // A glyph may straddle two reads.
            tail.extend_from_slice(&chunk);
            if tail.windows(glyph.len()).any(|w| w == glyph) {
                latencies.push(at.saturating_duration_since(sent));
                break;
            }
            let keep = tail.len().saturating_sub(glyph.len() - 1);
            tail.drain(..keep);
        }
    }
    let span = f5.elapsed();
    let peak_rss_kb = pid_status_kb(pty.child.id(), "VmHWM").unwrap_or(0);
    Ok(KeyRun { latencies, lost, span, peak_rss_kb })
}

fn main() {
    let n: u64 = env_or("WSTAB_BENCH_FRAMES", 2_000_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(flood_server(n));
    let url = format!("ws://{addr}/");
    // Four times longer, so every key of the latency phase is typed while frames still stream in.
    let key_addr = rt.block_on(flood_server(4 * n));
    let mut keys: Vec<Duration> = Vec::new();
    let mut keys_lost = 0;
    let mut key_spans = Vec::new();
    let mut key_rss = 0u64;
    let mut key_failures = Vec::new();
    let rss_before = proc_status_kb("VmRSS").unwrap_or(0);
    let has_tmux = installed("tmux", "-V");
    let mut console = Vec::new();
    let mut bare = Vec::new();
    let mut terminal = Vec::new();
    let mut terminal_rss = 0u64;
    let mut terminal_failures = Vec::new();
    let mut peak = 0u64;
    let mut last = None;
    let this_bin = std::path::Path::new(env!("CARGO_BIN_EXE_wstab"));
    // An earlier build to compare with in the same runs (`WSTAB_BENCH_BEFORE_BIN`).
    let before = std::env::var_os("WSTAB_BENCH_BEFORE_BIN").map(std::path::PathBuf::from);
    let (mut before_terminal, mut before_keys, mut before_lost) = (Vec::new(), Vec::new(), 0);
    // Interleaved, so load from other work on the machine hits every client alike.
    for _ in 0..runs {
        bare.push(rt.block_on(bare_client(&url, n)));
        reset_peak_rss();
        let run = rt.block_on(console_run(&url, n));
        peak = peak.max(proc_status_kb("VmHWM").unwrap_or(0));
        console.push(run.elapsed);
        last = Some(run);
        if let Some(before) = &before {
            // The earlier build, in the same runs: its terminal ingest and its keys.
            if has_tmux && let Ok((took, _)) = in_terminal(before, addr, n) {
                before_terminal.push(took);
            }
            if let Ok(k) = key_latency(before, key_addr) {
                before_keys.extend(k.latencies);
                before_lost += k.lost;
            }
        }
        if has_tmux {
            match in_terminal(this_bin, addr, n) {
                Ok((took, rss)) => {
                    terminal.push(took);
                    terminal_rss = terminal_rss.max(rss);
                }
                Err(e) => terminal_failures.push(e),
            }
        }
        match key_latency(this_bin, key_addr) {
            Ok(k) => {
                keys.extend(k.latencies);
                keys_lost += k.lost;
                key_spans.push(k.span);
                key_rss = key_rss.max(k.peak_rss_kb);
            }
            Err(e) => key_failures.push(e),
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
        target: "console ingest within 2× of bare (console code, TestBackend)".into(),
        figure: format!("{} = {:.2}×", console.secs(), ratio(console.median)),
        baseline: format!("bare {}", bare.secs()),
        met: Some(ratio(console.median) <= TARGET_RATIO),
    }];
    verdicts.push(match terminal {
        Some(t) => Verdict {
            target: "console ingest within 2× of bare (real binary in a terminal)".into(),
            figure: format!("{} = {:.2}×", t.secs(), ratio(t.median)),
            baseline: format!("bare {}", bare.secs()),
            met: Some(ratio(t.median) <= TARGET_RATIO),
        },
        None => Verdict {
            target: "console ingest within 2× of bare (real binary in a terminal)".into(),
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
    keys.sort();
    let (p50, p99) = (percentile(&keys, 50.0), percentile(&keys, 99.0));
    println!(
        "key press → glyph on screen, real binary in a 200×50 pty during a {}-frame flood: {} keys ({} lost), \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; F5 → last key {}; peak RSS {:.1} MB{}",
        4 * n,
        keys.len(),
        keys_lost,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        keys.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        if key_spans.is_empty() { "not measured".into() } else { Spread::of(&key_spans).secs() },
        key_rss as f64 / 1024.0,
        if key_failures.is_empty() { String::new() } else { format!("; failed runs: {}", key_failures.join("; ")) }
    );
    if before.is_some() {
        before_keys.sort();
        println!(
            "earlier build (WSTAB_BENCH_BEFORE_BIN), same runs: real binary in tmux {} = {}; keys: {} ({} lost), \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            if before_terminal.is_empty() { "not measured".into() } else { Spread::of(&before_terminal).secs() },
            if before_terminal.is_empty() {
                "?".into()
            } else {
                format!("{:.2}×", ratio(Spread::of(&before_terminal).median))
            },
            before_keys.len(),
            before_lost,
            percentile(&before_keys, 50.0).as_secs_f64() * 1e3,
            percentile(&before_keys, 99.0).as_secs_f64() * 1e3,
            before_keys.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    }
    verdicts.push(Verdict {
        target: format!("key press → effect on screen p99 under {} ms during a flood", TARGET_KEY_P99.as_millis()),
        figure: format!(
            "p99 {:.1} ms (p50 {:.1} ms) over {} keys, {keys_lost} lost",
            p99.as_secs_f64() * 1e3,
            p50.as_secs_f64() * 1e3,
            keys.len()
        ),
        baseline: "no baseline: an absolute target".into(),
        met: (!keys.is_empty()).then(|| p99 < TARGET_KEY_P99 && keys_lost == 0),
    });
    let terminal_rss = terminal_rss.max(key_rss);
    let peak_mb = peak.max(terminal_rss) as f64 / 1024.0;
    verdicts.push(Verdict {
        target: "peak RSS under 100 MB (default log limit)".into(),
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
