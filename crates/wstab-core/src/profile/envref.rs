//! `${env:NAME}` references: a secret kept in the environment instead of the profile file,
//! resolved at connect time.

/// A reference to an environment variable that is not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "environment variable {name} is not set (referenced as ${{env:{name}}}); set it, or put the value in the profile"
)]
pub struct EnvRefError {
    /// The variable's name.
    pub name: String,
}

/// `value` with every `${env:NAME}` replaced by the variable's value. Text that is not a
/// complete reference is left as it is.
pub fn resolve_env_refs(value: &str) -> Result<String, EnvRefError> {
    resolve_with(value, |name| std::env::var(name).ok())
}

/// Resolves every `${env:NAME}` in a target's URL, query parameters and headers, now (at
/// connect time). A value taken from the environment is marked secret, so it is masked like any
/// other secret.
pub fn resolve_target(target: &mut crate::connection::Target) -> Result<(), EnvRefError> {
    // A value put into the URL itself has no parameter name to be masked by: remember the value.
    let mut in_url = Vec::new();
    target.url = resolve_with(&target.url, |name| {
        let v = std::env::var(name).ok();
        in_url.extend(v.clone());
        v
    })?;
    target.secret_values.extend(in_url);
    for p in target.query.iter_mut().chain(target.headers.iter_mut()) {
        let resolved = resolve_env_refs(&p.value)?;
        if resolved != p.value {
            p.secret = true;
            p.value = resolved;
        }
    }
    Ok(())
}

/// Like [`resolve_env_refs`] with a custom lookup (for tests).
pub fn resolve_with(value: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> Result<String, EnvRefError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${env:") {
        let after = &rest[start + 6..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push_str(&rest[..start + 6]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(&lookup(name).ok_or_else(|| EnvRefError { name: name.to_string() })?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "KEY").then(|| "s3cret".to_string())
    }

    #[test]
    fn test_env_refs_resolve_in_place() {
        assert_eq!(resolve_with("${env:KEY}", env).unwrap(), "s3cret");
        assert_eq!(resolve_with("Bearer ${env:KEY}!", env).unwrap(), "Bearer s3cret!");
        assert_eq!(resolve_with("plain ${not a ref} ${env:", env).unwrap(), "plain ${not a ref} ${env:");
    }

    #[test]
    fn test_env_values_in_the_url_are_masked() {
        // SAFETY: a variable only this test reads.
        unsafe { std::env::set_var("WSTAB_TEST_URL_SECRET_9", "tok-in-url-77") };
        let mut t = crate::connection::Target::new("ws://h/p?mine=${env:WSTAB_TEST_URL_SECRET_9}");
        resolve_target(&mut t).unwrap();
        assert_eq!(t.request_url().unwrap().as_str(), "ws://h/p?mine=tok-in-url-77");
        assert!(!t.display_url().contains("tok-in-url-77"), "{}", t.display_url());
    }

    #[test]
    fn test_unset_env_ref_is_a_clear_error() {
        let err = resolve_with("${env:MISSING_VAR}", env).unwrap_err();
        assert_eq!(err.name, "MISSING_VAR");
        assert!(err.to_string().contains("MISSING_VAR is not set"));
    }
}
