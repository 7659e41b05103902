//! What an accepted prompt does: one short arm per [`PromptFor`], each handing the text to the
//! method that owns the change (a new kind of prompt adds a variant and one arm here).

use std::path::PathBuf;

use super::PromptFor;
use crate::console::state::request::Table;
use crate::console::state::{App, CommandToSend, Effect, Viewport, token};
use wstab_core::connection::SessionState;

impl App {
    /// Does what the prompt for `what` was for, with the text typed.
    /// `viewport` is the screen the prompt was accepted on (a search shows its match mid-pane).
    pub(in crate::console::state) fn commit_prompt(
        &mut self,
        what: PromptFor,
        text: String,
        viewport: &Viewport,
    ) -> Option<Effect> {
        match what {
            PromptFor::ParamName { table, row, then_value } => self.set_row_name(table, row, &text, then_value),
            PromptFor::ParamValue { table, row } => self.set_row_value(table, row, text),
            PromptFor::Subprotocols => self.set_subprotocols(&text),
            PromptFor::Search => self.search_for(text, viewport),
            PromptFor::SavePath => self.save_session_to(text.trim()),
            PromptFor::HarPath | PromptFor::ScriptPath => self.export(&what, text.trim()),
            PromptFor::Correlation => self.set_correlation(text.trim()),
            PromptFor::Close => self.close_with(&text),
            PromptFor::SaveProfile => self.save_profile_as(text.trim()),
            PromptFor::RenameProfile { from } => self.rename_profile(&from, text.trim()),
            PromptFor::DuplicateProfile { from } => self.duplicate_profile(&from, text.trim()),
            PromptFor::ImportFile => self.ask_import_gateway(text.trim()),
            PromptFor::ImportGateway { path } => self.read_import(path, text.trim()),
            PromptFor::ConnectionString => self.ask_hub(text.trim()),
            PromptFor::Hub { connection_string } => self.set_access_token(&connection_string, text.trim()),
            PromptFor::OpenUrl | PromptFor::EditUrl => self.commit_url_prompt(what, text),
        }
    }

    fn set_row_name(&mut self, table: Table, row: usize, name: &str, then_value: bool) -> Option<Effect> {
        let name = name.trim();
        if name.is_empty() {
            // A parameter or header with no name cannot be sent: a new row is not added, a
            // renamed one keeps its name.
            if then_value {
                self.drop_unnamed_row(table, row);
                self.notice("not added: a row needs a name", true);
            } else {
                self.notice("not renamed: a row needs a name", true);
            }
            return None;
        }
        if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
            r.param.name = name.to_string();
        }
        if then_value {
            self.value_prompt(super::Prompt::new(PromptFor::ParamValue { table, row }, ""));
        }
        None
    }

    /// Removes row `row` of `table` if it still has no name (a new row whose name prompt was
    /// cancelled or left empty).
    pub(in crate::console::state) fn drop_unnamed_row(&mut self, table: Table, row: usize) {
        if let Some(d) = self.draft_mut()
            && d.rows_mut(table).get(row).is_some_and(|r| r.param.name.is_empty())
        {
            d.rows_mut(table).remove(row);
        }
    }

    fn set_row_value(&mut self, table: Table, row: usize, value: String) -> Option<Effect> {
        if self.value_took_access_token(table, row, &value) {
            return None;
        }
        if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
            r.param.value = value;
        }
        None
    }

    fn set_subprotocols(&mut self, text: &str) -> Option<Effect> {
        if let Some(d) = self.draft_mut() {
            d.subprotocols = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        None
    }

    fn search_for(&mut self, term: String, viewport: &Viewport) -> Option<Effect> {
        self.tab.messages.start_search(&self.tab.log, term);
        if !self.tab.messages.find(&self.tab.log, true, true, viewport.rows()) {
            self.notice(format!("no match for {:?}", self.tab.messages.search), true);
        }
        None
    }

    fn save_session_to(&mut self, path: &str) -> Option<Effect> {
        if path.is_empty() {
            self.notice("not saved: no file name", true);
            return None;
        }
        Some(Effect::Save { path: PathBuf::from(path) })
    }

    /// F4's prompt: `CODE [REASON]` (empty: 1000); a refusal quotes the code as it was read.
    fn close_with(&mut self, text: &str) -> Option<Effect> {
        let text = text.trim();
        let (code, reason) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let parsed = if code.is_empty() { Ok(1000) } else { code.parse::<u16>() };
        match parsed {
            Ok(code) if code == 1000 || (3000..=4999).contains(&code) || (1001..=1014).contains(&code) => {
                let effect = self.send(CommandToSend::Close { code, reason: reason.trim().to_string() });
                if effect.is_some()
                    && let Some(c) = self.tab.connection.as_mut()
                {
                    c.state = SessionState::Closing;
                }
                effect
            }
            Ok(_) => {
                self.notice(format!("close code {code:?} is not 1000-1014 or 3000-4999, e.g. `1000 bye`"), true);
                None
            }
            Err(_) => {
                self.notice(
                    format!("close code {code:?} is not a number: type a code and a reason, e.g. `1000 bye`"),
                    true,
                );
                None
            }
        }
    }

    fn ask_import_gateway(&mut self, path: &str) -> Option<Effect> {
        if path.is_empty() {
            self.notice("nothing imported: no file name", true);
        } else {
            self.start_prompt(PromptFor::ImportGateway { path: path.to_string() }, "");
        }
        None
    }

    fn read_import(&mut self, path: String, gateway: &str) -> Option<Effect> {
        let gateway = Some(gateway.to_string()).filter(|g| !g.is_empty());
        Some(Effect::ReadImport { path: PathBuf::from(path), gateway })
    }

    fn ask_hub(&mut self, connection_string: &str) -> Option<Effect> {
        if connection_string.is_empty() {
            self.notice("no connection string: nothing changed", true);
        } else {
            let hub = self.draft().and_then(|d| token::hub_in_url(&d.base_url)).unwrap_or("chat").to_string();
            self.start_prompt(PromptFor::Hub { connection_string: connection_string.to_string() }, &hub);
        }
        None
    }
}
