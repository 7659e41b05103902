//! APIM policy documents (`<policies><inbound>…<base />…</inbound>…</policies>`) on the
//! `onHandshake` of WebSocket APIs: loaded at the scopes APIM has (global, product, API,
//! operation), combined through `<base />`, and run on each handshake with a trace.
//!
//! Only the policies and expression forms listed in the README are accepted; every other one is
//! an error naming `file:line:col`, so what runs locally is what the document says.

pub mod access;
pub mod apim_dir;
pub mod certificates;
pub mod expr;
pub mod parse;
pub mod run;
#[cfg(test)]
mod tests;
pub mod transform;

use std::path::Path;
use std::sync::Arc;

pub use certificates::Certificates;
pub use parse::{parse_document, parse_document_with};

/// Largest policy document read (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 512 * 1024;
/// Deepest element nesting accepted (APIM documents rarely pass 8).
pub const MAX_DEPTH: usize = 32;
/// Largest attribute value or element text (bytes).
pub const MAX_ATTRIBUTE_BYTES: usize = 16 * 1024;
/// Most XML nodes in one document.
pub const MAX_NODES: u32 = 20_000;

/// A policy document that cannot be used, located as `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct XmlError {
    /// `file:line:col` (or the file alone).
    pub location: String,
    /// What is wrong, unsupported or refused.
    pub message: String,
}

/// A value written literally or as an `@(…)` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// Literal text.
    Lit(String),
    /// An expression.
    Expr(expr::Expr),
}

impl Template {
    /// The value for this request.
    pub fn eval(&self, ctx: &dyn expr::Context) -> String {
        match self {
            Template::Lit(s) => s.clone(),
            Template::Expr(e) => expr::eval(e, ctx).text(),
        }
    }
}

/// One policy at its place in a document.
#[derive(Debug)]
pub struct Policy {
    /// The element name (`validate-jwt`…).
    pub name: String,
    /// `file:line:col` of the element.
    pub location: String,
    /// What it does.
    pub kind: Kind,
}

/// The supported policies.
#[derive(Debug)]
pub enum Kind {
    /// `validate-jwt`.
    ValidateJwt(Box<access::Jwt>),
    /// `check-header`.
    CheckHeader(access::CheckHeader),
    /// `ip-filter`.
    IpFilter(access::IpFilter),
    /// `rate-limit` / `rate-limit-by-key`.
    RateLimit(access::Limit),
    /// `quota` / `quota-by-key`.
    Quota(access::Limit),
    /// `set-header`.
    SetHeader(transform::SetNamed),
    /// `set-query-parameter`.
    SetQuery(transform::SetNamed),
    /// `set-backend-service base-url`.
    SetBackend(Template),
    /// `return-response`.
    ReturnResponse(transform::ReturnResponse),
    /// `set-variable`.
    SetVariable(String, Template),
    /// `choose`: the `when` branches in order, then `otherwise`.
    Choose(Vec<(expr::Expr, Vec<Arc<Policy>>)>, Option<Vec<Arc<Policy>>>),
}

/// An entry of a section: a policy, or `<base />` (the enclosing scope's section).
#[derive(Debug, Clone)]
pub enum Step {
    /// `<base />`.
    Base,
    /// A policy.
    Policy(Arc<Policy>),
}

/// One scope's document: its `inbound` section (what runs on a handshake).
#[derive(Debug)]
pub struct ScopeDoc {
    /// `global`, `product starter`, `api echo`, `operation onHandshake`.
    pub scope: String,
    /// The file it came from.
    pub file: String,
    /// The inbound section.
    pub inbound: Vec<Step>,
}

