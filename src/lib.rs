//! wstab: a terminal console for testing WebSocket APIs through an API gateway.
//!
//! The library holds everything the `wstab` binary, the integration tests and the benchmarks share:
//! the connection manager ([`conn`]), the local gateway emulator ([`gateway`]), the Web PubSub-style
//! hub ([`hub`]), the embedded demo ([`demo`]) and the console.

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub mod command_line;
pub mod conn;
pub mod connect;
pub mod demo;
pub mod gateway;
pub mod har;
pub mod hub;
pub mod input;
pub mod jwt_view;
pub mod k6;
pub mod log;
pub mod logging;
pub mod pairing;
pub mod paths;
pub mod profile;
pub mod script;
pub mod secret;
pub mod terminal_text;
pub mod token;
pub mod tui;
pub mod ui;
pub mod workspace;
pub mod wsserver;
