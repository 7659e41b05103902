//! Forwarding a handshake to the backend: the request the backend sees, and what its answer
//! becomes for the client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use wstab_core::connection::{ClientWs, UpgradeError, upgrade};

use super::policy::{CompiledApi, apply_set_header, apply_set_query, piece_name};
use super::response::Refusal;

/// The gateway's connection to a backend.
pub type BackendWs = ClientWs;

/// Headers that describe one hop and are never forwarded (RFC 9110 §7.6.1), plus the ones the
/// gateway's own handshake with the backend owns.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-accept",
];

/// The backend URL does not make a WebSocket handshake request.
#[derive(Debug, thiserror::Error)]
#[error("invalid backend URL: {0}")]
pub struct InvalidBackendUrl(#[source] tokio_tungstenite::tungstenite::Error);

/// The backend's handshake request: backend URL + the client's query minus the subscription key
/// (plus set_query_parameter), the client's headers minus hop-by-hop ones and the key header
/// (plus `X-Forwarded-For` and set_header).
pub fn backend_request(
    api: &CompiledApi,
    client_query: Option<&str>,
    client_headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<Request, InvalidBackendUrl> {
    let mut url = api.backend.clone();
    let mut pieces: Vec<String> = url.query().map(|q| q.split('&').map(str::to_string).collect()).unwrap_or_default();
    pieces.extend(
        client_query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && piece_name(p) != api.key_names.query)
            .map(str::to_string),
    );
    apply_set_query(&mut pieces, &api.set_query);
    pieces.retain(|p| !p.is_empty());
    let joined = pieces.join("&");
    url.set_query(if joined.is_empty() { None } else { Some(&joined) });

    let mut request = url.as_str().into_client_request().map_err(InvalidBackendUrl)?;
    // Names the client listed in its own Connection header are hop-by-hop too.
    let listed: Vec<String> = client_headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let mut forwarded = HeaderMap::new();
    for (name, value) in client_headers {
        let n = name.as_str();
        if NOT_FORWARDED.contains(&n) || listed.iter().any(|l| l == n) || n.eq_ignore_ascii_case(&api.key_names.header)
        {
            continue;
        }
        forwarded.append(name.clone(), value.clone());
    }
    let xff = match forwarded.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        forwarded.insert("x-forwarded-for", v);
    }
    apply_set_header(&mut forwarded, &api.set_header);
    let headers = request.headers_mut();
    for (name, value) in &forwarded {
        headers.append(name.clone(), value.clone());
    }
    Ok(request)
}

/// Connects to the backend; a refusal carries what the client should get. The upgrade is the
/// client's own ([`wstab_core::connection::upgrade`]), so like APIM the gateway accepts a backend that
/// chooses none of the offered subprotocols and passes that on.
pub async fn connect(
    request: Request,
    backend_shown: &str,
    ws_config: WebSocketConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<(BackendWs, Option<String>), Refusal> {
    let unreachable = |e: &dyn std::fmt::Display| {
        Refusal::json(
            StatusCode::BAD_GATEWAY,
            &format!("Bad Gateway: cannot reach the backend {backend_shown}: {e}"),
            "backend unreachable",
        )
    };
    let attempt = async {
        let uri = request.uri().clone();
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
        // TLS is for wss:// backends only, with the configured client config or the default one.
        let tls = match uri.scheme_str() {
            Some("wss") => match tls {
                Some(config) => Some(config),
                None => Some(wstab_core::connection::client_config(&Default::default()).map_err(|e| unreachable(&e))?),
            },
            _ => None,
        };
        let port = uri.port_u16().unwrap_or(if tls.is_some() { 443 } else { 80 });
        let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| unreachable(&e))?;
        let _ = tcp.set_nodelay(true);
        let result = match tls {
            Some(config) => {
                let name = ServerName::try_from(host.clone()).map_err(|e| unreachable(&e))?;
                let stream =
                    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(|e| unreachable(&e))?;
                upgrade(stream, request, ws_config).await
            }
            None => upgrade(tcp, request, ws_config).await,
        };
        match result {
            Ok((ws, response)) => {
                let protocol = response
                    .headers
                    .get(header::SEC_WEBSOCKET_PROTOCOL)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok((ws, protocol))
            }
            Err(UpgradeError::Refused(response)) => {
                let content_type =
                    response.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
                Err(Refusal::passthrough(response.status, response.body, content_type))
            }
            Err(UpgradeError::Invalid { reason, .. }) => Err(Refusal::json(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "Bad Gateway: the backend {backend_shown} answered with an invalid WebSocket upgrade: {reason}"
                ),
                "backend handshake invalid",
            )),
            Err(UpgradeError::NotHttp(e) | UpgradeError::Io(e)) => Err(unreachable(&e)),
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Refusal::json(
            StatusCode::GATEWAY_TIMEOUT,
            &format!(
                "Gateway Timeout: the backend {backend_shown} did not complete the handshake within {} s.",
                timeout.as_secs()
            ),
            "backend handshake timed out",
        )),
    }
}
