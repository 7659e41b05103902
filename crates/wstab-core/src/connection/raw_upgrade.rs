//! The client side of the WebSocket upgrade written by hand, for a proxy that only needs the
//! socket back: the request written in one go, the response head parsed with `httparse`, a
//! refusal's body read (length, chunked or to the end). Same checks and same answers as
//! [`super::upgrade`], without a hyper client connection and the task it runs in, so the
//! gateway's new-connection rate is not spent in HTTP machinery.

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::handshake::{MAX_REFUSAL_BODY, UpgradeError, UpgradeResponse, check_101};

/// The largest response head accepted (hyper's default read buffer limit is larger; a
/// WebSocket server's 101 is a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;
/// The most response headers parsed (hyper's default is 100).
const MAX_HEADERS: usize = 100;

/// A 101 the caller can relay over: the response, and the bytes the server sent after it
/// (the first frames, when it speaks first), which belong to the WebSocket stream.
#[derive(Debug)]
pub struct RawUpgrade {
    /// The 101 response.
    pub response: UpgradeResponse,
    /// Bytes read past the response head.
    pub prefix: Bytes,
}

/// Sends `request` over `stream` and reads the answer; on 101 (checked as RFC 6455 §4.1
/// requires) the stream is the caller's WebSocket, starting with [`RawUpgrade::prefix`].
/// Refusals carry their status, headers and body (at most [`MAX_REFUSAL_BODY`]; a longer body
/// is dropped, as [`super::upgrade`] drops it).
pub async fn upgrade_raw<S>(stream: &mut S, request: &Request) -> Result<RawUpgrade, UpgradeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let key = request.headers().get(http::header::SEC_WEBSOCKET_KEY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let offered = super::handshake::offered_subprotocols(request.headers());
    stream.write_all(&encode_request(request)).await.map_err(|e| UpgradeError::Io(e.to_string()))?;
    stream.flush().await.map_err(|e| UpgradeError::Io(e.to_string()))?;

    let mut buf = BytesMut::with_capacity(1024);
    let (status, headers) = loop {
        let (status, headers, head_len) = read_head(stream, &mut buf).await?;
        buf.advance(head_len);
        // Informational answers other than 101 (100 Continue…) precede the real one.
        if status.is_informational() && status != http::StatusCode::SWITCHING_PROTOCOLS {
            continue;
        }
        break (status, headers);
    };
    if status != http::StatusCode::SWITCHING_PROTOCOLS {
        let body = read_body(stream, buf, &headers, status).await.unwrap_or_default();
        return Err(UpgradeError::Refused(UpgradeResponse { status, headers, body }));
    }
    let response = UpgradeResponse { status, headers, body: Bytes::new() };
    if let Err(reason) = check_101(&response.headers, key, &offered) {
        return Err(UpgradeError::Invalid { reason: reason.to_string(), response });
    }
    Ok(RawUpgrade { response, prefix: buf.freeze() })
}

/// `GET <origin form> HTTP/1.1` and the request's headers, in their order.
fn encode_request(request: &Request) -> Vec<u8> {
    let origin = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let size = 32 + origin.len() + request.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(origin.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads until `buf` holds a whole response head; its status, headers and length.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
) -> Result<(http::StatusCode, http::HeaderMap, usize), UpgradeError> {
    let not_http = |why: &dyn std::fmt::Display| {
        UpgradeError::NotHttp(format!("the server's answer is not an HTTP/1.1 response ({why})"))
    };
    loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut slots);
            match parsed.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = parsed
                        .code
                        .and_then(|c| http::StatusCode::from_u16(c).ok())
                        .ok_or_else(|| not_http(&"invalid HTTP status-code parsed"))?;
                    let mut headers = http::HeaderMap::with_capacity(parsed.headers.len());
                    for h in parsed.headers.iter() {
                        let name = http::HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| not_http(&e))?;
                        let value = http::HeaderValue::from_bytes(h.value).map_err(|e| not_http(&e))?;
                        headers.append(name, value);
                    }
                    return Ok((status, headers, len));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => return Err(not_http(&e)),
            }
        }
        if buf.len() >= MAX_HEAD {
            return Err(not_http(&"message head is too large"));
        }
        buf.reserve(1024);
        match stream.read_buf(buf).await {
            Ok(0) => return Err(UpgradeError::Io("connection closed before message completed".into())),
            Ok(_) => {}
            Err(e) => return Err(UpgradeError::Io(e.to_string())),
        }
    }
}

/// A refusal's body: by `Content-Length`, chunked, or up to the end of the connection; `None`
/// when it is longer than [`MAX_REFUSAL_BODY`] or the connection fails first.
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut buf: BytesMut,
    headers: &http::HeaderMap,
    status: http::StatusCode,
) -> Option<Bytes> {
    if status == http::StatusCode::NO_CONTENT || status == http::StatusCode::NOT_MODIFIED {
        return Some(Bytes::new());
    }
    let chunked = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"));
    if chunked {
        return read_chunked(stream, buf).await;
    }
    let length = headers.get(http::header::CONTENT_LENGTH).map(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
    match length {
        Some(Some(n)) if n > MAX_REFUSAL_BODY => None,
        Some(Some(n)) => {
            while buf.len() < n {
                buf.reserve(n - buf.len());
                if stream.read_buf(&mut buf).await.ok()? == 0 {
                    return None;
                }
            }
            buf.truncate(n);
            Some(buf.freeze())
        }
        Some(None) => None,
        None => loop {
            if buf.len() > MAX_REFUSAL_BODY {
                return None;
            }
            buf.reserve(4096);
            match stream.read_buf(&mut buf).await {
                Ok(0) => return Some(buf.freeze()),
                Ok(_) => {}
                Err(_) => return None,
            }
        },
    }
}

/// Decodes a chunked body (extensions and trailers skipped).
async fn read_chunked<S: AsyncRead + Unpin>(stream: &mut S, mut buf: BytesMut) -> Option<Bytes> {
    let mut body = BytesMut::new();
    loop {
        let line = read_line(stream, &mut buf).await?;
        let size = line.split(|&b| b == b';').next()?;
        let size = usize::from_str_radix(std::str::from_utf8(size).ok()?.trim(), 16).ok()?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(stream, &mut buf).await?.is_empty() {}
            return Some(body.freeze());
        }
        if body.len() + size > MAX_REFUSAL_BODY {
            return None;
        }
        while buf.len() < size + 2 {
            buf.reserve(size + 2 - buf.len());
            if stream.read_buf(&mut buf).await.ok()? == 0 {
                return None;
            }
        }
        body.extend_from_slice(&buf[..size]);
        if &buf[size..size + 2] != b"\r\n" {
            return None;
        }
        buf.advance(size + 2);
    }
}

