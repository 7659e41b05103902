//! Property tests (proptest) over everything that parses what a user or a server hands us: the
//! profile loader, the APIM import, targets and their masking, terminal escaping and the
//! composer's hex/base64 parser. None may panic, a profile that fails to load is never
//! overwritten, and no secret survives masking.
//!
//! CI runs each property with the case count below (or `PROPTEST_CASES`); the long run is the
//! same file with a large `PROPTEST_CASES` (see `tests/README.md`).

use proptest::prelude::*;
use wstab::console::state::composer::{Composer, MessageMode};
use wstab_core::connection::{Command, HandshakeTrace, Param, Target};
use wstab_core::profile::{Profile, ProfileStore, import_apim_json};
use wstab_core::secret::{MASK, Masker, mask_header_value, mask_url};
use wstab_core::terminal_text::{escape_for_terminal, escape_one_line};

/// Cases per property in CI, unless `PROPTEST_CASES` says otherwise.
const CI_CASES: u32 = 256;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CI_CASES);
    // No failure persistence files: a failing case is printed, and CI's tree stays clean.
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A valid profile's TOML, the seed that mutations start from.
const PROFILE_SEED: &str = r#"# wstab connection profile
version = 1
display_name = "Chat"
gateway = "wss://contoso.azure-api.net"
url_suffix = "client/hubs/chat"
subprotocols = ["json.webpubsub.azure.v1"]
connect_timeout_secs = 5.0
max_message_size = 1048576
secret_names = ["x-secret"]

[[query]]
name = "subscription-key"
value = "${env:WSTAB_KEY}"
secret = true
required = true

[[headers]]
name = "Authorization"
value = "Bearer abc"
enabled = false

[tls]
insecure = false

[[messages]]
name = "join"
text = '{"type":"joinGroup","group":"demo"}'
"#;

const IMPORT_SEED: &str = include_str!("data/apim_api_list.json");

/// One edit of a text: delete, insert or replace a run of characters at some position.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, String),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    // Pieces a TOML/JSON parser cares about, plus anything at all.
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("[".to_string()),
        Just("]]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\\u{0}".to_string()),
        Just("9999999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("null".to_string()),
        Just("version = 99\n".to_string()),
        any::<String>(),
    ];
    let edit = prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), piece.clone()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), piece).prop_map(|(at, s)| Edit::Replace(at, s)),
    ];
    prop::collection::vec(edit, 1..6)
}

/// `seed` with `edits` applied, always at character boundaries.
fn mutate(seed: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for e in edits {
        let len = chars.len().max(1);
        match e {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Edit::Insert(at, s) => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, s.chars());
            }
            Edit::Replace(at, s) => {
                let at = at % len;
                let end = (at + s.chars().count()).min(chars.len());
                chars.splice(at.min(end)..end, s.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// Loading `text` as a profile, then saving over it: either it loaded (and the save may replace
/// it) or it failed and the file is byte for byte what it was.
fn check_failed_profile_is_never_modified(text: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let store = ProfileStore::new(dir.path().to_path_buf());
    let path = store.path_of("p");
    std::fs::write(&path, text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    if store.load("p").is_err() {
        let saved = store.save("p", &Profile::default(), true);
        prop_assert!(saved.is_err(), "a profile that failed to load was overwritten");
        prop_assert!(std::fs::read(&path).ok().as_deref() == Some(text), "the file changed");
        // Loading everything reports it and changes nothing either.
        let (_, errors) = store.load_all();
        prop_assert_eq!(errors.len(), 1);
        prop_assert!(std::fs::read(&path).ok().as_deref() == Some(text), "the file changed");
    }
    Ok(())
}

/// A value no URL, header name or test text could contain by chance.
fn secret_value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 /+=&?#%.~é-]{4,24}".prop_map(|s| format!("ZQ{s}Q"))
}

/// A name to hide a secret under: a well-known one, or any name the profile marks secret.
fn secret_name() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        Just(("subscription-key".to_string(), false)),
        Just(("access_token".to_string(), false)),
        Just(("Ocp-Apim-Subscription-Key".to_string(), false)),
        "[a-zA-Z][a-zA-Z0-9_.&=+ -]{0,12}".prop_map(|n| (n, true)),
    ]
}

fn any_url() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        ("(ws|wss|http|https|ftp|)", "[a-z0-9.:\\[\\]@-]{0,20}", "[ -~]{0,40}")
            .prop_map(|(s, h, rest)| format!("{s}://{h}/{rest}")),
        "[ -~]{0,60}",
    ]
}

