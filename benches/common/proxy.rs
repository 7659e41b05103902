//! The proxies the gateway benchmarks compare: `wstab gateway` as deployed (its own process,
//! config and JSON log in files, a subscription key and a `validate_jwt` policy to pass) and
//! nginx as a WebSocket proxy, both started and stopped by pid; and the credentials a client
//! presents to pass the gateway's checks.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The subscription key every client presents.
pub const KEY: &str = "bench-primary-key-0123456789";
/// The HS256 secret of the gateway's `validate_jwt` policy.
pub const JWT_SECRET: &str = "bench-jwt-secret";

/// The gateway config: subscription key required, `validate_jwt` (HS256, audience, issuer),
/// then `extra` (e.g. a `[limits]` table).
pub fn gateway_config(backend: SocketAddr, extra: &str) -> String {
    format!(
        r#"
[[subscriptions]]
name = "bench"
primary_key = "{KEY}"

[[apis]]
name = "echo"
url_suffix = "echo"
backend = "ws://{backend}/echo"
subscription_required = true
[apis.policies.validate_jwt]
hs256_secret = "{JWT_SECRET}"
audiences = ["api://wstab-bench"]
issuers = ["https://issuer.bench"]
{extra}
"#
    )
}

/// A bearer token the gateway's `validate_jwt` accepts (valid for an hour).
pub fn token() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = serde_json::json!({"aud": "api://wstab-bench", "iss": "https://issuer.bench", "exp": now + 3600});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A server process we started; stopped with `signal` by its pid (then killed if it lingers).
pub struct Server {
    /// The process.
    pub child: Child,
    /// The signal that stops it politely.
    pub signal: i32,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling the process we started, by its pid.
        unsafe { libc::kill(self.child.id() as i32, self.signal) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wstab gateway` as deployed: its own process, `config` written to a file, the JSON log to
/// `log`, listening on `listen` (port 0: it says where it listens).
pub fn start_gateway(
    bin: &Path,
    dir: &Path,
    config: &str,
    listen: &str,
    log: &Path,
) -> Result<(Server, SocketAddr), String> {
    let config_file = dir.join("gateway.toml");
    std::fs::write(&config_file, config).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin)
        .arg("gateway")
        .arg("--config")
        .arg(&config_file)
        .args(["--listen", listen, "--log-file"])
        .arg(log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let server = Server { child, signal: libc::SIGINT };
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads to the end, so the gateway never writes into a closed pipe when it stops.
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = rx.recv_timeout(left).map_err(|_| "wstab gateway said nothing about listening".to_string())?;
        if let Some(addr) = line.split("listening on ws://").nth(1).and_then(|rest| rest.split_whitespace().next()) {
            return Ok((server, addr.parse().map_err(|e| format!("{line:?}: {e}"))?));
        }
    }
    Err("wstab gateway did not listen within 15 s".into())
}

/// How nginx is set up for a run.
pub struct NginxSetup<'a> {
    /// The address it listens on (a port is picked).
    pub ip: &'a str,
    /// Connections per worker (client and upstream both count).
    pub worker_connections: usize,
    /// Open files per worker (`worker_rlimit_nofile`), when it must be raised.
    pub worker_files: Option<u64>,
    /// `reuseport` on the listener: the kernel spreads new connections over the workers.
    pub reuseport: bool,
}

impl Default for NginxSetup<'_> {
    fn default() -> Self {
        Self { ip: "127.0.0.1", worker_connections: 1024, worker_files: None, reuseport: false }
    }
}

/// nginx proxying WebSockets to `backend`, if nginx is installed. nginx must bind its own port,
/// so a free one is picked and the start retried if another process took it.
pub fn start_nginx(dir: &Path, backend: SocketAddr, setup: &NginxSetup) -> Result<(Server, SocketAddr), String> {
    let d = dir.display();
    let ip = setup.ip;
    let mut last = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind((ip, 0)).and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let files = setup.worker_files.map(|n| format!("worker_rlimit_nofile {n};")).unwrap_or_default();
        let reuseport = if setup.reuseport { " reuseport" } else { "" };
        let conf = format!(
            r#"worker_processes auto;
{files}
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections {wc}; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen {ip}:{port}{reuseport};
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
"#,
            wc = setup.worker_connections,
        );
        std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(dir.join("nginx.pid"));
        let child = Command::new("nginx")
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/error.log")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("not installed ({e}; apt-get install nginx)"))?;
        // SIGTERM lets the master stop its workers.
        let mut nginx = Server { child, signal: libc::SIGTERM };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                last = format!(
                    "nginx exited with {status}: {}",
                    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
                );
                break;
            }
            // Ours only once its pid file is written: the port answers from our nginx.
            if dir.join("nginx.pid").exists() && std::net::TcpStream::connect((ip, port)).is_ok() {
                let addr = format!("{ip}:{port}").parse().map_err(|e| format!("{ip}:{port}: {e}"))?;
                return Ok((nginx, addr));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if last.is_empty() {
            last = "nginx did not listen within 10 s".into();
        }
    }
    Err(last)
}
