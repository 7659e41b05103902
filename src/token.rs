//! Web PubSub client access tokens (see issue 3).

pub mod cli {
    //! `wstab token`.
    use crate::cli::TokenArgs;

    /// Prints the client access URL; returns the exit code.
    pub fn run(_args: TokenArgs) -> i32 {
        eprintln!("wstab token: not built yet");
        1
    }
}
