//! A profile's connection supervision: auto-reconnect, on-connect messages, and a fresh Web
//! PubSub access token before every connect.

use std::sync::Arc;
use std::time::Duration;

use crate::connection::{ConnError, FailureKind, Param, PrepareTarget, Supervision, Target};
use crate::webpubsub_token::{ConnectionString, TokenRequest, client_access};

use super::envref::resolve_env_refs;
use super::model::{Profile, WebPubSubAuth};

/// Puts a fresh `access_token` (secret) in the target's query before every connect.
pub fn token_refresher(auth: &WebPubSubAuth) -> PrepareTarget {
    let auth = auth.clone();
    Arc::new(move |target: &mut Target| {
        let invalid = |m: String| {
            let mut e = ConnError::new(FailureKind::InvalidRequest, m);
            e.hint = "check the profile's [webpubsub] connection_string (Endpoint=…;AccessKey=…;) and hub".into();
            e
        };
        // Resolved now, not when the profile was loaded: the variable may have been rotated.
        let text = if auth.connection_string == crate::request::DEMO_CONNECTION_STRING {
            crate::request::demo_connection_string()
        } else {
            resolve_env_refs(&auth.connection_string).map_err(|e| invalid(e.to_string()))?
        };
        let cs = ConnectionString::parse(&text).map_err(|e| invalid(format!("web pubsub connection string: {e}")))?;
        let req = TokenRequest {
            hub: auth.hub.clone(),
            user: auth.user.clone(),
            roles: auth.roles.clone(),
            groups: auth.groups.clone(),
            ttl: Duration::from_secs(3600),
        };
        let access = client_access(&cs, &req).map_err(|e| invalid(format!("web pubsub access token: {e}")))?;
        target.query.retain(|p| p.name != "access_token");
        target.query.push(Param::new("access_token", access.token).secret());
        Ok(())
    })
}

impl Profile {
    /// The supervision the profile asks for: reconnect (when `reconnect = true`), the
    /// on-connect messages, and a token refresher (when `[webpubsub]` is set).
    pub fn supervision(&self) -> Supervision {
        self.request().session.supervision()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_token_refresher_replaces_the_access_token_and_marks_it_secret() {
        let auth = WebPubSubAuth {
            connection_string: "Endpoint=https://x.webpubsub.azure.com;AccessKey=k;Version=1.0;".into(),
            hub: "chat".into(),
            user: Some("u".into()),
            roles: Vec::new(),
            groups: Vec::new(),
        };
        let mut t = Target::new("wss://gw/client/hubs/chat");
        t.query.push(Param::new("access_token", "stale"));
        token_refresher(&auth)(&mut t).unwrap();
        let tokens: Vec<&Param> = t.query.iter().filter(|p| p.name == "access_token").collect();
        assert_eq!(tokens.len(), 1);
        assert!(tokens[0].secret && tokens[0].value.starts_with("ey"), "{:?}", tokens[0]);
        assert!(!t.display_url().contains(&tokens[0].value));
    }

    #[test]
    fn test_the_demo_connection_string_signs_for_the_demo_hub() {
        let auth = WebPubSubAuth {
            connection_string: crate::request::DEMO_CONNECTION_STRING.into(),
            hub: "chat".into(),
            user: Some("demo-user-2".into()),
            roles: Vec::new(),
            groups: Vec::new(),
        };
        let mut t = Target::new("ws://127.0.0.1:7880/client/hubs/chat");
        token_refresher(&auth)(&mut t).unwrap();
        let token = &t.query.iter().find(|p| p.name == "access_token").unwrap().value;
        let claims = crate::jwt_claims::decode(token).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("demo-user-2"));
        // No demo registered in this test process: the default port after the gateway's.
        assert_eq!(claims.aud.as_deref(), Some("http://127.0.0.1:7881/client/hubs/chat"));
    }

    #[test]
    fn test_bad_connection_string_is_an_invalid_request_with_a_hint() {
        let auth = WebPubSubAuth {
            connection_string: "AccessKey=k".into(),
            hub: "chat".into(),
            user: None,
            roles: Vec::new(),
            groups: Vec::new(),
        };
        let err = token_refresher(&auth)(&mut Target::new("ws://h/")).unwrap_err();
        assert_eq!(err.kind, FailureKind::InvalidRequest);
        assert!(err.message.contains("Endpoint") && err.hint.contains("[webpubsub]"), "{err}");
    }
}
