//! `wstab run` through the built binary against the embedded demo: scripts that pass, fail with a
//! diff, and cannot connect, with their exit codes.

use std::process::Command;

/// Runs `wstab run` on `script` (written to a temp file) with the demo's key and chat URL in the
/// environment; returns (exit code, stdout, stderr). The child is bounded by the script's own
/// timeouts; the test's waits come from them.
fn run(script: &str, demo: &wstab::demo::Demo) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, script).unwrap();
    let chat = demo.apis.iter().find(|a| a.name == "chat").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wstab"))
        .arg("run")
        .arg(&path)
        .env("DEMO_KEY", &demo.subscription_key)
        .env("CHAT_URL", &chat.url)
        .env("GW", &demo.gateway_url)
        .env("WSTAB_CONFIG_DIR", dir.path())
        .env("WSTAB_DATA_DIR", dir.path())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo runs on its own runtime thread while the blocking child process runs.
fn demo() -> (tokio::runtime::Runtime, wstab::demo::Demo) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let demo = rt.block_on(wstab::demo::start(0)).unwrap();
    (rt, demo)
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
