//! What a JWT says, for showing on demand: decoded (not verified) claims and the time left.
//!
//! Verification is the server's job; the console only helps the user see which token they are
//! about to send and whether it has expired.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::Value;

/// The claims a user looks at first.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtView {
    /// The `alg` of the header.
    pub alg: String,
    /// `aud` (a string, or the array joined with ", ").
    pub aud: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `iss`.
    pub iss: Option<String>,
    /// `exp` as Unix seconds.
    pub exp: Option<i64>,
    /// `role` / `roles` claims.
    pub roles: Vec<String>,
    /// Every claim, pretty-printed JSON.
    pub claims_json: String,
}

/// Decodes `value` if it looks like a JWT (three base64url parts, a JSON header with `alg`).
/// A `Bearer ` prefix is accepted.
pub fn decode(value: &str) -> Option<JwtView> {
    let token = value.trim().strip_prefix("Bearer ").unwrap_or(value.trim());
    let mut parts = token.split('.');
    let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&engine.decode(h.trim_end_matches('=')).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&engine.decode(p.trim_end_matches('=')).ok()?).ok()?;
    let alg = header.get("alg")?.as_str()?.to_string();
    let string_or_list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    let aud = string_or_list(claims.get("aud"));
    let mut roles = string_or_list(claims.get("role"));
    roles.extend(string_or_list(claims.get("roles")));
    Some(JwtView {
        alg,
        aud: (!aud.is_empty()).then(|| aud.join(", ")),
        sub: claims.get("sub").and_then(Value::as_str).map(str::to_string),
        iss: claims.get("iss").and_then(Value::as_str).map(str::to_string),
        exp: claims.get("exp").and_then(Value::as_i64),
        roles,
        claims_json: serde_json::to_string_pretty(&claims).unwrap_or_default(),
    })
}

impl JwtView {
    /// Seconds until expiry at `now` (negative once expired); `None` without `exp`.
    pub fn seconds_left(&self, now: SystemTime) -> Option<i64> {
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        self.exp.map(|exp| exp - now)
    }

    /// True when `exp` is in the past at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.seconds_left(now).is_some_and(|s| s <= 0)
    }

    /// `expires in 59m 12s` / `expired 3m 4s ago` / `no expiry`.
    pub fn expiry_text(&self, now: SystemTime) -> String {
        match self.seconds_left(now) {
            None => "no expiry".into(),
            Some(s) if s > 0 => format!("expires in {}", human(s)),
            Some(s) => format!("expired {} ago", human(-s)),
        }
    }
}

/// `1h 5m`, `1h` (not `1h 0m`), `59m 59s`, `2m`, `7s`: the two largest units, a zero second one left out.
fn human(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn test_a_duration_leaves_out_a_zero_second_unit() {
        assert_eq!([3600, 3900, 3599, 120, 7, 0].map(human), ["1h", "1h 5m", "59m 59s", "2m", "7s", "0s"]);
    }

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"HS256","typ":"JWT"}"#), e.encode(claims))
    }

    #[test]
    fn test_decodes_claims_and_expiry() {
        let v = decode(&format!(
            "Bearer {}",
            jwt(r#"{"aud":"https://x/client/hubs/chat","sub":"alice","exp":10000,"role":["webpubsub.sendToGroup"]}"#)
        ))
        .unwrap();
        assert_eq!(v.alg, "HS256");
        assert_eq!(v.aud.as_deref(), Some("https://x/client/hubs/chat"));
        assert_eq!(v.sub.as_deref(), Some("alice"));
        assert_eq!(v.roles, ["webpubsub.sendToGroup"]);
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(v.expiry_text(at(10000 - 3599)), "expires in 59m 59s");
        assert!(!v.is_expired(at(9999)));
        assert!(v.is_expired(at(10000)));
        assert_eq!(v.expiry_text(at(10000 + 7300)), "expired 2h 1m ago");
    }

    #[test]
    fn test_non_jwts_are_not_decoded() {
        assert!(decode("0123456789abcdef").is_none());
        assert!(decode("a.b.c").is_none());
        assert!(decode("").is_none());
    }
}
