//! `wstab import apim` and `wstab profiles`: profiles from the command line.

use std::io::Read;

use crate::cli::args::{ImportApimArgs, ImportTokenArgs, ImportWebPubSubArgs};
use crate::cli::exit::Exit;
use wstab_core::profile::webpubsub::{TokenFor, hub_of, hub_profile, refresh_from_env, set_access_token};
use wstab_core::profile::{Profile, ProfileError, ProfileStore, import_apim_json, sanitize_name, validate_name};
use wstab_core::webpubsub_token::{ConnectionString, TokenError, parse_ttl};

/// Imports `az apim api list` JSON into profiles; returns the exit code.
pub fn import_apim(args: &ImportApimArgs) -> Exit {
    let (shown, text, gateway) = match from_file_or_azure(args) {
        Ok(read) => read,
        Err(exit) => return exit,
    };
    let report = match import_apim_json(&text, gateway.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wstab import: {shown}: {e}");
            return Exit::Usage;
        }
    };
    let tokens = match TokenSource::from_args(&args.token) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab import: {e}");
            return Exit::Usage;
        }
    };
    let mut report = report;
    if let Err(exit) = subscription_key_into(args, &mut report.profiles) {
        return exit;
    }
    let mut notes: Vec<String> = vec![String::new(); report.profiles.len()];
    if let Some(tokens) = &tokens {
        for ((_, profile), note) in report.profiles.iter_mut().zip(notes.iter_mut()) {
            let Some(hub) = hub_of(&profile.url_suffix).map(str::to_string) else { continue };
            match tokens.apply(profile, &hub) {
                Ok(text) => *note = text,
                Err(e) => {
                    eprintln!("wstab import: {e}");
                    return Exit::Usage;
                }
            }
        }
    }
    let store = ProfileStore::open_default();
    let mut failed = false;
    for ((name, profile), note) in report.profiles.iter().zip(&notes) {
        match store.save(name, profile, args.overwrite) {
            Ok(path) => println!("imported  {name:<24} {}  ->  {}{note}", profile.base_url(), path.display()),
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
        return Exit::Failed;
    }
    if failed { Exit::Failed } else { Exit::Ok }
}

/// The API list and the gateway URL: from the file (or stdin), or from `az` for
/// `--resource-group`/`--service-name`. An error was reported; its exit code is returned.
fn from_file_or_azure(args: &ImportApimArgs) -> Result<(String, String, Option<String>), Exit> {
    if let (Some(rg), Some(service)) = (&args.resource_group, &args.service_name) {
        return match crate::cli::az::read_service(rg, service) {
            // An explicit --gateway wins over the service's own gatewayUrl.
            Ok(read) => Ok((format!("service {service}"), read.api_list, args.gateway.clone().or(read.gateway_url))),
            Err(e) => {
                eprintln!("wstab import: {e}");
                Err(Exit::Failed)
            }
        };
    }
    let file = args.file.clone().unwrap_or_else(|| "-".into());
    let shown = file.display().to_string();
    let text = if shown == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(&file)
    };
    match text {
        Ok(t) => Ok((shown, t, args.gateway.clone())),
        Err(e) => {
            eprintln!("wstab import: cannot read {shown}: {e}");
            Err(Exit::Usage)
        }
    }
}

/// `--subscription SID`: the subscription's primary key into every imported profile's key
/// place, as an `${env:NAME}` reference (the `export` line printed to copy) or, with
/// `--store-secrets-in-file`, as typed (profile files are 0600).
fn subscription_key_into(args: &ImportApimArgs, profiles: &mut [(String, Profile)]) -> Result<(), Exit> {
    let (Some(sid), Some(rg), Some(service)) = (&args.subscription, &args.resource_group, &args.service_name) else {
        return Ok(());
    };
    let key = match crate::cli::az::subscription_primary_key(rg, service, sid) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("wstab import: {e}");
            return Err(Exit::Failed);
        }
    };
    let env_name = args.key_env.clone().unwrap_or_else(|| crate::cli::az::key_env_name(service));
    let value = if args.store_secrets_in_file { key.clone() } else { format!("${{env:{env_name}}}") };
    for (_, profile) in profiles.iter_mut() {
        let names = profile.subscription_key.clone().unwrap_or_default();
        // The key goes where the profile sends it (the query place after an import).
        for p in profile.query.iter_mut().filter(|p| names.is_key_row(p, true) && p.enabled) {
            p.value = value.clone();
        }
        for p in profile.headers.iter_mut().filter(|p| names.is_key_row(p, false) && p.enabled) {
            p.value = value.clone();
        }
    }
    if args.store_secrets_in_file {
        println!("subscription {sid}: its primary key is stored in the profile files (mode 0600)");
    } else {
        println!("subscription {sid}: the profiles read its primary key from ${{env:{env_name}}}; set it with:");
        // Single-quoted for the shell: a key is base64, but a quote in it must not end the word.
        println!("export {env_name}='{}'", key.replace('\'', "'\\''"));
    }
    Ok(())
}

