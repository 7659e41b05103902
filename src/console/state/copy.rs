//! The copy menu (`y`): what can be copied, and the text each item copies. Secrets are masked
//! (or become `${VAR}` shell variables in command lines) unless the item says it includes them.
//!
//! Copying itself is an [`Effect::Copy`] the loop carries out, so the clipboard stays outside
//! `App`.

use super::{App, Effect, Menu, MenuKind, Modal, Pane, composer::MessageMode};
use crate::console::message_log::Body;
use wstab_core::connection::Target;
use wstab_core::export::command_line::{Tool, command_line};

/// One entry of the copy menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyItem {
    /// The selected message in **Messages** (the newest when following).
    Message,
    /// The request URL with secret values masked.
    Url,
    /// The request URL with its secret values.
    UrlWithSecrets,
    /// The last handshake trace, with the failure and its hint (and the policy trace, as `t`
    /// shows it).
    Trace,
    /// The last handshake's policy trace from a wstab gateway (`Ocp-Apim-Trace`).
    PolicyTrace,
    /// The request as a command line for a tool, secrets as `${VAR}`.
    Command(Tool),
    /// The request as a command line for a tool, secrets included.
    CommandWithSecrets(Tool),
}

impl CopyItem {
    /// The menu, in order.
    pub const MENU: [CopyItem; 11] = [
        CopyItem::Message,
        CopyItem::Url,
        CopyItem::UrlWithSecrets,
        CopyItem::Trace,
        CopyItem::PolicyTrace,
        CopyItem::Command(Tool::Wstab),
        CopyItem::CommandWithSecrets(Tool::Wstab),
        CopyItem::Command(Tool::Wscat),
        CopyItem::CommandWithSecrets(Tool::Wscat),
        CopyItem::Command(Tool::Websocat),
        CopyItem::CommandWithSecrets(Tool::Websocat),
    ];

    /// The letter that picks the item in the menu.
    pub fn key(self) -> char {
        match self {
            CopyItem::Message => 'm',
            CopyItem::Url => 'u',
            CopyItem::UrlWithSecrets => 'U',
            CopyItem::Trace => 't',
            CopyItem::PolicyTrace => 'p',
            CopyItem::Command(Tool::Wstab) => 'w',
            CopyItem::CommandWithSecrets(Tool::Wstab) => 'W',
            CopyItem::Command(Tool::Wscat) => 'c',
            CopyItem::CommandWithSecrets(Tool::Wscat) => 'C',
            CopyItem::Command(Tool::Websocat) => 's',
            CopyItem::CommandWithSecrets(Tool::Websocat) => 'S',
        }
    }

    /// What the menu and the status bar call it.
    pub fn describe(self) -> String {
        match self {
            CopyItem::Message => "the selected message".into(),
            CopyItem::Url => "the request URL (secrets masked)".into(),
            CopyItem::UrlWithSecrets => "the request URL with its secrets".into(),
            CopyItem::Trace => "the handshake trace".into(),
            CopyItem::PolicyTrace => "the gateway's policy trace (secrets masked)".into(),
            CopyItem::Command(t) => format!("the `{}` command (secrets as ${{VARS}})", t.name()),
            CopyItem::CommandWithSecrets(t) => format!("the `{}` command with its secrets", t.name()),
        }
    }

    /// How the status bar names what was copied.
    pub fn short(self) -> String {
        match self {
            CopyItem::Message => "the message".into(),
            CopyItem::Url => "the URL (secrets masked)".into(),
            CopyItem::UrlWithSecrets => "the URL with secrets".into(),
            CopyItem::Trace => "the handshake trace".into(),
            CopyItem::PolicyTrace => "the policy trace".into(),
            CopyItem::Command(t) => format!("the {} command", t.name()),
            CopyItem::CommandWithSecrets(t) => format!("the {} command with secrets", t.name()),
        }
    }

    /// The item a letter picks.
    pub fn for_key(c: char) -> Option<CopyItem> {
        CopyItem::MENU.into_iter().find(|i| i.key() == c)
    }

