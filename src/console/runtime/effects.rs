//! The effects that reach outside the console besides sessions: the profile store, import files,
//! the environment (for `${env:…}` in copies with secrets) and the clipboard. Each answers with
//! the [`Reply`] the app gets next, so tests drive them with a temp store, an OSC 52-only
//! clipboard and a byte buffer for the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::console::clipboard::{Clipboard, clean_pasted_value};
use crate::console::state::copy::CopyContent;
use crate::console::state::profiles::{ProfileOp, ProfileOutcome};
use crate::console::state::{Effect, ImportFileError, Notice, Reply};
use wstab_core::profile::{ProfileError, ProfileStore, import_apim_json, resolve_target};

/// What the loop keeps for these effects for as long as it runs.
#[derive(Debug)]
pub struct Outside {
    /// The profiles folder.
    pub store: ProfileStore,
    /// The clipboard, opened once: on X11 the copied text lives as long as this does.
    pub clipboard: Clipboard,
}

impl Outside {
    /// The store and clipboard the effects use.
    pub fn new(store: ProfileStore, clipboard: Clipboard) -> Self {
        Self { store, clipboard }
    }

    /// Carries out `effect` if it is one of these, writing OSC 52 to `terminal` when a copy needs
    /// it; gives any other effect back.
    pub fn carry_out(&mut self, effect: Effect, terminal: &mut impl Write) -> Result<Reply, Effect> {
        match effect {
            Effect::Profiles { ops, select } => Ok(self.profiles(ops, select)),
            Effect::ReadImport { path, gateway } => Ok(read_import(&path, gateway.as_deref())),
            Effect::Copy { what, content } => Ok(self.copy(&what, content, terminal)),
            Effect::PasteFromClipboard => Ok(self.paste()),
            Effect::WriteFile { path, what, contents } => Ok(write_file(&path, &what, &contents)),
            other => Err(other),
        }
    }

    /// The profiles as they are now, with `outcomes` to report.
    pub fn load_profiles(&self, outcomes: Vec<ProfileOutcome>, select: Option<String>) -> Reply {
        let (profiles, errors) = self.store.load_all();
        let broken = errors.iter().filter_map(|e| Some((broken_name(e)?, e.to_string()))).collect();
        Reply::ProfilesLoaded { profiles, broken, outcomes, select }
    }

    /// Carries out each operation in order, then reloads.
    pub fn profiles(&self, ops: Vec<ProfileOp>, select: Option<String>) -> Reply {
        let outcomes = ops.into_iter().map(|op| self.profile_op(op)).collect();
        self.load_profiles(outcomes, select)
    }

    fn profile_op(&self, op: ProfileOp) -> ProfileOutcome {
        let name = op.name().to_string();
        let s = &self.store;
        let result = match op {
            ProfileOp::Save { name, profile, overwrite } => {
                s.save(&name, &profile, overwrite).map(|path| format!("saved profile {name} to {}", path.display()))
            }
            ProfileOp::Rename { from, to } => s.rename(&from, &to).map(|()| format!("renamed profile {from} to {to}")),
            ProfileOp::Duplicate { from, to } => {
                s.duplicate(&from, &to).map(|()| format!("copied profile {from} to {to}"))
            }
            ProfileOp::Delete { name } => s.delete(&name).map(|()| format!("deleted profile {name}")),
        };
        ProfileOutcome { name, result }
    }

    /// Copies, and says which clipboard now holds the text.
    pub fn copy(&mut self, what: &str, content: CopyContent, terminal: &mut impl Write) -> Reply {
        let text = match content {
            CopyContent::Text(t) => Ok(t),
            CopyContent::Request { mut target, form } => resolve_target(&mut target)
                .map_err(CopyError::from)
                .and_then(|()| form.render(&target).map_err(CopyError::from)),
        };
        let copied = text.and_then(|t| self.clipboard.copy(&t, terminal).map_err(CopyError::from));
        let notice = match copied {
            Ok(method) => Notice { text: format!("copied {what} to the {}", method.describe()), error: false },
            Err(e) => Notice { text: format!("not copied: {e}"), error: true },
        };
        Reply::Report(notice)
    }

    /// The system clipboard's text, trimmed, for the focused field.
    pub fn paste(&mut self) -> Reply {
        match self.clipboard.paste() {
            Ok(text) => Reply::Pasted(clean_pasted_value(&text)),
            Err(e) => Reply::Report(Notice { text: format!("nothing pasted: {e}"), error: true }),
        }
    }
}

/// Why a copy did not reach a clipboard.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A `${env:NAME}` reference in the request could not be resolved.
    #[error(transparent)]
    Resolve(#[from] wstab_core::profile::EnvRefError),
    /// The request does not make a URL or a command line.
    #[error(transparent)]
    Render(#[from] wstab_core::connection::TargetError),
    /// No clipboard took it.
    #[error(transparent)]
    Clipboard(#[from] crate::console::clipboard::ClipboardError),
}

/// Writes an export atomically (a reader never sees half a file; an old one is replaced whole)
/// and says where it went.
pub fn write_file(path: &Path, what: &str, contents: &str) -> Reply {
    let target = expand_home(path);
    let notice = match wstab_core::profile::atomic_write(&target, contents.as_bytes()) {
        Ok(()) => Notice { text: format!("saved the {what} to {}", target.display()), error: false },
        Err(e) => Notice { text: format!("{what} not saved: {e}"), error: true },
    };
    Reply::Report(notice)
}

/// Reads and parses an import file.
pub fn read_import(path: &Path, gateway: Option<&str>) -> Reply {
    let source = path.display().to_string();
    let result = std::fs::read_to_string(expand_home(path))
        .map_err(ImportFileError::Read)
        .and_then(|text| Ok(import_apim_json(&text, gateway)?));
    Reply::ImportRead { source, result }
}

/// `~/x` as the shell would read it, since the prompt is not a shell.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// The profile name a load error is about (its file name), so the console never overwrites it.
fn broken_name(e: &ProfileError) -> Option<String> {
    let path = match e {
        ProfileError::Parse { path, .. } | ProfileError::Version { path, .. } | ProfileError::Io { path, .. } => path,
        _ => return None,
    };
    let p = Path::new(path);
    (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_string))?
}
