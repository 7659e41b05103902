//! Which values are secrets, and how they are masked in traces, logs, errors and on screen.
//!
//! Masking is by name (query parameters and headers whose names are known to carry secrets,
//! plus any a profile marks secret) and by value (a [`Masker`] remembers the secret values of a
//! session, so an error message that happens to quote one is redacted too).

/// Names (case-insensitive) whose values are always secret.
pub const SECRET_NAMES: &[&str] = &[
    "access_token",
    "subscription-key",
    "ocp-apim-subscription-key",
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "sig",
    // What people put in URLs they paste: Azure Functions' `code`, bare `token`, `key`, `password`.
    "code",
    "token",
    "key",
    "password",
];

/// What a masked value is replaced by.
pub const MASK: &str = "••••••";

/// Is `name` (a query parameter or header name) one whose value must never be shown?
pub fn is_secret_name(name: &str, extra: &[String]) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name)) || extra.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Masks a header value, keeping an authorization scheme (`Bearer ••••••`) so the user still sees
/// which kind of credential was sent.
pub fn mask_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, rest)) if !rest.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("{scheme} {MASK}")
        }
        _ => MASK.to_string(),
    }
}

/// Masks the values of secret query parameters in a URL, leaving everything else byte for byte.
/// Works on any string that looks like a URL; text without a query is returned unchanged.
pub fn mask_url(url: &str, extra: &[String]) -> String {
    let url = &mask_userinfo_passwords(url);
    let Some((head, rest)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_name(&decode_name(name), extra) => {
                format!("{name}={MASK}")
            }
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{head}?{}", masked.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Masks the password of every `scheme://user:password@host` in the text: a URL typed with
/// credentials in it (`wss://me:hunter2@host/`) must not show them in a title, a notice or a log.
fn mask_userinfo_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_len =
            after.find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace()).unwrap_or(after.len());
        let authority = &after[..authority_len];
        match authority.rfind('@').and_then(|end| authority[..end].find(':').map(|colon| (colon, end))) {
            Some((colon, end)) if end > colon + 1 => {
                out.push_str(&authority[..=colon]);
                out.push_str(MASK);
                out.push_str(&authority[end..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    out
}

fn decode_name(name: &str) -> String {
    url::form_urlencoded::parse(format!("{name}=").as_bytes())
        .next()
        .map(|(n, _)| n.into_owned())
        .unwrap_or_else(|| name.to_string())
}

/// Remembers the secret values of one session and redacts them from any text, so an error
/// message or a server's echo of a request cannot leak them.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    values: Vec<String>,
    names: Vec<String>,
}

impl Masker {
    /// A masker that also treats `extra_names` as secret names.
    pub fn new(extra_names: Vec<String>) -> Self {
        Self { values: Vec::new(), names: extra_names }
    }

    /// The extra secret names this masker knows (beyond [`SECRET_NAMES`]).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Remembers `value` as secret. Very short values are not remembered: redacting every `1` in a
    /// message would hide more than it protects.
    pub fn add_value(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= 4 && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            // Also redact the percent-encoded form, which is how it appears in a URL.
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            if encoded != value {
                self.values.push(encoded);
            }
            // Longest first, so a value containing another is replaced whole.
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Remembers the value of `name` if the name is secret.
    pub fn add_if_secret(&mut self, name: &str, value: &str) {
        if is_secret_name(name, &self.names) {
            // "Bearer xyz": the credential is the part after the scheme.
            self.add_value(value);
            if let Some((_, cred)) = value.split_once(' ') {
                self.add_value(cred);
            }
        }
    }

    /// `text` with every remembered secret value replaced by [`MASK`], and secret query values
    /// masked by name.
    pub fn redact(&self, text: &str) -> String {
        let mut out = mask_url(text, &self.names);
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        out
    }

    /// Masks a header value if its name is secret.
    pub fn header_value(&self, name: &str, value: &str) -> String {
        if is_secret_name(name, &self.names) { mask_header_value(value) } else { self.redact(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mask_url_masks_a_password_in_the_userinfo() {
        assert_eq!(
            mask_url("wss://me:hunter2@gw.example.net/chat?x=1", &[]),
            format!("wss://me:{MASK}@gw.example.net/chat?x=1")
        );
        // In running text too (an error naming the URL), and a user with no password is kept.
        assert_eq!(
            mask_url("cannot reach ws://a:b@h:1/x, nor ws://only@h/y", &[]),
            format!("cannot reach ws://a:{MASK}@h:1/x, nor ws://only@h/y")
        );
        assert_eq!(mask_url("ws://h:8080/x", &[]), "ws://h:8080/x");
    }

    #[test]
    fn test_mask_url_masks_only_secret_query_values() {
        let url = "wss://gw.example.net/client/hubs/chat?access_token=eyJabc.def&x=1&subscription-key=k123#frag";
        assert_eq!(
            mask_url(url, &[]),
            format!("wss://gw.example.net/client/hubs/chat?access_token={MASK}&x=1&subscription-key={MASK}#frag")
        );
    }

    #[test]
    fn test_mask_url_honours_extra_names_case_insensitively() {
        let url = "ws://h/p?My-Secret=v&other=w";
        assert_eq!(mask_url(url, &["my-secret".into()]), format!("ws://h/p?My-Secret={MASK}&other=w"));
        assert_eq!(mask_url("ws://h/p", &[]), "ws://h/p");
    }

    #[test]
    fn test_authorization_keeps_scheme() {
        assert_eq!(mask_header_value("Bearer abc.def.ghi"), format!("Bearer {MASK}"));
        assert_eq!(mask_header_value("abcdef"), MASK);
    }

    #[test]
    fn test_masker_redacts_values_anywhere() {
        let mut m = Masker::default();
        m.add_if_secret("Authorization", "Bearer tok/en+1");
        m.add_if_secret("x-plain", "visible");
        let text = "error: server said tok/en+1 and tok%2Fen%2B1 with visible";
        assert_eq!(m.redact(text), format!("error: server said {MASK} and {MASK} with visible"));
    }
}
