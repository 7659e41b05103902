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

use wstab_core::connection::{RawUpgrade, UpgradeError, upgrade_raw};

use super::policy::{CompiledApi, apply_set_header, apply_set_query, piece_name};
use super::relay::Halves;
use super::response::Refusal;

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
    let listed: Vec<&str> = client_headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut forwarded = HeaderMap::new();
    for (name, value) in client_headers {
        // Header names are lower case already.
        let n = name.as_str();
        if NOT_FORWARDED.contains(&n)
            || listed.iter().any(|l| l.eq_ignore_ascii_case(n))
            || n.eq_ignore_ascii_case(&api.key_names.header)
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

/// Connects to the backend and completes its handshake; a refusal carries what the client
/// should get. The upgrade is checked as the client's own ([`wstab_core::connection::upgrade`]),
/// so like APIM the gateway accepts a backend that chooses none of the offered subprotocols
/// and passes that on. The request is written by hand and the answer parsed in place
/// ([`upgrade_raw`]): no HTTP client connection and no task of its own per handshake, and a
/// plain backend socket comes back as owned halves for the relay.
pub async fn connect(
    request: Request,
    backend_shown: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<(Halves, Option<String>), Refusal> {
    let unreachable = |e: &dyn std::fmt::Display| {
        Refusal::json(
            StatusCode::BAD_GATEWAY,
            &format!("Bad Gateway: cannot reach the backend {backend_shown}: {e}"),
            "backend unreachable",
        )
    };
    let attempt = async {
        let uri = request.uri();
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        // TLS is for wss:// backends only, with the configured client config or the default one.
        let tls = match uri.scheme_str() {
            Some("wss") => match tls {
                Some(config) => Some(config),
                None => Some(wstab_core::connection::client_config(&Default::default()).map_err(|e| unreachable(&e))?),
            },
            _ => None,
        };
        let port = uri.port_u16().unwrap_or(if tls.is_some() { 443 } else { 80 });
        // An IP backend needs no resolver (tokio only resolves names on its blocking pool).
        let tcp = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => TcpStream::connect((ip, port)).await,
            Err(_) => TcpStream::connect((host, port)).await,
        }
        .map_err(|e| unreachable(&e))?;
        let _ = tcp.set_nodelay(true);
        let (result, halves) = match tls {
            Some(config) => {
                let name = ServerName::try_from(host.to_string()).map_err(|e| unreachable(&e))?;
                let mut stream =
                    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(|e| unreachable(&e))?;
                let result = upgrade_raw(&mut stream, &request).await;
                (result, Halves::from_io(stream))
            }
            None => {
                let mut tcp = tcp;
                let result = upgrade_raw(&mut tcp, &request).await;
                (result, Halves::from_tcp(tcp))
            }
        };
        match result {
            Ok(RawUpgrade { response, prefix }) => {
                let protocol = response
                    .headers
                    .get(header::SEC_WEBSOCKET_PROTOCOL)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok((Halves { prefix, ..halves }, protocol))
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
