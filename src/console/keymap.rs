//! Terminal events → [`Intent`]s. The keymap lives here, and the help overlay and the status
//! bar's key hints are generated from it, so what the screen says is what the keys do.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::console::state::{InputContext, Intent, Pane};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere, text fields included.
    Everywhere,
    /// Outside text fields (panes and overlays).
    OutsideText,
    /// Panes with lists: APIs, Request, Messages.
    Lists,
    /// **APIs**.
    Apis,
    /// **Request**.
    Request,
    /// **Messages**.
    Messages,
    /// **Message** (the composer).
    Composer,
    /// A one-line prompt (names, values, search, file name, close).
    Prompt,
    /// An overlay (help, detail, handshake trace, token, import report).
    Overlay,
    /// A menu (copy, saved messages) or a yes/no question: letters pick.
    Menu,
}

impl Scope {
    /// The heading the help overlay shows for the scope.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Everywhere => "Everywhere",
            Scope::OutsideText => "Outside text fields",
            Scope::Lists => "Lists (APIs, Request, Messages)",
            Scope::Apis => "APIs",
            Scope::Request => "Request",
            Scope::Messages => "Messages",
            Scope::Composer => "Message",
            Scope::Prompt => "Prompts",
            Scope::Overlay => "Help, detail, handshake trace, token and import report views",
            Scope::Menu => "Copy menu, saved messages and questions (or press the item's letter)",
        }
    }

    /// The scopes, in the order the help overlay lists them.
    pub const ALL: [Scope; 10] = [
        Scope::Everywhere,
        Scope::OutsideText,
        Scope::Lists,
        Scope::Apis,
        Scope::Request,
        Scope::Messages,
        Scope::Composer,
        Scope::Prompt,
        Scope::Overlay,
        Scope::Menu,
    ];
}

/// A key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl, Alt, Shift (Shift only where it matters, e.g. Shift-Tab is `BackTab`).
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::NONE }
}
const fn ctrl(c: char) -> Key {
    Key { code: KeyCode::Char(c), mods: KeyModifiers::CONTROL }
}
const fn ctrl_key(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::CONTROL }
}
const fn alt(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::ALT }
}
const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

/// One binding: a key in a scope, the action, what the help says, and the status bar hint.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Where it applies.
    pub scope: Scope,
    /// The key.
    pub key: Key,
    /// What it does.
    pub action: Intent,
    /// The help overlay's description.
    pub help: &'static str,
    /// A short hint for the status bar, when the binding is worth one there.
    pub hint: Option<&'static str>,
}

const fn bind(scope: Scope, key: Key, action: Intent, help: &'static str, hint: Option<&'static str>) -> Binding {
    Binding { scope, key, action, help, hint }
}

use Scope::*;

