//! A Web PubSub **Client Access URL** pasted where only its token belongs.
//!
//! The article's workflow: copy the Client Access URL from Web PubSub's Keys tab
//! (`wss://<name>.webpubsub.azure.com/client/hubs/<hub>?access_token=<jwt>`), take just its
//! `access_token` into the request's query parameters, and keep connecting through the API's
//! gateway URL. Every front end does that through this module:
//!
//! ```
//! use wstab_core::request::ClientAccessUrl;
//!
//! let pasted = "wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token=eyJ.a.b";
//! let cau = ClientAccessUrl::parse(pasted).unwrap();
//! assert_eq!(cau.token, "eyJ.a.b");
//! assert_eq!(cau.hub.as_deref(), Some("chat"));
//! // The API this token is meant for: the same hub, so no warning.
//! assert!(cau.hub_mismatch("client/hubs/chat").is_none());
//! assert!(cau.hub_mismatch("wss://gw.example.net/client/hubs/news").is_some());
//! ```
//!
//! [`ClientAccessUrl::note`] is the line to show (`took access_token from the pasted URL (hub
//! chat, expires in 59m)`) and [`HubMismatch`]'s `Display` the warning; neither ever contains
//! the token.

use std::time::SystemTime;

use crate::connection::Param;
use crate::jwt_claims;
use crate::profile::webpubsub::hub_of;

/// The query parameter that carries a Web PubSub client token.
pub const ACCESS_TOKEN: &str = "access_token";

/// What a pasted Client Access URL carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAccessUrl {
    /// The `access_token` value, percent-decoded (a secret: never print it).
    pub token: String,
    /// The hub, from the path's `/client/hubs/<hub>`; `None` when the path has no hub.
    pub hub: Option<String>,
    /// The token's `exp` (Unix seconds), decoded, not verified; `None` when it is not a JWT or
    /// has no `exp`.
    pub expires_at: Option<i64>,
}

/// Why a pasted text is not a Client Access URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientAccessUrlError {
    /// The text does not parse as a URL.
    #[error("the pasted text is not a URL ({reason})")]
    NotUrl {
        /// What the URL parser said.
        reason: String,
    },
    /// The URL has no `access_token` query parameter (or an empty one).
    #[error("the pasted URL has no access_token query parameter")]
    NoToken,
}

/// The pasted URL names another hub than the API the token is for: APIM would pass the token to
/// the API's hub, whose audience it is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the pasted URL is for hub {pasted:?} but this API is hub {api:?}: APIM would pass it to the wrong hub and \
     Web PubSub would answer 401 (wrong audience)"
)]
pub struct HubMismatch {
    /// The hub of the pasted URL.
    pub pasted: String,
    /// The hub of the API's URL suffix.
    pub api: String,
}

impl ClientAccessUrl {
    /// Reads a pasted URL (surrounding whitespace ignored; `ws`, `wss`, `http` or `https`).
    pub fn parse(text: &str) -> Result<Self, ClientAccessUrlError> {
        let url = url::Url::parse(text.trim()).map_err(|e| ClientAccessUrlError::NotUrl { reason: e.to_string() })?;
        let token = url
            .query_pairs()
            .find(|(name, _)| name == ACCESS_TOKEN)
            .map(|(_, value)| value.into_owned())
            .filter(|v| !v.is_empty())
            .ok_or(ClientAccessUrlError::NoToken)?;
        let hub = hub_of(url.path()).map(str::to_string);
        let expires_at = jwt_claims::decode(&token).and_then(|v| v.exp);
        Ok(Self { token, hub, expires_at })
    }

    /// Whether `text` looks like a Client Access URL at all (a URL carrying a non-empty
    /// `access_token`): for a paste handler deciding whether to take the token out.
    pub fn is_client_access_url(text: &str) -> bool {
        Self::parse(text).is_ok()
    }

    /// Compares the pasted URL's hub with the API's: `api` is the API's URL suffix
    /// (`client/hubs/chat`) or its full URL. `None` when they agree, or when either names no
    /// hub (nothing to compare).
    pub fn hub_mismatch(&self, api: &str) -> Option<HubMismatch> {
        let pasted = self.hub.as_deref()?;
        let api = hub_of(api)?;
        (pasted != api).then(|| HubMismatch { pasted: pasted.to_string(), api: api.to_string() })
    }

