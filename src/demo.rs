//! The embedded demo: gateway, hub and backends in one process (see issue 3).

pub mod cli {
    //! `wstab demo`.
    use crate::cli::DemoArgs;

    /// Runs the demo; returns the exit code.
    pub async fn run(_args: DemoArgs) -> i32 {
        eprintln!("wstab demo: not built yet");
        1
    }
}
