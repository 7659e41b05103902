//! Tracing to a file in the data dir, never to the terminal the console owns.
//!
//! The filter comes from `WSTAB_LOG` (or `RUST_LOG`), in `tracing_subscriber`'s `EnvFilter` syntax;
//! the default is `info`. Failing to open the log file is not fatal: wstab runs without a log.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Starts logging to `path` (or the default log file). Returns the path used, or `None` when the
/// file could not be opened.
pub fn init(path: Option<&Path>) -> Option<PathBuf> {
    let path = path.map(Path::to_path_buf).unwrap_or_else(wstab_core::paths::log_file);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = OpenOptions::new().create(true).append(true).open(&path).ok()?;
    let filter = std::env::var("WSTAB_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init()
        .is_ok();
    ok.then_some(path)
}
