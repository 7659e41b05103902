//! Web PubSub client access tokens: the connection string, the JWT and the client access URL,
//! built the way the Azure SDKs' `GetClientAccessUri` / `getClientAccessToken` build them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use url::Url;

/// The role that lets a client join and leave any group.
pub const ROLE_JOIN_LEAVE: &str = "webpubsub.joinLeaveGroup";
/// The role that lets a client send to any group.
pub const ROLE_SEND_TO_GROUP: &str = "webpubsub.sendToGroup";

/// Why a connection string, a TTL or a token request is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A required key is missing from the connection string.
    #[error(
        "connection string has no {0}= (expected Endpoint=https://<name>.webpubsub.azure.com;AccessKey=<key>;Version=1.0;)"
    )]
    MissingKey(&'static str),
    /// A part is not `key=value`.
    #[error("connection string part {0:?} is not key=value")]
    BadPart(String),
    /// The endpoint is not an http(s) URL.
    #[error("connection string Endpoint {0:?} is not an http:// or https:// URL")]
    BadEndpoint(String),
    /// The port is not a number.
    #[error("connection string Port {0:?} is not a port number")]
    BadPort(String),
    /// The hub name is empty or not a valid path segment.
    #[error("hub name {0:?} is invalid: use letters, digits and underscores")]
    BadHub(String),
    /// The TTL does not parse.
    #[error("invalid --ttl {0:?}: use e.g. 90 (seconds), 3600s, 30m, 1h or 1d")]
    BadTtl(String),
    /// The JWT could not be signed.
    #[error("cannot sign the access token: {0}")]
    Sign(String),
}

/// A parsed Web PubSub connection string.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// The service endpoint, with the `Port` applied.
    pub endpoint: Url,
    /// The access key (its UTF-8 bytes sign the tokens).
    pub access_key: String,
    /// The `Version` field, if given.
    pub version: Option<String>,
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The access key is a secret: never print it, even in debug output.
        f.debug_struct("ConnectionString")
            .field("endpoint", &self.endpoint.as_str())
            .field("access_key", &crate::secret::MASK)
            .field("version", &self.version)
            .finish()
    }
}

impl ConnectionString {
    /// Parses `Endpoint=…;AccessKey=…;Version=1.0;[Port=…;]` (keys case-insensitive).
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let (mut endpoint, mut key, mut version, mut port) = (None, None, None, None);
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| TokenError::BadPart(part.to_string()))?;
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "endpoint" => endpoint = Some(v),
                "accesskey" => key = Some(v),
                "version" => version = Some(v),
                "port" => port = Some(v),
                // Other keys (e.g. ClientEndpoint) are accepted and ignored, as the SDKs do.
                _ => {}
            }
        }
        let raw = endpoint.ok_or(TokenError::MissingKey("Endpoint"))?;
        let access_key = key.filter(|k| !k.is_empty()).ok_or(TokenError::MissingKey("AccessKey"))?;
        let mut endpoint = Url::parse(&raw).map_err(|_| TokenError::BadEndpoint(raw.clone()))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none_or(str::is_empty) {
            return Err(TokenError::BadEndpoint(raw));
        }
        if let Some(p) = port {
            let n: u16 = p.parse().map_err(|_| TokenError::BadPort(p.clone()))?;
            endpoint.set_port(Some(n)).map_err(|_| TokenError::BadPort(p))?;
        }
        Ok(Self { endpoint, access_key, version })
    }

    /// The endpoint as the SDKs print it: scheme, host, port when not the default, trailing `/`.
    fn base(&self) -> String {
        let mut base = self.endpoint.clone();
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        base.to_string()
    }

    /// The `aud` a token for `hub` carries: `<endpoint>/client/hubs/<hub>`.
    pub fn audience(&self, hub: &str) -> String {
        format!("{}client/hubs/{hub}", self.base())
    }

    /// The client URL without the token: `wss://<host>/client/hubs/<hub>` (`ws://` for http).
    pub fn client_url(&self, hub: &str) -> String {
        let base = self.base();
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base
        };
        format!("{ws}client/hubs/{hub}")
    }
}

