//! The console: state and update logic ([`state`]), drawing ([`view`]), the event loop that
//! carries out effects ([`runtime`]), the one keymap ([`keymap`]), the message log store
//! ([`message_log`]), the clipboard ([`clipboard`]) and the user's `config.toml` ([`config`]).

pub mod clipboard;
pub mod config;
pub mod keymap;
pub mod message_log;
pub mod runtime;
pub mod state;
pub mod view;