    /// The items the menu offers: the policy trace only when the last handshake has one.
    pub fn offered(policy_trace: bool) -> Vec<CopyItem> {
        CopyItem::MENU.into_iter().filter(|i| policy_trace || *i != CopyItem::PolicyTrace).collect()
    }
}

/// What to put on the clipboard.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyContent {
    /// Ready text.
    Text(String),
    /// The request with its secrets: the loop resolves `${env:…}` references (an environment
    /// read, so not in `App`) and then renders it with [`RequestForm::render`].
    Request {
        /// The request, references unresolved.
        target: Box<Target>,
        /// URL or command line.
        form: RequestForm,
    },
}

/// How a request with secrets is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestForm {
    /// The URL with its query parameters.
    Url,
    /// A command line for the tool.
    Command(Tool),
}

impl RequestForm {
    /// The text, with every secret included.
    pub fn render(self, target: &Target) -> Result<String, wstab_core::connection::TargetError> {
        match self {
            RequestForm::Url => target.request_url().map(|u| u.to_string()),
            RequestForm::Command(tool) => command_line(target, tool, true),
        }
    }
}

impl App {
    /// The effect that copies `item`, or why there is nothing to copy.
    pub fn copy(&mut self, item: CopyItem) -> Option<Effect> {
        let what = item.short();
        let text = match item {
            CopyItem::Message => match self.selected_message_text() {
                Some(t) => t,
                None => {
                    self.notice("nothing to copy: the Messages log is empty", true);
                    return None;
                }
            },
            CopyItem::Trace => match self.trace_text() {
                Some(t) => t,
                None => {
                    let f5 = self.key_for(&crate::console::state::Intent::ToggleConnection);
                    self.notice(format!("nothing to copy: no handshake yet ({f5} connects)"), true);
                    return None;
                }
            },
            CopyItem::PolicyTrace => match &self.tab.policy_trace {
                Some(p) => self.masked(&p.to_text()),
                None => {
                    let why = "nothing to copy: the last handshake has no policy trace (T in Request asks a wstab gateway for one)";
                    self.notice(why, true);
                    return None;
                }
            },
            CopyItem::Url | CopyItem::UrlWithSecrets | CopyItem::Command(_) | CopyItem::CommandWithSecrets(_) => {
                let Some(target) = self.draft().map(|d| d.target()) else {
                    self.notice("nothing to copy: no API selected", true);
                    return None;
                };
                let rendered = match item {
                    CopyItem::Url => Ok(target.display_url()),
                    CopyItem::Command(tool) => command_line(&target, tool, false).map_err(|e| e.to_string()),
                    CopyItem::UrlWithSecrets => {
                        let content = CopyContent::Request { target: Box::new(target), form: RequestForm::Url };
                        return Some(Effect::Copy { what, content });
                    }
                    CopyItem::CommandWithSecrets(tool) => {
                        let form = RequestForm::Command(tool);
                        let content = CopyContent::Request { target: Box::new(target), form };
                        return Some(Effect::Copy { what, content });
                    }
                    _ => return None,
                };
                match rendered {
                    Ok(t) => t,
                    Err(e) => {
                        self.notice(format!("nothing copied: {e}"), true);
                        return None;
                    }
                }
            }
        };
        Some(Effect::Copy { what, content: CopyContent::Text(text) })
    }

