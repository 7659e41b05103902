//! Gateway relay: echo throughput through the gateway emulator versus connecting to the echo
//! backend directly, and versus nginx as a WebSocket proxy when nginx is installed. One client
//! streams N text messages of 64 bytes and reads the N echoes back; all on loopback.
//!
//! Run: `cargo bench --bench relay` (N from `WSTAB_BENCH_MESSAGES`, default 200,000).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use wstab::gateway::config::{ApiConfig, KeyNames, Policies};
use wstab::gateway::{Gateway, GatewayConfig, LogSink};

/// Streams `n` messages to `url` and waits for all `n` echoes; returns the time taken.
async fn echo_run(url: &str, n: u64) -> Duration {
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let (mut tx, mut rx) = ws.split();
    let start = Instant::now();
    let writer = tokio::spawn(async move {
        let msg = Message::text("y".repeat(PAYLOAD));
        for _ in 0..n {
            tx.feed(msg.clone()).await.expect("send");
        }
        tx.flush().await.expect("flush");
        tx
    });
    let mut got = 0u64;
    while got < n {
        match rx.next().await {
            Some(Ok(m)) if m.is_text() => got += 1,
            Some(Ok(_)) => {}
            other => panic!("echo stream ended after {got} of {n}: {other:?}"),
        }
    }
    let elapsed = start.elapsed();
    let mut tx = writer.await.expect("writer");
    let _ = tx.close().await;
    elapsed
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx proxying WebSockets to `backend` on a free port, if nginx is installed.
fn start_nginx(dir: &Path, backend: SocketAddr) -> Option<(Nginx, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let d = dir.display();
    let conf = format!(
        r#"worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{backend};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }}
  }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).ok()?;
    let child = Command::new("nginx")
        .args(["-c", &format!("{d}/nginx.conf"), "-p", &d.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let nginx = Nginx(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((nginx, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn main() {
    let n: u64 = env_or("WSTAB_BENCH_MESSAGES", 200_000);
    let runs: usize = env_or("WSTAB_BENCH_RUNS", 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let shutdown = CancellationToken::new();
    let (backend, gateway) = rt.block_on(async {
        let echo = wstab::hub::start_echo("127.0.0.1:0".parse().unwrap(), shutdown.clone()).await.expect("echo");
        let config = GatewayConfig {
            apis: vec![ApiConfig {
                name: "echo".into(),
                display_name: "Echo".into(),
                url_suffix: "echo".into(),
                backend: url::Url::parse(&format!("ws://{}/", echo.addr)).unwrap(),
                subscription_required: false,
                subscription_key: KeyNames::default(),
                policies: Policies::default(),
            }],
            ..GatewayConfig::default()
        };
        let gateway =
            Gateway::start(config, "127.0.0.1:0".parse().unwrap(), None, LogSink::Memory).await.expect("gateway");
        (echo.addr, gateway)
    });
    let dir = tempfile::tempdir().unwrap();
    let nginx = start_nginx(dir.path(), backend);
    let mut direct = Vec::new();
    let mut through = Vec::new();
    let mut proxied = Vec::new();
    for _ in 0..runs {
        direct.push(rt.block_on(echo_run(&format!("ws://{backend}/"), n)));
        through.push(rt.block_on(echo_run(&format!("ws://{}/echo", gateway.addr), n)));
        if let Some((_, port)) = &nginx {
            proxied.push(rt.block_on(echo_run(&format!("ws://127.0.0.1:{port}/"), n)));
        }
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1000.0;
    let direct = median(direct);
    let through = median(through);
    println!("gateway relay: {n} echoed text messages of {PAYLOAD} B over loopback, median of {runs}");
    println!("| path | time | k msgs/s | vs direct |");
    println!("|---|---|---|---|");
    println!("| direct to the echo backend | {:.3} s | {:.0} | 100% |", direct.as_secs_f64(), rate(direct));
    println!(
        "| through the wstab gateway | {:.3} s | {:.0} | {:.0}% |",
        through.as_secs_f64(),
        rate(through),
        100.0 * direct.as_secs_f64() / through.as_secs_f64()
    );
    if proxied.is_empty() {
        println!("| through nginx | not installed (apt-get install nginx) | | |");
    } else {
        let p = median(proxied);
        println!(
            "| through nginx (proxy_pass, 1 worker) | {:.3} s | {:.0} | {:.0}% |",
            p.as_secs_f64(),
            rate(p),
            100.0 * direct.as_secs_f64() / p.as_secs_f64()
        );
    }
    drop(nginx);
    gateway.stop();
    shutdown.cancel();
}
