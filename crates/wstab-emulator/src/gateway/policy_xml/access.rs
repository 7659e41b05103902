//! The access-control policies: `validate-jwt`, `check-header`, `ip-filter`, `rate-limit`
//! (`-by-key`) and `quota` (`-by-key`), with APIM's status codes and bodies.

use std::time::Duration;

use http::StatusCode;
use roxmltree::Node;
use serde_json::Value;

use super::expr::{self, Expr};
use super::parse::Src;
use super::run::{Decision, Request};
use super::{Template, XmlError};
use crate::gateway::ipfilter::AddressRange;
use crate::gateway::jwt::{JwtPolicy, SigningKey};
use crate::gateway::ratelimit::RateLimiter;
use crate::gateway::response::Refusal;

/// APIM's body message when no token is found.
pub const JWT_NOT_PRESENT: &str = "JWT not present.";
/// APIM's body message when a token fails validation.
pub const JWT_INVALID: &str = "Invalid JWT.";

/// Where `validate-jwt` finds the token.
#[derive(Debug)]
enum TokenSource {
    Header(String),
    Query(String),
    Value(Template),
}

/// A `required-claims/claim`.
#[derive(Debug)]
struct ClaimRule {
    name: String,
    values: Vec<String>,
    all: bool,
    separator: Option<String>,
}

/// A loaded `validate-jwt`.
#[derive(Debug)]
pub struct Jwt {
    source: TokenSource,
    scheme: Option<String>,
    policy: JwtPolicy,
    claims: Vec<ClaimRule>,
    status: StatusCode,
    message: Option<String>,
    output_variable: Option<String>,
}

fn texts(src: &Src, parent: Node, child: &str) -> Result<Vec<String>, XmlError> {
    let mut out = Vec::new();
    for el in src.elements(parent)? {
        if el.tag_name().name() != child {
            return Err(src.err(
                el,
                format!("<{}> takes <{child}> elements, not <{}>", parent.tag_name().name(), el.tag_name().name()),
            ));
        }
        src.attrs(el, &[])?;
        match src.text(el)? {
            Template::Lit(v) => out.push(v),
            Template::Expr(_) => return Err(src.err(el, format!("<{child}> must be a literal value"))),
        }
    }
    Ok(out)
}

fn status(src: &Src, el: Node, attr: &str, default: u16) -> Result<StatusCode, XmlError> {
    let code = src.number(el, attr)?.unwrap_or(u64::from(default));
    u16::try_from(code)
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .filter(|c| c.as_u16() >= 200)
        .ok_or_else(|| src.err(el, format!("{attr:?} must be an HTTP status code, not {code}")))
}

