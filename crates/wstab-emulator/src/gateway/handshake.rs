//! The gateway's `onHandshake`: route by exact URL suffix, check the upgrade, the subscription
//! key and the policies, forward the handshake to the backend and answer 101 only once the
//! backend has, then relay.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use http::{Request, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use super::access_log::{ConnectionEndRecord, GatewayLog, HandshakeRecord, LogRecord, PolicyTraceStep, now};
use super::config::{Limits, Subscription};
use super::forward;
use super::metrics::Metrics;
use super::policy::CompiledApi;
use super::policy_xml::run;
use super::ratelimit::RateLimiter;
use super::relay::{self, Halves, RelayOptions};
use super::response::Refusal;
use crate::wsserver::{self, Reply};
use wstab_core::secret::mask_url;

/// Everything a handshake needs, shared by all connections.
pub struct GatewayState {
    /// The APIs.
    pub apis: Vec<Arc<CompiledApi>>,
    /// The subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// The limits.
    pub limits: Limits,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The log.
    pub log: Arc<GatewayLog>,
    /// Rate limit windows.
    pub limiter: RateLimiter,
    /// Open relayed connections (for `max_connections`).
    pub open: AtomicUsize,
    /// TLS settings for `wss://` backends.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Cancelled when the gateway stops.
    pub shutdown: CancellationToken,
    /// The policy XML's rate limit and quota counters.
    pub counters: run::Counters,
    /// The admin address, once bound (trace locations point there).
    pub admin: std::sync::OnceLock<SocketAddr>,
}

/// The client side's tungstenite read buffer: none. The relay reads the sockets itself (frame
/// level, see `relay`), taking the client's back from tungstenite before anything is read
/// through it, so a buffer there was allocated and freed unused (16 KiB; 128 KiB, zero-filled,
/// by tungstenite's default). Were something ever read through it, tungstenite would still read
/// whole messages, a frame header's worth at a time. (The backend side has no WebSocketStream:
/// see [`forward::connect`].)
pub const RELAY_READ_BUFFER: usize = 0;

/// The WebSocket settings of the client side of a relayed connection under `limits`.
pub fn relay_ws_config(limits: &Limits) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
        .read_buffer_size(RELAY_READ_BUFFER)
}

/// Decrements the open-connection count when the connection ends (or never starts).
struct OpenSlot(Arc<GatewayState>, Arc<CompiledApi>);

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.metrics.active(&self.1.name, -1);
    }
}

