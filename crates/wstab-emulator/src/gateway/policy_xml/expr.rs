//! Policy expressions: exactly the common single-expression forms `@(…)` that APIM policies use
//! on a handshake. Anything outside them is refused at load with what is unsupported, because a
//! guessed evaluation would make the local gateway decide differently from APIM.

use std::fmt;

/// What an expression evaluates to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// C#'s `null` (a missing subscription, say).
    Null,
}

impl Val {
    /// The value as text: a string as is, `True`/`False` as C# prints them, null as empty.
    pub fn text(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Bool(true) => "True".into(),
            Val::Bool(false) => "False".into(),
            Val::Null => String::new(),
        }
    }
}

/// A value of the request context an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtxValue {
    /// `context.Subscription.Id`.
    SubscriptionId,
    /// `context.Subscription.Name`.
    SubscriptionName,
    /// `context.Request.IpAddress`.
    IpAddress,
    /// `context.Request.Method`.
    Method,
    /// `context.Request.Url.Path`.
    UrlPath,
    /// `context.Api.Name`.
    ApiName,
    /// `context.Product.Name`.
    ProductName,
    /// `context.Operation.Name`.
    OperationName,
}

/// Where a keyed lookup reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// `context.Request.Headers`.
    Headers,
    /// `context.Request.Url.Query`.
    Query,
    /// `context.Variables`.
    Variables,
}

/// A string method from the supported list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrMethod {
    /// `.Contains(s)`.
    Contains,
    /// `.StartsWith(s)`.
    StartsWith,
    /// `.EndsWith(s)`.
    EndsWith,
    /// `.Equals(s)`.
    Equals,
    /// `.ToLower()`.
    ToLower,
    /// `.ToUpper()`.
    ToUpper,
    /// `.Trim()`.
    Trim,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A literal.
    Lit(Val),
    /// A context value.
    Ctx(CtxValue),
    /// `X.GetValueOrDefault(name[, default])`.
    Lookup(Collection, Box<Expr>, Option<Box<Expr>>),
    /// `X.ContainsKey(name)`.
    Has(Collection, Box<Expr>),
    /// `value.Method(args)`.
    Method(Box<Expr>, StrMethod, Option<Box<Expr>>),
    /// `string.IsNullOrEmpty(e)` (or `IsNullOrWhiteSpace` when the flag is set).
    IsNullOrEmpty(Box<Expr>, bool),
    /// `!e`.
    Not(Box<Expr>),
    /// `a && b`.
    And(Box<Expr>, Box<Expr>),
    /// `a || b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a == b` (true) or `a != b` (false).
    Eq(Box<Expr>, Box<Expr>, bool),
}

/// Why an expression is refused, with the byte offset in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Offset in the expression text (after `@(`).
    pub offset: usize,
    /// What is unsupported.
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The forms listed in errors, so a refused expression says what would work.
pub const SUPPORTED_FORMS: &str = "supported: string/true/false/null literals, context.Subscription.Id|Name, \
context.Request.IpAddress|Method|Url.Path, context.Api.Name, context.Product.Name, context.Operation.Name, \
context.Request.Headers|context.Request.Url.Query|context.Variables .GetValueOrDefault(\"n\"[, \"d\"]) and \
.ContainsKey(\"n\"), .Contains/.StartsWith/.EndsWith/.Equals(s), .ToLower()/.ToUpper()/.Trim(), \
string.IsNullOrEmpty(e)/IsNullOrWhiteSpace(e), !, ==, !=, &&, ||, parentheses";

