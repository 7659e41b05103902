//! The user's `config.toml`, in the config dir beside the profiles (`WSTAB_CONFIG_DIR` overrides
//! it): key bindings, the theme and a few defaults. A file with a mistake never stops the console:
//! it starts on the defaults and the status bar shows the error at `file:line:col`.
//!
//! ```toml
//! theme = "light"                        # or "dark" (the default); NO_COLOR still wins
//! [keys]
//! toggle_connection = "F9"               # every key bound to an action, in every scope
//! "messages.search" = ["/", "Ctrl-F"]    # one scope's keys for it
//! [defaults]
//! log_limit = 20000
//! sequence_ack = false
//! journal_limit_mb = 256
//! subprotocols = ["json.webpubsub.azure.v1"]   # for URLs opened without any
//! ```
//! `assets/config.example.toml` is the documented example (and lists every action name).

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::keymap::{Binding, Key, Keymap, Scope, key_label, scopes};
use super::state::{InputContext, Intent, Pane};
use super::view::ThemeName;
use wstab_core::toml_file::{TomlError, line_col};

/// The file's name in the config dir.
pub const FILE_NAME: &str = "config.toml";

/// The documented example, shipped in `assets/` (and checked to parse in the tests).
pub const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

/// What `config.toml` sets; every field has the console's default when the file says nothing.
#[derive(Debug, Clone)]
pub struct Config {
    /// Colours: dark (the default) or light.
    pub theme: ThemeName,
    /// The key bindings, with the file's rebindings applied.
    pub keys: Keymap,
    /// Log entries kept in memory, unless `--log-limit` says otherwise.
    pub log_limit: Option<usize>,
    /// Acknowledge Web PubSub reliable messages (`sequenceAck`) from the start.
    pub sequence_ack: bool,
    /// Ask before quitting while a session is connected.
    pub confirm_quit: bool,
    /// The most the session journal on disk may hold, in bytes (`None`: no bound).
    pub journal_limit: Option<u64>,
    /// Subprotocols a URL opened in the console (`wstab URL`, `n`) requests when it names none.
    pub subprotocols: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            theme: ThemeName::Dark,
            keys: Keymap::default(),
            log_limit: None,
            sequence_ack: true,
            confirm_quit: true,
            journal_limit: None,
            subprotocols: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    theme: Option<ThemeName>,
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    defaults: RawDefaults,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    log_limit: Option<usize>,
    sequence_ack: Option<bool>,
    confirm_quit: Option<bool>,
    journal_limit_mb: Option<u64>,
    subprotocols: Option<Vec<String>>,
}

/// Why `config.toml` was not used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A syntax error, an unknown key or a bad value, at its `file:line:col`.
    #[error(transparent)]
    Toml(#[from] TomlError),
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Loads `config.toml` from `dir`: the defaults when there is none, and the defaults with the
/// error when it cannot be used (the console starts either way).
pub fn load(dir: &Path) -> (Config, Option<ConfigError>) {
    let path = dir.join(FILE_NAME);
    let shown = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => match parse(&shown, &text) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e.into())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Config::default(), None),
        Err(source) => (Config::default(), Some(ConfigError::Read { path: shown, source })),
    }
}

