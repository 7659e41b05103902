//! The clipboard through a real X server (Xvfb) and xclip as an independent reader/writer.
//! `.ci/run` installs both; without them the test says so and checks nothing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wstab::clipboard::{Clipboard, CopyMethod};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Xvfb(std::process::Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn xclip(display: &str, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("xclip")
        .args(args)
        .env("DISPLAY", display)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        // `xclip -i` forks a child that keeps serving the selection: it must not hold our pipe.
        .stdout(if input.is_some() { Stdio::null() } else { Stdio::piped() })
        .spawn()
        .unwrap();
    if let Some(text) = input {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    // `xclip -i` keeps serving the selection from a forked child; the parent returns.
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn test_clipboard_round_trip_through_a_real_x_clipboard() {
    if !have("Xvfb") || !have("xclip") {
        eprintln!("SKIPPED: Xvfb and xclip are not installed (apt-get install xvfb xclip)");
        return;
    }
    let display = format!(":{}", 90 + std::process::id() % 500);
    let _server =
        Xvfb(Command::new("Xvfb").args([display.as_str(), "-nolisten", "tcp"]).stderr(Stdio::null()).spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::path::Path::new(&format!("/tmp/.X11-unix/X{}", &display[1..])).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: this test binary has this one test, so no other thread reads the environment.
    unsafe { std::env::set_var("DISPLAY", &display) };
    let mut cb = Clipboard::open();
    let mut terminal = Vec::new();
    let text = "wss://gw.example.net/client/hubs/chat?x=1 ✓";
    assert_eq!(cb.copy(text, &mut terminal).unwrap(), CopyMethod::System);
    assert!(terminal.is_empty(), "no OSC 52 when the system clipboard works");
    assert_eq!(xclip(&display, &["-selection", "clipboard", "-o"], None), text);

    // Paste: another program sets the clipboard, wstab reads it.
    xclip(&display, &["-selection", "clipboard", "-i"], Some("  eyJhbGciOi.token.sig\n"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = cb.paste().unwrap_or_default();
        if got.contains("eyJhbGciOi") {
            assert_eq!(wstab::clipboard::clean_pasted_value(&got), "eyJhbGciOi.token.sig");
            break;
        }
        assert!(Instant::now() < deadline, "paste never saw xclip's text: {got:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("pkill").args(["-f", &format!("xclip.*{display}")]).status();
}
