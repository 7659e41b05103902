//! The demo's chat hub as a real conversation: each tab is its own user (`demo-user` in the
//! first tab, `demo-user-2` in tab 2, …), and a profile saved on the demo chat keeps working
//! after the hour a typed token lasts and after a restart. Both come from one thing: a fresh
//! token minted before every connect from `[webpubsub] connection_string = "demo"` (the demo
//! hub's well-known key, `wstab_core::request::demo_connection_string`), instead of the token
//! typed into the request.

use wstab_core::profile::WebPubSubAuth;
use wstab_core::profile::webpubsub::hub_of;
use wstab_core::request::{DEMO_CONNECTION_STRING, Endpoint, Request, is_demo_gateway};
use wstab_core::webpubsub_token::{ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP};

use super::App;

/// The user the demo's own chat token is for.
pub const DEMO_USER: &str = "demo-user";

/// The token source of a request on the demo's chat hub: its `[webpubsub]` if it signs with the
/// demo's key already, else one made from its `access_token` when that is the demo's own (its
/// `sub` and roles kept); `None` off the demo, or for a token the user brought (another user's,
/// another hub's).
pub fn demo_chat_auth(request: &Request) -> Option<WebPubSubAuth> {
    if let Some(auth) = &request.session.webpubsub {
        return (auth.connection_string == DEMO_CONNECTION_STRING).then(|| auth.clone());
    }
    let Endpoint::Gateway { gateway, url_suffix } = &request.endpoint else { return None };
    let hub = hub_of(url_suffix).filter(|_| is_demo_gateway(gateway))?;
    let token = request.query.iter().find(|p| p.name == "access_token")?;
    let claims = wstab_core::jwt_claims::decode(&token.value)?;
    // The demo's token is for its user; anything else was brought by the user and is kept.
    let user = claims.sub.filter(|s| s == DEMO_USER)?;
    let roles = if claims.roles.is_empty() {
        vec![ROLE_JOIN_LEAVE.to_string(), ROLE_SEND_TO_GROUP.to_string()]
    } else {
        claims.roles
    };
    Some(WebPubSubAuth {
        connection_string: DEMO_CONNECTION_STRING.into(),
        hub: hub.to_string(),
        user: Some(user),
        roles,
        groups: Vec::new(),
    })
}

impl App {
    /// The profile whose supervision the shown tab's new session runs under: the saved one, and
    /// on the demo chat a fresh token for the tab's own user (`demo-user-2` in tab 2), so two
    /// tabs are two people talking.
    pub(super) fn session_profile(&self, request: &Request) -> Option<Box<wstab_core::profile::Profile>> {
        let saved = self.selected_profile().and_then(|name| self.profiles.get(name)).cloned();
        let Some(mut auth) = demo_chat_auth(request) else { return saved.map(Box::new) };
        if self.tab.id > 1 {
            let user = auth.user.take().unwrap_or_else(|| DEMO_USER.to_string());
            auth.user = Some(format!("{user}-{}", self.tab.id));
        }
        let mut profile = saved.unwrap_or_default();
        profile.webpubsub = Some(auth);
        Some(Box::new(profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::state::{Effect, Intent, Viewport};
    use std::time::Duration;
    use wstab_core::connection::Param;
    use wstab_core::webpubsub_token::{ConnectionString, TokenRequest, client_access};
    use wstab_core::workspace::{Api, Workspace};

    fn token_for(user: &str) -> String {
        let cs = ConnectionString::parse(&wstab_core::request::demo_connection_string()).unwrap();
        let mut req = TokenRequest::new("chat");
        req.user = Some(user.into());
        req.roles = vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()];
        req.ttl = Duration::from_secs(3600);
        client_access(&cs, &req).unwrap().token
    }

    /// The demo's chat, as the demo workspace lists it, behind `gateway = "demo"` (no global
    /// state: the running demo's URL is not set by unit tests).
    fn demo_chat(user: &str) -> App {
        let chat = Api {
            name: "chat".into(),
            display_name: "Chat (Web PubSub hub)".into(),
            url_suffix: "client/hubs/chat".into(),
            query: vec![
                Param::new("subscription-key", "wstab-local-key").secret().required(),
                Param::new("access_token", token_for(user)).secret().required(),
            ],
            headers: Vec::new(),
            subprotocols: vec!["json.webpubsub.azure.v1".into()],
            sample_message: Some(r#"{"type":"joinGroup","group":"lobby","ackId":1}"#.into()),
        };
        App::new(Workspace { name: "demo".into(), gateway: "demo".into(), apis: vec![chat] }, 100)
    }

    fn connect_user(app: &mut App) -> Option<String> {
        let Some(Effect::Connect { profile, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
            panic!("F5 connects")
        };
        profile.and_then(|p| p.webpubsub).and_then(|a| a.user)
    }

    #[test]
    fn test_each_tab_on_the_demo_chat_is_its_own_user() {
        let mut app = demo_chat(DEMO_USER);
        assert_eq!(connect_user(&mut app).as_deref(), Some("demo-user"));
        app.update(Intent::NewTab, &Viewport::default());
        assert_eq!(connect_user(&mut app).as_deref(), Some("demo-user-2"), "tab 2 is another person");
    }

    #[test]
    fn test_a_token_the_user_brought_is_kept() {
        let mut app = demo_chat("alice");
        app.update(Intent::NewTab, &Viewport::default());
        assert_eq!(connect_user(&mut app), None, "alice's token is sent as pasted");
    }

    #[test]
    fn test_a_profile_saved_on_the_demo_chat_keeps_the_token_source_not_the_token() {
        let app = demo_chat(DEMO_USER);
        let p = app.request_as_profile("my-chat").unwrap();
        assert_eq!(p.gateway, "demo");
        assert!(p.query.iter().all(|q| q.name != "access_token"), "{:?}", p.query);
        let auth = p.webpubsub.clone().expect("a token source");
        assert_eq!(auth.connection_string, DEMO_CONNECTION_STRING);
        assert_eq!((auth.hub.as_str(), auth.user.as_deref()), ("chat", Some(DEMO_USER)));
        let text = toml::to_string(&p).unwrap();
        assert!(!text.contains("eyJ"), "no JWT in the file:\n{text}");
    }

    #[test]
    fn test_ctrl_o_on_the_demo_chat_offers_the_group_conversation_in_its_lobby() {
        let mut app = demo_chat(DEMO_USER);
        let vp = Viewport::default();
        app.update(Intent::Enter, &vp);
        app.update(Intent::PickSavedMessage, &vp);
        assert!(app.modals.menu().is_some(), "Ctrl-O opens the picker");
        let offered = app.saved_messages();
        let body = |name: &str| offered.iter().find(|m| m.name == name).map(|m| m.body.clone()).unwrap_or_default();
        for name in ["joinGroup", "sendToGroup", "leaveGroup"] {
            assert!(body(name).contains(r#""group":"lobby""#), "{name}: {}", body(name));
        }
        assert!(body("event").contains(r#""type":"event""#));
    }
}
