//! HTTP event handlers ("upstream"): the hub calls the application's server with CloudEvents
//! over HTTP, as the service does.
//!
//! Per hub, an ordered list of handlers ([`EventHandlerConfig`]): a URL template (`{hub}`,
//! `{event}`), the system events (`connect`, `connected`, `disconnected`) and the user events
//! (`*` or names) it takes; the first handler taking an event gets it. Each request carries the
//! `ce-*` headers (`ce-signature` = `sha256=` HMAC-SHA256 of the connection id keyed with the
//! access key) and `WebHook-Request-Origin`; before the first event to a URL the hub does the
//! abuse-protection handshake (`OPTIONS`, answered with a matching `WebHook-Allowed-Origin`).
//!
//! `connect` is synchronous (it may refuse the client or set its user, groups, roles and
//! subprotocol); `connected` and `disconnected` are sent on their own task; user events and
//! `invoke` return the handler's answer. Connection states (`ce-connectionState`) set by a
//! handler are sent back with the connection's later events.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::invoke::{InvokeError, InvokeHandler, InvokeReply, InvokeRequest};

/// How long the hub waits for an event handler.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(20);

/// The system events a handler can take.
pub const SYSTEM_EVENTS: &[&str] = &["connect", "connected", "disconnected"];

/// One event handler, as configured (`[[hub.event_handlers]]` in the demo TOML).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventHandlerConfig {
    /// The hub it serves (`*`, the default: every hub).
    #[serde(default = "any")]
    pub hub: String,
    /// `http(s)://host/path`; `{hub}` and `{event}` are replaced per event.
    pub url_template: String,
    /// User events it takes: `*` for all, else names (empty: none).
    #[serde(default)]
    pub user_events: Vec<String>,
    /// System events it takes: `connect`, `connected`, `disconnected`.
    #[serde(default)]
    pub system_events: Vec<String>,
}

fn any() -> String {
    "*".into()
}

/// Why an `[[hub.event_handlers]]` entry cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventHandlerError {
    /// The URL template does not make a URL.
    #[error("url_template {template:?}: {source}")]
    Template {
        /// The template as written.
        template: String,
        /// What the URL parser said.
        source: url::ParseError,
    },
    /// The URL template is not an HTTP(S) URL.
    #[error("url_template {0:?} must start with http:// or https://")]
    Scheme(String),
    /// A system event the hub never sends.
    #[error("system event {0:?} is not one of connect, connected, disconnected")]
    SystemEvent(String),
}

impl EventHandlerConfig {
    /// Checks the template and event names (the message names the handler).
    pub fn validate(&self) -> Result<(), EventHandlerError> {
        let probe = self.url_template.replace("{hub}", "hub").replace("{event}", "event");
        let url = url::Url::parse(&probe)
            .map_err(|source| EventHandlerError::Template { template: self.url_template.clone(), source })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EventHandlerError::Scheme(self.url_template.clone()));
        }
        if let Some(bad) = self.system_events.iter().find(|e| !SYSTEM_EVENTS.contains(&e.as_str())) {
            return Err(EventHandlerError::SystemEvent(bad.clone()));
        }
        Ok(())
    }

    fn takes(&self, hub: &str, event: &str, system: bool) -> bool {
        let hub_ok = self.hub == "*" || self.hub.eq_ignore_ascii_case(hub);
        let list = if system { &self.system_events } else { &self.user_events };
        hub_ok && list.iter().any(|e| e == "*" || e == event)
    }

    fn url(&self, hub: &str, event: &str) -> String {
        self.url_template.replace("{hub}", hub).replace("{event}", event)
    }
}

/// Who an event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventContext {
    /// The hub.
    pub hub: String,
    /// The connection id.
    pub connection_id: String,
    /// Its user, if any.
    pub user: Option<String>,
    /// Its subprotocol, if any.
    pub subprotocol: Option<String>,
}

/// The `connect` request body's facts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectRequest {
    /// The connection.
    pub context: EventContext,
    /// The token's claims.
    pub claims: Value,
    /// The handshake's query parameters.
    pub query: Vec<(String, String)>,
    /// The handshake's headers.
    pub headers: Vec<(String, String)>,
    /// The subprotocols the client offered.
    pub subprotocols: Vec<String>,
}

