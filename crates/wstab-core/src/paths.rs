//! Where wstab keeps its files: the platform config dir (overridden by `WSTAB_CONFIG_DIR`) and
//! the platform data/state dir for logs (overridden by `WSTAB_DATA_DIR`).

use std::path::PathBuf;

use directories::ProjectDirs;

/// Environment variable that overrides the config dir (profiles, settings).
pub const CONFIG_DIR_ENV: &str = "WSTAB_CONFIG_DIR";
/// Environment variable that overrides the data dir (log files, captures).
pub const DATA_DIR_ENV: &str = "WSTAB_DATA_DIR";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "wstab", "wstab")
}

/// The config dir: `$WSTAB_CONFIG_DIR`, else the platform's (e.g. `~/.config/wstab`).
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    project_dirs().map(|d| d.config_dir().to_path_buf()).unwrap_or_else(|| PathBuf::from(".wstab"))
}

/// The data dir for logs: `$WSTAB_DATA_DIR`, else the platform's state dir (Linux) or data dir.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    project_dirs()
        .map(|d| d.state_dir().unwrap_or_else(|| d.data_local_dir()).to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("wstab"))
}

/// The log file wstab writes its own tracing output to.
pub fn log_file() -> PathBuf {
    data_dir().join("wstab.log")
}
