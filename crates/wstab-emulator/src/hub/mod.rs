//! The local Web PubSub-style hub (`/client/hubs/{hub}`) and the demo backends (echo, ticker).
//!
//! The hub checks the access token at connect time, speaks `json.webpubsub.azure.v1` and
//! `json.reliable.webpubsub.azure.v1` (groups, acks, roles, ping, invoke; sequence ids and
//! recovery on the reliable one) and treats a client without either subprotocol as a *simple
//! client*: for the demo, whatever a simple client sends is broadcast to the hub's other simple
//! clients (or, when an event handler takes it, posted as the `message` user event). The
//! protobuf subprotocols are not emulated: a client offering only them is refused with 501.

pub mod auth;
pub mod connection;
pub mod dispatch;
pub mod echo;
pub mod events;
pub mod invoke;
pub mod odata;
pub mod protocol;
pub mod recovery;
pub mod reliable;
pub mod rest;
pub mod room;
pub mod subprotocol;
pub mod ticker;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use http::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::wsserver::{self, Handler, Reply, Server, ServerOptions};
use connection::{ConnectionInfo, LogicalConnection};
use invoke::InvokeHandler;
use recovery::{Attachment, Sessions};
use room::Registry;
use subprotocol::Subprotocol;
use wstab_core::webpubsub_token::ConnectionString;

/// How the hub behaves beyond its key: recovery window, upstream hooks.
#[derive(Clone)]
pub struct HubOptions {
    /// How long a dropped reliable connection can be recovered.
    pub recovery_window: Duration,
    /// Answers `invoke`; `None` answers every invocation with an error (no upstream).
    pub invoke: Option<Arc<dyn InvokeHandler>>,
    /// HTTP event handlers: `connect`, `connected`, `disconnected`, user events and, unless
    /// `invoke` is set, `invoke`.
    pub upstream: Option<Arc<upstream::Upstream>>,
    /// Serve `https`/`wss` too (plain connections are still taken on the same port).
    pub tls: Option<crate::tls::ServerTls>,
}

impl Default for HubOptions {
    fn default() -> Self {
        Self { recovery_window: recovery::DEFAULT_RECOVERY_WINDOW, invoke: None, upstream: None, tls: None }
    }
}

/// What every connection task of one hub server shares.
pub struct HubContext {
    /// Who is connected, in which groups.
    pub registry: Arc<Registry>,
    /// Reliable connections, attached or waiting for recovery.
    pub sessions: Arc<Sessions>,
    /// Answers `invoke`, if an upstream is configured.
    pub invoke: Option<Arc<dyn InvokeHandler>>,
    /// The HTTP event handlers, if configured.
    pub upstream: Option<Arc<upstream::Upstream>>,
    /// Cancelled when the hub stops.
    pub shutdown: CancellationToken,
}

/// Starts the hub on `addr`; tokens must be signed with `cs`'s access key and carry its audience.
pub async fn start(addr: SocketAddr, cs: ConnectionString, shutdown: CancellationToken) -> std::io::Result<Server> {
    serve_on(tokio::net::TcpListener::bind(addr).await?, cs, shutdown)
}

/// Serves the hub on an already bound listener (so its address can go into the endpoint first).
pub fn serve_on(
    listener: tokio::net::TcpListener,
    cs: ConnectionString,
    shutdown: CancellationToken,
) -> std::io::Result<Server> {
    serve_on_with(listener, cs, HubOptions::default(), shutdown)
}

