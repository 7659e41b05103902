//! wstab's core: everything that is neither a screen nor an emulator.
//!
//! The connection engine ([`connection`]), the one request model every front end builds its
//! target with ([`request`]), where requests come from ([`workspace`], [`profile`]) and the one
//! list of them keyed by stable ids ([`catalog`]),
//! secrets and their masking ([`secret`]), request/reply pairing ([`pairing`]), exports of a
//! session or a request ([`export`]), `wstab run` scripts ([`script`]) and Web PubSub client
//! tokens ([`webpubsub_token`]). It depends on no terminal, command-line or emulator crate, so
//! the console, the headless commands, the benches and the emulator's tests all share it.

pub mod catalog;
pub mod clock;
pub mod connection;
pub mod export;
pub mod jwt_claims;
pub mod pairing;
pub mod paths;
pub mod profile;
pub mod request;
pub mod script;
pub mod secret;
pub mod terminal_text;
pub mod toml_file;
pub mod webpubsub_token;
pub mod workspace;
