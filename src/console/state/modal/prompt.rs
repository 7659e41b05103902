//! A one-line prompt: the field, what it edits ([`PromptFor`]) and its keys. What an accepted
//! prompt does is in `commit.rs`.

use super::{Modal, Outcome, View, ViewKind};
use crate::console::state::Intent;
use crate::console::state::editor::Editor;
use crate::console::state::request::Table;

/// What a one-line prompt is editing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptFor {
    /// A row's name (`then_value`: a new row, whose value is asked next).
    ParamName {
        /// The table.
        table: Table,
        /// The row.
        row: usize,
        /// Edit the value next.
        then_value: bool,
    },
    /// A row's value.
    ParamValue {
        /// The table.
        table: Table,
        /// The row.
        row: usize,
    },
    /// The subprotocols, comma-separated.
    Subprotocols,
    /// Text to search the log for.
    Search,
    /// The file to save the session to.
    SavePath,
    /// The file to export the shown tab's session to as HAR.
    HarPath,
    /// The file to save the shown tab's session to as a `wstab run` script.
    ScriptPath,
    /// The JSON pointer pairing requests with replies in the shown tab (empty: pings only).
    Correlation,
    /// Close code and reason, e.g. `1000 bye`.
    Close,
    /// The name to save the request as a profile under.
    SaveProfile,
    /// The new name of a saved profile.
    RenameProfile {
        /// Its current name.
        from: String,
    },
    /// The name of a copy of a saved profile.
    DuplicateProfile {
        /// The profile copied.
        from: String,
    },
    /// The `az apim api list` JSON file to import.
    ImportFile,
    /// The gateway URL for an import (empty: derived from each API's resource id).
    ImportGateway {
        /// The file, from the previous prompt.
        path: String,
    },
    /// A URL to open as a new ad-hoc entry (`n`).
    OpenUrl,
    /// The selected request's URL, query included (the URL row).
    EditUrl,
    /// A Web PubSub connection string, to generate an `access_token` with.
    ConnectionString,
    /// The hub the token is for.
    Hub {
        /// The connection string, from the previous prompt (kept in memory only).
        connection_string: String,
    },
}

impl PromptFor {
    /// The prompt's label, shown before the field.
    pub fn label(&self) -> &'static str {
        match self {
            PromptFor::ParamName { .. } => "Name",
            PromptFor::ParamValue { .. } => "Value",
            PromptFor::Subprotocols => "Subprotocols (comma-separated)",
            PromptFor::Search => "Search",
            PromptFor::SavePath => "Save session as NDJSON to",
            PromptFor::HarPath => "Export the tab's session as HAR to",
            PromptFor::ScriptPath => "Save the tab's session as a `wstab run` script to",
            PromptFor::Correlation => "Correlation JSON pointer, e.g. /ackId (empty: pair pings only)",
            PromptFor::Close => "Close with code and reason",
            PromptFor::SaveProfile => "Save the request as profile",
            PromptFor::RenameProfile { .. } => "Rename the profile to",
            PromptFor::DuplicateProfile { .. } => "Duplicate the profile as",
            PromptFor::ImportFile => "Import APIM APIs from (the JSON of `az apim api list`)",
            PromptFor::ImportGateway { .. } => "Gateway URL (empty: <service>.azure-api.net from each API's id)",
            PromptFor::ConnectionString => "Web PubSub connection string (used once, never saved)",
            PromptFor::Hub { .. } => "Hub name",
            PromptFor::OpenUrl => "Open URL (ws://, wss://, http:// or https://; typed or pasted)",
            PromptFor::EditUrl => "URL (the query becomes rows; ••••••: kept as it was)",
        }
    }

    /// True when the field holds a secret and is drawn masked.
    pub fn is_secret(&self) -> bool {
        matches!(self, PromptFor::ConnectionString)
    }
}

/// A one-line field being edited.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it edits.
    pub what: PromptFor,
    /// The text.
    pub field: Editor,
    /// Drawn as `•` (a secret row's value not revealed with `r`); it still edits as typed.
    pub masked: bool,
}

impl Prompt {
    /// A prompt for `what` holding `text`, the cursor at its end.
    pub fn new(what: PromptFor, text: &str) -> Self {
        Self { what, field: Editor::one_line(text), masked: false }
    }

    /// A prompt for `what` holding text pasted whole.
    pub fn pasted(what: PromptFor, text: &str) -> Self {
        let mut field = Editor::one_line("");
        field.insert_str(text);
        Self { what, field, masked: false }
    }

    /// Edits the field; Enter (or Tab) accepts, Esc cancels, F1 opens the help over it.
    pub fn key(&mut self, intent: Intent) -> Outcome {
        match intent {
            Intent::Escape => return Outcome::Close,
            Intent::Enter | Intent::FocusNext => return Outcome::Accept,
            Intent::Help => return Outcome::Open(Modal::View(View::new(ViewKind::Help))),
            Intent::Char(c) => self.field.insert_char(c),
            Intent::Backspace => self.field.backspace(),
            Intent::Delete => self.field.delete(),
            Intent::Left => self.field.left(),
            Intent::Right => self.field.right(),
            Intent::First => self.field.home(),
            Intent::Last => self.field.end(),
            Intent::DeleteToLineStart => self.field.delete_to_line_start(),
            _ => {}
        }
        Outcome::Stay
    }
}
