//! A menu over the panes: the copy menu (`y`) and the saved messages (Ctrl-O). Arrows move,
//! Enter chooses, and in the copy menu each item's letter chooses it.

use super::{KeyContext, Outcome};
use crate::console::state::Intent;
use crate::console::state::copy::CopyItem;

/// Which menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    /// What to copy (`y`): the message, the URL, the trace, a command line.
    Copy,
    /// The saved messages of the selected API, for the composer (Ctrl-O).
    SavedMessages,
}

/// A menu and its highlighted item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Menu {
    /// Which menu.
    pub kind: MenuKind,
    /// The highlighted item.
    pub selected: usize,
}

/// What was chosen in a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// An item of the copy menu.
    Copy(CopyItem),
    /// The saved message at this position of the list.
    SavedMessage(usize),
}

impl Menu {
    /// A menu with its first item highlighted.
    pub fn new(kind: MenuKind) -> Self {
        Self { kind, selected: 0 }
    }

    /// Moves, chooses or closes.
    pub fn key(&mut self, intent: Intent, cx: &KeyContext) -> Outcome {
        let copy_items = CopyItem::offered(cx.policy_trace);
        let n = match self.kind {
            MenuKind::Copy => copy_items.len(),
            MenuKind::SavedMessages => cx.menu_len.max(1),
        };
        match (self.kind, intent) {
            (_, Intent::Up) => self.selected = (self.selected + n - 1) % n,
            (_, Intent::Down) => self.selected = (self.selected + 1) % n,
            // The key that opened the menu closes it again.
            (MenuKind::Copy, Intent::Escape | Intent::CopyMenu) => return Outcome::Close,
            (MenuKind::SavedMessages, Intent::Escape | Intent::PickSavedMessage) => return Outcome::Close,
            (MenuKind::Copy, Intent::Enter) => {
                return Outcome::Choose(Choice::Copy(copy_items[self.selected.min(n - 1)]));
            }
            (MenuKind::Copy, Intent::Char(c)) => {
                if let Some(item) = CopyItem::for_key(c).filter(|i| copy_items.contains(i)) {
                    return Outcome::Choose(Choice::Copy(item));
                }
            }
            (MenuKind::SavedMessages, Intent::Enter) => return Outcome::Choose(Choice::SavedMessage(self.selected)),
            _ => {}
        }
        Outcome::Stay
    }
}
