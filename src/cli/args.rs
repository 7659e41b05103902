//! The command line: `wstab` (the console), `connect`, `gateway`, `demo`, `token`.
//!
//! Flags and exit codes here are a contract with users' scripts: add, never rename.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wstab_core::request::{ClientAccessUrl, Overrides, RequestError};

/// A terminal console for testing WebSocket APIs through an API gateway.
///
/// With no command, opens the console: on a URL (`wstab wss://…`), a workspace or a profile, or
/// on the embedded demo when nothing is given.
#[derive(Debug, Parser)]
#[command(name = "wstab", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Open this workspace TOML file in the console instead of the demo.
    #[arg(long, value_name = "FILE")]
    pub workspace: Option<PathBuf>,

    /// Open the console on this saved profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Write every console event to this file as NDJSON as it happens (created or truncated).
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,

    /// How many log entries the console keeps in memory; older ones are dropped from view (the
    /// session saved with `s`, and a capture, keep everything). Default 10000, or `log_limit` in
    /// config.toml.
    #[arg(long, value_name = "N")]
    pub log_limit: Option<usize>,

    /// Watch a gateway emulator from outside: its admin address (e.g. http://127.0.0.1:9090),
    /// polled for the gateway's side view (F6) when the console is not on the embedded demo.
    #[arg(long, value_name = "URL")]
    pub gateway_admin: Option<String>,

    /// Open the console on this ws://, wss://, http:// or https:// URL, its query string split
    /// into Query parameters rows (secret values masked).
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// The URL's headers, query, subprotocols, TLS, timeout, secret names and token.
    #[command(flatten)]
    pub request: RequestArgs,

    /// What to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to a WebSocket URL headlessly, like wscat -c or websocat.
    Connect(ConnectArgs),
    /// Run the local APIM-style gateway emulator.
    Gateway(GatewayArgs),
    /// Run the embedded demo (gateway, hub, echo and ticker backends) in one process.
    Demo(DemoArgs),
    /// Print a Web PubSub client access URL with a fresh access token.
    Token(TokenArgs),
    /// Create profiles from Azure API Management's API list.
    Import(ImportArgs),
    /// List the saved profiles (and any file that fails to parse).
    Profiles,
    /// Run a script of sends and expected replies; exit 0 when every expectation holds (for CI).
    Run(RunArgs),
    /// Export a profile for another tool.
    Export(ExportArgs),
}

/// `wstab import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// Where `wstab import` reads from.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// The JSON printed by `az apim api list` (or the ARM/REST shape): one profile per WebSocket API.
    Apim(ImportApimArgs),
    /// A Web PubSub connection string: a profile for one hub with a generated `access_token`.
    Webpubsub(ImportWebPubSubArgs),
}

/// Where a Web PubSub `access_token` comes from when importing.
#[derive(Debug, Args, Default, Clone)]
pub struct ImportTokenArgs {
    /// A Web PubSub connection string: an `access_token` is generated from it now (the string
    /// itself is not stored).
    #[arg(long, value_name = "STRING", conflicts_with = "connection_string_env")]
    pub connection_string: Option<String>,
    /// The environment variable holding the connection string: a token is generated now, and the
    /// profile stores `${env:NAME}` so every connect generates a fresh one.
    #[arg(long, value_name = "NAME")]
    pub connection_string_env: Option<String>,
    /// The token's user id (`sub`).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// A role for the token, e.g. webpubsub.sendToGroup (repeatable).
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Token lifetime, e.g. 30m, 1h.
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub ttl: String,
}

/// `wstab import webpubsub`.
#[derive(Debug, Args)]
pub struct ImportWebPubSubArgs {
    /// The hub name.
    #[arg(long)]
    pub hub: String,
    /// The profile's name (default: the hub name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Connect through this gateway (`<gateway>/client/hubs/<hub>`, with a subscription key)
    /// instead of straight to the service.
    #[arg(long, value_name = "URL")]
    pub gateway: Option<String>,
    /// Replace the profile if it exists.
    #[arg(long)]
    pub overwrite: bool,
    /// The token.
    #[command(flatten)]
    pub token: ImportTokenArgs,
}

