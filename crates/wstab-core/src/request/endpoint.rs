//! Where a request connects: a full URL, or a gateway plus an API URL suffix (kept apart so a
//! saved request can be moved to another gateway, and a full URL is never taken for a suffix).

use std::sync::RwLock;

use crate::workspace::join_url;

/// The gateway name that stands for wstab's own local demo (`gateway = "demo"` in a profile), so
/// a profile saved on the demo keeps working after a restart, whatever port the demo got.
pub const DEMO_GATEWAY: &str = "demo";

/// The demo gateway's fixed default port on 127.0.0.1 (the hub takes the next one).
pub const DEMO_DEFAULT_PORT: u16 = 7880;

/// The environment variable that moves the demo's default port, so two wstabs (or tests run in
/// parallel) each keep a demo of their own that `gateway = "demo"` finds after a restart.
pub const DEMO_PORT_ENV: &str = "WSTAB_DEMO_PORT";

/// The demo gateway's default port: `WSTAB_DEMO_PORT` when it holds a port number (1-65534, the
/// hub takes the next one), else [`DEMO_DEFAULT_PORT`].
pub fn demo_default_port() -> u16 {
    std::env::var(DEMO_PORT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|p| (1..u16::MAX).contains(p))
        .unwrap_or(DEMO_DEFAULT_PORT)
}

/// The demo hub's well-known AccessKey, like Azurite's account key: public, documented, for
/// local development only (base64 of `wstab-local-emulator-access-key-public-not-a-secret`).
pub const DEMO_ACCESS_KEY: &str = "d3N0YWItbG9jYWwtZW11bGF0b3ItYWNjZXNzLWtleS1wdWJsaWMtbm90LWEtc2VjcmV0";

/// The demo subscription's well-known key, like Azurite's account key: public, documented, for
/// local use only (also `wstab gateway --apim-dir`'s). Not a secret to keep out of a profile.
pub const DEMO_SUBSCRIPTION_KEY: &str = "wstab-local-key";

/// The `[webpubsub] connection_string` that stands for the demo's own hub: a profile saved on the
/// demo chat mints a fresh token from it at every connect, so it keeps working after the hour a
/// typed token lasts and after a restart.
pub const DEMO_CONNECTION_STRING: &str = "demo";

/// The gateway URL of the demo running in this process, set by the app that started it.
static RUNNING_DEMO: RwLock<Option<String>> = RwLock::new(None);

/// The connection string of the demo hub running in this process.
static RUNNING_DEMO_HUB: RwLock<Option<String>> = RwLock::new(None);

/// The hook through which the app tells the core the connection string of its demo's hub
/// (`None` when it stopped): `connection_string = "demo"` then signs with it.
pub fn set_demo_hub(connection_string: Option<String>) {
    if let Ok(mut slot) = RUNNING_DEMO_HUB.write() {
        *slot = connection_string;
    }
}

/// Where `connection_string = "demo"` points: the hub of the demo this process runs, else the
/// default one (the port after the gateway's, the well-known key), where a `wstab demo --serve`
/// in another terminal listens.
pub fn demo_connection_string() -> String {
    RUNNING_DEMO_HUB.read().ok().and_then(|s| s.clone()).unwrap_or_else(|| {
        format!("Endpoint=http://127.0.0.1:{};AccessKey={DEMO_ACCESS_KEY};Version=1.0;", demo_default_port() + 1)
    })
}

/// True when `gateway` is the demo: `gateway = "demo"`, or the URL of the demo this process runs.
pub fn is_demo_gateway(gateway: &str) -> bool {
    gateway == DEMO_GATEWAY || running_demo_gateway().is_some_and(|d| d == gateway)
}

/// The hook through which the app tells the core where its demo runs (`None` when it stopped):
/// `gateway = "demo"` then resolves there.
pub fn set_demo_gateway(url: Option<String>) {
    if let Ok(mut slot) = RUNNING_DEMO.write() {
        *slot = url;
    }
}

/// The demo this process runs, if it registered one with [`set_demo_gateway`].
pub fn running_demo_gateway() -> Option<String> {
    RUNNING_DEMO.read().ok().and_then(|s| s.clone())
}

/// Where `gateway = "demo"` points: the demo this process runs, else the default port, where a
/// `wstab demo --serve` in another terminal listens.
pub fn demo_gateway_url() -> String {
    running_demo_gateway().unwrap_or_else(|| format!("ws://127.0.0.1:{}", demo_default_port()))
}

/// Where a request connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A full `ws://`, `wss://`, `http://` or `https://` URL (http maps to ws when connecting).
    Url(String),
    /// An API behind a gateway: the request URL is the gateway URL, `/`, then the suffix.
    Gateway {
        /// The gateway's base URL, e.g. `wss://contoso.azure-api.net`.
        gateway: String,
        /// The API URL suffix, e.g. `client/hubs/chat`.
        url_suffix: String,
    },
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::Url(String::new())
    }
}

impl Endpoint {
    /// The request URL without the query parameters.
    pub fn url(&self) -> String {
        match self {
            Self::Url(url) => url.clone(),
            Self::Gateway { gateway, url_suffix } if gateway == DEMO_GATEWAY => {
                join_url(&demo_gateway_url(), url_suffix)
            }
            Self::Gateway { gateway, url_suffix } => join_url(gateway, url_suffix),
        }
    }

    /// True for an API behind `gateway = "demo"`.
    pub fn is_demo(&self) -> bool {
        matches!(self, Self::Gateway { gateway, .. } if gateway == DEMO_GATEWAY)
    }

    /// The API URL suffix, when the endpoint is one behind a gateway.
    pub fn url_suffix(&self) -> Option<&str> {
        match self {
            Self::Url(_) => None,
            Self::Gateway { url_suffix, .. } => Some(url_suffix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_gateway_endpoint_joins_with_one_slash_and_a_url_stands_alone() {
        let gw = Endpoint::Gateway { gateway: "wss://gw/".into(), url_suffix: "/client/hubs/chat".into() };
        assert_eq!(gw.url(), "wss://gw/client/hubs/chat");
        assert_eq!(gw.url_suffix(), Some("/client/hubs/chat"));
        let url = Endpoint::Url("ws://h:1/echo".into());
        assert_eq!(url.url(), "ws://h:1/echo");
        assert_eq!(url.url_suffix(), None);
    }

    #[test]
    fn test_the_demo_gateway_resolves_to_the_running_demo_else_the_default_port() {
        let demo = Endpoint::Gateway { gateway: DEMO_GATEWAY.into(), url_suffix: "echo".into() };
        assert!(demo.is_demo());
        // The only test in this crate that sets the hook, so nothing else races it.
        set_demo_gateway(None);
        assert_eq!(demo.url(), "ws://127.0.0.1:7880/echo");
        set_demo_gateway(Some("ws://127.0.0.1:40001".into()));
        assert_eq!(demo.url(), "ws://127.0.0.1:40001/echo");
        set_demo_gateway(None);
        assert!(!Endpoint::Url("ws://demo/echo".into()).is_demo());
    }
}
