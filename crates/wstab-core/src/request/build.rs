//! [`build_target`]: the one place a request and a front end's overrides become a session's
//! target — overlaid, `${env:NAME}` resolved, required values checked, the handshake validated.

use std::path::PathBuf;
use std::time::Duration;

use crate::connection::{Param, Target, TargetError};
use crate::profile::{EnvRefError, resolve_target};

use super::client_access_url::ClientAccessUrl;
use super::{Endpoint, Request, SessionOptions};

/// What a front end lays over a request: `wstab connect`'s flags, a `wstab run` script's own
/// URL, query, headers and subprotocols. Empty fields leave the request as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Connect here instead of the request's endpoint.
    pub url: Option<String>,
    /// Query parameters added, each replacing the request's parameter of the same name.
    pub query: Vec<Param>,
    /// Headers added, each replacing the request's header of the same name (any case).
    pub headers: Vec<Param>,
    /// Subprotocols added after the request's (a repeated one is not added twice).
    pub subprotocols: Vec<String>,
    /// Connect timeout in seconds (`--connect-timeout`); must be positive.
    pub connect_timeout_secs: Option<f64>,
    /// Max message size in bytes (`--max-message-size`); must be positive.
    pub max_message_size: Option<usize>,
    /// Skip certificate verification (`--insecure`), even if the request verifies.
    pub insecure: bool,
    /// Trust this CA file (`--ca`) instead of the request's.
    pub ca_file: Option<PathBuf>,
    /// More names whose values are secret (`--secret`), added to the request's.
    pub secret_names: Vec<String>,
    /// Reconnect when the connection is lost (`--reconnect`), even if the request does not.
    pub reconnect: bool,
    /// Text messages sent after every open (`-x`), after the request's own.
    pub on_connect: Vec<String>,
    /// Pair replies by this JSON pointer (`--correlate`) instead of the request's.
    pub correlation: Option<String>,
    /// A pasted Client Access URL (`--access-token-from`): just its token goes into the
    /// `access_token` query parameter (replacing any); the request keeps its own URL.
    pub access_token_from: Option<ClientAccessUrl>,
}

/// How far [`build_target`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// To connect now: `${env:NAME}` read from the environment, required values checked, the
    /// handshake request validated.
    Connect,
    /// To show or export (the Request pane, a k6 script, a copied command line): `${env:NAME}`
    /// references stay as written, since whoever runs the export reads them, and nothing is
    /// checked beyond the overrides.
    Show,
}

/// The result of [`build_target`]: the session's target and what the session does besides
/// connecting.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltRequest {
    /// What the session connects to.
    pub target: Target,
    /// The session options, overrides applied.
    pub session: SessionOptions,
}

/// Why a request and its overrides cannot make a target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// A `-H` argument without a `:`.
    #[error("invalid header {arg:?}: expected 'Name: value'")]
    HeaderArgument {
        /// The argument as given.
        arg: String,
    },
    /// A `-H` argument with nothing before the `:`.
    #[error("invalid header {arg:?}: the name is empty")]
    EmptyHeaderName {
        /// The argument as given.
        arg: String,
    },
    /// A `-q` argument with nothing before the `=`.
    #[error("invalid query parameter {arg:?}: expected 'name=value'")]
    QueryArgument {
        /// The argument as given.
        arg: String,
    },
    /// A connect timeout that is not a positive number of seconds.
    #[error("invalid --connect-timeout {secs}: expected a positive number of seconds")]
    ConnectTimeout {
        /// The value given.
        secs: f64,
    },
    /// A max message size of 0.
    #[error("invalid --max-message-size 0: expected a positive number of bytes")]
    MaxMessageSize,
    /// A correlation pointer (`--correlate`, or the profile's `correlation`) that is not a JSON
    /// pointer.
    #[error("invalid correlation pointer {pointer:?}: a JSON pointer starts with '/', e.g. /ackId")]
    Correlation {
        /// The pointer given.
        pointer: String,
    },
    /// `--access-token-from` is not a URL carrying an `access_token`.
    #[error("--access-token-from: {0}")]
    ClientAccessUrl(#[from] super::ClientAccessUrlError),
    /// A `${env:NAME}` reference to a variable that is not set.
    #[error(transparent)]
    EnvRef(#[from] EnvRefError),
    /// The APIM subscription key is required but neither of its places holds it.
    #[error(
        "the subscription key is empty: give it with -q {query}=KEY or -H '{header}: KEY', or fill it in the profile"
    )]
    MissingSubscriptionKey {
        /// The key's query parameter name.
        query: String,
        /// The key's header name.
        header: String,
    },
    /// A required query parameter or header is enabled but empty.
    #[error("required parameter {name:?} is empty: give it with -q or -H, or fill it in the profile")]
    MissingRequired {
        /// The parameter's or header's name.
        name: String,
    },
    /// The URL, a header or a subprotocol cannot be sent.
    #[error(transparent)]
    Invalid(#[from] TargetError),
}

