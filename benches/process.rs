//! Whole-process figures for the console, measured from outside the real binary:
//! - start-up: spawn in a 200×50 pseudo-terminal of our own → the first frame's bytes on the
//!   terminal (the `APIs` pane title), on the embedded demo; the baseline is `true` spawned the
//!   same way, spawn → its terminal hanging up. Nothing inside wstab helps the measurement.
//! - idle: CPU time over wall time of the console in tmux (200×50) in three states: connected to
//!   a silent server; on the embedded demo with the stock ticker connected and visible (a quote
//!   every 400 ms); on the demo's chat API, connected, with its access_token counting down in the
//!   Request pane. The baseline is a bare tokio-tungstenite client idling in this process.
//!
//! Needs tmux for the idle figures; prints what it cannot measure. Run: `cargo bench --bench process`
//! (`WSTAB_BENCH_RUNS` launches, default 15; `WSTAB_BENCH_IDLE_SECS` per idle state, default 10).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;

/// The target in `benches/README.md`: start-up under 100 ms of wstab's own.
const STARTUP_TARGET: Duration = Duration::from_millis(100);
/// The target in `benches/README.md`: idle CPU under 1% of wall time.
const IDLE_TARGET_PERCENT: f64 = 1.0;
/// Bytes of the first frame: the APIs pane's title.
const FIRST_FRAME: &[u8] = b"APIs";
/// Generous: a launch on two loaded cores may take a while, but never this long.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);

fn wstab_command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.env("WSTAB_CONFIG_DIR", dir).env("WSTAB_DATA_DIR", dir).env("TERM", "xterm-256color");
    cmd
}

/// Spawn → first frame of wstab, and spawn → hang-up of `true`, interleaved `runs` times.
fn startup(runs: usize) -> Verdict {
    let target = "start-up under 100 ms (spawn in a pty → first frame's bytes, minus `true`)".to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..runs {
        let t = Pty::spawn(&mut Command::new("true"), 200, 50).expect("spawn true in a pty");
        baseline.push(t.time_to_hangup(LAUNCH_TIMEOUT).expect("`true` did not end"));
        let w = Pty::spawn(&mut wstab_command(dir.path()), 200, 50).expect("spawn wstab in a pty");
        match w.time_to(FIRST_FRAME, LAUNCH_TIMEOUT) {
            Some(d) => ours.push(d),
            None => {
                println!("start-up: wstab drew no `APIs` title within {LAUNCH_TIMEOUT:?}; not measured");
                return Verdict { target, figure: "no first frame".into(), baseline: String::new(), met: None };
            }
        }
        // `w` is dropped here: killed by its pid and reaped.
    }
    let (ours, baseline) = (Spread::of(&ours), Spread::of(&baseline));
    let own = ours.median.saturating_sub(baseline.median);
    println!("start-up on the embedded demo, {runs} interleaved launches in a 200×50 pty (median, min–max):");
    println!("| launch | wall time |");
    println!("|---|---|");
    println!("| `true`: spawn → hang-up (baseline) | {} |", baseline.millis());
    println!("| `wstab`: spawn → first frame's bytes | {} |", ours.millis());
    println!("| difference: wstab's own start-up | {:.1} ms |", own.as_secs_f64() * 1e3);
    Verdict {
        target,
        figure: format!("{:.1} ms of its own (wstab {})", own.as_secs_f64() * 1e3, ours.millis()),
        baseline: format!("`true` {}", baseline.millis()),
        met: Some(own < STARTUP_TARGET),
    }
}

fn own_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        let u = usage.assume_init();
        Duration::from_micros(
            (u.ru_utime.tv_sec * 1_000_000 + u.ru_utime.tv_usec + u.ru_stime.tv_sec * 1_000_000 + u.ru_stime.tv_usec)
                as u64,
        )
    }
}

/// One idle state measured: CPU seconds used over wall seconds.
struct Idle {
    state: &'static str,
    cpu: f64,
    wall: f64,
}

impl Idle {
    fn percent(&self) -> f64 {
        100.0 * self.cpu / self.wall
    }

    fn shown(&self) -> String {
        if self.cpu == 0.0 {
            format!("< 10 ms (below one clock tick) = < {:.2}%", 100.0 * 0.01 / self.wall)
        } else {
            format!("{:.0} ms = {:.2}%", self.cpu * 1e3, self.percent())
        }
    }
}

/// Polling interval for the screen while setting a state up (not while measuring).
const POLL: Duration = Duration::from_millis(50);
/// How long a state may take to show up on a loaded machine.
const SHOW_TIMEOUT: Duration = Duration::from_secs(15);

