//! The client side of the WebSocket upgrade, over hyper: send the request, read the response
//! (with the body of a refusal), check the 101 ourselves, and hand the upgraded stream to
//! tungstenite.
//!
//! Doing the HTTP part with hyper instead of tungstenite's handshake gives the exact response
//! for the trace, and lets us follow RFC 6455 where tungstenite is stricter: a server that
//! answers without choosing any of the offered subprotocols is accepted (browsers accept it too),
//! and the user is told no subprotocol was negotiated.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// An open client WebSocket over any upgraded transport (TCP or TLS).
pub type ClientWs = WebSocketStream<TokioIo<Upgraded>>;

/// The most of a refusal's body that is kept for the trace.
pub const MAX_REFUSAL_BODY: usize = 64 * 1024;

/// The response to the upgrade request, as received.
#[derive(Debug, Clone)]
pub struct UpgradeResponse {
    /// Status code.
    pub status: http::StatusCode,
    /// Headers in order.
    pub headers: http::HeaderMap,
    /// The body (refusals only; empty for 101), at most [`MAX_REFUSAL_BODY`].
    pub body: Bytes,
}

/// Why the upgrade did not give a WebSocket.
#[derive(Debug)]
pub enum UpgradeError {
    /// The server answered with a status other than 101.
    Refused(UpgradeResponse),
    /// The server answered 101 but not as RFC 6455 requires.
    Invalid {
        /// What was wrong.
        reason: String,
        /// The response, for the trace.
        response: UpgradeResponse,
    },
    /// The server did not speak HTTP/1.1.
    NotHttp(String),
    /// The connection failed during the exchange.
    Io(String),
}

/// Sends `request` over `stream` and completes the upgrade.
pub async fn upgrade<S>(
    stream: S,
    request: Request,
    config: WebSocketConfig,
) -> Result<(ClientWs, UpgradeResponse), UpgradeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let key = request
        .headers()
        .get(http::header::SEC_WEBSOCKET_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let offered = offered_subprotocols(request.headers());
    let (parts, ()) = request.into_parts();
    // HTTP/1.1 requests carry the origin form (`/path?query`); the host is in the Host header.
    let origin = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    let mut builder = http::Request::builder().method(http::Method::GET).uri(origin);
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let request = builder.body(Empty::<Bytes>::new()).map_err(|e| UpgradeError::Io(e.to_string()))?;

    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| UpgradeError::Io(e.to_string()))?;
    tokio::spawn(async move {
        // Ends when the upgrade takes the connection over, or when it fails (reported below).
        let _ = connection.with_upgrades().await;
    });
    let mut response = sender.send_request(request).await.map_err(|e| {
        if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() {
            UpgradeError::NotHttp(format!("the server's answer is not an HTTP/1.1 response ({e})"))
        } else {
            UpgradeError::Io(e.to_string())
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    if status != http::StatusCode::SWITCHING_PROTOCOLS {
        let body = Limited::new(response.into_body(), MAX_REFUSAL_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return Err(UpgradeError::Refused(UpgradeResponse { status, headers, body }));
    }
    let answered = UpgradeResponse { status, headers, body: Bytes::new() };
    if let Err(reason) = check_101(&answered.headers, &key, &offered) {
        return Err(UpgradeError::Invalid { reason: reason.to_string(), response: answered });
    }
    let upgraded = hyper::upgrade::on(&mut response).await.map_err(|e| UpgradeError::Io(e.to_string()))?;
    let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, Some(config)).await;
    Ok((ws, answered))
}

/// Why a 101 answer cannot be used as a WebSocket upgrade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum BadUpgrade {
    /// No `Upgrade: websocket`.
    #[error("the 101 response lacks `Upgrade: websocket`")]
    NoUpgrade,
    /// No `Connection: Upgrade`.
    #[error("the 101 response lacks `Connection: Upgrade`")]
    NoConnection,
    /// The accept key is not the one derived from the key sent.
    #[error("Sec-WebSocket-Accept {got:?} does not match the key sent (expected {expected:?})")]
    Accept { got: String, expected: String },
    /// A subprotocol the client did not offer.
    #[error("the server chose subprotocol {chosen:?}, which was not offered ({})", offered_list(offered))]
    Subprotocol { chosen: String, offered: Vec<String> },
    /// An extension the client did not offer (it offers none).
    #[error("the server enabled extension {0:?}, which was not offered")]
    Extension(http::HeaderValue),
}

fn offered_list(offered: &[String]) -> String {
    if offered.is_empty() { "none was".to_string() } else { offered.join(", ") }
}

/// RFC 6455 §4.1: what a client must check in a 101 before using the connection.
pub(super) fn check_101(headers: &http::HeaderMap, key: &str, offered: &[String]) -> Result<(), BadUpgrade> {
    let value = |name: http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !value(http::header::UPGRADE).eq_ignore_ascii_case("websocket") {
        return Err(BadUpgrade::NoUpgrade);
    }
    if !value(http::header::CONNECTION).split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")) {
        return Err(BadUpgrade::NoConnection);
    }
    let accept = value(http::header::SEC_WEBSOCKET_ACCEPT);
    let expected = derive_accept_key(key.as_bytes());
    if accept != expected {
        return Err(BadUpgrade::Accept { got: accept.to_string(), expected });
    }
    if let Some(chosen) = headers.get(http::header::SEC_WEBSOCKET_PROTOCOL) {
        let chosen = chosen.to_str().unwrap_or_default().trim();
        if !offered.iter().any(|p| p == chosen) {
            return Err(BadUpgrade::Subprotocol { chosen: chosen.to_string(), offered: offered.to_vec() });
        }
    }
    if let Some(ext) = headers.get(http::header::SEC_WEBSOCKET_EXTENSIONS) {
        return Err(BadUpgrade::Extension(ext.clone()));
    }
    Ok(())
}

/// The subprotocols a handshake's headers offer, in the client's order of preference (every
/// `Sec-WebSocket-Protocol` header, comma-separated lists split): the client checks the 101's
/// choice against them, a server chooses among them.
pub fn offered_subprotocols(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn test_101_checks() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
        let ok = [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", accept)];
        assert_eq!(check_101(&headers(&ok), key, &[]), Ok(()));
        // No subprotocol chosen although some were offered: accepted, as browsers do.
        assert_eq!(check_101(&headers(&ok), key, &["a".into()]), Ok(()));
        let mut chosen = ok.to_vec();
        chosen.push(("sec-websocket-protocol", "b"));
        assert!(check_101(&headers(&chosen), key, &["a".into()]).unwrap_err().to_string().contains("not offered"));
        assert!(check_101(&headers(&ok[..2]), key, &[]).unwrap_err().to_string().contains("Sec-WebSocket-Accept"));
        assert!(check_101(&headers(&ok[1..]), key, &[]).unwrap_err().to_string().contains("Upgrade"));
    }
}
