//! The user's own endpoints from the command line (issue 13): the subscription key given in
//! its other place, a pasted Client Access URL's token, `gateway = "demo"`, and importing
//! straight from Azure through `az` (a stand-in script on PATH that prints recorded outputs).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use common::WAIT;
use common::process::output_within_async;
use wstab_core::connection::Param;
use wstab_core::profile::{Profile, ProfileStore, import_apim_json};

fn wstab_cmd(config: &Path, path_dir: Option<&Path>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.env("WSTAB_CONFIG_DIR", config)
        .env("WSTAB_DATA_DIR", config.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = path_dir {
        cmd.env("PATH", format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()));
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The APIM import of one WebSocket API `name` at `path`, on `gateway`, saved in `config`.
fn imported(config: &Path, name: &str, path: &str, gateway: &str) -> Profile {
    let json = format!(r#"[{{"name":"{name}","apiType":"websocket","path":"{path}","subscriptionRequired":true}}]"#);
    let report = import_apim_json(&json, Some(gateway)).unwrap();
    let (_, profile) = report.profiles.into_iter().next().unwrap();
    ProfileStore::new(config.join("profiles")).save(name, &profile, true).unwrap();
    profile
}

#[tokio::test]
async fn test_connect_profile_with_the_key_as_a_header_passes_the_gateways_key_check() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    imported(dir.path(), "echo-ws", "echo", &demo.gateway_url);
    let header = format!("Ocp-Apim-Subscription-Key: {}", demo.subscription_key);
    let out = output_within_async(
        wstab_cmd(dir.path(), None).args([
            "connect",
            "--profile",
            "echo-ws",
            "-H",
            &header,
            "-x",
            "keyed",
            "--count",
            "1",
        ]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "keyed\n");
    // Control: with no key in either place, the request is refused before connecting, naming both.
    let out =
        output_within_async(wstab_cmd(dir.path(), None).args(["connect", "--profile", "echo-ws", "-x", "x"]), WAIT)
            .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("-H 'Ocp-Apim-Subscription-Key: KEY'"), "{}", text(&out.stderr));
    // The gateway passed the handshake, keyed by the header: no empty query place was sent.
    let passed: Vec<_> = demo
        .log
        .recent()
        .into_iter()
        .filter_map(|r| match r {
            wstab_emulator::gateway::LogRecord::Handshake(h) if h.status == 101 => Some(h.url),
            _ => None,
        })
        .collect();
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert!(!passed[0].contains("subscription-key"), "{}", passed[0]);
    demo.shutdown();
}

#[tokio::test]
async fn test_access_token_from_puts_only_the_token_on_the_wire_and_says_so() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    imported(dir.path(), "chat", "client/hubs/chat", &demo.gateway_url);
    // 59 minutes and a half: shown as "expires in 59m" (to the minute).
    let token = demo.chat_token(std::time::Duration::from_secs(59 * 60 + 30)).unwrap();
    let pasted = format!("wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}");
    let key = format!("subscription-key={}", demo.subscription_key);
    let args = ["connect", "--profile", "chat", "-q", &key, "-s", "json.webpubsub.azure.v1", "--count", "1"];
    let out =
        output_within_async(wstab_cmd(dir.path(), None).args(args).args(["--access-token-from", &pasted]), WAIT).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "the hub accepted the token: {stderr}");
    assert!(text(&out.stdout).contains("\"connected\""), "{}", text(&out.stdout));
    assert!(stderr.contains("took access_token from the pasted URL (hub chat, expires in 59m)"), "{stderr}");
    assert!(!stderr.contains(&token) && !text(&out.stdout).contains(&token), "the token is never printed");
    assert!(!stderr.contains("warning"), "{stderr}");
    // A URL for another hub: warned about (the token is still taken, as asked).
    let other = pasted.replace("/hubs/chat", "/hubs/news");
    let out =
        output_within_async(wstab_cmd(dir.path(), None).args(args).args(["--access-token-from", &other]), WAIT).await;
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("APIM would pass it to the wrong hub") && stderr.contains("401 (wrong audience)"),
        "{stderr}"
    );
    // Not a Client Access URL: a usage error with the reason.
    let out = output_within_async(
        wstab_cmd(dir.path(), None).args(args).args(["--access-token-from", "wss://h/client/hubs/chat?x=1"]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no access_token query parameter"), "{}", text(&out.stderr));
    demo.shutdown();
}

/// A profile saved on the demo names it (`gateway = "demo"`) with its well-known key, so it
/// connects in a later run: here `connect` finds nothing on the demo's port, or a demo there,
/// and gets its echo either way.
#[tokio::test]
async fn test_a_profile_on_gateway_demo_connects_in_a_later_run() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile {
        gateway: "demo".into(),
        url_suffix: "echo".into(),
        query: vec![Param::new("subscription-key", wstab_emulator::demo::LOCAL_SUBSCRIPTION_KEY).secret().required()],
        ..Profile::default()
    };
    ProfileStore::new(dir.path().join("profiles")).save("my-echo", &profile, false).unwrap();
    let text_file = std::fs::read_to_string(dir.path().join("profiles/my-echo.toml")).unwrap();
    assert!(text_file.contains("gateway = \"demo\""), "{text_file}");
    let out = output_within_async(
        wstab_cmd(dir.path(), None).args(["connect", "--profile", "my-echo", "-x", "after a restart", "--count", "1"]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "after a restart\n");
}

/// A stand-in `az`: logs its arguments, prints the recorded output for the command, or fails
/// like a signed-out CLI when `AZ_FAIL` is set.
fn fake_az(dir: &Path) -> std::path::PathBuf {
    let api_list =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json")).unwrap();
    std::fs::write(dir.join("api_list.json"), api_list).unwrap();
    let script = format!(
        r#"#!/bin/sh
echo "$*" >> "{log}"
if [ -n "$AZ_FAIL" ]; then echo "ERROR: Please run 'az login' to setup account." >&2; exit 3; fi
case "$1 $2 $3" in
  "apim api list") cat "{dir}/api_list.json" ;;
  "apim show "*) echo '{{"name":"contoso","gatewayUrl":"https://contoso.azure-api.net"}}' ;;
  "rest --method post") echo '{{"primaryKey":"pk-from-azure-42","secondaryKey":"sk-2"}}' ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
