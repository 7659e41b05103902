//! `wstab gateway`: load the config, start the gateway, run until Ctrl-C.

use std::net::SocketAddr;
use std::sync::Mutex;

use crate::cli::args::GatewayArgs;
use crate::cli::exit::Exit;
use wstab_emulator::gateway::config::{CertificateConfig, ConfigError};
use wstab_emulator::gateway::policy_xml::apim_dir;
use wstab_emulator::gateway::{Gateway, GatewayConfig, LogSink};

/// Where the gateway listens when neither the flag nor the config says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Runs the gateway until Ctrl-C; returns the exit code (usage for a bad config).
pub async fn run(args: GatewayArgs) -> Exit {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wstab gateway: {e}");
            return Exit::Usage;
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
                return Exit::Usage;
            }
        },
        None => LogSink::Stdout,
    };
    let apis: Vec<String> = config.apis.iter().map(|a| format!("/{}", a.url_suffix.trim_matches('/'))).collect();
    let tls = match wstab_emulator::tls::ServerTls::from_flags(
        args.tls.tls,
        args.tls.tls_cert.as_deref(),
        args.tls.tls_key.as_deref(),
        args.tls.tls_ca_out.as_deref(),
        "gateway",
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wstab gateway: {e}");
            return Exit::Usage;
        }
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let ca_file = tls.as_ref().and_then(|t| t.ca_file.clone());
    let gateway = match Gateway::start_tls(config, listen, admin, sink, tls).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("wstab gateway: {e}");
            return Exit::Failed;
        }
    };
    eprintln!("wstab gateway: listening on {scheme}://{} ({})", gateway.addr, apis.join(", "));
    if let Some(ca) = ca_file {
        eprintln!("wstab gateway: TLS CA certificate in {} (wstab --ca FILE, NODE_EXTRA_CA_CERTS=FILE)", ca.display());
    }
    if let Some(a) = gateway.admin_addr {
        eprintln!("wstab gateway: metrics on http://{a}/metrics");
    }
    let _ = tokio::signal::ctrl_c().await;
    gateway.stop();
    eprintln!("wstab gateway: stopped");
    Exit::Ok
}

/// Why `wstab gateway` has no config to run (a usage error).
#[derive(Debug, thiserror::Error)]
enum LoadError {
    /// The TOML config or the APIM export cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Neither flag was given.
    #[error("--config or --apim-dir is required")]
    NoConfig,
    /// `--backend`, `--subscription` or `--certificate` without `NAME=VALUE`.
    #[error("--{flag} {text:?}: expected NAME=VALUE")]
    Pair { flag: &'static str, text: String },
    /// `--backend NAME=URL` whose URL cannot be a WebSocket URL.
    #[error("--backend {name}: {source}")]
    Backend { name: String, source: apim_dir::BackendUrlError },
}

/// The TOML config, the APIM export, or both (the export's APIs plus the TOML's keys and limits).
fn load_config(args: &GatewayArgs) -> Result<GatewayConfig, LoadError> {
    let pair = |flag: &'static str, text: &str| {
        text.split_once('=')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .ok_or_else(|| LoadError::Pair { flag, text: text.to_string() })
    };
    let mut certificates = Vec::new();
    for c in &args.certificate {
        let (id, path) = pair("certificate", c)?;
        // Relative to where the command runs, not to the config's folder.
        let path = std::path::absolute(&path).unwrap_or_else(|_| path.into());
        certificates.push(CertificateConfig { id, path });
    }
    let base = args.config.as_deref().map(|p| GatewayConfig::load_with(p, &certificates)).transpose()?;
    let Some(dir) = &args.apim_dir else {
        return base.ok_or(LoadError::NoConfig);
    };
    let base = match base {
        Some(b) => Some(b),
        None if !certificates.is_empty() => Some(GatewayConfig { certificates, ..GatewayConfig::default() }),
        None => None,
    };
    let mut backends = Vec::new();
    for b in &args.backend {
        let (name, url) = pair("backend", b)?;
        let url = apim_dir::ws_url(&url).map_err(|source| LoadError::Backend { name: name.clone(), source })?;
        backends.push((name, url));
    }
    let subscriptions = args.subscription.iter().map(|s| pair("subscription", s)).collect::<Result<Vec<_>, _>>()?;
    let (config, summary) = apim_dir::load(dir, base, &backends, &subscriptions)?;
    if !summary.skipped.is_empty() {
        eprintln!("wstab gateway: skipped non-WebSocket APIs: {}", summary.skipped.join(", "));
    }
    if summary.local_key {
        eprintln!("wstab gateway: subscription key: {} (the well-known local key)", apim_dir::LOCAL_KEY);
    }
    Ok(config)
}
