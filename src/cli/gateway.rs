//! `wstab gateway`: load the config, start the gateway, run until Ctrl-C.

use std::net::SocketAddr;
use std::sync::Mutex;

use crate::cli::args::GatewayArgs;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogSink};

/// Where the gateway listens when neither the flag nor the config says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Runs the gateway until Ctrl-C; returns the exit code (2 for a bad config).
pub async fn run(args: GatewayArgs) -> i32 {
    let config = match GatewayConfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wstab gateway: {e}");
            return 2;
        }
    };
    let listen = args
        .listen
        .or(config.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))));
    let admin = args.admin.or(config.admin);
    let sink = match &args.log_file {
        Some(path) => match std::fs::OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => LogSink::File(Mutex::new(f)),
            Err(e) => {
                eprintln!("wstab gateway: cannot open log file {}: {e}", path.display());
                return 2;
            }
        },
        None => LogSink::Stdout,
    };
    let apis: Vec<String> = config.apis.iter().map(|a| format!("/{}", a.url_suffix.trim_matches('/'))).collect();
    let gateway = match Gateway::start(config, listen, admin, sink).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("wstab gateway: {e}");
            return 1;
        }
    };
    eprintln!("wstab gateway: listening on ws://{} ({})", gateway.addr, apis.join(", "));
    if let Some(a) = gateway.admin_addr {
        eprintln!("wstab gateway: metrics on http://{a}/metrics");
    }
    let _ = tokio::signal::ctrl_c().await;
    gateway.stop();
    eprintln!("wstab gateway: stopped");
    0
}
