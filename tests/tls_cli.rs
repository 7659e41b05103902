//! TLS end to end with the real binaries: `wstab demo --serve --tls` generates a CA and writes
//! it out; `wstab connect --ca` and the console (`wstab --ca`, in tmux) reach the demo's
//! gateway over `wss://` with it, and without it fail with a certificate error naming the fix.

mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::WAIT;
use common::process::output_within;
use common::tmux::Tmux;
use serde_json::Value;

/// A `wstab demo --serve --tls` child, killed when dropped.
struct TlsDemo {
    child: Child,
    /// The demo's first stdout line (gateway, subscription key, CA file…).
    info: Value,
}

impl Drop for TlsDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsDemo {
    /// Starts the demo with a generated certificate whose CA goes to `dir/ca.pem`.
    fn start(dir: &Path) -> TlsDemo {
        let ca = dir.join("ca.pem");
        let mut child = Command::new(env!("CARGO_BIN_EXE_wstab"))
            .args(["demo", "--serve", "--port", "0", "--tls", "--tls-ca-out"])
            .arg(&ca)
            .env("WSTAB_DATA_DIR", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("wstab demo runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut demo = TlsDemo { child, info: Value::Null };
        let line = rx.recv_timeout(WAIT).expect("the demo's JSON line in time");
        demo.info = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        demo
    }

    fn gateway(&self) -> &str {
        self.info["gateway"].as_str().expect("gateway")
    }

    fn key(&self) -> &str {
        self.info["subscription_key"].as_str().expect("subscription key")
    }

    fn ca_file(&self) -> &str {
        self.info["ca_file"].as_str().expect("ca_file in the JSON line")
    }
}

fn connect(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.arg("connect").args(args);
    output_within(&mut cmd, WAIT)
}

#[test]
fn test_connect_with_the_demos_written_ca_echoes_over_wss_and_without_it_fails_naming_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = TlsDemo::start(dir.path());
    assert!(demo.gateway().starts_with("wss://127.0.0.1:"), "{}", demo.info);
    let ca = dir.path().join("ca.pem");
    assert_eq!(Path::new(demo.ca_file()), ca, "the CA is written where --tls-ca-out said");
    let pem = std::fs::read_to_string(&ca).expect("the CA file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let url = format!("{}/echo?subscription-key={}", demo.gateway(), demo.key());
    let ca_arg = ca.to_str().expect("utf-8 path");
    let out = connect(&[&url, "--ca", ca_arg, "-x", "over wss", "--count", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "over wss\n", "{stderr}");

    // Without the CA the certificate is unknown: exit 4 (cannot connect), and the message says
    // what to pass. The subscription key never shows.
    let out = connect(&[&url, "-x", "x", "--count", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("TLS") && stderr.contains("--ca FILE"), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(!stderr.contains(demo.key()), "the key leaked: {stderr}");
}

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_console_with_ca_connects_to_the_tls_demo_over_wss_and_echoes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = TlsDemo::start(dir.path());
    let workspace = dir.path().join("w.toml");
    std::fs::write(
        &workspace,
        format!(
            "name = \"tls\"\ngateway = \"{gateway}\"\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nquery = [{{ name = \"subscription-key\", value = \"{key}\", secret = true }}]\n",
            gateway = demo.gateway(),
            key = demo.key(),
        ),
    )
    .expect("workspace written");
    let command = |ca: Option<&str>| {
        format!(
            "WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' DISPLAY= WAYLAND_DISPLAY= '{bin}' {ca} --workspace '{w}'; echo WSTAB_EXIT=$?; sleep 60",
            d = dir.path().display(),
            bin = env!("CARGO_BIN_EXE_wstab"),
            ca = ca.map(|c| format!("--ca '{c}'")).unwrap_or_default(),
            w = workspace.display(),
        )
    };

    // Without the CA: the connection fails, and its trace (`t`) says how to fix it.
    let tmux = Tmux::start("test_console_with_ca_connects_to_the_tls_demo", 160, 40, &command(None));
    tmux.wait_for("the console", WAIT, |s| s.contains("APIs") && s.contains("Disconnected"));
    tmux.keys(&["F5"]);
    tmux.wait_for("the TLS failure", WAIT, |s| s.contains("TLS error"));
    tmux.keys(&["t"]);
    let screen = tmux.wait_for("the fix in the trace", WAIT, |s| s.contains("--ca FILE"));
    assert!(!screen.contains(" Connected "), "{screen}");
    assert!(!screen.contains(demo.key()), "the key is shown:\n{screen}");

    // With --ca: connected over wss, and a message comes back.
    tmux.restart(160, 40, &command(Some(demo.ca_file())));
    tmux.wait_for("the console", WAIT, |s| s.contains("APIs") && s.contains("Disconnected"));
    // Enter takes the selected API (echo) to the composer; F5 connects.
    tmux.keys(&["Enter"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("the wss connection", WAIT, |s| s.contains(" Connected "));
    tmux.text("hello over wss");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the echo in Messages", WAIT, |s| {
        s.lines().any(|l| l.contains("→ text") && l.contains("hello over wss"))
            && s.lines().any(|l| l.contains("← text") && l.contains("hello over wss"))
    });
    assert!(!screen.contains(demo.key()), "the key is shown:\n{screen}");
}
