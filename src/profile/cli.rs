//! `wstab import apim` and `wstab profiles`: profiles from the command line.

use std::io::Read;

use super::{ProfileError, ProfileStore, import_apim_json};
use crate::cli::ImportApimArgs;

/// Exit code when an import read nothing usable or could not write.
const EXIT_FAILED: i32 = 1;

/// Imports `az apim api list` JSON into profiles; returns the exit code.
pub fn import_apim(args: &ImportApimArgs) -> i32 {
    let shown = args.file.display().to_string();
    let text = if shown == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(&args.file)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab import: cannot read {shown}: {e}");
            return crate::connect::EXIT_USAGE;
        }
    };
    let report = match import_apim_json(&text, args.gateway.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wstab import: {shown}: {e}");
            return crate::connect::EXIT_USAGE;
        }
    };
    let store = ProfileStore::open_default();
    let mut failed = false;
    for (name, profile) in &report.profiles {
        match store.save(name, profile, args.overwrite) {
            Ok(path) => println!("imported  {name:<24} {}  ->  {}", profile.base_url(), path.display()),
            Err(ProfileError::Exists(_)) => {
                println!("skipped   {name:<24} a profile of that name exists (use --overwrite)")
            }
            Err(e) => {
                failed = true;
                eprintln!("error     {name:<24} {e}");
            }
        }
    }
    for s in &report.skipped {
        println!("skipped   {:<24} {}", s.name, s.reason);
    }
    if report.profiles.is_empty() {
        eprintln!("wstab import: no WebSocket API found in {shown}");
        return EXIT_FAILED;
    }
    if failed { EXIT_FAILED } else { 0 }
}

/// Lists the saved profiles, and the files that fail to parse; returns the exit code.
pub fn list() -> i32 {
    let store = ProfileStore::open_default();
    let (profiles, errors) = store.load_all();
    if profiles.is_empty() && errors.is_empty() {
        println!("no profiles in {}", store.dir().display());
    }
    for (name, p) in &profiles {
        println!("{name:<24} {}", p.target_unresolved().display_url());
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() { 0 } else { EXIT_FAILED }
}
