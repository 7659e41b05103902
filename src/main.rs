//! The `wstab` binary: parse the command line, start logging to a file, run one command.

use std::process::ExitCode;

use clap::Parser;
use wstab::cli::args::{Cli, Command, ExportArgs, ExportFormat, ImportArgs, ImportSource};
use wstab::cli::exit::Exit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The local UTC offset can only be read safely while the process has one thread.
    wstab_core::clock::init_local_offset();
    wstab::logging::init(None);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wstab: cannot start the async runtime: {e}");
            return Exit::Failed.into();
        }
    };
    let exit = runtime.block_on(async move {
        match cli.command {
            Some(Command::Connect(args)) => wstab::cli::connect::run(args).await,
            Some(Command::Gateway(args)) => wstab::cli::gateway::run(args).await,
            Some(Command::Demo(args)) => wstab::cli::demo::run(args).await,
            Some(Command::Token(args)) => wstab::cli::token::run(args),
            Some(Command::Import(ImportArgs { source: ImportSource::Apim(args) })) => {
                wstab::cli::profiles::import_apim(&args)
            }
            Some(Command::Import(ImportArgs { source: ImportSource::Webpubsub(args) })) => {
                wstab::cli::profiles::import_webpubsub(&args)
            }
            Some(Command::Profiles) => wstab::cli::profiles::list(),
            Some(Command::Run(args)) => Exit::of_run(&wstab_core::script::run_file(&args.script).await),
            Some(Command::Export(ExportArgs { format: ExportFormat::K6(args) })) => wstab::cli::export::run(&args),
            Some(Command::Export(ExportArgs { format: ExportFormat::Artillery(args) })) => {
                wstab::cli::export::run_artillery(&args)
            }
            None => {
                let options = wstab::console::runtime::Options {
                    workspace: cli.workspace,
                    profile: cli.profile,
                    capture: cli.capture,
                    log_limit: cli.log_limit,
                    gateway_admin: cli.gateway_admin,
                    ca: cli.request.ca.clone(),
                    url: cli.url,
                    request: cli.request,
                };
                wstab::console::runtime::run(options).await
            }
        }
    });
    // Sessions and servers may still hold tasks; do not wait for them to wind down.
    runtime.shutdown_background();
    exit.into()
}