/// Reads `validate-jwt`.
pub fn parse_jwt(src: &Src, el: Node) -> Result<Jwt, XmlError> {
    src.attrs(
        el,
        &[
            "header-name",
            "query-parameter-name",
            "token-value",
            "failed-validation-httpcode",
            "failed-validation-error-message",
            "require-expiration-time",
            "require-scheme",
            "require-signed-tokens",
            "clock-skew",
            "output-token-variable-name",
        ],
    )?;
    let sources = ["header-name", "query-parameter-name", "token-value"];
    if sources.iter().filter(|a| el.attribute(**a).is_some()).count() > 1 {
        return Err(src.err(el, "<validate-jwt> takes one of header-name, query-parameter-name, token-value"));
    }
    let source = if let Some(q) = src.literal(el, "query-parameter-name")? {
        TokenSource::Query(q.to_string())
    } else if let Some(t) = src.template_attr(el, "token-value")? {
        TokenSource::Value(t)
    } else {
        TokenSource::Header(src.literal(el, "header-name")?.unwrap_or("Authorization").to_string())
    };
    if !src.boolean(el, "require-signed-tokens", true)? {
        return Err(
            src.err(el, "require-signed-tokens=\"false\" is not supported: the emulator only accepts signed tokens")
        );
    }
    let (mut keys, mut audiences, mut issuers, mut claims) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for child in src.elements(el)? {
        match child.tag_name().name() {
            "issuer-signing-keys" => {
                src.attrs(child, &[])?;
                for k in src.elements(child)? {
                    if k.tag_name().name() != "key" {
                        return Err(src.err(k, "<issuer-signing-keys> takes <key> elements"));
                    }
                    src.attrs(k, &["id", "n", "e", "certificate-id"])?;
                    let id = src.literal(k, "id")?.map(str::to_string);
                    if let Some(cert) = src.literal(k, "certificate-id")? {
                        if k.attribute("n").is_some() || k.attribute("e").is_some() || k.has_children() {
                            return Err(src.err(k, "<key certificate-id> takes no n, e or text: the key is the certificate's"));
                        }
                        let Some(spki_pem) = src.certificates.get(cert) else {
                            return Err(src.err(k, format!("certificate-id {cert:?} names a certificate uploaded to APIM, which exports do not carry: give it to the gateway with --certificate {cert}=PEMFILE (or [[certificates]] id = {cert:?} in the gateway TOML)")));
                        };
                        keys.push(SigningKey::Certificate { id, certificate: cert.to_string(), spki_pem: spki_pem.clone() });
                        continue;
                    }
                    keys.push(match (src.literal(k, "n")?, src.literal(k, "e")?) {
                        (Some(n), Some(e)) => SigningKey::Rsa { id, n: n.to_string(), e: e.to_string() },
                        (None, None) => match src.text(k)? {
                            Template::Lit(b) if !b.is_empty() => SigningKey::Symmetric { id, base64: b },
                            _ => return Err(src.err(k, "<key> needs base64 text or n and e attributes")),
                        },
                        _ => return Err(src.err(k, "<key> needs both n and e")),
                    });
                }
            }
            "audiences" => {
                src.attrs(child, &[])?;
                audiences = texts(src, child, "audience")?;
            }
            "issuers" => {
                src.attrs(child, &[])?;
                issuers = texts(src, child, "issuer")?;
            }
            "required-claims" => {
                src.attrs(child, &[])?;
                for c in src.elements(child)? {
                    if c.tag_name().name() != "claim" {
                        return Err(src.err(c, "<required-claims> takes <claim> elements"));
                    }
                    src.attrs(c, &["name", "match", "separator"])?;
                    let all = match src.literal(c, "match")?.unwrap_or("all") {
                        "all" => true,
                        "any" => false,
                        other => return Err(src.err(c, format!("match must be \"all\" or \"any\", not {other:?}"))),
                    };
                    claims.push(ClaimRule {
                        name: src.required(c, "name")?.to_string(),
                        values: texts(src, c, "value")?,
                        all,
                        separator: src.literal(c, "separator")?.map(str::to_string),
                    });
                }
            }
            "openid-config" => {
                return Err(src.err(child, "<openid-config> fetches keys from the identity provider at run time, which the emulator does not do offline: list the keys in <issuer-signing-keys>"));
            }
            other => return Err(src.err(child, format!("<validate-jwt> child <{other}> is not supported (issuer-signing-keys, audiences, issuers, required-claims)"))),
        }
    }
    if keys.is_empty() {
        return Err(src.err(
            el,
            "<validate-jwt> needs <issuer-signing-keys> (the emulator cannot check a signature without keys)",
        ));
    }
    let skew = src.number(el, "clock-skew")?.unwrap_or(0);
    let policy =
        JwtPolicy::from_apim_keys(&keys, &audiences, &issuers, src.boolean(el, "require-expiration-time", true)?, skew)
            .map_err(|e| src.err(el, e.to_string()))?;
    Ok(Jwt {
        source,
        scheme: src.literal(el, "require-scheme")?.map(str::to_string),
        policy,
        claims,
        status: status(src, el, "failed-validation-httpcode", 401)?,
        message: src.literal(el, "failed-validation-error-message")?.map(str::to_string),
        output_variable: src.literal(el, "output-token-variable-name")?.map(str::to_string),
    })
}

fn claim_strings(v: &Value, separator: Option<&str>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => match separator {
            Some(sep) if !sep.is_empty() => one(other).split(sep).map(|s| s.trim().to_string()).collect(),
            _ => vec![one(other)],
        },
    }
}

impl Jwt {
    /// Validates the request's token.
    pub fn run(&self, req: &mut Request) -> Decision {
        let fail = |default: &str, detail: String| {
            let message = self.message.clone().unwrap_or_else(|| default.to_string());
            Decision::Stop(Refusal::json(self.status, &message, ""), detail)
        };
        let (raw, from) = match &self.source {
            TokenSource::Header(h) => (expr::Context::lookup(req, expr::Collection::Headers, h), format!("header {h}")),
            TokenSource::Query(q) => {
                (expr::Context::lookup(req, expr::Collection::Query, q), format!("query parameter {q}"))
            }
            TokenSource::Value(t) => (Some(t.eval(req)), "token-value".to_string()),
        };
        let Some(mut token) = raw.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
            return fail(JWT_NOT_PRESENT, format!("JWT not present in {from}"));
        };
        let scheme =
            self.scheme.clone().or_else(|| matches!(self.source, TokenSource::Header(_)).then(|| "Bearer".into()));
        if let Some(scheme) = scheme {
            match token.split_once(' ') {
                Some((s, rest)) if s.eq_ignore_ascii_case(&scheme) => token = rest.trim().to_string(),
                _ if self.scheme.is_some() => return fail(JWT_INVALID, format!("scheme is not {scheme}")),
                _ => {}
            }
        }
        let claims = match self.policy.validate_token(&token) {
            Ok(c) => c,
            Err(reason) => return fail(JWT_INVALID, format!("JWT validation failed: {reason}")),
        };
        for rule in &self.claims {
            let Some(v) = claims.get(&rule.name) else {
                return fail(JWT_INVALID, format!("required claim {} is missing", rule.name));
            };
            let have = claim_strings(v, rule.separator.as_deref());
            let ok = rule.values.is_empty()
                || if rule.all {
                    rule.values.iter().all(|w| have.contains(w))
                } else {
                    rule.values.iter().any(|w| have.contains(w))
                };
            if !ok {
                let how = if rule.all { "all of" } else { "any of" };
                return fail(JWT_INVALID, format!("claim {} does not hold {how} {:?}", rule.name, rule.values));
            }
        }
        if let Some(var) = &self.output_variable {
            req.variables.insert(var.clone(), claims.to_string());
        }
        let sub = claims.get("sub").and_then(Value::as_str).map(|s| format!(" (sub {s})")).unwrap_or_default();
        Decision::Continue(format!("token from {from} is valid{sub}"))
    }
}

