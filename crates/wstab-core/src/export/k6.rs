//! `wstab export k6`: a profile as a k6 WebSocket load-test script (`k6/ws`), so a load test
//! that outgrows one machine runs on k6's distributed execution. Secrets are never inlined:
//! they become `__ENV.NAME` references, filled in by `k6 run -e NAME=…`.

use crate::connection::Param;
use crate::profile::{MessageFormat, Profile};
use crate::request::{BuiltRequest, Overrides, Purpose, RequestError, build_target};

/// The environment variable a value comes from: the one it already references (`${env:NAME}`),
/// or one named after the parameter when the value is secret; `None` for a plain value.
fn env_name(p: &Param) -> Option<String> {
    if let Some(rest) = p.value.trim().strip_prefix("${env:")
        && let Some(name) = rest.strip_suffix('}')
    {
        return Some(name.to_string());
    }
    p.is_secret()
        .then(|| p.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect())
}

/// A JavaScript expression for the value: a string literal, or `__ENV.NAME` for a secret.
fn js_value(p: &Param) -> String {
    match env_name(p) {
        Some(name) => format!("__ENV.{name}"),
        None => js_string(&p.value),
    }
}

/// A JavaScript string literal (JSON's escaping is valid JavaScript).
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The k6 script for `profile` (named `name`). The request is built by the one request builder
/// for showing: `${env:NAME}` references stay references, turned into `__ENV.NAME` here.
pub fn script(name: &str, profile: &Profile) -> Result<String, RequestError> {
    let BuiltRequest { target, session } = build_target(&profile.request(), &Overrides::default(), Purpose::Show)?;
    let mut out = String::new();
    let mut env_names: Vec<String> = Vec::new();
    let mut note = |p: &Param| {
        if let Some(n) = env_name(p)
            && !env_names.contains(&n)
        {
            env_names.push(n);
        }
    };
    let query: Vec<&Param> = target.query.iter().filter(|p| p.enabled && !p.name.is_empty()).collect();
    let headers: Vec<&Param> = target.headers.iter().filter(|p| p.enabled && !p.name.is_empty()).collect();
    query.iter().chain(&headers).for_each(|p| note(p));
    let token = session.webpubsub.is_some() && !query.iter().any(|p| p.name == "access_token");
    if token {
        env_names.push("ACCESS_TOKEN".into());
    }
    out.push_str(&format!("// k6 WebSocket test for the wstab profile {name:?}, written by `wstab export k6`.\n"));
    if env_names.is_empty() {
        out.push_str("// Run: k6 run --vus 10 --duration 30s script.js\n");
    } else {
        let flags: Vec<String> = env_names.iter().map(|n| format!("-e {n}=…")).collect();
        out.push_str(&format!("// Run: k6 run {} --vus 10 --duration 30s script.js\n", flags.join(" ")));
        out.push_str("// Secrets are read from the environment (-e NAME=value), never written here.\n");
    }
    if token {
        out.push_str("// ACCESS_TOKEN: a Web PubSub client token, e.g. from `wstab token --hub … --ttl 2h`.\n");
    }
    out.push_str("import ws from 'k6/ws';\nimport { check } from 'k6';\n\n");
    out.push_str("// How long each virtual user keeps its connection open (ms).\n");
    out.push_str("const HOLD_MS = Number(__ENV.HOLD_MS || 5000);\n\n");
    out.push_str(&format!("const BASE_URL = {};\n", js_string(&target.url)));
    out.push_str("const QUERY = [\n");
    for p in &query {
        out.push_str(&format!("  [{}, {}],\n", js_string(&p.name), js_value(p)));
    }
    if token {
        out.push_str("  ['access_token', __ENV.ACCESS_TOKEN],\n");
    }
    out.push_str("];\n");
    out.push_str("const URL = QUERY.length === 0 ? BASE_URL : BASE_URL + (BASE_URL.includes('?') ? '&' : '?') +\n");
    out.push_str("  QUERY.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v || '')}`).join('&');\n\n");
    out.push_str("const HEADERS = {\n");
    for p in &headers {
        out.push_str(&format!("  {}: {},\n", js_string(&p.name), js_value(p)));
    }
    if !target.subprotocols.is_empty() {
        out.push_str(&format!("  'Sec-WebSocket-Protocol': {},\n", js_string(&target.subprotocols.join(", "))));
    }
    out.push_str("};\n\n");
    out.push_str("// The profile's on-connect and saved messages, sent in order once the socket opens.\n");
    out.push_str("const MESSAGES = [\n");
    for m in &session.on_connect {
        out.push_str(&format!("  {{ text: {} }},\n", js_string(m)));
    }
    for m in &profile.messages {
        let hex = match m.format {
            MessageFormat::Text => None,
            MessageFormat::Hex => Some(m.body.split_whitespace().collect::<String>()),
            MessageFormat::Base64 => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(m.body.trim()).ok().map(hex::encode)
            }
        };
        match hex {
            None => out.push_str(&format!("  {{ name: {}, text: {} }},\n", js_string(&m.name), js_string(&m.body))),
            Some(h) => out.push_str(&format!("  {{ name: {}, hex: {} }},\n", js_string(&m.name), js_string(&h))),
        }
    }
    out.push_str("];\n\n");
    out.push_str(
        r#"function hexToBuffer(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes.buffer;
}

export default function () {
  const res = ws.connect(URL, { headers: HEADERS }, function (socket) {
    socket.on('open', function () {
      for (const m of MESSAGES) {
        if (m.hex !== undefined) socket.sendBinary(hexToBuffer(m.hex));
        else socket.send(m.text);
      }
    });
    socket.on('error', function (e) {
      console.error(`websocket error: ${e.error()}`);
    });
    socket.setTimeout(function () {
      socket.close();
    }, HOLD_MS);
  });
  check(res, { 'handshake answered 101': (r) => r && r.status === 101 });
}
"#,
    );
    Ok(out)
}
