//! `wstab run SCRIPT.toml`: a session as a test. A script names a profile or a URL, then
//! `[[steps]]` that send messages, expect replies (JSON pointer equals / includes / contains /
//! regex, with timeouts) and sleep; the run exits non-zero with a readable diff when an
//! expectation fails, so it is usable in CI.

mod expect;
mod record;
mod runner;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connection::Param;

pub use expect::{Expect, ExpectError, Outcome, line_diff};
pub use record::{ScriptTarget, from_session};
pub use runner::{RunOutcome, run_file, run_script};

/// Default time an `expect` waits for its message.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A script as written in TOML.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// A saved profile to connect with (its URL, query, headers, subprotocols and token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A URL to connect to (overrides the profile's); may contain `${env:NAME}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Query parameters added to (or replacing) the profile's; values may be `${env:NAME}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<Param>,
    /// Headers added to (or replacing) the profile's; values may be `${env:NAME}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Param>,
    /// Subprotocols to request (added to the profile's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subprotocols: Vec<String>,
    /// Default seconds an `expect` waits (5 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// The steps, in order.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// One step: exactly one of `send`, `send_json`, `send_hex`, `expect`, `sleep`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A label printed with the step's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Send this text message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<String>,
    /// Send this value as a JSON text message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_json: Option<Value>,
    /// Send these bytes (hex, spaces allowed) as a binary message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_hex: Option<String>,
    /// Wait for a message that satisfies this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// Wait this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep: Option<f64>,
}

impl Step {
    /// What the step does, in a few words, for the report.
    pub fn describe(&self) -> String {
        let what = if let Some(t) = &self.send {
            format!("send {}", short(t))
        } else if let Some(v) = &self.send_json {
            format!("send {}", short(&v.to_string()))
        } else if let Some(h) = &self.send_hex {
            format!("send binary {}", short(h))
        } else if let Some(e) = &self.expect {
            format!("expect {}", e.describe())
        } else if let Some(s) = &self.sleep {
            format!("sleep {s}s")
        } else {
            "nothing".into()
        };
        match &self.name {
            Some(n) => format!("{n}: {what}"),
            None => what,
        }
    }
}

fn short(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Why a script cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not parse, or has an unknown key or a wrong type.
    #[error("{path}:{line}:{col}: {message}\nhint: {hint}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What the parser said.
        message: String,
        /// What to do about it.
        hint: String,
    },
}

const HINT: &str = "a script has profile or url (+ query, headers, subprotocols, timeout), then [[steps]] with one of send, send_json, send_hex, expect = { pointer, equals | includes | contains | matches, timeout, skip }, sleep";

/// Parses a script (`path` only names it in errors): unknown keys are errors with line and column;
/// so is a step with no action or two.
pub fn parse(path: &str, text: &str) -> Result<Script, ScriptError> {
    let err = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, col) = span.map(|s| crate::toml_file::line_col(text, s.start)).unwrap_or((1, 1));
        ScriptError::Parse { path: path.to_string(), line, col, message, hint: HINT.to_string() }
    };
    let script: Script = toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_string()))?;
    // Locate each step for the checks serde cannot make.
    let spans: Vec<Option<std::ops::Range<usize>>> =
        toml::from_str::<StepSpans>(text).map(|s| s.steps.iter().map(|x| Some(x.span())).collect()).unwrap_or_default();
    if script.profile.is_none() && script.url.is_none() {
        return Err(err(None, "the script names neither a profile nor a url".into()));
    }
    if script.timeout.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
        return Err(err(None, "timeout must be a positive number of seconds".into()));
    }
    for (i, step) in script.steps.iter().enumerate() {
        let span = spans.get(i).cloned().flatten();
        let actions = [
            step.send.is_some(),
            step.send_json.is_some(),
            step.send_hex.is_some(),
            step.expect.is_some(),
            step.sleep.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if actions != 1 {
            return Err(err(span, format!("step {} has {actions} actions: give exactly one", i + 1)));
        }
        if let Some(h) = &step.send_hex
            && hex::decode(h.split_whitespace().collect::<String>()).is_err()
        {
            return Err(err(span, format!("step {}: send_hex {h:?} is not hex", i + 1)));
        }
        if step.sleep.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
            return Err(err(span, format!("step {}: sleep must be a number of seconds", i + 1)));
        }
        if let Some(e) = &step.expect {
            e.validate().map_err(|m| err(span, format!("step {}: {m}", i + 1)))?;
        }
    }
    Ok(script)
}

/// Only the steps' positions.
#[derive(Deserialize)]
struct StepSpans {
    #[serde(default)]
    steps: Vec<toml::Spanned<toml::Table>>,
}

/// Reads and parses a script file.
pub fn load(path: &Path) -> Result<Script, ScriptError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Io { path: shown.clone(), source })?;
    parse(&shown, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_unknown_key_is_an_error_with_line_and_column() {
        let text =
            "url = \"ws://h/\"\n\n[[steps]]\nsend = \"x\"\n\n[[steps]]\nexpect = { pointer = \"/a\", equal = 1 }\n";
        let e = parse("s.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("s.toml:7:"), "{e}");
        assert!(e.contains("equal"), "{e}");
    }

    #[test]
    fn test_step_with_two_actions_is_rejected_where_it_is() {
        let text = "url = \"ws://h/\"\n[[steps]]\nsend = \"x\"\nsleep = 1\n";
        let e = parse("s.toml", text).unwrap_err().to_string();
        assert!(e.contains("step 1 has 2 actions"), "{e}");
        assert!(e.starts_with("s.toml:2:1:"), "{e}");
    }
}
