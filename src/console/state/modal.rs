//! Modals: the one-line prompt, the yes/no question and the overlays (help, detail, trace,
//! token, copy menu, saved messages, import report, gateway, waiting requests). While one is
//! open it takes the keys before any pane; this module holds what each is and how it answers a
//! key.

use super::*;

/// A window drawn over the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The key bindings, generated from the keymap.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// One log entry in full.
    Detail {
        /// The entry's seq.
        seq: u64,
        /// First line shown.
        scroll: usize,
    },
    /// The last handshake: request as sent, response, and the failure's hint.
    Trace {
        /// First line shown.
        scroll: usize,
    },
    /// A JWT's decoded claims and expiry (`i` on a Request row whose value is a token).
    Token {
        /// The table of the row.
        table: Table,
        /// The row.
        row: usize,
        /// First line shown.
        scroll: usize,
    },
    /// What to copy (`y`): the message, the URL, the trace, a command line.
    CopyMenu {
        /// The highlighted item.
        selected: usize,
    },
    /// The saved messages of the selected API, for the composer (Ctrl-O).
    SavedMessages {
        /// The highlighted message.
        selected: usize,
    },
    /// The outcome of an import: what was imported, skipped and why.
    Report {
        /// First line shown.
        scroll: usize,
    },
    /// The gateway's side (F6): its log records and metrics for the selected API.
    Gateway {
        /// First record shown (0: the newest).
        scroll: usize,
    },
    /// Requests (and pings) of the shown tab still waiting for their reply, with their age (w).
    Waiting {
        /// First row shown.
        scroll: usize,
    },
}

impl Overlay {
    /// True for overlays whose keys pick an item by letter (they read keys as typed characters).
    pub fn is_menu(self) -> bool {
        matches!(self, Overlay::CopyMenu { .. } | Overlay::SavedMessages { .. })
    }
}

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
        }
    }

    /// True when the field holds a secret and is drawn masked.
    pub fn is_secret(&self) -> bool {
        matches!(self, PromptFor::ConnectionString)
    }
}

/// A yes/no question asked before something that overwrites, deletes or will likely fail.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// The question, ending in what `y` does.
    pub question: String,
    /// What happens on yes.
    pub on_yes: Pending,
}

/// A one-line field being edited.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it edits.
    pub what: PromptFor,
    /// The text.
    pub field: Editor,
}

impl App {
    pub(super) fn start_prompt(&mut self, what: PromptFor, text: &str) {
        self.prompt = Some(Prompt { what, field: Editor::one_line(text) });
    }

    pub(super) fn prompt_key(&mut self, action: Intent) -> Option<Effect> {
        let prompt = self.prompt.as_mut()?;
        match action {
            Intent::Escape => self.prompt = None,
            Intent::Enter | Intent::FocusNext => {
                let Prompt { what, field } = self.prompt.take()?;
                return self.commit_prompt(what, field.text());
            }
            Intent::Char(c) => prompt.field.insert_char(c),
            Intent::Backspace => prompt.field.backspace(),
            Intent::Delete => prompt.field.delete(),
            Intent::Left => prompt.field.left(),
            Intent::Right => prompt.field.right(),
            Intent::First => prompt.field.home(),
            Intent::Last => prompt.field.end(),
            Intent::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            _ => {}
        }
        None
    }

