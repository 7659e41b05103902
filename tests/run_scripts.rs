//! `wstab run` through the built binary against the embedded demo and small servers of its own:
//! scripts that pass, fail with a diff, are refused (3), cannot connect (4) or lose the connection
//! before a match (5), with their exit codes; and `sleep` steps that really wait.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// The longest a `wstab run` child may take: the scripts' own timeouts (3 s expects, the 10 s
/// connect timeout) plus a loaded machine's slack. A run that hangs fails here instead.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// Runs `wstab run` on `script` (written to a temp file) with the demo's key and chat URL in the
/// environment; returns (exit code, stdout, stderr).
fn run(script: &str, demo: &wstab_emulator::demo::Demo) -> (Option<i32>, String, String) {
    let chat = demo.apis.iter().find(|a| a.name == "chat").unwrap();
    run_with_env(script, &[("DEMO_KEY", &demo.subscription_key), ("CHAT_URL", &chat.url), ("GW", &demo.gateway_url)])
}

/// Runs `wstab run` on `script` with `env` set, under [`RUN_DEADLINE`].
fn run_with_env(script: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, script).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.arg("run").arg(&path).env("WSTAB_CONFIG_DIR", dir.path()).env("WSTAB_DATA_DIR", dir.path());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = common::process::output_within(&mut cmd, RUN_DEADLINE);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo runs on its own runtime thread while the blocking child process runs.
fn demo() -> (tokio::runtime::Runtime, wstab_emulator::demo::Demo) {
    let rt = runtime();
    let demo = rt.block_on(wstab_emulator::demo::start(0)).unwrap();
    (rt, demo)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// A WebSocket server on `rt` (its listener kept by the accept loop) that runs `behave` on each
/// accepted connection.
fn ws_server<F, Fut>(rt: &tokio::runtime::Runtime, behave: F) -> SocketAddr
where
    F: Fn(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let behave = Arc::new(behave);
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let behave = behave.clone();
                tokio::spawn(async move {
                    if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                        behave(ws).await;
                    }
                });
            }
        });
        addr
    })
}

const ECHO: &str = r#"
url = "${env:GW}/echo"
query = [{ name = "subscription-key", value = "${env:DEMO_KEY}" }]
timeout = 3
"#;

#[test]
fn test_echo_script_passes_and_exits_0() {
    let (_rt, demo) = demo();
    let script = format!(
        "{ECHO}\n[[steps]]\nsend = \"hello\"\n[[steps]]\nexpect = {{ equals = \"hello\" }}\n[[steps]]\nsend_json = {{ n = 1, tags = [\"a\"] }}\n[[steps]]\nexpect = {{ pointer = \"/tags/0\", matches = \"^a$\" }}\n[[steps]]\nsend_hex = \"de ad\"\n[[steps]]\nexpect = {{ contains = \"dead\" }}\n"
    );
    let (code, out, err) = run(&script, &demo);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("✓ step 2: expect message == \"hello\""), "{out}");
    assert!(out.contains("all 6 steps passed"), "{out}");
    // The key never reaches the output.
    assert!(!out.contains(&demo.subscription_key), "{out}");
}

#[test]
fn test_failed_expectation_exits_1_with_closest_message_and_diff() {
    let (_rt, demo) = demo();
    let script = format!(
        "{ECHO}\n[[steps]]\nsend_json = {{ type = \"ack\", ackId = 1, success = false }}\n[[steps]]\nexpect = {{ includes = {{ type = \"ack\", success = true }}, timeout = 0.5 }}\n"
    );
    let (code, out, err) = run(&script, &demo);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.contains("✗ step 2: expect message includes"), "{out}");
    assert!(out.contains("timed out after 0.5s (1 message(s) received, none matched)"), "{out}");
    assert!(out.contains("closest received message:"), "{out}");
    assert!(out.contains("-   \"success\": true") && out.contains("+   \"success\": false"), "{out}");
}

#[test]
fn test_chat_script_joins_sends_and_sees_ack_and_group_message() {
    let (_rt, demo) = demo();
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/chat-script.toml")).unwrap();
    let (code, out, err) = run(&script, &demo);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("group message: expect /data/text == \"hi\""), "{out}");
    let token = demo.apis.iter().find(|a| a.name == "chat").unwrap().access_token.clone().unwrap();
    assert!(!out.contains(&token), "the access token leaked: {out}");
}