/// `wstab import apim`.
#[derive(Debug, Args)]
pub struct ImportApimArgs {
    /// The JSON file (`-` for stdin); without it, --resource-group and --service-name.
    #[arg(required_unless_present = "service_name", conflicts_with = "service_name")]
    pub file: Option<PathBuf>,
    /// Read the APIs from Azure: runs `az apim api list` and `az apim show` for this resource
    /// group (with --service-name).
    #[arg(long, short = 'g', value_name = "RG", requires = "service_name")]
    pub resource_group: Option<String>,
    /// The API Management service's name (with --resource-group).
    #[arg(long, short = 'n', value_name = "NAME", requires = "resource_group")]
    pub service_name: Option<String>,
    /// Fetch this APIM subscription's primary key (`az rest` on its listSecrets) into every
    /// imported profile: as an `${env:NAME}` reference, with the `export NAME=…` line printed.
    #[arg(long, value_name = "SID", requires = "service_name")]
    pub subscription: Option<String>,
    /// The variable the key is referenced by [default: <SERVICE>_SUBSCRIPTION_KEY].
    #[arg(long, value_name = "NAME", requires = "subscription")]
    pub key_env: Option<String>,
    /// Store the fetched key in the profile files (mode 0600) as it is, instead of a reference.
    #[arg(long, requires = "subscription")]
    pub store_secrets_in_file: bool,
    /// The gateway URL (`gatewayUrl` from `az apim show`); default `https://<service>.azure-api.net`.
    #[arg(long, value_name = "URL")]
    pub gateway: Option<String>,
    /// Replace profiles that already exist (otherwise they are skipped).
    #[arg(long)]
    pub overwrite: bool,
    /// For APIs whose path is `…/client/hubs/<hub>`, an `access_token` generated from a Web
    /// PubSub connection string.
    #[command(flatten)]
    pub token: ImportTokenArgs,
}

/// How `connect` prints binary messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum BinaryFormat {
    /// Lowercase hex.
    #[default]
    Hex,
    /// Standard base64.
    Base64,
}

/// The flags that describe a request, shared by `wstab URL` (the console) and `wstab connect`:
/// one set of names, one parser ([`RequestArgs::overrides`]).
#[derive(Debug, Args, Default, Clone)]
pub struct RequestArgs {
    /// Extra handshake header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Query parameter merged into the URL, `name=value` (repeatable).
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// Subprotocol to request (repeatable, in order of preference).
    #[arg(short = 's', long = "subprotocol", value_name = "PROTOCOL")]
    pub subprotocols: Vec<String>,
    /// Skip TLS certificate and host name verification.
    #[arg(long)]
    pub insecure: bool,
    /// Trust this extra CA certificate (PEM); in the console, for every connection it opens, as a
    /// profile's `[tls] ca_file` does (e.g. the one `wstab demo --serve --tls` writes).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Seconds allowed for DNS, TCP, TLS and the handshake [default: 10].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Also treat this query parameter or header name as secret (repeatable).
    #[arg(long = "secret", value_name = "NAME")]
    pub secret_names: Vec<String>,
    /// A Web PubSub Client Access URL (as copied from the Keys tab): only its token goes into
    /// the `access_token` query parameter; the request keeps its own URL.
    #[arg(long, value_name = "URL")]
    pub access_token_from: Option<String>,
}

impl RequestArgs {
    /// What these flags lay over a request, each argument checked (`-H` without a colon, a
    /// `--connect-timeout` that is not positive, an `--access-token-from` without a token).
    pub fn overrides(&self) -> Result<Overrides, RequestError> {
        Ok(Overrides {
            query: self.query.iter().map(|q| Overrides::query_argument(q)).collect::<Result<_, _>>()?,
            headers: self.headers.iter().map(|h| Overrides::header_argument(h)).collect::<Result<_, _>>()?,
            subprotocols: self.subprotocols.clone(),
            connect_timeout_secs: self.connect_timeout,
            insecure: self.insecure,
            ca_file: self.ca.clone(),
            secret_names: self.secret_names.clone(),
            access_token_from: self.access_token_from.as_deref().map(ClientAccessUrl::parse).transpose()?,
            ..Overrides::default()
        })
    }
}

