//! The gateway config file (TOML): subscriptions, APIs, handshake policies and limits.
//!
//! See `assets/gateway.example.toml` for a commented example. Unknown keys and bad values are
//! errors naming `file:line:col`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;
use url::Url;

use super::ipfilter::AddressRange;
use wstab_core::toml_file::{self, TomlError, line_col};

/// The default subscription key header (APIM's).
pub const DEFAULT_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// The default subscription key query parameter (APIM's).
pub const DEFAULT_KEY_QUERY: &str = "subscription-key";

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Where WebSocket clients connect (the `--listen` flag overrides it).
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Where `/metrics` is served (the `--admin` flag overrides it).
    #[serde(default)]
    pub admin: Option<SocketAddr>,
    /// Connection limits.
    #[serde(default)]
    pub limits: Limits,
    /// Subscriptions and their keys.
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
    /// The WebSocket APIs.
    #[serde(default)]
    pub apis: Vec<ApiConfig>,
    /// The global scope's APIM policy document (XML), run where an API's documents say `<base />`.
    #[serde(default)]
    pub policy_xml: Option<PathBuf>,
    /// Products: their APIs, subscriptions and policy documents (APIM's product scope).
    #[serde(default)]
    pub products: Vec<ProductConfig>,
    /// Certificates the policy XML names by id (`<key certificate-id="…" />`), as APIM keeps
    /// them uploaded beside the policies; `wstab gateway --certificate ID=PEMFILE` adds more.
    #[serde(default)]
    pub certificates: Vec<CertificateConfig>,
    /// Where relative key file paths are resolved (the config file's folder).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// A certificate for the policy XML (`[[certificates]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateConfig {
    /// The id policies name in `certificate-id`.
    pub id: String,
    /// The certificate (PEM), relative to the config file's folder.
    pub path: PathBuf,
}

/// A product, for its policy document's scope.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductConfig {
    /// The product id.
    pub name: String,
    /// The APIs it holds (by API name).
    #[serde(default)]
    pub apis: Vec<String>,
    /// The subscriptions that belong to it: their handshakes run this product's scope.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// Its APIM policy document (XML).
    #[serde(default)]
    pub policy_xml: Option<PathBuf>,
}

/// Limits that protect the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Seconds a client may take to send its handshake, and the backend to answer it (504).
    pub handshake_timeout_secs: u64,
    /// Largest handshake request head in bytes (431 beyond; at least 8192).
    pub max_header_bytes: usize,
    /// Largest message relayed, either way (the connection is closed with 1009 beyond).
    pub max_message_bytes: usize,
    /// Most WebSocket connections open at once (503 beyond).
    pub max_connections: usize,
    /// Seconds without a message either way before the gateway closes both sides (1001).
    pub idle_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout_secs: 10,
            max_header_bytes: 16 * 1024,
            max_message_bytes: 16 << 20,
            max_connections: 1000,
            idle_timeout_secs: 600,
        }
    }
}

/// A product subscription: its keys open every API that requires a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// Shown in logs instead of the key.
    pub name: String,
    /// The primary key.
    pub primary_key: String,
    /// The secondary key.
    #[serde(default)]
    pub secondary_key: Option<String>,
    /// A suspended subscription's keys are refused as invalid, as APIM does.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// One WebSocket API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The API id.
    pub name: String,
    /// The name users see.
    #[serde(default)]
    pub display_name: String,
    /// The URL suffix clients connect to (matched exactly, without the leading `/`).
    pub url_suffix: String,
    /// The backend WebSocket URL.
    #[serde(deserialize_with = "ws_url")]
    pub backend: Url,
    /// Whether a subscription key is required.
    #[serde(default = "yes")]
    pub subscription_required: bool,
    /// The names the key is looked up under.
    #[serde(default)]
    pub subscription_key: KeyNames,
    /// Handshake policies, run in a fixed order (see [`Policies`]).
    #[serde(default)]
    pub policies: Policies,
}

