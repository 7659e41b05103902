//! Serving WebSocket upgrades over hyper, shared by the gateway, the hub and the demo backends.
//!
//! A [`Handler`] sees each HTTP request (and the peer address) and answers with a [`Reply`]: a
//! plain HTTP response, or an accepted upgrade whose callback receives the upgraded
//! [`ServerWs`]. hyper does the HTTP parsing (including the 431 for oversized headers and the
//! header read timeout); tungstenite does the framing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::CancellationToken;

/// The server side of an upgraded WebSocket connection.
pub type ServerWs = WebSocketStream<TokioIo<Upgraded>>;

/// The callback that takes over an upgraded connection.
pub type OnUpgrade = Box<dyn FnOnce(ServerWs) -> BoxFuture<'static, ()> + Send>;

/// What a handler answers to one request.
pub enum Reply {
    /// A plain HTTP response (an error, a refusal, `/metrics`).
    Http(Response<Full<Bytes>>),
    /// Accept the upgrade: send this 101 response, then hand the socket to the callback.
    Upgrade {
        /// The 101 response (see [`switching_protocols`]).
        response: Response<Full<Bytes>>,
        /// Runs once the connection is upgraded.
        on_upgrade: OnUpgrade,
    },
}

/// Handles one request.
pub type Handler = Arc<dyn Fn(Request<Incoming>, SocketAddr) -> BoxFuture<'static, Reply> + Send + Sync>;

/// Connection-level limits of a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest request head (request line + headers) in bytes; larger gets 431. hyper's floor
    /// is 8192.
    pub max_header_bytes: usize,
    /// How long a client may take to send its request head.
    pub header_read_timeout: Duration,
    /// Limits for the upgraded WebSocket (max message and frame size).
    pub ws_config: WebSocketConfig,
    /// Serve TLS (`https`/`wss`) with this certificate.
    pub tls: Option<crate::tls::ServerTls>,
    /// With `tls`, also serve plain connections on the same port (told apart by their first
    /// byte): the demo hub takes the gateway's plain backend leg beside TLS clients.
    pub allow_plain: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_header_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            ws_config: WebSocketConfig::default(),
            tls: None,
            allow_plain: false,
        }
    }
}

/// Why a request is not a valid WebSocket upgrade: the names of the missing or wrong headers.
pub fn missing_upgrade_headers(method: &http::Method, headers: &HeaderMap) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if method != http::Method::GET {
        missing.push("method GET");
    }
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    if !has_token(header::CONNECTION, "upgrade") {
        missing.push("Connection: Upgrade");
    }
    if !has_token(header::UPGRADE, "websocket") {
        missing.push("Upgrade: websocket");
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v.as_bytes() != b"13") {
        missing.push("Sec-WebSocket-Version: 13");
    }
    if headers.get(header::SEC_WEBSOCKET_KEY).is_none_or(|v| v.is_empty()) {
        missing.push("Sec-WebSocket-Key");
    }
    missing
}

/// The subprotocols a client requested, in its order of preference.
pub fn requested_protocols(headers: &HeaderMap) -> Vec<String> {
    wstab_core::connection::offered_subprotocols(headers)
}

/// The 101 response accepting `request_headers`' upgrade, choosing `protocol` if any.
pub fn switching_protocols(request_headers: &HeaderMap, protocol: Option<&str>) -> Response<Full<Bytes>> {
    let key = request_headers.get(header::SEC_WEBSOCKET_KEY).map(|k| k.as_bytes()).unwrap_or_default();
    let mut builder = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, derive_accept_key(key));
    if let Some(p) = protocol.and_then(|p| HeaderValue::from_str(p).ok()) {
        builder = builder.header(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    builder.body(Full::new(Bytes::new())).unwrap_or_else(|_| text_response(StatusCode::INTERNAL_SERVER_ERROR, ""))
}

/// A response with a body and a content type.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

/// A `text/plain` response.
pub fn text_response(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    response(status, "text/plain; charset=utf-8", body.to_string())
}

/// A running server: its address and the token that stops it.
#[derive(Debug, Clone)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Cancel to stop accepting and to end open connections gracefully.
    pub shutdown: CancellationToken,
}

