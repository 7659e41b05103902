//! The gateway's refusals: status, APIM-style JSON body, and the reason logged.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// APIM's message for a request without a subscription key.
pub const MISSING_KEY: &str = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
/// APIM's message for an unknown or inactive key.
pub const INVALID_KEY: &str =
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";

/// A handshake the gateway answers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
    /// The body's content type.
    pub content_type: String,
    /// Seconds for `Retry-After`, when set.
    pub retry_after: Option<u64>,
    /// Why, for the log (never a secret).
    pub reason: String,
    /// Other response headers (a `return-response`'s, a renamed `Retry-After`).
    pub headers: Box<[(String, String)]>,
}

impl Refusal {
    /// `{"statusCode": N, "message": "…"}`, as APIM answers.
    pub fn json(status: StatusCode, message: &str, reason: &str) -> Self {
        // Written by hand so `statusCode` comes first, byte for byte as DESIGN.md quotes APIM.
        let quoted = serde_json::to_string(message).unwrap_or_else(|_| "\"\"".into());
        let body = format!("{{\"statusCode\": {}, \"message\": {quoted}}}", status.as_u16());
        Self {
            status,
            body: Bytes::from(body),
            content_type: "application/json".into(),
            retry_after: None,
            reason: reason.to_string(),
            headers: Box::default(),
        }
    }

    /// 404 for a URL no API has.
    pub fn not_found() -> Self {
        Self::json(StatusCode::NOT_FOUND, "Resource not found", "no API has this URL suffix")
    }

    /// 401 without a key.
    pub fn missing_key() -> Self {
        Self::json(StatusCode::UNAUTHORIZED, MISSING_KEY, "missing subscription key")
    }

    /// 401 with a wrong key.
    pub fn invalid_key() -> Self {
        Self::json(StatusCode::UNAUTHORIZED, INVALID_KEY, "invalid subscription key")
    }

    /// 429 with APIM's message and `Retry-After`.
    pub fn rate_limited(wait: Duration) -> Self {
        let secs = wait.as_secs().max(1);
        let mut r = Self::json(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Rate limit is exceeded. Try again in {secs} seconds."),
            "rate_limit exceeded",
        );
        r.retry_after = Some(secs);
        r
    }

    /// A backend's own refusal, passed back unchanged.
    pub fn passthrough(status: StatusCode, body: Bytes, content_type: Option<String>) -> Self {
        Self {
            status,
            body,
            content_type: content_type.unwrap_or_else(|| "text/plain; charset=utf-8".into()),
            retry_after: None,
            reason: format!("backend refused the handshake with {}", status.as_u16()),
            headers: Box::default(),
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut res = crate::wsserver::response(self.status, &self.content_type, self.body);
        if self.content_type.is_empty() {
            res.headers_mut().remove(http::header::CONTENT_TYPE);
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        for (name, value) in &self.headers {
            // Checked when the policy was loaded; a value computed per request may still be invalid.
            if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
                res.headers_mut().append(n, v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_body_is_apims_shape_with_status_code_first() {
        let r = Refusal::not_found();
        assert_eq!(&r.body[..], br#"{"statusCode": 404, "message": "Resource not found"}"#);
        let r = Refusal::json(StatusCode::UNAUTHORIZED, "say \"hi\"", "x");
        assert_eq!(&r.body[..], br#"{"statusCode": 401, "message": "say \"hi\""}"#);
    }
}