/// Largest expression accepted (the attribute limit bounds it too).
const MAX_EXPR_BYTES: usize = 4096;
/// Deepest nesting of parentheses and operators, so parsing cannot exhaust the stack.
const MAX_EXPR_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), start));
        } else if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push((Tok::Num(text[start..i].to_string()), start));
        } else if c == b'"' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = text[i..].chars().next() else {
                    return Err(ExprError { offset: start, message: "unterminated string literal".into() });
                };
                i += ch.len_utf8();
                match ch {
                    '"' => break,
                    '\\' => {
                        let Some(e) = text[i..].chars().next() else {
                            return Err(ExprError { offset: start, message: "unterminated string literal".into() });
                        };
                        i += e.len_utf8();
                        s.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                    other => s.push(other),
                }
            }
            out.push((Tok::Str(s), start));
        } else {
            const PUNCT: [&str; 10] = ["==", "!=", "&&", "||", "!", ".", ",", "(", ")", "?"];
            let Some(p) = PUNCT.iter().find(|p| text[i..].starts_with(**p)) else {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(ExprError {
                    offset: start,
                    message: format!("unsupported character {ch:?} in expression ({SUPPORTED_FORMS})"),
                });
            };
            if *p == "?" {
                return Err(ExprError {
                    offset: start,
                    message: format!("the ?: / ?. / ?? operators are not supported ({SUPPORTED_FORMS})"),
                });
            }
            i += p.len();
            out.push((Tok::Punct(p), start));
        }
    }
    Ok(out)
}

