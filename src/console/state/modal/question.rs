//! A yes/no question asked before something that overwrites, deletes or will likely fail.

use super::Outcome;
use crate::console::state::Intent;
use crate::console::state::profiles::Pending;

/// A yes/no question and what yes does.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The question, ending in what `y` does.
    pub question: String,
    /// What happens on yes.
    pub on_yes: Pending,
    /// What Enter answers (shown as `Y/n` or `y/N`): no before anything destructive.
    pub enter_means_yes: bool,
}

impl Question {
    /// A question whose yes does `on_yes`.
    pub fn new(question: String, on_yes: Pending) -> Self {
        let enter_means_yes = on_yes.enter_means_yes();
        Self { question, on_yes, enter_means_yes }
    }

    /// The answers as the question shows them, the default in capitals.
    pub fn choices(&self) -> &'static str {
        if self.enter_means_yes { "Y/n" } else { "y/N" }
    }

    /// `y` answers yes, `n` or Esc no, Enter the default; any other key (`q` too) leaves the
    /// question open.
    pub fn key(&mut self, intent: Intent) -> Outcome {
        match intent {
            Intent::Char('y' | 'Y') => Outcome::Answer(true),
            Intent::Char('n' | 'N') | Intent::Escape => Outcome::Answer(false),
            Intent::Enter => Outcome::Answer(self.enter_means_yes),
            _ => Outcome::Stay,
        }
    }
}
