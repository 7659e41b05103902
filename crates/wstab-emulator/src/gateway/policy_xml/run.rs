//! Running the combined inbound policies on one handshake, recording what each decided.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use http::HeaderMap;
use url::Url;

use super::expr::{self, Collection, CtxValue, Val};
use super::{Kind, Policy, Scoped};
use crate::gateway::access_log::PolicyTraceStep;
use crate::gateway::ratelimit::RateLimiter;
use crate::gateway::response::Refusal;

/// The handshake as the policies see and change it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The client's address.
    pub ip: IpAddr,
    /// The subscription's name (its id too), when a key was given.
    pub subscription: Option<String>,
    /// The API's name.
    pub api: String,
    /// The product whose scope applies.
    pub product: Option<String>,
    /// The request path.
    pub path: String,
    /// The headers (set-header changes them for the backend and later policies).
    pub headers: HeaderMap,
    /// The decoded query (set-query-parameter changes it).
    pub query: Vec<(String, String)>,
    /// Whether a policy changed the query (then it is re-encoded for the backend).
    pub query_changed: bool,
    /// The backend URL (set-backend-service changes it).
    pub backend: Url,
    /// `context.Variables`.
    pub variables: HashMap<String, String>,
}

impl expr::Context for Request {
    fn value(&self, v: &CtxValue) -> Val {
        let s = |s: &str| Val::Str(s.to_string());
        match v {
            CtxValue::SubscriptionId | CtxValue::SubscriptionName => self.subscription.as_deref().map_or(Val::Null, s),
            CtxValue::IpAddress => Val::Str(self.ip.to_string()),
            CtxValue::Method => s("GET"),
            CtxValue::UrlPath => s(&self.path),
            CtxValue::ApiName => s(&self.api),
            CtxValue::ProductName => self.product.as_deref().map_or(Val::Null, s),
            CtxValue::OperationName => s("onHandshake"),
        }
    }

    fn lookup(&self, c: Collection, name: &str) -> Option<String> {
        match c {
            // APIM joins repeated headers with a comma.
            Collection::Headers => {
                let values: Vec<&str> = self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
                (!values.is_empty()).then(|| values.join(","))
            }
            Collection::Query => self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
            Collection::Variables => self.variables.get(name).cloned(),
        }
    }
}

/// The shared state the policies count in.
#[derive(Debug, Default)]
pub struct Counters {
    /// Rate limit windows.
    pub rate: RateLimiter,
    /// Quota windows.
    pub quota: RateLimiter,
}

/// What one policy decided.
pub enum Decision {
    /// Go on; the detail says what it did.
    Continue(String),
    /// Answer the client now (a refusal or a `return-response`).
    Stop(Refusal, String),
}

/// Runs `policies` in order; the refusal that ended the handshake, if any, and the trace.
pub fn run(policies: &[Scoped], req: &mut Request, counters: &Counters) -> (Result<(), Refusal>, Vec<PolicyTraceStep>) {
    let mut trace = Vec::new();
    for s in policies {
        if let Err(r) = run_one(&s.scope, &s.policy, req, counters, &mut trace) {
            return (Err(r), trace);
        }
    }
    (Ok(()), trace)
}

fn run_one(
    scope: &str,
    p: &Policy,
    req: &mut Request,
    counters: &Counters,
    trace: &mut Vec<PolicyTraceStep>,
) -> Result<(), Refusal> {
    let started = Instant::now();
    let step = |outcome: &str, detail: String| PolicyTraceStep {
        scope: scope.to_string(),
        policy: p.name.clone(),
        location: p.location.clone(),
        outcome: outcome.to_string(),
        detail,
        elapsed_us: started.elapsed().as_micros() as u64,
    };
    if let Kind::Choose(whens, otherwise) = &p.kind {
        let taken = whens.iter().position(|(cond, _)| expr::truthy(&expr::eval(cond, req)));
        let (label, branch) = match taken {
            Some(i) => (format!("when #{} matched", i + 1), Some(&whens[i].1)),
            None if otherwise.is_some() => ("otherwise".to_string(), otherwise.as_ref()),
            None => ("no branch matched".to_string(), None),
        };
        trace.push(step("branch", label));
        for inner in branch.into_iter().flatten() {
            run_one(scope, inner, req, counters, trace)?;
        }
        return Ok(());
    }
    let decision = match &p.kind {
        Kind::ValidateJwt(j) => j.run(req),
        Kind::CheckHeader(c) => c.run(req),
        Kind::IpFilter(f) => f.run(req),
        Kind::RateLimit(l) => l.run_rate(req, &p.location, &counters.rate),
        Kind::Quota(l) => l.run_quota(req, &p.location, &counters.quota),
        Kind::SetHeader(s) => s.run_header(req),
        Kind::SetQuery(s) => s.run_query(req),
        Kind::SetBackend(t) => super::transform::run_set_backend(t, req),
        Kind::ReturnResponse(r) => r.run(req),
        Kind::SetVariable(name, value) => {
            let v = value.eval(req);
            req.variables.insert(name.clone(), v);
            Decision::Continue(format!("variable {name} set"))
        }
        Kind::Choose(..) => Decision::Continue(String::new()),
    };
    match decision {
        Decision::Continue(detail) => {
            trace.push(step("passed", detail));
            Ok(())
        }
        Decision::Stop(mut refusal, detail) => {
            let outcome = if p.name == "return-response" { "returned" } else { "refused" };
            trace.push(step(outcome, detail.clone()));
            refusal.reason = format!("{} at {} ({scope}): {detail}", p.name, p.location);
            Err(refusal)
        }
    }
}
