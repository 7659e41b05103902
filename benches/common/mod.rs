//! What the benchmark binaries share: a flood server on loopback, a bare tokio-tungstenite
//! client as the baseline, peak memory and CPU time, medians with their spread, the verdict
//! table, and two ways to run the real binary in a terminal: a pseudo-terminal of our own (to
//! see the first bytes of the first frame) and tmux (to read the screen as the user sees it).
#![allow(dead_code)]

pub mod proxy;

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Payload size of each flood frame.
pub const PAYLOAD: usize = 64;

/// Serves floods until the process ends: each connection gets `n` text frames of [`PAYLOAD`]
/// bytes, then a close.
pub async fn flood_server(n: u64) -> std::net::SocketAddr {
    flood_server_of(n, Message::text("x".repeat(PAYLOAD))).await
}

/// Serves floods until the process ends: each connection gets `n` copies of `msg`, then a close.
pub async fn flood_server_of(n: u64, msg: Message) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let msg = msg.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                for _ in 0..n {
                    if ws.feed(msg.clone()).await.is_err() {
                        return;
                    }
                }
                let _ = ws.flush().await;
                let _ = ws.close(None).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    addr
}

/// The baseline: a bare tokio-tungstenite client reading `n` text frames from `url`.
pub async fn bare_client(url: &str, n: u64) -> Duration {
    let start = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut got = 0u64;
    while let Some(Ok(m)) = ws.next().await {
        if m.is_text() {
            got += 1;
            if got == n {
                break;
            }
        }
    }
    assert_eq!(got, n, "the bare client lost frames");
    start.elapsed()
}

/// A `/proc/self/status` field in kB (Linux), e.g. `VmHWM` (peak RSS) or `VmRSS`.
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix(" kB")?.parse().ok())
}

/// Resets the peak RSS counter (Linux: writing 5 to clear_refs), so a phase's peak can be read.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The median of some durations.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Repeated measurements of one thing: the median and the range, so a reader sees the noise.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    /// The middle run.
    pub median: Duration,
    /// The fastest run.
    pub min: Duration,
    /// The slowest run.
    pub max: Duration,
}

impl Spread {
    /// The spread of some runs (at least one).
    pub fn of(runs: &[Duration]) -> Self {
        let mut v = runs.to_vec();
        v.sort();
        Self { median: v[v.len() / 2], min: v[0], max: v[v.len() - 1] }
    }

    /// `0.612 s (0.598–0.640)`.
    pub fn secs(&self) -> String {
        format!("{:.3} s ({:.3}–{:.3})", self.median.as_secs_f64(), self.min.as_secs_f64(), self.max.as_secs_f64())
    }

    /// `27.1 ms (25.0–31.2)`.
    pub fn millis(&self) -> String {
        format!(
            "{:.1} ms ({:.1}–{:.1})",
            self.median.as_secs_f64() * 1e3,
            self.min.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3
        )
    }
}

/// The `p`-th percentile (0–100) of durations sorted ascending.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One line of a bench's verdict: the target from `benches/README.md`, the figure measured, the
/// baseline it is measured against (from the same run) and whether the target was met.
pub struct Verdict {
    /// The target, as the README words it.
    pub target: String,
    /// What was measured.
    pub figure: String,
    /// The baseline from the same run.
    pub baseline: String,
    /// `Some(met)`; `None` when it could not be measured.
    pub met: Option<bool>,
}

/// Prints the verdict table. Benchmarks never fail on a timing: a MISS is reported, not asserted.
pub fn print_verdicts(bench: &str, verdicts: &[Verdict]) {
    println!();
    println!("verdict ({bench}; figures are medians, ranges are min–max over the runs):");
    println!("| target | figure | baseline (same run) | verdict |");
    println!("|---|---|---|---|");
    for v in verdicts {
        let verdict = match v.met {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "NOT MEASURED",
        };
        println!("| {} | {} | {} | {verdict} |", v.target, v.figure, v.baseline);
    }
}

/// Whether `program` can be started (it answers `arg`, e.g. `--version`).
pub fn installed(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// utime + stime of process `pid` in clock ticks (`USER_HZ`, 100 per second on Linux).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A `/proc/PID/status` field in kB, e.g. `VmHWM` (peak RSS) of another process.
pub fn pid_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix(" kB")?.parse().ok())
}

