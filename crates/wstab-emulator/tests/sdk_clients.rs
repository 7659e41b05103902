//! Microsoft's official Web PubSub client SDK (`@azure/web-pubsub-client`, default protocol
//! `json.reliable.webpubsub.azure.v1`) against the hub, directly and through the demo's
//! gateway: group chat, keepalive, recovery after a dropped TCP connection, stop().
//!
//! The scripts live in `tests/sdk/*.mjs`; `npm ci` in that folder installs the pinned packages.
//! Tokens are minted here with the hub's key, as the server SDK's `getClientAccessToken` would.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use wstab_core::webpubsub_token::{ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest, client_access};

/// How long one script may run.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(60);

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Fails loudly when node or the installed packages are missing: never a silent pass.
fn require_node() {
    let dir = sdk_dir();
    let node_ok = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(node_ok, "node is not installed: these tests need Node.js 20+ on PATH");
    assert!(
        dir.join("node_modules/@azure/web-pubsub-client").is_dir(),
        "the SDK packages are not installed: run `npm ci` in {}",
        dir.display()
    );
}

/// A running SDK script: its result lines, and its stdin for commands.
struct Script {
    child: Child,
    lines: tokio::io::Lines<BufReader<ChildStdout>>,
    stdin: ChildStdin,
    seen: Vec<String>,
}

impl Script {
    fn start(name: &str, args: Value) -> Self {
        require_node();
        let mut child = Command::new("node")
            .arg(name)
            .arg(args.to_string())
            .current_dir(sdk_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node {name}: {e}"));
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let stdin = child.stdin.take().expect("piped stdin");
        Self { child, lines, stdin, seen: Vec::new() }
    }

    /// The next result line whose `event` is `event` (earlier ones are kept for the report).
    async fn expect(&mut self, event: &str) -> Value {
        loop {
            let line = match tokio::time::timeout(SCRIPT_DEADLINE, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(_) => self.fail(&format!("the script ended before reporting {event}")).await,
                Err(_) => self.fail(&format!("no {event} within {SCRIPT_DEADLINE:?}")).await,
            };
            self.seen.push(line.clone());
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["event"] == event
            {
                return v;
            }
        }
    }

    async fn send(&mut self, command: &str) {
        self.stdin.write_all(format!("{command}\n").as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Waits for the script to exit successfully.
    async fn finish(mut self) {
        match tokio::time::timeout(SCRIPT_DEADLINE, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(status) => self.fail(&format!("the script exited with {status:?}")).await,
            Err(_) => self.fail("the script did not exit").await,
        }
    }

    async fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.start_kill();
        let mut rest = String::new();
        while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(1), self.lines.next_line()).await {
            rest.push_str(&line);
            rest.push('\n');
        }
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), err.read_to_string(&mut stderr)).await;
        }
        panic!("{why}\n--- stdout\n{}\n{rest}--- stderr\n{stderr}", self.seen.join("\n"));
    }
}

/// A hub of its own, reached directly: its endpoint and key mint the tokens.
struct DirectHub {
    addr: SocketAddr,
    cs: ConnectionString,
    stop: CancellationToken,
}

impl Drop for DirectHub {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn direct_hub() -> DirectHub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cs = ConnectionString::parse(&format!("Endpoint=http://{addr};AccessKey=sdk-test-key;Version=1.0;")).unwrap();
    let stop = CancellationToken::new();
    wstab_emulator::hub::serve_on(listener, cs.clone(), stop.clone()).unwrap();
    DirectHub { addr, cs, stop }
}

impl DirectHub {
    /// A client access URL for `user` with join/send roles, reaching the hub at `via`.
    fn url(&self, user: &str, via: SocketAddr) -> String {
        let req = TokenRequest {
            hub: "chat".into(),
            user: Some(user.into()),
            roles: vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()],
            groups: Vec::new(),
            ttl: Duration::from_secs(600),
        };
        let token = client_access(&self.cs, &req).unwrap().token;
        format!("ws://{via}/client/hubs/chat?access_token={token}")
    }
}

/// The demo's chat API through its gateway: a URL with token and subscription key, reaching the
/// gateway at `via` (the gateway itself, or a proxy in front of it).
fn gateway_url(demo: &wstab_emulator::demo::Demo, via: SocketAddr) -> String {
    let token = demo.chat_token(Duration::from_secs(600)).unwrap();
    format!("ws://{via}/client/hubs/chat?access_token={token}&subscription-key={}", demo.subscription_key)
}

