//! A yes/no question asked before something that overwrites, deletes or will likely fail.

use super::Outcome;
use crate::console::state::Intent;
use crate::console::state::profiles::Pending;

/// A yes/no question and what yes does.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The question alone: the keys that answer it are named once, by [`Question::keys`].
    pub question: String,
    /// What happens on yes.
    pub on_yes: Pending,
    /// What Enter answers: no before anything destructive.
    pub enter_means_yes: bool,
}

impl Question {
    /// A question whose yes does `on_yes`.
    pub fn new(question: String, on_yes: Pending) -> Self {
        let enter_means_yes = on_yes.enter_means_yes();
        Self { question, on_yes, enter_means_yes }
    }

    /// The keys that answer, with what each does and `enter` (the key that takes the default,
    /// as configured) beside the default, `esc` beside no: `y delete · n / Enter / Esc keep`.
    /// The one place a question names its keys.
    pub fn keys(&self, enter: &str, esc: &str) -> String {
        let (yes, no) = self.on_yes.answers();
        if self.enter_means_yes {
            format!("y / {enter} {yes} · n / {esc} {no}")
        } else {
            format!("y {yes} · n / {enter} / {esc} {no}")
        }
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