/// Starts the console in tmux, brings it to a state with `setup`, then measures its CPU time
/// over `seconds` without touching it (no screen polling while measuring).
fn idle_in(state: &'static str, command: &str, seconds: u64, setup: impl FnOnce(&Tmux) -> bool) -> Option<Idle> {
    let Some(tmux) = Tmux::start("idle", command, 200, 50) else {
        println!("idle ({state}): tmux did not start the console");
        return None;
    };
    if !setup(&tmux) {
        println!("idle ({state}): the console did not reach the state; screen:\n{}", tmux.screen());
        return None;
    }
    let (Some(pid), Some(before)) = (tmux.pane_pid(), tmux.pane_pid().and_then(cpu_ticks)) else {
        println!("idle ({state}): cannot read the console's CPU time");
        return None;
    };
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let used = cpu_ticks(pid)?.saturating_sub(before) as f64 / 100.0; // USER_HZ on Linux
    Some(Idle { state, cpu: used, wall: wall.elapsed().as_secs_f64() })
}

fn shell_command(dir: &std::path::Path, args: &str) -> String {
    format!(
        "exec env WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' TERM=xterm-256color '{bin}' {args}",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    )
}

fn idle(seconds: u64) -> Vec<Verdict> {
    let target = "idle: CPU under 1% of wall time";
    if !installed("tmux", "-V") {
        println!("idle: tmux is not installed (apt-get install tmux); not measured");
        return vec![Verdict {
            target: target.into(),
            figure: "tmux missing".into(),
            baseline: String::new(),
            met: None,
        }];
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A server that accepts and then says nothing.
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                    while let Some(Ok(_)) = ws.next().await {}
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w.toml");
    std::fs::write(&workspace, format!("gateway = \"ws://{addr}\"\n[[apis]]\nname = \"silent\"\n")).unwrap();

    let mut states = Vec::new();
    let silent = shell_command(dir.path(), &format!("--workspace '{}'", workspace.display()));
    states.extend(idle_in("connected to a silent server", &silent, seconds, |t| {
        t.wait_for("Disconnected", POLL, SHOW_TIMEOUT).is_some() && {
            t.keys(&["Enter", "F5"]);
            t.wait_for(" Connected ", POLL, SHOW_TIMEOUT).is_some()
        }
    }));
    // The embedded demo lists Echo, Chat, Stock ticker: the ticker is the third API.
    let demo = shell_command(dir.path(), "");
    states.extend(idle_in("demo: stock ticker connected and visible", &demo, seconds, |t| {
        t.wait_for("Stock ticker", POLL, SHOW_TIMEOUT).is_some() && {
            t.keys(&["Down", "Down", "Enter", "F5"]);
            t.wait_for("\"symbol\"", POLL, SHOW_TIMEOUT).is_some()
        }
    }));
    states.extend(idle_in("demo: chat connected, access_token counting down", &demo, seconds, |t| {
        t.wait_for("Chat", POLL, SHOW_TIMEOUT).is_some() && {
            t.keys(&["Down", "Enter", "F5"]);
            t.wait_for(" Connected ", POLL, SHOW_TIMEOUT).is_some()
                && t.wait_for("expires in", POLL, SHOW_TIMEOUT).is_some()
        }
    }));

    // Baseline: a bare client idling on the same silent server, in this process.
    let base_before = own_cpu();
    let wall = Instant::now();
    rt.block_on(async {
        let (_ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    });
    let base =
        Idle { state: "bare client", cpu: (own_cpu() - base_before).as_secs_f64(), wall: wall.elapsed().as_secs_f64() };

    println!("idle: CPU time over {seconds} s of wall time, console in tmux at 200×50:");
    println!("| process | CPU time = share of wall time |");
    println!("|---|---|");
    println!("| bare tokio-tungstenite client on the silent server (baseline) | {} |", base.shown());
    for s in &states {
        println!("| wstab console, {} | {} |", s.state, s.shown());
    }
    if states.is_empty() {
        return vec![Verdict {
            target: target.into(),
            figure: "no state reached".into(),
            baseline: base.shown(),
            met: None,
        }];
    }
    states
        .iter()
        .map(|s| Verdict {
            target: format!("{target} ({})", s.state),
            figure: s.shown(),
            baseline: format!("bare client {}", base.shown()),
            met: Some(s.percent() < IDLE_TARGET_PERCENT),
        })
        .collect()
}

fn main() {
    let mut verdicts = vec![startup(env_or("WSTAB_BENCH_RUNS", 15))];
    verdicts.extend(idle(env_or("WSTAB_BENCH_IDLE_SECS", 10)));
    print_verdicts("process", &verdicts);
}