impl Overrides {
    /// A `-H 'Name: value'` argument as a header.
    pub fn header_argument(arg: &str) -> Result<Param, RequestError> {
        let (name, value) = arg.split_once(':').ok_or_else(|| RequestError::HeaderArgument { arg: arg.into() })?;
        if name.trim().is_empty() {
            return Err(RequestError::EmptyHeaderName { arg: arg.into() });
        }
        Ok(Param::new(name.trim(), value.trim()))
    }

    /// A `-q name=value` argument (or a bare `name`, with an empty value) as a query parameter.
    pub fn query_argument(arg: &str) -> Result<Param, RequestError> {
        let (name, value) = arg.split_once('=').unwrap_or((arg, ""));
        if name.is_empty() {
            return Err(RequestError::QueryArgument { arg: arg.into() });
        }
        Ok(Param::new(name, value))
    }

    /// `request` with these overrides laid over it, each override checked.
    pub fn apply_to(&self, request: &Request) -> Result<Request, RequestError> {
        let mut r = request.clone();
        if let Some(url) = &self.url {
            r.endpoint = Endpoint::Url(url.clone());
        }
        for q in &self.query {
            r.query.retain(|p| p.name != q.name);
            r.query.push(q.clone());
        }
        for h in &self.headers {
            r.headers.retain(|p| !p.name.eq_ignore_ascii_case(&h.name));
            r.headers.push(h.clone());
        }
        for s in &self.subprotocols {
            if !r.subprotocols.contains(s) {
                r.subprotocols.push(s.clone());
            }
        }
        if let Some(secs) = self.connect_timeout_secs {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(RequestError::ConnectTimeout { secs });
            }
            r.connect_timeout = Some(Duration::from_secs_f64(secs));
        }
        if let Some(max) = self.max_message_size {
            if max == 0 {
                return Err(RequestError::MaxMessageSize);
            }
            r.max_message_size = Some(max);
        }
        r.tls.insecure |= self.insecure;
        if let Some(ca) = &self.ca_file {
            r.tls.ca_file = Some(ca.clone());
        }
        r.secret_names.extend(self.secret_names.iter().cloned());
        r.session.reconnect |= self.reconnect;
        r.session.on_connect.extend(self.on_connect.iter().cloned());
        if let Some(pointer) = &self.correlation {
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                return Err(RequestError::Correlation { pointer: pointer.clone() });
            }
            r.session.correlation = Some(pointer.clone());
        }
        if let Some(pasted) = &self.access_token_from {
            pasted.put_token_into(&mut r.query);
        }
        Ok(r)
    }
}

/// Turns a request plus a front end's overrides into the session's target and options: the
/// overrides laid over the request, then, for [`Purpose::Connect`], every `${env:NAME}` read
/// now, required values checked and the handshake request validated. The console, `wstab
/// connect`, `wstab run` and `wstab export k6` all build their request here.
pub fn build_target(request: &Request, overrides: &Overrides, purpose: Purpose) -> Result<BuiltRequest, RequestError> {
    let request = overrides.apply_to(request)?;
    let mut target = target_of(&request);
    if purpose == Purpose::Connect {
        // A value taken from the environment is marked secret, so it is masked like any other.
        resolve_target(&mut target)?;
        // The token refresher fills `access_token` before every attempt: empty now is fine.
        let refreshed = |p: &&Param| request.session.webpubsub.is_some() && p.name == "access_token";
        if let Some(missing) = target.missing_required().into_iter().find(|p| !refreshed(p)) {
            let key = &request.subscription_key;
            if key.is_key_row(missing, true) || key.is_key_row(missing, false) {
                return Err(RequestError::MissingSubscriptionKey {
                    query: key.query.clone(),
                    header: key.header.clone(),
                });
            }
            return Err(RequestError::MissingRequired { name: missing.name.clone() });
        }
        if let Some(p) = &request.session.correlation
            && !(p.is_empty() || p.starts_with('/'))
        {
            return Err(RequestError::Correlation { pointer: p.clone() });
        }
        target.request()?;
    }
    Ok(BuiltRequest { target, session: request.session })
}

