//! TOML files whose problems are reported at `path:line:col`: workspaces, profiles and scripts
//! here, the gateway's and the demo's configs in the emulator all parse through this module, so a
//! typo reads the same wherever it is.

/// A TOML document that does not parse into what was expected (bad syntax, an unknown key, a
/// wrong type), located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{col}: {message}")]
pub struct TomlError {
    /// The file, as shown to the user.
    pub path: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub col: usize,
    /// What the parser said.
    pub message: String,
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    // A span may start inside a multi-byte character only if the parser is wrong; stay safe.
    let offset = (0..=offset).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// Parses TOML text into `T`; `path` only names the file in the error.
pub fn parse<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        TomlError { path: path.to_string(), line, col, message: e.message().trim().to_string() }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_line_col_counts_characters_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, "a = 1\nbé".len()), (2, 3));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }

    #[test]
    fn test_unknown_key_is_reported_at_its_line_and_column() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Config {
            name: String,
        }
        let err = parse::<Config>("c.toml", "name = \"x\"\n  bogus = 1\n").unwrap_err();
        assert_eq!((err.path.as_str(), err.line, err.col), ("c.toml", 2, 3), "{err}");
        assert!(err.to_string().starts_with("c.toml:2:3: ") && err.message.contains("bogus"), "{err}");
    }
}
