//! Reading and writing profile files: atomic writes, mode 0600 files in a 0700 dir, and never
//! overwriting a file that does not parse.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::{CURRENT_VERSION, Profile};
use crate::toml_file::{self, TomlError};

/// Why a profile operation failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a valid profile (bad TOML, unknown key, wrong type…).
    #[error("{path}:{line}:{col}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer wstab.
    #[error("{path}: profile version {found} is newer than this wstab understands ({CURRENT_VERSION}); upgrade wstab")]
    Version {
        /// The file.
        path: String,
        /// The version in the file.
        found: u32,
    },
    /// A profile of that name exists and overwriting was not asked for.
    #[error("a profile named {0:?} already exists")]
    Exists(String),
    /// No profile of that name.
    #[error("no profile named {name:?} in {dir}")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Where profiles are looked up.
        dir: String,
    },
    /// The name cannot be a file name.
    #[error("invalid profile name {0:?}: use letters, digits, '-', '_' or '.' (not leading), at most 100 characters")]
    InvalidName(String),
    /// The existing file does not parse, so it is not overwritten.
    #[error("{path} does not parse, so it was left untouched: {reason}; fix or remove it first")]
    WontOverwrite {
        /// The file.
        path: String,
        /// Its parse error.
        reason: String,
    },
}

/// Checks that `name` can be a profile file name.
pub fn validate_name(name: &str) -> Result<(), ProfileError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(ProfileError::InvalidName(name.to_string())) }
}

/// Turns an arbitrary API name into a valid profile name.
pub fn sanitize_name(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    let s = s.trim_start_matches('.').chars().take(100).collect::<String>();
    if s.is_empty() { "api".to_string() } else { s }
}

/// Writes `bytes` to `path` atomically: a 0600 temp file in the same folder, synced, then renamed
/// over the target. A crash leaves the old file or the new one, never half of either.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), ProfileError> {
    let io = |source| ProfileError::Io { path: path.display().to_string(), source };
    let dir = path.parent().unwrap_or(Path::new("."));
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::Builder::new().prefix(".wstab-").suffix(".tmp").tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The profiles folder in the config dir.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
}

impl ProfileStore {
    /// The store at `<config dir>/profiles`.
    pub fn open_default() -> Self {
        Self::new(crate::paths::config_dir().join("profiles"))
    }

    /// A store in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of profile `name`.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.toml"))
    }

    /// Parses a profile from TOML text (`path` only names it in errors).
    pub fn parse(path: &str, text: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml_file::parse(path, text)
            .map_err(|TomlError { path, line, col, message }| ProfileError::Parse { path, line, col, message })?;
        if profile.version > CURRENT_VERSION {
            return Err(ProfileError::Version { path: path.to_string(), found: profile.version });
        }
        Ok(profile)
    }

    /// Loads one profile.
    pub fn load(&self, name: &str) -> Result<Profile, ProfileError> {
        validate_name(name)?;
        let path = self.path_of(name);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProfileError::NotFound { name: name.to_string(), dir: self.dir.display().to_string() });
            }
            Err(source) => return Err(ProfileError::Io { path: path.display().to_string(), source }),
        };
        Self::parse(&path.display().to_string(), &text)
    }

    /// Loads every profile, sorted by name. A file that fails is reported and skipped; the others
    /// still load. A missing folder is simply no profiles.
    pub fn load_all(&self) -> (Vec<(String, Profile)>, Vec<ProfileError>) {
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (ok, errors),
            Err(source) => {
                errors.push(ProfileError::Io { path: self.dir.display().to_string(), source });
                return (ok, errors);
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_string))
            .filter(|n| validate_name(n).is_ok())
            .collect();
        names.sort();
        for name in names {
            match self.load(&name) {
                Ok(p) => ok.push((name, p)),
                Err(e) => errors.push(e),
            }
        }
        (ok, errors)
    }

    /// Creates the folder with mode 0700 (and tightens it if it exists).
    fn ensure_dir(&self) -> Result<(), ProfileError> {
        let io = |source| ProfileError::Io { path: self.dir.display().to_string(), source };
        fs::create_dir_all(&self.dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
            if let Some(parent) = self.dir.parent()
                && parent == crate::paths::config_dir()
            {
                let _ = fs::set_permissions(parent, fs::Permissions::from_mode(0o700));
            }
        }
        Ok(())
    }

    /// Saves `profile` as `name`. With `overwrite` false, an existing profile is an error (the
    /// console asks first). An existing file that does not parse is never overwritten.
    pub fn save(&self, name: &str, profile: &Profile, overwrite: bool) -> Result<PathBuf, ProfileError> {
        validate_name(name)?;
        self.ensure_dir()?;
        let path = self.path_of(name);
        if path.exists() {
            if !overwrite {
                return Err(ProfileError::Exists(name.to_string()));
            }
            if let Err(e) = self.load(name) {
                return Err(ProfileError::WontOverwrite { path: path.display().to_string(), reason: e.to_string() });
            }
        }
        let mut profile = profile.clone();
        profile.version = CURRENT_VERSION;
        let text = toml::to_string_pretty(&profile).map_err(|e| ProfileError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let text = format!("# wstab connection profile (hand-editable; see README, \"Profiles\")\n{text}");
        atomic_write(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Renames profile `from` to `to` (which must not exist).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), ProfileError> {
        validate_name(to)?;
        // Only a profile that exists (and parses) is renamed.
        self.load(from)?;
        if self.path_of(to).exists() {
            return Err(ProfileError::Exists(to.to_string()));
        }
        let src = self.path_of(from);
        fs::rename(&src, self.path_of(to))
            .map_err(|source| ProfileError::Io { path: src.display().to_string(), source })
    }

    /// Copies profile `from` to a new profile `to`.
    pub fn duplicate(&self, from: &str, to: &str) -> Result<(), ProfileError> {
        let profile = self.load(from)?;
        self.save(to, &profile, false).map(|_| ())
    }

    /// Deletes profile `name` (the console asks first).
    pub fn delete(&self, name: &str) -> Result<(), ProfileError> {
        validate_name(name)?;
        let path = self.path_of(name);
        fs::remove_file(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => {
                ProfileError::NotFound { name: name.to_string(), dir: self.dir.display().to_string() }
            }
            _ => ProfileError::Io { path: path.display().to_string(), source },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_an_invalid_name_is_refused_with_the_rule_in_whole_words() {
        let err = validate_name("my echo/2").unwrap_err().to_string();
        assert!(err.contains("\"my echo/2\"") && err.ends_with("at most 100 characters"), "{err}");
        assert!(validate_name(&"a".repeat(100)).is_ok());
        assert!(validate_name(&"a".repeat(101)).is_err());
    }
}
