//! Tokens in the request: which values are JWTs, their expiry, the warning before connecting
//! with an expired one, and the `access_token` made from a Web PubSub connection string.

use std::time::SystemTime;

use super::request::{RequestDraft, Row, Table};
use super::{App, Effect, Pane};
use wstab_core::connection::Param;
use wstab_core::jwt_claims::{self, JwtView};
use wstab_core::webpubsub_token::{ConnectionString, ROLE_JOIN_LEAVE, ROLE_SEND_TO_GROUP, TokenRequest, client_access};

/// The row's value decoded as a JWT, if it is one.
pub fn row_token(row: &Row) -> Option<JwtView> {
    jwt_claims::decode(&row.param.value)
}

/// The selected row when its value is a JWT, else the first row whose value is one.
pub fn token_row(d: &RequestDraft) -> Option<(Table, usize)> {
    let (table, selected) = d.locate(d.selected);
    if let Some(i) = selected
        && row_token(&d.rows(table)[i]).is_some()
    {
        return Some((table, i));
    }
    [Table::Query, Table::Headers]
        .into_iter()
        .find_map(|t| d.rows(t).iter().position(|r| row_token(r).is_some()).map(|i| (t, i)))
}

/// The question to ask before connecting when an enabled value is an expired JWT.
pub fn expired_warning(d: &RequestDraft, now: SystemTime) -> Option<String> {
    d.query.iter().chain(&d.headers).filter(|r| r.param.enabled).find_map(|r| {
        let t = row_token(r).filter(|t| t.is_expired(now))?;
        Some(format!(
            "The token in {} {}: the server will likely refuse it. Connect anyway?",
            r.param.name,
            t.expiry_text(now)
        ))
    })
}

/// The expiry in whole units, short enough for a table cell: `expires in 59m`, `expired 3m ago`,
/// `expires in 2h 5m`, `expires in 40s`.
pub fn countdown(t: &JwtView, now: SystemTime) -> String {
    let Some(left) = t.seconds_left(now) else { return "no expiry".into() };
    let s = left.unsigned_abs();
    let span = if s >= 3600 {
        format!("{}h {}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    };
    if left > 0 { format!("expires in {span}") } else { format!("expired {span} ago") }
}

/// True when a value in the draft is a JWT with an expiry: its countdown needs the clock.
pub fn has_countdown(d: &RequestDraft) -> bool {
    d.query.iter().chain(&d.headers).any(|r| row_token(r).is_some_and(|t| t.exp.is_some()))
}

/// The hub named in a `…/client/hubs/<hub>` URL.
pub fn hub_in_url(url: &str) -> Option<&str> {
    let rest = &url[url.find("/client/hubs/")? + "/client/hubs/".len()..];
    let hub = rest.split(['/', '?', '#']).next()?;
    (!hub.is_empty()).then_some(hub)
}

impl App {
    /// True while something on screen counts the seconds (a connection, a token's expiry).
    pub fn shows_clock(&self) -> bool {
        self.is_live() || self.draft().is_some_and(has_countdown)
    }

    /// Signs an `access_token` for `hub` with the connection string's key and puts it in the
    /// request's query (a new row, or the existing `access_token` row). The connection string
    /// itself is not kept.
    pub(super) fn set_access_token(&mut self, connection_string: &str, hub: &str) -> Option<Effect> {
        let cs = match ConnectionString::parse(connection_string) {
            Ok(cs) => cs,
            Err(e) => {
                self.notice(format!("no token: {e}"), true);
                return None;
            }
        };
        // The roles a chat client needs to join groups and send to them, as the demo hub's are.
        let req =
            TokenRequest { roles: vec![ROLE_JOIN_LEAVE.into(), ROLE_SEND_TO_GROUP.into()], ..TokenRequest::new(hub) };
        let access = match client_access(&cs, &req) {
            Ok(a) => a,
            Err(e) => {
                self.notice(format!("no token: {e}"), true);
                return None;
            }
        };
        let now = self.now;
        let Some(d) = self.draft_mut() else {
            self.notice("no API selected: nowhere to put the token", true);
            return None;
        };
        let i = match d.query.iter().position(|r| r.param.name == "access_token") {
            Some(i) => i,
            None => {
                d.query.push(Row { param: Param::new("access_token", "").secret(), revealed: false });
                d.query.len() - 1
            }
        };
        let row = &mut d.query[i];
        row.param.value = access.token.clone();
        row.param.enabled = true;
        row.param.secret = true;
        d.selected = d.flat(Table::Query, Some(i));
        d.url_selected = false;
        self.focus = Pane::Request;
        let expiry = jwt_claims::decode(&access.token).map(|t| t.expiry_text(now)).unwrap_or_default();
        self.notice(
            format!("access_token set for hub {hub} (roles joinLeaveGroup, sendToGroup), {expiry}; i shows its claims"),
            false,
        );
        None
    }
}