/// `wstab connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// ws:// or wss:// URL (http:// and https:// are accepted and mapped). Optional with --profile.
    #[arg(required_unless_present = "profile")]
    pub url: Option<String>,
    /// Start from this saved profile; the other flags add to or override it.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The request's headers, query, subprotocols, TLS, timeout, secret names and token.
    #[command(flatten)]
    pub request: RequestArgs,
    /// Message to send after connecting (repeatable, sent in order before stdin).
    #[arg(short = 'x', long = "execute", value_name = "MESSAGE")]
    pub execute: Vec<String>,
    /// Exit 0 after receiving this many messages.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Exit 0 after this many seconds without a received message.
    #[arg(long, value_name = "SECS")]
    pub wait: Option<f64>,
    /// Print one JSON object per event on stdout.
    #[arg(long)]
    pub json: bool,
    /// How to print binary messages.
    #[arg(long, value_enum, default_value_t = BinaryFormat::Hex, value_name = "hex|base64")]
    pub binary_as: BinaryFormat,
    /// Largest message accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_message_size: Option<usize>,
    /// Pair replies with requests by this JSON pointer (e.g. /ackId): `latency_ms` on paired
    /// replies in --json, and a latency summary on stderr at exit. Overrides the profile's.
    #[arg(long, value_name = "POINTER")]
    pub correlate: Option<String>,
    /// Reconnect with backoff (0.5 s doubling to 30 s, ±20 %) when the connection is lost,
    /// re-sending the on-connect and -x messages; a 4xx refusal stops it.
    #[arg(long)]
    pub reconnect: bool,
    /// Write the session (handshake and messages) as a HAR file at the end.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
}

/// `wstab run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The script (TOML): a profile or URL, then `[[steps]]` of send / expect / sleep.
    pub script: PathBuf,
}

/// `wstab export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write.
    #[command(subcommand)]
    pub format: ExportFormat,
}

/// The formats `wstab export` writes.
#[derive(Debug, Subcommand)]
pub enum ExportFormat {
    /// A k6 WebSocket load-test script for a profile and its saved messages.
    K6(ExportK6Args),
    /// An Artillery test script (YAML, its built-in `ws` engine) for a profile and its saved
    /// text messages.
    Artillery(ExportK6Args),
}

/// `wstab export k6` and `wstab export artillery`: which profile, and where to write.
#[derive(Debug, Args)]
pub struct ExportK6Args {
    /// The saved profile.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Write here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `wstab gateway`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Gateway config (TOML); see assets/gateway.example.toml. With --apim-dir, it lends its
    /// subscriptions, limits and APIs.
    #[arg(long, value_name = "FILE", required_unless_present = "apim_dir")]
    pub config: Option<PathBuf>,
    /// An APIM export as APIM's extractor (APIOps) writes it: serve its WebSocket APIs with their
    /// suffixes, key names and policy XML.
    #[arg(long, value_name = "DIR")]
    pub apim_dir: Option<PathBuf>,
    /// Override an exported API's backend: API=ws://host:port/path (repeatable).
    #[arg(long, value_name = "API=URL", requires = "apim_dir")]
    pub backend: Vec<String>,
    /// A subscription and its key: NAME=KEY (repeatable; without any, the well-known local key).
    #[arg(long, value_name = "NAME=KEY", requires = "apim_dir")]
    pub subscription: Vec<String>,
    /// A certificate the policy XML names by id (`<key certificate-id="ID" />` in validate-jwt):
    /// ID=PEMFILE (repeatable), as uploaded to APIM, which exports do not carry.
    #[arg(long, value_name = "ID=PEMFILE")]
    pub certificate: Vec<String>,
    /// Address for WebSocket clients (overrides the config).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Address for /metrics (overrides the config).
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// Write the JSON-lines gateway log here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// How to serve TLS, if at all.
    #[command(flatten)]
    pub tls: ServeTlsArgs,
}