/// Where the subscription key is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyNames {
    /// The header name.
    pub header: String,
    /// The query parameter name.
    pub query: String,
}

impl Default for KeyNames {
    fn default() -> Self {
        Self { header: DEFAULT_KEY_HEADER.into(), query: DEFAULT_KEY_QUERY.into() }
    }
}

/// The handshake policies of an API. They run in this order: `ip_filter`, `rate_limit`,
/// `validate_jwt`, `check_header`, `set_header`, `set_query_parameter`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// Allow or forbid client addresses (403).
    #[serde(default)]
    pub ip_filter: Option<IpFilterConfig>,
    /// New connections per key per period (429).
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Require a valid JWT (401).
    #[serde(default)]
    pub validate_jwt: Option<Spanned<ValidateJwtConfig>>,
    /// Require headers with given values.
    #[serde(default)]
    pub check_header: Vec<CheckHeaderConfig>,
    /// Set, append or delete headers sent to the backend.
    #[serde(default)]
    pub set_header: Vec<SetHeaderConfig>,
    /// Set or delete query parameters sent to the backend.
    #[serde(default)]
    pub set_query_parameter: Vec<SetQueryConfig>,
    /// The API scope's APIM policy document (XML); runs after the TOML policies above.
    #[serde(default)]
    pub xml: Option<PathBuf>,
    /// The `onHandshake` operation's APIM policy document (XML).
    #[serde(default)]
    pub on_handshake_xml: Option<PathBuf>,
}

/// `ip-filter`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpFilterConfig {
    /// Whether the listed addresses are the only ones allowed, or the ones refused.
    pub action: IpFilterAction,
    /// Addresses: `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9`, IPv6 alike.
    pub addresses: Vec<AddressRange>,
}

/// What an ip filter does with the listed addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpFilterAction {
    /// Only the listed addresses may connect.
    Allow,
    /// The listed addresses may not connect.
    Forbid,
}

/// `rate-limit-by-key` on new connections.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// New connections allowed per period.
    pub calls: u32,
    /// The period in seconds.
    pub renewal_period_secs: u64,
    /// What is counted: per subscription (the default; the client address when there is none)
    /// or per client address.
    #[serde(default)]
    pub counter_key: CounterKey,
}

/// What a rate limit counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CounterKey {
    /// The subscription.
    #[default]
    Subscription,
    /// The client IP address.
    Ip,
}

/// `validate-jwt`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateJwtConfig {
    /// Header carrying the token (`Authorization` by default; a `Bearer ` prefix is stripped).
    #[serde(default)]
    pub header: Option<String>,
    /// Query parameter carrying the token instead of a header.
    #[serde(default)]
    pub query: Option<String>,
    /// HS256 shared secret (UTF-8 bytes).
    #[serde(default)]
    pub hs256_secret: Option<String>,
    /// RS256 public key, PEM file.
    #[serde(default)]
    pub rs256_public_key_file: Option<PathBuf>,
    /// RS256 keys as a JWKS file (selected by `kid`).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Accepted `aud` values (any when empty).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Accepted `iss` values (any when empty).
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Claims that must be present, optionally with one of the listed values.
    #[serde(default)]
    pub required_claims: Vec<RequiredClaim>,
    /// `exp` is required unless this is false (APIM's `require-expiration-time`).
    #[serde(default = "yes")]
    pub require_expiration_time: bool,
    /// Status on failure (APIM's `failed-validation-httpcode`).
    #[serde(default = "unauthorized")]
    pub failed_status: u16,
    /// Message on failure instead of the built-in reason.
    #[serde(default)]
    pub failed_message: Option<String>,
}

fn unauthorized() -> u16 {
    401
}

/// A claim a token must carry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredClaim {
    /// The claim name.
    pub name: String,
    /// Accepted values (any value when empty); for an array claim, one element must match.
    #[serde(default)]
    pub values: Vec<String>,
}