    pub(super) fn commit_prompt(&mut self, what: PromptFor, text: String) -> Option<Effect> {
        match what {
            PromptFor::ParamName { table, row, then_value } => {
                let name = text.trim().to_string();
                if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
                    r.param.name = name;
                }
                if then_value {
                    self.start_prompt(PromptFor::ParamValue { table, row }, "");
                }
            }
            PromptFor::ParamValue { table, row } => {
                if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
                    r.param.value = text;
                }
            }
            PromptFor::Subprotocols => {
                if let Some(d) = self.draft_mut() {
                    d.subprotocols = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                }
            }
            PromptFor::Search => {
                self.tab.messages.search = text;
                if !self.tab.messages.find(&self.tab.log, true, true) {
                    self.notice(format!("no match for {:?}", self.tab.messages.search), true);
                }
            }
            PromptFor::SavePath => {
                let path = text.trim();
                if path.is_empty() {
                    self.notice("not saved: no file name", true);
                    return None;
                }
                return Some(Effect::Save { path: PathBuf::from(path) });
            }
            PromptFor::HarPath | PromptFor::ScriptPath => return self.export(&what, text.trim()),
            PromptFor::Correlation => self.set_correlation(text.trim()),
            PromptFor::Close => {
                let text = text.trim();
                let (code, reason) = text.split_once(' ').unwrap_or((text, ""));
                let code = if code.is_empty() { Ok(1000) } else { code.parse::<u16>() };
                match code {
                    Ok(code) if code == 1000 || (3000..=4999).contains(&code) || (1001..=1014).contains(&code) => {
                        let effect = self.send(CommandToSend::Close { code, reason: reason.trim().to_string() });
                        if effect.is_some()
                            && let Some(c) = self.tab.connection.as_mut()
                        {
                            c.state = SessionState::Closing;
                        }
                        return effect;
                    }
                    _ => self.notice("close code must be 1000-1014 or 3000-4999, e.g. `1000 bye`", true),
                }
            }
            PromptFor::SaveProfile => return self.save_profile_as(text.trim()),
            PromptFor::RenameProfile { from } => return self.rename_profile(&from, text.trim()),
            PromptFor::DuplicateProfile { from } => return self.duplicate_profile(&from, text.trim()),
            PromptFor::ImportFile => {
                let path = text.trim();
                if path.is_empty() {
                    self.notice("nothing imported: no file name", true);
                } else {
                    self.start_prompt(PromptFor::ImportGateway { path: path.to_string() }, "");
                }
            }
            PromptFor::ImportGateway { path } => {
                let gateway = Some(text.trim().to_string()).filter(|g| !g.is_empty());
                return Some(Effect::ReadImport { path: PathBuf::from(path), gateway });
            }
            PromptFor::ConnectionString => {
                let cs = text.trim();
                if cs.is_empty() {
                    self.notice("no connection string: nothing changed", true);
                } else {
                    let hub = self.draft().and_then(|d| token::hub_in_url(&d.base_url)).unwrap_or("chat").to_string();
                    self.start_prompt(PromptFor::Hub { connection_string: cs.to_string() }, &hub);
                }
            }
            PromptFor::Hub { connection_string } => self.set_access_token(&connection_string, text.trim()),
        }
        None
    }

    pub(super) fn confirm_key(&mut self, confirm: Confirm, action: Intent) -> Option<Effect> {
        match action {
            Intent::Char('y' | 'Y') | Intent::Enter => self.confirmed(confirm.on_yes),
            Intent::Char('n' | 'N') | Intent::Escape => self.declined(confirm.on_yes),
            // Anything else leaves the question open.
            _ => {
                self.confirm = Some(confirm);
                None
            }
        }
    }

    pub(super) fn confirmed(&mut self, pending: Pending) -> Option<Effect> {
        match pending {
            Pending::Connect => self.connect(false),
            other => self.profile_confirmed(other),
        }
    }

    pub(super) fn overlay_key(&mut self, overlay: Overlay, action: Intent) -> Option<Effect> {
        match overlay {
            Overlay::CopyMenu { selected } => return self.copy_menu_key(selected, action),
            Overlay::SavedMessages { selected } => {
                self.saved_messages_key(selected, action);
                return None;
            }
            _ => {}
        }
        let max = self.overlay_scroll_max;
        let scroll_by = |s: usize, d: isize| {
            (s as isize).saturating_add(d).clamp(0, max.min(isize::MAX as usize) as isize) as usize
        };
        let page = self.tab.messages.rows.max(5) as isize;
        let delta = match action {
            Intent::Up => -1,
            Intent::Down => 1,
            Intent::PageUp => -page,
            Intent::PageDown => page,
            Intent::First => -(isize::MAX / 2),
            Intent::Last => isize::MAX / 2,
            Intent::Escape | Intent::Enter => {
                self.overlay = None;
                return None;
            }
            Intent::Help => {
                self.overlay =
                    if matches!(overlay, Overlay::Help { .. }) { None } else { Some(Overlay::Help { scroll: 0 }) };
                return None;
            }
            Intent::ToggleConnection => {
                self.overlay = None;
                return self.toggle_connection();
            }
            Intent::ShowWaiting => {
                self.overlay = if matches!(overlay, Overlay::Waiting { .. }) {
                    None
                } else {
                    Some(Overlay::Waiting { scroll: 0 })
                };
                return None;
            }
            Intent::GatewayView => {
                self.overlay = if matches!(overlay, Overlay::Gateway { .. }) {
                    None
                } else {
                    Some(Overlay::Gateway { scroll: 0 })
                };
                return None;
            }
            // y from a view (the trace, a message) opens the copy menu over it.
            Intent::CopyMenu => {
                self.overlay = Some(Overlay::CopyMenu { selected: 0 });
                return None;
            }
            _ => return None,
        };
        self.overlay = Some(match overlay {
            Overlay::Help { scroll } => Overlay::Help { scroll: scroll_by(scroll, delta) },
            Overlay::Detail { seq, scroll } => Overlay::Detail { seq, scroll: scroll_by(scroll, delta) },
            Overlay::Trace { scroll } => Overlay::Trace { scroll: scroll_by(scroll, delta) },
            Overlay::Token { table, row, scroll } => Overlay::Token { table, row, scroll: scroll_by(scroll, delta) },
            Overlay::Report { scroll } => Overlay::Report { scroll: scroll_by(scroll, delta) },
            Overlay::Gateway { scroll } => Overlay::Gateway { scroll: scroll_by(scroll, delta) },
            Overlay::Waiting { scroll } => Overlay::Waiting { scroll: scroll_by(scroll, delta) },
            menu @ (Overlay::CopyMenu { .. } | Overlay::SavedMessages { .. }) => menu,
        });
        None
    }
}