/// A process in a pseudo-terminal of our own, of a given size; its output is read by a thread
/// and delivered in chunks with the time each arrived.
pub struct Pty {
    /// The process (its stdin, stdout and stderr are the terminal).
    pub child: Child,
    /// Output chunks as they were read; the channel ends when the terminal hangs up.
    pub output: mpsc::Receiver<(Instant, Vec<u8>)>,
    /// When the process was spawned.
    pub spawned: Instant,
    /// The terminal's keyboard: what is written here, the process reads as typed keys.
    pub input: std::fs::File,
}

impl Pty {
    /// Spawns `cmd` in a new `cols`×`rows` pseudo-terminal as its controlling terminal.
    pub fn spawn(cmd: &mut Command, cols: u16, rows: u16) -> std::io::Result<Self> {
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty writes two descriptors into the integers it is given; the size is read.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened and are owned by nobody else.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        cmd.stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave.try_clone()?));
        // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
        // controlling terminal is the pty on stdin, as a terminal emulator sets it up.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let spawned = Instant::now();
        let child = cmd.spawn()?;
        // Our copies of the slave (here and held by `cmd`) must close, or the master never sees
        // the hang-up.
        drop(slave);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let (tx, output) = mpsc::channel();
        let input = std::fs::File::from(master.try_clone()?);
        let mut reader = std::fs::File::from(master);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            // Ends on EIO (every slave closed) or when nobody listens any more.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        Ok(Self { child, output, spawned, input })
    }

    /// Waits until the output so far contains `needle`; the time from spawn when it did.
    pub fn time_to(&self, needle: &[u8], timeout: Duration) -> Option<Duration> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let (at, chunk) = self.output.recv_timeout(left).ok()?;
            seen.extend_from_slice(&chunk);
            if seen.windows(needle.len()).any(|w| w == needle) {
                return Some(at - self.spawned);
            }
        }
    }

    /// Waits until the terminal hangs up (the process and its children closed it); the time
    /// from spawn when it did.
    pub fn time_to_hangup(&self, timeout: Duration) -> Option<Duration> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.output.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Some(self.spawned.elapsed()),
                Err(mpsc::RecvTimeoutError::Timeout) => return None,
            }
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Only the process we started, by its pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tmux server of our own (its own `-L` socket) running one command in a pane of a given
/// size; dropped, it kills that server and nothing else.
pub struct Tmux {
    socket: String,
    /// The socket file, removed once the server has ended (tmux leaves it behind).
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a detached `cols`×`rows` session.
    pub fn start(name: &str, command: &str, cols: u16, rows: u16) -> Option<Self> {
        // A socket per server: a new one never meets the previous one still shutting down.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nth = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tmux = Self { socket: format!("wstab-bench-{name}-{}-{nth}", std::process::id()), socket_path: None };
        let ok =
            tmux.run(&["new-session", "-d", "-s", "b", "-x", &cols.to_string(), "-y", &rows.to_string(), command])?;
        let path = tmux
            .run(&["display-message", "-p", "#{socket_path}"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        tmux.socket_path = path.map(std::path::PathBuf::from).filter(|p| p.is_absolute());
        ok.status.success().then_some(tmux)
    }

    fn run(&self, args: &[&str]) -> Option<std::process::Output> {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).stdin(Stdio::null()).output().ok()
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "b"])
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Sends keys in tmux's names (`Enter`, `F5`, `Down`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "b"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Polls the screen every `every` until it contains `text`; the time it took.
    pub fn wait_for(&self, text: &str, every: Duration, timeout: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.screen().contains(text) {
                return Some(start.elapsed());
            }
            std::thread::sleep(every);
        }
        None
    }

    /// The pid of the pane's process (the command, as it is started with `exec`).
    pub fn pane_pid(&self) -> Option<u32> {
        let out = self.run(&["display-message", "-p", "-t", "b", "#{pane_pid}"])?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An environment variable as a number, or a default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Raises this process's open-file limit to its hard limit (children started afterwards
/// inherit it); the limit now in force.
pub fn raise_file_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit read and write the plain struct given.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            return lim.rlim_cur;
        }
    }
    0
}

/// `pid` and its children (nginx: the master and its workers).
pub fn tree(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    let Ok(dir) = std::fs::read_dir("/proc") else { return pids };
    for entry in dir.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // The parent pid is the second field after the command name (which may hold spaces).
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(pid) {
            pids.push(child);
        }
    }
    pids
}

/// CPU time of process `pid`, all its threads, in nanoseconds (the first field of each
/// thread's `schedstat`): its own work, whatever else the cores are doing.
pub fn process_cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()))
        .sum()
}

/// [`process_cpu_ns`] of `pid` and its children (a proxy's master and workers).
pub fn tree_cpu_ns(pid: u32) -> u64 {
    tree(pid).into_iter().map(process_cpu_ns).sum()
}
