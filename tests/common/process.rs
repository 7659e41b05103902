//! Running a child program from a test with a deadline: a regression that makes `wstab` hang
//! fails the test with what the program printed so far, instead of hanging the suite.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to completion with stdin closed (a child waiting for input would otherwise read the
/// test runner's), failing the test if it has not exited within `timeout`; the child is killed
/// first so nothing is left behind.
#[track_caller]
pub fn output_within(cmd: &mut Command, timeout: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    // Readers on their own threads, so a child filling a pipe can never block its own exit.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
                let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
                panic!("{what} did not exit within {timeout:?} (killed)\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
            }
            Err(e) => panic!("{what}: waiting failed: {e}"),
        }
    };
    Output { status, stdout: out_reader.join().unwrap_or_default(), stderr: err_reader.join().unwrap_or_default() }
}

/// The async twin for tokio tests: `cmd.output()` under `timeout`, the child killed on expiry.
pub async fn output_within_async(cmd: &mut tokio::process::Command, timeout: Duration) -> Output {
    let what = format!("{cmd:?}");
    cmd.kill_on_drop(true);
    match tokio::time::timeout(timeout, cmd.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what} did not exit within {timeout:?} (killed)"),
    }
}
