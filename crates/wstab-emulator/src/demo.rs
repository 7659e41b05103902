//! The embedded demo: a gateway in front of a Web PubSub-style hub, an echo and a ticker backend,
//! all in this process on 127.0.0.1, plus the workspace the console opens on it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::gateway::config::{ApiConfig, GatewayConfig, KeyNames, Policies, Subscription};
use crate::gateway::{Gateway, GatewayLog, LogSink, Metrics};
use wstab_core::connection::Param;
use wstab_core::webpubsub_token::{self, ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest};
use wstab_core::workspace::{Api, Workspace};

/// The chat hub's name.
pub const CHAT_HUB: &str = "chat";
/// The chat subprotocol.
pub const CHAT_PROTOCOL: &str = crate::hub::protocol::JSON_PROTOCOL;
/// The demo hub's well-known AccessKey, like Azurite's account key: public, documented, for
/// local development only (base64 of `wstab-local-emulator-access-key-public-not-a-secret`).
/// Set `[hub] access_key` in the demo config to use another.
pub const DEFAULT_ACCESS_KEY: &str = wstab_core::request::DEMO_ACCESS_KEY;

/// The demo subscription's well-known key, like Azurite's account key: public, documented, for
/// local use only (the same as `wstab gateway --apim-dir`'s). Fixed, so a profile saved on the
/// demo connects again after a restart.
pub const LOCAL_SUBSCRIPTION_KEY: &str = crate::gateway::policy_xml::apim_dir::LOCAL_KEY;

/// The demo gateway's default port: wstab-core's, so `gateway = "demo"` finds it.
pub const DEFAULT_PORT: u16 = wstab_core::request::DEMO_DEFAULT_PORT;

/// How the demo is set up beyond its port.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// The hub's AccessKey ([`DEFAULT_ACCESS_KEY`] when `None`).
    pub access_key: Option<String>,
    /// The hub's HTTP event handlers.
    pub event_handlers: Vec<crate::hub::upstream::EventHandlerConfig>,
    /// Serve the gateway (`wss://`) and the hub (`https://`, plain still taken) with TLS.
    pub tls: Option<crate::tls::ServerTls>,
}

/// The demo config file (`wstab demo --serve --config FILE`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// The hub's settings.
    #[serde(default)]
    pub hub: DemoHubConfig,
}

/// `[hub]` in the demo config.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoHubConfig {
    /// The AccessKey instead of the well-known one.
    #[serde(default)]
    pub access_key: Option<String>,
    /// `[[hub.event_handlers]]`: URL template, system and user events.
    #[serde(default)]
    pub event_handlers: Vec<crate::hub::upstream::EventHandlerConfig>,
}

/// Why a demo config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DemoConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Bad TOML, an unknown key or a wrong type (`path:line:col: message`).
    #[error(transparent)]
    Parse(#[from] wstab_core::toml_file::TomlError),
    /// An event handler cannot be used.
    #[error("{path}: hub.event_handlers[{index}]: {source}")]
    EventHandler {
        /// The file.
        path: String,
        /// Its position in `[[hub.event_handlers]]`, from 0.
        index: usize,
        /// What is wrong with it.
        source: crate::hub::upstream::EventHandlerError,
    },
    /// `access_key = ""`: no key signs nothing.
    #[error("{0}: hub.access_key is empty")]
    EmptyAccessKey(String),
}

impl DemoConfig {
    /// Parses config text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Self, DemoConfigError> {
        let config: Self = wstab_core::toml_file::parse(path, text)?;
        for (index, h) in config.hub.event_handlers.iter().enumerate() {
            h.validate().map_err(|source| DemoConfigError::EventHandler { path: path.to_string(), index, source })?;
        }
        if config.hub.access_key.as_deref().is_some_and(str::is_empty) {
            return Err(DemoConfigError::EmptyAccessKey(path.to_string()));
        }
        Ok(config)
    }

    /// Reads and parses a config file.
    pub fn load(path: &std::path::Path) -> Result<Self, DemoConfigError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| DemoConfigError::Read { path: shown.clone(), source })?;
        Self::parse(&shown, &text)
    }
}

/// One demo API as the JSON line and the table describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoApi {
    /// The API id.
    pub name: String,
    /// The ready URL: every query parameter it needs except the subscription key.
    pub url: String,
    /// The subscription key to send (query `subscription-key` or header `Ocp-Apim-Subscription-Key`).
    pub subscription_key: String,
    /// The hub access token already in `url` (chat only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
}

