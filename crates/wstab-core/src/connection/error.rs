//! Failures, classified so the user gets a hint they can act on; the application maps each class
//! to its exit code (`wstab::cli::exit`).

use std::fmt;

/// The class of a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The URL or a header cannot be used.
    InvalidRequest,
    /// The host name did not resolve.
    Dns,
    /// Nothing listens on the port.
    Refused,
    /// Connecting or the handshake took too long.
    Timeout,
    /// Other network error before the handshake (unreachable, reset…).
    Network,
    /// TLS failed: certificate, hostname, or protocol.
    Tls,
    /// The server answered the upgrade with a non-101 status.
    HandshakeRefused {
        /// The HTTP status.
        status: u16,
    },
    /// The server's 101 was not a valid WebSocket upgrade (bad accept key, unoffered subprotocol).
    BadHandshake,
    /// The connection ended without a close frame (1006).
    Abnormal,
    /// The peer broke the WebSocket protocol (e.g. invalid UTF-8 in a text frame).
    Protocol,
    /// A message exceeded the max message size.
    TooLarge,
}

/// A classified failure with a user-facing message (secrets masked) and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnError {
    /// The class.
    pub kind: FailureKind,
    /// What happened, secrets masked.
    pub message: String,
    /// What the user can do about it.
    pub hint: String,
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\nhint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConnError {}

impl ConnError {
    /// A failure of `kind` with the standard hint for it.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        let hint = hint_for(&kind).to_string();
        Self { kind, message: message.into(), hint }
    }

    /// A one-line label for the class, for the status bar.
    pub fn label(&self) -> String {
        match &self.kind {
            FailureKind::InvalidRequest => "invalid request".into(),
            FailureKind::Dns => "DNS lookup failed".into(),
            FailureKind::Refused => "connection refused".into(),
            FailureKind::Timeout => "timed out".into(),
            FailureKind::Network => "network error".into(),
            FailureKind::Tls => "TLS error".into(),
            FailureKind::HandshakeRefused { status } => format!("handshake refused ({status})"),
            FailureKind::BadHandshake => "invalid handshake response".into(),
            FailureKind::Abnormal => "connection lost (1006)".into(),
            FailureKind::Protocol => "protocol error".into(),
            FailureKind::TooLarge => "message too large".into(),
        }
    }
}

/// The hint shown with each failure class.
pub fn hint_for(kind: &FailureKind) -> &'static str {
    match kind {
        FailureKind::InvalidRequest => "check the URL (ws:// or wss://, host, port) and header names and values",
        FailureKind::Dns => "check the gateway host name; `nslookup <host>` should resolve it",
        FailureKind::Refused => "nothing listens on that host and port: check the port, or that the gateway is running",
        FailureKind::Timeout => {
            "the server did not complete the connection in time: check firewalls and proxies, or raise --connect-timeout"
        }
        FailureKind::Network => "the network dropped the connection before the handshake finished",
        FailureKind::Tls => {
            "the TLS handshake failed: for a self-signed server pass its CA with --ca FILE (or --insecure to skip verification); check the host name matches the certificate"
        }
        FailureKind::HandshakeRefused { status } => match status {
            400 => {
                "APIM answers 400 \"Invalid websocket upgrade request\" when the request lacks `Connection: Upgrade`, `Upgrade: websocket` or `Sec-WebSocket-Version: 13`, or when it is not a GET: use a WebSocket client (wstab sends all three)"
            }
            // The session words its own 401 hint from what the request sent (`unauthorized_hint`).
            401 => {
                "the gateway or backend refused the credentials: the response (WWW-Authenticate, body) says what it expects"
            }
            403 => {
                "the credentials are valid but not allowed here: check the API's policies (IP filter, roles, product access)"
            }
            404 => {
                "the request URL must be exactly the gateway URL plus the API's URL suffix (e.g. wss://<gateway>/<api-url-suffix>): check the suffix and that the API is a WebSocket API"
            }
            429 => "rate limited: wait and retry, or check the API's rate-limit policy",
            431 => "the request headers are too large: drop unneeded headers or shorten tokens",
            502 | 504 => {
                "the gateway could not reach the backend: check the API's backend (web service) URL and that the backend is up"
            }
            503 => "the service is unavailable or at its connection limit: retry later",
            s if *s >= 500 => "the gateway or backend failed: see the response body and the gateway's logs",
            _ => "see the response status and body in the handshake trace",
        },
        FailureKind::BadHandshake => {
            "the server answered 101 but not as a valid WebSocket upgrade: is something other than a WebSocket server (or a proxy) answering?"
        }
        FailureKind::Abnormal => "the connection closed without a close frame (1006): the server or a proxy dropped it",
        FailureKind::Protocol => "the server sent something the WebSocket protocol forbids; see the message for what",
        FailureKind::TooLarge => "a message exceeded the max message size: raise it with --max-message-size BYTES",
    }
}

