//! `wstab export k6` and `wstab export artillery`.

use crate::cli::args::ExportK6Args;
use crate::cli::exit::Exit;
use wstab_core::profile::{Profile, ProfileStore};
use wstab_core::request::RequestError;

/// Writes the k6 script; returns the exit code.
pub fn run(args: &ExportK6Args) -> Exit {
    write_script("k6", args, wstab_core::export::k6::script)
}

/// Writes the Artillery script; returns the exit code.
pub fn run_artillery(args: &ExportK6Args) -> Exit {
    write_script("artillery", args, wstab_core::export::artillery::script)
}

/// Loads the profile, turns it into a script with `script` and writes it where asked.
fn write_script(format: &str, args: &ExportK6Args, script: fn(&str, &Profile) -> Result<String, RequestError>) -> Exit {
    let profile = match ProfileStore::open_default().load(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wstab export {format}: {e}");
            return Exit::Usage;
        }
    };
    let text = match script(&args.profile, &profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab export {format}: {e}");
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
                    eprintln!("wstab export {format}: cannot write the script: {e}");
                    Exit::Failed
                }
            }
        }
    }
}