/// Every key binding. The first match for the input context wins.
pub static KEYMAP: &[Binding] = &[
    bind(Everywhere, ctrl('c'), Intent::Quit, "quit now, closing every connection", None),
    bind(Everywhere, key(KeyCode::F(1)), Intent::Help, "help (this list)", Some("help")),
    bind(Everywhere, key(KeyCode::F(5)), Intent::ToggleConnection, "connect / disconnect", Some("connect")),
    bind(Everywhere, key(KeyCode::F(2)), Intent::ToggleMessageMode, "send as text / binary hex / binary base64", None),
    bind(Everywhere, key(KeyCode::F(3)), Intent::Ping, "send a ping", None),
    bind(Everywhere, key(KeyCode::F(4)), Intent::Close, "close with a code and reason", None),
    bind(Everywhere, ctrl('t'), Intent::NewTab, "new tab: another session with its own log", Some("new tab")),
    bind(Everywhere, ctrl('w'), Intent::CloseTab, "close the tab (disconnects its session)", None),
    bind(Everywhere, alt(KeyCode::Right), Intent::NextTab, "next tab", None),
    bind(Everywhere, ctrl_key(KeyCode::PageDown), Intent::NextTab, "next tab", None),
    bind(Everywhere, alt(KeyCode::Left), Intent::PrevTab, "previous tab", None),
    bind(Everywhere, ctrl_key(KeyCode::PageUp), Intent::PrevTab, "previous tab", None),
    bind(
        Everywhere,
        key(KeyCode::F(6)),
        Intent::GatewayView,
        "the gateway's side: its log and metrics for the API",
        None,
    ),
    bind(Everywhere, ctrl('l'), Intent::ClearLog, "clear the Messages log", None),
    bind(
        Everywhere,
        ctrl('r'),
        Intent::SetCorrelation,
        "correlation pointer pairing replies in this tab (e.g. /ackId)",
        None,
    ),
    bind(Everywhere, ctrl('s'), Intent::Save, "save the whole session as NDJSON", None),
    bind(Everywhere, key(KeyCode::Tab), Intent::FocusNext, "focus the next pane (accept, in a prompt)", None),
    bind(Everywhere, key(KeyCode::BackTab), Intent::FocusPrev, "focus the previous pane", None),
    bind(
        Everywhere,
        ctrl('v'),
        Intent::PasteFromClipboard,
        "paste the system clipboard into the field (trimmed)",
        None,
    ),
    bind(OutsideText, ch('q'), Intent::AskQuit, "quit (asks first while connected; Ctrl-C does not)", Some("quit")),
    bind(OutsideText, ch('?'), Intent::Help, "help (this list)", None),
    bind(OutsideText, ch('s'), Intent::Save, "save the whole session as NDJSON", None),
    bind(OutsideText, ch('t'), Intent::ShowTrace, "show the last handshake trace", None),
    bind(
        OutsideText,
        ch('y'),
        Intent::CopyMenu,
        "copy: message, URL, trace, wstab/wscat/websocat command",
        Some("copy"),
    ),
    bind(OutsideText, ch('w'), Intent::ShowWaiting, "requests still waiting for a reply, with their age", None),
    bind(OutsideText, ch('H'), Intent::ExportHar, "export the tab's session as HAR (opens in browser tools)", None),
    bind(OutsideText, ch('R'), Intent::SaveScript, "save the tab's session as a `wstab run` script", None),
    bind(OutsideText, ch('P'), Intent::SaveProfile, "save the request as a profile (asks before overwriting)", None),
    bind(OutsideText, ch('I'), Intent::ImportApim, "import APIs from `az apim api list` JSON as profiles", None),
    bind(
        OutsideText,
        ch('W'),
        Intent::TokenFromConnectionString,
        "access_token from a Web PubSub connection string",
        None,
    ),
    bind(Lists, key(KeyCode::Up), Intent::Up, "move up", None),
    bind(Lists, ch('k'), Intent::Up, "move up", None),
    bind(Lists, key(KeyCode::Down), Intent::Down, "move down", None),
    bind(Lists, ch('j'), Intent::Down, "move down", None),
    bind(Lists, key(KeyCode::PageUp), Intent::PageUp, "page up", None),
    bind(Lists, key(KeyCode::PageDown), Intent::PageDown, "page down", None),
    bind(Lists, key(KeyCode::Home), Intent::First, "first row", None),
    bind(Lists, ch('g'), Intent::First, "first row", None),
    bind(Lists, key(KeyCode::End), Intent::Last, "last row (Messages: follow the newest)", None),
    bind(Lists, ch('G'), Intent::Last, "last row (Messages: follow the newest)", None),
    bind(Apis, key(KeyCode::Enter), Intent::Enter, "use this API and write a message", Some("use")),
    bind(Apis, ch('n'), Intent::OpenUrl, "open a URL (typed or pasted) as a new entry", Some("open URL")),
    bind(Apis, ch('e'), Intent::RenameProfile, "rename the saved profile", None),
    bind(Apis, ch('D'), Intent::DuplicateProfile, "duplicate the saved profile", None),
    bind(Apis, ch('d'), Intent::DeleteProfile, "delete the saved profile (asks first)", None),
    bind(Apis, key(KeyCode::Delete), Intent::DeleteProfile, "delete the saved profile (asks first)", None),
    bind(
        Request,
        key(KeyCode::Enter),
        Intent::Enter,
        "edit the value, or the URL on the URL row (on \"+ add\": add a row)",
        Some("edit"),
    ),
    bind(Request, ch('u'), Intent::EditUrl, "edit the URL (its query string becomes the rows)", None),
    bind(Request, ch('n'), Intent::OpenUrl, "open a URL (typed or pasted) as a new entry", None),
    bind(Request, ch('a'), Intent::AddQueryParam, "add a query parameter", Some("add param")),
    bind(Request, ch('A'), Intent::AddHeader, "add a header", Some("add header")),
    bind(
        Request,
        ch('T'),
        Intent::ToggleApimTrace,
        "APIM trace: add / turn on / off the Ocp-Apim-Trace: true header (t shows the policies)",
        None,
    ),
    bind(Request, ch('e'), Intent::RenameRow, "rename the row", None),
    bind(Request, ch(' '), Intent::ToggleRow, "enable / disable the row", Some("toggle")),
    bind(Request, ch('d'), Intent::Delete, "delete the row", Some("delete")),
    bind(Request, key(KeyCode::Delete), Intent::Delete, "delete the row", None),
    bind(Request, ch('r'), Intent::RevealRow, "reveal / mask a secret value", Some("reveal")),
    bind(Request, ch('p'), Intent::EditSubprotocols, "edit the subprotocols", None),
    bind(
        Request,
        ch('K'),
        Intent::ToggleKeyPlace,
        "send the subscription key as a header / as a query parameter (one key, one row)",
        None,
    ),
    bind(
        Request,
        ch('i'),
        Intent::ShowToken,
        "show the token's claims (the selected or first JWT value)",
        Some("token"),
    ),
    bind(Messages, key(KeyCode::Enter), Intent::Enter, "open the message in full", Some("open")),
    bind(Messages, ch('/'), Intent::Search, "search", Some("search")),
    bind(Messages, key(KeyCode::Esc), Intent::Escape, "clear the search (and its count)", None),
    bind(Messages, ch('n'), Intent::SearchOlder, "next (older) match", None),
    bind(Messages, ch('N'), Intent::SearchNewer, "previous (newer) match", None),
    bind(
        Messages,
        ch('f'),
        Intent::CycleFilter,
        "filter: all, sent, received, connection, errors, no chatter",
        Some("filter"),
    ),
    bind(
        Messages,
        ch('a'),
        Intent::ToggleSequenceAck,
        "Web PubSub reliable: acknowledge received messages (sequenceAck) on / off",
        None,
    ),
    bind(Composer, key(KeyCode::Enter), Intent::Enter, "send", Some("send")),
    bind(Composer, alt(KeyCode::Enter), Intent::Newline, "new line", Some("new line")),
    bind(
        Composer,
        key(KeyCode::Up),
        Intent::Up,
        "row up (a long line wraps to rows); on the first, recall older sent messages",
        Some("history"),
    ),
    bind(Composer, key(KeyCode::Down), Intent::Down, "row down; on the last, recall newer", None),
    bind(Composer, key(KeyCode::Esc), Intent::Escape, "leave the editor", None),
    bind(Composer, ctrl('o'), Intent::PickSavedMessage, "pick a saved message", Some("saved")),
    bind(Composer, ctrl('k'), Intent::AddAckId, "add an ackId to the JSON message (numbered when sent)", None),
    bind(Prompt, key(KeyCode::Enter), Intent::Enter, "accept", Some("accept")),
    bind(Prompt, key(KeyCode::Esc), Intent::Escape, "cancel", Some("cancel")),
    bind(Overlay, key(KeyCode::Esc), Intent::Escape, "close", Some("close")),
    bind(Overlay, ch('q'), Intent::Escape, "close", None),
    bind(Overlay, key(KeyCode::Enter), Intent::Enter, "close", None),
    bind(Overlay, key(KeyCode::Up), Intent::Up, "scroll up", None),
    bind(Overlay, ch('k'), Intent::Up, "scroll up", None),
    bind(Overlay, key(KeyCode::Down), Intent::Down, "scroll down", Some("scroll")),
    bind(Overlay, ch('j'), Intent::Down, "scroll down", None),
    bind(Overlay, key(KeyCode::PageUp), Intent::PageUp, "page up", None),
    bind(Overlay, key(KeyCode::PageDown), Intent::PageDown, "page down", None),
    bind(Overlay, key(KeyCode::Home), Intent::First, "top", None),
    bind(Overlay, key(KeyCode::End), Intent::Last, "bottom", None),
    bind(Menu, key(KeyCode::Up), Intent::Up, "previous item", None),
    bind(Menu, key(KeyCode::Down), Intent::Down, "next item", Some("move")),
    bind(
        Menu,
        key(KeyCode::Enter),
        Intent::Enter,
        "choose (a question: its default, named beside Enter)",
        Some("choose"),
    ),
    bind(Menu, ch('y'), Intent::Char('y'), "yes (questions)", None),
    bind(Menu, ch('n'), Intent::Char('n'), "no (questions)", None),
    bind(Menu, key(KeyCode::Esc), Intent::Escape, "close (a question: no)", Some("close")),
];

