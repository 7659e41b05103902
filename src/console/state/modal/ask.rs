//! A question with lettered options (more than yes or no): a few lines explaining it, then
//! options each picked by its letter (or ↑/↓ and Enter); Esc cancels. Used where a yes/no would
//! hide a real choice: using an entry other than the one the tab's session belongs to
//! (`switch_entry.rs`), where a typed secret goes when a profile is saved and the export lines to
//! copy (`secret_save.rs`).

use super::Outcome;
use crate::console::state::Intent;
use crate::console::state::secret_save::{ExportLines, SecretSave};
use crate::console::state::switch_entry::SwitchAsk;

/// One option of an [`Ask`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskOption {
    /// The letter that picks it.
    pub key: char,
    /// What it does, in the user's words.
    pub label: String,
}

impl AskOption {
    /// An option picked by `key`.
    pub fn new(key: char, label: impl Into<String>) -> Self {
        Self { key, label: label.into() }
    }
}

/// What the answer is for, so `App` can carry it out.
#[derive(Debug, Clone, PartialEq)]
pub enum AskFor {
    /// The tab's session belongs to one entry, but the user tried to use another.
    Switch(SwitchAsk),
    /// Where one typed secret of a profile being saved goes.
    SecretPlace(SecretSave),
    /// The `export` lines of secrets saved as `${env:NAME}` references, to copy.
    ExportLines(ExportLines),
}

/// A question with lettered options.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    /// The modal's title.
    pub title: String,
    /// Lines explaining the choice, drawn above the options.
    pub text: Vec<String>,
    /// The options, in order.
    pub options: Vec<AskOption>,
    /// The highlighted option (Enter picks it).
    pub selected: usize,
    /// What the answer is for.
    pub on: AskFor,
}

impl Ask {
    /// A letter or Enter picks, ↑/↓ move, Esc cancels (`Pick(None)`); any other key leaves the
    /// question open (F5, Ctrl-T and the like wait for the answer).
    pub fn key(&mut self, intent: Intent) -> Outcome {
        let n = self.options.len().max(1);
        match intent {
            Intent::Up => self.selected = (self.selected + n - 1) % n,
            Intent::Down => self.selected = (self.selected + 1) % n,
            Intent::Enter => {
                if let Some(o) = self.options.get(self.selected) {
                    return Outcome::Pick(Some(o.key));
                }
            }
            Intent::Char(c) if self.options.iter().any(|o| o.key == c) => return Outcome::Pick(Some(c)),
            Intent::Escape => return Outcome::Pick(None),
            _ => {}
        }
        Outcome::Stay
    }
}

impl crate::console::state::App {
    /// An option of an [`Ask`] was picked (`None`: cancelled).
    pub(in crate::console::state) fn asked(
        &mut self,
        on: AskFor,
        key: Option<char>,
    ) -> Option<crate::console::state::Effect> {
        match on {
            AskFor::Switch(ask) => match key {
                Some(key) => self.switch_picked(ask, key),
                None => {
                    self.switch_cancelled(ask);
                    None
                }
            },
            AskFor::SecretPlace(save) => match key {
                Some(key) => self.secret_place_picked(save, key),
                None => {
                    self.secret_save_cancelled(save);
                    None
                }
            },
            AskFor::ExportLines(lines) => self.export_lines_picked(lines, key),
        }
    }
}
