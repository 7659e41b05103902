//! `wstab export artillery`: a profile as an Artillery test script (YAML, the built-in `ws`
//! engine), so a load test runs on Artillery locally or on its distributed runners (AWS Fargate,
//! Azure ACI). Secrets are never inlined: they become `{{ $processEnvironment.NAME }}`
//! references, which Artillery fills in from the environment when it loads the script.

use crate::connection::Param;
use crate::profile::{MessageFormat, Profile};
use crate::request::{BuiltRequest, Overrides, Purpose, RequestError, build_target};
use crate::secret::is_secret_name;

/// How long each phase of the default load lasts, in seconds.
pub const DEFAULT_DURATION_SECS: u32 = 60;
/// New virtual users per second in the default load.
pub const DEFAULT_ARRIVAL_RATE: u32 = 5;
/// How long each virtual user keeps its connection open after sending, in seconds.
pub const DEFAULT_HOLD_SECS: u32 = 5;

/// The environment variable a value comes from: the one it already references (`${env:NAME}`),
/// or one named after the parameter when the value is secret; `None` for a plain value.
fn env_name(p: &Param, secret_names: &[String]) -> Option<String> {
    if let Some(rest) = p.value.trim().strip_prefix("${env:")
        && let Some(name) = rest.strip_suffix('}')
    {
        return Some(name.to_string());
    }
    (p.is_secret() || is_secret_name(&p.name, secret_names))
        .then(|| p.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect())
}

/// An Artillery template reading the environment variable `name`.
fn env_ref(name: &str) -> String {
    format!("{{{{ $processEnvironment.{name} }}}}")
}