/// [`serve_on`] with options.
pub fn serve_on_with(
    listener: tokio::net::TcpListener,
    cs: ConnectionString,
    options: HubOptions,
    shutdown: CancellationToken,
) -> std::io::Result<Server> {
    let addr = listener.local_addr()?;
    let registry = Arc::new(Registry::default());
    if let Some(up) = &options.upstream {
        upstream::watch(&registry, up.clone());
    }
    let invoke = options
        .invoke
        .or_else(|| options.upstream.clone().map(|up| Arc::new(upstream::Invoker(up)) as Arc<dyn InvokeHandler>));
    let ctx = Arc::new(HubContext {
        sessions: Arc::new(Sessions::new(registry.clone(), options.recovery_window)),
        registry,
        invoke,
        upstream: options.upstream,
        shutdown: shutdown.clone(),
    });
    let cs = Arc::new(cs);
    let handler: Handler = Arc::new(move |req, _peer| {
        let (cs, ctx) = (cs.clone(), ctx.clone());
        async move {
            // The data-plane REST API shares the client endpoint's listener, as on the service.
            if req.uri().path().starts_with("/api/") {
                return Reply::Http(rest::handle(req, &cs, &ctx.registry).await);
            }
            handle(req, &cs, ctx).await
        }
        .boxed()
    });
    let server_options = ServerOptions { tls: options.tls, allow_plain: true, ..ServerOptions::default() };
    tokio::spawn(wsserver::serve(listener, handler, server_options, shutdown.clone()));
    Ok(Server { addr, shutdown })
}

async fn handle<B>(req: http::Request<B>, cs: &ConnectionString, ctx: Arc<HubContext>) -> Reply {
    let Some(hub) = req.uri().path().strip_prefix("/client/hubs/").map(|h| h.trim_end_matches('/').to_string()) else {
        return Reply::Http(wsserver::text_response(StatusCode::NOT_FOUND, "Not found: connect to /client/hubs/<hub>"));
    };
    if hub.is_empty() || hub.contains('/') {
        return Reply::Http(wsserver::text_response(StatusCode::NOT_FOUND, "Not found: connect to /client/hubs/<hub>"));
    }
    let missing = wsserver::missing_upgrade_headers(req.method(), req.headers());
    if !missing.is_empty() {
        let body = format!("Bad Request: not a WebSocket upgrade; missing: {}", missing.join(", "));
        return Reply::Http(wsserver::text_response(StatusCode::BAD_REQUEST, &body));
    }
    let requested = wsserver::requested_protocols(req.headers());
    if let Some(why) = subprotocol::protobuf_refusal(&requested) {
        return Reply::Http(wsserver::text_response(StatusCode::NOT_IMPLEMENTED, &why));
    }
    let offered = subprotocol::negotiate(&requested);
    if let Some(recover) = RecoverQuery::from(req.uri().query()) {
        return reconnect(req.headers(), hub, recover, offered, ctx).await;
    }
    let token = auth::token_from_request(req.uri().query(), req.headers());
    let mut identity = match auth::verify(cs, &hub, token.as_deref()) {
        Ok(id) => id,
        Err(e) => return Reply::Http(wsserver::text_response(StatusCode::UNAUTHORIZED, &e.to_string())),
    };
    let id = new_connection_id();
    let (mut offered, mut chosen) = (offered, offered.name().map(str::to_string));
    if let Some(up) = &ctx.upstream {
        let (query, name) = (req.uri().query(), offered.name());
        match upstream::connect_client(up, &hub, &id, req.headers(), query, name, &mut identity).await {
            // The handler may pick any subprotocol the client offered; one the hub does not
            // speak makes a simple client.
            Ok(Some(picked)) => {
                offered = subprotocol::negotiate(std::slice::from_ref(&picked));
                chosen = Some(picked);
            }
            Ok(None) => {}
            Err(e) => return Reply::Http(wsserver::text_response(e.status, &e.message)),
        }
    }
    let response = wsserver::switching_protocols(req.headers(), chosen.as_deref());
    let info = ConnectionInfo { hub, id, identity, protocol: offered };
    // Registered only once the upgrade completes, so a client that vanishes mid-handshake
    // leaves nothing behind.
    let on_upgrade = move |ws| {
        async move {
            let (token, attachment) = if info.protocol.is_reliable() {
                let token = recovery::new_token();
                let attachment = ctx.sessions.register(&info.hub, &info.id, &token);
                (Some(token), Some(attachment))
            } else {
                (None, None)
            };
            let conn = LogicalConnection::join(&ctx, info, token);
            connection::run(ws, conn, ctx, attachment, false).await;
        }
        .boxed()
    };
    Reply::Upgrade { response, on_upgrade: Box::new(on_upgrade) }
}

