//! `wstab export artillery` run for real: the exported scenario drives ~20 virtual users against
//! the demo gateway for ~10 s on Artillery (pinned in `tests/artillery/package-lock.json`), and
//! Artillery's JSON report is checked against the gateway's own `/metrics`.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::process::output_within;
use common::{WAIT, tools};
use wstab_core::connection::Param;

/// Arrival phase: 2 new virtual users a second for 10 s = 20 users.
const USERS: u64 = 20;
const OVERRIDES: &str = r#"{"config":{"phases":[{"duration":10,"arrivalRate":2}]}}"#;
/// Each user sends the on-connect message and one saved message.
const SENT_PER_USER: u64 = 2;
/// Ten seconds of arrivals, each user holding for five, plus Node's start.
const ARTILLERY_DEADLINE: Duration = Duration::from_secs(120);

/// The wstab binary with its config and data in `dir` and stdin closed.
fn wstab(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wstab"));
    cmd.env("WSTAB_CONFIG_DIR", dir).env("WSTAB_DATA_DIR", dir).stdin(Stdio::null());
    cmd
}

/// `GET /metrics` on the gateway's admin address, as Prometheus text.
fn metrics(admin_url: &str) -> String {
    let addr = admin_url.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(addr).expect("admin address");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    write!(tcp, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    tcp.read_to_string(&mut text).expect("metrics answer");
    text
}

/// The value of the sample `name{labels}` (labels written exactly as the gateway renders them).
fn sample(text: &str, series: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok()).map(|v| v as u64)
}

#[test]
#[cfg_attr(missing_artillery, ignore = "needs Artillery: npm ci (in tests/artillery)")]
fn test_artillery_runs_the_exported_scenario_and_its_report_matches_the_gateway_metrics() {
    tools::require(tools::ARTILLERY);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let demo = rt.block_on(wstab_emulator::demo::start(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = wstab_core::profile::ProfileStore::new(dir.path().join("profiles"));
    let profile = wstab_core::profile::Profile {
        url: format!("{}/echo", demo.gateway_url),
        query: vec![Param::new("subscription-key", "${env:DEMO_KEY}").secret()],
        on_connect: vec!["hello from artillery".into()],
        messages: vec![wstab_core::profile::SavedMessage {
            name: "quote".into(),
            body: r#"{"type":"quote","symbol":"MSFT"}"#.into(),
            format: wstab_core::profile::MessageFormat::Text,
        }],
        ..Default::default()
    };
    store.save("echo", &profile, false).unwrap();
    let script = dir.path().join("echo.artillery.yml");
    let out =
        output_within(wstab(dir.path()).args(["export", "artillery", "--profile", "echo", "-o"]).arg(&script), WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let yaml = std::fs::read_to_string(&script).unwrap();
    assert!(!yaml.contains(&demo.subscription_key), "the key is inlined:\n{yaml}");
    assert!(yaml.contains("subscription-key={{ $processEnvironment.DEMO_KEY }}"), "{yaml}");

    let report = dir.path().join("report.json");
    let run = output_within(
        std::process::Command::new("node")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/artillery"))
            .args(["node_modules/artillery/bin/run", "run", "--overrides", OVERRIDES, "--output"])
            .arg(&report)
            .arg(&script)
            .env("DEMO_KEY", &demo.subscription_key)
            .env("ARTILLERY_DISABLE_TELEMETRY", "true")
            .stdin(Stdio::null()),
        ARTILLERY_DEADLINE,
    );
    assert!(
        run.status.success(),
        "artillery failed:\n{}\n{}\n{yaml}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let counters: BTreeMap<String, u64> =
        serde_json::from_value(report["aggregate"]["counters"].clone()).expect("aggregate counters in the report");
    let errors: Vec<_> = counters.iter().filter(|(k, _)| k.starts_with("errors.")).collect();
    assert!(errors.is_empty(), "Artillery saw errors: {errors:?}\n{counters:?}");
    assert_eq!(counters.get("vusers.created"), Some(&USERS), "{counters:?}");
    assert_eq!(counters.get("vusers.completed"), Some(&USERS), "{counters:?}");
    assert_eq!(counters.get("vusers.failed").copied().unwrap_or(0), 0, "{counters:?}");
    let sent = counters.get("websocket.messages_sent").copied().unwrap_or(0);
    assert_eq!(sent, USERS * SENT_PER_USER, "{counters:?}");

    // The gateway's side: every user's handshake answered 101, every message relayed to the
    // echo backend and back, and every connection closed again (the last closes may still be
    // in flight when Artillery exits).
    let deadline = Instant::now() + WAIT;
    let text = loop {
        let text = metrics(&demo.admin_url);
        let active = sample(&text, r#"wstab_gateway_connections_active{api="echo"}"#).unwrap_or(0);
        if active == 0 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(sample(&text, r#"wstab_gateway_connections_active{api="echo"}"#).unwrap_or(0), 0, "{text}");
    assert_eq!(sample(&text, r#"wstab_gateway_handshakes_total{api="echo",status="101"}"#), Some(USERS), "{text}");
    let handshakes_other: u64 = text
        .lines()
        .filter(|l| l.starts_with("wstab_gateway_handshakes_total{") && !l.contains(r#"status="101""#))
        .count() as u64;
    assert_eq!(handshakes_other, 0, "refused handshakes:\n{text}");
    assert_eq!(
        sample(&text, r#"wstab_gateway_messages_total{api="echo",direction="client_to_backend"}"#),
        Some(sent),
        "Artillery's messages_sent against the gateway's count:\n{text}"
    );
    assert_eq!(
        sample(&text, r#"wstab_gateway_messages_total{api="echo",direction="backend_to_client"}"#),
        Some(sent),
        "{text}"
    );
}
