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

/// The service's protobuf subprotocols, which this hub does not emulate.
pub const PROTOBUF_PROTOCOLS: &[&str] = &["protobuf.webpubsub.azure.v1", "protobuf.reliable.webpubsub.azure.v1"];

/// Why a handshake offering only protobuf subprotocols is refused (with 501): the client wants
/// the protobuf protocol, and answering as if it were a simple client would only fail later with
/// an unhelpful "server sent no subprotocol".
pub fn protobuf_refusal(offered: &[String]) -> Option<String> {
    let protobuf: Vec<&String> =
        offered.iter().filter(|p| PROTOBUF_PROTOCOLS.iter().any(|b| p.eq_ignore_ascii_case(b))).collect();
    if protobuf.is_empty() || negotiate(offered) != Subprotocol::Simple {
        return None;
    }
    let names: Vec<&str> = protobuf.iter().map(|s| s.as_str()).collect();
    Some(format!(
        "Not Implemented: wstab's hub does not emulate the protobuf subprotocols (offered: {}). Offer \
         {RELIABLE_JSON_PROTOCOL} or {JSON_PROTOCOL} instead (the SDKs' default WebPubSubJsonReliableProtocol, or \
         WebPubSubJsonProtocol)",
        names.join(", ")
    ))
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
    fn test_protobuf_alone_is_refused_and_beside_json_json_wins() {
        let refusal = protobuf_refusal(&offer(&["Protobuf.Reliable.WebPubSub.Azure.v1"])).expect("refused");
        assert!(refusal.contains("Protobuf.Reliable.WebPubSub.Azure.v1") && refusal.contains(RELIABLE_JSON_PROTOCOL));
        assert_eq!(protobuf_refusal(&offer(&["protobuf.webpubsub.azure.v1", JSON_PROTOCOL])), None);
        assert_eq!(protobuf_refusal(&offer(&["mqtt"])), None, "other unknown protocols stay simple clients");
        assert_eq!(protobuf_refusal(&[]), None);
    }

    #[test]
    fn test_no_known_offer_is_a_simple_client_without_subprotocol() {
        assert_eq!(negotiate(&[]), Subprotocol::Simple);
        assert_eq!(negotiate(&offer(&["protobuf.webpubsub.azure.v1"])), Subprotocol::Simple);
        assert_eq!(Subprotocol::Simple.name(), None);
    }
}