#[test]
fn test_strict_expect_fails_on_the_next_message_and_refusal_exits_3() {
    let (_rt, demo) = demo();
    let strict =
        format!("{ECHO}\n[[steps]]\nsend = \"one\"\n[[steps]]\nexpect = {{ equals = \"two\", skip = false }}\n");
    let (code, out, _) = run(&strict, &demo);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the next message did not match") && out.contains("+ one") && out.contains("- two"), "{out}");
    let refused = "url = \"${env:GW}/echo\"\n[[steps]]\nsend = \"x\"\n";
    let (code, out, _) = run(refused, &demo);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("401") && out.contains("hint:"), "{out}");
}

#[test]
fn test_unknown_key_in_script_exits_2_with_line_and_column() {
    let (_rt, demo) = demo();
    let (code, _, err) = run("url = \"ws://127.0.0.1:1/\"\n[[steps]]\nsned = \"x\"\n", &demo);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("s.toml:3:1") && err.contains("sned"), "{err}");
}

#[test]
fn test_nothing_listening_exits_4() {
    // Port 1 on loopback is privileged and unused: the connection is refused at once.
    let (code, out, err) = run_with_env("url = \"ws://127.0.0.1:1/\"\n[[steps]]\nsend = \"x\"\n", &[]);
    assert_eq!(code, Some(4), "{out}\n{err}");
    assert!(out.contains("✗ connect:") && out.contains("127.0.0.1:1"), "{out}");
    assert!(!out.contains("step 1"), "no step runs without a connection: {out}");
}

#[test]
fn test_connection_closed_before_a_match_exits_5() {
    let rt = runtime();
    // Closes with 1011 as soon as the client's first message arrives.
    let addr = ws_server(&rt, |mut ws| async move {
        if let Some(Ok(_)) = ws.next().await {
            let frame = CloseFrame { code: 1011.into(), reason: "backend failed".into() };
            let _ = ws.send(Message::Close(Some(frame))).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    let script = format!(
        "url = \"ws://{addr}/\"\n[[steps]]\nsend = \"x\"\n[[steps]]\nexpect = {{ equals = \"never\", timeout = 10 }}\n"
    );
    let (code, out, err) = run_with_env(&script, &[]);
    assert_eq!(code, Some(5), "{out}\n{err}");
    assert!(out.contains("✗ step 2:") && out.contains("(1011 backend failed) before a match"), "{out}");
}

#[test]
fn test_sleep_step_waits_before_the_next_step() {
    let rt = runtime();
    // Echoes each message and notes when it arrived.
    let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let noted = arrivals.clone();
    let addr = ws_server(&rt, move |mut ws| {
        let noted = noted.clone();
        async move {
            while let Some(Ok(Message::Text(t))) = ws.next().await {
                noted.lock().unwrap().push((t.to_string(), Instant::now()));
                if ws.send(Message::Text(t)).await.is_err() {
                    break;
                }
            }
        }
    });
    // "b" is sent only after "a" came back and the sleep ended, so the server saw them at least
    // the sleep apart, however loaded the machine.
    let sleep = Duration::from_millis(700);
    let script = format!(
        "url = \"ws://{addr}/\"\n[[steps]]\nsend = \"a\"\n[[steps]]\nexpect = {{ equals = \"a\" }}\n[[steps]]\nsleep = {}\n[[steps]]\nsend = \"b\"\n[[steps]]\nexpect = {{ equals = \"b\" }}\n",
        sleep.as_secs_f64()
    );
    let (code, out, err) = run_with_env(&script, &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("✓ step 3: sleep 0.7s"), "{out}");
    let arrivals = arrivals.lock().unwrap().clone();
    let at = |m: &str| arrivals.iter().find(|(t, _)| t == m).map(|(_, at)| *at).unwrap();
    let gap = at("b") - at("a");
    assert!(gap >= sleep, "the sleep step waited only {gap:?}");
    // Generous on purpose (2 shared cores): it only catches a unit mix-up (minutes, not seconds).
    assert!(gap < sleep + Duration::from_secs(20), "the sleep step waited {gap:?}");
}
