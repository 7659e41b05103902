//! A session's target: URL, query parameters, headers, subprotocols, limits and TLS options, and
//! the one place the handshake request is built from them.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use url::Url;

use crate::secret::{Masker, is_secret_name};

/// Headers the WebSocket handshake owns: a user-supplied one is dropped, never duplicated.
pub const HANDSHAKE_HEADERS: &[&str] =
    &["sec-websocket-key", "upgrade", "connection", "sec-websocket-version", "host", "sec-websocket-extensions"];

/// One query parameter or header row: name, value, and whether it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The parameter or header name.
    pub name: String,
    /// Its value (may be empty).
    #[serde(default)]
    pub value: String,
    /// Disabled rows stay in the list but are not sent.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Masked on screen and in every trace and log, whatever its name.
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
    /// Flagged before connecting when left empty, as the developer portal does.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

impl Param {
    /// An enabled, non-secret row.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into(), enabled: true, secret: false, required: false }
    }

    /// This row marked secret.
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// This row marked required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Is the value secret, by flag or by name?
    pub fn is_secret(&self) -> bool {
        self.secret || is_secret_name(&self.name, &[])
    }
}

/// TLS options for `wss://`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsOptions {
    /// Skip certificate and hostname verification. Explicit, never the default.
    #[serde(default)]
    pub insecure: bool,
    /// An extra CA certificate (PEM) to trust, e.g. a self-signed test server's.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Everything needed to open one session.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `ws://` or `wss://` URL as typed; it may already carry query parameters.
    pub url: String,
    /// Query parameters merged into the URL, in order.
    pub query: Vec<Param>,
    /// Extra handshake headers, in order.
    pub headers: Vec<Param>,
    /// Subprotocols to request, in order of preference.
    pub subprotocols: Vec<String>,
    /// How long DNS + TCP + TLS + handshake may take.
    pub connect_timeout: Duration,
    /// Largest message accepted (and sent); `None` for no limit.
    pub max_message_size: Option<usize>,
    /// TLS verification options.
    pub tls: TlsOptions,
    /// Names, beyond the well-known ones, whose values are secret.
    pub secret_names: Vec<String>,
    /// Values that are secret wherever they appear (e.g. taken from `${env:…}` into the URL).
    pub secret_values: Vec<String>,
}

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default max message size: 64 MiB, tungstenite's own default.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

impl Default for Target {
    fn default() -> Self {
        Self {
            url: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
            tls: TlsOptions::default(),
            secret_names: Vec::new(),
            secret_values: Vec::new(),
        }
    }
}

/// Why a target cannot be turned into a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The URL does not parse.
    #[error("invalid URL {url:?}: {reason}")]
    BadUrl {
        /// The URL, secrets masked.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// The scheme is not ws/wss (http/https are accepted and mapped).
    #[error("unsupported scheme {scheme:?} in {url}: use ws:// or wss://")]
    BadScheme {
        /// The scheme found.
        scheme: String,
        /// The URL, secrets masked.
        url: String,
    },
    /// A header name or value cannot be sent.
    #[error("invalid header {name:?}: {reason}")]
    BadHeader {
        /// The header name.
        name: String,
        /// Why.
        reason: String,
    },
}

