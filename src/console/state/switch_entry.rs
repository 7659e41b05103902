//! The console never sends where the user is not looking. A tab's session belongs to one catalog
//! entry (`Connection::entry`); while it is live, selecting another entry shows that entry's
//! request, but the composer's title keeps naming where a message goes (`→ Echo (connected)`),
//! and sending, connecting (F5) or using (Enter in APIs) the other entry asks first: disconnect
//! and switch, or open it in a new tab.

use super::modal::{Ask, AskFor, AskOption};
use super::*;

/// What the user tried to do with the entry that is not the session's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchFor {
    /// Enter in the composer: send the message.
    Send,
    /// F5: connect (or disconnect the other).
    Connect,
    /// Enter in APIs: use the entry and write a message.
    Use,
}

/// The question's facts: which entry the session is on, which one the user selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchAsk {
    /// The entry the tab's live session belongs to.
    pub connected: EntryId,
    /// The entry the user selected and tried to use.
    pub selected: EntryId,
    /// What was tried.
    pub why: SwitchFor,
}

/// Where the composer sends, as its title says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendsTo {
    /// The entry's title (`Echo`).
    pub title: String,
    /// `connected`, `connecting…` or `not connected`.
    pub state: &'static str,
    /// The entry shown in the Request pane is another one: the title is drawn as a warning.
    pub elsewhere: bool,
}

impl App {
    /// The title of a catalog entry, or what to call one deleted since.
    pub fn entry_title(&self, id: EntryId) -> String {
        self.catalog.get(id).map(|e| e.title.clone()).unwrap_or_else(|| "a deleted entry".to_string())
    }

    /// Where a message typed in the composer goes: the live session's entry, else the selected
    /// entry (which F5 would connect).
    pub fn sends_to(&self) -> Option<SendsTo> {
        let live =
            self.tab.connection.as_ref().filter(|c| matches!(c.state, SessionState::Connecting | SessionState::Open));
        match live {
            Some(c) => Some(SendsTo {
                title: self.entry_title(c.entry),
                state: if c.state == SessionState::Open { "connected" } else { "connecting…" },
                elsewhere: self.tab.selected != Some(c.entry),
            }),
            None => {
                let id = self.tab.selected?;
                Some(SendsTo { title: self.entry_title(id), state: "not connected", elsewhere: false })
            }
        }
    }

    /// When the tab's live session belongs to another entry than the selected one, opens the
    /// question and returns true (the caller does nothing else).
    pub(super) fn ask_switch(&mut self, why: SwitchFor) -> bool {
        let Some(connected) =
            self.tab.connection.as_ref().filter(|c| matches!(c.state, SessionState::Connecting | SessionState::Open))
        else {
            return false;
        };
        let connected = connected.entry;
        let Some(selected) = self.tab.selected.filter(|s| *s != connected) else { return false };
        let (from, to) = (self.entry_title(connected), self.entry_title(selected));
        let tried = match why {
            SwitchFor::Send => "send this message to",
            SwitchFor::Connect => "connect",
            SwitchFor::Use => "use",
        };
        let mut options = vec![
            AskOption::new('d', format!("disconnect {from} and connect {to} in this tab")),
            AskOption::new('t', format!("open {to} in a new tab ({from} stays connected here)")),
        ];
        if why == SwitchFor::Connect {
            options.push(AskOption::new('x', format!("just disconnect {from}")));
        }
        options.push(AskOption::new('b', format!("back to {from}: select it again")));
        self.ask_options(Ask {
            title: "This tab is connected elsewhere".into(),
            text: vec![format!("This tab's session is {from}'s; {to} is selected."), format!("To {tried} {to}:")],
            options,
            selected: 0,
            on: AskFor::Switch(SwitchAsk { connected, selected, why }),
        });
        true
    }

    pub(super) fn switch_picked(&mut self, ask: SwitchAsk, key: char) -> Option<Effect> {
        let to = self.entry_title(ask.selected);
        match key {
            'd' => {
                let old = self.tab.connection.as_mut().filter(|c| c.entry == ask.connected)?;
                old.state = SessionState::Closing;
                let disconnect = Effect::Disconnect { session: old.id };
                self.tab.selected = Some(ask.selected);
                // Connecting may stop at a question (an expired token) or a missing value:
                // the old session ends either way, as the user chose.
                let connect = self.connect(true);
                if connect.is_some() && ask.why == SwitchFor::Send {
                    self.notice(format!("connecting to {to}: Enter sends the message once connected"), false);
                }
                Some(match connect {
                    Some(c) => Effect::Batch(vec![disconnect, c]),
                    None => disconnect,
                })
            }
            't' => {
                // The message moves with the user to the tab that will send it.
                let draft = if ask.why == SwitchFor::Send {
                    let text = self.tab.composer.editor.text();
                    self.tab.composer.editor.clear();
                    text
                } else {
                    String::new()
                };
                // The tab keeps showing its own session's request.
                self.tab.selected = Some(ask.connected);
                self.new_tab();
                self.tab.selected = Some(ask.selected);
                self.tab.composer.editor.clear();
                if draft.is_empty() {
                    self.load_sample_message();
                } else {
                    self.tab.composer.editor.set_text(&draft);
                }
                self.focus = Pane::Composer;
                let connect = self.connect(true);
                if connect.is_some() {
                    let (n, of) = (self.active + 1, self.tab_count());
                    let then = if ask.why == SwitchFor::Send { "; Enter sends the message once connected" } else { "" };
                    self.notice(format!("tab {n} of {of}: connecting to {to}{then}"), false);
                }
                connect
            }
            'x' => {
                self.tab.selected = Some(ask.connected);
                let effect = self.toggle_connection();
                self.tab.selected = Some(ask.selected);
                effect
            }
            _ => {
                self.tab.selected = Some(ask.connected);
                self.notice(format!("{} selected again: messages go to it", self.entry_title(ask.connected)), false);
                None
            }
        }
    }

    pub(super) fn switch_cancelled(&mut self, ask: SwitchAsk) {
        let from = self.entry_title(ask.connected);
        let what = match ask.why {
            SwitchFor::Send => "nothing sent",
            SwitchFor::Connect | SwitchFor::Use => "nothing changed",
        };
        self.notice(format!("{what}: this tab's session is {from}'s"), false);
    }
}
