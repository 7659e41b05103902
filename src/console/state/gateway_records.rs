//! The gateway's records and numbers as the console keeps them: its own types, filled by the
//! runtime from whichever gateway it watches (the embedded demo's, or one read through
//! `--gateway-admin`), so the state and the view depend on no emulator crate.

use std::collections::BTreeMap;

/// One record of the gateway's access log.
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayRecord {
    /// A handshake was answered.
    Handshake(HandshakeRecord),
    /// A relayed connection ended.
    ConnectionEnd(ConnectionEndRecord),
}

impl GatewayRecord {
    /// The API the record is about (a handshake to an unknown URL has none).
    pub fn api(&self) -> Option<&str> {
        match self {
            GatewayRecord::Handshake(h) => h.api.as_deref(),
            GatewayRecord::ConnectionEnd(e) => Some(&e.api),
        }
    }
}

/// A handshake as the gateway answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeRecord {
    /// RFC 3339 time.
    pub time: String,
    /// The API, when the URL matched one.
    pub api: Option<String>,
    /// Path and query, secrets masked.
    pub url: String,
    /// The status answered (101 on success).
    pub status: u16,
    /// Why (a refusal's reason, or "relayed").
    pub reason: String,
    /// The client's address.
    pub client: String,
    /// Milliseconds from request to answer.
    pub duration_ms: u64,
    /// The policies that ran, in order (empty when none did).
    pub policies: Vec<PolicyStep>,
}

/// What one policy did on a handshake, as APIM's trace shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStep {
    /// `global`, `product NAME`, `api NAME` or `operation onHandshake`.
    pub scope: String,
    /// The policy element (`validate-jwt`…).
    pub policy: String,
    /// `file:line:col` of the element.
    pub location: String,
    /// `passed`, `refused`, `returned` or `branch`.
    pub outcome: String,
    /// What it decided.
    pub detail: String,
    /// Microseconds it took.
    pub elapsed_us: u64,
}

/// A relayed connection's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionEndRecord {
    /// RFC 3339 time.
    pub time: String,
    /// The API.
    pub api: String,
    /// The client's address.
    pub client: String,
    /// Messages from the client.
    pub messages_from_client: u64,
    /// Messages from the backend.
    pub messages_from_backend: u64,
    /// Payload bytes from the client.
    pub bytes_from_client: u64,
    /// Payload bytes from the backend.
    pub bytes_from_backend: u64,
    /// The close code (1005 when none was given, 1006 when the connection dropped).
    pub close_code: u16,
    /// `client`, `backend` or `gateway`.
    pub closed_by: String,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Milliseconds the connection was open.
    pub duration_ms: u64,
}

/// The gateway's numbers for one API since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiMetrics {
    /// Handshakes answered, by status.
    pub handshakes: BTreeMap<u16, u64>,
    /// Open relayed connections.
    pub active: i64,
    /// Messages from the client to the backend.
    pub messages_from_client: u64,
    /// Messages from the backend to the client.
    pub messages_from_backend: u64,
    /// Payload bytes from the client to the backend.
    pub bytes_from_client: u64,
    /// Payload bytes from the backend to the client.
    pub bytes_from_backend: u64,
}

/// A gateway's whole status, as read from its admin address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayStatus {
    /// Per-API numbers.
    pub metrics: BTreeMap<String, ApiMetrics>,
    /// The recent records, oldest first.
    pub records: Vec<GatewayRecord>,
}
