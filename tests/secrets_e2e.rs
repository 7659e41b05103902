//! Secrets end to end: a saved profile with a secret in the query, one in a header and the
//! subscription key as `${env:…}`, used through `wstab connect --profile … --json` and the
//! console in tmux with `--capture`, against `wstab gateway --log-file` and an echo backend.
//! Afterwards no secret may be found in wstab's own log, the capture, the gateway's log, the
//! programs' output or the screen, and the saved profile still holds the `${env:…}` reference.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use tokio::io::AsyncBufReadExt;

const QUERY_SECRET: &str = "QUERY-SECRET-aaaa1111";
const HEADER_SECRET: &str = "HEADER-SECRET-bbbb2222";
const ENV_SECRET: &str = "ENV-SUBKEY-cccc3333";
const ENV_NAME: &str = "WSTAB_E2E_SUBSCRIPTION_KEY";

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[track_caller]
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", "s"]);
            if pred(&screen) {
                return screen;
            }
            assert!(started.elapsed() < WAIT, "timed out waiting for {what}; the screen was:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_no_secret_leaks_into_logs_capture_profile_output_or_screen() {
    let tmux_ok = Command::new("tmux").arg("-V").output().is_ok();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("config");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(config_dir.join("profiles")).unwrap();
    std::fs::create_dir_all(&data_dir).unwrap();

    // The gateway (the real `wstab gateway`) in front of an echo backend.
    let (backend, _seen) = echo_server().await;
    let port = free_port();
    let gw_config = dir.path().join("gateway.toml");
    let gw_log = dir.path().join("gateway.log");
    std::fs::write(
        &gw_config,
        format!(
            "[[subscriptions]]\nname = \"e2e\"\nprimary_key = \"{ENV_SECRET}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nbackend = \"ws://{backend}/\"\n"
        ),
    )
    .unwrap();
    let mut gateway = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["gateway", "--config", gw_config.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")])
        .args(["--log-file", gw_log.to_str().unwrap()])
        .env("WSTAB_DATA_DIR", &data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wstab gateway runs");
    let mut gw_err = tokio::io::BufReader::new(gateway.stderr.take().unwrap()).lines();
    tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = gw_err.next_line().await {
            if line.contains("listening") {
                return;
            }
        }
        panic!("wstab gateway ended before listening");
    })
    .await
    .expect("wstab gateway did not start");

    // The saved profile: a literal secret in the URL's query and in a header, the key by reference.
    let profile = config_dir.join("profiles/secret.toml");
    let profile_text = format!(
        "version = 1\nurl = \"ws://127.0.0.1:{port}/echo?access_token={QUERY_SECRET}\"\n\n[[query]]\nname = \"subscription-key\"\nvalue = \"${{env:{ENV_NAME}}}\"\n\n[[headers]]\nname = \"X-Api-Key\"\nvalue = \"{HEADER_SECRET}\"\n"
    );
    std::fs::write(&profile, &profile_text).unwrap();
    let env = [
        ("WSTAB_CONFIG_DIR", config_dir.to_str().unwrap()),
        ("WSTAB_DATA_DIR", data_dir.to_str().unwrap()),
        (ENV_NAME, ENV_SECRET),
        // The most verbose log wstab writes: a leak at any level counts.
        ("WSTAB_LOG", "trace"),
    ];

    // Headless, JSON, one echo; then a refused handshake (wrong key) whose trace is printed.
    let mut outputs = Vec::new();
    for (key, expect_code) in [(ENV_SECRET, 0), ("WRONG-KEY-dddd4444", 3)] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
            .args(["connect", "--profile", "secret", "--json", "-x", "hello", "--count", "1"])
            .envs(env)
            .env(ENV_NAME, key)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(WAIT, out).await.expect("wstab connect hung").expect("wstab runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(expect_code), "{stderr}");
        if expect_code == 0 {
            assert!(stdout.contains("\"data\":\"hello\""), "{stdout}");
        } else {
            assert!(stderr.contains("401") && stderr.contains("X-Api-Key: ••••••"), "{stderr}");
        }
        outputs.push((format!("connect stdout (key {key})"), stdout));
        outputs.push((format!("connect stderr (key {key})"), stderr));
    }

    // The console in tmux with a capture file.
    let capture = dir.path().join("capture.ndjson");
    if tmux_ok {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let tmux = Tmux { socket: format!("wstab-secrets-{}-{nanos}", std::process::id()) };
        let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
        let command = format!(
            "{} '{}' --profile secret --capture '{}'; echo WSTAB_EXIT=$?; sleep 30",
            vars.join(" "),
            env!("CARGO_BIN_EXE_wstab"),
            capture.display()
        );
        tmux.run(&["new-session", "-d", "-s", "s", "-x", "160", "-y", "45", &command]);
        let mut screens = vec![tmux.wait_for("the console", |s| s.contains("APIs") && s.contains("Disconnected"))];
        tmux.run(&["send-keys", "-t", "s", "Enter"]);
        tmux.run(&["send-keys", "-t", "s", "F5"]);
        screens.push(tmux.wait_for("Connected", |s| s.contains(" Connected ")));
        tmux.run(&["send-keys", "-t", "s", "-l", "hello from the console"]);
        tmux.run(&["send-keys", "-t", "s", "Enter"]);
        screens.push(
            tmux.wait_for("the echo", |s| {
                s.lines().any(|l| l.contains("← text") && l.contains("hello from the console"))
            }),
        );
        // The handshake trace shows every request header.
        tmux.run(&["send-keys", "-t", "s", "Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        tmux.run(&["send-keys", "-t", "s", "t"]);
        screens.push(tmux.wait_for("the trace", |s| s.contains("X-Api-Key")));
        tmux.run(&["send-keys", "-t", "s", "Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        tmux.run(&["send-keys", "-t", "s", "q"]);
        screens.push(tmux.wait_for("the console to quit", |s| s.contains("WSTAB_EXIT=")));
        for (i, s) in screens.into_iter().enumerate() {
            outputs.push((format!("screen {i}"), s));
        }
        let cap = std::fs::read_to_string(&capture).expect("the capture file was written");
        assert!(cap.contains("hello from the console"), "{cap}");
        outputs.push(("capture file".into(), cap));
    } else {
        println!("SKIPPED the console part: tmux is not installed (apt-get install tmux)");
    }
    gateway.kill().await.ok();

    let wstab_log = std::fs::read_to_string(data_dir.join("wstab.log")).expect("wstab wrote its log");
    assert!(!wstab_log.is_empty());
    outputs.push(("wstab.log".into(), wstab_log));
    let gw = std::fs::read_to_string(&gw_log).expect("the gateway wrote its log");
    assert!(gw.contains("\"status\":101") && gw.contains("\"status\":401"), "{gw}");
    outputs.push(("gateway log".into(), gw));
    for (what, text) in &outputs {
        for secret in [QUERY_SECRET, HEADER_SECRET, ENV_SECRET, "WRONG-KEY-dddd4444"] {
            assert!(!text.contains(secret), "{secret} leaked into the {what}:\n{text}");
        }
    }
    let saved = std::fs::read_to_string(&profile).unwrap();
    assert!(saved.contains(&format!("${{env:{ENV_NAME}}}")) && !saved.contains(ENV_SECRET), "{saved}");
}