/// The running demo. Dropping it stops every server.
#[derive(Debug)]
pub struct Demo {
    /// `ws://127.0.0.1:P`.
    pub gateway_url: String,
    /// `http://127.0.0.1:A` (GET /metrics).
    pub admin_url: String,
    /// The demo subscription's primary key.
    pub subscription_key: String,
    /// The APIs: echo, chat, ticker.
    pub apis: Vec<DemoApi>,
    /// The same APIs as a console workspace, keys prefilled.
    pub workspace: Workspace,
    /// The gateway's counters.
    pub metrics: Arc<Metrics>,
    /// The gateway's log records.
    pub log: Arc<GatewayLog>,
    /// The hub's Web PubSub connection string, for the server SDKs:
    /// `Endpoint=http://127.0.0.1:H;AccessKey=…;Version=1.0;` (`https` with TLS).
    pub connection_string: String,
    /// The hub's endpoint (`http://127.0.0.1:H`): the REST API and direct client connections.
    pub hub_url: String,
    /// The generated CA certificate's file, when TLS is self-signed.
    pub ca_file: Option<std::path::PathBuf>,
    cs: ConnectionString,
    gateway: Gateway,
    shutdown: CancellationToken,
}

/// The JSON line `wstab demo --serve` prints.
#[derive(Debug, Serialize)]
struct DemoLine<'a> {
    gateway: &'a str,
    admin: &'a str,
    subscription_key: &'a str,
    apis: &'a [DemoApi],
    hub: &'a str,
    connection_string: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<String>,
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Starts the demo with the gateway on 127.0.0.1:`port` (0 picks a free port).
pub async fn start(port: u16) -> anyhow::Result<Demo> {
    start_with(port, DemoOptions::default()).await
}

/// The demo of this process: the gateway on [`DEFAULT_PORT`], or the port `WSTAB_DEMO_PORT`
/// names (the hub on the next port), or on
/// free ports when that is taken, then registered as `gateway = "demo"` for the core. The second
/// value says why the default port was not used, for the user.
pub async fn start_default(options: DemoOptions) -> anyhow::Result<(Demo, Option<String>)> {
    let port = wstab_core::request::demo_default_port();
    let (demo, note) = match start_with(port, options.clone()).await {
        Ok(d) => (d, None),
        Err(e) => {
            let demo = start_with(0, options).await?;
            let note = format!("port {port} is taken ({e:#}): the demo gateway is on {} instead", demo.gateway_url);
            (demo, Some(note))
        }
    };
    wstab_core::request::set_demo_gateway(Some(demo.gateway_url.clone()));
    wstab_core::request::set_demo_hub(Some(demo.connection_string.clone()));
    Ok((demo, note))
}

/// [`start`] with options: the hub's key, event handlers and TLS. With a fixed `port`, the hub
/// tries `port + 1` (so its connection string, and the tokens' audience, stay the same from run
/// to run) and falls back to a free port.
pub async fn start_with(port: u16, options: DemoOptions) -> anyhow::Result<Demo> {
    use anyhow::Context;
    let shutdown = CancellationToken::new();
    // Bind the hub first: its address is its endpoint, which the tokens' audience names.
    let fixed_hub = match port.checked_add(1).filter(|_| port != 0) {
        Some(p) => tokio::net::TcpListener::bind(local(p)).await.ok(),
        None => None,
    };
    let hub_listener = match fixed_hub {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(local(0)).await.context("cannot bind the demo hub")?,
    };
    let hub_addr = hub_listener.local_addr()?;
    let scheme = if options.tls.is_some() { "https" } else { "http" };
    let access_key = options.access_key.clone().unwrap_or_else(|| DEFAULT_ACCESS_KEY.to_string());
    let connection_string = format!("Endpoint={scheme}://{hub_addr};AccessKey={access_key};Version=1.0;");
    let cs = ConnectionString::parse(&connection_string).context("demo connection string")?;
    let upstream = (!options.event_handlers.is_empty()).then(|| {
        Arc::new(crate::hub::upstream::Upstream::new(
            options.event_handlers.clone(),
            &access_key,
            &hub_addr.to_string(),
        ))
    });
    let hub_options = crate::hub::HubOptions { upstream, tls: options.tls.clone(), ..Default::default() };
    let hub = crate::hub::serve_on_with(hub_listener, cs.clone(), hub_options, shutdown.clone())?;
    let echo = crate::hub::start_echo(local(0), shutdown.clone()).await.context("cannot start the echo backend")?;
    let ticker =
        crate::hub::start_ticker(local(0), shutdown.clone()).await.context("cannot start the ticker backend")?;

    let key = LOCAL_SUBSCRIPTION_KEY.to_string();
    let api = |name: &str, display: &str, suffix: &str, backend: String| -> anyhow::Result<ApiConfig> {
        Ok(ApiConfig {
            name: name.into(),
            display_name: display.into(),
            url_suffix: suffix.into(),
            backend: url::Url::parse(&backend)?,
            subscription_required: true,
            subscription_key: KeyNames::default(),
            policies: Policies::default(),
        })
    };
    let config = GatewayConfig {
        subscriptions: vec![Subscription {
            name: "demo".into(),
            primary_key: key.clone(),
            secondary_key: None,
            active: true,
        }],
        apis: vec![
            api("echo", "Echo", "echo", format!("ws://{}/", echo.addr))?,
            // Like APIM in front of Web PubSub: the gateway checks the key, the hub the token.
            api(
                "chat",
                "Chat (Web PubSub hub)",
                "client/hubs/chat",
                format!("ws://{}/client/hubs/{CHAT_HUB}", hub.addr),
            )?,
            api("ticker", "Stock ticker", "ticker", format!("ws://{}/", ticker.addr))?,
        ],
        ..GatewayConfig::default()
    };
    let gateway = Gateway::start_tls(config, local(port), Some(local(0)), LogSink::Memory, options.tls.clone())
        .await
        .with_context(|| format!("cannot start the demo gateway on 127.0.0.1:{port}"))
        // The backends already run: stop them, or a fallback start would leave them behind.
        .inspect_err(|_| shutdown.cancel())?;
    let ws = if options.tls.is_some() { "wss" } else { "ws" };
    let gateway_url = format!("{ws}://{}", gateway.addr);
    let admin_url = gateway.admin_addr.map(|a| format!("http://{a}")).unwrap_or_default();
    let mut demo = Demo {
        gateway_url,
        admin_url,
        subscription_key: key,
        apis: Vec::new(),
        workspace: Workspace { name: String::new(), gateway: String::new(), apis: Vec::new() },
        metrics: gateway.metrics.clone(),
        log: gateway.log.clone(),
        connection_string,
        hub_url: format!("{scheme}://{hub_addr}"),
        ca_file: options.tls.as_ref().and_then(|t| t.ca_file.clone()),
        cs,
        gateway,
        shutdown,
    };
    demo.refresh()?;
    Ok(demo)
}