/// Editing keys shared by the composer and prompts; listed in the help under "Text fields".
pub static EDITING: &[(Key, Intent, &str)] = &[
    (key(KeyCode::Left), Intent::Left, "cursor left"),
    (key(KeyCode::Right), Intent::Right, "cursor right"),
    (key(KeyCode::Home), Intent::First, "line start"),
    (key(KeyCode::End), Intent::Last, "line end"),
    (key(KeyCode::Backspace), Intent::Backspace, "delete before the cursor"),
    (key(KeyCode::Delete), Intent::Delete, "delete under the cursor"),
    (ctrl('u'), Intent::DeleteToLineStart, "delete to the line start (as in shells)"),
];

/// The scopes that apply in a context, most specific first.
pub fn scopes(ctx: InputContext) -> &'static [Scope] {
    match ctx {
        InputContext::Pane(Pane::Apis) => &[Apis, Lists, Everywhere, OutsideText],
        InputContext::Pane(Pane::Request) => &[Request, Lists, Everywhere, OutsideText],
        InputContext::Pane(Pane::Messages) => &[Messages, Lists, Everywhere, OutsideText],
        InputContext::Pane(Pane::Composer) | InputContext::Composer => &[Composer, Everywhere],
        InputContext::Prompt => &[Prompt, Everywhere],
        InputContext::Overlay => &[Overlay, Everywhere, OutsideText],
        // Letters pick items, so the pane keys (q, t, s…) do not apply.
        InputContext::Menu => &[Menu, Everywhere],
    }
}