/// The request's fields as a target, references in place; unset limits take the engine's
/// defaults. The subscription key goes in the one place that holds it.
pub(super) fn target_of(r: &Request) -> Target {
    let defaults = Target::default();
    let (mut query, mut headers) = (r.query.clone(), r.headers.clone());
    r.subscription_key.settle(&mut query, &mut headers);
    Target {
        url: r.endpoint.url(),
        query,
        headers,
        subprotocols: r.subprotocols.clone(),
        connect_timeout: r.connect_timeout.unwrap_or(defaults.connect_timeout),
        max_message_size: r.max_message_size.or(defaults.max_message_size),
        tls: r.tls.clone(),
        secret_names: r.secret_names.clone(),
        secret_values: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::TlsOptions;
    use crate::request::SubscriptionKeyNames;

    fn profile_like() -> Request {
        Request {
            endpoint: Endpoint::Gateway {
                gateway: "wss://gw.example.net".into(),
                url_suffix: "client/hubs/chat".into(),
            },
            query: vec![Param::new("hub", "chat"), Param::new("subscription-key", "").required()],
            headers: vec![Param::new("X-Trace", "profile")],
            subprotocols: vec!["json.webpubsub.azure.v1".into()],
            tls: TlsOptions { insecure: false, ca_file: Some("profile-ca.pem".into()) },
            connect_timeout: Some(Duration::from_secs(3)),
            max_message_size: Some(4096),
            secret_names: vec!["x-tenant".into()],
            subscription_key: SubscriptionKeyNames::default(),
            session: SessionOptions {
                correlation: Some("/ackId".into()),
                reconnect: false,
                on_connect: vec!["hello".into()],
                webpubsub: None,
            },
        }
    }

    fn connect(r: &Request, o: &Overrides) -> Result<BuiltRequest, RequestError> {
        build_target(r, o, Purpose::Connect)
    }

    #[test]
    fn test_every_option_of_the_request_reaches_the_target() {
        let mut r = profile_like();
        r.query[1].value = "k".into();
        let built = connect(&r, &Overrides::default()).unwrap();
        let t = &built.target;
        assert_eq!(t.url, "wss://gw.example.net/client/hubs/chat");
        assert_eq!(t.query, r.query);
        assert_eq!(t.headers, r.headers);
        assert_eq!(t.subprotocols, r.subprotocols);
        assert_eq!(t.tls.ca_file.as_deref(), Some(std::path::Path::new("profile-ca.pem")));
        assert_eq!(t.connect_timeout, Duration::from_secs(3));
        assert_eq!(t.max_message_size, Some(4096));
        assert_eq!(t.secret_names, vec!["x-tenant".to_string()]);
        assert_eq!(built.session, r.session);
    }

    #[test]
    fn test_unset_limits_take_the_engines_defaults() {
        let t = connect(&Request::to_url("ws://h/"), &Overrides::default()).unwrap().target;
        assert_eq!(t.connect_timeout, Target::default().connect_timeout);
        assert_eq!(t.max_message_size, Target::default().max_message_size);
        assert_eq!(t.tls, TlsOptions::default());
    }

    #[test]
    fn test_overrides_win_over_the_request() {
        let o = Overrides {
            url: Some("ws://other:9/x".into()),
            query: vec![Param::new("subscription-key", "from-flag"), Param::new("extra", "1")],
            headers: vec![Param::new("x-trace", "flag")],
            subprotocols: vec!["json.webpubsub.azure.v1".into(), "chat.v2".into()],
            connect_timeout_secs: Some(0.5),
            max_message_size: Some(10),
            insecure: true,
            ca_file: Some("flag-ca.pem".into()),
            secret_names: vec!["x-more".into()],
            reconnect: true,
            on_connect: vec!["again".into()],
            correlation: Some("/id".into()),
            access_token_from: None,
        };
        let built = connect(&profile_like(), &o).unwrap();
        let t = &built.target;
        assert_eq!(t.url, "ws://other:9/x");
        let query: Vec<(&str, &str)> = t.query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(query, [("hub", "chat"), ("subscription-key", "from-flag"), ("extra", "1")]);
        let headers: Vec<(&str, &str)> = t.headers.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(headers, [("x-trace", "flag")], "a header is replaced whatever its case");
        assert_eq!(t.subprotocols, ["json.webpubsub.azure.v1", "chat.v2"]);
        assert_eq!(t.connect_timeout, Duration::from_millis(500));
        assert_eq!(t.max_message_size, Some(10));
        assert!(t.tls.insecure);
        assert_eq!(t.tls.ca_file.as_deref(), Some(std::path::Path::new("flag-ca.pem")));
        assert_eq!(t.secret_names, ["x-tenant", "x-more"]);
        assert!(built.session.reconnect);
        assert_eq!(built.session.on_connect, ["hello", "again"]);
        assert_eq!(built.session.correlation.as_deref(), Some("/id"));
    }

    #[test]
    fn test_an_empty_required_value_stops_connecting_but_not_showing() {
        let r = profile_like();
        let err = connect(&r, &Overrides::default()).unwrap_err();
        assert_eq!(
            err,
            RequestError::MissingSubscriptionKey {
                query: "subscription-key".into(),
                header: "Ocp-Apim-Subscription-Key".into()
            }
        );
        assert!(err.to_string().contains("-H 'Ocp-Apim-Subscription-Key: KEY'"), "{err}");
        assert!(build_target(&r, &Overrides::default(), Purpose::Show).is_ok());
        let filled = Overrides { query: vec![Param::new("subscription-key", "k")], ..Overrides::default() };
        assert!(connect(&r, &filled).is_ok());
        // The key in its other place satisfies "required"; the empty query place is not sent.
        let header = Overrides { headers: vec![Param::new("ocp-apim-subscription-key", "k")], ..Overrides::default() };
        let t = connect(&r, &header).unwrap().target;
        assert!(t.query.iter().all(|p| p.name != "subscription-key" || !p.enabled), "{:?}", t.query);
        assert!(!t.request_url().unwrap().as_str().contains("subscription-key"), "{}", t.request_url().unwrap());
        let mut other = r.clone();
        other.query.push(Param::new("tenant", "").required());
        let err = connect(&other, &header).unwrap_err();
        assert_eq!(err, RequestError::MissingRequired { name: "tenant".into() }, "other required rows still count");
        // A disabled required row is not sent, so it is not missing either.
        let mut off = r.clone();
        off.query[1].enabled = false;
        assert!(connect(&off, &Overrides::default()).is_ok());
        // With Web PubSub token refresh, the supervisor fills `access_token` before connecting.
        let mut wps = Request::to_url("ws://h/client/hubs/chat");
        wps.query = vec![Param::new("access_token", "").required()];
        assert!(connect(&wps, &Overrides::default()).is_err());
        wps.session.webpubsub = Some(crate::profile::WebPubSubAuth {
            connection_string: "${env:WPS}".into(),
            hub: "chat".into(),
            user: None,
            roles: Vec::new(),
            groups: Vec::new(),
        });
        assert!(connect(&wps, &Overrides::default()).is_ok());
    }

    #[test]
    fn test_env_refs_are_read_when_connecting_and_kept_when_showing() {
        // SAFETY: variables only this test reads.
        unsafe { std::env::set_var("WSTAB_TEST_REQUEST_KEY_41", "env-secret-41") };
        let mut r = Request::to_url("ws://h/p");
        r.headers = vec![Param::new("X-Key", "${env:WSTAB_TEST_REQUEST_KEY_41}")];
        let o = Overrides { query: vec![Param::new("q", "${env:WSTAB_TEST_REQUEST_KEY_41}")], ..Overrides::default() };
        let t = connect(&r, &o).unwrap().target;
        assert_eq!(t.headers[0].value, "env-secret-41");
        assert!(t.headers[0].secret && t.query[0].secret, "a value from the environment is secret");
        assert!(!t.display_url().contains("env-secret-41"), "{}", t.display_url());
        let shown = build_target(&r, &o, Purpose::Show).unwrap().target;
        assert_eq!(shown.headers[0].value, "${env:WSTAB_TEST_REQUEST_KEY_41}");
        r.headers[0].value = "${env:WSTAB_TEST_REQUEST_UNSET_41}".into();
        let err = connect(&r, &Overrides::default()).unwrap_err();
        assert!(matches!(&err, RequestError::EnvRef(e) if e.name == "WSTAB_TEST_REQUEST_UNSET_41"), "{err}");
    }

    #[test]
    fn test_bad_overrides_and_bad_urls_are_typed_errors() {
        let r = Request::to_url("ws://h/");
        let with = |o: Overrides| connect(&r, &o).unwrap_err();
        let timeout = with(Overrides { connect_timeout_secs: Some(0.0), ..Overrides::default() });
        assert_eq!(timeout, RequestError::ConnectTimeout { secs: 0.0 });
        assert_eq!(with(Overrides { max_message_size: Some(0), ..Overrides::default() }), RequestError::MaxMessageSize);
        let pointer = with(Overrides { correlation: Some("ackId".into()), ..Overrides::default() });
        assert!(pointer.to_string().contains("starts with '/'"), "{pointer}");
        let mut saved = r.clone();
        saved.session.correlation = Some("ackId".into());
        assert!(matches!(connect(&saved, &Overrides::default()), Err(RequestError::Correlation { .. })));
        let url = with(Overrides { url: Some("ftp://h/".into()), ..Overrides::default() });
        assert!(matches!(url, RequestError::Invalid(TargetError::BadScheme { .. })), "{url}");
    }

    #[test]
    fn test_a_pasted_client_access_url_puts_only_its_token_in_access_token() {
        let mut r = profile_like();
        r.query[1].value = "k".into();
        r.query.push(Param::new("access_token", "old").required());
        let pasted = ClientAccessUrl::parse("wss://wps.example/client/hubs/chat?access_token=new-token").unwrap();
        let o = Overrides { access_token_from: Some(pasted), ..Overrides::default() };
        let t = connect(&r, &o).unwrap().target;
        assert_eq!(t.url, "wss://gw.example.net/client/hubs/chat", "the request keeps its own URL");
        let token: Vec<&Param> = t.query.iter().filter(|p| p.name == "access_token").collect();
        assert_eq!(token.len(), 1, "replaced, not added: {:?}", t.query);
        assert_eq!((token[0].value.as_str(), token[0].secret, token[0].required), ("new-token", true, true));
        assert!(!t.display_url().contains("new-token"), "{}", t.display_url());
        // Without the row, it is added.
        r.query.pop();
        let t = connect(&r, &o).unwrap().target;
        assert_eq!(t.query.last().map(|p| p.value.as_str()), Some("new-token"));
    }

    #[test]
    fn test_flag_arguments_parse_into_params() {
        assert_eq!(Overrides::header_argument("X-A:  1 ").unwrap(), Param::new("X-A", "1"));
        assert_eq!(Overrides::query_argument("a=b=c").unwrap(), Param::new("a", "b=c"));
        assert_eq!(Overrides::query_argument("flag").unwrap(), Param::new("flag", ""));
        assert!(matches!(Overrides::header_argument("no colon"), Err(RequestError::HeaderArgument { .. })));
        assert!(matches!(Overrides::header_argument(" : v"), Err(RequestError::EmptyHeaderName { .. })));
        assert!(matches!(Overrides::query_argument("=v"), Err(RequestError::QueryArgument { .. })));
    }

    #[test]
    fn test_shown_target_is_the_builder_without_overrides() {
        let r = profile_like();
        assert_eq!(r.shown_target(), build_target(&r, &Overrides::default(), Purpose::Show).unwrap().target);
    }
}