/// What the `connect` handler decided (anything `None` is left as the token said).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConnectOutcome {
    /// The user id.
    #[serde(rename = "userId", default)]
    pub user: Option<String>,
    /// Groups to join.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Roles to hold.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The subprotocol to answer with.
    #[serde(default)]
    pub subprotocol: Option<String>,
}

/// Why the upstream refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct UpstreamError {
    /// For `connect`: the status the client's handshake gets (the handler's 4xx, else 500).
    pub status: StatusCode,
    /// What went wrong.
    pub message: String,
}

impl UpstreamError {
    fn internal(message: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into() }
    }
}

/// A handler's answer to a user event: data for the client (`None`: it answered nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventReply {
    /// `json`, `text` or `binary`.
    pub data_type: Option<String>,
    /// The data (base64 for binary).
    pub data: Option<Value>,
}

/// The hub's event handlers.
pub struct Upstream {
    handlers: Vec<EventHandlerConfig>,
    access_key: String,
    origin: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// URLs that passed the abuse-protection handshake.
    validated: Mutex<HashSet<String>>,
    /// `ce-connectionState` per connection id, as a handler last set it.
    states: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("handlers", &self.handlers).field("origin", &self.origin).finish()
    }
}

/// `sha256=<hex>` of `connection_id` keyed with `access_key`, as `ce-signature` carries it.
pub fn signature(access_key: &str, connection_id: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(access_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(connection_id.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a task panicked; the data is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Upstream {
    /// Handlers signed with `access_key`; `origin` (the hub's host, e.g. `127.0.0.1:8080`) goes
    /// in `WebHook-Request-Origin`.
    pub fn new(handlers: Vec<EventHandlerConfig>, access_key: &str, origin: &str) -> Self {
        Self {
            handlers,
            access_key: access_key.to_string(),
            origin: origin.to_string(),
            tls: wstab_core::connection::client_config(&Default::default()).ok(),
            validated: Mutex::default(),
            states: Mutex::default(),
        }
    }

    /// Is any handler configured?
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// Does a handler take user event `event` of `hub`?
    pub fn takes_user_event(&self, hub: &str, event: &str) -> bool {
        self.handler(hub, event, false).is_some()
    }

    fn handler(&self, hub: &str, event: &str, system: bool) -> Option<&EventHandlerConfig> {
        self.handlers.iter().find(|h| h.takes(hub, event, system))
    }

    fn headers(&self, ctx: &EventContext, event: &str, system: bool) -> HeaderMap {
        let ce_type =
            if system { format!("azure.webpubsub.sys.{event}") } else { format!("azure.webpubsub.user.{event}") };
        let time =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let id = format!("{:016x}", rand::random::<u64>());
        let mut pairs: Vec<(&str, String)> = vec![
            ("ce-specversion", "1.0".into()),
            ("ce-type", ce_type),
            ("ce-source", format!("/hubs/{}/client/{}", ctx.hub, ctx.connection_id)),
            ("ce-id", id),
            ("ce-time", time),
            ("ce-awpsversion", "1.0".into()),
            ("ce-hub", ctx.hub.clone()),
            ("ce-connectionId", ctx.connection_id.clone()),
            ("ce-eventName", event.to_string()),
            ("ce-signature", signature(&self.access_key, &ctx.connection_id)),
            ("WebHook-Request-Origin", self.origin.clone()),
        ];
        if let Some(user) = &ctx.user {
            pairs.push(("ce-userId", user.clone()));
        }
        if let Some(p) = &ctx.subprotocol {
            pairs.push(("ce-subprotocol", p.clone()));
        }
        if let Some(state) = lock(&self.states).get(&ctx.connection_id) {
            pairs.push(("ce-connectionState", state.clone()));
        }
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let (Ok(n), Ok(v)) = (http::HeaderName::try_from(name), HeaderValue::from_str(&value)) {
                map.insert(n, v);
            }
        }
        map
    }

    /// The abuse-protection handshake, once per URL.
    async fn validate(&self, url: &str) -> Result<(), UpstreamError> {
        if lock(&self.validated).contains(url) {
            return Ok(());
        }
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&self.origin) {
            headers.insert("WebHook-Request-Origin", v);
        }
        headers.insert("ce-awpsversion", HeaderValue::from_static("1.0"));
        let (status, got, _) = self.request(Method::OPTIONS, url, headers, Bytes::new()).await?;
        let allowed = got
            .get_all("WebHook-Allowed-Origin")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|o| o.trim() == "*" || o.trim().eq_ignore_ascii_case(&self.origin));
        if !status.is_success() || !allowed {
            return Err(UpstreamError::internal(format!(
                "abuse protection failed for {url}: OPTIONS answered {status} without WebHook-Allowed-Origin \
                 allowing {}",
                self.origin
            )));
        }
        lock(&self.validated).insert(url.to_string());
        Ok(())
    }

    async fn send(
        &self,
        handler: &EventHandlerConfig,
        ctx: &EventContext,
        event: &str,
        system: bool,
        content_type: &str,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), UpstreamError> {
        let url = handler.url(&ctx.hub, event);
        self.validate(&url).await?;
        let mut headers = self.headers(ctx, event, system);
        if let Ok(v) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        let answer = self.request(Method::POST, &url, headers, body).await?;
        if let Some(state) = answer.1.get("ce-connectionState").and_then(|v| v.to_str().ok()) {
            lock(&self.states).insert(ctx.connection_id.clone(), state.to_string());
        }
        Ok(answer)
    }

    /// Sends `connect`; `Ok(None)` when no handler takes it.
    pub async fn connect(&self, req: &ConnectRequest) -> Result<Option<ConnectOutcome>, UpstreamError> {
        let ctx = &req.context;
        let Some(handler) = self.handler(&ctx.hub, "connect", true) else {
            return Ok(None);
        };
        let multi = |pairs: &[(String, String)]| {
            let mut m: serde_json::Map<String, Value> = serde_json::Map::new();
            for (k, v) in pairs {
                if let Value::Array(a) = m.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new())) {
                    a.push(Value::from(v.clone()));
                }
            }
            Value::Object(m)
        };
        let body = serde_json::json!({
            "claims": req.claims, "query": multi(&req.query), "headers": multi(&req.headers),
            "subprotocols": req.subprotocols, "clientCertificates": [],
        });
        let (status, _, bytes) =
            self.send(handler, ctx, "connect", true, "application/json", Bytes::from(body.to_string())).await?;
        if status.is_client_error() {
            let message = String::from_utf8_lossy(&bytes).into_owned();
            return Err(UpstreamError { status, message });
        }
        if !status.is_success() {
            return Err(UpstreamError::internal(format!("the connect handler answered {status}")));
        }
        if bytes.is_empty() {
            return Ok(Some(ConnectOutcome::default()));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| UpstreamError::internal(format!("the connect handler's answer is not valid: {e}")))
    }

    /// Sends `connected` on its own task (the client does not wait).
    pub fn connected(self: &Arc<Self>, ctx: EventContext) {
        self.spawn_system(ctx, "connected", serde_json::json!({}));
    }

    /// Sends `disconnected` with `reason` on its own task, then forgets the connection's states.
    pub fn disconnected(self: &Arc<Self>, ctx: EventContext, reason: &str) {
        self.spawn_system(ctx, "disconnected", serde_json::json!({"reason": reason}));
    }

    fn spawn_system(self: &Arc<Self>, ctx: EventContext, event: &'static str, body: Value) {
        let Some(handler) = self.handler(&ctx.hub, event, true).cloned() else {
            if event == "disconnected" {
                lock(&self.states).remove(&ctx.connection_id);
            }
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            let sent = this.send(&handler, &ctx, event, true, "application/json", Bytes::from(body.to_string()));
            if let Err(e) = tokio::time::timeout(UPSTREAM_TIMEOUT, sent)
                .await
                .unwrap_or_else(|_| Err(UpstreamError::internal("timed out")))
            {
                tracing::warn!(event, error = %e, "upstream event not delivered");
            }
            if event == "disconnected" {
                lock(&this.states).remove(&ctx.connection_id);
            }
        });
    }

    /// Sends a user event; `None` when no handler takes it.
    pub async fn user_event(
        &self,
        ctx: &EventContext,
        event: &str,
        data_type: Option<&str>,
        data: &Value,
    ) -> Option<Result<EventReply, UpstreamError>> {
        let handler = self.handler(&ctx.hub, event, false)?;
        Some(self.user_event_to(handler, ctx, event, data_type, data).await)
    }

    async fn user_event_to(
        &self,
        handler: &EventHandlerConfig,
        ctx: &EventContext,
        event: &str,
        data_type: Option<&str>,
        data: &Value,
    ) -> Result<EventReply, UpstreamError> {
        let (content_type, body) = match data_type.unwrap_or("text") {
            "json" => ("application/json", Bytes::from(data.to_string())),
            "binary" => {
                let text = data.as_str().unwrap_or_default();
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| UpstreamError::internal("binary data is not valid base64"))?;
                ("application/octet-stream", Bytes::from(raw))
            }
            _ => ("text/plain", Bytes::from(data.as_str().map_or_else(|| data.to_string(), str::to_string))),
        };
        let (status, headers, bytes) = self.send(handler, ctx, event, false, content_type, body).await?;
        if !status.is_success() {
            let detail = String::from_utf8_lossy(&bytes);
            return Err(UpstreamError { status, message: format!("the event handler answered {status}: {detail}") });
        }
        if bytes.is_empty() {
            return Ok(EventReply::default());
        }
        let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let (kind, value) = match media.as_str() {
            "application/json" => (
                "json",
                serde_json::from_slice(&bytes)
                    .map_err(|e| UpstreamError::internal(format!("the event handler's JSON is not valid: {e}")))?,
            ),
            "text/plain" => ("text", Value::from(String::from_utf8_lossy(&bytes).into_owned())),
            _ => ("binary", Value::from(base64::engine::general_purpose::STANDARD.encode(&bytes))),
        };
        Ok(EventReply { data_type: Some(kind.into()), data: Some(value) })
    }

    /// One HTTP request on a fresh connection (events are rare enough; no pool is needed).
    async fn request(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), UpstreamError> {
        let fut = self.request_inner(method, url, headers, body);
        tokio::time::timeout(UPSTREAM_TIMEOUT, fut)
            .await
            .map_err(|_| UpstreamError::internal(format!("the event handler at {url} did not answer in time")))?
    }

    async fn request_inner(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), UpstreamError> {
        use http_body_util::{BodyExt, Full, Limited};
        let parsed = url::Url::parse(url).map_err(|e| UpstreamError::internal(format!("bad URL {url}: {e}")))?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let unreachable = |e: &dyn std::fmt::Display| UpstreamError::internal(format!("event handler {url}: {e}"));
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| unreachable(&e))?;
        let mut target = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            target = format!("{target}?{q}");
        }
        let mut request = http::Request::builder().method(method).uri(target);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let authority = if parsed.port().is_some() { format!("{host}:{port}") } else { host.clone() };
        let request = request
            .header(header::HOST, authority)
            .body(Full::new(body))
            .map_err(|e| UpstreamError::internal(e.to_string()))?;
        let response = if parsed.scheme() == "https" {
            let config = self.tls.clone().ok_or_else(|| UpstreamError::internal("TLS is not available"))?;
            let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| unreachable(&e))?;
            let tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(|e| unreachable(&e))?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| unreachable(&e))?;
            tokio::spawn(conn);
            sender.send_request(request).await.map_err(|e| unreachable(&e))?
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
                .await
                .map_err(|e| unreachable(&e))?;
            tokio::spawn(conn);
            sender.send_request(request).await.map_err(|e| unreachable(&e))?
        };
        let status = response.status();
        let headers = response.headers().clone();
        let bytes =
            Limited::new(response.into_body(), 1 << 20).collect().await.map_err(|e| unreachable(&e))?.to_bytes();
        Ok((status, headers, bytes))
    }
}