/// A TCP proxy the test can cut: every connection it carries is dropped on [`Self::cut`],
/// without a close handshake, like a network failure.
struct CuttableProxy {
    addr: SocketAddr,
    live: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl CuttableProxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let live: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let tracked = live.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tracked.lock().unwrap().push(pipe.abort_handle());
            }
        })
        .abort_handle();
        Self { addr, live, accept }
    }

    /// Drops every connection carried so far (both sockets close without a WebSocket close).
    fn cut(&self) -> usize {
        let pipes: Vec<AbortHandle> = self.live.lock().unwrap().drain(..).collect();
        for pipe in &pipes {
            pipe.abort();
        }
        pipes.len()
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

const RELIABLE: &str = "json.reliable.webpubsub.azure.v1";

async fn chat(urls: [String; 2]) {
    let mut script = Script::start("chat.mjs", json!({ "urls": urls }));
    let started = script.expect("started").await;
    assert_eq!(started["protocols"], json!([RELIABLE, RELIABLE]), "the SDK's default protocol is negotiated");
    script.expect("exchanged").await;
    let stopped = script.expect("stopped").await;
    assert_eq!(stopped["closeCodes"], json!([1000, 1000]), "stop() ends with a normal close");
    script.finish().await;
}

#[tokio::test]
async fn test_two_sdk_clients_on_the_default_protocol_chat_in_a_group_directly() {
    let hub = direct_hub().await;
    chat([hub.url("alice", hub.addr), hub.url("bob", hub.addr)]).await;
}

#[tokio::test]
async fn test_two_sdk_clients_on_the_default_protocol_chat_in_a_group_through_the_gateway() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let url = gateway_url(&demo, demo.gateway_addr());
    chat([url.clone(), url]).await;
}

async fn idle_client(url: String) {
    // Ten keepalive timeouts of idling: without pongs the SDK would close and recover.
    let args = json!({ "url": url, "intervalMs": 100, "timeoutMs": 300, "idleMs": 3000 });
    let mut script = Script::start("keepalive.mjs", args);
    assert_eq!(script.expect("idle").await["connections"], 1);
    assert_eq!(script.expect("stopped").await["closeCodes"], json!([1000]));
    script.finish().await;
}

#[tokio::test]
async fn test_an_idle_sdk_client_stays_connected_past_its_keepalive_timeout_directly() {
    let hub = direct_hub().await;
    idle_client(hub.url("idler", hub.addr)).await;
}

#[tokio::test]
async fn test_an_idle_sdk_client_stays_connected_past_its_keepalive_timeout_through_the_gateway() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    idle_client(gateway_url(&demo, demo.gateway_addr())).await;
}

/// A's connection goes through `proxy`, which is cut once both clients are in the group.
async fn recover_after_cut(a: String, b: String, proxy: &CuttableProxy) {
    let mut script = Script::start("recover.mjs", json!({ "a": a, "b": b, "count": 20 }));
    let ready = script.expect("ready").await;
    assert!(proxy.cut() >= 1, "A's connection went through the proxy");
    script.send("cut").await;
    let recovered = script.expect("recovered").await;
    assert_eq!(recovered["received"], 20);
    assert_eq!(recovered["connectionId"], ready["connectionId"], "the same connection id after recovery");
    assert_eq!(script.expect("stopped").await["closeCodes"], json!([1000, 1000]));
    script.finish().await;
}

#[tokio::test]
async fn test_a_dropped_tcp_connection_is_recovered_without_losing_a_group_message_directly() {
    let hub = direct_hub().await;
    let proxy = CuttableProxy::start(hub.addr).await;
    recover_after_cut(hub.url("a", proxy.addr), hub.url("b", hub.addr), &proxy).await;
}

#[tokio::test]
async fn test_a_dropped_tcp_connection_is_recovered_without_losing_a_group_message_through_the_gateway() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let proxy = CuttableProxy::start(demo.gateway_addr()).await;
    recover_after_cut(gateway_url(&demo, proxy.addr), gateway_url(&demo, demo.gateway_addr()), &proxy).await;
}

/// The Python client SDK (`pip install azure-messaging-webpubsubclient==1.1.0`); the
/// interpreter is `WSTAB_PYTHON` or `python3`.
#[tokio::test]
async fn test_two_python_sdk_clients_on_the_default_protocol_chat_in_a_group() {
    let python = std::env::var("WSTAB_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python).args(["-c", "import azure.messaging.webpubsubclient"]).output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{python} cannot import azure.messaging.webpubsubclient: pip install azure-messaging-webpubsubclient==1.1.0 \
         (or point WSTAB_PYTHON at an interpreter that has it)"
    );
    let hub = direct_hub().await;
    let args = json!({ "urls": [hub.url("py-a", hub.addr), hub.url("py-b", hub.addr)] });
    let mut cmd = Command::new(&python);
    cmd.arg("chat.py").arg(args.to_string()).current_dir(sdk_dir()).kill_on_drop(true);
    let out = match tokio::time::timeout(SCRIPT_DEADLINE, cmd.output()).await {
        Ok(Ok(out)) => out,
        other => panic!("python chat.py did not finish: {other:?}"),
    };
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python chat.py failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let exchanged: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "exchanged")
        .unwrap_or_else(|| panic!("no exchanged line\n{stdout}\n{stderr}"));
    assert_eq!(exchanged["b"], json!(["hello from python a"]));
    assert_eq!(exchanged["a"], json!([{ "from": "b" }]));
    assert_eq!(exchanged["protocol"], RELIABLE, "the Python SDK's default protocol");
    assert!(stdout.contains(r#""event": "stopped""#), "{stdout}");
}
