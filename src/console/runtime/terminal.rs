//! Taking the terminal over (raw mode, alternate screen, mouse, bracketed paste) and giving it
//! back on every way out: normal exit, error, and panic.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// True while the console owns the terminal. Restoring twice would leave the alternate screen
/// twice, and the second time moves the cursor back over what the panic hook just printed.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The console's terminal.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: Term,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, with mouse capture and bracketed paste, and
    /// installs a panic hook that restores the terminal before the panic message is printed.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        TAKEN.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as we found it. Safe to call more than once: only the first call after
/// [`TerminalGuard::enter`] does anything.
pub fn restore() {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), crossterm::cursor::Show);
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, or the message would land in the alternate screen and vanish.
        restore();
        previous(info);
    }));
}
