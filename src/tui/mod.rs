//! The console (see issue 4).

use std::path::PathBuf;

/// Runs the console; returns the exit code.
pub async fn run(_workspace: Option<PathBuf>) -> i32 {
    eprintln!("wstab: the console is not built yet; try `wstab connect URL`");
    1
}
