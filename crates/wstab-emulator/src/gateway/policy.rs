//! Compiled APIs and their handshake policies, and the checks that run on each handshake.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use subtle::ConstantTimeEq;
use url::Url;

use super::config::{
    CheckHeaderConfig, CompileError, CounterKey, ExistsAction, GatewayConfig, IpFilterAction, IpFilterConfig, KeyNames,
    RateLimitConfig, SetHeaderConfig, SetQueryConfig, Subscription,
};
use super::jwt::JwtPolicy;
use super::policy_xml::{ApiPolicies, load_for_config};
use super::ratelimit::RateLimiter;
use super::response::Refusal;

/// One API ready to serve.
#[derive(Debug, Clone)]
pub struct CompiledApi {
    /// The API id.
    pub name: String,
    /// The suffix without surrounding slashes.
    pub suffix: String,
    /// The backend URL.
    pub backend: Url,
    /// Whether a subscription key is required.
    pub subscription_required: bool,
    /// Where the key is looked up.
    pub key_names: KeyNames,
    ip_filter: Option<IpFilterConfig>,
    rate_limit: Option<RateLimitConfig>,
    jwt: Option<JwtPolicy>,
    check_header: Vec<CheckHeaderConfig>,
    /// Headers set for the backend.
    pub set_header: Vec<SetHeaderConfig>,
    /// Query parameters set for the backend.
    pub set_query: Vec<SetQueryConfig>,
    /// The APIM policy documents that apply (global, product, API, onHandshake), if any.
    pub xml: Option<Arc<ApiPolicies>>,
    /// Query parameter names whose values are masked in logs (worked out once, not per handshake).
    secret_query: Vec<String>,
}

/// Compiles every API of `config` (loading key files), checking what serde cannot.
pub fn compile(config: &GatewayConfig) -> Result<Vec<CompiledApi>, CompileError> {
    let mut apis: Vec<CompiledApi> = Vec::new();
    let mut xml = load_for_config(config)
        .map_err(|(api, e)| CompileError { api, span: None, message: e.message, xml_location: Some(e.location) })?
        .into_iter();
    for api in &config.apis {
        let err = |message: String, span: Option<std::ops::Range<usize>>| CompileError {
            api: api.name.clone(),
            span,
            message,
            xml_location: None,
        };
        let suffix = api.url_suffix.trim_matches('/').to_string();
        if let Some(other) = apis.iter().find(|a| a.suffix == suffix) {
            return Err(err(format!("url_suffix {suffix:?} is already used by api {:?}", other.name), None));
        }
        if let Some(rl) = &api.policies.rate_limit
            && (rl.calls == 0 || rl.renewal_period_secs == 0)
        {
            return Err(err("rate_limit needs calls >= 1 and renewal_period_secs >= 1".into(), None));
        }
        let jwt = match &api.policies.validate_jwt {
            Some(spanned) => Some(
                JwtPolicy::compile(spanned.get_ref(), &config.base_dir)
                    .map_err(|e| err(e.to_string(), Some(spanned.span())))?,
            ),
            None => None,
        };
        for h in &api.policies.set_header {
            HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| err(format!("set_header name {:?} is not a header name", h.name), None))?;
            HeaderValue::from_str(&h.value)
                .map_err(|_| err(format!("set_header {:?} value is not a valid header value", h.name), None))?;
        }
        let mut secret_query = vec![api.subscription_key.query.clone()];
        if let Some(q) = jwt.as_ref().and_then(JwtPolicy::query_name) {
            secret_query.push(q.to_string());
        }
        apis.push(CompiledApi {
            secret_query,
            name: api.name.clone(),
            suffix,
            backend: api.backend.clone(),
            subscription_required: api.subscription_required,
            key_names: api.subscription_key.clone(),
            ip_filter: api.policies.ip_filter.clone(),
            rate_limit: api.policies.rate_limit.clone(),
            jwt,
            check_header: api.policies.check_header.clone(),
            set_header: api.policies.set_header.clone(),
            set_query: api.policies.set_query_parameter.clone(),
            xml: xml.next().filter(|p| !p.is_empty()).map(Arc::new),
        });
    }
    Ok(apis)
}

impl CompiledApi {
    /// Query parameter names whose values must be masked in logs for this API.
    pub fn secret_query_names(&self) -> &[String] {
        &self.secret_query
    }

