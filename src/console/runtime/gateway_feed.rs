//! The edge between the gateway emulator and the console: its records, numbers and status turned
//! into the console's own types (`state::gateway_records`), and the tasks that read a gateway's
//! admin address (its status every second, a handshake's policy trace) and answer with
//! [`Reply`]s.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::console::state::gateway_records::{
    ApiMetrics, ConnectionEndRecord, GatewayRecord, GatewayStatus, HandshakeRecord, PolicyStep,
};
use crate::console::state::{PolicyTraceError, Reply};
use wstab_emulator::gateway as emulator;

/// An access log record as the console keeps it.
pub fn record(r: emulator::access_log::LogRecord) -> GatewayRecord {
    match r {
        emulator::access_log::LogRecord::Handshake(h) => GatewayRecord::Handshake(handshake(h)),
        emulator::access_log::LogRecord::ConnectionEnd(e) => GatewayRecord::ConnectionEnd(ConnectionEndRecord {
            time: e.time,
            api: e.api,
            client: e.client,
            messages_from_client: e.messages_from_client,
            messages_from_backend: e.messages_from_backend,
            bytes_from_client: e.bytes_from_client,
            bytes_from_backend: e.bytes_from_backend,
            close_code: e.close_code,
            closed_by: e.closed_by,
            error: e.error,
            duration_ms: e.duration_ms,
        }),
    }
}

/// Records as the console keeps them, in order.
pub fn records(records: Vec<emulator::access_log::LogRecord>) -> Vec<GatewayRecord> {
    records.into_iter().map(record).collect()
}

/// A handshake record with its policy trace.
fn handshake(h: emulator::access_log::HandshakeRecord) -> HandshakeRecord {
    HandshakeRecord {
        time: h.time,
        api: h.api,
        url: h.url,
        status: h.status,
        reason: h.reason,
        client: h.client,
        duration_ms: h.duration_ms,
        policies: h
            .policies
            .into_iter()
            .map(|s| PolicyStep {
                scope: s.scope,
                policy: s.policy,
                location: s.location,
                outcome: s.outcome,
                detail: s.detail,
                elapsed_us: s.elapsed_us,
            })
            .collect(),
    }
}

/// The numbers per API as the console keeps them.
pub fn metrics(metrics: BTreeMap<String, emulator::metrics::ApiMetrics>) -> BTreeMap<String, ApiMetrics> {
    metrics
        .into_iter()
        .map(|(api, m)| {
            let m = ApiMetrics {
                handshakes: m.handshakes,
                active: m.active,
                messages_from_client: m.messages_from_client,
                messages_from_backend: m.messages_from_backend,
                bytes_from_client: m.bytes_from_client,
                bytes_from_backend: m.bytes_from_backend,
            };
            (api, m)
        })
        .collect()
}

/// A gateway's status as the console keeps it.
pub fn status(s: emulator::GatewayStatus) -> GatewayStatus {
    GatewayStatus { metrics: metrics(s.metrics), records: records(s.records) }
}

/// Polls a gateway emulator's `GET /status` every second in a task; the loop reads the answers.
/// A failure is reported once, until the gateway answers again.
pub fn poll_admin(admin: String) -> mpsc::Receiver<Result<GatewayStatus, emulator::StatusError>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut failing = false;
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            let answer = emulator::fetch_status(&admin).await.map(status);
            let report = match answer {
                Ok(status) => {
                    failing = false;
                    Some(Ok(status))
                }
                Err(e) if !failing => {
                    failing = true;
                    Some(Err(e))
                }
                Err(_) => None,
            };
            if let Some(r) = report
                && tx.send(r).await.is_err()
            {
                return;
            }
        }
    });
    rx
}

/// Reads a policy trace in a task (bounded by a timeout) and sends it back as a reply, so the UI
/// never waits on the gateway.
pub fn fetch_policy_trace(tab: u64, location: String, replies: mpsc::Sender<Reply>) {
    tokio::spawn(async move {
        let read = tokio::time::timeout(Duration::from_secs(5), emulator::fetch_trace(&location)).await;
        let result = match read {
            Ok(Ok(record)) => Ok(Box::new(handshake(record))),
            Ok(Err(e)) => Err(PolicyTraceError::Fetch(e.to_string())),
            Err(_) => Err(PolicyTraceError::Timeout),
        };
        let _ = replies.send(Reply::PolicyTrace { tab, location, result }).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use emulator::access_log::{ConnectionEndRecord as End, HandshakeRecord as Hs, LogRecord, PolicyTraceStep};

    #[test]
    fn test_records_keep_every_field_the_view_shows() {
        let step = PolicyTraceStep {
            scope: "api echo".into(),
            policy: "validate-jwt".into(),
            location: "echo.xml:3:5".into(),
            outcome: "refused".into(),
            detail: "token has expired".into(),
            elapsed_us: 42,
        };
        let hs = Hs {
            time: "2026-11-26T12:00:01Z".into(),
            api: Some("echo".into()),
            url: "/echo".into(),
            status: 401,
            reason: "invalid JWT".into(),
            client: "127.0.0.1:5000".into(),
            duration_ms: 3,
            policies: vec![step],
            trace_id: Some("t1".into()),
        };
        let GatewayRecord::Handshake(h) = record(LogRecord::Handshake(hs)) else { panic!("a handshake") };
        assert_eq!(
            (h.status, h.reason.as_str(), h.api.as_deref(), h.duration_ms),
            (401, "invalid JWT", Some("echo"), 3)
        );
        let p = &h.policies[0];
        assert_eq!(
            (
                p.scope.as_str(),
                p.policy.as_str(),
                p.location.as_str(),
                p.outcome.as_str(),
                p.detail.as_str(),
                p.elapsed_us
            ),
            ("api echo", "validate-jwt", "echo.xml:3:5", "refused", "token has expired", 42)
        );
        let end = End {
            time: "t".into(),
            api: "echo".into(),
            client: "c".into(),
            messages_from_client: 1,
            messages_from_backend: 2,
            bytes_from_client: 3,
            bytes_from_backend: 4,
            close_code: 1000,
            closed_by: "client".into(),
            error: Some("x".into()),
            duration_ms: 5,
        };
        let GatewayRecord::ConnectionEnd(e) = record(LogRecord::ConnectionEnd(end)) else { panic!("an end") };
        assert_eq!(
            (e.messages_from_client, e.messages_from_backend, e.bytes_from_client, e.bytes_from_backend),
            (1, 2, 3, 4)
        );
        assert_eq!(
            (e.close_code, e.closed_by.as_str(), e.error.as_deref(), e.duration_ms),
            (1000, "client", Some("x"), 5)
        );
    }
}