/// The credentials a handshake request can carry, as the 401 hint names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An APIM subscription key: `Ocp-Apim-Subscription-Key` header or `subscription-key` query.
    SubscriptionKey,
    /// A Web PubSub client token in the `access_token` query parameter.
    AccessToken,
    /// An `Authorization` header (bearer token, basic…).
    Authorization,
}

impl Credential {
    /// The credentials a request sends, from its query parameter and header names (any case).
    pub fn sent<'a>(query: impl IntoIterator<Item = &'a str>, headers: impl IntoIterator<Item = &'a str>) -> Vec<Self> {
        let mut out = Vec::new();
        let mut add = |c| {
            if !out.contains(&c) {
                out.push(c);
            }
        };
        for q in query {
            match q.to_ascii_lowercase().as_str() {
                "subscription-key" => add(Credential::SubscriptionKey),
                "access_token" => add(Credential::AccessToken),
                _ => {}
            }
        }
        for h in headers {
            match h.to_ascii_lowercase().as_str() {
                "ocp-apim-subscription-key" => add(Credential::SubscriptionKey),
                "authorization" => add(Credential::Authorization),
                _ => {}
            }
        }
        out
    }
}

/// The 401 hint for a request that sent `sent`: it names only what the request uses, so an API
/// without tokens is never told to check its access token.
pub fn unauthorized_hint(sent: &[Credential]) -> String {
    if sent.is_empty() {
        return "the server wants credentials and this request sends none (no subscription key, access_token or \
                Authorization): the response in the handshake trace (WWW-Authenticate, body) says what it expects"
            .to_string();
    }
    let named: Vec<&str> = sent
        .iter()
        .map(|c| match c {
            Credential::SubscriptionKey => {
                "the subscription key (`Ocp-Apim-Subscription-Key` header or `subscription-key` query parameter) is right for this API and active"
            }
            Credential::AccessToken => "the `access_token` is valid for this hub and not expired",
            Credential::Authorization => "the `Authorization` header's token is valid and not expired",
        })
        .collect();
    format!("the gateway or backend refused the credentials: check that {}", named.join("; and that "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_hints_name_what_to_fix() {
        assert!(
            hint_for(&FailureKind::HandshakeRefused { status: 404 }).contains("gateway URL plus the API's URL suffix")
        );
        let h400 = hint_for(&FailureKind::HandshakeRefused { status: 400 });
        assert!(h400.contains("Upgrade: websocket") && h400.contains("Sec-WebSocket-Version: 13"));
    }

    #[test]
    fn test_the_401_hint_names_only_the_credentials_the_request_sends() {
        // Echo sends none: no word of a token or a key to check, but where to look.
        let none = unauthorized_hint(&Credential::sent(["x"], ["Origin"]));
        assert!(none.contains("sends none") && none.contains("WWW-Authenticate"), "{none}");
        assert!(!none.contains("check that"), "{none}");
        // A key only.
        let key = unauthorized_hint(&Credential::sent(["Subscription-Key"], []));
        assert!(key.contains("subscription key") && !key.contains("access_token"), "{key}");
        // A key in the header and a hub token: both, nothing else.
        let both = unauthorized_hint(&Credential::sent(["access_token"], ["ocp-apim-subscription-key"]));
        assert!(both.contains("subscription key") && both.contains("access_token"), "{both}");
        assert!(!both.contains("Authorization"), "{both}");
        let bearer = unauthorized_hint(&Credential::sent([], ["Authorization"]));
        assert!(bearer.contains("`Authorization` header") && !bearer.contains("subscription"), "{bearer}");
    }
}
