//! Secrets end to end: a saved profile with a secret in the query, one in a header and the
//! subscription key as `${env:…}`, against `wstab gateway --log-file` and an echo backend.
//! Headless, `wstab connect --profile … --json` (accepted and refused); in a real terminal
//! (tmux), the console with `--capture` connects, echoes, shows the trace and saves the profile
//! again (P, overwrite). Afterwards no secret may be found in wstab's own log, the capture, the
//! gateway's log, the programs' output or the screens, and the profile the console wrote holds
//! the `${env:NAME}` reference, never the key it resolves to.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::tmux::Tmux;
use common::*;
use tokio::io::AsyncBufReadExt;

const QUERY_SECRET: &str = "QUERY-SECRET-aaaa1111";
const HEADER_SECRET: &str = "HEADER-SECRET-bbbb2222";
const ENV_SECRET: &str = "ENV-SUBKEY-cccc3333";
const WRONG_KEY: &str = "WRONG-KEY-dddd4444";
const ENV_NAME: &str = "WSTAB_E2E_SUBSCRIPTION_KEY";
/// The first line of the profile as this test writes it; a profile saved by wstab lacks it.
const WRITTEN_BY_THE_TEST: &str = "# written by the test, not by wstab";

/// A running `wstab gateway` in front of an echo backend, and a config directory holding the
/// profile `secret` that points at it.
struct Stage {
    dir: tempfile::TempDir,
    config_dir: PathBuf,
    data_dir: PathBuf,
    profile: PathBuf,
    gateway_log: PathBuf,
    gateway: tokio::process::Child,
    /// Kept open: the gateway writes to stderr until it ends, and a closed pipe would fail it.
    _gateway_stderr: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>,
}