/// `awps_connection_id` and `awps_reconnection_token`: a reliable client coming back.
struct RecoverQuery {
    connection_id: String,
    token: String,
}

impl RecoverQuery {
    fn from(query: Option<&str>) -> Option<Self> {
        let mut connection_id = None;
        let mut token = String::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "awps_connection_id" => connection_id = Some(value.into_owned()),
                "awps_reconnection_token" => token = value.into_owned(),
                _ => {}
            }
        }
        connection_id.filter(|c| !c.is_empty()).map(|connection_id| Self { connection_id, token })
    }
}

/// A recovery: no access token is needed (the reconnection token is the credential). A refusal
/// is a WebSocket closed with 1008 after `system/disconnected`, as the service does, so the SDKs
/// stop recovering and start a new connection.
async fn reconnect(
    headers: &http::HeaderMap,
    hub: String,
    query: RecoverQuery,
    offered: Subprotocol,
    ctx: Arc<HubContext>,
) -> Reply {
    match ctx.sessions.recover(&hub, &query.connection_id, &query.token).await {
        Ok((conn, attachment)) => {
            let response = wsserver::switching_protocols(headers, conn.info.protocol.name());
            let mut resumed = Resumed { conn: Some(conn), attachment: Some(attachment), ctx: ctx.clone() };
            let on_upgrade = move |ws| {
                async move {
                    if let (Some(conn), Some(attachment)) = (resumed.conn.take(), resumed.attachment.take()) {
                        connection::run(ws, conn, ctx, Some(attachment), true).await;
                    }
                }
                .boxed()
            };
            Reply::Upgrade { response, on_upgrade: Box::new(on_upgrade) }
        }
        Err(e) => {
            let response = wsserver::switching_protocols(headers, offered.name());
            let reason = e.to_string();
            let on_upgrade = move |ws| connection::refuse(ws, offered, reason).boxed();
            Reply::Upgrade { response, on_upgrade: Box::new(on_upgrade) }
        }
    }
}

/// A recovered connection between the handshake and its socket task: parked again if the
/// upgrade never completes, so the client can retry.
struct Resumed {
    conn: Option<LogicalConnection>,
    attachment: Option<Attachment>,
    ctx: Arc<HubContext>,
}

impl Drop for Resumed {
    fn drop(&mut self) {
        if let (Some(conn), Some(attachment)) = (self.conn.take(), self.attachment.take()) {
            self.ctx.sessions.park(conn, attachment);
        }
    }
}

fn new_connection_id() -> String {
    format!("{:016x}{:08x}", rand::random::<u64>(), rand::random::<u32>())
}

/// Starts the echo backend on `addr` (any path).
pub async fn start_echo(addr: SocketAddr, shutdown: CancellationToken) -> std::io::Result<Server> {
    start_backend(addr, shutdown, |ws, token| echo::run(ws, token).boxed()).await
}

/// Starts the ticker backend on `addr` (any path).
pub async fn start_ticker(addr: SocketAddr, shutdown: CancellationToken) -> std::io::Result<Server> {
    start_backend(addr, shutdown, |ws, token| ticker::run(ws, token).boxed()).await
}

async fn start_backend(
    addr: SocketAddr,
    shutdown: CancellationToken,
    run: fn(wsserver::ServerWs, CancellationToken) -> futures_util::future::BoxFuture<'static, ()>,
) -> std::io::Result<Server> {
    let token = shutdown.clone();
    let handler: Handler = Arc::new(move |req, _peer| {
        let token = token.clone();
        async move {
            let missing = wsserver::missing_upgrade_headers(req.method(), req.headers());
            if !missing.is_empty() {
                let body = format!("Bad Request: not a WebSocket upgrade; missing: {}", missing.join(", "));
                return Reply::Http(wsserver::text_response(StatusCode::BAD_REQUEST, &body));
            }
            // Backends speak no subprotocol: accept without choosing one.
            let response = wsserver::switching_protocols(req.headers(), None);
            Reply::Upgrade { response, on_upgrade: Box::new(move |ws| run(ws, token)) }
        }
        .boxed()
    });
    wsserver::bind(addr, handler, ServerOptions::default(), shutdown).await
}