/// Runs the `connect` event for a client whose token is valid: a refusal is the status its
/// handshake gets; otherwise the handler's user, groups and roles replace the token's, and the
/// subprotocol it chose (if any) is returned.
pub async fn connect_client(
    upstream: &Upstream,
    hub: &str,
    connection_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    offered: Option<&str>,
    identity: &mut super::auth::ClientIdentity,
) -> Result<Option<String>, UpstreamError> {
    let mut claims = serde_json::Map::new();
    if let Some(user) = &identity.user {
        claims.insert("sub".into(), serde_json::json!([user]));
    }
    if !identity.roles.is_empty() {
        claims.insert("role".into(), serde_json::json!(identity.roles));
    }
    if !identity.groups.is_empty() {
        claims.insert("webpubsub.group".into(), serde_json::json!(identity.groups));
    }
    let request = ConnectRequest {
        context: EventContext {
            hub: hub.to_string(),
            connection_id: connection_id.to_string(),
            user: identity.user.clone(),
            subprotocol: offered.map(str::to_string),
        },
        claims: Value::Object(claims),
        // The token is the client's credential: it is not handed to the application.
        query: url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(n, _)| n != "access_token")
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect(),
        headers: headers
            .iter()
            .filter(|(n, _)| *n != header::AUTHORIZATION)
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        subprotocols: crate::wsserver::requested_protocols(headers),
    };
    let Some(outcome) = upstream.connect(&request).await? else {
        return Ok(None);
    };
    if let Some(user) = outcome.user.filter(|u| !u.is_empty()) {
        identity.user = Some(user);
    }
    if let Some(groups) = outcome.groups {
        identity.groups = groups;
    }
    if let Some(roles) = outcome.roles {
        identity.roles = roles;
    }
    Ok(outcome.subprotocol.filter(|p| !p.is_empty()))
}

