//! The transformation policies on a handshake: `set-header`, `set-query-parameter`,
//! `set-backend-service` and `return-response`.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use roxmltree::Node;
use url::Url;

use super::parse::Src;
use super::run::{Decision, Request};
use super::{Template, XmlError};
use crate::gateway::response::Refusal;

/// What `exists-action` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exists {
    /// Replace.
    Override,
    /// Keep the existing value.
    Skip,
    /// Add.
    Append,
    /// Remove.
    Delete,
}

/// A loaded `set-header` or `set-query-parameter`.
#[derive(Debug)]
pub struct SetNamed {
    /// The header or parameter.
    pub name: String,
    /// What to do when it exists.
    pub exists: Exists,
    /// The values (one per `<value>`).
    pub values: Vec<Template>,
}

/// Reads `set-header` (`header` true) or `set-query-parameter`.
pub fn parse_set_named(src: &Src, el: Node, header: bool) -> Result<SetNamed, XmlError> {
    src.attrs(el, &["name", "exists-action"])?;
    let name = src.required(el, "name")?.to_string();
    if header && HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(src.err(el, format!("{name:?} is not a header name")));
    }
    let exists = match src.literal(el, "exists-action")?.unwrap_or("override") {
        "override" => Exists::Override,
        "skip" => Exists::Skip,
        "append" => Exists::Append,
        "delete" => Exists::Delete,
        other => {
            return Err(src.err(el, format!("exists-action must be override, skip, append or delete, not {other:?}")));
        }
    };
    let mut values = Vec::new();
    for v in src.elements(el)? {
        if v.tag_name().name() != "value" {
            return Err(src.err(v, format!("<{}> takes <value> elements", el.tag_name().name())));
        }
        src.attrs(v, &[])?;
        let t = src.text(v)?;
        if let (true, Template::Lit(text)) = (header, &t)
            && HeaderValue::from_str(text).is_err()
        {
            return Err(src.err(v, "not a valid header value"));
        }
        values.push(t);
    }
    if values.is_empty() && exists != Exists::Delete {
        return Err(src.err(el, format!("<{}> needs a <value> unless exists-action=\"delete\"", el.tag_name().name())));
    }
    Ok(SetNamed { name, exists, values })
}

impl SetNamed {
    /// Applies a `set-header` to the request headers.
    pub fn run_header(&self, req: &mut Request) -> Decision {
        let Ok(name) = HeaderName::from_bytes(self.name.as_bytes()) else {
            return Decision::Continue("invalid name (checked at load)".into());
        };
        let exists = req.headers.contains_key(&name);
        let values: Vec<HeaderValue> =
            self.values.iter().filter_map(|v| HeaderValue::from_str(&v.eval(req)).ok()).collect();
        let what = match (self.exists, exists) {
            (Exists::Delete, _) => {
                req.headers.remove(&name);
                "deleted"
            }
            (Exists::Skip, true) => "kept (exists)",
            (Exists::Append, _) => {
                values.into_iter().for_each(|v| {
                    req.headers.append(name.clone(), v);
                });
                "appended"
            }
            _ => {
                req.headers.remove(&name);
                values.into_iter().for_each(|v| {
                    req.headers.append(name.clone(), v);
                });
                "set"
            }
        };
        Decision::Continue(format!("header {} {what}", self.name))
    }

    /// Applies a `set-query-parameter` to the query.
    pub fn run_query(&self, req: &mut Request) -> Decision {
        let exists = req.query.iter().any(|(n, _)| *n == self.name);
        let values: Vec<String> = self.values.iter().map(|v| v.eval(req)).collect();
        let what = match (self.exists, exists) {
            (Exists::Delete, _) => {
                req.query.retain(|(n, _)| *n != self.name);
                "deleted"
            }
            (Exists::Skip, true) => "kept (exists)",
            (Exists::Append, _) => {
                req.query.extend(values.into_iter().map(|v| (self.name.clone(), v)));
                "appended"
            }
            _ => {
                req.query.retain(|(n, _)| *n != self.name);
                req.query.extend(values.into_iter().map(|v| (self.name.clone(), v)));
                "set"
            }
        };
        req.query_changed = true;
        Decision::Continue(format!("query parameter {} {what}", self.name))
    }
}

