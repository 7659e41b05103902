//! The command line: clap's types ([`args`]) and one module per subcommand, each turning its
//! arguments into a call to the core or the emulator and an exit code ([`exit`], the one list of
//! them).

pub mod args;
pub mod az;
pub mod connect;
pub mod demo;
pub mod exit;
pub mod export;
pub mod gateway;
pub mod profiles;
pub mod token;