/// Tells `upstream` of connections joining and leaving `registry` (`connected`, `disconnected`).
pub fn watch(registry: &super::room::Registry, upstream: Arc<Upstream>) {
    use super::room::{Change, Watcher};
    registry.watch(Watcher(Box::new(move |hub, id, user, change| {
        let ctx = EventContext {
            hub: hub.to_string(),
            connection_id: id.to_string(),
            user: user.map(str::to_string),
            subprotocol: None,
        };
        match change {
            Change::Added => upstream.connected(ctx),
            Change::Removed => upstream.disconnected(ctx, ""),
        }
    })));
}

/// `invoke` goes to the handler taking the event, like a user event; its answer becomes the
/// `invokeResponse`. Hand it to the hub as its [`InvokeHandler`].
#[derive(Debug, Clone)]
pub struct Invoker(pub Arc<Upstream>);

impl InvokeHandler for Invoker {
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'static, Result<InvokeReply, InvokeError>> {
        let this = self.0.clone();
        Box::pin(async move {
            let ctx = EventContext {
                hub: request.hub.clone(),
                connection_id: request.connection_id.clone(),
                user: request.user.clone(),
                subprotocol: None,
            };
            match this.user_event(&ctx, &request.event, request.data_type.as_deref(), &request.data).await {
                None => Err(super::invoke::no_handler(&request.hub, &request.event)),
                Some(outcome) => outcome
                    .map(|r| InvokeReply { data_type: r.data_type, data: r.data })
                    .map_err(|e| InvokeError { name: error_name(e.status).into(), message: e.message }),
            }
        })
    }
}

