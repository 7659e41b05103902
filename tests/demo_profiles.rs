//! The demo in a real terminal, as a newcomer uses it over days: a profile saved on the demo
//! (`P`) connects again after a restart (`gateway = "demo"`, the well-known key, and on the chat a
//! token minted at every connect instead of the one-hour token typed), and two tabs on the demo
//! chat are two users talking (`demo-user`, `demo-user-2`).

mod common;

use std::time::Duration;

use common::tmux::Tmux;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The demo chat's join of the lobby.
const JOIN: &str = r#"{"type":"joinGroup","group":"lobby","ackId":1}"#;

/// A port for this test's own demo (`WSTAB_DEMO_PORT`; the hub takes the next one when it is
/// free, another otherwise): tests run in parallel, and one test's `gateway = "demo"` must not
/// find another test's demo on the shared default port (and lose it when that test quits).
fn demo_port() -> u16 {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
    free.local_addr().expect("its address").port()
}

/// `wstab ARGS` in the private config dir `dir` with its demo on `port`, printing
/// `WSTAB_EXIT=<code>` when it ends.
fn wstab(dir: &std::path::Path, port: u16, args: &str) -> String {
    format!(
        "WSTAB_DEMO_PORT={port} WSTAB_CONFIG_DIR='{data}' WSTAB_DATA_DIR='{data}' DISPLAY= WAYLAND_DISPLAY= '{bin}' {args}; echo WSTAB_EXIT=$?; sleep 30",
        data = dir.display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
    )
}

/// `P`, the prefilled name replaced by `name`, Enter; waits for the save notice.
fn save_profile(tmux: &Tmux, name: &str) {
    tmux.keys(&["P"]);
    tmux.wait_for("the profile name prompt", TIMEOUT, |s| s.contains("Save the request as profile"));
    tmux.keys(&["End"]);
    for _ in 0..12 {
        tmux.keys(&["BSpace"]);
    }
    tmux.text(name);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the save notice", TIMEOUT, |s| s.contains(&format!("saved profile {name}")));
}

#[track_caller]
fn quit(tmux: &Tmux) {
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", TIMEOUT, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "wstab did not exit 0:\n{screen}");
}

