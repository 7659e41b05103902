//! `wstab demo`.
use std::io::Write;

use crate::cli::args::DemoArgs;
use crate::cli::exit::Exit;

const HELP: &str = "wstab demo starts, in this process on 127.0.0.1, the chain the article describes:

  client -> gateway (APIM-style: subscription key, policies) -> backends
echo    ws://127.0.0.1:P/echo              echoes every message
chat    ws://127.0.0.1:P/client/hubs/chat  Web PubSub-style hub (json.webpubsub.azure.v1;
                                          needs the subscription key AND an access_token)
ticker  ws://127.0.0.1:P/ticker            pushes a JSON stock quote every 400 ms

Run it:  wstab demo --serve [--port P] [--config demo.toml] [--tls | --tls-cert C --tls-key K]
It prints one JSON line (gateway, admin, subscription_key, apis with ready URLs, hub,
connection_string), a table, and serves until Ctrl-C. Metrics: GET <admin>/metrics.

P is 7880 by default, or WSTAB_DEMO_PORT (a free port when it is taken; the hub takes P+1). The subscription key is
the well-known local key wstab-local-key and the hub's connection string uses a well-known local
AccessKey: both public, for local use only (set [hub] access_key in the config for another): point the Web PubSub server SDKs at it. The hub serves the REST API
(/api/hubs/...) and calls the [[hub.event_handlers]] the config lists.";

/// Runs the demo; returns the exit code.
pub async fn run(args: DemoArgs) -> Exit {
    if !args.serve {
        println!("{HELP}");
        return Exit::Ok;
    }
    let mut options = wstab_emulator::demo::DemoOptions::default();
    if let Some(path) = &args.config {
        match wstab_emulator::demo::DemoConfig::load(path) {
            Ok(c) => {
                options.access_key = c.hub.access_key;
                options.event_handlers = c.hub.event_handlers;
            }
            Err(e) => {
                eprintln!("wstab demo: {e}");
                return Exit::Usage;
            }
        }
    }
    let ca_out = args.tls.tls_ca_out.as_deref();
    match wstab_emulator::tls::ServerTls::from_flags(
        args.tls.tls,
        args.tls.tls_cert.as_deref(),
        args.tls.tls_key.as_deref(),
        ca_out,
        "demo",
    ) {
        Ok(tls) => options.tls = tls,
        Err(e) => {
            eprintln!("wstab demo: {e}");
            return Exit::Usage;
        }
    }
    let started = match args.port {
        Some(port) => wstab_emulator::demo::start_with(port, options).await.map(|d| (d, None)),
        None => wstab_emulator::demo::start_default(options).await,
    };
    let demo = match started {
        Ok((d, note)) => {
            if let Some(note) = note {
                eprintln!("wstab demo: {note}");
            }
            d
        }
        Err(e) => {
            eprintln!("wstab demo: {e:#}");
            return Exit::Failed;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", demo.json_line());
    let _ = out.flush();
    let _ = writeln!(out, "\nwstab demo: gateway {}  metrics {}/metrics", demo.gateway_url, demo.admin_url);
    let _ = writeln!(
        out,
        "subscription key: {}  (query subscription-key or header Ocp-Apim-Subscription-Key)\n",
        demo.subscription_key
    );
    let _ = writeln!(
        out,
        "hub:               {}  (REST API /api/hubs/<hub>/..., clients /client/hubs/<hub>)",
        demo.hub_url
    );
    let _ = writeln!(out, "connection string: {}", demo.connection_string);
    if let Some(ca) = &demo.ca_file {
        let _ = writeln!(out, "TLS CA:            {}  (wstab --ca FILE, NODE_EXTRA_CA_CERTS=FILE)", ca.display());
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<8} URL", "API");
    for api in &demo.apis {
        let shown = wstab_core::secret::mask_url(&api.url, &[]);
        let _ = writeln!(out, "{:<8} {shown}", api.name);
    }
    let _ = writeln!(out, "\nThe chat URL's access_token is in the JSON line above. Ctrl-C to stop.");
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    demo.shutdown();
    Exit::Ok
}

/// For a profile with `gateway = "demo"`: when nothing listens on the demo's default port, starts
/// the demo in this process (the caller keeps it alive) and says so on stderr. `None` when the
/// profile is not on the demo, or a demo (e.g. `wstab demo --serve`) already answers there.
pub async fn start_for_profile(
    profile: &wstab_core::profile::Profile,
) -> anyhow::Result<Option<wstab_emulator::demo::Demo>> {
    if !profile.endpoint().is_demo() || wstab_core::request::running_demo_gateway().is_some() {
        return Ok(None);
    }
    let default = std::net::SocketAddr::from(([127, 0, 0, 1], wstab_core::request::demo_default_port()));
    let probe = tokio::time::timeout(std::time::Duration::from_secs(1), tokio::net::TcpStream::connect(default));
    if matches!(probe.await, Ok(Ok(_))) {
        return Ok(None);
    }
    let (demo, note) = wstab_emulator::demo::start_default(Default::default()).await?;
    eprintln!("wstab: started the demo for gateway = \"demo\" on {}", demo.gateway_url);
    if let Some(note) = note {
        eprintln!("wstab: {note}");
    }
    Ok(Some(demo))
}