/// Binds `addr` and serves `handler` until `shutdown` is cancelled.
pub async fn bind(
    addr: SocketAddr,
    handler: Handler,
    options: ServerOptions,
    shutdown: CancellationToken,
) -> std::io::Result<Server> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(serve(listener, handler, options, shutdown.clone()));
    Ok(Server { addr: local, shutdown })
}

/// Serves `handler` on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, handler: Handler, options: ServerOptions, shutdown: CancellationToken) {
    let options = Arc::new(options);
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (handler, options, shutdown) = (handler.clone(), options.clone(), shutdown.clone());
        match options.tls.clone() {
            None => {
                tokio::spawn(serve_connection(stream, peer, handler, options, shutdown));
            }
            Some(tls) => {
                tokio::spawn(async move {
                    let limit = options.header_read_timeout;
                    let mut first = [0u8; 1];
                    // A TLS ClientHello starts with the handshake record type, 0x16.
                    let is_tls = match tokio::time::timeout(limit, stream.peek(&mut first)).await {
                        Ok(Ok(1)) => first[0] == 0x16,
                        _ => return,
                    };
                    if !is_tls && options.allow_plain {
                        return serve_connection(stream, peer, handler, options, shutdown).await;
                    }
                    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
                    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_connection(tls_stream, peer, handler, options, shutdown).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    handler: Handler,
    options: Arc<ServerOptions>,
    shutdown: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let ws_config = options.ws_config;
    // An accepted upgrade, run by this task once hyper hands the connection over: one task per
    // connection instead of a second one spawned per upgrade (thread hand-offs are much of the
    // cost of a short handshake).
    let accepted: Arc<std::sync::Mutex<Option<(hyper::upgrade::OnUpgrade, OnUpgrade)>>> = Default::default();
    let slot = accepted.clone();
    let service = service_fn(move |mut req: Request<Incoming>| {
        let (handler, slot) = (handler.clone(), slot.clone());
        async move {
            // Taken before the handler owns the request, so an accepted upgrade can be completed.
            let upgrade = hyper::upgrade::on(&mut req);
            match handler(req, peer).await {
                Reply::Http(res) => Ok::<_, Infallible>(res),
                Reply::Upgrade { response, on_upgrade } => {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some((upgrade, on_upgrade));
                    Ok(response)
                }
            }
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(options.max_header_bytes.max(8192));
    {
        // Scoped: hyper's buffers go before the upgraded connection's long life in this task.
        let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        tokio::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, %peer, "HTTP connection ended with an error");
                }
            }
            _ = shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
            }
        }
    }
    // The connection future ends once the 101 is written and the socket is handed over.
    let taken = accepted.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some((upgrade, on_upgrade)) = taken {
        match upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_config)).await;
                on_upgrade(ws).await;
            }
            Err(e) => tracing::debug!(error = %e, %peer, "upgrade did not complete"),
        }
    }
}

/// Answers a close frame that carried no status code (what the Web PubSub SDKs' `stop()` sends)
/// with 1000, as the service does, so the client sees a normal closure rather than 1005.
/// tungstenite would echo the empty frame, so the reply goes on the raw stream (everything sent
/// before was flushed) and tungstenite's queued echo is dropped with the socket. Then waits,
/// briefly, for the client to close the TCP connection.
pub async fn answer_empty_close<S>(ws: &mut WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // FIN + close opcode, unmasked, 2-byte payload: status 1000.
    const NORMAL_CLOSE: [u8; 4] = [0x88, 0x02, 0x03, 0xE8];
    let io = ws.get_mut();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        if io.write_all(&NORMAL_CLOSE).await.is_ok() && io.flush().await.is_ok() {
            let mut sink = [0u8; 512];
            while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    })
    .await;
}
