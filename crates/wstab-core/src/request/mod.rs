//! The one request model: what every front end (the console, `wstab connect`, `wstab run`,
//! `wstab export k6`) connects to, and the one function, [`build_target`], that turns it plus a
//! front end's overrides into a [`Target`](crate::connection::Target).
//!
//! Saved profiles ([`Profile::request`](crate::profile::Profile::request)) and workspace APIs
//! ([`Api::request`](crate::workspace::Api::request)) convert into a [`Request`]; the profile
//! stays the on-disk format.

mod build;
pub mod client_access_url;
mod endpoint;
pub mod opened_url;
mod saved;
mod session;
pub mod subscription_key;

use std::time::Duration;

use crate::connection::{Param, TlsOptions};

pub use build::{BuiltRequest, Overrides, Purpose, RequestError, build_target};
pub use client_access_url::{ClientAccessUrl, ClientAccessUrlError, HubMismatch};
pub use endpoint::{
    DEMO_ACCESS_KEY, DEMO_CONNECTION_STRING, DEMO_DEFAULT_PORT, DEMO_GATEWAY, DEMO_PORT_ENV, DEMO_SUBSCRIPTION_KEY,
    Endpoint, demo_connection_string, demo_default_port, demo_gateway_url, is_demo_gateway, running_demo_gateway,
    set_demo_gateway, set_demo_hub,
};
pub use opened_url::split_query;
pub use saved::{SavedRequestError, build_from_profile};
pub use session::SessionOptions;
pub use subscription_key::{KeyPlace, SubscriptionKeyNames};

/// Everything needed to open one session, as the user described it: `${env:NAME}` references
/// are still in place (they are read when connecting, never stored resolved).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// Where to connect: a full URL, or a gateway and an API URL suffix.
    pub endpoint: Endpoint,
    /// Query parameters merged into the URL, in order.
    pub query: Vec<Param>,
    /// Extra handshake headers, in order.
    pub headers: Vec<Param>,
    /// Subprotocols to request, in order of preference.
    pub subprotocols: Vec<String>,
    /// TLS verification options (an extra CA, or none at all).
    pub tls: TlsOptions,
    /// How long connecting may take; `None` for the engine's default.
    pub connect_timeout: Option<Duration>,
    /// Largest message accepted and sent; `None` for the engine's default.
    pub max_message_size: Option<usize>,
    /// Names, beyond the well-known ones, whose values are secret.
    pub secret_names: Vec<String>,
    /// The names of the APIM subscription key's two places (query parameter and header): one
    /// credential, which either place satisfies.
    pub subscription_key: SubscriptionKeyNames,
    /// What the session does besides connecting: correlation, reconnect, on-connect messages,
    /// token refresh.
    pub session: SessionOptions,
}

impl Request {
    /// A request for `url` with everything else default.
    pub fn to_url(url: impl Into<String>) -> Self {
        Self { endpoint: Endpoint::Url(url.into()), ..Self::default() }
    }

    /// The target as the user sees it: [`build_target`] with no overrides for
    /// [`Purpose::Show`], which cannot fail (there is no override to reject).
    pub fn shown_target(&self) -> crate::connection::Target {
        build::target_of(self)
    }
}