/// The bindings in force: [`KEYMAP`] as the user's `config.toml` rebinds it (see
/// `console::config`). Dispatch, the help overlay, the status hints and the notices that name a
/// key all read this one table, so the screen always shows the keys as configured.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self { bindings: KEYMAP.to_vec() }
    }
}

impl Keymap {
    /// The bindings, in priority order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// A table built by the config loader (the defaults with the file's rebindings).
    pub(crate) fn from_bindings(bindings: Vec<Binding>) -> Self {
        Self { bindings }
    }

    /// The action for a key in a context, if any. Unbound printable keys type in text fields.
    pub fn action_for_key(&self, ev: &KeyEvent, ctx: InputContext) -> Option<Intent> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        // Shift is part of the character (`A`, `?`); only Ctrl and Alt tell bindings apart.
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let pressed = Key { code: ev.code, mods };
        for scope in scopes(ctx) {
            if let Some(b) = self.bindings.iter().find(|b| b.scope == *scope && b.key == pressed) {
                return Some(b.action.clone());
            }
        }
        let typing = matches!(ctx, InputContext::Composer | InputContext::Prompt | InputContext::Menu);
        if typing {
            if let Some((_, a, _)) = EDITING.iter().find(|(k, _, _)| *k == pressed) {
                return Some(a.clone());
            }
            if let KeyCode::Char(c) = ev.code
                && !mods.contains(KeyModifiers::CONTROL)
            {
                return Some(Intent::Char(c));
            }
        }
        match ev.code {
            KeyCode::Esc => Some(Intent::Escape),
            KeyCode::Enter if mods.contains(KeyModifiers::ALT) => Some(Intent::Newline),
            _ => None,
        }
    }

    /// The action for a terminal event that is not about the mouse (the loop maps mouse
    /// events, since it knows where the panes are).
    pub fn action_for(&self, ev: &Event, ctx: InputContext) -> Option<Intent> {
        match ev {
            Event::Key(k) => self.action_for_key(k, ctx),
            Event::Paste(text) => Some(Intent::Paste(text.clone())),
            _ => None,
        }
    }

    /// How the key for `action` is written (`F5`, `Ctrl-L`): the first key bound to it, in
    /// table order (the everywhere keys come first), or `unbound` when the config took it away.
    pub fn label_for(&self, action: &Intent) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == *action)
            .map(|b| key_label(b.key))
            .unwrap_or_else(|| "(unbound)".to_string())
    }

    /// How the key for `action` in `scope` is written (the composer's `Enter` may be rebound
    /// apart from the lists' one).
    pub fn label_in(&self, scope: Scope, action: &Intent) -> String {
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.action == *action)
            .map(|b| key_label(b.key))
            .unwrap_or_else(|| self.label_for(action))
    }

    /// The help overlay's lines: per scope, `keys  description`, keys with the same
    /// description joined with `/`.
    pub fn help_lines(&self) -> Vec<(Option<&'static str>, String, &'static str)> {
        let mut out: Vec<(Option<&'static str>, String, &'static str)> = Vec::new();
        for scope in Scope::ALL {
            out.push((Some(scope.title()), String::new(), ""));
            let mut rows: Vec<(String, &'static str)> = Vec::new();
            for b in self.bindings.iter().filter(|b| b.scope == scope) {
                match rows.iter_mut().find(|(_, h)| *h == b.help) {
                    Some((keys, _)) => {
                        keys.push('/');
                        keys.push_str(&key_label(b.key));
                    }
                    None => rows.push((key_label(b.key), b.help)),
                }
            }
            if scope == Scope::Composer || scope == Scope::Prompt {
                rows.extend(EDITING.iter().map(|(k, _, h)| (key_label(*k), *h)));
            }
            out.extend(rows.into_iter().map(|(k, h)| (None, k, h)));
        }
        out.push((Some("Mouse"), String::new(), ""));
        out.push((None, "click".into(), "focus a pane and select a row"));
        out.push((None, "wheel".into(), "scroll"));
        out
    }

    /// The status bar's hints for a context: `key label` pairs, most specific first.
    pub fn hints(&self, ctx: InputContext) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        let scopes = scopes(ctx);
        for (i, scope) in scopes.iter().enumerate() {
            for b in self.bindings.iter().filter(|b| b.scope == *scope) {
                // A key a more specific scope takes over (`q` closes a view) does not do what
                // this binding says there: no `q quit` hint over the help overlay.
                let shadowed =
                    scopes[..i].iter().any(|s| self.bindings.iter().any(|o| o.scope == *s && o.key == b.key));
                if let Some(h) = b.hint
                    && !shadowed
                    && !out.iter().any(|(_, seen)| *seen == h)
                {
                    out.push((key_label(b.key), h));
                }
            }
        }
        out
    }
}

