//! `wstab token`: print a client access URL.
use crate::cli::args::TokenArgs;
use crate::cli::exit::Exit;
use wstab_core::webpubsub_token::{ConnectionString, TokenRequest, client_access, parse_ttl};

/// Prints the client access URL; returns the exit code (usage for bad input).
pub fn run(args: TokenArgs) -> Exit {
    let result = ConnectionString::parse(&args.connection_string).and_then(|cs| {
        let req = TokenRequest {
            hub: args.hub.clone(),
            user: args.user.clone(),
            roles: args.roles.clone(),
            groups: args.groups.clone(),
            ttl: parse_ttl(&args.ttl)?,
        };
        client_access(&cs, &req)
    });
    match result {
        Ok(access) => {
            println!("{}", access.url);
            Exit::Ok
        }
        Err(e) => {
            eprintln!("wstab token: {e}");
            Exit::Usage
        }
    }
}