/// The error name an `invokeResponse` or `ack` carries for an upstream status.
pub fn error_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::NOT_FOUND => "NotFound",
        _ => "InternalServerError",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_signature_is_hmac_sha256_hex_of_the_connection_id() {
        // RFC 4231 test case 2 (key "Jefe").
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn test_first_handler_taking_the_event_gets_it() {
        let h = |hub: &str, user: &[&str], system: &[&str]| EventHandlerConfig {
            hub: hub.into(),
            url_template: "http://127.0.0.1:1/{hub}/{event}".into(),
            user_events: user.iter().map(|s| s.to_string()).collect(),
            system_events: system.iter().map(|s| s.to_string()).collect(),
        };
        let up = Upstream::new(vec![h("chat", &["echo"], &["connect"]), h("*", &["*"], &[])], "k", "o");
        assert_eq!(up.handler("chat", "echo", false).map(|h| h.hub.as_str()), Some("chat"));
        assert_eq!(up.handler("chat", "other", false).map(|h| h.hub.as_str()), Some("*"));
        assert!(up.handler("other", "connect", true).is_none());
        assert_eq!(up.handlers[0].url("chat", "echo"), "http://127.0.0.1:1/chat/echo");
        assert!(h("*", &[], &["connecting"]).validate().is_err());
        assert!(EventHandlerConfig { url_template: "ftp://x".into(), ..h("*", &[], &[]) }.validate().is_err());
    }
}
