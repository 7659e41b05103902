//! The profile model as it is written in TOML.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::connection::{Param, Target, TlsOptions};
use crate::request::{Endpoint, Request, SessionOptions, SubscriptionKeyNames};
use crate::workspace::Api;

use super::envref::{EnvRefError, resolve_target};

/// The profile file format version this build writes and reads.
pub const CURRENT_VERSION: u32 = 1;

/// Everything needed to reconnect to one API. The profile's name is its file name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// File format version ([`CURRENT_VERSION`]).
    pub version: u32,
    /// The name shown in the APIs pane (APIM's `displayName`); the file name when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// A full request URL. Either this, or `gateway` + `url_suffix`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// The gateway URL, e.g. `wss://contoso.azure-api.net`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    /// The API URL suffix, appended to the gateway URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url_suffix: String,
    /// Query parameters, in order; values may be `${env:NAME}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<Param>,
    /// Headers, in order; values may be `${env:NAME}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Param>,
    /// Subprotocols to request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subprotocols: Vec<String>,
    /// TLS options.
    #[serde(default, skip_serializing_if = "is_default_tls")]
    pub tls: TlsOptions,
    /// Connect timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<f64>,
    /// Max message size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_size: Option<usize>,
    /// Extra names whose values are secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_names: Vec<String>,
    /// Named messages the user can send again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<SavedMessage>,
    /// A JSON pointer (e.g. `/ackId`) whose value pairs a reply with the request that carried the
    /// same value, for latency figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<String>,
    /// Reconnect automatically (with backoff) when the connection is lost.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reconnect: bool,
    /// Text messages sent after every connect and reconnect (joinGroup, subscribe…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_connect: Vec<String>,
    /// Generate a fresh Web PubSub `access_token` before every connect from this connection string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webpubsub: Option<WebPubSubAuth>,
    /// The API's own names for the subscription key's query parameter and header (from
    /// `subscriptionKeyParameterNames` on import); APIM's defaults when absent, so older files
    /// need nothing. Either place satisfies a required key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_key: Option<SubscriptionKeyNames>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a fresh Web PubSub client access token comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebPubSubAuth {
    /// `Endpoint=…;AccessKey=…;Version=1.0;`, usually `${env:NAME}` so the key stays out of the file.
    pub connection_string: String,
    /// The hub name.
    pub hub: String,
    /// The user id (`sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Roles, e.g. `webpubsub.joinLeaveGroup`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Groups joined on connect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

fn is_default_tls(t: &TlsOptions) -> bool {
    *t == TlsOptions::default()
}

/// How a saved message's body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    /// As a text frame.
    #[default]
    Text,
    /// The body is hex, sent as a binary frame.
    Hex,
    /// The body is base64, sent as a binary frame.
    Base64,
}

/// A named message template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedMessage {
    /// The name shown in the composer's picker.
    pub name: String,
    /// The message body.
    pub body: String,
    /// How the body is sent.
    #[serde(default, skip_serializing_if = "is_text")]
    pub format: MessageFormat,
}

fn is_text(f: &MessageFormat) -> bool {
    *f == MessageFormat::Text
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            display_name: String::new(),
            url: String::new(),
            gateway: String::new(),
            url_suffix: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            tls: TlsOptions::default(),
            connect_timeout_secs: None,
            max_message_size: None,
            secret_names: Vec::new(),
            messages: Vec::new(),
            correlation: None,
            reconnect: false,
            on_connect: Vec::new(),
            webpubsub: None,
            subscription_key: None,
        }
    }
}

impl Profile {
    /// The request URL without query parameters: `url`, or gateway + suffix.
    pub fn base_url(&self) -> String {
        self.endpoint().url()
    }

    /// Where the profile connects: its `url`, or its `gateway` + `url_suffix`.
    pub fn endpoint(&self) -> Endpoint {
        if self.url.is_empty() {
            Endpoint::Gateway { gateway: self.gateway.clone(), url_suffix: self.url_suffix.clone() }
        } else {
            Endpoint::Url(self.url.clone())
        }
    }

    /// The profile as a request: every connection and session setting it holds, `${env:NAME}`
    /// references in place. A connect timeout that is not a positive number is ignored.
    pub fn request(&self) -> Request {
        Request {
            endpoint: self.endpoint(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            subprotocols: self.subprotocols.clone(),
            tls: self.tls.clone(),
            connect_timeout: self
                .connect_timeout_secs
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64),
            max_message_size: self.max_message_size,
            secret_names: self.secret_names.clone(),
            subscription_key: self.subscription_key.clone().unwrap_or_default(),
            session: SessionOptions {
                correlation: self.correlation.clone(),
                reconnect: self.reconnect,
                on_connect: self.on_connect.clone(),
                webpubsub: self.webpubsub.clone(),
            },
        }
    }

    /// The connection target with `${env:NAME}` references still in place (for display: the
    /// reference, not the secret, is what the user sees).
    pub fn target_unresolved(&self) -> Target {
        self.request().shown_target()
    }

    /// The connection target with every `${env:NAME}` resolved now (at connect time). A value
    /// taken from the environment is marked secret, so it is masked like any other secret.
    pub fn target(&self) -> Result<Target, EnvRefError> {
        let mut t = self.target_unresolved();
        resolve_target(&mut t)?;
        Ok(t)
    }

    /// The profile as an entry of the console's APIs pane.
    pub fn to_api(&self, name: &str) -> Api {
        Api {
            name: name.to_string(),
            display_name: self.display_name.clone(),
            // A profile's request is its own (`request`); the suffix is shown only for a
            // profile kept as gateway + suffix, and a full URL is never passed off as one.
            url_suffix: self.endpoint().url_suffix().unwrap_or_default().to_string(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            subprotocols: self.subprotocols.clone(),
            sample_message: self.messages.first().map(|m| m.body.clone()),
        }
    }
}
