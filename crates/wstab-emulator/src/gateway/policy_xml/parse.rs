//! Reading a policy document with `roxmltree`: the `<policies>` sections, `<base />`, each
//! policy element, and the helpers the policy parsers share (locations, attributes, values).

use std::sync::Arc;

use roxmltree::{Document, Node, ParsingOptions};

use super::expr;
use super::{
    Kind, MAX_ATTRIBUTE_BYTES, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_NODES, Policy, ScopeDoc, Step, Template, XmlError,
};

/// Policies APIM refuses on a WebSocket API's `onHandshake`, with why.
const REFUSED: &[(&str, &str)] = &[
    ("mock-response", "a handshake cannot be mocked: the backend's upgrade answers it"),
    ("cache-lookup", "a WebSocket handshake is not cacheable"),
    ("cache-store", "a WebSocket handshake is not cacheable"),
    ("cache-lookup-value", "a WebSocket handshake is not cacheable"),
    ("cache-store-value", "a WebSocket handshake is not cacheable"),
    ("cache-remove-value", "a WebSocket handshake is not cacheable"),
    ("cors", "cross-origin rules do not apply to a WebSocket upgrade"),
    ("jsonp", "a WebSocket upgrade has no JSON body to wrap"),
    ("set-method", "the handshake is always a GET upgrade"),
    ("set-body", "the handshake request has no body"),
    ("xml-to-json", "the handshake has no body to convert"),
    ("json-to-xml", "the handshake has no body to convert"),
    ("xsl-transform", "the handshake has no body to transform"),
    ("find-and-replace", "the handshake has no body to transform"),
    ("validate-content", "there is no request or response content to validate"),
    ("validate-parameters", "WebSocket APIs have no operation schema to validate against"),
    ("validate-headers", "WebSocket APIs have no operation schema to validate against"),
    ("validate-status-code", "WebSocket APIs have no operation schema to validate against"),
];

/// The document being read, for locations and shared checks.
pub struct Src<'a, 'input> {
    /// The file name shown in errors.
    pub file: &'a str,
    /// The parsed document.
    pub doc: &'a Document<'input>,
    /// The certificates `certificate-id` may name.
    pub certificates: &'a super::Certificates,
}

impl<'a, 'input> Src<'a, 'input> {
    /// `file:line:col` of a byte offset.
    pub fn loc(&self, pos: usize) -> String {
        let p = self.doc.text_pos_at(pos);
        format!("{}:{}:{}", self.file, p.row, p.col)
    }

    /// `file:line:col` of an element.
    pub fn at(&self, node: Node) -> String {
        self.loc(node.range().start)
    }

    /// An error at an element.
    pub fn err(&self, node: Node, message: impl Into<String>) -> XmlError {
        XmlError { location: self.at(node), message: message.into() }
    }

    /// Refuses attributes outside `allowed`, so none is silently ignored.
    pub fn attrs(&self, node: Node, allowed: &[&str]) -> Result<(), XmlError> {
        for a in node.attributes() {
            if !allowed.contains(&a.name()) {
                return Err(XmlError {
                    location: self.loc(a.range().start),
                    message: format!(
                        "<{}> attribute {:?} is not supported by the emulator (supported: {})",
                        node.tag_name().name(),
                        a.name(),
                        if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                    ),
                });
            }
        }
        Ok(())
    }

