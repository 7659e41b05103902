//! The `wstab` binary: parse the command line, start logging to a file, run one command.

use std::process::ExitCode;

use clap::Parser;
use wstab::cli::{Cli, Command, ExportArgs, ExportFormat, ImportArgs, ImportSource};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The local UTC offset can only be read safely while the process has one thread.
    wstab::clock::init_local_offset();
    wstab::logging::init(None);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wstab: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Some(Command::Connect(args)) => wstab::connect::run(args).await,
            Some(Command::Gateway(args)) => wstab::gateway::cli::run(args).await,
            Some(Command::Demo(args)) => wstab::demo::cli::run(args).await,
            Some(Command::Token(args)) => wstab::token::cli::run(args),
            Some(Command::Import(ImportArgs { source: ImportSource::Apim(args) })) => {
                wstab::profile::cli::import_apim(&args)
            }
            Some(Command::Import(ImportArgs { source: ImportSource::Webpubsub(args) })) => {
                wstab::profile::cli::import_webpubsub(&args)
            }
            Some(Command::Profiles) => wstab::profile::cli::list(),
            Some(Command::Run(args)) => wstab::script::run_file(&args.script).await,
            Some(Command::Export(ExportArgs { format: ExportFormat::K6(args) })) => wstab::k6::cli::run(&args),
            None => {
                let options = wstab::tui::Options {
                    workspace: cli.workspace,
                    profile: cli.profile,
                    capture: cli.capture,
                    log_limit: cli.log_limit,
                    gateway_admin: cli.gateway_admin,
                };
                wstab::tui::run(options).await
            }
        }
    });
    // Sessions and servers may still hold tasks; do not wait for them to wind down.
    runtime.shutdown_background();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
