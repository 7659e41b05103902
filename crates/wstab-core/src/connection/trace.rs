//! The handshake trace: the request as sent and the response as received, secrets masked.

use std::fmt::Write;

use crate::secret::Masker;

/// The response side of a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTrace {
    /// HTTP status code (101 on success).
    pub status: u16,
    /// Reason phrase, e.g. `Switching Protocols`.
    pub reason: String,
    /// Response headers in order, secret values masked.
    pub headers: Vec<(String, String)>,
    /// The body of a refusal, as text (lossy), secrets redacted; empty on success.
    pub body: String,
}

/// The request as sent and the response, if any came.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandshakeTrace {
    /// `GET /path?query HTTP/1.1`, secrets masked.
    pub request_line: String,
    /// Request headers in the order sent, secret values masked.
    pub request_headers: Vec<(String, String)>,
    /// The response; `None` when the connection failed before one came.
    pub response: Option<ResponseTrace>,
}

impl HandshakeTrace {
    /// Records the request as it will be sent, masking secrets.
    pub fn from_request(req: &http::Request<()>, masker: &Masker) -> Self {
        let uri = req.uri();
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut request_headers = Vec::new();
        if let Some(host) = uri.host() {
            let host = match uri.port_u16() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            };
            if !req.headers().contains_key(http::header::HOST) {
                request_headers.push(("Host".to_string(), host));
            }
        }
        for (name, value) in req.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            request_headers.push((canonical(name.as_str()), masker.header_value(name.as_str(), &value)));
        }
        Self { request_line: format!("GET {} HTTP/1.1", masker.redact(path)), request_headers, response: None }
    }

    /// Records the response, masking secret header values and redacting the body.
    pub fn set_response(&mut self, status: u16, reason: &str, headers: &http::HeaderMap, body: &[u8], masker: &Masker) {
        let headers = headers
            .iter()
            .map(|(n, v)| {
                (canonical(n.as_str()), masker.header_value(n.as_str(), &String::from_utf8_lossy(v.as_bytes())))
            })
            .collect();
        let body = masker.redact(&String::from_utf8_lossy(body));
        self.response = Some(ResponseTrace { status, reason: reason.to_string(), headers, body });
    }

    /// The trace as text, the way an HTTP client would print it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "> {}", self.request_line);
        for (n, v) in &self.request_headers {
            let _ = writeln!(out, "> {n}: {v}");
        }
        match &self.response {
            None => out.push_str("< (no response)\n"),
            Some(r) => {
                let _ = writeln!(out, "< HTTP/1.1 {} {}", r.status, r.reason);
                for (n, v) in &r.headers {
                    let _ = writeln!(out, "< {n}: {v}");
                }
                if !r.body.is_empty() {
                    out.push_str("<\n");
                    for line in r.body.lines() {
                        let _ = writeln!(out, "< {line}");
                    }
                }
            }
        }
        out
    }
}

/// `sec-websocket-key` → `Sec-WebSocket-Key`: how people expect to read header names.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| match part.to_ascii_lowercase().as_str() {
            "websocket" => "WebSocket".to_string(),
            "apim" => "Apim".to_string(),
            p => {
                let mut c = p.chars();
                match c.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Param, Target};

    #[test]
    fn test_trace_masks_secret_query_and_headers() {
        let mut t = Target::new("ws://gw:8080/client/hubs/chat");
        t.query = vec![Param::new("access_token", "tok-SECRET-1"), Param::new("x", "1")];
        t.headers = vec![
            Param::new("Ocp-Apim-Subscription-Key", "key-SECRET-2"),
            Param::new("Authorization", "Bearer jwt-SECRET-3"),
            Param::new("X-Mine", "mine-SECRET-4").secret(),
            Param::new("X-Plain", "plain"),
        ];
        let req = t.request().unwrap();
        let mut trace = HandshakeTrace::from_request(&req, &t.masker());
        let mut h = http::HeaderMap::new();
        h.insert("x-echo", "saw key-SECRET-2".parse().unwrap());
        trace.set_response(401, "Unauthorized", &h, b"token tok-SECRET-1 rejected", &t.masker());
        let text = trace.to_text();
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("> GET /client/hubs/chat?access_token=••••••&x=1 HTTP/1.1"), "{text}");
        assert!(text.contains("> Authorization: Bearer ••••••"), "{text}");
        assert!(text.contains("> X-Plain: plain"), "{text}");
        assert!(text.contains("> Host: gw:8080"), "{text}");
        assert!(text.contains("< HTTP/1.1 401 Unauthorized"), "{text}");
    }

    #[test]
    fn test_canonical_header_names() {
        assert_eq!(canonical("sec-websocket-key"), "Sec-WebSocket-Key");
        assert_eq!(canonical("ocp-apim-subscription-key"), "Ocp-Apim-Subscription-Key");
    }
}
