//! The policy trace in the console: `wstab gateway --apim-dir assets/apim-sample` in front of a
//! loopback echo server, and the console (tmux) on a workspace whose APIs send
//! `Ocp-Apim-Trace: true`. An allowed handshake and a refused one (an invalid JWT) each show the
//! gateway's policies, in order, with their outcome and time, in the handshake trace (`t`).

mod common;

use std::process::Stdio;

use common::WAIT;
use common::tmux::Tmux;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Starts `wstab gateway` on the sample export with both APIs pointed at `backend`; returns the
/// child (killed on drop) and the address it listens on.
async fn start_gateway(backend: std::net::SocketAddr, data: &std::path::Path) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
        .args(["gateway", "--apim-dir", concat!(env!("CARGO_MANIFEST_DIR"), "/assets/apim-sample")])
        .args(["--backend", &format!("echo=ws://{backend}/")])
        .args(["--backend", &format!("chat=ws://{backend}/")])
        .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .env("WSTAB_DATA_DIR", data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wstab gateway starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = stderr.next_line().await {
            if let Some(rest) = line.strip_prefix("wstab gateway: listening on ws://") {
                return rest.split_whitespace().next().map(str::to_string);
            }
        }
        None
    })
    .await
    .expect("wstab gateway did not start listening in time")
    .expect("wstab gateway exited before listening");
    // Keep reading stderr so the gateway never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
async fn test_console_trace_lists_the_gateway_policies_for_an_allowed_and_a_refused_handshake() {
    let (backend, _seen) = common::echo_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_gateway, addr) = start_gateway(backend, dir.path()).await;
    let workspace = dir.path().join("workspace.toml");
    std::fs::write(
        &workspace,
        format!(
            r#"name = "apim"
gateway = "ws://{addr}"

[[apis]]
name = "echo"
url_suffix = "echo"
query = [{{ name = "subscription-key", value = "wstab-local-key" }}]
headers = [{{ name = "Ocp-Apim-Trace", value = "true" }}]

[[apis]]
name = "chat"
url_suffix = "client/hubs/chat"
query = [{{ name = "chat-key", value = "wstab-local-key" }}, {{ name = "access_token", value = "not-a-jwt" }}]
headers = [{{ name = "Ocp-Apim-Trace", value = "true" }}, {{ name = "X-Chat-Client", value = "tui" }}]
"#
        ),
    )
    .expect("workspace written");
    let command = format!(
        "WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}' --workspace '{ws}'; echo WSTAB_EXIT=$?; sleep 60",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
    );
    let tmux = Tmux::start("test_console_trace_lists_the_gateway_policies", 160, 50, &command);
    tmux.wait_for("the console", WAIT, |s| s.contains("APIs") && s.contains("Disconnected"));

    // Allowed: echo with the well-known key. The trace lists the sample's policies, all passed.
    tmux.keys(&["F5"]);
    tmux.wait_for("the echo connection", WAIT, |s| s.contains(" Connected"));
    tmux.keys(&["t"]);
    let screen = tmux
        .wait_for("the allowed handshake's policy trace", WAIT, |s| s.contains("Policy trace (wstab gateway): 101"));
    for policy in ["ip-filter", "set-header", "rate-limit-by-key", "set-query-parameter"] {
        assert!(screen.contains(policy), "{policy} missing from the trace:\n{screen}");
    }
    assert!(screen.contains("passed"), "{screen}");
    assert!(screen.contains("µs"), "no time per policy:\n{screen}");
    assert!(!screen.contains("refused"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["F5"]);
    tmux.wait_for("the echo connection to end", WAIT, |s| s.contains(" Disconnected"));

    // Refused: chat with a token that is not a JWT. The trace opens by itself and names the
    // failed check.
    tmux.keys(&["j"]);
    tmux.keys(&["F5"]);
    let screen = tmux
        .wait_for("the refused handshake's policy trace", WAIT, |s| s.contains("Policy trace (wstab gateway): 401"));
    assert!(screen.contains("validate-jwt refused"), "{screen}");
    assert!(screen.contains("ip-filter passed"), "the policies before it are listed:\n{screen}");

    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_for("the console to quit", WAIT, |s| s.contains("WSTAB_EXIT=0"));
}
