//! Profiles on disk: TOML round-trips, atomic 0600 writes, corrupt files left untouched,
//! `${env:…}` secrets, APIM import, and profiles used by `wstab connect`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use common::process::output_within_async;
use common::*;
use wstab_core::connection::{Param, TlsOptions};
use wstab_core::export::command_line::{Tool, command_line};
use wstab_core::profile::{MessageFormat, Profile, ProfileError, ProfileStore, SavedMessage, import_apim_json};

fn sample() -> Profile {
    Profile {
        display_name: "Chat (prod)".into(),
        gateway: "wss://contoso.azure-api.net".into(),
        url_suffix: "client/hubs/chat".into(),
        query: vec![
            Param::new("subscription-key", "${env:APIM_KEY}").secret().required(),
            Param { enabled: false, ..Param::new("debug", "1") },
        ],
        headers: vec![Param::new("X-Client", "wstab")],
        subprotocols: vec!["json.webpubsub.azure.v1".into()],
        tls: TlsOptions { insecure: false, ca_file: Some("/etc/ssl/test-ca.pem".into()) },
        connect_timeout_secs: Some(5.0),
        max_message_size: Some(1 << 20),
        secret_names: vec!["x-session".into()],
        messages: vec![
            SavedMessage {
                name: "join".into(),
                body: r#"{"type":"joinGroup","group":"g1"}"#.into(),
                format: MessageFormat::Text,
            },
            SavedMessage { name: "raw".into(), body: "00ff".into(), format: MessageFormat::Hex },
        ],
        ..Profile::default()
    }
}

#[test]
fn test_profile_round_trips_through_toml_with_0600_file_in_0700_dir() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles"));
    let path = store.save("chat", &sample(), false).unwrap();
    assert_eq!(store.load("chat").unwrap(), sample());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777, 0o700);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version = 1"), "{text}");
    assert!(text.contains("${env:APIM_KEY}"), "the reference, not a value, is stored: {text}");
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["chat.toml"]);
}

#[test]
fn test_save_asks_before_overwriting_and_rename_duplicate_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().to_path_buf());
    store.save("a", &sample(), false).unwrap();
    assert!(matches!(store.save("a", &Profile::default(), false), Err(ProfileError::Exists(_))));
    store.save("a", &Profile { url: "ws://other".into(), ..Profile::default() }, true).unwrap();
    assert_eq!(store.load("a").unwrap().url, "ws://other");
    store.duplicate("a", "b").unwrap();
    store.rename("b", "c").unwrap();
    assert!(matches!(store.load("b"), Err(ProfileError::NotFound { .. })));
    assert_eq!(store.load("c").unwrap().url, "ws://other");
    store.delete("c").unwrap();
    assert!(matches!(store.delete("c"), Err(ProfileError::NotFound { .. })));
    assert!(matches!(store.save("../evil", &sample(), false), Err(ProfileError::InvalidName(_))));
}

#[test]
fn test_corrupt_file_is_reported_with_line_col_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().to_path_buf());
    store.save("good", &sample(), false).unwrap();
    let bad = "version = 1\nurl = \"ws://h\"\nquery = [ { name = \"a\", value = 3 } ]\n";
    let bad_path = store.path_of("bad");
    std::fs::write(&bad_path, bad).unwrap();
    let unknown_path = store.path_of("unknown");
    std::fs::write(&unknown_path, "version = 1\nurl = \"ws://h\"\ncolour = \"red\"\n").unwrap();

    let (ok, errors) = store.load_all();
    assert_eq!(ok.len(), 1, "the good profile still loads");
    assert_eq!(ok[0].0, "good");
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(messages.iter().any(|m| m.contains("bad.toml:3:") && m.contains("invalid type")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("unknown.toml:3:1") && m.contains("colour")), "{messages:?}");

    let err = store.save("bad", &sample(), true).unwrap_err();
    assert!(matches!(err, ProfileError::WontOverwrite { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&bad_path).unwrap(), bad, "byte for byte unchanged");
}

#[test]
fn test_env_refs_resolve_at_connect_time_with_a_clear_error_when_unset() {
    let profile = Profile {
        url: "ws://h/p".into(),
        headers: vec![Param::new("X-Token", "${env:WSTAB_TEST_TOKEN_UNSET_1}")],
        ..Profile::default()
    };
    let err = profile.target().unwrap_err();
    assert!(err.to_string().contains("WSTAB_TEST_TOKEN_UNSET_1 is not set"), "{err}");
    let shown = profile.target_unresolved().display_url();
    assert_eq!(shown, "ws://h/p");
}