"#,
        log = dir.join("az.log").display(),
        dir = dir.display()
    );
    let path = dir.join("az");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.join("az.log")
}

#[tokio::test]
async fn test_import_from_azure_runs_az_and_stores_the_subscription_key_as_a_reference() {
    let config = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let log = fake_az(bin.path());
    let import = ["import", "apim", "--resource-group", "rg1", "--service-name", "contoso", "--subscription", "sub1"];
    let out = output_within_async(wstab_cmd(config.path(), Some(bin.path())).args(import), WAIT).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("apim api list -g rg1 -n contoso -o json"), "{calls}");
    assert!(calls.contains("apim show -g rg1 -n contoso -o json"), "{calls}");
    assert!(
        calls.contains("rest --method post --uri /subscriptions/{subscriptionId}/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/contoso/subscriptions/sub1/listSecrets?api-version="),
        "{calls}"
    );
    assert!(stdout.contains("export CONTOSO_SUBSCRIPTION_KEY='pk-from-azure-42'"), "{stdout}");
    let store = ProfileStore::new(config.path().join("profiles"));
    let chat = store.load("webpubsub-chat").unwrap();
    assert_eq!(chat.gateway, "wss://contoso.azure-api.net", "the gateway from az apim show");
    // The same profiles as importing the JSON file.
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json");
    let mut from_json =
        import_apim_json(&std::fs::read_to_string(file).unwrap(), Some("https://contoso.azure-api.net"))
            .unwrap()
            .profiles;
    let key = chat.query.iter().find(|p| p.name == "subscription-key").unwrap();
    assert_eq!(key.value, "${env:CONTOSO_SUBSCRIPTION_KEY}");
    from_json[0].1.query[0].value = key.value.clone();
    assert_eq!(chat, from_json[0].1);
    let on_disk = std::fs::read_to_string(config.path().join("profiles/webpubsub-chat.toml")).unwrap();
    assert!(!on_disk.contains("pk-from-azure-42"), "{on_disk}");

    // As typed, in the 0600 file, when asked.
    let out = output_within_async(
        wstab_cmd(config.path(), Some(bin.path())).args(import).args(["--store-secrets-in-file", "--overwrite"]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("pk-from-azure-42"), "the key is not printed: {}", text(&out.stdout));
    let path = config.path().join("profiles/webpubsub-chat.toml");
    assert!(std::fs::read_to_string(&path).unwrap().contains("pk-from-azure-42"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[tokio::test]
async fn test_a_failing_az_shows_its_stderr_and_exit_code() {
    let config = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    fake_az(bin.path());
    let out = output_within_async(
        wstab_cmd(config.path(), Some(bin.path()))
            .args(["import", "apim", "-g", "rg1", "-n", "contoso"])
            .env("AZ_FAIL", "1"),
        WAIT,
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("exit code 3") && stderr.contains("Please run 'az login'"), "{stderr}");
    assert!(!config.path().join("profiles").exists(), "nothing imported");
}