    /// A required attribute.
    pub fn required(&self, node: Node<'a, 'input>, name: &str) -> Result<&'a str, XmlError> {
        node.attribute(name)
            .ok_or_else(|| self.err(node, format!("<{}> needs the attribute {name:?}", node.tag_name().name())))
    }

    /// A literal attribute (expressions are refused where APIM allows none or the emulator reads none).
    pub fn literal(&self, node: Node<'a, 'input>, name: &str) -> Result<Option<&'a str>, XmlError> {
        match node.attribute_node(name) {
            None => Ok(None),
            Some(a) if a.value().starts_with('@') || a.value().contains("{{") => Err(XmlError {
                location: self.loc(a.range_value().start),
                message: format!("attribute {name:?} must be a literal value here"),
            }),
            Some(a) => Ok(Some(a.value())),
        }
    }

    /// A numeric literal attribute.
    pub fn number(&self, node: Node<'a, 'input>, name: &str) -> Result<Option<u64>, XmlError> {
        match self.literal(node, name)? {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.err(node, format!("attribute {name:?} must be a whole number, not {v:?}"))),
        }
    }

    /// A boolean literal attribute.
    pub fn boolean(&self, node: Node<'a, 'input>, name: &str, default: bool) -> Result<bool, XmlError> {
        match self.literal(node, name)?.map(str::trim) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(self.err(node, format!("attribute {name:?} must be true or false, not {v:?}"))),
        }
    }

    /// An attribute that may be an expression.
    pub fn template_attr(&self, node: Node, name: &str) -> Result<Option<Template>, XmlError> {
        match node.attribute_node(name) {
            None => Ok(None),
            Some(a) => template(self, a.value(), a.range_value().start).map(Some),
        }
    }

    /// An attribute that must be an `@(…)` condition.
    pub fn condition(&self, node: Node, name: &str) -> Result<expr::Expr, XmlError> {
        let a = node
            .attribute_node(name)
            .ok_or_else(|| self.err(node, format!("<{}> needs the attribute {name:?}", node.tag_name().name())))?;
        match template(self, a.value(), a.range_value().start)? {
            Template::Expr(e) => Ok(e),
            Template::Lit(v) if v.eq_ignore_ascii_case("true") => Ok(expr::Expr::Lit(expr::Val::Bool(true))),
            Template::Lit(v) if v.eq_ignore_ascii_case("false") => Ok(expr::Expr::Lit(expr::Val::Bool(false))),
            Template::Lit(v) => Err(XmlError {
                location: self.loc(a.range_value().start),
                message: format!("{name:?} must be an @(…) expression or true/false, not {v:?}"),
            }),
        }
    }

    /// An element's text as a value (literal or `@(…)`).
    pub fn text(&self, node: Node) -> Result<Template, XmlError> {
        let mut text = String::new();
        let mut start = node.range().start;
        for child in node.children() {
            if child.is_element() {
                return Err(self.err(child, format!("<{}> takes text only", node.tag_name().name())));
            }
            if child.is_text() {
                if text.is_empty() {
                    start = child.range().start;
                }
                text.push_str(child.text().unwrap_or_default());
            }
        }
        let trimmed = text.trim();
        let lead = text.len() - text.trim_start().len();
        template(self, trimmed, start + lead)
    }

    /// The element children, refusing stray text.
    pub fn elements(&self, node: Node<'a, 'input>) -> Result<Vec<Node<'a, 'input>>, XmlError> {
        let mut out = Vec::new();
        for child in node.children() {
            if child.is_element() {
                out.push(child);
            } else if child.is_text() && !child.text().unwrap_or_default().trim().is_empty() {
                let text = child.text().unwrap_or_default();
                let lead = text.len() - text.trim_start().len();
                return Err(XmlError {
                    location: self.loc(child.range().start + lead),
                    message: format!("unexpected text inside <{}>", node.tag_name().name()),
                });
            }
        }
        Ok(out)
    }
}

/// Reads a value at byte `pos`: `@(expr)` is parsed, `@{…}` and `{{named-value}}` are refused.
fn template(src: &Src, value: &str, pos: usize) -> Result<Template, XmlError> {
    if value.len() > MAX_ATTRIBUTE_BYTES {
        return Err(XmlError {
            location: src.loc(pos),
            message: format!("value longer than {MAX_ATTRIBUTE_BYTES} bytes"),
        });
    }
    if let Some(at) = value.find("{{") {
        return Err(XmlError {
            location: src.loc(pos + at),
            message: "named values ({{…}}) are not supported: an export holds no named-value secrets; write the value"
                .into(),
        });
    }
    if value.starts_with("@{") {
        return Err(XmlError {
            location: src.loc(pos),
            message: "multi-statement expressions @{…} are not supported; use a single @(…) expression".into(),
        });
    }
    if let Some(inner) = value.strip_prefix("@(").and_then(|v| v.strip_suffix(')')) {
        return expr::parse(inner).map(Template::Expr).map_err(|e| XmlError {
            location: src.loc(pos + 2 + e.offset),
            message: format!("unsupported expression: {}", e.message),
        });
    }
    if value.starts_with('@') {
        return Err(XmlError { location: src.loc(pos), message: "an expression must be written @(…)".into() });
    }
    Ok(Template::Lit(value.to_string()))
}

/// Parses a policy document for `scope` (`file` names it in errors), with no certificates.
pub fn parse_document(file: &str, text: &str, scope: &str) -> Result<ScopeDoc, XmlError> {
    parse_document_with(file, text, scope, &super::Certificates::new())
}

