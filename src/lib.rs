//! wstab, the application: the console ([`console`]) and the command line ([`cli`]).
//!
//! The connection engine, the request model, profiles and exports live in `wstab-core`; the
//! gateway emulator, the hub and the demo in `wstab-emulator`. This crate is the glue a user
//! touches: keys, screens, flags and exit codes.

pub mod cli;
pub mod console;
pub mod logging;