/// Lists the saved profiles, and the files that fail to parse; returns the exit code.
pub fn list() -> Exit {
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
    if errors.is_empty() { Exit::Ok } else { Exit::Failed }
}

/// Why the connection string or token flags cannot be used.
#[derive(Debug, thiserror::Error)]
enum TokenArgError {
    /// `--connection-string-env NAME` names an unset variable.
    #[error("environment variable {0} (--connection-string-env) is not set")]
    EnvNotSet(String),
    /// The connection string or `--ttl` does not parse.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// A connection string given on the command line, and how the token is made.
struct TokenSource {
    cs: ConnectionString,
    /// Set when the string came from an environment variable the profile may reference.
    env_name: Option<String>,
    who: TokenFor,
}

impl TokenSource {
    fn from_args(args: &ImportTokenArgs) -> Result<Option<Self>, TokenArgError> {
        let (text, env_name) = match (&args.connection_string, &args.connection_string_env) {
            (Some(cs), _) => (cs.clone(), None),
            (None, Some(name)) => {
                let value = std::env::var(name).map_err(|_| TokenArgError::EnvNotSet(name.clone()))?;
                (value, Some(name.clone()))
            }
            (None, None) => return Ok(None),
        };
        let cs = ConnectionString::parse(&text)?;
        let ttl = parse_ttl(&args.ttl)?;
        Ok(Some(Self { cs, env_name, who: TokenFor { user: args.user.clone(), roles: args.roles.clone(), ttl } }))
    }

    /// Puts a fresh `access_token` for `hub` in the profile (and the `${env:…}` refresh when the
    /// string came from the environment); returns the note printed beside the profile.
    fn apply(&self, profile: &mut Profile, hub: &str) -> Result<String, TokenError> {
        let expires = set_access_token(profile, &self.cs, hub, &self.who)?;
        let mut note =
            format!("\n          access_token for hub {hub} expires {}", wstab_core::clock::rfc3339(expires));
        if let Some(name) = &self.env_name {
            refresh_from_env(profile, name, hub, &self.who);
            note.push_str(&format!(" (a fresh one is made from ${{env:{name}}} on every connect)"));
        }
        Ok(note)
    }
}

/// Creates a profile for one Web PubSub hub with a generated `access_token`; returns the exit
/// code.
pub fn import_webpubsub(args: &ImportWebPubSubArgs) -> Exit {
    let tokens = match TokenSource::from_args(&args.token) {
        Ok(Some(t)) => t,
        Ok(None) => {
            eprintln!("wstab import webpubsub: give --connection-string STRING or --connection-string-env NAME");
            return Exit::Usage;
        }
        Err(e) => {
            eprintln!("wstab import webpubsub: {e}");
            return Exit::Usage;
        }
    };
    let name = args.name.clone().unwrap_or_else(|| sanitize_name(&args.hub));
    if let Err(e) = validate_name(&name) {
        eprintln!("wstab import webpubsub: {e}");
        return Exit::Usage;
    }
    let mut profile = hub_profile(&tokens.cs, &args.hub, args.gateway.as_deref());
    let note = match tokens.apply(&mut profile, &args.hub) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("wstab import webpubsub: {e}");
            return Exit::Usage;
        }
    };
    match ProfileStore::open_default().save(&name, &profile, args.overwrite) {
        Ok(path) => {
            println!("imported  {name:<24} {}  ->  {}{note}", profile.base_url(), path.display());
            Exit::Ok
        }
        Err(e @ ProfileError::Exists(_)) => {
            eprintln!("wstab import webpubsub: {e} (use --overwrite)");
            Exit::Failed
        }
        Err(e) => {
            eprintln!("wstab import webpubsub: {e}");
            Exit::Failed
        }
    }
}
