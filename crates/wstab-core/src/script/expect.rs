//! What an `expect` step asks of a received message, and the diff shown when nothing matched.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Conditions on one received message; every condition given must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A JSON pointer into the message (e.g. `/type`); empty or absent means the whole message
    /// (parsed as JSON when it is JSON, else the text as a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The value there equals this exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// The value there includes this: every field of an object (recursively), every element of
    /// an array in order; a scalar must be equal. Extra fields in the message are fine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<Value>,
    /// The value there (a string's text, else its JSON) contains this substring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The value there (a string's text, else its JSON) matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// Seconds to wait for the message (the script's `timeout`, else 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Skip messages that do not match until one does (the default); `false` requires the very
    /// next message to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<bool>,
}

/// The result of checking one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Every condition held.
    pub passed: bool,
    /// How many conditions held (to find the closest message when none passed).
    pub held: usize,
    /// The value the conditions looked at (`None`: the pointer found nothing).
    pub actual: Option<Value>,
}

/// Why an `expect` cannot be checked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExpectError {
    /// No condition at all.
    #[error("expect needs at least one of equals, includes, contains, matches")]
    NoCondition,
    /// A pointer that is not a JSON pointer.
    #[error("pointer {0:?} must start with '/' (e.g. /type), or be empty for the whole message")]
    Pointer(String),
    /// `matches` does not compile.
    #[error("matches {pattern:?} is not a valid regular expression: {source}")]
    Regex {
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler said.
        source: regex::Error,
    },
    /// A timeout of zero, below zero or not a number.
    #[error("timeout must be a positive number of seconds")]
    Timeout,
}

impl Expect {
    /// Checks the parts serde cannot: a condition is present, the pointer and regex are valid.
    pub fn validate(&self) -> Result<(), ExpectError> {
        if self.equals.is_none() && self.includes.is_none() && self.contains.is_none() && self.matches.is_none() {
            return Err(ExpectError::NoCondition);
        }
        if let Some(p) = &self.pointer
            && !(p.is_empty() || p.starts_with('/'))
        {
            return Err(ExpectError::Pointer(p.clone()));
        }
        if let Some(r) = &self.matches {
            regex::Regex::new(r).map_err(|source| ExpectError::Regex { pattern: r.clone(), source })?;
        }
        if self.timeout.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
            return Err(ExpectError::Timeout);
        }
        Ok(())
    }

    /// `/type == "ack"`-style summary.
    pub fn describe(&self) -> String {
        let at = self.pointer.as_deref().filter(|p| !p.is_empty()).unwrap_or("message");
        let mut parts = Vec::new();
        if let Some(v) = &self.equals {
            parts.push(format!("{at} == {v}"));
        }
        if let Some(v) = &self.includes {
            parts.push(format!("{at} includes {v}"));
        }
        if let Some(s) = &self.contains {
            parts.push(format!("{at} contains {s:?}"));
        }
        if let Some(r) = &self.matches {
            parts.push(format!("{at} =~ /{r}/"));
        }
        parts.join(" and ")
    }

    /// Whether the next message may be skipped when it does not match.
    pub fn skips(&self) -> bool {
        self.skip.unwrap_or(true)
    }

    /// The value the conditions look at in `message`.
    pub fn actual(&self, message: &str) -> Option<Value> {
        let whole = serde_json::from_str::<Value>(message).unwrap_or_else(|_| Value::String(message.to_string()));
        match self.pointer.as_deref() {
            None | Some("") => Some(whole),
            Some(p) => whole.pointer(p).cloned(),
        }
    }

    /// Checks one received message (binary ones are given as hex).
    pub fn check(&self, message: &str) -> Outcome {
        let actual = self.actual(message);
        let text = actual.as_ref().map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let mut total = 0;
        let mut held = 0;
        let mut test = |ok: bool| {
            total += 1;
            if ok {
                held += 1;
            }
        };
        if let Some(want) = &self.equals {
            test(actual.as_ref().is_some_and(|a| json_eq(a, want)));
        }
        if let Some(want) = &self.includes {
            test(actual.as_ref().is_some_and(|a| includes(a, want)));
        }
        if let Some(s) = &self.contains {
            test(text.as_deref().is_some_and(|t| t.contains(s.as_str())));
        }
        if let Some(r) = &self.matches {
            let re = regex::Regex::new(r).ok();
            test(text.as_deref().is_some_and(|t| re.as_ref().is_some_and(|re| re.is_match(t))));
        }
        Outcome { passed: total > 0 && held == total, held, actual }
    }

    /// What was expected, as pretty text for the diff.
    pub fn expected_text(&self) -> String {
        if let Some(v) = self.equals.as_ref().or(self.includes.as_ref()) {
            return pretty(v);
        }
        let mut parts = Vec::new();
        if let Some(s) = &self.contains {
            parts.push(format!("(text containing {s:?})"));
        }
        if let Some(r) = &self.matches {
            parts.push(format!("(text matching /{r}/)"));
        }
        parts.join("\n")
    }
}

/// Numbers compare by value (TOML's `1` and JSON's `1.0` are the same reply id).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// `actual` includes `want`: objects by field (recursively), arrays element-wise as a prefix.
fn includes(actual: &Value, want: &Value) -> bool {
    match (actual, want) {
        (Value::Object(a), Value::Object(w)) => w.iter().all(|(k, wv)| a.get(k).is_some_and(|av| includes(av, wv))),
        (Value::Array(a), Value::Array(w)) => w.len() <= a.len() && a.iter().zip(w).all(|(av, wv)| includes(av, wv)),
        _ => json_eq(actual, want),
    }
}

/// Pretty JSON (a string value as its text).
pub fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string()),
    }
}

/// A line diff of `expected` and `actual` (`- ` expected only, `+ ` received only, `  ` both), by
/// longest common subsequence: small texts only (pretty JSON of one message).
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Beyond this the quadratic table is not worth it: show both sides whole.
    if a.len() * b.len() > 250_000 {
        let mut out = String::new();
        a.iter().for_each(|l| out.push_str(&format!("- {l}\n")));
        b.iter().for_each(|l| out.push_str(&format!("+ {l}\n")));
        return out;
    }
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expect(pointer: &str) -> Expect {
        Expect { pointer: Some(pointer.into()), ..Expect::default() }
    }

    #[test]
    fn test_pointer_equals_includes_contains_and_matches() {
        let msg = r#"{"type":"ack","ackId":1,"success":true,"error":null}"#;
        assert!(Expect { equals: Some(json!("ack")), ..expect("/type") }.check(msg).passed);
        assert!(Expect { equals: Some(json!(1.0)), ..expect("/ackId") }.check(msg).passed);
        assert!(Expect { includes: Some(json!({"type": "ack", "success": true})), ..expect("") }.check(msg).passed);
        assert!(!Expect { includes: Some(json!({"success": false})), ..expect("") }.check(msg).passed);
        assert!(Expect { contains: Some("ac".into()), ..expect("/type") }.check(msg).passed);
        assert!(Expect { matches: Some("^a.k$".into()), ..expect("/type") }.check(msg).passed);
        assert!(!Expect { equals: Some(json!("ack")), ..expect("/missing") }.check(msg).passed);
        assert!(Expect { equals: Some(json!("hello")), ..Expect::default() }.check("hello").passed);
    }

    #[test]
    fn test_line_diff_marks_what_differs() {
        let d = line_diff("{\n  \"a\": 1,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"b\": 3\n}");
        assert!(d.contains("-   \"b\": 2") && d.contains("+   \"b\": 3") && d.contains("    \"a\": 1,"), "{d}");
    }
}