#[test]
fn test_import_az_apim_api_list() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json")).unwrap();
    let report = import_apim_json(&text, None).unwrap();
    let names: Vec<&str> = report.profiles.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["webpubsub-chat", "ticker"]);
    let chat = &report.profiles[0].1;
    assert_eq!(chat.base_url(), "wss://contoso-apim.azure-api.net/client/hubs/chat");
    assert_eq!(chat.display_name, "Web PubSub chat");
    let key = &chat.query[0];
    assert_eq!((key.name.as_str(), key.required, key.secret, key.enabled), ("subscription-key", true, true, true));
    assert_eq!(chat.headers[0].name, "Ocp-Apim-Subscription-Key");
    assert!(!chat.headers[0].enabled);
    let ticker = &report.profiles[1].1;
    assert_eq!(ticker.query[0].name, "ticker-key");
    assert!(!ticker.query[0].required, "subscriptionRequired false");
    let skipped: Vec<(&str, &str)> = report.skipped.iter().map(|s| (s.name.as_str(), s.reason.as_str())).collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped[0].0 == "orders" && skipped[0].1.contains("not a WebSocket API"), "{skipped:?}");
    assert!(skipped[1].0 == "catalog" && skipped[1].1.contains("graphql"), "{skipped:?}");
}

#[test]
fn test_import_arm_shape_with_gateway() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_arm.json")).unwrap();
    let report = import_apim_json(&text, Some("https://gw.contoso.example")).unwrap();
    assert_eq!(report.profiles.len(), 1);
    assert_eq!(report.profiles[0].1.base_url(), "wss://gw.contoso.example/client/hubs/chat");
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].name, "echo-api");
    assert!(import_apim_json("{ nope", None).unwrap_err().to_string().contains("line 1"));
}

fn wstab_cmd(config: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.env("WSTAB_CONFIG_DIR", config)
        .env("WSTAB_DATA_DIR", config.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[tokio::test]
async fn test_import_command_writes_profiles_and_skips_existing() {
    let dir = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json");
    let out = output_within_async(wstab_cmd(dir.path()).args(["import", "apim", file]), WAIT).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("imported  webpubsub-chat"), "{stdout}");
    assert!(stdout.contains("skipped   orders") && stdout.contains("not a WebSocket API"), "{stdout}");
    assert!(dir.path().join("profiles/webpubsub-chat.toml").exists());
    let again = output_within_async(wstab_cmd(dir.path()).args(["import", "apim", file]), WAIT).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("a profile of that name exists"));
    let list = output_within_async(wstab_cmd(dir.path()).arg("profiles"), WAIT).await;
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("webpubsub-chat") && listed.contains("wss://contoso-apim.azure-api.net/client/hubs/chat"));
}

#[tokio::test]
async fn test_connect_with_profile_resolves_env_and_flags_override() {
    let (addr, mut seen) = echo_server().await;
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles"));
    let profile = Profile {
        url: format!("ws://{addr}/p"),
        query: vec![Param::new("subscription-key", "${env:WSTAB_TEST_KEY}").secret(), Param::new("a", "1")],
        headers: vec![Param::new("X-Env", "${env:WSTAB_TEST_KEY}"), Param::new("X-Over", "profile")],
        ..Profile::default()
    };
    store.save("local", &profile, false).unwrap();
    let out = output_within_async(
        wstab_cmd(dir.path()).env("WSTAB_TEST_KEY", "from-env-123").args([
            "connect",
            "--profile",
            "local",
            "-H",
            "X-Over: flag",
            "-q",
            "a=2",
            "-x",
            "hi",
            "--count",
            "1",
        ]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    let req = tokio::time::timeout(WAIT, seen.recv()).await.expect("no handshake at the echo server in time").unwrap();
    assert_eq!(req.uri, "/p?subscription-key=from-env-123&a=2");
    assert_eq!(req.header("x-env"), ["from-env-123"]);
    assert_eq!(req.header("x-over"), ["flag"]);
    // Unset variable: a usage error naming it, before any connection.
    let out = output_within_async(wstab_cmd(dir.path()).args(["connect", "--profile", "local"]), WAIT).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WSTAB_TEST_KEY is not set"));
    let out = output_within_async(wstab_cmd(dir.path()).args(["connect", "--profile", "nope"]), WAIT).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile named \"nope\""));
}

#[tokio::test]
async fn test_copied_wstab_command_runs() {
    let (addr, mut seen) = echo_server().await;
    let mut target = wstab_core::connection::Target::new(format!("ws://{addr}/chat"));
    target.query = vec![Param::new("subscription-key", "k-789")];
    target.headers = vec![Param::new("X-Note", "it's fine")];
    let line = command_line(&target, Tool::Wstab, false).unwrap();
    assert!(!line.contains("k-789"), "{line}");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_wstab")).parent().unwrap();
    let script = format!("{line} -x copied --count 1");
    let out = output_within_async(
        tokio::process::Command::new("bash")
            .args(["-c", &script])
            .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
            .env("SUBSCRIPTION_KEY", "k-789")
            .env("WSTAB_DATA_DIR", std::env::temp_dir().join("wstab-test-data"))
            .stdin(Stdio::null()),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "copied\n");
    let req = tokio::time::timeout(WAIT, seen.recv()).await.expect("no handshake at the echo server in time").unwrap();
    assert_eq!(req.uri, "/chat?subscription-key=k-789");
    assert_eq!(req.header("x-note"), ["it's fine"]);
}

