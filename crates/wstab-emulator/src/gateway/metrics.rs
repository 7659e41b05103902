//! Gateway counters, rendered as Prometheus text on the admin address's `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flow {
    /// From the client to the backend.
    ClientToBackend,
    /// From the backend to the client.
    BackendToClient,
}

impl Flow {
    /// The `direction` label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientToBackend => "client_to_backend",
            Self::BackendToClient => "backend_to_client",
        }
    }
}

/// Keyed by API first, so that counting borrows the API's name: a `(String, …)` key cost an
/// allocation per count (a quarter of the gateway's mallocs on a busy relay).
#[derive(Debug, Default)]
struct Counters {
    handshakes: BTreeMap<String, BTreeMap<u16, u64>>,
    active: BTreeMap<String, i64>,
    messages: BTreeMap<String, BTreeMap<Flow, u64>>,
    bytes: BTreeMap<String, BTreeMap<Flow, u64>>,
}

/// Applies `f` to `api`'s entry of `map`, created at its default the first time: the name is
/// copied once per API, not once per count.
fn bump<V: Default>(map: &mut BTreeMap<String, V>, api: &str, f: impl FnOnce(&mut V)) {
    match map.get_mut(api) {
        Some(v) => f(v),
        None => f(map.entry(api.to_string()).or_default()),
    }
}

/// One API's numbers, as the console's gateway view shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The gateway's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        f(&mut self.counters.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Counts a handshake answered with `status` (`api` empty when no API matched).
    pub fn handshake(&self, api: &str, status: u16) {
        self.with(|c| bump(&mut c.handshakes, api, |by_status| *by_status.entry(status).or_default() += 1));
    }

    /// Adds `delta` to the open connections of `api`.
    pub fn active(&self, api: &str, delta: i64) {
        self.with(|c| bump(&mut c.active, api, |n| *n += delta));
    }

    /// Counts one relayed message of `bytes` bytes.
    pub fn message(&self, api: &str, flow: Flow, bytes: usize) {
        self.relayed(api, flow, 1, bytes as u64);
    }

    /// Counts `messages` completed messages and `bytes` payload bytes at once: the relay counts
    /// once per read, not once per message (one lock for a read of a thousand small frames).
    pub fn relayed(&self, api: &str, flow: Flow, messages: u64, bytes: u64) {
        self.with(|c| {
            bump(&mut c.messages, api, |by_flow| *by_flow.entry(flow).or_default() += messages);
            bump(&mut c.bytes, api, |by_flow| *by_flow.entry(flow).or_default() += bytes);
        });
    }

    /// Every API's numbers (the same counters `render` exposes), for the console's view.
    pub fn per_api(&self) -> BTreeMap<String, ApiMetrics> {
        self.with(|c| {
            let mut out: BTreeMap<String, ApiMetrics> = BTreeMap::new();
            for (api, by_status) in &c.handshakes {
                out.entry(api.clone()).or_default().handshakes.clone_from(by_status);
            }
            for (api, n) in &c.active {
                out.entry(api.clone()).or_default().active = *n;
            }
            for ((api, flow), n) in flat(&c.messages) {
                let m = out.entry(api.clone()).or_default();
                match flow {
                    Flow::ClientToBackend => m.messages_from_client = n,
                    Flow::BackendToClient => m.messages_from_backend = n,
                }
            }
            for ((api, flow), n) in flat(&c.bytes) {
                let m = out.entry(api.clone()).or_default();
                match flow {
                    Flow::ClientToBackend => m.bytes_from_client = n,
                    Flow::BackendToClient => m.bytes_from_backend = n,
                }
            }
            out
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|c| {
            let mut out = String::new();
            let _ =
                writeln!(out, "# HELP wstab_gateway_handshakes_total WebSocket handshakes by API and response status.");
            let _ = writeln!(out, "# TYPE wstab_gateway_handshakes_total counter");
            for ((api, status), n) in flat(&c.handshakes) {
                let _ = writeln!(out, "wstab_gateway_handshakes_total{{api=\"{}\",status=\"{status}\"}} {n}", esc(api));
            }
            let _ = writeln!(out, "# HELP wstab_gateway_connections_active Open relayed WebSocket connections.");
            let _ = writeln!(out, "# TYPE wstab_gateway_connections_active gauge");
            for (api, n) in &c.active {
                let _ = writeln!(out, "wstab_gateway_connections_active{{api=\"{}\"}} {n}", esc(api));
            }
            let _ = writeln!(out, "# HELP wstab_gateway_messages_total Relayed messages by direction.");
            let _ = writeln!(out, "# TYPE wstab_gateway_messages_total counter");
            for ((api, flow), n) in flat(&c.messages) {
                let _ = writeln!(
                    out,
                    "wstab_gateway_messages_total{{api=\"{}\",direction=\"{}\"}} {n}",
                    esc(api),
                    flow.label()
                );
            }
            let _ = writeln!(out, "# HELP wstab_gateway_bytes_total Relayed payload bytes by direction.");
            let _ = writeln!(out, "# TYPE wstab_gateway_bytes_total counter");
            for ((api, flow), n) in flat(&c.bytes) {
                let _ = writeln!(
                    out,
                    "wstab_gateway_bytes_total{{api=\"{}\",direction=\"{}\"}} {n}",
                    esc(api),
                    flow.label()
                );
            }
            out
        })
    }
}

/// `(api, key) → n` in the order of the flat `(String, key)` maps these replaced.
fn flat<K: Copy>(map: &BTreeMap<String, BTreeMap<K, u64>>) -> impl Iterator<Item = ((&String, K), u64)> {
    map.iter().flat_map(|(api, inner)| inner.iter().map(move |(k, n)| ((api, *k), *n)))
}

/// Escapes a label value (Prometheus: backslash, quote, newline).
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_render_lists_counters_with_labels() {
        let m = Metrics::default();
        m.handshake("echo", 101);
        m.handshake("echo", 101);
        m.active("echo", 1);
        m.message("echo", Flow::ClientToBackend, 5);
        let text = m.render();
        assert!(text.contains("wstab_gateway_handshakes_total{api=\"echo\",status=\"101\"} 2"), "{text}");
        assert!(text.contains("wstab_gateway_connections_active{api=\"echo\"} 1"), "{text}");
        assert!(text.contains("wstab_gateway_bytes_total{api=\"echo\",direction=\"client_to_backend\"} 5"), "{text}");
    }

    #[test]
    fn test_per_api_matches_the_rendered_counters() {
        let m = Metrics::default();
        m.handshake("chat", 101);
        m.handshake("chat", 401);
        m.active("chat", 1);
        m.message("chat", Flow::BackendToClient, 7);
        let chat = m.per_api().remove("chat").unwrap_or_default();
        assert_eq!(chat.handshakes.get(&101), Some(&1));
        assert_eq!(chat.handshakes.get(&401), Some(&1));
        assert_eq!((chat.active, chat.messages_from_backend, chat.bytes_from_backend), (1, 1, 7));
    }
}
