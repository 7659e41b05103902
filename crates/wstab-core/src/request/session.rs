//! A request's session options: what the session does besides connecting.

use crate::connection::{Command, ReconnectPolicy, Supervision};
use crate::profile::{WebPubSubAuth, token_refresher};

/// What a session does besides connecting: how replies pair with requests, whether it comes
/// back after a drop, what it sends on every open, and where a fresh token comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// A JSON pointer (e.g. `/ackId`) pairing a reply with its request, for latency figures.
    pub correlation: Option<String>,
    /// Reconnect with backoff when the connection is lost.
    pub reconnect: bool,
    /// Text messages sent after every open (the first and each reconnect).
    pub on_connect: Vec<String>,
    /// Put a fresh Web PubSub `access_token` in the query before every connect.
    pub webpubsub: Option<WebPubSubAuth>,
}

impl SessionOptions {
    /// The supervisor's instructions: reconnect, the on-connect messages, and the token
    /// refresher.
    pub fn supervision(&self) -> Supervision {
        Supervision {
            reconnect: self.reconnect.then(ReconnectPolicy::default),
            on_connect: self.on_connect.iter().map(|m| Command::Text(m.clone())).collect(),
            prepare: self.webpubsub.as_ref().map(token_refresher),
        }
    }
}
