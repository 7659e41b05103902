//! The local APIM-style gateway emulator (see issue 3).

pub mod cli {
    //! `wstab gateway`.
    use crate::cli::GatewayArgs;

    /// Runs the gateway until Ctrl-C; returns the exit code.
    pub async fn run(_args: GatewayArgs) -> i32 {
        eprintln!("wstab gateway: not built yet");
        1
    }
}
