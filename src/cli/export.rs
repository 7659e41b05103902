//! `wstab export k6`.

use crate::cli::args::ExportK6Args;
use crate::cli::exit::Exit;
use wstab_core::profile::ProfileStore;

/// Writes the script; returns the exit code.
pub fn run(args: &ExportK6Args) -> Exit {
    let profile = match ProfileStore::open_default().load(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wstab export k6: {e}");
            return Exit::Usage;
        }
    };
    let text = match wstab_core::export::k6::script(&args.profile, &profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab export k6: {e}");
            return Exit::Usage;
        }
    };
    match &args.output {
        None => {
            print!("{text}");
            Exit::Ok
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
                    Exit::Ok
                }
                Err(e) => {
                    eprintln!("wstab export k6: cannot write the script: {e}");
                    Exit::Failed
                }
            }
        }
    }
}
