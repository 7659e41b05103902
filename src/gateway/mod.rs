//! The local APIM-style gateway emulator: WebSocket passthrough APIs with APIM's routing,
//! subscription keys, handshake policies, limits, metrics and logs.
//!
//! Start one in-process with [`Gateway::start`]; `wstab gateway` wraps it for the command line.

pub mod cli;
pub mod config;
pub mod forward;
pub mod handshake;
pub mod ipfilter;
pub mod jwt;
pub mod log;
pub mod metrics;
pub mod policy;
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

use crate::conn::{TlsOptions, client_config};
use crate::wsserver::{self, Handler, Reply, ServerOptions};
pub use config::{ConfigError, GatewayConfig};
use handshake::GatewayState;
pub use log::{GatewayLog, LogRecord, LogSink};
pub use metrics::Metrics;

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
        let apis = policy::compile(&config).map_err(|e| StartError::Config(e.to_string()))?;
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let log = Arc::new(GatewayLog::new(sink));
        // wss:// backends are verified against the web PKI roots.
        let tls = client_config(&TlsOptions::default()).ok();
        let limits = config.limits.clone();
        let state = Arc::new(GatewayState {
            apis,
            subscriptions: config.subscriptions.clone(),
            limits: limits.clone(),
            metrics: metrics.clone(),
            log: log.clone(),
            limiter: ratelimit::RateLimiter::default(),
            open: AtomicUsize::new(0),
            tls,
            shutdown: shutdown.clone(),
        });
        let handler: Handler = Arc::new(move |req, peer| handshake::handle(state.clone(), req, peer).boxed());
        let options = ServerOptions {
            max_header_bytes: limits.max_header_bytes,
            header_read_timeout: Duration::from_secs(limits.handshake_timeout_secs.max(1)),
            ws_config: handshake::relay_ws_config(&limits),
        };
        let server = wsserver::bind(listen, handler, options, shutdown.clone())
            .await
            .map_err(|source| StartError::Bind { addr: listen, source })?;
        let admin_addr = match admin {
            Some(addr) => {
                let m = metrics.clone();
                let handler: Handler = Arc::new(move |req, _| {
                    let m = m.clone();
                    async move { admin_reply(&m, req.method(), req.uri().path()) }.boxed()
                });
                let admin = wsserver::bind(addr, handler, ServerOptions::default(), shutdown.clone()).await.map_err(
                    |source| {
                        shutdown.cancel();
                        StartError::Bind { addr, source }
                    },
                )?;
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

fn admin_reply(metrics: &Metrics, method: &Method, path: &str) -> Reply {
    let res = match (method, path) {
        (&Method::GET, "/metrics") => {
            wsserver::response(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
        }
        (&Method::GET, "/healthz") => wsserver::text_response(StatusCode::OK, "ok"),
        _ => wsserver::text_response(StatusCode::NOT_FOUND, "Not found: try GET /metrics"),
    };
    Reply::Http(res)
}