/// Why a backend URL cannot be a WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendUrlError {
    /// Not a URL at all.
    #[error("{text:?} is not a URL: {source}")]
    Parse {
        /// The URL as written.
        text: String,
        /// What the URL parser said.
        source: url::ParseError,
    },
    /// A scheme other than ws, wss, http or https.
    #[error("{text:?}: scheme {scheme} is not ws, wss, http or https")]
    Scheme {
        /// The URL as written.
        text: String,
        /// Its scheme.
        scheme: String,
    },
    /// A URL whose scheme cannot be changed to ws or wss (no host).
    #[error("{0:?}: cannot use as a WebSocket URL")]
    NotWebSocket(String),
}

/// A WebSocket URL from a `base-url`: `http(s)://` becomes `ws(s)://`.
pub fn ws_url(text: &str) -> Result<Url, BackendUrlError> {
    let mut url =
        Url::parse(text.trim()).map_err(|source| BackendUrlError::Parse { text: text.to_string(), source })?;
    let scheme = match url.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => return Err(BackendUrlError::Scheme { text: text.to_string(), scheme: other.to_string() }),
    };
    url.set_scheme(scheme).map_err(|_| BackendUrlError::NotWebSocket(text.to_string()))?;
    Ok(url)
}

/// Reads `set-backend-service`.
pub fn parse_set_backend(src: &Src, el: Node) -> Result<Template, XmlError> {
    src.attrs(el, &["base-url", "backend-id"])?;
    if el.attribute("backend-id").is_some() {
        return Err(src.err(el, "backend-id names a backend entity in APIM, which the emulator does not read: use base-url (or --backend API=URL)"));
    }
    let t = src.template_attr(el, "base-url")?.ok_or_else(|| src.err(el, "<set-backend-service> needs base-url"))?;
    if let Template::Lit(text) = &t {
        ws_url(text).map_err(|m| src.err(el, m.to_string()))?;
    }
    Ok(t)
}

/// Applies `set-backend-service`.
pub fn run_set_backend(t: &Template, req: &mut Request) -> Decision {
    let text = t.eval(req);
    match ws_url(&text) {
        Ok(url) => {
            req.backend = url;
            let mut shown = req.backend.clone();
            shown.set_query(None);
            Decision::Continue(format!("backend is now {shown}"))
        }
        Err(m) => Decision::Stop(
            Refusal::json(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", ""),
            format!("set-backend-service: {m}"),
        ),
    }
}

/// A loaded `return-response`.
#[derive(Debug)]
pub struct ReturnResponse {
    status: StatusCode,
    headers: Vec<SetNamed>,
    body: Option<Template>,
}

/// Reads `return-response`.
pub fn parse_return_response(src: &Src, el: Node) -> Result<ReturnResponse, XmlError> {
    src.attrs(el, &[])?;
    let mut out = ReturnResponse { status: StatusCode::OK, headers: Vec::new(), body: None };
    for child in src.elements(el)? {
        match child.tag_name().name() {
            "set-status" => {
                src.attrs(child, &["code", "reason"])?;
                let code = src.number(child, "code")?.ok_or_else(|| src.err(child, "<set-status> needs code"))?;
                out.status = u16::try_from(code)
                    .ok()
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .filter(|c| c.as_u16() >= 200)
                    .ok_or_else(|| src.err(child, format!("{code} is not a final HTTP status")))?;
            }
            "set-header" => out.headers.push(parse_set_named(src, child, true)?),
            "set-body" => {
                src.attrs(child, &[])?;
                out.body = Some(src.text(child)?);
            }
            other => {
                return Err(src.err(
                    child,
                    format!("<return-response> takes set-status, set-header and set-body, not <{other}>"),
                ));
            }
        }
    }
    Ok(out)
}

impl ReturnResponse {
    /// Builds the response.
    pub fn run(&self, req: &Request) -> Decision {
        let mut content_type = String::new();
        let mut headers = Vec::new();
        for h in &self.headers {
            if h.exists == Exists::Delete {
                continue;
            }
            for v in &h.values {
                let value = v.eval(req);
                if h.name.eq_ignore_ascii_case("content-type") {
                    content_type = value;
                } else {
                    headers.push((h.name.clone(), value));
                }
            }
        }
        let body = self.body.as_ref().map(|b| b.eval(req)).unwrap_or_default();
        let refusal = Refusal {
            status: self.status,
            body: Bytes::from(body),
            content_type,
            retry_after: None,
            reason: String::new(),
            headers: headers.into(),
        };
        Decision::Stop(refusal, format!("answered {} itself", self.status.as_u16()))
    }
}
