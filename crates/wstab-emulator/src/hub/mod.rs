//! The local Web PubSub-style hub (`/client/hubs/{hub}`) and the demo backends (echo, ticker).
//!
//! The hub checks the access token at connect time, speaks `json.webpubsub.azure.v1` (groups,
//! acks, roles) and treats a client without that subprotocol as a *simple client*: for the demo,
//! whatever a simple client sends is broadcast to the hub's other simple clients.

pub mod auth;
pub mod connection;
pub mod echo;
pub mod protocol;
pub mod room;
pub mod ticker;

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::FutureExt;
use http::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::wsserver::{self, Handler, Reply, Server, ServerOptions};
use connection::ConnectionInfo;
use room::Registry;
use wstab_core::webpubsub_token::ConnectionString;

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
    let addr = listener.local_addr()?;
    let registry = Arc::new(Registry::default());
    let cs = Arc::new(cs);
    let token = shutdown.clone();
    let handler: Handler = Arc::new(move |req, _peer| {
        let (cs, registry, shutdown) = (cs.clone(), registry.clone(), token.clone());
        async move { handle(req, &cs, registry, shutdown) }.boxed()
    });
    tokio::spawn(wsserver::serve(listener, handler, ServerOptions::default(), shutdown.clone()));
    Ok(Server { addr, shutdown })
}

fn handle<B>(
    req: http::Request<B>,
    cs: &ConnectionString,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> Reply {
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
    let token = auth::token_from_request(req.uri().query(), req.headers());
    let identity = match auth::verify(cs, &hub, token.as_deref()) {
        Ok(id) => id,
        Err(e) => return Reply::Http(wsserver::text_response(StatusCode::UNAUTHORIZED, &e.to_string())),
    };
    let json = wsserver::requested_protocols(req.headers()).iter().any(|p| p == protocol::JSON_PROTOCOL);
    let response = wsserver::switching_protocols(req.headers(), json.then_some(protocol::JSON_PROTOCOL));
    let info = ConnectionInfo { hub, id: new_connection_id(), identity, json };
    Reply::Upgrade { response, on_upgrade: Box::new(move |ws| connection::run(ws, info, registry, shutdown).boxed()) }
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