/// Handles one request on the gateway's listener.
pub async fn handle<B>(state: Arc<GatewayState>, req: Request<B>, peer: SocketAddr) -> Reply {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let suffix = path.trim_matches('/');
    // Shared, not copied: a deep copy of the API (its JWT keys and validation sets, URLs,
    // header lists) per handshake was a good part of the gateway's allocations.
    let api = state.apis.iter().find(|a| a.suffix == suffix).cloned();
    let secret_names = api.as_deref().map(CompiledApi::secret_query_names).unwrap_or_default();
    let shown_url = match &query {
        Some(q) => mask_url(&format!("{path}?{q}"), secret_names),
        None => mask_url(&path, secret_names),
    };
    let want_trace = req
        .headers()
        .get("ocp-apim-trace")
        .is_some_and(|v| v.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case("true")));
    // The policy trace, and where the client may read it (APIM's Ocp-Apim-Trace-Location).
    let trace: std::sync::Mutex<Vec<PolicyTraceStep>> = Default::default();
    let trace_location = std::sync::Mutex::new(None::<String>);
    let log_answer = |status: StatusCode, reason: &str| {
        let api_name = api.as_ref().map(|a| a.name.clone());
        state.metrics.handshake(api_name.as_deref().unwrap_or(""), status.as_u16());
        let mut record = HandshakeRecord {
            time: now(),
            api: api_name,
            url: shown_url.clone(),
            status: status.as_u16(),
            reason: reason.to_string(),
            client: peer.to_string(),
            duration_ms: started.elapsed().as_millis() as u64,
            policies: std::mem::take(&mut *trace.lock().unwrap_or_else(|p| p.into_inner())),
            trace_id: None,
        };
        if want_trace && let Some(admin) = state.admin.get() {
            let id = state.log.keep_trace(&mut record);
            *trace_location.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("http://{admin}/trace/{id}"));
        }
        state.log.record(LogRecord::Handshake(record));
    };
    let with_location = |mut res: http::Response<http_body_util::Full<bytes::Bytes>>| {
        if let Some(loc) = trace_location.lock().unwrap_or_else(|p| p.into_inner()).clone()
            && let Ok(v) = http::HeaderValue::from_str(&loc)
        {
            res.headers_mut().insert("ocp-apim-trace-location", v);
        }
        res
    };
    let refuse = |r: Refusal| {
        log_answer(r.status, &r.reason);
        Reply::Http(with_location(r.into_response()))
    };

    let Some(api) = api.clone() else {
        return refuse(Refusal::not_found());
    };
    let missing = wsserver::missing_upgrade_headers(req.method(), req.headers());
    if !missing.is_empty() {
        let message =
            format!("Bad Request: not a WebSocket upgrade request; missing or invalid: {}", missing.join(", "));
        return refuse(Refusal::json(StatusCode::BAD_REQUEST, &message, "not a WebSocket upgrade"));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let subscription = match api.check_subscription(&state.subscriptions, &pairs, req.headers()) {
        Ok(s) => s,
        Err(r) => return refuse(r),
    };
    if let Err(r) = api.check_policies(peer.ip(), subscription, &pairs, req.headers(), &state.limiter) {
        return refuse(r);
    }
    // The APIM policy documents run after the TOML policies, on a copy of the request they may
    // change; without them the client's headers are only read (a copy per handshake was a
    // dozen allocations).
    let mut client_headers = Cow::Borrowed(req.headers());
    let mut client_query = query.clone();
    let mut api = api;
    if let Some(xml) = api.xml.clone() {
        let sub = subscription.map(|s| s.name.as_str());
        let product = xml.product_for(sub).map(str::to_string);
        let mut request = run::Request {
            ip: peer.ip(),
            subscription: sub.map(str::to_string),
            api: api.name.clone(),
            product: product.clone(),
            path: path.clone(),
            headers: client_headers.into_owned(),
            query: pairs.clone(),
            query_changed: false,
            backend: api.backend.clone(),
            variables: Default::default(),
        };
        let (result, steps) = run::run(&xml.effective(product.as_deref()), &mut request, &state.counters);
        *trace.lock().unwrap_or_else(|p| p.into_inner()) = steps;
        if let Err(r) = result {
            return refuse(r);
        }
        client_headers = Cow::Owned(request.headers);
        if request.query_changed {
            let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&request.query).finish();
            client_query = (!encoded.is_empty()).then_some(encoded);
        }
        // Copied only here, when a policy document may have changed the backend.
        Arc::make_mut(&mut api).backend = request.backend;
    }
    // Reserve a slot before the backend handshake, so a burst cannot overshoot the limit.
    if state.open.fetch_add(1, Ordering::SeqCst) >= state.limits.max_connections {
        state.open.fetch_sub(1, Ordering::SeqCst);
        return refuse(Refusal::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "Service Unavailable: the gateway is at its limit of {} concurrent WebSocket connections.",
                state.limits.max_connections
            ),
            "max_connections reached",
        ));
    }
    state.metrics.active(&api.name, 1);
    let slot = OpenSlot(state.clone(), api.clone());

    let request = match forward::backend_request(&api, client_query.as_deref(), &client_headers, peer) {
        Ok(r) => r,
        Err(e) => {
            return refuse(Refusal::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                "cannot build the backend request",
            ));
        }
    };
    // The backend as messages show it: without its query (which may carry a secret).
    let backend_shown = match api.backend.query() {
        None => Cow::Borrowed(api.backend.as_str()),
        Some(_) => {
            let mut url = api.backend.clone();
            url.set_query(None);
            Cow::Owned(url.into())
        }
    };
    let timeout = Duration::from_secs(state.limits.handshake_timeout_secs.max(1));
    let (backend, protocol) = match forward::connect(request, &backend_shown, state.tls.clone(), timeout).await {
        Ok(ok) => ok,
        Err(r) => return refuse(r),
    };
    log_answer(StatusCode::SWITCHING_PROTOCOLS, "relayed to the backend");
    let response = with_location(wsserver::switching_protocols(req.headers(), protocol.as_deref()));
    let on_upgrade = Box::new(move |client: wsserver::ServerWs| {
        async move {
            let opened = Instant::now();
            let options = RelayOptions {
                api: Arc::from(api.name.as_str()),
                idle_timeout: Duration::from_secs(state.limits.idle_timeout_secs.max(1)),
                max_message_bytes: state.limits.max_message_bytes,
            };
            // The client's WebSocketStream has read nothing yet, so taking its socket back loses
            // nothing: bytes hyper read past the handshake stay in `Upgraded`; the backend's
            // came back with its handshake.
            let client = Halves::from_upgraded(client.into_inner());
            let out = relay::relay(client, backend, options, state.metrics.clone(), state.shutdown.clone()).await;
            state.log.record(LogRecord::ConnectionEnd(ConnectionEndRecord {
                time: now(),
                api: api.name.clone(),
                client: peer.to_string(),
                messages_from_client: out.messages_from_client,
                messages_from_backend: out.messages_from_backend,
                bytes_from_client: out.bytes_from_client,
                bytes_from_backend: out.bytes_from_backend,
                close_code: out.close_code,
                closed_by: out.closed_by.label().to_string(),
                error: out.error,
                duration_ms: opened.elapsed().as_millis() as u64,
            }));
            drop(slot);
        }
        .boxed()
    });
    Reply::Upgrade { response, on_upgrade }
}