/// README.md's key table, generated from the default keymap: one row per scope and action,
/// with its keys, what the help overlay says, and the name `config.toml` rebinds it by. A test
/// fails when the README's copy differs (`WSTAB_BLESS_README=1` rewrites it).
pub fn readme_table() -> String {
    let mut out = String::from("| where | keys | what it does | `config.toml` name |\n| --- | --- | --- | --- |\n");
    let cell = |s: &str| s.replace('|', "\\|");
    for scope in Scope::ALL {
        let mut rows: Vec<(Vec<String>, &str, Option<String>)> = Vec::new();
        for b in defaults().bindings().iter().filter(|b| b.scope == scope) {
            let name = crate::console::config::action_name(&b.action);
            match rows.iter_mut().find(|(_, h, n)| *h == b.help && *n == name) {
                Some((keys, _, _)) => keys.push(key_label(b.key)),
                None => rows.push((vec![key_label(b.key)], b.help, name)),
            }
        }
        if scope == Scope::Composer || scope == Scope::Prompt {
            rows.extend(EDITING.iter().map(|(k, _, h)| (vec![key_label(*k)], *h, None)));
        }
        for (keys, help, name) in rows {
            let keys: Vec<String> = keys.iter().map(|k| format!("`{}`", cell(k))).collect();
            let name = name.map(|n| format!("`{}.{n}`", crate::console::config::scope_name(scope))).unwrap_or_default();
            out.push_str(&format!("| {} | {} | {} | {name} |\n", scope.title(), keys.join(" "), cell(help)));
        }
    }
    out
}

/// The default table, for callers without an `App` at hand (tests, the README check).
fn defaults() -> &'static Keymap {
    static DEFAULT: std::sync::OnceLock<Keymap> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Keymap::default)
}

/// The default keymap's action for a key (see [`Keymap::action_for_key`]).
pub fn action_for_key(ev: &KeyEvent, ctx: InputContext) -> Option<Intent> {
    defaults().action_for_key(ev, ctx)
}

/// How a key is written in the help and the hints: `Ctrl-L`, `F5`, `Shift-Tab`, `Alt-Enter`.
pub fn key_label(k: Key) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Del".into(),
        other => format!("{other:?}"),
    };
    let mut label = String::new();
    if k.mods.contains(KeyModifiers::CONTROL) {
        label.push_str("Ctrl-");
        // Letters read as `Ctrl-L`; named keys keep their case (`Ctrl-PgDn`).
        return if matches!(k.code, KeyCode::Char(_)) { label + &base.to_uppercase() } else { label + &base };
    }
    if k.mods.contains(KeyModifiers::ALT) {
        label.push_str("Alt-");
    }
    label + &base
}

