//! The OData filter subset the REST API takes to pick connections (`filter` on send, `filter`
//! in `:addToGroups`/`:removeFromGroups`): `userId`, `connectionId` compared with `eq`, `ne`,
//! `lt`, `le`, `gt`, `ge` to a string literal or `null`; `'<group>' in groups`; `and`, `or`,
//! `not` and parentheses. Literals are single-quoted, `''` escaping a quote, as the SDKs'
//! `odata` helper writes them.

use std::collections::HashSet;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
    /// A property compared with a value.
    Compare {
        /// The property.
        field: Field,
        /// The comparison.
        op: Op,
        /// The value (`None`: `null`).
        value: Option<String>,
    },
    /// The connection is in this group.
    InGroup(String),
}

/// A connection property a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `userId`.
    UserId,
    /// `connectionId`.
    ConnectionId,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
}

/// What a filter is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The connection id.
    pub connection_id: &'a str,
    /// Its user.
    pub user: Option<&'a str>,
    /// Its groups.
    pub groups: &'a HashSet<String>,
}

/// Why a filter cannot be parsed (the REST API answers 400 with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter: {0}")]
pub struct FilterError(String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                out.push(if c == '(' { Token::Open } else { Token::Close });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => return Err(FilterError("unterminated string literal".into())),
                    }
                }
                out.push(Token::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '\'') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(FilterError("missing ')'".into())),
                }
            }
            Some(Token::Str(group)) => {
                if self.peek_word("in") {
                    self.at += 1;
                    if self.peek_word("groups") {
                        self.at += 1;
                        return Ok(Filter::InGroup(group));
                    }
                }
                Err(FilterError(format!("expected in groups after '{group}'")))
            }
            Some(Token::Word(name)) => {
                let field = match name.as_str() {
                    "userId" => Field::UserId,
                    "connectionId" => Field::ConnectionId,
                    other => {
                        return Err(FilterError(format!("unknown property {other:?}: use userId or connectionId")));
                    }
                };
                let op = match self.next() {
                    Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        other => return Err(FilterError(format!("unknown operator {other:?}"))),
                    },
                    _ => return Err(FilterError(format!("expected an operator after {name}"))),
                };
                let value = match self.next() {
                    Some(Token::Str(s)) => Some(s),
                    Some(Token::Word(w)) if w == "null" => None,
                    _ => return Err(FilterError(format!("expected a quoted string or null after {name}"))),
                };
                Ok(Filter::Compare { field, op, value })
            }
            _ => Err(FilterError("expected an expression".into())),
        }
    }
}

impl Filter {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let mut parser = Parser { tokens: tokenize(text)?, at: 0 };
        let filter = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(FilterError("unexpected text after the expression".into()));
        }
        Ok(filter)
    }

    /// Does `subject` match?
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        match self {
            Self::And(a, b) => a.matches(subject) && b.matches(subject),
            Self::Or(a, b) => a.matches(subject) || b.matches(subject),
            Self::Not(a) => !a.matches(subject),
            Self::InGroup(g) => subject.groups.contains(g),
            Self::Compare { field, op, value } => {
                let actual = match field {
                    Field::UserId => subject.user,
                    Field::ConnectionId => Some(subject.connection_id),
                };
                let ordering = actual.cmp(&value.as_deref());
                match op {
                    Op::Eq => ordering.is_eq(),
                    Op::Ne => ordering.is_ne(),
                    Op::Lt => ordering.is_lt(),
                    Op::Le => ordering.is_le(),
                    Op::Gt => ordering.is_gt(),
                    Op::Ge => ordering.is_ge(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(filter: &str, id: &str, user: Option<&str>, groups: &[&str]) -> bool {
        let groups: HashSet<String> = groups.iter().map(|g| g.to_string()).collect();
        Filter::parse(filter).unwrap().matches(&Subject { connection_id: id, user, groups: &groups })
    }

    #[test]
    fn test_filters_select_by_user_connection_and_group() {
        assert!(check("userId eq 'vic''s'", "c1", Some("vic's"), &[]));
        assert!(!check("userId eq 'bob'", "c1", Some("vic"), &[]));
        assert!(check("userId eq null", "c1", None, &[]));
        assert!(check("userId ne 'bob' and 'lobby' in groups", "c1", Some("vic"), &["lobby"]));
        assert!(!check("not ('lobby' in groups)", "c1", None, &["lobby"]));
        assert!(check("connectionId eq 'c2' or (userId eq 'a' and not 'x' in groups)", "c1", Some("a"), &[]));
    }

    #[test]
    fn test_malformed_filters_are_refused() {
        for bad in ["userId", "userId eq", "name eq 'x'", "'g' in", "(userId eq 'a'", "userId eq 'a' junk", "'open"] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