impl Stage {
    async fn start() -> Stage {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_dir = dir.path().join("config");
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(config_dir.join("profiles")).unwrap();
        std::fs::create_dir_all(&data_dir).unwrap();

        let (backend, _seen) = echo_server().await;
        let gw_config = dir.path().join("gateway.toml");
        let gateway_log = dir.path().join("gateway.log");
        std::fs::write(
            &gw_config,
            format!(
                "[[subscriptions]]\nname = \"e2e\"\nprimary_key = \"{ENV_SECRET}\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nbackend = \"ws://{backend}/\"\n"
            ),
        )
        .unwrap();
        // Port 0: the gateway binds a free port itself and says which, so no other process can
        // take it between our choosing and its binding.
        let mut gateway = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
            .args(["gateway", "--config", gw_config.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(["--log-file", gateway_log.to_str().unwrap()])
            .env("WSTAB_DATA_DIR", &data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("wstab gateway runs");
        let mut stderr = tokio::io::BufReader::new(gateway.stderr.take().unwrap()).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Ok(Some(line)) = stderr.next_line().await {
                if let Some(rest) = line.split("listening on ws://").nth(1) {
                    return rest.split_whitespace().next().unwrap_or_default().to_string();
                }
            }
            panic!("wstab gateway ended before listening");
        })
        .await
        .expect("wstab gateway did not start");

        // The saved profile: a literal secret in the URL's query and in a header, the key by
        // reference.
        let profile = config_dir.join("profiles/secret.toml");
        let profile_text = format!(
            "{WRITTEN_BY_THE_TEST}\nversion = 1\nurl = \"ws://{addr}/echo?access_token={QUERY_SECRET}\"\n\n[[query]]\nname = \"subscription-key\"\nvalue = \"${{env:{ENV_NAME}}}\"\n\n[[headers]]\nname = \"X-Api-Key\"\nvalue = \"{HEADER_SECRET}\"\n"
        );
        std::fs::write(&profile, &profile_text).unwrap();
        Stage { dir, config_dir, data_dir, profile, gateway_log, gateway, _gateway_stderr: stderr }
    }

    /// What wstab runs with: its directories, the key in the environment, and its most verbose
    /// log (a leak at any level counts).
    fn env(&self) -> [(&'static str, String); 4] {
        [
            ("WSTAB_CONFIG_DIR", self.config_dir.display().to_string()),
            ("WSTAB_DATA_DIR", self.data_dir.display().to_string()),
            (ENV_NAME, ENV_SECRET.to_string()),
            ("WSTAB_LOG", "trace".to_string()),
        ]
    }

    /// Stops the gateway and adds wstab's log and the gateway's log to `outputs`, checking the
    /// gateway logged the handshakes with `statuses`.
    async fn finish(mut self, outputs: &mut Vec<(String, String)>, statuses: &[u16]) -> tempfile::TempDir {
        self.gateway.kill().await.ok();
        let wstab_log = std::fs::read_to_string(self.data_dir.join("wstab.log")).expect("wstab wrote its log");
        assert!(!wstab_log.is_empty());
        outputs.push(("wstab.log".into(), wstab_log));
        let gw = std::fs::read_to_string(&self.gateway_log).expect("the gateway wrote its log");
        for status in statuses {
            assert!(gw.contains(&format!("\"status\":{status}")), "no {status} in the gateway log:\n{gw}");
        }
        outputs.push(("gateway log".into(), gw));
        self.dir
    }
}

/// Fails if any secret (or the wrong key tried) appears in any of `outputs`.
#[track_caller]
fn assert_no_secret_in(outputs: &[(String, String)]) {
    for (what, text) in outputs {
        for secret in [QUERY_SECRET, HEADER_SECRET, ENV_SECRET, WRONG_KEY] {
            assert!(!text.contains(secret), "{secret} leaked into the {what}:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connect_with_a_secret_profile_leaks_no_secret_into_output_or_logs() {
    let stage = Stage::start().await;
    // Headless, JSON, one echo; then a refused handshake (wrong key) whose trace is printed.
    let mut outputs = Vec::new();
    for (key, expect_code) in [(ENV_SECRET, 0), (WRONG_KEY, 3)] {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
        cmd.args(["connect", "--profile", "secret", "--json", "-x", "hello", "--count", "1"])
            .envs(stage.env())
            .env(ENV_NAME, key)
            .stdin(Stdio::null());
        let out = process::output_within_async(&mut cmd, WAIT).await;
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
    let _dir = stage.finish(&mut outputs, &[101, 401]).await;
    assert_no_secret_in(&outputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
async fn test_console_with_a_secret_profile_leaks_no_secret_and_saves_the_env_reference() {
    let stage = Stage::start().await;
    let capture = stage.dir.path().join("capture.ndjson");
    let vars: Vec<String> = stage.env().iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    let command = format!(
        "{} DISPLAY= WAYLAND_DISPLAY= '{}' --profile secret --capture '{}'; echo WSTAB_EXIT=$?; sleep 60",
        vars.join(" "),
        env!("CARGO_BIN_EXE_wstab"),
        capture.display()
    );
    let tmux = Tmux::start("test_console_with_a_secret_profile", 160, 45, &command);
    let status_bar = |s: &str| s.trim_end().lines().last().unwrap_or_default().to_string();
    let mut screens = vec![tmux.wait_for("the console", WAIT, |s| s.contains("APIs") && s.contains("Disconnected"))];
    tmux.keys(&["Enter", "F5"]);
    screens.push(tmux.wait_for("Connected", WAIT, |s| status_bar(s).starts_with(" Connected")));
    tmux.text("hello from the console");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for("the echo", WAIT, |s| {
        s.lines().any(|l| l.contains("← text") && l.contains("hello from the console"))
    }));
    // Leave the editor; a lone Esc must be read before the next key, or Esc+t arrives as Alt-t.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the editor left", WAIT, |s| status_bar(s).contains("Enter open"));
    // The handshake trace shows every request header.
    tmux.keys(&["t"]);
    screens.push(tmux.wait_for("the trace", WAIT, |s| s.contains("Handshake trace") && s.contains("X-Api-Key")));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the trace closed", WAIT, |s| !s.contains("Handshake trace"));
    // P saves the request as a profile: the name offered is the profile's own; it exists, so
    // the console asks before overwriting it.
    tmux.keys(&["P"]);
    screens.push(tmux.wait_for("the profile name prompt", WAIT, |s| s.contains("Save the request as profile")));
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for("the overwrite question", WAIT, |s| s.contains("Overwrite it with this request?")));
    tmux.keys(&["y"]);
    screens.push(tmux.wait_for("the save notice", WAIT, |s| s.contains("saved profile secret")));
    // Still connected: q asks once before closing the connection.
    tmux.keys(&["q"]);
    screens.push(tmux.wait_for("the quit question", WAIT, |s| {
        s.contains("Quit and close 1 connection?") && s.contains("y quit · n / Enter / Esc stay")
    }));
    tmux.keys(&["y"]);
    screens.push(tmux.wait_for("the console to quit", WAIT, |s| s.contains("WSTAB_EXIT=")));
    assert!(screens.last().is_some_and(|s| s.contains("WSTAB_EXIT=0")), "{:?}", screens.last());

    let mut outputs: Vec<(String, String)> =
        screens.into_iter().enumerate().map(|(i, s)| (format!("screen {i}"), s)).collect();
    let cap = std::fs::read_to_string(&capture).expect("the capture file was written");
    assert!(cap.contains("hello from the console"), "{cap}");
    outputs.push(("capture file".into(), cap));

    // What the console wrote: not the file this test wrote, and the key still by reference.
    let saved = std::fs::read_to_string(&stage.profile).expect("the saved profile");
    assert!(!saved.contains(WRITTEN_BY_THE_TEST), "the console did not rewrite the profile:\n{saved}");
    assert!(saved.contains(&format!("${{env:{ENV_NAME}}}")), "the reference was not saved:\n{saved}");
    assert!(!saved.contains(ENV_SECRET), "the resolved key was saved:\n{saved}");
    let _dir = stage.finish(&mut outputs, &[101]).await;
    assert_no_secret_in(&outputs);
}
