//! A scrolling view over the panes: the help, one message in full, the handshake trace, a
//! token's claims, an import's report, the gateway's side and the requests still waiting.

use super::{KeyContext, Menu, MenuKind, Modal, Outcome};
use crate::console::state::Intent;
use crate::console::state::request::Table;

/// What a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// The key bindings, generated from the keymap.
    Help,
    /// One log entry in full.
    Detail {
        /// The entry's seq.
        seq: u64,
    },
    /// The last handshake: request as sent, response, and the failure's hint.
    Trace,
    /// A JWT's decoded claims and expiry (`i` on a Request row whose value is a token).
    Token {
        /// The table of the row.
        table: Table,
        /// The row.
        row: usize,
    },
    /// The outcome of an import: what was imported, skipped and why.
    Report,
    /// The gateway's side (F6): its log records and metrics for the selected API.
    Gateway,
    /// Requests (and pings) of the shown tab still waiting for their reply, with their age (w).
    Waiting,
}

/// A view and how far it is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// What it shows.
    pub kind: ViewKind,
    /// First line shown (the gateway view: first record, 0 the newest).
    pub scroll: usize,
}

impl View {
    /// A view at its top line.
    pub fn new(kind: ViewKind) -> Self {
        Self { kind, scroll: 0 }
    }

    /// Scrolls, or closes, or opens another view or the copy menu.
    pub fn key(&mut self, intent: Intent, cx: &KeyContext) -> Outcome {
        let page = cx.page as isize;
        let delta = match intent {
            Intent::Up => -1,
            Intent::Down => 1,
            Intent::PageUp => -page,
            Intent::PageDown => page,
            Intent::First => -(isize::MAX / 2),
            Intent::Last => isize::MAX / 2,
            Intent::Escape | Intent::Enter => return Outcome::Close,
            // F1 over help closes it; over another view it opens on top (Esc comes back).
            Intent::Help => return self.toggle(ViewKind::Help, false),
            Intent::ShowWaiting => return self.toggle(ViewKind::Waiting, true),
            Intent::GatewayView => return self.toggle(ViewKind::Gateway, true),
            Intent::ToggleConnection => return Outcome::Then(Intent::ToggleConnection),
            // y from a view (the trace, a message) opens the copy menu in its place.
            Intent::CopyMenu => return Outcome::Replace(Modal::Menu(Menu::new(MenuKind::Copy))),
            _ => return Outcome::Stay,
        };
        let max = cx.scroll_max.min(isize::MAX as usize) as isize;
        self.scroll = (self.scroll as isize).saturating_add(delta).clamp(0, max) as usize;
        Outcome::Stay
    }

    /// The key of a view that opens `kind`: closes this view when it is one, else opens `kind`
    /// in its place (`replace`) or on top.
    fn toggle(&self, kind: ViewKind, replace: bool) -> Outcome {
        if self.kind == kind {
            Outcome::Close
        } else if replace {
            Outcome::Replace(Modal::View(View::new(kind)))
        } else {
            Outcome::Open(Modal::View(View::new(kind)))
        }
    }
}