impl ScopeDoc {
    /// Reads and checks one policy file for `scope`; `certificates` are those its
    /// `certificate-id`s may name.
    pub fn load(path: &Path, scope: &str, certificates: &Certificates) -> Result<Self, XmlError> {
        let shown = path.display().to_string();
        let err = |message: String| XmlError { location: shown.clone(), message };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read policy file: {e}")))?;
        if meta.len() > MAX_DOCUMENT_BYTES as u64 {
            return Err(err(format!("policy file is larger than {MAX_DOCUMENT_BYTES} bytes")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read policy file: {e}")))?;
        parse_document_with(&shown, &text, scope, certificates)
    }
}

/// A policy with the scope it comes from, in run order.
#[derive(Debug, Clone)]
pub struct Scoped {
    /// The scope.
    pub scope: String,
    /// The policy.
    pub policy: Arc<Policy>,
}

/// The documents that apply to one API.
#[derive(Debug, Clone, Default)]
pub struct ApiPolicies {
    /// The global document.
    pub global: Option<Arc<ScopeDoc>>,
    /// The products holding the API, with their documents (if any).
    pub products: Vec<(String, Option<Arc<ScopeDoc>>)>,
    /// The API's document.
    pub api: Option<Arc<ScopeDoc>>,
    /// The `onHandshake` operation's document.
    pub operation: Option<Arc<ScopeDoc>>,
    /// Which product each subscription belongs to (among the products holding the API).
    pub subscriptions: Vec<(String, String)>,
}

impl ApiPolicies {
    /// Whether any document applies.
    pub fn is_empty(&self) -> bool {
        self.global.is_none()
            && self.api.is_none()
            && self.operation.is_none()
            && self.products.iter().all(|(_, d)| d.is_none())
    }

    /// The product whose scope applies: the subscription's when it holds the API, else the
    /// first product holding it (a local key belongs to no product).
    pub fn product_for<'a>(&'a self, subscription: Option<&str>) -> Option<&'a str> {
        let named = subscription
            .and_then(|s| self.subscriptions.iter().find(|(n, _)| n == s))
            .and_then(|(_, p)| self.products.iter().find(|(n, _)| n == p));
        named.or(self.products.first()).map(|(n, _)| n.as_str())
    }

    /// The inbound policies in run order: each scope's section with `<base />` replaced by the
    /// enclosing scope's (a scope without a document is `<base />` alone), as APIM combines them.
    pub fn effective(&self, product: Option<&str>) -> Vec<Scoped> {
        let product_doc = product.and_then(|p| self.products.iter().find(|(n, _)| n == p)).and_then(|(_, d)| d.clone());
        let chain = [self.global.clone(), product_doc, self.api.clone(), self.operation.clone()];
        let mut out = Vec::new();
        expand(&chain, chain.len(), &mut out);
        out
    }
}

fn expand(chain: &[Option<Arc<ScopeDoc>>], level: usize, out: &mut Vec<Scoped>) {
    let Some(i) = level.checked_sub(1) else {
        return;
    };
    let Some(doc) = &chain[i] else {
        return expand(chain, i, out);
    };
    for step in &doc.inbound {
        match step {
            Step::Base => expand(chain, i, out),
            Step::Policy(p) => out.push(Scoped { scope: doc.scope.clone(), policy: p.clone() }),
        }
    }
}

/// Loads every policy document a config names, per API (in `config.apis` order).
pub fn load_for_config(config: &crate::gateway::GatewayConfig) -> Result<Vec<ApiPolicies>, (String, XmlError)> {
    let certs = certificates::load(&config.certificates, &config.base_dir).map_err(|e| (String::new(), e))?;
    let load = |p: &Path, scope: String| ScopeDoc::load(&config.base_dir.join(p), &scope, &certs).map(Arc::new);
    let global = match &config.policy_xml {
        Some(p) => Some(load(p, "global".into()).map_err(|e| (String::new(), e))?),
        None => None,
    };
    let mut products = Vec::new();
    for product in &config.products {
        let fail =
            |message: String| (String::new(), XmlError { location: format!("product {:?}", product.name), message });
        for api in &product.apis {
            if !config.apis.iter().any(|a| a.name == *api) {
                return Err(fail(format!("holds api {api:?}, which is not defined")));
            }
        }
        let doc = match &product.policy_xml {
            Some(p) => Some(load(p, format!("product {}", product.name)).map_err(|e| (String::new(), e))?),
            None => None,
        };
        products.push((product, doc));
    }
    let mut out = Vec::new();
    for api in &config.apis {
        let doc = |p: &Option<std::path::PathBuf>, scope: String| match p {
            Some(p) => load(p, scope).map(Some).map_err(|e| (api.name.clone(), e)),
            None => Ok(None),
        };
        let holding: Vec<_> = products.iter().filter(|(p, _)| p.apis.contains(&api.name)).collect();
        out.push(ApiPolicies {
            global: global.clone(),
            products: holding.iter().map(|(p, d)| (p.name.clone(), d.clone())).collect(),
            subscriptions: holding
                .iter()
                .flat_map(|(p, _)| p.subscriptions.iter().map(|s| (s.clone(), p.name.clone())))
                .collect(),
            api: doc(&api.policies.xml, format!("api {}", api.name))?,
            operation: doc(&api.policies.on_handshake_xml, "operation onHandshake".into())?,
        });
    }
    Ok(out)
}