/// Parses a config file's text; `path` names it in errors.
pub fn parse(path: &str, text: &str) -> Result<Config, TomlError> {
    let raw: RawConfig = wstab_core::toml_file::parse(path, text)?;
    let at = |span: std::ops::Range<usize>, message: String| {
        let (line, col) = line_col(text, span.start);
        TomlError { path: path.to_string(), line, col, message }
    };
    let mut bindings: Vec<Binding> = Keymap::default().bindings().to_vec();
    // Which bindings the file set, to check none of them is shadowed (it would never fire).
    let mut set: Vec<(Scope, Key, std::ops::Range<usize>, Intent)> = Vec::new();
    for (name, value) in &raw.keys {
        let (scope, action) = match name.get_ref().split_once('.') {
            Some((s, a)) => {
                let scope = scope_named(s).ok_or_else(|| {
                    at(name.span(), format!("unknown scope `{s}`: one of {}", scope_names().join(", ")))
                })?;
                (Some(scope), a)
            }
            None => (None, name.get_ref().as_str()),
        };
        let keys = keys_of(value.get_ref()).map_err(|e| at(value.span(), e.to_string()))?;
        let targets: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|s| scope.is_none_or(|only| only == *s))
            .filter(|s| bindings.iter().any(|b| b.scope == *s && action_name(&b.action).as_deref() == Some(action)))
            .collect();
        if targets.is_empty() {
            let wanted = scope.map(|s| format!(" in {}", scope_name(s))).unwrap_or_default();
            return Err(at(
                name.span(),
                format!("no key does `{action}`{wanted}: the action names are listed in config.example.toml"),
            ));
        }
        for s in targets {
            let first = bindings
                .iter()
                .position(|b| b.scope == s && action_name(&b.action).as_deref() == Some(action))
                .expect("a target scope has the action");
            let template = bindings[first].clone();
            bindings.retain(|b| !(b.scope == s && action_name(&b.action).as_deref() == Some(action)));
            for (i, key) in keys.iter().enumerate() {
                if matches!(s, Scope::Everywhere | Scope::Composer | Scope::Prompt) && is_plain_char(*key) {
                    return Err(at(
                        value.span(),
                        format!(
                            "`{}` cannot be bound in {}: it would stop typing it in text fields",
                            key_label(*key),
                            scope_name(s)
                        ),
                    ));
                }
                // The hint stays on the first key only, as the defaults have it.
                let hint = if i == 0 { template.hint } else { None };
                bindings.insert(first + i, Binding { key: *key, hint, ..template.clone() });
                set.push((s, *key, value.span(), template.action.clone()));
            }
        }
    }
    // A key the file bound must do what it says wherever its scope applies: no earlier binding
    // in any context may take it first.
    for (scope, key, span, action) in &set {
        // Another action on the same key in the same scope: one of the two could never fire.
        if let Some(other) = bindings.iter().find(|b| b.scope == *scope && b.key == *key && b.action != *action) {
            return Err(at(
                span.clone(),
                format!(
                    "`{}` is already `{}` ({}): unbind or move that one too",
                    key_label(*key),
                    action_name(&other.action).unwrap_or_default(),
                    scope_name(*scope)
                ),
            ));
        }
        for ctx in CONTEXTS {
            let order = scopes(ctx);
            if !order.contains(scope) {
                continue;
            }
            let winner = order.iter().find_map(|s| bindings.iter().find(|b| b.scope == *s && b.key == *key));
            if let Some(w) = winner.filter(|w| w.action != *action) {
                return Err(at(
                    span.clone(),
                    format!(
                        "`{}` is already `{}` ({}): unbind or move that one too",
                        key_label(*key),
                        action_name(&w.action).unwrap_or_default(),
                        scope_name(w.scope)
                    ),
                ));
            }
        }
    }
    let d = raw.defaults;
    Ok(Config {
        theme: raw.theme.unwrap_or(ThemeName::Dark),
        keys: Keymap::from_bindings(bindings),
        log_limit: d.log_limit.filter(|n| *n > 0),
        sequence_ack: d.sequence_ack.unwrap_or(true),
        confirm_quit: d.confirm_quit.unwrap_or(true),
        journal_limit: d.journal_limit_mb.map(|mb| mb.saturating_mul(1 << 20)),
        subprotocols: d.subprotocols.unwrap_or_default().into_iter().filter(|s| !s.trim().is_empty()).collect(),
    })
}

/// The log limit in force: `--log-limit N`, else the file's `log_limit`, else the default
/// (10000); 0 from the flag means the default too.
pub fn log_limit(flag: Option<usize>, config: &Config) -> usize {
    flag.filter(|n| *n > 0).or(config.log_limit).unwrap_or(super::message_log::DEFAULT_LIMIT)
}

/// Every context keys are read in, to check a rebinding is not shadowed in any of them.
const CONTEXTS: [InputContext; 8] = [
    InputContext::Pane(Pane::Apis),
    InputContext::Pane(Pane::Request),
    InputContext::Pane(Pane::Messages),
    InputContext::Pane(Pane::Composer),
    InputContext::Composer,
    InputContext::Prompt,
    InputContext::Overlay,
    InputContext::Menu,
];

