//! Copying text out of wstab: the system clipboard through `arboard`, or — where there is none
//! (no display, e.g. over SSH) — the terminal's own clipboard through an OSC 52 escape sequence.

use std::io::Write;

use base64::Engine;

/// How a copy reached a clipboard, so the user is told which one holds the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMethod {
    /// The system clipboard (X11, Wayland, macOS, Windows) via arboard.
    System,
    /// An OSC 52 sequence asking the terminal to set its clipboard.
    Osc52,
}

impl CopyMethod {
    /// How the status bar names it.
    pub fn describe(self) -> &'static str {
        match self {
            CopyMethod::System => "system clipboard",
            CopyMethod::Osc52 => "terminal clipboard (OSC 52)",
        }
    }
}

/// Terminals commonly refuse OSC 52 payloads larger than this.
pub const OSC52_MAX_BYTES: usize = 100_000;

/// The OSC 52 sequence that sets the terminal's clipboard to `text`.
pub fn osc52_sequence(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text))
}

/// The system clipboard, kept open for the life of the program: on X11 the copied text is
/// served by the process that copied it, so it must outlive the copy.
pub struct Clipboard {
    system: Option<arboard::Clipboard>,
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard").field("system", &self.system.is_some()).finish()
    }
}

impl Clipboard {
    /// Opens the system clipboard when a display is reachable; otherwise only OSC 52 is used.
    pub fn open() -> Self {
        Self { system: display_available().then(|| arboard::Clipboard::new().ok()).flatten() }
    }

    /// A clipboard that never touches the system one (tests, `--no-system-clipboard`).
    pub fn osc52_only() -> Self {
        Self { system: None }
    }

    /// Copies `text`: to the system clipboard when possible, else as OSC 52 written to `terminal`.
    pub fn copy(&mut self, text: &str, terminal: &mut impl Write) -> Result<CopyMethod, ClipboardError> {
        if let Some(cb) = self.system.as_mut() {
            match cb.set_text(text.to_string()) {
                Ok(()) => return Ok(CopyMethod::System),
                Err(e) => tracing::info!(error = %e, "system clipboard failed; falling back to OSC 52"),
            }
        }
        if text.len() > OSC52_MAX_BYTES {
            return Err(ClipboardError::TooLong { bytes: text.len() });
        }
        terminal
            .write_all(osc52_sequence(text).as_bytes())
            .and_then(|()| terminal.flush())
            .map_err(ClipboardError::Terminal)?;
        Ok(CopyMethod::Osc52)
    }

    /// Reads text from the system clipboard; without one, says to use the terminal's paste.
    pub fn paste(&mut self) -> Result<String, ClipboardError> {
        match self.system.as_mut() {
            Some(cb) => cb.get_text().map_err(ClipboardError::System),
            None => Err(ClipboardError::NoSystemClipboard),
        }
    }
}

/// Why copying or pasting did not work.
#[derive(Debug, thiserror::Error)]
pub enum ClipboardError {
    /// No system clipboard, and the text is too long for OSC 52.
    #[error(
        "no system clipboard, and {bytes} bytes is more than terminals accept over OSC 52 ({OSC52_MAX_BYTES}); save it to a file instead"
    )]
    TooLong {
        /// The text's length.
        bytes: usize,
    },
    /// The OSC 52 sequence could not be written.
    #[error("cannot write to the terminal: {0}")]
    Terminal(std::io::Error),
    /// The system clipboard refused.
    #[error("clipboard: {0}")]
    System(arboard::Error),
    /// No system clipboard to read.
    #[error("no system clipboard here: use your terminal's paste (it arrives whole)")]
    NoSystemClipboard,
}

/// True when a system clipboard can exist: always on macOS/Windows, with a display on Unix.
fn display_available() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Trims what a paste usually carries by accident: surrounding whitespace and a trailing newline.
pub fn clean_pasted_value(text: &str) -> String {
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_osc52_bytes_when_no_display() {
        let mut out = Vec::new();
        let mut cb = Clipboard::osc52_only();
        assert_eq!(cb.copy("héllo", &mut out).unwrap(), CopyMethod::Osc52);
        assert_eq!(out, b"\x1b]52;c;aMOpbGxv\x07");
        assert!(cb.paste().is_err());
        assert!(cb.copy(&"x".repeat(OSC52_MAX_BYTES + 1), &mut Vec::new()).is_err());
    }

    #[test]
    fn test_pasted_values_are_trimmed() {
        assert_eq!(clean_pasted_value("  eyJ.abc.def\n"), "eyJ.abc.def");
    }
}
