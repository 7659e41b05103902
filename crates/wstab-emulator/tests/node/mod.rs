//! Running the scripts in `tests/sdk` (official Web PubSub npm packages) from Rust tests, each
//! with a deadline. A missing node or `node_modules` fails the test with the fix (`npm ci` in
//! that folder): it never passes silently.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// The folder holding package.json and the scripts.
pub fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("sdk")
}

/// Fails the test unless node and the installed packages are there.
#[track_caller]
pub fn require_node() {
    let node_ok = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let modules = sdk_dir().join("node_modules").join("@azure").join("web-pubsub");
    if !node_ok || !modules.is_dir() {
        panic!(
            "this test needs node (>= 20) and the SDK packages: run `npm ci` in {} (.ci/run does)",
            sdk_dir().display()
        );
    }
}

/// What a finished script did.
#[derive(Debug)]
pub struct Outcome {
    /// Its exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Outcome {
    /// The JSON value printed as `step <name> <json>`.
    pub fn step(&self, name: &str) -> Option<serde_json::Value> {
        let prefix = format!("step {name} ");
        self.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| serde_json::from_str(v).ok())
    }
}

fn command(script: &str, args: &[&str], envs: &[(&str, &str)]) -> Command {
    require_node();
    let mut cmd = Command::new("node");
    cmd.arg(script).args(args).current_dir(sdk_dir()).kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `script` to its end, killed after `deadline`.
pub async fn run(script: &str, args: &[&str], envs: &[(&str, &str)], deadline: Duration) -> Outcome {
    let mut cmd = command(script, args, envs);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn node");
    match tokio::time::timeout(deadline, child.wait_with_output()).await {
        Ok(Ok(out)) => Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Ok(Err(e)) => panic!("node {script} failed to run: {e}"),
        Err(_) => panic!("node {script} did not finish within {deadline:?}"),
    }
}

/// A script left running (a server); killed when dropped.
pub struct Running {
    /// The child.
    pub child: Child,
    lines: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Waits (up to `deadline`) for a stdout line starting with `prefix`; returns the rest.
    pub async fn line_starting(&mut self, prefix: &str, deadline: Duration) -> String {
        let wait = async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_string();
                }
            }
            panic!("the script ended before printing {prefix:?}");
        };
        tokio::time::timeout(deadline, wait).await.unwrap_or_else(|_| panic!("no {prefix:?} line within {deadline:?}"))
    }
}

/// Starts `script` and leaves it running.
pub fn spawn(script: &str, args: &[&str]) -> Running {
    let mut cmd = command(script, args, &[]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("spawn node");
    let stdout = child.stdout.take().expect("piped stdout");
    Running { child, lines: BufReader::new(stdout).lines() }
}
