//! A URL the user opens as it is (`wstab URL`, a new entry in the console, the Request pane's
//! URL row edited): checked the way a session will read it, and its query string split into
//! query parameters, so each value can be edited, disabled or masked on its own.
//!
//! ```
//! use wstab_core::request::Request;
//!
//! let r = Request::from_url("ws://127.0.0.1:9/chat?a=1&access_token=T").unwrap();
//! assert_eq!(r.endpoint.url(), "ws://127.0.0.1:9/chat");
//! let names: Vec<&str> = r.query.iter().map(|p| p.name.as_str()).collect();
//! assert_eq!(names, ["a", "access_token"]);
//! assert!(Request::from_url("ftp://h/x").is_err());
//! ```

use crate::connection::{Param, Target, TargetError};

use super::Request;

/// `url` split into the request URL without its query (nor fragment) and the query's
/// parameters, in order and percent-decoded. Refused, with the reason, when a session could not
/// connect to it: it does not parse, has no host, or its scheme is not `ws`, `wss`, `http` or
/// `https` (http and https are kept as typed: the session maps them to ws and wss).
pub fn split_query(url: &str) -> Result<(String, Vec<Param>), TargetError> {
    let text = url.trim();
    // The session's own check, so what is accepted here is what connects.
    Target::new(text).request_url()?;
    let mut parsed = url::Url::parse(text)
        .map_err(|e| TargetError::BadUrl { url: crate::secret::mask_url(text, &[]), reason: e.to_string() })?;
    let query = parsed.query_pairs().map(|(n, v)| Param::new(n, v)).collect();
    parsed.set_query(None);
    parsed.set_fragment(None);
    Ok((parsed.to_string(), query))
}

impl Request {
    /// A request for a URL as the user gave it, its query string split into query parameters
    /// (see [`split_query`]); values of secret names stay secret wherever they are shown.
    pub fn from_url(url: &str) -> Result<Self, TargetError> {
        let (base, query) = split_query(url)?;
        Ok(Self { query, ..Self::to_url(base) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_the_query_is_split_into_decoded_params_in_order() {
        let (base, q) = split_query(" wss://h.example:8443/a/b?x=1&access_token=t%2Bk&flag&x=2#frag ").unwrap();
        assert_eq!(base, "wss://h.example:8443/a/b");
        let pairs: Vec<(&str, &str)> = q.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(pairs, [("x", "1"), ("access_token", "t+k"), ("flag", ""), ("x", "2")]);
        assert!(q[1].is_secret(), "access_token is secret by name");
        let (base, q) = split_query("https://h/p").unwrap();
        assert_eq!((base.as_str(), q.len()), ("https://h/p", 0), "http(s) is kept as typed");
    }

    #[test]
    fn test_a_url_a_session_cannot_use_is_refused_with_the_reason() {
        let bad = |u: &str| split_query(u).unwrap_err().to_string();
        assert!(bad("ftp://h/x").contains("unsupported scheme \"ftp\""), "{}", bad("ftp://h/x"));
        assert!(bad("not a url").contains("invalid URL"), "{}", bad("not a url"));
        assert!(bad("ws://").contains("invalid URL"), "{}", bad("ws://"));
        let secret = bad("ftp://h/x?access_token=hush-77");
        assert!(!secret.contains("hush-77"), "{secret}");
    }

    #[test]
    fn test_words_beyond_the_well_known_secret_names_are_masked_too() {
        for name in ["code", "token", "key", "password", "Ocp-Apim-Subscription-Key", "sig"] {
            assert!(Param::new(name, "v").is_secret(), "{name}");
        }
        assert!(!Param::new("a", "v").is_secret());
    }
}