/// Issue 13: save Echo and Chat as profiles on the demo, quit, start again with `--profile`
/// (the demo is started for `gateway = "demo"`), and each connects: Echo echoes, Chat's hub
/// says connected with a token minted now (the file holds no token at all).
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_profiles_saved_on_the_demo_connect_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = demo_port();
    let tmux = Tmux::start("test_profiles_saved_on_the_demo_restart", 160, 40, &wstab(dir.path(), port, ""));
    tmux.wait_for("the demo's APIs", TIMEOUT, |s| s.contains("Echo") && s.contains("Disconnected"));
    save_profile(&tmux, "my-echo");
    tmux.keys(&["Home", "Down"]);
    tmux.wait_for("Chat selected", TIMEOUT, |s| s.contains("/client/hubs/chat?"));
    save_profile(&tmux, "my-chat");
    quit(&tmux);
    let read = |name: &str| std::fs::read_to_string(dir.path().join("profiles").join(format!("{name}.toml")));
    let echo = read("my-echo").expect("my-echo saved");
    assert!(echo.contains("gateway = \"demo\""), "the demo by name, not this run's port:\n{echo}");
    let chat = read("my-chat").expect("my-chat saved");
    assert!(chat.contains("gateway = \"demo\"") && chat.contains("connection_string = \"demo\""), "{chat}");
    assert!(!chat.contains("access_token") && !chat.contains("eyJ"), "no one-hour token in the file:\n{chat}");

    tmux.restart(160, 40, &wstab(dir.path(), port, "--profile my-echo"));
    tmux.wait_for("the profile", TIMEOUT, |s| s.contains("my-echo") && s.contains("Disconnected"));
    tmux.keys(&["Enter", "F5"]);
    tmux.wait_for("connected", TIMEOUT, |s| s.contains("→ my-echo (connected)"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the echo", TIMEOUT, |s| s.lines().any(|l| l.contains("← text") && l.contains("hello")));
    quit(&tmux);

    // Wide enough for the hub's whole connected message on its row.
    tmux.restart(220, 40, &wstab(dir.path(), port, "--profile my-chat"));
    tmux.wait_for("the profile", TIMEOUT, |s| s.contains("my-chat") && s.contains("Disconnected"));
    tmux.keys(&["F5"]);
    tmux.wait_for("the hub's connected message", TIMEOUT, |s| {
        s.lines().any(|l| l.contains('←') && l.contains("connected") && l.contains("demo-user"))
    });
    quit(&tmux);
}

/// Issue 14: two tabs on the demo chat are two users: tab 2 connects as `demo-user-2`, and its
/// group message reaches tab 1 from that user.
#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_two_tabs_on_the_demo_chat_are_two_users() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux =
        Tmux::start("test_two_tabs_on_the_demo_chat_are_two_users", 220, 40, &wstab(dir.path(), demo_port(), ""));
    tmux.wait_for("the demo's APIs", TIMEOUT, |s| s.contains("Chat") && s.contains("Disconnected"));
    // Tab 1: Chat, connect, join the lobby (the composer still holds Echo's sample: cleared).
    tmux.keys(&["Down", "Enter", "F5"]);
    tmux.wait_for("demo-user connected", TIMEOUT, |s| s.contains(r#""userId":"demo-user""#));
    tmux.keys(&["End"]);
    for _ in 0..10 {
        tmux.keys(&["BSpace"]);
    }
    tmux.text(JOIN);
    tmux.keys(&["Enter"]);
    tmux.wait_for("tab 1's join acked", TIMEOUT, |s| s.contains(r#""type":"ack""#));
    // Tab 2 on the same API: another user.
    tmux.keys(&["C-t"]);
    tmux.wait_for("tab 2", TIMEOUT, |s| s.contains("2 ○ Chat"));
    tmux.keys(&["F5"]);
    let screen = tmux.wait_for("demo-user-2 connected", TIMEOUT, |s| s.contains(r#""userId":"demo-user-2""#));
    assert!(screen.contains(JOIN), "the new tab's composer holds the sample join:\n{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("tab 2's join acked", TIMEOUT, |s| s.contains(r#""type":"ack""#));
    tmux.text(r#"{"type":"sendToGroup","group":"lobby","dataType":"text","data":"hi from two"}"#);
    tmux.keys(&["Enter"]);
    tmux.keys(&["M-Left"]);
    tmux.wait_for("tab 1 hears demo-user-2", TIMEOUT, |s| {
        s.lines().any(|l| l.contains('←') && l.contains("hi from two") && l.contains("demo-user-2"))
    });
    quit(&tmux);
}

/// The same chat profile from the command line: `wstab connect --profile` starts the demo for
/// `gateway = "demo"`, mints a token from `connection_string = "demo"`, and the hub acks a join.
#[test]
fn test_connect_with_a_demo_chat_profile_mints_its_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("profiles dir");
    std::fs::write(
        profiles.join("my-chat.toml"),
        r#"version = 1
gateway = "demo"
url_suffix = "client/hubs/chat"
subprotocols = ["json.webpubsub.azure.v1"]

[[query]]
name = "subscription-key"
value = "wstab-local-key"
secret = true
required = true

[webpubsub]
connection_string = "demo"
hub = "chat"
user = "demo-user"
roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]
"#,
    )
    .expect("profile written");
    let out = common::process::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_wstab"))
            .args(["connect", "--profile", "my-chat", "--count", "2", "-x", JOIN])
            .env("WSTAB_CONFIG_DIR", dir.path())
            .env("WSTAB_DATA_DIR", dir.path())
            .env("WSTAB_DEMO_PORT", demo_port().to_string()),
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code());
    assert!(stdout.contains(r#""userId":"demo-user""#), "the hub's connected message:\n{stdout}");
    assert!(stdout.contains(r#""type":"ack""#) && stdout.contains(r#""success":true"#), "{stdout}");
    assert!(!stdout.contains("eyJ") && !stderr.contains("eyJ"), "the minted token is never printed");
}
