//! Choosing the subprotocol at the handshake, as the service does: the first one the client
//! offers that the hub speaks; none offered (or none known) makes a *simple client*, and the 101
//! then names no subprotocol.

use super::protocol::{JSON_PROTOCOL, RELIABLE_JSON_PROTOCOL};

/// What a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subprotocol {
    /// A plain WebSocket client: whatever it sends is a message event.
    Simple,
    /// `json.webpubsub.azure.v1`: groups, acks, events, no delivery guarantee across drops.
    Json,
    /// `json.reliable.webpubsub.azure.v1`: the JSON protocol plus sequence ids and recovery.
    ReliableJson,
}

impl Subprotocol {
    /// The name the 101 response carries (none for a simple client).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Self::Simple => None,
            Self::Json => Some(JSON_PROTOCOL),
            Self::ReliableJson => Some(RELIABLE_JSON_PROTOCOL),
        }
    }

    /// Speaks one of the JSON protocols.
    pub fn is_json(self) -> bool {
        self != Self::Simple
    }

    /// Numbers data messages and may be recovered after a drop.
    pub fn is_reliable(self) -> bool {
        self == Self::ReliableJson
    }
}

/// The client's first offered subprotocol the hub speaks (names compare case-insensitively,
/// as the service's do).
pub fn negotiate(offered: &[String]) -> Subprotocol {
    offered
        .iter()
        .find_map(|p| {
            if p.eq_ignore_ascii_case(JSON_PROTOCOL) {
                Some(Subprotocol::Json)
            } else if p.eq_ignore_ascii_case(RELIABLE_JSON_PROTOCOL) {
                Some(Subprotocol::ReliableJson)
            } else {
                None
            }
        })
        .unwrap_or(Subprotocol::Simple)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn test_first_known_offer_wins() {
        assert_eq!(negotiate(&offer(&[RELIABLE_JSON_PROTOCOL, JSON_PROTOCOL])), Subprotocol::ReliableJson);
        assert_eq!(negotiate(&offer(&["mqtt", JSON_PROTOCOL])), Subprotocol::Json);
        assert_eq!(negotiate(&offer(&["JSON.Reliable.WebPubSub.Azure.v1"])), Subprotocol::ReliableJson);
    }

    #[test]
    fn test_no_known_offer_is_a_simple_client_without_subprotocol() {
        assert_eq!(negotiate(&[]), Subprotocol::Simple);
        assert_eq!(negotiate(&offer(&["protobuf.webpubsub.azure.v1"])), Subprotocol::Simple);
        assert_eq!(Subprotocol::Simple.name(), None);
    }
}