/// A loaded `check-header`.
#[derive(Debug)]
pub struct CheckHeader {
    name: String,
    values: Vec<String>,
    ignore_case: bool,
    status: StatusCode,
    message: String,
}

/// Reads `check-header`.
pub fn parse_check_header(src: &Src, el: Node) -> Result<CheckHeader, XmlError> {
    src.attrs(el, &["name", "failed-check-httpcode", "failed-check-error-message", "ignore-case"])?;
    Ok(CheckHeader {
        name: src.required(el, "name")?.to_string(),
        values: texts(src, el, "value")?,
        ignore_case: src.boolean(el, "ignore-case", false)?,
        status: status(src, el, "failed-check-httpcode", 401)?,
        message: src.required(el, "failed-check-error-message")?.to_string(),
    })
}

impl CheckHeader {
    /// Checks the header.
    pub fn run(&self, req: &Request) -> Decision {
        let values: Vec<&str> =
            req.headers.get_all(self.name.as_str()).iter().filter_map(|v| v.to_str().ok()).collect();
        let ok = !values.is_empty()
            && (self.values.is_empty()
                || values.iter().flat_map(|v| v.split(',')).any(|v| {
                    let v = v.trim();
                    self.values.iter().any(|a| if self.ignore_case { a.eq_ignore_ascii_case(v) } else { a == v })
                }));
        if ok {
            Decision::Continue(format!("header {} accepted", self.name))
        } else {
            let why = if values.is_empty() { "is missing" } else { "has no accepted value" };
            Decision::Stop(Refusal::json(self.status, &self.message, ""), format!("header {} {why}", self.name))
        }
    }
}

/// A loaded `ip-filter`.
#[derive(Debug)]
pub struct IpFilter {
    allow: bool,
    ranges: Vec<AddressRange>,
}

/// Reads `ip-filter`.
pub fn parse_ip_filter(src: &Src, el: Node) -> Result<IpFilter, XmlError> {
    src.attrs(el, &["action"])?;
    let allow = match src.required(el, "action")? {
        "allow" => true,
        "forbid" => false,
        other => return Err(src.err(el, format!("action must be \"allow\" or \"forbid\", not {other:?}"))),
    };
    let mut ranges = Vec::new();
    for a in src.elements(el)? {
        let range = match a.tag_name().name() {
            "address" => {
                src.attrs(a, &[])?;
                match src.text(a)? {
                    Template::Lit(t) => AddressRange::parse(&t).map_err(|e| e.to_string()),
                    Template::Expr(_) => Err("an address must be literal".into()),
                }
            }
            "address-range" => {
                src.attrs(a, &["from", "to"])?;
                AddressRange::parse(&format!("{}-{}", src.required(a, "from")?, src.required(a, "to")?))
                    .map_err(|e| e.to_string())
            }
            other => Err(format!("<ip-filter> takes <address> and <address-range>, not <{other}>")),
        };
        ranges.push(range.map_err(|m| src.err(a, m))?);
    }
    Ok(IpFilter { allow, ranges })
}

impl IpFilter {
    /// Checks the client address.
    pub fn run(&self, req: &Request) -> Decision {
        let listed = self.ranges.iter().any(|r| r.contains(req.ip));
        if listed == self.allow {
            Decision::Continue(format!(
                "{} {}",
                req.ip,
                if listed { "is listed (allow)" } else { "is not listed (forbid)" }
            ))
        } else {
            let why = if listed { "is listed (forbid)" } else { "is not listed (allow)" };
            Decision::Stop(Refusal::json(StatusCode::FORBIDDEN, "Forbidden", ""), format!("caller IP {} {why}", req.ip))
        }
    }
}