    /// Puts just the token into `query`'s `access_token` parameter (marked secret): replaced
    /// where it stands, so the query keeps the order the user gave it (and whether it is
    /// required), or added at the end. Returns the parameter's index.
    pub fn put_token_into(&self, query: &mut Vec<Param>) -> usize {
        let token = Param::new(ACCESS_TOKEN, self.token.clone()).secret();
        match query.iter().position(|p| p.name == ACCESS_TOKEN) {
            Some(i) => {
                query[i] = Param { required: query[i].required, ..token };
                i
            }
            None => {
                query.push(token);
                query.len() - 1
            }
        }
    }

    /// `took access_token from the pasted URL (hub chat, expires in 59m)`: what to tell the
    /// user, without the token.
    pub fn note(&self, now: SystemTime) -> String {
        let mut facts = Vec::new();
        if let Some(hub) = &self.hub {
            facts.push(format!("hub {hub}"));
        }
        if let Some(exp) = self.expires_at {
            let now = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default();
            let left = exp - now;
            facts.push(if left > 0 {
                format!("expires in {}", coarse(left))
            } else {
                format!("expired {} ago", coarse(-left))
            });
        }
        let facts = if facts.is_empty() { String::new() } else { format!(" ({})", facts.join(", ")) };
        format!("took {ACCESS_TOKEN} from the pasted URL{facts}")
    }
}

/// `59m`, `1h 5m`, `42s`: to the minute, as a person reads an expiry at a glance.
fn coarse(secs: i64) -> String {
    match (secs / 3600, secs % 3600 / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::time::Duration;

    fn jwt(exp: i64) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"HS256"}"#), e.encode(format!(r#"{{"exp":{exp}}}"#)))
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn test_takes_the_token_hub_and_expiry_from_a_client_access_url() {
        let token = jwt(10_000);
        let pasted = format!("  wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}&x=1\n");
        let cau = ClientAccessUrl::parse(&pasted).unwrap();
        assert_eq!(cau.token, token);
        assert_eq!(cau.hub.as_deref(), Some("chat"));
        assert_eq!(cau.expires_at, Some(10_000));
        let note = cau.note(at(10_000 - 3540));
        assert_eq!(note, "took access_token from the pasted URL (hub chat, expires in 59m)");
        assert!(!note.contains(&token));
        assert_eq!(cau.note(at(10_120)), "took access_token from the pasted URL (hub chat, expired 2m ago)");
    }

    #[test]
    fn test_a_percent_encoded_opaque_token_is_decoded_and_has_no_expiry() {
        let cau = ClientAccessUrl::parse("https://h/other/path?access_token=a%2Bb%3D").unwrap();
        assert_eq!(cau.token, "a+b=");
        assert_eq!(cau.hub, None);
        assert_eq!(cau.expires_at, None);
        assert_eq!(cau.note(at(0)), "took access_token from the pasted URL");
    }

    #[test]
    fn test_text_without_a_token_is_refused_with_the_reason() {
        assert_eq!(ClientAccessUrl::parse("wss://h/client/hubs/chat?a=1"), Err(ClientAccessUrlError::NoToken));
        assert_eq!(
            ClientAccessUrl::parse("wss://h/client/hubs/chat?access_token="),
            Err(ClientAccessUrlError::NoToken)
        );
        assert!(matches!(ClientAccessUrl::parse("eyJhbGciOi.x.y"), Err(ClientAccessUrlError::NotUrl { .. })));
        assert!(!ClientAccessUrl::is_client_access_url("just a token"));
    }

    #[test]
    fn test_a_token_for_another_hub_than_the_api_is_warned_about() {
        let cau = ClientAccessUrl::parse("wss://x/client/hubs/chat?access_token=t").unwrap();
        assert_eq!(cau.hub_mismatch("client/hubs/chat"), None);
        assert_eq!(cau.hub_mismatch("wss://gw/client/hubs/chat/"), None);
        assert_eq!(cau.hub_mismatch("echo"), None, "an API without a hub has nothing to compare");
        let w = cau.hub_mismatch("ws://127.0.0.1:7880/client/hubs/news").unwrap();
        assert_eq!(w, HubMismatch { pasted: "chat".into(), api: "news".into() });
        let text = w.to_string();
        assert!(
            text.contains("APIM would pass it to the wrong hub") && text.contains("401 (wrong audience)"),
            "{text}"
        );
    }
}
