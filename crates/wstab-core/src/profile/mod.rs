//! Connection profiles: everything needed to reconnect to one API, saved as hand-editable TOML
//! in the config dir (one file per profile, so a broken file costs only itself).

mod envref;
mod import;
mod model;
mod store;
mod supervision;
pub mod webpubsub;

pub use envref::{EnvRefError, resolve_env_refs, resolve_target};
pub use import::{ImportError, ImportReport, Skipped, import_apim_json};
pub use model::{CURRENT_VERSION, MessageFormat, Profile, SavedMessage, WebPubSubAuth};
pub use store::{ProfileError, ProfileStore, atomic_write, sanitize_name, validate_name};
pub use supervision::token_refresher;
