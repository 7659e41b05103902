//! wstab's local stand-ins for the cloud: an APIM-style gateway ([`gateway`]), a Web
//! PubSub-style hub with echo and ticker backends ([`hub`]), the WebSocket server they share
//! ([`wsserver`]) and the embedded demo that wires them together ([`demo`]).
//!
//! Usable on its own (its tests live beside it); it depends on `wstab-core` for the handshake
//! of the gateway's backend leg, secret masking and Web PubSub tokens, never on the console.

pub mod demo;
pub mod gateway;
pub mod hub;
pub mod tls;
pub mod wsserver;