fn any_param() -> impl Strategy<Value = Param> {
    (any::<String>(), any::<String>(), any::<bool>(), any::<bool>()).prop_map(|(n, v, enabled, secret)| {
        let mut p = Param::new(n, v);
        p.enabled = enabled;
        p.secret = secret;
        p
    })
}

/// The trace text of the handshake `target` would send, when it can be built.
fn trace_text(target: &Target) -> Option<String> {
    let req = target.request().ok()?;
    Some(HandshakeTrace::from_request(&req, &target.masker()).to_text())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_profile_parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = ProfileStore::parse("p.toml", &text);
    }

    #[test]
    fn prop_profile_parse_never_panics_on_mutated_profiles(e in edits()) {
        let text = mutate(PROFILE_SEED, &e);
        if let Ok(p) = ProfileStore::parse("p.toml", &text) {
            // A profile that loads also gives a target and an API without panicking.
            let _ = p.target_unresolved().request();
            let _ = p.to_api("p");
        }
    }

    #[test]
    fn prop_profile_that_fails_to_load_is_never_modified_by_a_save(e in edits(), raw in any::<bool>()) {
        let text = mutate(PROFILE_SEED, &e);
        let mut bytes = text.into_bytes();
        if raw && !bytes.is_empty() {
            // Not UTF-8 at all.
            let i = bytes.len() / 2;
            bytes[i] = 0xff;
        }
        check_failed_profile_is_never_modified(&bytes)?;
    }

    #[test]
    fn prop_import_never_panics_on_arbitrary_or_mutated_json(e in edits(), text in any::<String>(), gw in proptest::option::of(any::<String>())) {
        let _ = import_apim_json(&text, gw.as_deref());
        let mutated = mutate(IMPORT_SEED, &e);
        if let Ok(report) = import_apim_json(&mutated, gw.as_deref()) {
            for (name, profile) in &report.profiles {
                prop_assert!(wstab_core::profile::validate_name(name).is_ok(), "{name:?}");
                let _ = profile.target_unresolved().request();
            }
        }
    }

    #[test]
    fn prop_import_never_panics_on_arbitrary_json_values(v in json_value()) {
        let text = v.to_string();
        let _ = import_apim_json(&text, None);
        let wrapped = serde_json::json!([v]).to_string();
        let _ = import_apim_json(&wrapped, Some("https://gw.example"));
    }

    #[test]
    fn prop_target_never_panics(url in any_url(), query in prop::collection::vec(any_param(), 0..4), headers in prop::collection::vec(any_param(), 0..4), protos in prop::collection::vec(any::<String>(), 0..3)) {
        let mut t = Target::new(url);
        t.query = query;
        t.headers = headers;
        t.subprotocols = protos;
        let _ = t.request_url();
        let _ = t.request();
        let _ = t.display_url();
        let _ = t.missing_required();
        let _ = trace_text(&t);
    }

    #[test]
    fn prop_secret_never_appears_in_display_url_or_trace(
        url in any_url(),
        (name, flagged) in secret_name(),
        secret in secret_value(),
        in_header in any::<bool>(),
        others in prop::collection::vec(any_param(), 0..3),
    ) {
        let mut t = Target::new(url);
        t.query = others.clone();
        t.headers = others;
        // Other rows must not carry the secret's name, or they would replace it.
        t.query.retain(|p| p.name != name);
        t.headers.retain(|p| !p.name.eq_ignore_ascii_case(&name));
        let mut p = Param::new(name.clone(), secret.clone());
        p.secret = flagged;
        if in_header { t.headers.push(p) } else { t.query.push(p) }
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let shown = t.display_url();
        prop_assert!(!shown.contains(&secret) && !shown.contains(&encoded), "{shown}");
        if let Some(text) = trace_text(&t) {
            prop_assert!(!text.contains(&secret) && !text.contains(&encoded), "{text}");
        }
        if let Err(e) = t.request() {
            let e = e.to_string();
            prop_assert!(!e.contains(&secret) && !e.contains(&encoded), "{e}");
        }
    }

    #[test]
    fn prop_typed_url_secret_never_appears_in_display_url(
        host in "[a-z]{1,10}",
        name in prop_oneof![Just("subscription-key"), Just("access_token"), Just("sig")],
        secret in secret_value(),
        tail in "[ -~]{0,20}",
    ) {
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let t = Target::new(format!("wss://{host}/p?{name}={encoded}&{tail}"));
        let shown = t.display_url();
        prop_assert!(!shown.contains(&secret) && !shown.contains(&encoded), "{shown}");
        if let Some(text) = trace_text(&t) {
            prop_assert!(!text.contains(&secret) && !text.contains(&encoded), "{text}");
        }
    }

    #[test]
    fn prop_masking_functions_hide_the_value(text in any::<String>(), secret in secret_value(), scheme in "[A-Za-z]{1,8}") {
        let _ = mask_url(&text, &[]);
        let m = {
            let mut m = Masker::new(vec![]);
            m.add_value(&secret);
            m
        };
        let redacted = m.redact(&format!("{text}{secret}{text}"));
        prop_assert!(!redacted.contains(&secret), "{redacted}");
        let header = mask_header_value(&format!("{scheme} {secret}"));
        prop_assert!(!header.contains(&secret), "{header}");
        prop_assert!(header.ends_with(MASK));
        let mut by_name = Masker::new(vec!["X-Mine".into()]);
        by_name.add_if_secret("x-mine", &format!("Bearer {secret}"));
        let shown = by_name.redact(&format!("sent {secret} to ?x-mine={secret}"));
        prop_assert!(!shown.contains(&secret), "{shown}");
    }

    #[test]
    fn prop_terminal_escaping_leaves_no_control_character(text in any::<String>(), pick in prop::collection::vec(0usize..12, 0..30)) {
        // Any text, and text built from the characters terminals act on.
        const NASTY: [&str; 12] = ["\x1b[31m", "\x1b]0;title\x07", "\u{9b}2J", "\r", "\x08", "\x7f", "\u{202e}", "\u{2066}", "\u{200f}", "\n", "\t", "\u{85}"];
        let built: String = pick.iter().map(|&i| NASTY[i]).collect();
        for input in [text.as_str(), built.as_str()] {
            let kept = escape_for_terminal(input);
            prop_assert!(kept.chars().all(|c| !is_dangerous(c) || c == '\n' || c == '\t'), "{kept:?}");
            let one = escape_one_line(input);
            prop_assert!(one.chars().all(|c| !is_dangerous(c) || c == '\t'), "{one:?}");
            // Plain text is left as it is.
            if !input.chars().any(is_dangerous) {
                prop_assert_eq!(&kept, input);
            }
        }
    }

    #[test]
    fn prop_composer_parses_any_text_without_panic_and_round_trips_binary(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..64), spaces in prop::collection::vec(any::<bool>(), 0..64)) {
        let mut c = Composer::default();
        for mode in [MessageMode::Text, MessageMode::Hex, MessageMode::Base64] {
            c.mode = mode;
            c.editor.set_text(&text);
            let _ = c.command();
        }
        // Hex with spaces and newlines anywhere, and base64, give back the bytes.
        let mut hex = String::new();
        for (i, pair) in hex::encode(&bytes).as_bytes().chunks(2).enumerate() {
            hex.push_str(std::str::from_utf8(pair).unwrap_or_default());
            if spaces.get(i).copied().unwrap_or(false) {
                hex.push_str(if i % 2 == 0 { " " } else { "\n" });
            }
        }
        c.mode = MessageMode::Hex;
        c.editor.set_text(&hex);
        let got = c.command();
        prop_assert!(matches!(&got, Ok(Command::Binary(b)) if *b == bytes), "{hex:?} gave {got:?}");
        c.mode = MessageMode::Base64;
        use base64::Engine;
        c.editor.set_text(&base64::engine::general_purpose::STANDARD.encode(&bytes));
        let got = c.command();
        prop_assert!(matches!(&got, Ok(Command::Binary(b)) if *b == bytes), "{got:?}");
    }
}

/// A character a terminal could act on: C0/C1 controls, DEL, and the bidi controls.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop_oneof![
            Just("websocket".to_string()),
            Just("http".to_string()),
            Just("/subscriptions/s/providers/Microsoft.ApiManagement/service/x/apis/y".to_string()),
            any::<String>()
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("name".to_string()),
            Just("apiType".to_string()),
            Just("type".to_string()),
            Just("properties".to_string()),
            Just("path".to_string()),
            Just("id".to_string()),
            Just("value".to_string()),
            Just("subscriptionKeyParameterNames".to_string()),
            Just("header".to_string()),
            Just("query".to_string()),
            Just("subscriptionRequired".to_string()),
            any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
