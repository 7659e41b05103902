//! Web PubSub connection strings in profiles: an `access_token` query parameter generated with
//! the token generator (with its expiry, so the user sees when it runs out), and optionally a
//! `[webpubsub]` table that makes every connect generate a fresh one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::connection::Param;
use crate::webpubsub_token::{ConnectionString, TokenError, TokenRequest, client_access};

use super::model::{Profile, WebPubSubAuth};

/// The chat subprotocol Web PubSub clients speak.
pub const WEBPUBSUB_PROTOCOL: &str = "json.webpubsub.azure.v1";

/// Who the generated token is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFor {
    /// The user id (`sub`).
    pub user: Option<String>,
    /// Roles (`webpubsub.joinLeaveGroup`, `webpubsub.sendToGroup`…).
    pub roles: Vec<String>,
    /// How long it is valid.
    pub ttl: Duration,
}

/// The hub named by a URL suffix of the form `…/client/hubs/<hub>`.
pub fn hub_of(suffix_or_url: &str) -> Option<&str> {
    let path = suffix_or_url.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    let (before, hub) = path.rsplit_once('/')?;
    (before.ends_with("client/hubs") && !hub.is_empty()).then_some(hub)
}

/// Sets (or replaces) the profile's `access_token` query parameter with a token for `hub`
/// signed with `cs`; returns when it expires.
pub fn set_access_token(
    profile: &mut Profile,
    cs: &ConnectionString,
    hub: &str,
    who: &TokenFor,
) -> Result<SystemTime, TokenError> {
    let mut request = TokenRequest::new(hub);
    request.user = who.user.clone();
    request.roles = who.roles.clone();
    request.ttl = who.ttl;
    let access = client_access(cs, &request)?;
    let param = Param::new("access_token", access.token).secret().required();
    match profile.query.iter_mut().find(|p| p.name == "access_token") {
        Some(existing) => *existing = param,
        None => profile.query.push(param),
    }
    if !profile.subprotocols.iter().any(|p| p == WEBPUBSUB_PROTOCOL) {
        profile.subprotocols.push(WEBPUBSUB_PROTOCOL.to_string());
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Ok(UNIX_EPOCH + now + who.ttl)
}

/// Makes every connect of the profile generate a fresh token from the connection string held in
/// the environment variable `env_name` (the profile stores only `${env:NAME}`).
pub fn refresh_from_env(profile: &mut Profile, env_name: &str, hub: &str, who: &TokenFor) {
    profile.webpubsub = Some(WebPubSubAuth {
        connection_string: format!("${{env:{env_name}}}"),
        hub: hub.to_string(),
        user: who.user.clone(),
        roles: who.roles.clone(),
        groups: Vec::new(),
    });
}

/// A profile for a Web PubSub hub: through a gateway (`<gateway>/client/hubs/<hub>`, with the
/// gateway's `subscription-key` as a required secret), or straight to the service.
pub fn hub_profile(cs: &ConnectionString, hub: &str, gateway: Option<&str>) -> Profile {
    let mut profile = Profile { display_name: format!("Web PubSub hub {hub}"), ..Profile::default() };
    match gateway {
        Some(g) => {
            profile.gateway = super::import::ws_scheme(g);
            profile.url_suffix = format!("client/hubs/{hub}");
            profile.query.push(Param::new("subscription-key", "").secret().required());
        }
        None => profile.url = cs.client_url(hub),
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_hub_of_suffix_and_url() {
        assert_eq!(hub_of("client/hubs/chat"), Some("chat"));
        assert_eq!(hub_of("wss://x.webpubsub.azure.com/client/hubs/chat?a=1"), Some("chat"));
        assert_eq!(hub_of("echo"), None);
        assert_eq!(hub_of("client/hubs/"), None);
    }

    #[test]
    fn test_set_access_token_replaces_and_adds_the_subprotocol() {
        let cs = ConnectionString::parse("Endpoint=https://x.webpubsub.azure.com;AccessKey=k3y;Version=1.0;").unwrap();
        let mut p = Profile::default();
        let who = TokenFor { ttl: Duration::from_secs(600), ..TokenFor::default() };
        set_access_token(&mut p, &cs, "chat", &who).unwrap();
        let first = p.query[0].value.clone();
        std::thread::sleep(Duration::from_millis(1100));
        let exp = set_access_token(&mut p, &cs, "chat", &who).unwrap();
        assert_eq!(p.query.len(), 1);
        assert_ne!(p.query[0].value, first);
        assert!(p.query[0].secret && p.query[0].required);
        assert_eq!(p.subprotocols, [WEBPUBSUB_PROTOCOL]);
        let left = exp.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(590) && left <= Duration::from_secs(600), "{left:?}");
        let view = crate::jwt_claims::decode(&p.query[0].value).unwrap();
        assert_eq!(view.aud.as_deref(), Some("https://x.webpubsub.azure.com/client/hubs/chat"));
    }
}
