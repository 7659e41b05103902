//! The gateway's JSON-lines log: one record per handshake, one per connection end. Records never
//! carry a secret: URLs are masked, refusal reasons never quote keys or tokens.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// How many records are kept in memory for the console.
const RECENT: usize = 1000;
/// How many requested traces are kept for `GET /trace/{id}`.
const TRACES: usize = 200;
/// Room for a typical record's JSON line (a handshake record is about 250 bytes).
const LINE_CAPACITY: usize = 512;

/// One log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation")]
pub enum LogRecord {
    /// A handshake was answered.
    #[serde(rename = "onHandshake")]
    Handshake(HandshakeRecord),
    /// A relayed connection ended.
    #[serde(rename = "onClose")]
    ConnectionEnd(ConnectionEndRecord),
}

/// A handshake as the gateway answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The policy XML that ran, in order (empty for TOML-only APIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyTraceStep>,
    /// The id of the trace served on the admin address (`GET /trace/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// What one policy did on a handshake, as APIM's trace shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTraceStep {
    /// `global`, `product NAME`, `api NAME` or `operation onHandshake`.
    pub scope: String,
    /// The policy element (`validate-jwt`…).
    pub policy: String,
    /// `file:line:col` of the element.
    pub location: String,
    /// `passed`, `refused`, `returned` or `branch`.
    pub outcome: String,
    /// What it decided: which JWT check failed, a rate limit's counter and what is left…
    pub detail: String,
    /// Microseconds it took.
    pub elapsed_us: u64,
}

/// A relayed connection's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Where records are written besides memory.
#[derive(Debug)]
pub enum LogSink {
    /// Standard output, one JSON object per line.
    Stdout,
    /// A file, one JSON object per line.
    File(Mutex<std::fs::File>),
    /// Memory only (the demo and tests read [`GatewayLog::recent`]).
    Memory,
}

/// The gateway's log: writes records to the sink, keeps the recent ones and broadcasts them.
#[derive(Debug)]
pub struct GatewayLog {
    sink: LogSink,
    traces: Mutex<VecDeque<(String, HandshakeRecord)>>,
    recent: Mutex<VecDeque<LogRecord>>,
    tx: broadcast::Sender<LogRecord>,
}

impl GatewayLog {
    /// A log writing to `sink`.
    pub fn new(sink: LogSink) -> Self {
        Self { sink, traces: Mutex::default(), recent: Mutex::new(VecDeque::new()), tx: broadcast::channel(256).0 }
    }

    /// Records one entry.
    pub fn record(&self, record: LogRecord) {
        if !matches!(self.sink, LogSink::Memory) {
            // Sized for a whole record up front: growing from serde_json's default reallocated
            // it two or three times per record.
            let mut line = Vec::with_capacity(LINE_CAPACITY);
            if serde_json::to_writer(&mut line, &record).is_ok() {
                // One write per record: `writeln!` on an unbuffered file made two system calls.
                line.push(b'\n');
                match &self.sink {
                    LogSink::Stdout => {
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(&line);
                        let _ = out.flush();
                    }
                    LogSink::File(f) => {
                        let _ = f.lock().unwrap_or_else(|p| p.into_inner()).write_all(&line);
                    }
                    LogSink::Memory => {}
                }
            }
        }
        // A copy only for a live feed that someone reads (the console's embedded demo).
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(record.clone());
        }
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(record);
    }

    /// The most recent records, oldest first.
    pub fn recent(&self) -> Vec<LogRecord> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }

    /// Keeps a handshake's trace for `GET /trace/{id}`, setting the record's `trace_id`.
    pub fn keep_trace(&self, record: &mut HandshakeRecord) -> String {
        let id = format!("{:016x}", rand::random::<u64>());
        record.trace_id = Some(id.clone());
        let mut traces = self.traces.lock().unwrap_or_else(|p| p.into_inner());
        if traces.len() == TRACES {
            traces.pop_front();
        }
        traces.push_back((id.clone(), record.clone()));
        id
    }

    /// A kept trace.
    pub fn trace(&self, id: &str) -> Option<HandshakeRecord> {
        let traces = self.traces.lock().unwrap_or_else(|p| p.into_inner());
        traces.iter().find(|(i, _)| i == id).map(|(_, r)| r.clone())
    }

    /// A live feed of new records.
    pub fn subscribe(&self) -> broadcast::Receiver<LogRecord> {
        self.tx.subscribe()
    }
}

/// The current time as RFC 3339.
pub fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