    /// Why `item` has nothing to copy right now (the menu dims it and says so), or `None` when
    /// it has. The same checks as [`App::copy`], without building the text.
    pub fn nothing_to_copy(&self, item: CopyItem) -> Option<&'static str> {
        match item {
            CopyItem::Message if self.tab.messages.current(&self.tab.log).is_none() => Some("no messages yet"),
            CopyItem::Trace if self.tab.last_trace.is_none() && self.tab.last_error.is_none() => {
                Some("no handshake yet")
            }
            CopyItem::PolicyTrace if self.tab.policy_trace.is_none() => Some("none"),
            CopyItem::Url | CopyItem::UrlWithSecrets | CopyItem::Command(_) | CopyItem::CommandWithSecrets(_)
                if self.draft().is_none() =>
            {
                Some("no API selected")
            }
            _ => None,
        }
    }

    /// The selected message's full content: text as it is, binary as hex (as the composer's hex
    /// mode takes it back).
    fn selected_message_text(&self) -> Option<String> {
        let pos = self.tab.messages.current(&self.tab.log)?;
        let entry = self.tab.log.get(self.tab.log.seq_at(self.tab.messages.filter, pos)?)?;
        Some(match &entry.body {
            Body::Text(t) => t.to_string(),
            Body::Binary(b) => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" "),
        })
    }

    /// The trace as the trace view shows it: the failure and its hint, then request and response.
    fn trace_text(&self) -> Option<String> {
        if self.tab.last_trace.is_none() && self.tab.last_error.is_none() {
            return None;
        }
        let mut out = String::new();
        if let Some(e) = &self.tab.last_error {
            out.push_str(&format!("✗ {}\n{}\n", e.label(), e.message));
            if !e.hint.is_empty() {
                out.push_str(&format!("hint: {}\n", e.hint));
            }
            out.push('\n');
        }
        match &self.tab.last_trace {
            Some(t) => out.push_str(&t.to_text()),
            None => out.push_str("(no handshake: the connection failed before the request was sent)\n"),
        }
        if let Some(p) = &self.tab.policy_trace {
            out.push('\n');
            out.push_str(&self.masked(&p.to_text()));
        }
        Some(out)
    }

    /// `text` with the selected request's secrets masked. The gateway already masks its record;
    /// this keeps a secret the request sends out of the clipboard whatever the gateway wrote.
    fn masked(&self, text: &str) -> String {
        match self.draft() {
            Some(d) => d.target().masker().redact(text),
            None => text.to_string(),
        }
    }

    /// Ctrl-O: the saved messages of the selected API.
    pub(super) fn open_saved_messages(&mut self) {
        if self.saved_messages().is_empty() {
            self.notice("no saved messages for this API (a profile keeps them as [[messages]])", true);
        } else {
            self.modals.push(Modal::Menu(Menu::new(MenuKind::SavedMessages)));
        }
    }

    /// The picker's entries: the selected profile's saved messages, or the API's sample message;
    /// on a Web PubSub API then the protocol's message templates.
    pub fn saved_messages(&self) -> Vec<wstab_core::profile::SavedMessage> {
        let mut list = self.selected_entry().map(|e| e.messages.clone()).unwrap_or_default();
        let negotiated = self.tab.connection.as_ref().and_then(|c| c.subprotocol.as_deref());
        if self.draft().is_some_and(|d| super::webpubsub::is_webpubsub(&d.subprotocols, negotiated)) {
            // On the demo chat the sample joins `lobby`: the templates send to it and leave it.
            let group = super::webpubsub::joined_group(&list).unwrap_or_else(|| "group1".into());
            // A template the API already has is listed once: under the profile's own name, or
            // under the template's when it is the workspace's unnamed `sample` (the demo chat's
            // sample is its joinGroup).
            for t in super::webpubsub::templates_for(&group) {
                match list.iter_mut().find(|m| m.body == t.body && m.format == t.format) {
                    Some(same) if same.name == "sample" => same.name = t.name,
                    Some(_) => {}
                    None => list.push(t),
                }
            }
        }
        list
    }

    /// Puts the saved message at `index` of the picker in the composer, in its format.
    pub(super) fn load_saved_message(&mut self, index: usize) {
        let Some(m) = self.saved_messages().into_iter().nth(index) else { return };
        self.tab.composer.editor.set_text(&m.body);
        self.tab.composer.edited();
        self.tab.composer.mode = match m.format {
            wstab_core::profile::MessageFormat::Text => MessageMode::Text,
            wstab_core::profile::MessageFormat::Hex => MessageMode::Hex,
            wstab_core::profile::MessageFormat::Base64 => MessageMode::Base64,
        };
        self.focus = Pane::Composer;
        self.notice(format!("loaded the saved message {:?}", m.name), false);
    }
}
