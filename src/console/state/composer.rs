//! The **Message** composer: the editor, the history of sent messages, and whether it sends text
//! or binary (typed as hex or base64).

use base64::Engine;

use super::editor::Editor;
use wstab_core::connection::Command;

/// How the composer's text is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageMode {
    /// A text frame, as typed.
    #[default]
    Text,
    /// A binary frame, typed as hex (spaces allowed).
    Hex,
    /// A binary frame, typed as base64.
    Base64,
}

impl MessageMode {
    /// The next mode the toggle key switches to.
    pub fn next(self) -> Self {
        match self {
            MessageMode::Text => MessageMode::Hex,
            MessageMode::Hex => MessageMode::Base64,
            MessageMode::Base64 => MessageMode::Text,
        }
    }

    /// The name shown in the composer's title.
    pub fn name(self) -> &'static str {
        match self {
            MessageMode::Text => "text",
            MessageMode::Hex => "binary (hex)",
            MessageMode::Base64 => "binary (base64)",
        }
    }
}

/// The composer's state.
#[derive(Debug, Clone)]
pub struct Composer {
    /// What is being typed.
    pub editor: Editor,
    /// Text or binary.
    pub mode: MessageMode,
    /// Sent messages, oldest first (consecutive duplicates kept once).
    history: Vec<String>,
    /// Position in `history` while recalling; `None` when editing a new message.
    recalling: Option<usize>,
    /// The unsent text put aside while recalling, given back after the newest entry.
    stash: String,
}

/// How many sent messages are remembered for recall.
const HISTORY_LIMIT: usize = 500;

impl Default for Composer {
    fn default() -> Self {
        Self {
            editor: Editor::multi_line(),
            mode: MessageMode::Text,
            history: Vec::new(),
            recalling: None,
            stash: String::new(),
        }
    }
}

/// Why the composer's text cannot be sent in its mode.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Hex mode, and the text is not hex digits.
    #[error("not valid hex: {0}")]
    Hex(hex::FromHexError),
    /// Base64 mode, and the text is not base64.
    #[error("not valid base64: {0}")]
    Base64(base64::DecodeError),
}

impl Composer {
    /// The command that sends the current text in the current mode, or why it cannot be sent.
    pub fn command(&self) -> Result<Command, ComposeError> {
        let text = self.editor.text();
        match self.mode {
            MessageMode::Text => Ok(Command::Text(text)),
            MessageMode::Hex => {
                let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                let digits = digits.strip_prefix("0x").unwrap_or(&digits);
                hex::decode(digits).map(Command::Binary).map_err(ComposeError::Hex)
            }
            MessageMode::Base64 => {
                let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(digits)
                    .map(Command::Binary)
                    .map_err(ComposeError::Base64)
            }
        }
    }

    /// Remembers the current text as sent and empties the editor.
    pub fn sent(&mut self) {
        let text = self.editor.text();
        if self.history.last() != Some(&text) {
            self.history.push(text);
            if self.history.len() > HISTORY_LIMIT {
                self.history.remove(0);
            }
        }
        self.recalling = None;
        self.stash.clear();
        self.editor.clear();
    }

    /// Up at the first line: recall the previous sent message.
    pub fn recall_older(&mut self) {
        let pos = match self.recalling {
            None if self.history.is_empty() => return,
            None => {
                self.stash = self.editor.text();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(p) => p - 1,
        };
        self.recalling = Some(pos);
        self.editor.set_text(&self.history[pos]);
    }

    /// Down at the last line: recall the next sent message, then the unsent text.
    pub fn recall_newer(&mut self) {
        let Some(pos) = self.recalling else { return };
        if pos + 1 < self.history.len() {
            self.recalling = Some(pos + 1);
            self.editor.set_text(&self.history[pos + 1]);
        } else {
            self.recalling = None;
            let stash = std::mem::take(&mut self.stash);
            self.editor.set_text(&stash);
        }
    }

    /// Up: a row up as the text is drawn `width` columns wide (a line, when the width is not
    /// known: 0), or on the first row the previous sent message.
    pub fn up(&mut self, width: usize) {
        let moved = if width > 0 { self.editor.up_row(width) } else { self.editor.up() };
        if !moved {
            self.recall_older();
        }
    }

    /// Down: a row down as drawn (a line when `width` is 0), or on the last row the next sent
    /// message.
    pub fn down(&mut self, width: usize) {
        let moved = if width > 0 { self.editor.down_row(width) } else { self.editor.down() };
        if !moved {
            self.recall_newer();
        }
    }

    /// Any edit ends recalling: the recalled text becomes a new message.
    pub fn edited(&mut self) {
        self.recalling = None;
    }
}