/// TLS for a server wstab runs (`gateway`, `demo`): a generated certificate or the user's PEM files.
#[derive(Debug, Args)]
pub struct ServeTlsArgs {
    /// Serve TLS with a certificate generated at start (its CA is written to --tls-ca-out and
    /// printed, for `wstab --ca` and NODE_EXTRA_CA_CERTS).
    #[arg(long)]
    pub tls: bool,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where the generated CA certificate is written (implies --tls; default: the temp folder).
    #[arg(long, value_name = "FILE")]
    pub tls_ca_out: Option<PathBuf>,
}

/// `wstab demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Serve the demo until Ctrl-C (without it, `demo` prints how to use it).
    #[arg(long)]
    pub serve: bool,
    /// Gateway port on 127.0.0.1 (0 picks a free one) [default: 7880, or a free port when it is
    /// taken, said on stderr; the hub takes the next port].
    #[arg(long)]
    pub port: Option<u16>,
    /// Demo config (TOML): `[hub] access_key`, `[[hub.event_handlers]]`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How to serve TLS, if at all.
    #[command(flatten)]
    pub tls: ServeTlsArgs,
}

/// `wstab token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// `Endpoint=https://<name>.webpubsub.azure.com;AccessKey=<key>;Version=1.0;`
    #[arg(long, value_name = "STRING", env = "WEBPUBSUB_CONNECTION_STRING", hide_env_values = true)]
    pub connection_string: String,
    /// The hub name.
    #[arg(long)]
    pub hub: String,
    /// The user id (`sub` claim).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// A role, e.g. webpubsub.joinLeaveGroup (repeatable).
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// A group to join on connect (repeatable).
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Token lifetime, e.g. 30m, 1h, 3600s.
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub ttl: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wstab").chain(args.iter().copied()))
    }

    #[test]
    fn test_a_url_opens_the_console_with_the_same_request_flags_as_connect() {
        let flags = ["-H", "X-A: 1", "-q", "b=2", "-s", "p1", "--insecure", "--ca", "ca.pem", "--connect-timeout"];
        let more = ["2.5", "--secret", "tenant", "--access-token-from", "wss://h/client/hubs/chat?access_token=t"];
        let cli = parse(&[&["ws://h/p?a=1"][..], &flags, &more].concat()).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.url.as_deref(), Some("ws://h/p?a=1"));
        let connect = parse(&[&["connect", "ws://h/p?a=1"][..], &flags, &more].concat()).unwrap();
        let Some(Command::Connect(c)) = connect.command else { panic!("connect parses") };
        assert_eq!(format!("{:?}", c.request), format!("{:?}", cli.request), "one set of flags, parsed alike");
        let o = cli.request.overrides().unwrap();
        assert_eq!((o.headers.len(), o.query[0].name.as_str(), o.insecure), (1, "b", true));
        assert_eq!(o.access_token_from.map(|t| t.token), Some("t".into()));
        let bad = RequestArgs { headers: vec!["no colon".into()], ..RequestArgs::default() };
        assert!(bad.overrides().is_err());
    }

    #[test]
    fn test_subcommands_still_parse_beside_the_url() {
        assert!(matches!(parse(&["demo"]).unwrap().command, Some(Command::Demo(_))));
        assert!(matches!(parse(&["profiles"]).unwrap().command, Some(Command::Profiles)));
        let connect = parse(&["connect", "ws://h/x", "-x", "hi"]).unwrap();
        assert!(matches!(connect.command, Some(Command::Connect(ref c)) if c.url.as_deref() == Some("ws://h/x")));
        assert!(connect.url.is_none());
        assert_eq!(parse(&["connect", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse(&["--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert!(parse(&[]).unwrap().url.is_none(), "no URL: the demo");
        assert!(parse(&["--workspace", "w.toml"]).is_ok());
        // A request flag belongs to the URL the console opens, never to a subcommand after it:
        // the word is read as the URL (which the console refuses, naming the commands).
        let flagged = parse(&["-H", "X: 1", "demo"]).unwrap();
        assert!(flagged.command.is_none() && flagged.url.as_deref() == Some("demo"));
        assert!(parse(&["ws://h/x", "demo"]).is_err());
    }
}