/// The default keymap's help lines (see [`Keymap::help_lines`]).
pub fn help_lines() -> Vec<(Option<&'static str>, String, &'static str)> {
    defaults().help_lines()
}

/// The default keymap's hints (see [`Keymap::hints`]).
pub fn hints(ctx: InputContext) -> Vec<(String, &'static str)> {
    defaults().hints(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn test_q_quits_outside_text_fields_and_types_inside() {
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action_for_key(&q, InputContext::Pane(Pane::Apis)), Some(Intent::AskQuit));
        assert_eq!(action_for_key(&q, InputContext::Overlay), Some(Intent::Escape), "q closes a view");
        assert_eq!(action_for_key(&q, InputContext::Menu), Some(Intent::Char('q')), "a question ignores q");
        assert_eq!(action_for_key(&q, InputContext::Composer), Some(Intent::Char('q')));
        assert_eq!(action_for_key(&q, InputContext::Prompt), Some(Intent::Char('q')));
        let help = press(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(action_for_key(&help, InputContext::Pane(Pane::Messages)), Some(Intent::Help));
        assert_eq!(action_for_key(&help, InputContext::Composer), Some(Intent::Char('?')));
        let cc = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for_key(&cc, InputContext::Composer), Some(Intent::Quit));
    }

    #[test]
    fn test_hints_never_name_a_key_a_view_takes_over() {
        // In a view `q` closes it: the status bar must not say `q quit` there.
        let overlay = hints(InputContext::Overlay);
        assert!(!overlay.iter().any(|(k, h)| k == "q" && *h == "quit"), "{overlay:?}");
        assert!(overlay.iter().any(|(k, h)| k == "Esc" && *h == "close"), "{overlay:?}");
        // Every hint shown is what its key does in that context.
        for ctx in [
            InputContext::Overlay,
            InputContext::Menu,
            InputContext::Prompt,
            InputContext::Composer,
            InputContext::Pane(Pane::Apis),
            InputContext::Pane(Pane::Request),
            InputContext::Pane(Pane::Messages),
        ] {
            for (label, hint) in hints(ctx) {
                let b = KEYMAP.iter().find(|b| key_label(b.key) == label && b.hint == Some(hint)).unwrap();
                let ev = press(b.key.code, b.key.mods);
                assert_eq!(action_for_key(&ev, ctx), Some(b.action.clone()), "{ctx:?}: {label} {hint}");
            }
        }
        assert!(hints(InputContext::Pane(Pane::Apis)).iter().any(|(k, h)| k == "q" && *h == "quit"));
    }

    #[test]
    fn test_alt_enter_is_a_newline_and_enter_sends() {
        let ae = press(KeyCode::Enter, KeyModifiers::ALT);
        assert_eq!(action_for_key(&ae, InputContext::Composer), Some(Intent::Newline));
        let e = press(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(action_for_key(&e, InputContext::Composer), Some(Intent::Enter));
    }

    /// README.md's key table is the keymap's: regenerated here and compared, so a key added,
    /// moved or reworded fails until the README says the same (`WSTAB_BLESS_README=1 cargo test
    /// --lib readme` rewrites the table).
    #[test]
    fn test_readme_key_table_matches_the_keymap() {
        const BEGIN: &str = "<!-- keys:begin (generated from src/console/keymap.rs; a test compares) -->\n";
        const END: &str = "<!-- keys:end -->";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).expect("README.md");
        let start = readme.find(BEGIN).expect("README.md has the key table's begin marker") + BEGIN.len();
        let end = start + readme[start..].find(END).expect("README.md has the key table's end marker");
        let want = readme_table();
        if readme[start..end] != want && std::env::var_os("WSTAB_BLESS_README").is_some() {
            let updated = format!("{}{want}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, updated).expect("README.md written");
            return;
        }
        assert_eq!(readme[start..end], want, "README.md's key table differs from the keymap");
    }

    #[test]
    fn test_help_lists_the_contract_keys() {
        let text: String = help_lines().iter().map(|(t, k, h)| format!("{} {k} {h}\n", t.unwrap_or(""))).collect();
        for needle in ["F5 connect / disconnect", "F1 help", "Ctrl-L clear", "Tab focus", "Shift-Tab", "q quit"] {
            assert!(text.contains(needle), "{needle} missing from help:\n{text}");
        }
        assert!(text.contains("↑/k move up"), "{text}");
    }
}
