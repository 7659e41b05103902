//! The clipboard through a real X server (Xvfb) with xclip as an independent reader and writer:
//! wstab's copy is what another program pastes, and another program's copy is what wstab pastes.
//! Needs Xvfb and xclip (`.ci/run` installs both); without them the test fails under CI and is
//! ignored locally. It ends only the processes it started, by their pid.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::process::output_within;
use common::tools::{XCLIP, XVFB, require};
use wstab::console::clipboard::{Clipboard, CopyMethod};

/// A child this test started, killed and reaped when the test ends however it ends.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X server on a display no other program uses: Xvfb picks a free display itself and writes
/// its number to the descriptor given by `-displayfd` (here its stdout, a pipe to us).
fn start_xvfb() -> (Started, String) {
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-nolisten", "tcp"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb runs");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Started(child);
    // The number arrives once the server accepts connections; read it on a thread so a server
    // that never says it fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).expect("Xvfb did not report its display within 20 s");
    let number: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb wrote {line:?} instead of a display number"));
    (server, format!(":{number}"))
}

/// `xclip -o`: what another program pastes from the clipboard.
fn xclip_paste(display: &str) -> String {
    let mut cmd = Command::new("xclip");
    cmd.args(["-selection", "clipboard", "-o"]).env("DISPLAY", display).stdin(Stdio::null());
    let out = output_within(&mut cmd, Duration::from_secs(10));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `xclip -i`: another program copies `text`. `-quiet` keeps xclip in the foreground serving the
/// selection (it does not fork), so the child we hold is the process to end.
fn xclip_copy(display: &str, text: &str) -> Started {
    let mut child = Command::new("xclip")
        .args(["-quiet", "-selection", "clipboard", "-i"])
        .env("DISPLAY", display)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xclip runs");
    child.stdin.take().expect("piped stdin").write_all(text.as_bytes()).expect("xclip reads its input");
    Started(child)
}

#[test]
#[cfg_attr(any(missing_xvfb, missing_xclip), ignore = "needs Xvfb and xclip: apt-get install xvfb xclip")]
fn test_clipboard_round_trip_through_a_real_x_clipboard() {
    require(XVFB);
    require(XCLIP);
    let (_server, display) = start_xvfb();
    // SAFETY: this test binary has this one test, so no other thread reads the environment.
    unsafe { std::env::set_var("DISPLAY", &display) };
    let mut cb = Clipboard::open();
    let mut terminal = Vec::new();
    let text = "wss://gw.example.net/client/hubs/chat?x=1 ✓";
    assert_eq!(cb.copy(text, &mut terminal).unwrap(), CopyMethod::System);
    assert!(terminal.is_empty(), "no OSC 52 when the system clipboard works");
    assert_eq!(xclip_paste(&display), text);

    // Paste: another program sets the clipboard, wstab reads it (once xclip has taken the
    // selection, which it does after reading all of its input).
    let _xclip = xclip_copy(&display, "  eyJhbGciOi.token.sig\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = cb.paste().unwrap_or_default();
        if got.contains("eyJhbGciOi") {
            assert_eq!(wstab::console::clipboard::clean_pasted_value(&got), "eyJhbGciOi.token.sig");
            break;
        }
        assert!(Instant::now() < deadline, "paste never saw xclip's text: {got:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
