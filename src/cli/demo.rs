//! `wstab demo`.
use std::io::Write;

use crate::cli::args::DemoArgs;

const HELP: &str = "wstab demo starts, in this process on 127.0.0.1, the chain the article describes:

  client -> gateway (APIM-style: subscription key, policies) -> backends
echo    ws://127.0.0.1:P/echo              echoes every message
chat    ws://127.0.0.1:P/client/hubs/chat  Web PubSub-style hub (json.webpubsub.azure.v1;
                                          needs the subscription key AND an access_token)
ticker  ws://127.0.0.1:P/ticker            pushes a JSON stock quote every 400 ms

Run it:  wstab demo --serve [--port P]
It prints one JSON line (gateway, admin, subscription_key, apis with ready URLs), a table,
and serves until Ctrl-C. Metrics: GET <admin>/metrics.";

/// Runs the demo; returns the exit code.
pub async fn run(args: DemoArgs) -> i32 {
    if !args.serve {
        println!("{HELP}");
        return 0;
    }
    let demo = match wstab_emulator::demo::start(args.port).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("wstab demo: {e:#}");
            return 1;
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
    0
}
