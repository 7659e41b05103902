//! `wstab export k6`.

use crate::cli::args::ExportK6Args;
use wstab_core::profile::ProfileStore;

/// Writes the script; returns the exit code.
pub fn run(args: &ExportK6Args) -> i32 {
    let profile = match ProfileStore::open_default().load(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wstab export k6: {e}");
            return 2;
        }
    };
    let text = match wstab_core::export::k6::script(&args.profile, &profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab export k6: {e}");
            return 2;
        }
    };
    match &args.output {
        None => {
            print!("{text}");
            0
        }
        Some(path) => {
            let path = if path.parent().is_some_and(|p| p.as_os_str().is_empty()) {
                std::path::Path::new(".").join(path)
            } else {
                path.clone()
            };
            match wstab_core::profile::atomic_write(&path, text.as_bytes()) {
                Ok(()) => {
                    eprintln!("wrote {}", path.display());
                    0
                }
                Err(e) => {
                    eprintln!("wstab export k6: cannot write the script: {e}");
                    1
                }
            }
        }
    }
}