/// [`parse_document`] where `certificate-id`s may name `certificates`.
pub fn parse_document_with(
    file: &str,
    text: &str,
    scope: &str,
    certificates: &super::Certificates,
) -> Result<ScopeDoc, XmlError> {
    let whole = |message: String| XmlError { location: file.to_string(), message };
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(whole(format!("policy document is larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        let p = e.pos();
        XmlError { location: format!("{file}:{}:{}", p.row, p.col), message: format!("not well-formed XML: {e}") }
    })?;
    let src = Src { file, doc: &doc, certificates };
    let root = doc.root_element();
    if root.tag_name().name() != "policies" {
        return Err(src.err(root, format!("the root element must be <policies>, not <{}>", root.tag_name().name())));
    }
    src.attrs(root, &[])?;
    let mut inbound = Vec::new();
    for section in src.elements(root)? {
        src.attrs(section, &[])?;
        match section.tag_name().name() {
            "inbound" => inbound = steps(&src, section, 2, true)?,
            "backend" => {
                for el in src.elements(section)? {
                    match el.tag_name().name() {
                        // forwarding the handshake is what the gateway does anyway.
                        "base" | "forward-request" => {}
                        other => return Err(not_run(&src, el, other, "backend")),
                    }
                }
            }
            "outbound" | "on-error" => {
                for el in src.elements(section)? {
                    if el.tag_name().name() != "base" {
                        return Err(not_run(&src, el, el.tag_name().name(), section.tag_name().name()));
                    }
                }
            }
            other => {
                return Err(src.err(
                    section,
                    format!("<{other}> is not a policy section (inbound, backend, outbound, on-error)"),
                ));
            }
        }
    }
    Ok(ScopeDoc { scope: scope.to_string(), file: file.to_string(), inbound })
}

fn not_run(src: &Src, el: Node, name: &str, section: &str) -> XmlError {
    src.err(
        el,
        format!(
            "<{name}> in <{section}> is not supported: on a WebSocket handshake the emulator runs the inbound \
             section (and forwards the upgrade); move it to <inbound> or remove it"
        ),
    )
}

/// The policies of a section or branch at `depth`; `<base />` only at a section's top level.
pub fn steps(src: &Src, parent: Node, depth: usize, top: bool) -> Result<Vec<Step>, XmlError> {
    if depth > MAX_DEPTH {
        return Err(src.err(parent, format!("policies nested deeper than {MAX_DEPTH} levels")));
    }
    let mut out = Vec::new();
    for el in src.elements(parent)? {
        let name = el.tag_name().name();
        if name == "base" {
            if !top {
                return Err(src.err(el, "<base /> is only allowed directly in a section"));
            }
            src.attrs(el, &[])?;
            out.push(Step::Base);
            continue;
        }
        out.push(Step::Policy(Arc::new(policy(src, el, depth)?)));
    }
    Ok(out)
}

fn policies_only(src: &Src, parent: Node, depth: usize) -> Result<Vec<Arc<Policy>>, XmlError> {
    steps(src, parent, depth, false)?
        .into_iter()
        .map(|s| match s {
            Step::Policy(p) => Ok(p),
            Step::Base => Err(src.err(parent, "<base /> is only allowed directly in a section")),
        })
        .collect()
}

fn policy(src: &Src, el: Node, depth: usize) -> Result<Policy, XmlError> {
    let name = el.tag_name().name();
    if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == name) {
        return Err(src.err(
            el,
            format!(
                "<{name}> is not allowed in a WebSocket API's onHandshake operation (APIM refuses it there: {why})"
            ),
        ));
    }
    let kind = match name {
        "validate-jwt" => Kind::ValidateJwt(Box::new(super::access::parse_jwt(src, el)?)),
        "check-header" => Kind::CheckHeader(super::access::parse_check_header(src, el)?),
        "ip-filter" => Kind::IpFilter(super::access::parse_ip_filter(src, el)?),
        "rate-limit" | "rate-limit-by-key" => Kind::RateLimit(super::access::parse_limit(src, el)?),
        "quota" | "quota-by-key" => Kind::Quota(super::access::parse_limit(src, el)?),
        "set-header" => Kind::SetHeader(super::transform::parse_set_named(src, el, true)?),
        "set-query-parameter" => Kind::SetQuery(super::transform::parse_set_named(src, el, false)?),
        "set-backend-service" => Kind::SetBackend(super::transform::parse_set_backend(src, el)?),
        "return-response" => Kind::ReturnResponse(super::transform::parse_return_response(src, el)?),
        "set-variable" => {
            src.attrs(el, &["name", "value"])?;
            let var = src.required(el, "name")?.to_string();
            let value = src.template_attr(el, "value")?.ok_or_else(|| src.err(el, "<set-variable> needs \"value\""))?;
            Kind::SetVariable(var, value)
        }
        "choose" => {
            src.attrs(el, &[])?;
            let mut whens = Vec::new();
            let mut otherwise = None;
            for branch in src.elements(el)? {
                match branch.tag_name().name() {
                    "when" if otherwise.is_none() => {
                        src.attrs(branch, &["condition"])?;
                        whens.push((src.condition(branch, "condition")?, policies_only(src, branch, depth + 2)?));
                    }
                    "otherwise" if otherwise.is_none() => {
                        src.attrs(branch, &[])?;
                        otherwise = Some(policies_only(src, branch, depth + 2)?);
                    }
                    other => {
                        return Err(src.err(
                            branch,
                            format!("<choose> takes <when> elements then one <otherwise>, not <{other}> here"),
                        ));
                    }
                }
            }
            if whens.is_empty() {
                return Err(src.err(el, "<choose> needs at least one <when>"));
            }
            Kind::Choose(whens, otherwise)
        }
        other => {
            return Err(src.err(
                el,
                format!("policy <{other}> is not supported by the emulator on onHandshake (see README \"Your APIM, locally\" for the list)"),
            ));
        }
    };
    Ok(Policy { name: name.to_string(), location: src.at(el), kind })
}