/// Parses the text inside `@(…)`.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    if text.len() > MAX_EXPR_BYTES {
        return Err(ExprError { offset: 0, message: format!("expression longer than {MAX_EXPR_BYTES} bytes") });
    }
    let toks = tokenize(text)?;
    let mut p = Parser { toks, pos: 0, end: text.len(), depth: 0 };
    let e = p.or()?;
    if let Some((t, at)) = p.toks.get(p.pos) {
        return Err(ExprError { offset: *at, message: format!("unexpected {} ({SUPPORTED_FORMS})", show(t)) });
    }
    Ok(e)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Num(s) => format!("`{s}`"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Punct(p) => format!("`{p}`"),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.1)
    }

    fn err<T>(&self, message: String) -> Result<T, ExprError> {
        Err(ExprError { offset: self.at(), message })
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.toks.get(self.pos), Some((Tok::Punct(q), _)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = self.toks.get(self.pos).map_or("the end".to_string(), |t| show(&t.0));
            self.err(format!("expected `{p}`, found {found}"))
        }
    }

    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return self.err(format!("expression nested deeper than {MAX_EXPR_DEPTH}"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.deeper()?;
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("!") {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        let left = self.postfix()?;
        if self.eat("==") {
            return Ok(Expr::Eq(Box::new(left), Box::new(self.postfix()?), true));
        }
        if self.eat("!=") {
            return Ok(Expr::Eq(Box::new(left), Box::new(self.postfix()?), false));
        }
        Ok(left)
    }

    fn args(&mut self) -> Result<Vec<Expr>, ExprError> {
        self.expect("(")?;
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.or()?);
            if self.eat(")") {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn ident(&mut self) -> Result<String, ExprError> {
        match self.toks.get(self.pos) {
            Some((Tok::Ident(s), _)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            other => {
                let found = other.map_or("the end".to_string(), |t| show(&t.0));
                self.err(format!("expected a name, found {found}"))
            }
        }
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.primary()?;
        while self.eat(".") {
            let at = self.at();
            let name = self.ident()?;
            let method = match name.as_str() {
                "Contains" => StrMethod::Contains,
                "StartsWith" => StrMethod::StartsWith,
                "EndsWith" => StrMethod::EndsWith,
                "Equals" => StrMethod::Equals,
                "ToLower" | "ToLowerInvariant" => StrMethod::ToLower,
                "ToUpper" | "ToUpperInvariant" => StrMethod::ToUpper,
                "Trim" => StrMethod::Trim,
                other => {
                    return Err(ExprError {
                        offset: at,
                        message: format!("unsupported member `.{other}` ({SUPPORTED_FORMS})"),
                    });
                }
            };
            let mut args = self.args()?;
            let takes_arg = !matches!(method, StrMethod::ToLower | StrMethod::ToUpper | StrMethod::Trim);
            if args.len() != usize::from(takes_arg) {
                return Err(ExprError {
                    offset: at,
                    message: format!("`.{name}` takes {} argument(s)", u8::from(takes_arg)),
                });
            }
            e = Expr::Method(Box::new(e), method, args.pop().map(Box::new));
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return self.err("expression ends too early".into());
        };
        self.pos += 1;
        match tok {
            Tok::Str(s) => Ok(Expr::Lit(Val::Str(s))),
            Tok::Num(n) => Ok(Expr::Lit(Val::Str(n))),
            Tok::Punct("(") => {
                let e = self.or()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Ident(id) => match id.as_str() {
                "true" => Ok(Expr::Lit(Val::Bool(true))),
                "false" => Ok(Expr::Lit(Val::Bool(false))),
                "null" => Ok(Expr::Lit(Val::Null)),
                "string" | "String" => {
                    self.expect(".")?;
                    let m = self.ident()?;
                    let ws = match m.as_str() {
                        "IsNullOrEmpty" => false,
                        "IsNullOrWhiteSpace" => true,
                        other => {
                            return Err(ExprError {
                                offset: at,
                                message: format!("unsupported `string.{other}` ({SUPPORTED_FORMS})"),
                            });
                        }
                    };
                    let mut args = self.args()?;
                    if args.len() != 1 {
                        return Err(ExprError { offset: at, message: format!("`string.{m}` takes 1 argument") });
                    }
                    Ok(Expr::IsNullOrEmpty(Box::new(args.remove(0)), ws))
                }
                "context" => self.context(at),
                other => {
                    Err(ExprError { offset: at, message: format!("unsupported name `{other}` ({SUPPORTED_FORMS})") })
                }
            },
            other => Err(ExprError { offset: at, message: format!("unexpected {} ({SUPPORTED_FORMS})", show(&other)) }),
        }
    }

    /// `context.…`: reads names until they form a supported value.
    fn context(&mut self, at: usize) -> Result<Expr, ExprError> {
        let mut path = vec!["context".to_string()];
        loop {
            self.expect(".")?;
            path.push(self.ident()?);
            let joined = path.join(".");
            let value = match joined.as_str() {
                "context.Subscription.Id" => Some(CtxValue::SubscriptionId),
                "context.Subscription.Name" => Some(CtxValue::SubscriptionName),
                "context.Request.IpAddress" => Some(CtxValue::IpAddress),
                "context.Request.Method" => Some(CtxValue::Method),
                "context.Request.Url.Path" => Some(CtxValue::UrlPath),
                "context.Api.Name" => Some(CtxValue::ApiName),
                "context.Product.Name" => Some(CtxValue::ProductName),
                "context.Operation.Name" => Some(CtxValue::OperationName),
                _ => None,
            };
            if let Some(v) = value {
                return Ok(Expr::Ctx(v));
            }
            let collection = match joined.as_str() {
                "context.Request.Headers" => Some(Collection::Headers),
                "context.Request.Url.Query" => Some(Collection::Query),
                "context.Variables" => Some(Collection::Variables),
                _ => None,
            };
            if let Some(c) = collection {
                self.expect(".")?;
                let m_at = self.at();
                let m = self.ident()?;
                let mut args = self.args()?;
                return match (m.as_str(), args.len()) {
                    ("GetValueOrDefault", 1 | 2) => {
                        let default = if args.len() == 2 { args.pop().map(Box::new) } else { None };
                        Ok(Expr::Lookup(c, Box::new(args.remove(0)), default))
                    }
                    ("ContainsKey", 1) => Ok(Expr::Has(c, Box::new(args.remove(0)))),
                    _ => Err(ExprError {
                        offset: m_at,
                        message: format!(
                            "unsupported `{joined}.{m}` with {} argument(s) ({SUPPORTED_FORMS})",
                            args.len()
                        ),
                    }),
                };
            }
            let known_prefix = [
                "context.Subscription",
                "context.Request",
                "context.Request.Url",
                "context.Api",
                "context.Product",
                "context.Operation",
            ];
            if !known_prefix.contains(&joined.as_str()) {
                return Err(ExprError { offset: at, message: format!("unsupported `{joined}` ({SUPPORTED_FORMS})") });
            }
        }
    }
}

/// What an expression reads from the request.
pub trait Context {
    /// A context value (null when absent, like a request without subscription).
    fn value(&self, v: &CtxValue) -> Val;
    /// A keyed lookup (`None` when absent).
    fn lookup(&self, c: Collection, name: &str) -> Option<String>;
}

/// Evaluates `e` against `ctx`.
pub fn eval(e: &Expr, ctx: &dyn Context) -> Val {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Ctx(v) => ctx.value(v),
        Expr::Lookup(c, name, default) => match ctx.lookup(*c, &eval(name, ctx).text()) {
            Some(v) => Val::Str(v),
            None => default.as_ref().map_or(Val::Null, |d| eval(d, ctx)),
        },
        Expr::Has(c, name) => Val::Bool(ctx.lookup(*c, &eval(name, ctx).text()).is_some()),
        Expr::Method(target, m, arg) => {
            // C# would throw on null; the gateway treats null as empty, and says so in the README.
            let s = eval(target, ctx).text();
            let a = arg.as_ref().map(|a| eval(a, ctx).text()).unwrap_or_default();
            match m {
                StrMethod::Contains => Val::Bool(s.contains(&a)),
                StrMethod::StartsWith => Val::Bool(s.starts_with(&a)),
                StrMethod::EndsWith => Val::Bool(s.ends_with(&a)),
                StrMethod::Equals => Val::Bool(s == a),
                StrMethod::ToLower => Val::Str(s.to_lowercase()),
                StrMethod::ToUpper => Val::Str(s.to_uppercase()),
                StrMethod::Trim => Val::Str(s.trim().to_string()),
            }
        }
        Expr::IsNullOrEmpty(inner, ws) => Val::Bool(match eval(inner, ctx) {
            Val::Null => true,
            Val::Str(s) => s.is_empty() || (*ws && s.trim().is_empty()),
            Val::Bool(_) => false,
        }),
        Expr::Not(inner) => Val::Bool(!truthy(&eval(inner, ctx))),
        Expr::And(a, b) => Val::Bool(truthy(&eval(a, ctx)) && truthy(&eval(b, ctx))),
        Expr::Or(a, b) => Val::Bool(truthy(&eval(a, ctx)) || truthy(&eval(b, ctx))),
        Expr::Eq(a, b, want) => Val::Bool((eval(a, ctx) == eval(b, ctx)) == *want),
    }
}

/// A condition's truth: only `true` is true.
pub fn truthy(v: &Val) -> bool {
    matches!(v, Val::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fake(HashMap<String, String>);
    impl Context for Fake {
        fn value(&self, v: &CtxValue) -> Val {
            match v {
                CtxValue::SubscriptionName => Val::Str("starter".into()),
                CtxValue::IpAddress => Val::Str("127.0.0.1".into()),
                _ => Val::Null,
            }
        }
        fn lookup(&self, c: Collection, name: &str) -> Option<String> {
            (c == Collection::Headers).then(|| self.0.get(&name.to_ascii_lowercase()).cloned()).flatten()
        }
    }

    fn run(text: &str) -> Val {
        let ctx = Fake(HashMap::from([("x-tier".to_string(), "Gold".to_string())]));
        eval(&parse(text).unwrap(), &ctx)
    }

    #[test]
    fn test_common_condition_forms_evaluate_like_csharp() {
        assert_eq!(run(r#"context.Request.Headers.GetValueOrDefault("X-Tier","") == "Gold""#), Val::Bool(true));
        assert_eq!(run(r#"context.Request.Headers.GetValueOrDefault("X-None","d")"#), Val::Str("d".into()));
        assert_eq!(
            run(r#"context.Subscription.Name != "starter" || context.Request.IpAddress.StartsWith("127.")"#),
            Val::Bool(true)
        );
        assert_eq!(
            run(
                r#"!string.IsNullOrEmpty(context.Request.Headers.GetValueOrDefault("X-Tier")) && context.Request.Headers.GetValueOrDefault("X-Tier","").ToLower().Contains("gol")"#
            ),
            Val::Bool(true)
        );
        assert_eq!(run(r#"context.Request.Headers.ContainsKey("X-None")"#), Val::Bool(false));
    }

    #[test]
    fn test_unsupported_forms_name_what_and_where() {
        let e = parse(r#"context.User.Email == "a""#).unwrap_err();
        assert!(e.message.contains("context.User"), "{e}");
        let e = parse(r#"context.Request.Headers.GetValueOrDefault("a","").Split("x")"#).unwrap_err();
        assert!(e.message.contains(".Split"), "{e}");
        assert_eq!(e.offset, 50);
        assert!(parse("a ? b : c").is_err() && parse("\"open").is_err() && parse("(true").is_err());
        let deep = format!("{}true{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }
}