    /// The subscription check: which subscription the request's key belongs to (`None` when the
    /// API needs none).
    pub fn check_subscription<'a>(
        &self,
        subscriptions: &'a [Subscription],
        query: &[(String, String)],
        headers: &HeaderMap,
    ) -> Result<Option<&'a Subscription>, Refusal> {
        if !self.subscription_required {
            return Ok(None);
        }
        let key = headers
            .get(self.key_names.header.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| query.iter().find(|(n, _)| *n == self.key_names.query).map(|(_, v)| v.clone()))
            .filter(|k| !k.is_empty());
        let Some(key) = key else {
            return Err(Refusal::missing_key());
        };
        let matches = |candidate: &str| bool::from(candidate.as_bytes().ct_eq(key.as_bytes()));
        // Every subscription is compared, so timing does not reveal which one matched.
        let mut found = None;
        for s in subscriptions {
            let hit = matches(&s.primary_key) | s.secondary_key.as_deref().is_some_and(matches);
            if hit && found.is_none() {
                found = Some(s);
            }
        }
        match found {
            Some(s) if s.active => Ok(Some(s)),
            _ => Err(Refusal::invalid_key()),
        }
    }

    /// Runs ip_filter, rate_limit, validate_jwt and check_header, in that order.
    pub fn check_policies(
        &self,
        client: IpAddr,
        subscription: Option<&Subscription>,
        query: &[(String, String)],
        headers: &HeaderMap,
        limiter: &RateLimiter,
    ) -> Result<(), Refusal> {
        if let Some(f) = &self.ip_filter {
            let listed = f.addresses.iter().any(|r| r.contains(client));
            let allowed = match f.action {
                IpFilterAction::Allow => listed,
                IpFilterAction::Forbid => !listed,
            };
            if !allowed {
                return Err(Refusal::json(StatusCode::FORBIDDEN, "Forbidden", "ip_filter refused the client address"));
            }
        }
        if let Some(rl) = &self.rate_limit {
            let counter = match (rl.counter_key, subscription) {
                (CounterKey::Subscription, Some(s)) => format!("{}\0sub\0{}", self.name, s.name),
                _ => format!("{}\0ip\0{client}", self.name),
            };
            if let Err(wait) = limiter.check(&counter, rl.calls, Duration::from_secs(rl.renewal_period_secs)) {
                return Err(Refusal::rate_limited(wait));
            }
        }
        if let Some(jwt) = &self.jwt
            && let Err(super::jwt::Refused { message }) = jwt.check(query, headers)
        {
            let status = StatusCode::from_u16(jwt.failed_status).unwrap_or(StatusCode::UNAUTHORIZED);
            return Err(Refusal::json(status, &message, "validate_jwt failed"));
        }
        for ch in &self.check_header {
            let values: Vec<&str> = headers.get_all(ch.name.as_str()).iter().filter_map(|v| v.to_str().ok()).collect();
            let ok = !values.is_empty()
                && (ch.values.is_empty()
                    || values.iter().any(|v| {
                        ch.values.iter().any(|a| if ch.ignore_case { a.eq_ignore_ascii_case(v) } else { a == v })
                    }));
            if !ok {
                let status = StatusCode::from_u16(ch.failed_status).unwrap_or(StatusCode::UNAUTHORIZED);
                let message = ch
                    .failed_message
                    .clone()
                    .unwrap_or_else(|| format!("Header {} is missing or has a value not accepted.", ch.name));
                return Err(Refusal::json(status, &message, "check_header failed"));
            }
        }
        Ok(())
    }
}

/// Applies `set_header` policies to the headers sent to the backend.
pub fn apply_set_header(headers: &mut HeaderMap, policies: &[SetHeaderConfig]) {
    for p in policies {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(p.name.as_bytes()), HeaderValue::from_str(&p.value)) else {
            continue; // checked at compile time
        };
        match p.exists_action {
            ExistsAction::Override => {
                headers.insert(name, value);
            }
            ExistsAction::Skip => {
                if !headers.contains_key(&name) {
                    headers.insert(name, value);
                }
            }
            ExistsAction::Append => {
                headers.append(name, value);
            }
            ExistsAction::Delete => {
                headers.remove(&name);
            }
        }
    }
}

/// Applies `set_query_parameter` policies to raw `name=value` pieces (kept byte for byte).
pub fn apply_set_query(pieces: &mut Vec<String>, policies: &[SetQueryConfig]) {
    for p in policies {
        let exists = pieces.iter().any(|piece| piece_name(piece) == p.name);
        let encoded = || url::form_urlencoded::Serializer::new(String::new()).append_pair(&p.name, &p.value).finish();
        match p.exists_action {
            ExistsAction::Override => {
                pieces.retain(|piece| piece_name(piece) != p.name);
                pieces.push(encoded());
            }
            ExistsAction::Skip if exists => {}
            ExistsAction::Skip | ExistsAction::Append => pieces.push(encoded()),
            ExistsAction::Delete => pieces.retain(|piece| piece_name(piece) != p.name),
        }
    }
}

/// The decoded name of a raw `name=value` query piece.
pub fn piece_name(piece: &str) -> String {
    url::form_urlencoded::parse(piece.as_bytes()).next().map(|(n, _)| n.into_owned()).unwrap_or_default()
}