/// A YAML double-quoted scalar (JSON's string escaping is valid YAML).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A URL query component, percent-encoded (what `encodeURIComponent` leaves alone stays).
fn url_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// The Artillery script for `profile` (named `name`). The request is built by the one request
/// builder for showing: `${env:NAME}` references stay references, turned into
/// `{{ $processEnvironment.NAME }}` here; other secrets are read from a variable named after the
/// parameter (`subscription-key` → `SUBSCRIPTION_KEY`).
pub fn script(name: &str, profile: &Profile) -> Result<String, RequestError> {
    let BuiltRequest { target, session } = build_target(&profile.request(), &Overrides::default(), Purpose::Show)?;
    let secret_names = &target.secret_names;
    let mut env_names: Vec<String> = Vec::new();
    let mut value_of = |p: &Param| match env_name(p, secret_names) {
        Some(n) => {
            let r = env_ref(&n);
            if !env_names.contains(&n) {
                env_names.push(n);
            }
            r
        }
        None => p.value.clone(),
    };
    let query: Vec<&Param> = target.query.iter().filter(|p| p.enabled && !p.name.is_empty()).collect();
    let headers: Vec<&Param> = target.headers.iter().filter(|p| p.enabled && !p.name.is_empty()).collect();
    let mut pairs: Vec<String> = query
        .iter()
        .map(|p| {
            let v = value_of(p);
            // A reference is left as is for Artillery to fill in; a plain value is encoded here.
            let v = if v.starts_with("{{") { v } else { url_component(&v) };
            format!("{}={v}", url_component(&p.name))
        })
        .collect();
    let header_lines: Vec<(String, String)> = headers.iter().map(|p| (p.name.clone(), value_of(p))).collect();
    let token = session.webpubsub.is_some() && !query.iter().any(|p| p.name == "access_token");
    if token {
        pairs.push(format!("access_token={}", env_ref("ACCESS_TOKEN")));
        env_names.push("ACCESS_TOKEN".into());
    }
    let url = if pairs.is_empty() {
        target.url.clone()
    } else {
        let sep = if target.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", target.url, pairs.join("&"))
    };

    let mut out = String::new();
    out.push_str(&format!("# Artillery test for the wstab profile {name:?}, written by `wstab export artillery`.\n"));
    let env_prefix: String = env_names.iter().map(|n| format!("{n}=… ")).collect();
    out.push_str(&format!("# Run: {env_prefix}npx artillery run --output report.json THIS_FILE\n"));
    if !env_names.is_empty() {
        out.push_str("# Secrets are read from the environment ($processEnvironment), never written here.\n");
    }
    if token {
        out.push_str("# ACCESS_TOKEN: a Web PubSub client token, e.g. from `wstab token --hub … --ttl 2h`.\n");
    }
    out.push_str("# Change the load with --overrides, e.g.\n");
    out.push_str("#   --overrides '{\"config\":{\"phases\":[{\"duration\":10,\"arrivalRate\":2}]}}'\n");
    out.push_str("config:\n");
    out.push_str(&format!("  target: {}\n", yaml_string(&url)));
    out.push_str("  phases:\n");
    out.push_str(&format!(
        "    - name: steady\n      duration: {DEFAULT_DURATION_SECS}\n      arrivalRate: {DEFAULT_ARRIVAL_RATE}\n"
    ));
    out.push_str("  ws:\n");
    if !target.subprotocols.is_empty() {
        let list: Vec<String> = target.subprotocols.iter().map(|s| yaml_string(s)).collect();
        out.push_str(&format!("    subprotocols: [{}]\n", list.join(", ")));
    }
    if header_lines.is_empty() {
        out.push_str("    headers: {}\n");
    } else {
        out.push_str("    headers:\n");
        for (n, v) in &header_lines {
            out.push_str(&format!("      {}: {}\n", yaml_string(n), yaml_string(v)));
        }
    }
    out.push_str("scenarios:\n");
    out.push_str(&format!("  - name: {}\n    engine: ws\n    flow:\n", yaml_string(name)));
    out.push_str("      # The profile's on-connect and saved messages, sent in order once the socket opens.\n");
    let mut sent = 0;
    for m in &session.on_connect {
        out.push_str(&format!("      - send: {}\n", yaml_string(m)));
        sent += 1;
    }
    for m in &profile.messages {
        match m.format {
            MessageFormat::Text => {
                out.push_str(&format!("      - send: {}  # {}\n", yaml_string(&m.body), m.name.replace('\n', " ")));
                sent += 1;
            }
            // Artillery's ws engine sends text only.
            MessageFormat::Hex | MessageFormat::Base64 => out.push_str(&format!(
                "      # skipped {:?}: a binary message (Artillery's ws engine sends text only)\n",
                m.name
            )),
        }
    }
    if sent == 0 {
        out.push_str("      # (the profile has no text message to send: the connection is only held open)\n");
    }
    out.push_str("      # Hold the connection open before closing it.\n");
    out.push_str(&format!("      - think: {DEFAULT_HOLD_SECS}\n"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::SavedMessage;

    fn profile() -> Profile {
        let mut p = Profile { url: "ws://127.0.0.1:9/echo".into(), ..Profile::default() };
        p.query.push(Param::new("subscription-key", "k-very-secret").secret());
        p.query.push(Param::new("room", "a b&c"));
        p.headers.push(Param::new("Authorization", "Bearer abc.def"));
        p.headers.push(Param::new("X-Key", "${env:MY_KEY}"));
        p.subprotocols = vec!["json.webpubsub.azure.v1".into()];
        p.messages.push(SavedMessage {
            name: "hi".into(),
            body: "{\"a\":\"\\\"q\\\"\"}".into(),
            format: MessageFormat::Text,
        });
        p.messages.push(SavedMessage { name: "bin".into(), body: "de ad".into(), format: MessageFormat::Hex });
        p
    }

    #[test]
    fn test_artillery_script_references_secrets_never_inlines_them() {
        let s = script("echo", &profile()).unwrap();
        assert!(!s.contains("k-very-secret"), "{s}");
        assert!(!s.contains("abc.def"), "{s}");
        assert!(s.contains("subscription-key={{ $processEnvironment.SUBSCRIPTION_KEY }}"), "{s}");
        assert!(s.contains("\"Authorization\": \"{{ $processEnvironment.AUTHORIZATION }}\""), "{s}");
        assert!(s.contains("\"X-Key\": \"{{ $processEnvironment.MY_KEY }}\""), "{s}");
        assert!(s.contains("# Run: SUBSCRIPTION_KEY=… AUTHORIZATION=… MY_KEY=… npx artillery run"), "{s}");
    }

    #[test]
    fn test_artillery_script_encodes_plain_query_values_and_keeps_messages() {
        let s = script("echo", &profile()).unwrap();
        assert!(s.contains("&room=a%20b%26c"), "{s}");
        assert!(s.contains("subprotocols: [\"json.webpubsub.azure.v1\"]"), "{s}");
        assert!(s.contains(r#"- send: "{\"a\":\"\\\"q\\\"\"}""#), "{s}");
        assert!(s.contains("skipped \"bin\""), "{s}");
        assert!(s.contains("engine: ws"), "{s}");
    }
}
