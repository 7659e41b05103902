//! A real terminal for a test: a tmux server of the test's own (private socket), one session
//! running a command at a given size, and ways to read the screen and type into it.
//!
//! Every test that drives the console or `wstab connect` in a terminal uses this one harness, so
//! the tool check, the unique socket, the bounded waits and the clean-up are written once.
//! Tests using it also carry `#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]`.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::process::output_within;
use super::tools::{TMUX, require};

/// How long one tmux command may take: they answer at once unless the server is wedged.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The session's name inside the private server (there is only one).
const SESSION: &str = "t";

/// A tmux server on a socket no other test or run shares, killed when the value is dropped
/// (however the test ends), with one session running the test's command.
pub struct Tmux {
    socket: String,
    /// The socket file, removed after the server ends (tmux leaves it behind).
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    /// Starts a private tmux server with one `width`×`height` session running `command`
    /// (through the shell, so `VAR=x prog; echo EXIT=$?` works). Fails the test, naming the
    /// install command, when tmux is missing.
    #[track_caller]
    pub fn start(test: &str, width: u16, height: u16, command: &str) -> Tmux {
        require(TMUX);
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // Short: the socket path (/tmp/tmux-UID/NAME) must fit in a Unix socket address.
        let short: String =
            test.trim_start_matches("test_").chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect();
        let socket = format!("wstab-{short}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut tmux = Tmux { socket, socket_path: None };
        tmux.new_session(width, height, command);
        tmux.socket_path = Some(tmux.display("#{socket_path}").into()).filter(|p: &std::path::PathBuf| p.is_absolute());
        tmux
    }

    /// Replaces the session by a new one running `command` (e.g. to start wstab again).
    pub fn restart(&self, width: u16, height: u16, command: &str) {
        self.run(&["kill-session", "-t", SESSION]);
        self.new_session(width, height, command);
    }

    fn new_session(&self, width: u16, height: u16, command: &str) {
        let (w, h) = (width.to_string(), height.to_string());
        self.run(&["new-session", "-d", "-s", SESSION, "-x", &w, "-y", &h, command]);
    }

    /// Runs a tmux command on this server and returns its stdout. The user's tmux.conf is not
    /// read (`-f /dev/null`), so key bindings and options are tmux's defaults.
    pub fn run(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("tmux");
        cmd.args(["-f", "/dev/null", "-L", &self.socket]).args(args);
        let out = output_within(&mut cmd, COMMAND_TIMEOUT);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", SESSION])
    }

    /// The visible screen with wrapped lines joined (a long line reads as one).
    pub fn capture_joined(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-t", SESSION])
    }

    /// The visible screen with its colours and attributes as escape sequences.
    pub fn capture_styled(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", SESSION])
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}` or `#{pane_title}`.
    pub fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", SESSION, format]).trim().to_string()
    }

    /// Resizes the terminal.
    pub fn resize(&self, width: u16, height: u16) {
        self.run(&["resize-window", "-t", SESSION, "-x", &width.to_string(), "-y", &height.to_string()]);
    }

    /// Presses keys by tmux name (`Enter`, `F5`, `C-t`, `C-NPage`, `M-Left`, `BSpace`…).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types `text` literally (no key names).
    pub fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// Polls the screen until `pred` holds and returns that screen; after `timeout` fails the
    /// test with `what` and the last screen.
    #[track_caller]
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for_with(what, timeout, Self::capture, pred)
    }

    /// [`Tmux::wait_for`] on the screen as `capture` reads it (e.g. [`Tmux::capture_joined`]).
    #[track_caller]
    pub fn wait_for_with(
        &self,
        what: &str,
        timeout: Duration,
        capture: impl Fn(&Tmux) -> String,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let started = Instant::now();
        loop {
            let screen = capture(self);
            if pred(&screen) {
                return screen;
            }
            if started.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends the server and every process in its panes; errors (already gone) do not matter.
        // Bounded without panicking: a panic here, while a failed test unwinds, would abort.
        let mut cmd = Command::new("tmux");
        cmd.args(["-f", "/dev/null", "-L", &self.socket, "kill-server"]);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let Ok(mut child) = cmd.spawn() else { return };
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
