//! The request as a ready command line for `wscat`, `websocat` or `wstab connect`.
//!
//! Unless the user asks for secrets to be included, each secret value becomes a shell variable
//! (`"${SUBSCRIPTION_KEY}"`), so the copied command is still runnable after an `export`, and the
//! clipboard never holds the secret.

use crate::connection::{Target, TargetError};
use crate::secret::is_secret_name;

/// Which tool the command line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `wscat -c URL -H 'Name: value' -s PROTOCOL`
    Wscat,
    /// `websocat -H 'Name: value' --protocol PROTOCOL URL`
    Websocat,
    /// `wstab connect URL -H 'Name: value' -s PROTOCOL`
    Wstab,
}

impl Tool {
    /// Every tool, in menu order.
    pub const ALL: [Tool; 3] = [Tool::Wstab, Tool::Wscat, Tool::Websocat];

    /// The tool's command name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Wscat => "wscat",
            Tool::Websocat => "websocat",
            Tool::Wstab => "wstab connect",
        }
    }
}

/// A shell word: literal text, or text with `${VAR}` references that must stay expandable.
enum Word {
    Literal(String),
    WithVars(Vec<Piece>),
}

enum Piece {
    Text(String),
    Var(String),
}

impl Word {
    fn render(&self) -> String {
        match self {
            Word::Literal(s) => shell_words::quote(s).into_owned(),
            Word::WithVars(pieces) => {
                let mut out = String::from("\"");
                for p in pieces {
                    match p {
                        Piece::Text(t) => {
                            for c in t.chars() {
                                if matches!(c, '"' | '\\' | '$' | '`') {
                                    out.push('\\');
                                }
                                out.push(c);
                            }
                        }
                        Piece::Var(v) => out.push_str(&format!("${{{v}}}")),
                    }
                }
                out.push('"');
                out
            }
        }
    }
}

/// `subscription-key` → `SUBSCRIPTION_KEY`.
fn var_name(name: &str) -> String {
    let v: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if v.starts_with(|c: char| c.is_ascii_digit()) { format!("_{v}") } else { v }
}

/// The command line for `tool`. With `reveal` false, secret values become shell variables.
pub fn command_line(target: &Target, tool: Tool, reveal: bool) -> Result<String, TargetError> {
    let secret = |name: &str, flagged: bool| !reveal && (flagged || is_secret_name(name, &target.secret_names));
    // The URL, with secret query values replaced by variables.
    let mut plain = target.clone();
    let mut vars = Vec::new();
    for p in plain.query.iter_mut().filter(|p| p.enabled && secret(&p.name, p.secret)) {
        let var = var_name(&p.name);
        p.value = format!("\u{0}{var}\u{0}");
        vars.push(var);
    }
    let url = plain.request_url()?.to_string();
    let url_word = if vars.is_empty() {
        Word::Literal(url)
    } else {
        // The marker was percent-encoded as %00VAR%00.
        let mut pieces = Vec::new();
        let mut rest = url.as_str();
        while let Some(start) = rest.find("%00") {
            let after = &rest[start + 3..];
            let Some(end) = after.find("%00") else { break };
            pieces.push(Piece::Text(rest[..start].to_string()));
            pieces.push(Piece::Var(after[..end].to_string()));
            rest = &after[end + 3..];
        }
        pieces.push(Piece::Text(rest.to_string()));
        Word::WithVars(pieces)
    };
    let headers: Vec<Word> = target
        .headers
        .iter()
        .filter(|p| p.enabled && !p.name.trim().is_empty())
        .map(|p| {
            if secret(&p.name, p.secret) {
                // Keep an auth scheme visible: `Authorization: Bearer ${AUTHORIZATION}`.
                let scheme = p.value.split_once(' ').map(|(s, _)| format!("{s} ")).unwrap_or_default();
                Word::WithVars(vec![Piece::Text(format!("{}: {scheme}", p.name.trim())), Piece::Var(var_name(&p.name))])
            } else {
                Word::Literal(format!("{}: {}", p.name.trim(), p.value))
            }
        })
        .collect();
    let protocols: Vec<&str> = target.subprotocols.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    let mut words: Vec<Word> = Vec::new();
    let lit = |s: &str| Word::Literal(s.to_string());
    match tool {
        Tool::Wscat => {
            words.extend([lit("wscat"), lit("-c"), url_word]);
            for h in headers {
                words.extend([lit("-H"), h]);
            }
            // wscat takes one subprotocol per -s.
            for p in &protocols {
                words.extend([lit("-s"), lit(p)]);
            }
            if target.tls.insecure {
                words.push(lit("--no-check"));
            }
            if let Some(ca) = &target.tls.ca_file {
                words.extend([lit("--ca"), lit(&ca.display().to_string())]);
            }
        }
        Tool::Websocat => {
            words.push(lit("websocat"));
            for h in headers {
                words.extend([lit("-H"), h]);
            }
            if !protocols.is_empty() {
                words.extend([lit("--protocol"), lit(&protocols.join(", "))]);
            }
            if target.tls.insecure {
                words.push(lit("--insecure"));
            }
            words.push(url_word);
        }
        Tool::Wstab => {
            words.extend([lit("wstab"), lit("connect"), url_word]);
            for h in headers {
                words.extend([lit("-H"), h]);
            }
            for p in &protocols {
                words.extend([lit("-s"), lit(p)]);
            }
            if target.tls.insecure {
                words.push(lit("--insecure"));
            }
            if let Some(ca) = &target.tls.ca_file {
                words.extend([lit("--ca"), lit(&ca.display().to_string())]);
            }
        }
    }
    Ok(words.iter().map(Word::render).collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Param;

    fn target() -> Target {
        let mut t = Target::new("wss://gw.example.net/client/hubs/chat");
        t.query = vec![Param::new("subscription-key", "k3y"), Param::new("x", "a b")];
        t.headers = vec![Param::new("Authorization", "Bearer tok"), Param::new("X-Note", "it's")];
        t.subprotocols = vec!["json.webpubsub.azure.v1".into()];
        t
    }

    #[test]
    fn test_commands_hide_secrets_as_shell_variables() {
        assert_eq!(
            command_line(&target(), Tool::Wscat, false).unwrap(),
            r#"wscat -c "wss://gw.example.net/client/hubs/chat?subscription-key=${SUBSCRIPTION_KEY}&x=a+b" -H "Authorization: Bearer ${AUTHORIZATION}" -H 'X-Note: it'\''s' -s json.webpubsub.azure.v1"#
        );
        assert_eq!(
            command_line(&target(), Tool::Websocat, false).unwrap(),
            r#"websocat -H "Authorization: Bearer ${AUTHORIZATION}" -H 'X-Note: it'\''s' --protocol json.webpubsub.azure.v1 "wss://gw.example.net/client/hubs/chat?subscription-key=${SUBSCRIPTION_KEY}&x=a+b""#
        );
    }

    #[test]
    fn test_commands_include_secrets_when_asked() {
        assert_eq!(
            command_line(&target(), Tool::Wstab, true).unwrap(),
            r#"wstab connect 'wss://gw.example.net/client/hubs/chat?subscription-key=k3y&x=a+b' -H 'Authorization: Bearer tok' -H 'X-Note: it'\''s' -s json.webpubsub.azure.v1"#
        );
    }
}