#[tokio::test]
async fn test_import_apim_with_a_connection_string_adds_an_access_token_with_its_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json");
    let cs = "Endpoint=https://contoso-wps.webpubsub.azure.com;AccessKey=c2VjcmV0LWtleQ==;Version=1.0;";
    let out = output_within_async(
        wstab_cmd(dir.path()).args(["import", "apim", file, "--connection-string", cs, "--ttl", "30m"]),
        WAIT,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("access_token for hub chat expires"), "{stdout}");
    assert!(!stdout.contains("c2VjcmV0LWtleQ"), "the key is never printed: {stdout}");
    let store = ProfileStore::new(dir.path().join("profiles"));
    let chat = store.load("webpubsub-chat").unwrap();
    let token = chat.query.iter().find(|p| p.name == "access_token").expect("token added");
    assert!(token.secret && token.required);
    let view = wstab_core::jwt_claims::decode(&token.value).unwrap();
    assert_eq!(view.aud.as_deref(), Some("https://contoso-wps.webpubsub.azure.com/client/hubs/chat"));
    let left = view.seconds_left(std::time::SystemTime::now()).unwrap();
    assert!((1700..=1800).contains(&left), "{left}");
    assert!(chat.subprotocols.contains(&"json.webpubsub.azure.v1".to_string()));
    assert!(chat.webpubsub.is_none(), "a literal connection string is not stored");
    let raw = std::fs::read_to_string(store.path_of("webpubsub-chat")).unwrap();
    assert!(!raw.contains("c2VjcmV0LWtleQ"), "{raw}");
    // Not a hub: no token.
    assert!(store.load("ticker").unwrap().query.iter().all(|p| p.name != "access_token"));
}

#[tokio::test]
async fn test_import_webpubsub_from_env_connects_to_the_hub_with_fresh_tokens() {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cs_text = format!("Endpoint=http://{addr};AccessKey=hub-key-123456;Version=1.0;");
    let cs = wstab_core::webpubsub_token::ConnectionString::parse(&cs_text).unwrap();
    let _hub = wstab_emulator::hub::serve_on(listener, cs, shutdown.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = output_within_async(
        wstab_cmd(dir.path()).env("WPS_TEST_CS", &cs_text).args([
            "import",
            "webpubsub",
            "--hub",
            "chat",
            "--connection-string-env",
            "WPS_TEST_CS",
            "--user",
            "ann",
        ]),
        WAIT,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("fresh one is made from ${env:WPS_TEST_CS}"), "{stdout}");
    let raw = std::fs::read_to_string(dir.path().join("profiles/chat.toml")).unwrap();
    assert!(raw.contains("${env:WPS_TEST_CS}") && !raw.contains("hub-key-123456"), "{raw}");
    // The profile connects straight to the hub; the hub says who we are.
    let out = output_within_async(
        wstab_cmd(dir.path()).env("WPS_TEST_CS", &cs_text).args(["connect", "--profile", "chat", "--count", "1"]),
        WAIT,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let connected: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!((connected["event"].as_str(), connected["userId"].as_str()), (Some("connected"), Some("ann")));
    // Without the variable: a clear usage error.
    let out = output_within_async(
        wstab_cmd(dir.path()).args([
            "import",
            "webpubsub",
            "--hub",
            "x",
            "--connection-string-env",
            "WPS_TEST_UNSET_1",
        ]),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WPS_TEST_UNSET_1"));
    shutdown.cancel();
}

/// The copied `wstab connect` command runs against the embedded demo, the subscription key
/// coming from the shell variable the copy names instead of the clipboard.
#[tokio::test]
async fn test_copied_wstab_command_runs_against_the_demo() {
    let demo = wstab_emulator::demo::start(0).await.unwrap();
    let echo = demo.workspace.apis.iter().find(|a| a.name == "echo").unwrap();
    let target = echo.target(&demo.workspace.gateway);
    let line = command_line(&target, Tool::Wstab, false).unwrap();
    assert!(line.contains("${SUBSCRIPTION_KEY}") && !line.contains(&demo.subscription_key), "{line}");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_wstab")).parent().unwrap();
    let script = format!("{line} -x 'through the demo' --count 1");
    let out = output_within_async(
        tokio::process::Command::new("bash")
            .args(["-c", &script])
            .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
            .env("SUBSCRIPTION_KEY", &demo.subscription_key)
            .env("WSTAB_DATA_DIR", std::env::temp_dir().join("wstab-test-data"))
            .stdin(Stdio::null()),
        WAIT,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through the demo\n");
    demo.shutdown();
}