/// `check-header`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckHeaderConfig {
    /// The header.
    pub name: String,
    /// Accepted values (any value when empty).
    #[serde(default)]
    pub values: Vec<String>,
    /// Compare values ignoring case.
    #[serde(default)]
    pub ignore_case: bool,
    /// Status on failure.
    #[serde(default = "unauthorized")]
    pub failed_status: u16,
    /// Message on failure.
    #[serde(default)]
    pub failed_message: Option<String>,
}

/// What a set policy does when the name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExistsAction {
    /// Replace the value.
    #[default]
    Override,
    /// Keep the existing value.
    Skip,
    /// Add another value.
    Append,
    /// Remove the name.
    Delete,
}

/// `set-header`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetHeaderConfig {
    /// The header.
    pub name: String,
    /// The value (ignored for `delete`).
    #[serde(default)]
    pub value: String,
    /// What to do when it exists.
    #[serde(default)]
    pub exists_action: ExistsAction,
}

/// `set-query-parameter`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetQueryConfig {
    /// The parameter.
    pub name: String,
    /// The value (ignored for `delete`).
    #[serde(default)]
    pub value: String,
    /// What to do when it exists.
    #[serde(default)]
    pub exists_action: ExistsAction,
}

fn ws_url<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = String::deserialize(d)?;
    let url = Url::parse(&text).map_err(|e| serde::de::Error::custom(format!("invalid backend URL {text:?}: {e}")))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(serde::de::Error::custom(format!("backend URL {text:?} must start with ws:// or wss://")));
    }
    Ok(url)
}

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read gateway config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Bad TOML, an unknown key or a bad value (`path:line:col: message`).
    #[error(transparent)]
    Parse(#[from] TomlError),
    /// A valid TOML value that makes no sense, located in the file when possible.
    #[error("{location}: {message}")]
    Invalid {
        /// `file:line:col`, or `file` plus the API name.
        location: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl GatewayConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with(path, &[])
    }

    /// [`Self::load`] with more certificates (`--certificate`, paths absolute or relative to
    /// the config's folder) known before its policies are checked.
    pub fn load_with(path: &Path, certificates: &[CertificateConfig]) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse_with(&shown, &text, &base, certificates)
    }

    /// Parses and checks config text; `path` names it in errors, `base_dir` resolves key files.
    pub fn parse(path: &str, text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        Self::parse_with(path, text, base_dir, &[])
    }

    /// [`Self::parse`] with more certificates, as [`Self::load_with`].
    pub fn parse_with(
        path: &str,
        text: &str,
        base_dir: &Path,
        certificates: &[CertificateConfig],
    ) -> Result<Self, ConfigError> {
        let mut config: Self = toml_file::parse(path, text)?;
        config.base_dir = base_dir.to_path_buf();
        config.certificates.extend(certificates.iter().cloned());
        // Compiling checks every cross-field rule and loads key files, so errors surface now.
        super::policy::compile(&config).map_err(|e| e.located(path, text))?;
        Ok(config)
    }
}

/// A semantic error found while compiling, with the byte span it concerns when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The API it concerns.
    pub api: String,
    /// Where in the file, when known.
    pub span: Option<std::ops::Range<usize>>,
    /// What is wrong.
    pub message: String,
    /// `file:line:col` in a policy XML document, when the error is there.
    pub xml_location: Option<String>,
}

impl CompileError {
    /// Turns it into a [`ConfigError`] naming `path:line:col` when the span is known.
    pub fn located(self, path: &str, text: &str) -> ConfigError {
        if let Some(location) = self.xml_location {
            return ConfigError::Invalid { location, message: self.message };
        }
        let location = match &self.span {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                format!("{path}:{line}:{col}")
            }
            None => format!("{path}: api {:?}", self.api),
        };
        ConfigError::Invalid { location, message: self.message }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.xml_location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => write!(f, "api {:?}: {}", self.api, self.message),
        }
    }
}
