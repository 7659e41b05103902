//! Keys for the four panes (**APIs**, **Request**, **Messages**, **Message**) once no modal
//! takes them, plus the mouse (click to focus and select, wheel to scroll) and pasting.

use super::*;

impl App {
    pub(super) fn apis_key(&mut self, action: Intent) {
        let n = self.catalog.len();
        if n == 0 {
            return;
        }
        let at = self.selected_index().unwrap_or(0);
        match action {
            Intent::Up => self.select_index(at.saturating_sub(1)),
            Intent::Down => self.select_index((at + 1).min(n - 1)),
            Intent::PageUp | Intent::First => self.select_index(0),
            Intent::PageDown | Intent::Last => self.select_index(n - 1),
            Intent::Enter => {
                if self.ask_switch(switch_entry::SwitchFor::Use) {
                    return;
                }
                // The request is this API's; the next thing to do is usually to write a message.
                self.load_sample_message();
                self.focus = Pane::Composer;
            }
            Intent::RenameProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    self.start_prompt(PromptFor::RenameProfile { from: from.clone() }, &from);
                }
            }
            Intent::DuplicateProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    let to = format!("{from}-copy");
                    self.start_prompt(PromptFor::DuplicateProfile { from }, &to);
                }
            }
            Intent::DeleteProfile => {
                if let Some(name) = self.selected_profile_or_say() {
                    let question = format!("Delete the profile {name:?} (its file too)?");
                    self.ask(question, Pending::Delete { name });
                }
            }
            _ => {}
        }
    }

    pub(super) fn request_key(&mut self, action: Intent) {
        let Some(d) = self.draft_mut() else { return };
        let last = d.row_count() - 1;
        match action {
            // The URL row sits above the first row.
            Intent::Up if d.selected == 0 => d.url_selected = true,
            Intent::Up => d.selected = d.selected.saturating_sub(1),
            Intent::Down if d.url_selected => d.url_selected = false,
            Intent::Down => d.selected = (d.selected + 1).min(last),
            Intent::First | Intent::PageUp => (d.selected, d.url_selected) = (0, true),
            Intent::Last | Intent::PageDown => (d.selected, d.url_selected) = (last, false),
            Intent::Enter | Intent::EditUrl if d.url_selected || action == Intent::EditUrl => self.edit_url(),
            // The row keys have no meaning on the URL row.
            Intent::RenameRow | Intent::Delete | Intent::ToggleRow | Intent::RevealRow if d.url_selected => {}
            Intent::Enter => {
                let (table, row) = d.locate(d.selected);
                match row {
                    Some(row) => {
                        let value = d.rows(table)[row].param.value.clone();
                        self.value_prompt(Prompt::new(PromptFor::ParamValue { table, row }, &value));
                    }
                    None => self.add_row(table),
                }
            }
            Intent::AddQueryParam => self.add_row(Table::Query),
            Intent::AddHeader => self.add_row(Table::Headers),
            Intent::ToggleApimTrace => self.toggle_apim_trace(),
            Intent::RenameRow => {
                let (table, row) = d.locate(d.selected);
                if let Some(row) = row {
                    let name = d.rows(table)[row].param.name.clone();
                    self.start_prompt(PromptFor::ParamName { table, row, then_value: false }, &name);
                }
            }
            Intent::Delete => {
                d.delete_selected();
            }
            Intent::ToggleRow => {
                if let Some(r) = d.selected_row() {
                    r.param.enabled = !r.param.enabled;
                }
            }
            Intent::RevealRow => {
                if let Some(r) = d.selected_row() {
                    r.revealed = !r.revealed;
                }
            }
            Intent::ToggleKeyPlace => match d.toggle_key_place() {
                Some(place) => {
                    let (name, r#where) = match place {
                        wstab_core::request::KeyPlace::Query => (&d.base.subscription_key.query, "query parameter"),
                        wstab_core::request::KeyPlace::Header => (&d.base.subscription_key.header, "header"),
                    };
                    let text = format!("the subscription key is sent as the {where} {name} (K moves it back)");
                    self.notice(text, false);
                }
                None => self.notice("no subscription key row here: add one with a (query) or A (header)", true),
            },
            Intent::EditSubprotocols => {
                let text = d.subprotocols.join(", ");
                self.start_prompt(PromptFor::Subprotocols, &text);
            }
            Intent::ShowToken => match token::token_row(d) {
                Some((table, row)) => {
                    d.selected = d.flat(table, Some(row));
                    d.url_selected = false;
                    self.open_view(ViewKind::Token { table, row });
                }
                None => self.notice("no JWT here: no query parameter or header value is a token", true),
            },
            _ => {}
        }
    }

    pub(super) fn add_row(&mut self, table: Table) {
        if let Some(d) = self.draft_mut() {
            let row = d.add_row(table);
            self.start_prompt(PromptFor::ParamName { table, row, then_value: true }, "");
        }
    }

    pub(super) fn messages_key(&mut self, action: Intent, viewport: &Viewport) {
        let rows = viewport.rows();
        let page = rows as isize;
        match action {
            Intent::Up => self.tab.messages.move_by(&self.tab.log, -1, rows),
            Intent::Down => self.tab.messages.move_by(&self.tab.log, 1, rows),
            Intent::PageUp => self.tab.messages.move_by(&self.tab.log, -page, rows),
            Intent::PageDown => self.tab.messages.move_by(&self.tab.log, page, rows),
            Intent::First => self.tab.messages.select(&self.tab.log, 0, 0, rows),
            Intent::Last => self.tab.messages.follow(),
            Intent::Enter => {
                if let Some(seq) = self
                    .tab
                    .messages
                    .current(&self.tab.log)
                    .and_then(|p| self.tab.log.seq_at(self.tab.messages.filter, p))
                {
                    self.open_view(ViewKind::Detail { seq });
                }
            }
            // A new term each time: typing never appends to the last one (n / N repeat it).
            Intent::Search => self.start_prompt(PromptFor::Search, ""),
            Intent::Escape if !self.tab.messages.search.is_empty() => {
                self.tab.messages.clear_search();
                self.notice("search cleared", false);
            }
            Intent::SearchOlder | Intent::SearchNewer => {
                if self.tab.messages.search.is_empty() {
                    self.notice("nothing to search for: press / first", true);
                } else if !self.tab.messages.find(&self.tab.log, action == Intent::SearchOlder, false, rows) {
                    self.notice(format!("no more matches for {:?}", self.tab.messages.search), true);
                }
            }
            Intent::CycleFilter => {
                let next = self.tab.messages.filter.next();
                self.tab.messages.set_filter(&self.tab.log, next, rows);
            }
            Intent::ToggleSequenceAck => self.toggle_auto_ack(),
            _ => {}
        }
    }

    pub(super) fn composer_key(&mut self, action: Intent, viewport: &Viewport) -> Option<Effect> {
        let c = &mut self.tab.composer;
        match action {
            Intent::Enter => {
                if self.ask_switch(switch_entry::SwitchFor::Send) {
                    return None;
                }
                if self.open_session().is_none() {
                    self.notice(
                        format!("not connected: press {} to connect", self.key_for(&Intent::ToggleConnection)),
                        true,
                    );
                    return None;
                }
                // An empty text message is almost always a stray Enter: nothing is sent. A 0-byte
                // frame is still one key away, on purpose: binary mode with nothing typed.
                if self.tab.composer.mode == super::composer::MessageMode::Text && self.tab.composer.editor.is_empty() {
                    let f2 = self.key_for(&Intent::ToggleMessageMode);
                    self.notice(
                        format!("empty message not sent (to send a 0-byte frame: {f2} to binary, then Enter)"),
                        false,
                    );
                    return None;
                }
                match self.tab.composer.command() {
                    Ok(mut command) => {
                        self.tab.composer.sent();
                        // A message with an ackId gets the tab's next one, so the hub's acks
                        // and the pairing tell each request apart without the user counting.
                        if let wstab_core::connection::Command::Text(t) = &command
                            && let Some(numbered) = super::webpubsub::number_ack_id(t, self.tab.next_ack_id)
                        {
                            self.notice(format!("sent with ackId {}", self.tab.next_ack_id), false);
                            self.tab.next_ack_id += 1;
                            command = wstab_core::connection::Command::Text(numbered);
                        }
                        return self.send(command.into());
                    }
                    Err(e) => self.notice(e.to_string(), true),
                }
            }
            Intent::Newline => {
                c.editor.newline();
                c.edited();
            }
            Intent::Char(ch) => {
                c.editor.insert_char(ch);
                c.edited();
            }
            Intent::Backspace => {
                c.editor.backspace();
                c.edited();
            }
            Intent::Delete => {
                c.editor.delete();
                c.edited();
            }
            Intent::DeleteToLineStart => {
                c.editor.delete_to_line_start();
                c.edited();
            }
            Intent::Left => c.editor.left(),
            Intent::Right => c.editor.right(),
            Intent::First => c.editor.home(),
            Intent::Last => c.editor.end(),
            Intent::Up => c.up(viewport.composer_width),
            Intent::Down => c.down(viewport.composer_width),
            // Leaving the editor hands keys back to the panes (so `q` quits again).
            Intent::Escape => self.focus = Pane::Messages,
            Intent::PickSavedMessage => self.open_saved_messages(),
            Intent::AddAckId => match super::webpubsub::add_ack_id(&c.editor.text()) {
                Ok(text) => {
                    c.editor.set_text(&text);
                    c.edited();
                    let next = self.tab.next_ack_id;
                    self.notice(format!("ackId added: sent as {next}"), false);
                }
                Err(why) => self.notice(why, true),
            },
            _ => {}
        }
        None
    }

    pub(super) fn paste(&mut self, text: String) -> Option<Effect> {
        if self.paste_url(&text) {
            return None;
        }
        if let Some(Modal::Prompt(p)) = self.modals.top_mut() {
            p.field.insert_str(&text);
        } else if !self.modals.is_empty() {
            // A menu or a question has no field to paste into.
        } else if self.focus == Pane::Composer {
            self.tab.composer.editor.insert_str(&text);
            self.tab.composer.edited();
        } else if self.focus == Pane::Request && self.draft().is_some_and(|d| d.url_selected) {
            // Pasting onto the URL row replaces the URL, to be checked and accepted.
            self.modals.push(Modal::Prompt(Prompt::pasted(PromptFor::EditUrl, &text)));
        } else if self.focus == Pane::Request
            && let Some(d) = self.draft_mut()
            && let (table, Some(row)) = d.locate(d.selected)
        {
            // Pasting onto a row edits its value: the usual way a long token arrives.
            self.value_prompt(Prompt::pasted(PromptFor::ParamValue { table, row }, &text));
        } else {
            self.notice("nothing to paste into: select a Request row or focus the Message composer", true);
        }
        None
    }

    pub(super) fn click(&mut self, pane: Pane, row: Option<usize>, viewport: &Viewport) {
        if self.modals.has_overlay() {
            return;
        }
        self.modals.retain(|m| !matches!(m, Modal::Prompt(_)));
        self.focus = pane;
        let Some(row) = row else { return };
        match pane {
            Pane::Apis => self.select_index(row),
            Pane::Request => {
                if let Some(d) = self.draft_mut()
                    && row < d.row_count()
                {
                    d.selected = row;
                    d.url_selected = false;
                }
            }
            Pane::Messages => {
                let rows = viewport.rows();
                let start = self.tab.messages.window(&self.tab.log, rows).start;
                if start + row < self.tab.log.len(self.tab.messages.filter) {
                    self.tab.messages.select(&self.tab.log, start + row, start, rows);
                }
            }
            Pane::Composer => {}
        }
    }

    pub(super) fn scroll(&mut self, pane: Pane, lines: isize, viewport: &Viewport) {
        // The wheel over a view or a menu moves it, as arrows would.
        let over_overlay = self.modals.top().is_some_and(Modal::is_overlay);
        match over_overlay {
            true => {
                let a = if lines < 0 { Intent::Up } else { Intent::Down };
                for _ in 0..lines.unsigned_abs() {
                    if self.modals.top().is_some_and(Modal::is_overlay) {
                        self.modal_key(a.clone(), viewport);
                    }
                }
            }
            false if pane == Pane::Messages => self.tab.messages.scroll(&self.tab.log, lines, viewport.rows()),
            false => {
                let a = if lines < 0 { Intent::Up } else { Intent::Down };
                match pane {
                    Pane::Apis => self.apis_key(a),
                    Pane::Request => self.request_key(a),
                    _ => {}
                }
            }
        }
    }
}