/// A loaded `rate-limit(-by-key)` or `quota(-by-key)`.
#[derive(Debug)]
pub struct Limit {
    calls: u32,
    period: Duration,
    key: Option<Template>,
    condition: Option<Expr>,
    count: u32,
    retry_header: Option<String>,
}

/// Reads one of the four limit policies.
pub fn parse_limit(src: &Src, el: Node) -> Result<Limit, XmlError> {
    let name = el.tag_name().name();
    let by_key = name.ends_with("-by-key");
    let quota = name.starts_with("quota");
    let mut allowed = vec!["calls", "renewal-period"];
    if by_key {
        allowed.extend(["counter-key", "increment-condition", "increment-count"]);
    }
    if !quota {
        allowed.push("retry-after-header-name");
    }
    src.attrs(el, &allowed)?;
    if let Some(child) = src.elements(el)?.first() {
        return Err(src.err(
            *child,
            format!("<{name}> per-API/operation children are not supported; put the policy in that API's own document"),
        ));
    }
    let calls = src
        .number(el, "calls")?
        .ok_or_else(|| src.err(el, format!("<{name}> needs \"calls\" (bandwidth quotas are not supported)")))?;
    let period =
        src.number(el, "renewal-period")?.ok_or_else(|| src.err(el, format!("<{name}> needs \"renewal-period\"")))?;
    if calls == 0 || period == 0 || calls > u64::from(u32::MAX) {
        return Err(src.err(el, "calls and renewal-period must be at least 1"));
    }
    let key = if by_key {
        Some(
            src.template_attr(el, "counter-key")?
                .ok_or_else(|| src.err(el, format!("<{name}> needs \"counter-key\"")))?,
        )
    } else {
        None
    };
    let condition = if el.attribute("increment-condition").is_some() {
        Some(src.condition(el, "increment-condition")?)
    } else {
        None
    };
    let count = src.number(el, "increment-count")?.unwrap_or(1).min(u64::from(u32::MAX)) as u32;
    Ok(Limit {
        calls: calls as u32,
        period: Duration::from_secs(period),
        key,
        condition,
        count,
        retry_header: src.literal(el, "retry-after-header-name")?.map(str::to_string),
    })
}

impl Limit {
    fn counter(&self, req: &Request, kind: &str, location: &str) -> (String, String) {
        match &self.key {
            // APIM keeps one counter per key value across every scope the policy is in.
            Some(k) => {
                let v = k.eval(req);
                (format!("{kind}-by-key\0{v}"), format!("key {v:?}"))
            }
            None => {
                let sub = req.subscription.clone().unwrap_or_else(|| "(none)".into());
                (format!("{kind}\0{location}\0{sub}"), format!("subscription {sub}"))
            }
        }
    }

    fn counted(&self, req: &Request) -> bool {
        self.condition.as_ref().is_none_or(|c| expr::truthy(&expr::eval(c, req)))
    }

    /// Runs a rate limit: 429 with `Retry-After` when the window is full.
    pub fn run_rate(&self, req: &Request, location: &str, limiter: &RateLimiter) -> Decision {
        let (key, shown) = self.counter(req, "rate-limit", location);
        match limiter.take(&key, self.calls, self.count, self.counted(req), self.period) {
            Ok(left) => Decision::Continue(format!(
                "counter {shown}: {left} of {} calls left in {} s",
                self.calls,
                self.period.as_secs()
            )),
            Err(wait) => {
                let mut r = Refusal::rate_limited(wait);
                if let Some(h) = &self.retry_header {
                    r.headers = vec![(h.clone(), r.retry_after.take().unwrap_or(1).to_string())].into();
                }
                Decision::Stop(
                    r,
                    format!("counter {shown}: 0 of {} calls left, retry in {} s", self.calls, wait.as_secs().max(1)),
                )
            }
        }
    }

    /// Runs a quota: 403 with APIM's message when used up.
    pub fn run_quota(&self, req: &Request, location: &str, limiter: &RateLimiter) -> Decision {
        let (key, shown) = self.counter(req, "quota", location);
        match limiter.take(&key, self.calls, self.count, self.counted(req), self.period) {
            Ok(left) => Decision::Continue(format!("quota {shown}: {left} of {} calls left", self.calls)),
            Err(wait) => {
                let s = wait.as_secs().max(1);
                let message = format!(
                    "Out of call volume quota. Quota will be replenished in {:02}:{:02}:{:02}.",
                    s / 3600,
                    (s / 60) % 60,
                    s % 60
                );
                Decision::Stop(
                    Refusal::json(StatusCode::FORBIDDEN, &message, ""),
                    format!("quota {shown}: used up, replenished in {s} s"),
                )
            }
        }
    }
}
