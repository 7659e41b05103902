//! The command line: clap's types ([`args`]) and one module per subcommand, each turning its
//! arguments into a call to the core or the emulator and an exit code.

pub mod args;
pub mod connect;
pub mod az;
pub mod demo;
pub mod export;
pub mod gateway;
pub mod profiles;
pub mod token;
