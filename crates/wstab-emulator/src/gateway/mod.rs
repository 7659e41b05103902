//! The local APIM-style gateway emulator: WebSocket passthrough APIs with APIM's routing,
//! subscription keys, handshake policies, limits, metrics and logs.
//!
//! Start one in-process with [`Gateway::start`]; `wstab gateway` wraps it for the command line.

pub mod access_log;
pub mod config;
pub mod forward;
pub mod handshake;
pub mod ipfilter;
pub mod jwt;
pub mod metrics;
pub mod policy;
pub mod policy_xml;
pub mod ratelimit;
pub mod relay;
pub mod response;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use futures_util::FutureExt;
use http::{Method, StatusCode};
use tokio_util::sync::CancellationToken;

use crate::wsserver::{self, Handler, Reply, ServerOptions};
pub use access_log::{GatewayLog, LogRecord, LogSink};
pub use config::{ConfigError, GatewayConfig};
use handshake::GatewayState;
pub use metrics::Metrics;
use wstab_core::connection::{TlsOptions, client_config};

/// Why a gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config does not compile (a key file, a duplicate suffix…).
    #[error("invalid gateway config: {0}")]
    Config(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source} (is another process using the port?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A running gateway. Dropping it stops it.
#[derive(Debug)]
pub struct Gateway {
    /// Where WebSocket clients connect.
    pub addr: SocketAddr,
    /// Where `/metrics` is served, if an admin address was given.
    pub admin_addr: Option<SocketAddr>,
    /// The counters behind `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The log records.
    pub log: Arc<GatewayLog>,
    shutdown: CancellationToken,
}

impl Gateway {
    /// Starts a gateway for `config` on `listen` (port 0 picks one) with `/metrics` on `admin`.
    pub async fn start(
        config: GatewayConfig,
        listen: SocketAddr,
        admin: Option<SocketAddr>,
        sink: LogSink,
    ) -> Result<Self, StartError> {
        Self::start_tls(config, listen, admin, sink, None).await
    }

    /// [`Gateway::start`], serving `https`/`wss` clients with `tls` when given.
    pub async fn start_tls(
        config: GatewayConfig,
        listen: SocketAddr,
        admin: Option<SocketAddr>,
        sink: LogSink,
        tls: Option<crate::tls::ServerTls>,
    ) -> Result<Self, StartError> {
        let server_tls = tls;
        let apis = policy::compile(&config).map_err(|e| StartError::Config(e.to_string()))?;
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let log = Arc::new(GatewayLog::new(sink));
        // wss:// backends are verified against the web PKI roots.
        let tls = client_config(&TlsOptions::default()).ok();
        let limits = config.limits.clone();
        let state = Arc::new(GatewayState {
            apis: apis.into_iter().map(Arc::new).collect(),
            subscriptions: config.subscriptions.clone(),
            limits: limits.clone(),
            metrics: metrics.clone(),
            log: log.clone(),
            limiter: ratelimit::RateLimiter::default(),
            open: AtomicUsize::new(0),
            tls,
            shutdown: shutdown.clone(),
            counters: Default::default(),
            admin: Default::default(),
        });
        let admin_slot = state.clone();
        let handler: Handler = Arc::new(move |req, peer| handshake::handle(state.clone(), req, peer).boxed());
        let options = ServerOptions {
            max_header_bytes: limits.max_header_bytes,
            header_read_timeout: Duration::from_secs(limits.handshake_timeout_secs.max(1)),
            ws_config: handshake::relay_ws_config(&limits),
            tls: server_tls,
            allow_plain: false,
        };
        let server = wsserver::bind(listen, handler, options, shutdown.clone())
            .await
            .map_err(|source| StartError::Bind { addr: listen, source })?;
        let admin_addr = match admin {
            Some(addr) => {
                let (m, l) = (metrics.clone(), log.clone());
                let handler: Handler = Arc::new(move |req, _| {
                    let (m, l) = (m.clone(), l.clone());
                    async move { admin_reply(&m, &l, req.method(), req.uri().path()) }.boxed()
                });
                let admin = wsserver::bind(addr, handler, ServerOptions::default(), shutdown.clone()).await.map_err(
                    |source| {
                        shutdown.cancel();
                        StartError::Bind { addr, source }
                    },
                )?;
                let _ = admin_slot.admin.set(admin.addr);
                Some(admin.addr)
            }
            None => None,
        };
        Ok(Self { addr: server.addr, admin_addr, metrics, log, shutdown })
    }

    /// Stops accepting, and closes relayed connections with 1001.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn admin_reply(metrics: &Metrics, log: &GatewayLog, method: &Method, path: &str) -> Reply {
    let res = match (method, path) {
        (&Method::GET, "/metrics") => {
            wsserver::response(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
        }
        (&Method::GET, "/status") => {
            let status = GatewayStatus { metrics: metrics.per_api(), records: log.recent() };
            match serde_json::to_string(&status) {
                Ok(json) => wsserver::response(StatusCode::OK, "application/json", json),
                Err(e) => wsserver::text_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        (&Method::GET, "/healthz") => wsserver::text_response(StatusCode::OK, "ok"),
        (&Method::GET, p) if p.starts_with("/trace/") => match log.trace(&p["/trace/".len()..]) {
            Some(record) => match serde_json::to_string_pretty(&record) {
                Ok(json) => wsserver::response(StatusCode::OK, "application/json", json),
                Err(e) => wsserver::text_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            },
            None => wsserver::text_response(StatusCode::NOT_FOUND, "No such trace (only the last 200 are kept)"),
        },
        _ => wsserver::text_response(StatusCode::NOT_FOUND, "Not found: try GET /metrics or GET /status"),
    };
    Reply::Http(res)
}

/// What `GET /status` on the admin address answers: the numbers per API and the recent log
/// records (secrets already masked), for a console watching the gateway from outside.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GatewayStatus {
    /// Per-API metrics.
    pub metrics: std::collections::BTreeMap<String, metrics::ApiMetrics>,
    /// The recent log records, oldest first.
    pub records: Vec<LogRecord>,
}

/// Why the status of a gateway emulator could not be read from its admin address.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The admin address is not a URL with a host.
    #[error("invalid admin URL {admin:?}: {reason}")]
    AdminUrl {
        /// The address as given.
        admin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Nothing answers there.
    #[error("cannot reach the gateway admin at {host}:{port}: {source}")]
    Unreachable {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The HTTP exchange failed (or the body was over 16 MiB).
    #[error("gateway admin: {0}")]
    Http(String),
    /// The admin answered something else than 200.
    #[error("gateway admin answered {0} to GET /status")]
    Status(StatusCode),
    /// The body is not a status document.
    #[error("gateway admin: not a status answer: {0}")]
    Body(#[from] serde_json::Error),
}

/// Reads `GET <admin>/status` from a running gateway emulator (`admin` like
/// `http://127.0.0.1:9090`).
pub async fn fetch_status(admin: &str) -> Result<GatewayStatus, StatusError> {
    fetch_json(admin, Some("/status")).await
}

/// Reads one handshake's policy trace from the URL a gateway emulator answered in
/// `Ocp-Apim-Trace-Location` (`http://ADMIN/trace/ID`).
pub async fn fetch_trace(location: &str) -> Result<access_log::HandshakeRecord, StatusError> {
    fetch_json(location, None).await
}

/// GETs JSON from the admin address: `path`, or the URL's own path when `None`.
async fn fetch_json<T: serde::de::DeserializeOwned>(admin: &str, path: Option<&str>) -> Result<T, StatusError> {
    use http_body_util::{BodyExt, Empty, Limited};
    let bad_url = |reason: String| StatusError::AdminUrl { admin: admin.to_string(), reason };
    let url = url::Url::parse(admin).map_err(|e| bad_url(e.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad_url("no host".into()))?.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|source| StatusError::Unreachable { host: host.clone(), port, source })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .map_err(|e| StatusError::Http(e.to_string()))?;
    tokio::spawn(connection);
    let path = path.unwrap_or(url.path());
    let request = http::Request::get(path)
        .header(http::header::HOST, format!("{host}:{port}"))
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| StatusError::Http(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(|e| StatusError::Http(e.to_string()))?;
    if response.status() != StatusCode::OK {
        return Err(StatusError::Status(response.status()));
    }
    let body = Limited::new(response.into_body(), 16 << 20)
        .collect()
        .await
        .map_err(|e| StatusError::Http(e.to_string()))?
        .to_bytes();
    Ok(serde_json::from_slice(&body)?)
}
