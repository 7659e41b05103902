//! Whole-process figures for the console, in a real pseudo-terminal:
//! - start-up: launch → first drawn frame on the embedded demo (`WSTAB_EXIT_AFTER_FIRST_DRAW`
//!   makes wstab quit right after it), against `true` launched the same way as the baseline;
//! - idle: connected to a silent server for 10 s, the CPU time the console used, against a bare
//!   tokio-tungstenite client idling on the same server in this process.
//!
//! Needs `script` (util-linux) and tmux; prints what it cannot measure. Run: `cargo bench --bench process`.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;

/// Runs `command` in a new pseudo-terminal of 200×50 via `script`; returns the wall time.
fn in_pty(command: &str, config_dir: &std::path::Path) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new("script")
        .args(["-qfec", &format!("stty cols 200 rows 50; exec {command}"), "/dev/null"])
        .env("WSTAB_CONFIG_DIR", config_dir)
        .env("WSTAB_DATA_DIR", config_dir)
        .env(wstab::tui::EXIT_AFTER_FIRST_DRAW_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

fn startup(runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let wstab = env!("CARGO_BIN_EXE_wstab");
    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..runs {
        let Some(b) = in_pty("true", dir.path()) else {
            println!("start-up: `script` is not available (util-linux); not measured");
            return;
        };
        baseline.push(b);
        ours.push(in_pty(&format!("'{wstab}'"), dir.path()).expect("wstab did not exit 0 after its first frame"));
    }
    let (ours, baseline) = (median(ours), median(baseline));
    println!("start-up on the embedded demo, median of {runs} launches in a 200×50 pty:");
    println!("| launch | wall time |");
    println!("|---|---|");
    println!("| `true` (baseline: pty + exec) | {:.1} ms |", baseline.as_secs_f64() * 1e3);
    println!("| `wstab` to its first frame | {:.1} ms |", ours.as_secs_f64() * 1e3);
    println!("| difference: wstab's own start-up | {:.1} ms |", (ours.as_secs_f64() - baseline.as_secs_f64()) * 1e3);
}

/// utime + stime of `pid` in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
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

fn idle(seconds: u64) {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("idle: tmux is not installed; not measured");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A server that accepts and then says nothing.
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                });
            }
        });
        addr
    });
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w.toml");
    std::fs::write(&workspace, format!("gateway = \"ws://{addr}\"\n[[apis]]\nname = \"silent\"\n")).unwrap();
    let socket = format!("wstab-bench-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux").arg("-L").arg(&socket).args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let command = format!(
        "exec env WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' '{bin}' --workspace '{w}'",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        w = workspace.display()
    );
    tmux(&["new-session", "-d", "-s", "idle", "-x", "200", "-y", "50", &command]);
    let wait = |what: &str| {
        for _ in 0..200 {
            if tmux(&["capture-pane", "-p", "-t", "idle"]).contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    let ok = wait("Disconnected") && {
        tmux(&["send-keys", "-t", "idle", "Enter", "F5"]);
        wait(" Connected ")
    };
    let pid: Option<u32> = tmux(&["display-message", "-p", "-t", "idle", "#{pane_pid}"]).trim().parse().ok();
    let (Some(pid), true) = (pid, ok) else {
        println!("idle: the console did not connect; not measured");
        tmux(&["kill-server"]);
        return;
    };
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let before = cpu_ticks(pid).unwrap_or(0);
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let used = (cpu_ticks(pid).unwrap_or(0) - before) as f64 / ticks_per_sec;
    let wall = wall.elapsed().as_secs_f64();
    tmux(&["kill-server"]);

    // Baseline: a bare client idling on the same server, in this process.
    let base_before = own_cpu();
    rt.block_on(async {
        let (_ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    });
    let base = (own_cpu() - base_before).as_secs_f64();
    println!("idle: connected to a silent server for {seconds} s (CPU time / wall time):");
    println!("| process | CPU time | share of wall time |");
    println!("|---|---|---|");
    println!("| bare tokio-tungstenite client (baseline) | {:.0} ms | {:.2}% |", base * 1e3, 100.0 * base / wall);
    if used == 0.0 {
        println!("| wstab console (real terminal, tmux) | < 10 ms (one clock tick) | < {:.2}% |", 100.0 * 0.01 / wall);
    } else {
        println!("| wstab console (real terminal, tmux) | {:.0} ms | {:.2}% |", used * 1e3, 100.0 * used / wall);
    }
}

fn main() {
    startup(env_or("WSTAB_BENCH_RUNS", 15));
    idle(env_or("WSTAB_BENCH_IDLE_SECS", 10));
}