/// An action's name in `config.toml`: the intent in snake case (`toggle_connection`); letters a
/// menu types (`Char`) are not rebindable.
pub fn action_name(action: &Intent) -> Option<String> {
    if matches!(action, Intent::Char(_) | Intent::Paste(_) | Intent::Click { .. } | Intent::Scroll { .. }) {
        return None;
    }
    let debug = format!("{action:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            break;
        }
    }
    Some(out)
}

/// A scope's name in `config.toml` (`messages.search`).
pub fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Everywhere => "everywhere",
        Scope::OutsideText => "outside_text",
        Scope::Lists => "lists",
        Scope::Apis => "apis",
        Scope::Request => "request",
        Scope::Messages => "messages",
        Scope::Composer => "composer",
        Scope::Prompt => "prompt",
        Scope::Overlay => "overlay",
        Scope::Menu => "menu",
    }
}

fn scope_names() -> Vec<&'static str> {
    Scope::ALL.into_iter().map(scope_name).collect()
}

fn scope_named(name: &str) -> Option<Scope> {
    Scope::ALL.into_iter().find(|s| scope_name(*s) == name)
}

fn is_plain_char(k: Key) -> bool {
    matches!(k.code, KeyCode::Char(_)) && !k.mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// Why a `[keys]` value is not a key or a list of keys; the message is placed at the value's
/// `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Text that names no key.
    #[error("unknown key `{0}`: write e.g. F5, Ctrl-L, Alt-Enter, Shift-Tab, PgDn, q or ?")]
    Unknown(String),
    /// A list item that is not a string.
    #[error("a key is a string such as \"F5\", not {0}")]
    ItemNotText(&'static str),
    /// A value that is neither a string nor a list.
    #[error("expected a key such as \"Ctrl-L\" or a list of keys, not {0}")]
    NotKeys(&'static str),
}

/// The keys a `[keys]` value lists: one key as a string, or an array of them (empty: unbound).
fn keys_of(value: &toml::Value) -> Result<Vec<Key>, KeyError> {
    match value {
        toml::Value::String(s) => Ok(vec![parse_key(s)?]),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                toml::Value::String(s) => parse_key(s),
                other => Err(KeyError::ItemNotText(other.type_str())),
            })
            .collect(),
        other => Err(KeyError::NotKeys(other.type_str())),
    }
}

/// A key as the help writes it (`F5`, `Ctrl-L`, `Alt-Enter`, `Shift-Tab`, `PgDn`, `q`, `?`),
/// names in any case.
pub fn parse_key(text: &str) -> Result<Key, KeyError> {
    let bad = || KeyError::Unknown(text.to_string());
    let mut rest = text.trim();
    let mut mods = KeyModifiers::NONE;
    let mut shift = false;
    loop {
        let lower = rest.to_ascii_lowercase();
        if rest.len() > 5 && lower.starts_with("ctrl-") {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[5..];
        } else if rest.len() > 4 && lower.starts_with("alt-") {
            mods |= KeyModifiers::ALT;
            rest = &rest[4..];
        } else if rest.len() > 6 && lower.starts_with("shift-") {
            shift = true;
            rest = &rest[6..];
        } else {
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" if shift => KeyCode::BackTab,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" | "↑" => KeyCode::Up,
        "down" | "↓" => KeyCode::Down,
        "left" | "←" => KeyCode::Left,
        "right" | "→" => KeyCode::Right,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        "del" | "delete" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        f if f.len() >= 2 && f.starts_with('f') && f[1..].chars().all(|c| c.is_ascii_digit()) => {
            let n: u8 = f[1..].parse().map_err(|_| bad())?;
            if !(1..=24).contains(&n) {
                return Err(bad());
            }
            KeyCode::F(n)
        }
        _ => {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    // Terminals report Ctrl-L as `l` with Ctrl; Shift-a is `A`.
                    if mods.contains(KeyModifiers::CONTROL) {
                        KeyCode::Char(c.to_ascii_lowercase())
                    } else if shift {
                        KeyCode::Char(c.to_ascii_uppercase())
                    } else {
                        KeyCode::Char(c)
                    }
                }
                _ => return Err(bad()),
            }
        }
    };
    Ok(Key { code, mods })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
