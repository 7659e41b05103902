//! Where a request connects: a full URL, or a gateway plus an API URL suffix (kept apart so a
//! saved request can be moved to another gateway, and a full URL is never taken for a suffix).

use crate::workspace::join_url;

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
            Self::Gateway { gateway, url_suffix } => join_url(gateway, url_suffix),
        }
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
}