/// One CRLF-terminated line from `buf`, reading more as needed (at most a few KiB).
async fn read_line<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Option<Bytes> {
    loop {
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = buf.split_to(end).freeze();
            buf.advance(2);
            return Some(line);
        }
        if buf.len() > 4096 {
            return None;
        }
        buf.reserve(1024);
        if stream.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

    /// Runs `upgrade_raw` against a peer that answers `answer(key)` in pieces of `piece` bytes
    /// and then closes; returns the result and the request the peer received.
    async fn against(
        answer: impl Fn(&str) -> Vec<u8> + Send + 'static,
        piece: usize,
    ) -> (Result<RawUpgrade, UpgradeError>, String) {
        let (mut ours, mut theirs) = tokio::io::duplex(1 << 20);
        let mut request = "ws://backend.test:8080/chat?a=1".into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", "json, v2".parse().unwrap());
        let peer = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut chunk = [0u8; 1024];
            while !got.ends_with(b"\r\n\r\n") {
                let n = theirs.read(&mut chunk).await.unwrap();
                assert!(n > 0, "request cut short");
                got.extend_from_slice(&chunk[..n]);
            }
            let text = String::from_utf8(got).unwrap();
            let key = text.lines().find_map(|l| l.strip_prefix("sec-websocket-key: ")).unwrap_or_default().to_string();
            for part in answer(&key).chunks(piece) {
                theirs.write_all(part).await.unwrap();
                tokio::task::yield_now().await;
            }
            text
        });
        let result = upgrade_raw(&mut ours, &request).await;
        (result, peer.await.unwrap())
    }

    fn accept(key: &str, extra: &str, after: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extra}\r\n",
            derive_accept_key(key.as_bytes())
        )
        .into_bytes();
        out.extend_from_slice(after);
        out
    }

    #[tokio::test]
    async fn test_101_with_the_first_frame_behind_it_in_small_pieces() {
        let (result, request) = against(|k| accept(k, "Sec-WebSocket-Protocol: v2\r\n", b"\x81\x02hi"), 7).await;
        let ok = result.unwrap();
        assert_eq!(ok.response.headers["sec-websocket-protocol"], "v2");
        assert_eq!(&ok.prefix[..], b"\x81\x02hi");
        assert!(request.starts_with("GET /chat?a=1 HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("host: backend.test:8080\r\n"), "{request}");
        assert!(request.contains("sec-websocket-protocol: json, v2\r\n"), "{request}");
    }

    #[tokio::test]
    async fn test_101_checked_like_the_hyper_upgrade() {
        let (result, _) = against(|_| accept("not the key", "", b""), 4096).await;
        assert!(matches!(result, Err(UpgradeError::Invalid { reason, .. }) if reason.contains("Sec-WebSocket-Accept")));
        let (result, _) = against(|k| accept(k, "Sec-WebSocket-Protocol: other\r\n", b""), 4096).await;
        assert!(matches!(result, Err(UpgradeError::Invalid { reason, .. }) if reason.contains("not offered")));
    }

    #[tokio::test]
    async fn test_refusal_bodies_by_length_chunked_and_to_the_end() {
        let answers: [(&[u8], &[u8]); 3] = [
            (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"no\":true}", b"{\"no\":true}"),
            (b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nden\r\n\r\n3\r\nied\r\n0\r\nA: b\r\n\r\n", b"den\r\nied"),
            (b"HTTP/1.0 500 Oops\r\n\r\nbroken", b"broken"),
        ];
        for (answer, body) in answers {
            let (result, _) = against(move |_| answer.to_vec(), 5).await;
            let Err(UpgradeError::Refused(response)) = result else { panic!("not refused: {answer:?}") };
            assert_eq!(&response.body[..], body, "{}", String::from_utf8_lossy(answer));
        }
        let (result, _) = against(
            |_| b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno".to_vec(),
            3,
        )
        .await;
        assert!(matches!(result, Err(UpgradeError::Refused(r)) if r.status == 404 && &r.body[..] == b"no"));
        let long = format!("HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n", MAX_REFUSAL_BODY + 1);
        let (result, _) = against(move |_| long.clone().into_bytes(), 4096).await;
        assert!(matches!(result, Err(UpgradeError::Refused(r)) if r.status == 403 && r.body.is_empty()));
    }

    #[tokio::test]
    async fn test_not_http_and_cut_short() {
        let (result, _) = against(|_| b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(), 4096).await;
        assert!(matches!(result, Err(UpgradeError::NotHttp(m)) if m.contains("not an HTTP/1.1 response")));
        let (result, _) = against(|_| b"HTTP/1.1 101 Switching".to_vec(), 4096).await;
        assert!(matches!(result, Err(UpgradeError::Io(m)) if m.contains("closed before")));
    }
}