impl Demo {
    /// A fresh chat access token: user `demo-user`, may join/leave and send to any group.
    pub fn chat_token(&self, ttl: Duration) -> anyhow::Result<String> {
        let req = TokenRequest {
            hub: CHAT_HUB.into(),
            user: Some("demo-user".into()),
            roles: vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()],
            groups: Vec::new(),
            ttl,
        };
        Ok(webpubsub_token::client_access(&self.cs, &req)?.token)
    }

    /// Rebuilds `apis` and `workspace` with a fresh chat token (valid one hour).
    pub fn refresh(&mut self) -> anyhow::Result<()> {
        let token = self.chat_token(Duration::from_secs(3600))?;
        let gw = &self.gateway_url;
        let key = &self.subscription_key;
        self.apis = vec![
            DemoApi {
                name: "echo".into(),
                url: format!("{gw}/echo"),
                subscription_key: key.clone(),
                access_token: None,
            },
            DemoApi {
                name: "chat".into(),
                url: format!("{gw}/client/hubs/{CHAT_HUB}?access_token={token}"),
                subscription_key: key.clone(),
                access_token: Some(token.clone()),
            },
            DemoApi {
                name: "ticker".into(),
                url: format!("{gw}/ticker"),
                subscription_key: key.clone(),
                access_token: None,
            },
        ];
        let key_param = || Param::new(crate::gateway::config::DEFAULT_KEY_QUERY, key.clone()).secret().required();
        self.workspace = Workspace {
            name: "wstab demo".into(),
            gateway: gw.clone(),
            apis: vec![
                Api {
                    name: "echo".into(),
                    display_name: "Echo".into(),
                    url_suffix: "echo".into(),
                    query: vec![key_param()],
                    headers: Vec::new(),
                    subprotocols: Vec::new(),
                    sample_message: Some("hello".into()),
                },
                Api {
                    name: "chat".into(),
                    display_name: "Chat (Web PubSub hub)".into(),
                    url_suffix: format!("client/hubs/{CHAT_HUB}"),
                    query: vec![key_param(), Param::new("access_token", token).secret().required()],
                    headers: Vec::new(),
                    subprotocols: vec![CHAT_PROTOCOL.into()],
                    // Joining comes first; the user then edits it into a sendToGroup.
                    sample_message: Some(r#"{"type":"joinGroup","group":"lobby","ackId":1}"#.into()),
                },
                Api {
                    name: "ticker".into(),
                    display_name: "Stock ticker".into(),
                    url_suffix: "ticker".into(),
                    query: vec![key_param()],
                    headers: Vec::new(),
                    subprotocols: Vec::new(),
                    sample_message: None,
                },
            ],
        };
        Ok(())
    }

    /// The gateway's address.
    pub fn gateway_addr(&self) -> SocketAddr {
        self.gateway.addr
    }

    /// The one JSON line `wstab demo --serve` prints.
    pub fn json_line(&self) -> String {
        let line = DemoLine {
            gateway: &self.gateway_url,
            admin: &self.admin_url,
            subscription_key: &self.subscription_key,
            apis: &self.apis,
            hub: &self.hub_url,
            connection_string: &self.connection_string,
            ca_file: self.ca_file.as_ref().map(|p| p.display().to_string()),
        };
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// Stops every server of the demo.
    pub fn shutdown(&self) {
        self.gateway.stop();
        self.shutdown.cancel();
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.shutdown();
    }
}
