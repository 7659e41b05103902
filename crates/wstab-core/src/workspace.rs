//! A workspace: the APIs behind one gateway, as the console's **APIs** pane lists them.
//!
//! The embedded demo builds one in memory; `wstab --workspace FILE` reads one from TOML:
//!
//! ```toml
//! name = "My gateway"
//! gateway = "wss://contoso.azure-api.net"
//!
//! [[apis]]
//! name = "chat"
//! display_name = "Chat"
//! url_suffix = "client/hubs/chat"
//! subprotocols = ["json.webpubsub.azure.v1"]
//! query = [{ name = "subscription-key", value = "", secret = true, required = true }]
//! headers = []
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::connection::{Param, Target};
use crate::request::{Endpoint, Request};
use crate::toml_file::{self, TomlError};

/// A set of APIs behind one gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Shown in the console's title.
    #[serde(default)]
    pub name: String,
    /// The gateway's base URL (`ws://` or `wss://`, no trailing suffix).
    pub gateway: String,
    /// The APIs, in the order they are listed.
    #[serde(default)]
    pub apis: Vec<Api>,
}

/// One WebSocket API behind the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The API's id (APIM's `name`).
    pub name: String,
    /// The name users see (APIM's `displayName`); the id when empty.
    #[serde(default)]
    pub display_name: String,
    /// The API URL suffix: the request URL is the gateway URL plus this.
    #[serde(default)]
    pub url_suffix: String,
    /// Query parameters, in order.
    #[serde(default)]
    pub query: Vec<Param>,
    /// Headers, in order.
    #[serde(default)]
    pub headers: Vec<Param>,
    /// Subprotocols to request.
    #[serde(default)]
    pub subprotocols: Vec<String>,
    /// A message to put in the composer when the API is selected.
    #[serde(default)]
    pub sample_message: Option<String>,
}

impl Api {
    /// The name to show: the display name, or the id.
    pub fn title(&self) -> &str {
        if self.display_name.is_empty() { &self.name } else { &self.display_name }
    }

    /// The request URL without query parameters: gateway + `/` + suffix.
    pub fn base_url(&self, gateway: &str) -> String {
        join_url(gateway, &self.url_suffix)
    }

    /// This API behind `gateway` as a request, with default limits and session options.
    pub fn request(&self, gateway: &str) -> Request {
        Request {
            endpoint: Endpoint::Gateway { gateway: gateway.to_string(), url_suffix: self.url_suffix.clone() },
            query: self.query.clone(),
            headers: self.headers.clone(),
            subprotocols: self.subprotocols.clone(),
            ..Request::default()
        }
    }

    /// A connection target for this API behind `gateway`, with default limits.
    pub fn target(&self, gateway: &str) -> Target {
        self.request(gateway).shown_target()
    }
}

/// Joins a gateway URL and an API URL suffix with exactly one `/` between them. A suffix that
/// is itself a full URL (a saved profile's) stands alone.
pub fn join_url(gateway: &str, suffix: &str) -> String {
    if suffix.contains("://") || gateway.is_empty() {
        return suffix.to_string();
    }
    let suffix = suffix.trim_start_matches('/');
    if suffix.is_empty() {
        return gateway.to_string();
    }
    format!("{}/{}", gateway.trim_end_matches('/'), suffix)
}

/// Why a workspace file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The file could not be read.
    #[error("cannot read workspace {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a valid workspace (`path:line:col: message`).
    #[error(transparent)]
    Parse(#[from] TomlError),
}

impl Workspace {
    /// Reads a workspace TOML file.
    pub fn load(path: &Path) -> Result<Self, WorkspaceError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| WorkspaceError::Read { path: shown.clone(), source })?;
        Ok(toml_file::parse(&shown, &text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_join_url_has_one_slash() {
        assert_eq!(join_url("ws://h:1/", "/echo"), "ws://h:1/echo");
        assert_eq!(join_url("ws://h:1", "client/hubs/chat"), "ws://h:1/client/hubs/chat");
        assert_eq!(join_url("ws://h:1", ""), "ws://h:1");
        assert_eq!(join_url("ws://h:1", "wss://other/x"), "wss://other/x");
    }

    #[test]
    fn test_unknown_key_is_an_error_with_line_and_col() {
        let text = "gateway = \"ws://h\"\n[[apis]]\nname = \"a\"\nbogus = 1\n";
        let err = toml_file::parse::<Workspace>("w.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("w.toml:4:1:"), "{err}");
        assert!(err.contains("bogus"), "{err}");
    }
}
