//! A request from a saved profile named by the user (`wstab connect --profile`, a script's
//! `profile = "…"`), built in one step so neither front end loads and builds on its own.

use crate::profile::{ProfileError, ProfileStore};

use super::{BuiltRequest, Overrides, Purpose, Request, RequestError, build_target};

/// Why a request from a saved profile cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SavedRequestError {
    /// The profile does not load.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The request cannot be built from the profile and the overrides.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// [`build_target`] over the saved profile `name` (from the default profile store), or over an
/// empty request when no profile is named.
pub fn build_from_profile(
    name: Option<&str>,
    overrides: &Overrides,
    purpose: Purpose,
) -> Result<BuiltRequest, SavedRequestError> {
    let request = match name {
        Some(name) => ProfileStore::open_default().load(name)?.request(),
        None => Request::default(),
    };
    Ok(build_target(&request, overrides, purpose)?)
}