impl Target {
    /// A target for `url` with default limits.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), ..Self::default() }
    }

    /// A masker that knows every secret of this target: secret names and the values sent under
    /// them.
    pub fn masker(&self) -> Masker {
        let mut names = self.secret_names.clone();
        names.extend(self.query.iter().chain(&self.headers).filter(|p| p.secret).map(|p| p.name.clone()));
        let mut m = Masker::new(names);
        for v in &self.secret_values {
            m.add_value(v);
        }
        for p in self.query.iter().chain(&self.headers) {
            m.add_if_secret(&p.name, &p.value);
        }
        if let Ok(url) = Url::parse(self.url.trim()) {
            for (n, v) in url.query_pairs() {
                m.add_if_secret(&n, &v);
            }
        }
        m
    }

    /// The URL that will be requested: the typed URL with the enabled query parameters merged in,
    /// percent-encoded. A parameter already in the typed URL is replaced, not duplicated.
    pub fn request_url(&self) -> Result<Url, TargetError> {
        let raw = self.url.trim();
        let mut url = Url::parse(raw)
            .map_err(|e| TargetError::BadUrl { url: self.masker().redact(raw), reason: e.to_string() })?;
        match url.scheme() {
            "ws" | "wss" => {}
            // Accept what people paste from a browser or the portal; the handshake is the same.
            "http" => url.set_scheme("ws").map_err(|_| self.bad_scheme("http"))?,
            "https" => url.set_scheme("wss").map_err(|_| self.bad_scheme("https"))?,
            other => return Err(self.bad_scheme(other)),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(TargetError::BadUrl { url: self.masker().redact(raw), reason: "no host".into() });
        }
        let enabled: Vec<&Param> = self.query.iter().filter(|p| p.enabled && !p.name.is_empty()).collect();
        if !enabled.is_empty() {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(n, _)| !enabled.iter().any(|p| p.name == *n))
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            let mut pairs = url.query_pairs_mut();
            for (n, v) in &kept {
                pairs.append_pair(n, v);
            }
            for p in &enabled {
                pairs.append_pair(&p.name, &p.value);
            }
            drop(pairs);
        }
        Ok(url)
    }

    fn bad_scheme(&self, scheme: &str) -> TargetError {
        TargetError::BadScheme { scheme: scheme.to_string(), url: self.masker().redact(&self.url) }
    }

    /// The handshake request: URL, the WebSocket headers tungstenite generates, then the enabled
    /// user headers (handshake-owned names dropped) and the subprotocols.
    pub fn request(&self) -> Result<Request, TargetError> {
        let url = self.request_url()?;
        let mut req = url
            .as_str()
            .into_client_request()
            .map_err(|e| TargetError::BadUrl { url: self.masker().redact(url.as_str()), reason: e.to_string() })?;
        let headers = req.headers_mut();
        for p in self.headers.iter().filter(|p| p.enabled && !p.name.is_empty()) {
            if HANDSHAKE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(p.name.trim())) {
                continue;
            }
            let name = http::HeaderName::from_bytes(p.name.trim().as_bytes())
                .map_err(|e| TargetError::BadHeader { name: p.name.clone(), reason: e.to_string() })?;
            let value = http::HeaderValue::from_str(&p.value).map_err(|e| TargetError::BadHeader {
                name: p.name.clone(),
                reason: format!("{e} (control characters or newlines are not allowed)"),
            })?;
            headers.append(name, value);
        }
        let protocols: Vec<&str> = self.subprotocols.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        if !protocols.is_empty() {
            // The user's own Sec-WebSocket-Protocol header (if any) is replaced by the list.
            let value = http::HeaderValue::from_str(&protocols.join(", "))
                .map_err(|e| TargetError::BadHeader { name: "Sec-WebSocket-Protocol".into(), reason: e.to_string() })?;
            headers.insert(http::header::SEC_WEBSOCKET_PROTOCOL, value);
        }
        Ok(req)
    }

    /// The request URL with secrets masked, for display. Falls back to the typed URL when it does
    /// not parse.
    pub fn display_url(&self) -> String {
        let masker = self.masker();
        match self.request_url() {
            Ok(u) => masker.redact(u.as_str()),
            Err(_) => masker.redact(&self.url),
        }
    }

    /// Required query parameters and headers that are enabled but empty.
    pub fn missing_required(&self) -> Vec<&Param> {
        self.query
            .iter()
            .chain(&self.headers)
            .filter(|p| p.required && p.enabled && p.value.trim().is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_query_params_are_merged_and_encoded() {
        let mut t = Target::new("wss://gw.example.net/chat?x=1&access_token=old");
        t.query = vec![Param::new("access_token", "a b&c"), Param::new("off", "1"), Param::new("q", "é")];
        t.query[1].enabled = false;
        let url = t.request_url().unwrap();
        assert_eq!(url.as_str(), "wss://gw.example.net/chat?x=1&access_token=a+b%26c&q=%C3%A9");
    }

    #[test]
    fn test_http_schemes_map_and_others_fail() {
        assert_eq!(Target::new("https://h/p").request_url().unwrap().scheme(), "wss");
        assert!(matches!(Target::new("ftp://h/p").request_url(), Err(TargetError::BadScheme { .. })));
        assert!(matches!(Target::new("not a url").request_url(), Err(TargetError::BadUrl { .. })));
    }

    #[test]
    fn test_handshake_headers_are_not_duplicated() {
        let mut t = Target::new("ws://h/p");
        t.headers = vec![Param::new("Upgrade", "nope"), Param::new("Sec-WebSocket-Key", "x"), Param::new("X-A", "1")];
        t.subprotocols = vec!["a".into(), "b".into()];
        let req = t.request().unwrap();
        assert_eq!(req.headers().get_all("upgrade").iter().count(), 1);
        assert_eq!(req.headers().get_all("sec-websocket-key").iter().count(), 1);
        assert_eq!(req.headers()["x-a"], "1");
        assert_eq!(req.headers()["sec-websocket-protocol"], "a, b");
    }

    #[test]
    fn test_display_url_masks_secrets() {
        let mut t = Target::new("ws://h/p");
        t.query = vec![Param::new("subscription-key", "k-123456"), Param::new("mine", "hidden").secret()];
        let shown = t.display_url();
        assert!(!shown.contains("k-123456") && !shown.contains("hidden"), "{shown}");
    }

    #[test]
    fn test_bad_header_value_is_reported() {
        let mut t = Target::new("ws://h/p");
        t.headers = vec![Param::new("X-A", "line\nbreak")];
        assert!(matches!(t.request(), Err(TargetError::BadHeader { .. })));
    }
}
