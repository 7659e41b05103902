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
}

impl Question {
    /// A question whose yes does `on_yes`.
    pub fn new(question: String, on_yes: Pending) -> Self {
        Self { question, on_yes }
    }

    /// `y` (or Enter) answers yes, `n` or Esc no; any other key leaves the question open.
    pub fn key(&mut self, intent: Intent) -> Outcome {
        match intent {
            Intent::Char('y' | 'Y') | Intent::Enter => Outcome::Answer(true),
            Intent::Char('n' | 'N') | Intent::Escape => Outcome::Answer(false),
            _ => Outcome::Stay,
        }
    }
}