/// What a client access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The hub.
    pub hub: String,
    /// The user id (`sub`).
    pub user: Option<String>,
    /// Roles, e.g. [`ROLE_JOIN_LEAVE`].
    pub roles: Vec<String>,
    /// Groups joined on connect.
    pub groups: Vec<String>,
    /// How long the token is valid.
    pub ttl: Duration,
}

impl TokenRequest {
    /// A request for `hub` with no user, roles or groups, valid one hour (the SDK default).
    pub fn new(hub: impl Into<String>) -> Self {
        Self { hub: hub.into(), user: None, roles: Vec::new(), groups: Vec::new(), ttl: Duration::from_secs(3600) }
    }
}

/// The claims of a Web PubSub client access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientClaims {
    /// `<endpoint>/client/hubs/<hub>`.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// The user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    /// Groups joined on connect.
    #[serde(rename = "webpubsub.group", default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// A signed token and the URL that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAccess {
    /// The JWT.
    pub token: String,
    /// `wss://<host>/client/hubs/<hub>?access_token=<jwt>`.
    pub url: String,
}

fn valid_hub(hub: &str) -> bool {
    !hub.is_empty() && hub.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Signs a client access token and builds the client access URL.
pub fn client_access(cs: &ConnectionString, req: &TokenRequest) -> Result<ClientAccess, TokenError> {
    if !valid_hub(&req.hub) {
        return Err(TokenError::BadHub(req.hub.clone()));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let claims = ClientClaims {
        aud: cs.audience(&req.hub),
        exp: now + req.ttl.as_secs(),
        iat: now,
        sub: req.user.clone().filter(|u| !u.is_empty()),
        role: req.roles.clone(),
        groups: req.groups.clone(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(cs.access_key.as_bytes()),
    )
    .map_err(|e| TokenError::Sign(e.to_string()))?;
    // A JWT is base64url and dots: nothing in it needs percent-encoding.
    let url = format!("{}?access_token={token}", cs.client_url(&req.hub));
    Ok(ClientAccess { token, url })
}

/// Parses a TTL: `90` (seconds), `3600s`, `30m`, `1h`, `1d`.
pub fn parse_ttl(text: &str) -> Result<Duration, TokenError> {
    let t = text.trim();
    let bad = || TokenError::BadTtl(text.to_string());
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        "d" => n.checked_mul(86_400).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if secs == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ttl_forms() {
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("3600s").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_ttl("1x").is_err());
        assert!(parse_ttl("").is_err());
        assert!(parse_ttl("0").is_err());
    }

    #[test]
    fn test_connection_string_keys_are_case_insensitive_and_port_applies() {
        let cs = ConnectionString::parse("endpoint=https://x.webpubsub.azure.com;ACCESSKEY=k;version=1.0;Port=8443;")
            .unwrap();
        assert_eq!(cs.audience("chat"), "https://x.webpubsub.azure.com:8443/client/hubs/chat");
        assert_eq!(cs.client_url("chat"), "wss://x.webpubsub.azure.com:8443/client/hubs/chat");
        assert!(!format!("{cs:?}").contains("ACCESSKEY=k"));
    }

    #[test]
    fn test_connection_string_errors_name_the_problem() {
        assert_eq!(ConnectionString::parse("AccessKey=k"), Err(TokenError::MissingKey("Endpoint")));
        assert_eq!(ConnectionString::parse("Endpoint=https://x"), Err(TokenError::MissingKey("AccessKey")));
        assert!(matches!(ConnectionString::parse("Endpoint=ftp://x;AccessKey=k"), Err(TokenError::BadEndpoint(_))));
        assert!(matches!(
            ConnectionString::parse("Endpoint=https://x;AccessKey=k;Port=x"),
            Err(TokenError::BadPort(_))
        ));
        assert!(matches!(ConnectionString::parse("garbage"), Err(TokenError::BadPart(_))));
    }
}
