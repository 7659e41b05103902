//! The user's own endpoints in the console (issue 13): a URL opened as an ad-hoc entry
//! (`wstab URL`, `n`), the Request pane's URL row edited with its query re-split into rows, and a
//! pasted Web PubSub Client Access URL of which only the token goes into `access_token`.
//!
//! The URL being edited shows secret values as the mask (`access_token=••••••`): left as the
//! mask, a value is kept as it was, so editing a URL never shows a secret nor loses one.

use super::*;
use request::Row;
use wstab_core::connection::Param;
use wstab_core::request::client_access_url::ACCESS_TOKEN;
use wstab_core::request::{ClientAccessUrl, Request, split_query};
use wstab_core::secret::{MASK, is_secret_name};

/// What to tell the user after taking the token of a pasted Client Access URL for the API at
/// `api_url`: the note (`took access_token from the pasted URL (hub chat, expires in 59m)`),
/// with the wrong-hub warning (an error) when the pasted URL names another hub.
pub fn access_token_notice(pasted: &ClientAccessUrl, api_url: &str, now: SystemTime) -> Notice {
    let note = pasted.note(now);
    match pasted.hub_mismatch(api_url) {
        Some(warning) => Notice { text: format!("{note}; warning: {warning}"), error: true },
        None => Notice { text: note, error: false },
    }
}

/// The pasted text as a Client Access URL whose token is real (not the mask of a URL being
/// edited).
fn client_access_url(text: &str) -> Option<ClientAccessUrl> {
    ClientAccessUrl::parse(text).ok().filter(|c| c.token != MASK)
}

/// Whether two URLs name the same endpoint: scheme (http as ws), host, port and path (a
/// trailing slash aside); the query does not count. Either not parsing: no.
fn same_endpoint(a: &str, b: &str) -> bool {
    let key = |u: &str| {
        let u = url::Url::parse(u.trim()).ok()?;
        let scheme = match u.scheme() {
            "http" => "ws",
            "https" => "wss",
            s => s,
        }
        .to_string();
        Some((scheme, u.host_str()?.to_string(), u.port_or_known_default(), u.path().trim_end_matches('/').to_string()))
    };
    key(a).is_some_and(|k| Some(k) == key(b))
}

/// `name=value`, percent-encoded, or `name=••••••` for a secret value that is not revealed.
fn pair_text(name: &str, value: &str, masked: bool) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let value = if masked && !value.is_empty() { MASK.to_string() } else { enc(value) };
    format!("{}={value}", enc(name))
}

/// The URL as the URL prompt shows it: the request URL with the query parameters it sends
/// (enabled rows; a parameter typed in the URL itself unless a row replaces it), secret values
/// masked unless revealed.
pub fn url_for_editing(d: &RequestDraft) -> String {
    let names = d.secret_names();
    let enabled: Vec<&Row> = d.query.iter().filter(|r| r.param.enabled && !r.param.name.is_empty()).collect();
    let (base, mut pairs) = match url::Url::parse(d.base_url.trim()) {
        Ok(mut u) => {
            let typed: Vec<String> = u
                .query_pairs()
                .filter(|(n, _)| !enabled.iter().any(|r| r.param.name == *n))
                .map(|(n, v)| pair_text(&n, &v, is_secret_name(&n, names)))
                .collect();
            u.set_query(None);
            (u.to_string(), typed)
        }
        Err(_) => (d.base_url.clone(), Vec::new()),
    };
    pairs.extend(enabled.iter().map(|r| pair_text(&r.param.name, &r.param.value, r.is_secret(names) && !r.revealed)));
    if pairs.is_empty() { base } else { format!("{base}?{}", pairs.join("&")) }
}

/// The query rows after the URL's query was edited to `pairs`: an enabled row whose name is
/// still there takes the value (the mask keeps the old one) and keeps its flags; one whose name
/// is gone is removed; disabled rows (not in the URL) stay; new names are added at the end.
fn resplit(rows: &[Row], pairs: Vec<Param>) -> Vec<Row> {
    let mut pairs: Vec<Option<Param>> = pairs.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for row in rows {
        if !row.param.enabled || row.param.name.is_empty() {
            out.push(row.clone());
            continue;
        }
        let Some(p) = pairs.iter_mut().find(|p| p.as_ref().is_some_and(|p| p.name == row.param.name)) else {
            continue;
        };
        let Some(p) = p.take() else { continue };
        let mut kept = row.clone();
        if p.value != MASK {
            kept.param.value = p.value;
        }
        out.push(kept);
    }
    out.extend(pairs.into_iter().flatten().map(|param| Row { param, revealed: false }));
    out
}

impl App {
    /// Adds `request` as an ad-hoc entry of the APIs pane, with its draft, and selects it.
    pub fn open_request(&mut self, mut request: Request) -> EntryId {
        // A URL names no subprotocols; config.toml's defaults fill in when the flags gave none.
        if request.subprotocols.is_empty() {
            request.subprotocols = self.default_subprotocols.clone();
        }
        let id = self.catalog.add_adhoc_request(request.clone());
        self.drafts.insert(id, RequestDraft::from_request(request));
        self.tab.selected = Some(id);
        id
    }

    /// `n`: asks for a URL to open as a new entry.
    pub(super) fn ask_url_to_open(&mut self) {
        self.start_prompt(PromptFor::OpenUrl, "");
    }

    /// `Enter` on the URL row, or `u`: edits the URL, query included (secrets masked).
    pub(super) fn edit_url(&mut self) {
        if let Some(text) = self.draft().map(url_for_editing) {
            self.start_prompt(PromptFor::EditUrl, &text);
        }
    }

    /// Commits the `n` or URL prompt. A URL that cannot be connected to is refused with the
    /// reason and the prompt opened again on the text, so nothing typed is lost.
    pub(super) fn commit_url_prompt(&mut self, what: PromptFor, text: String) -> Option<Effect> {
        if text.trim().is_empty() {
            self.notice("no URL: nothing changed", true);
            return None;
        }
        if what == PromptFor::EditUrl
            && let Some(pasted) = client_access_url(&text)
            && self.draft().is_some_and(|d| !same_endpoint(&text, &d.base_url))
        {
            // Another endpoint carrying a token: the article's Client Access URL, pasted where
            // the API's own URL is. The API keeps its URL; the token is what was wanted.
            self.take_access_token(&pasted, None);
            return None;
        }
        let (base, pairs) = match split_query(&text) {
            Ok(split) => split,
            Err(e) => {
                let verb = if what == PromptFor::OpenUrl { "not opened" } else { "URL not changed" };
                self.notice(format!("{verb}: {e}"), true);
                self.start_prompt(what, &text);
                return None;
            }
        };
        if what == PromptFor::OpenUrl {
            let n = pairs.len();
            let request = Request { query: pairs, ..Request::to_url(base.clone()) };
            self.open_request(request);
            let (f5, save) = (self.key_for(&Intent::ToggleConnection), self.key_for(&Intent::SaveProfile));
            self.notice(
                format!("opened {base} as a new entry ({n} query parameters): {f5} connects, {save} saves it"),
                false,
            );
            return None;
        }
        let d = self.draft_mut()?;
        // An unchanged endpoint keeps its text (and so a gateway + suffix stays one).
        let old_base = d.base_url.split('?').next().unwrap_or_default().to_string();
        if !same_endpoint(&base, &old_base) || d.base_url.contains('?') {
            d.base_url = base;
        }
        d.query = resplit(&d.query, pairs);
        d.selected = d.selected.min(d.row_count() - 1);
        let n = d.query.len();
        self.notice(format!("URL set; its query is {n} query parameter row(s)"), false);
        None
    }

    /// A pasted URL (bracketed paste, or Ctrl-V) where a URL means something: a whole URL in the
    /// `n` or URL prompt replaces the field; a Client Access URL anywhere in the Request pane, in
    /// a value, or in the URL prompt (for another endpoint) gives only its token to
    /// `access_token`. Returns whether the paste was handled here; else it goes where it always
    /// did.
    pub(super) fn paste_url(&mut self, text: &str) -> bool {
        if self.paste_replaced_url(text) {
            return true;
        }
        let Some(pasted) = client_access_url(text) else { return false };
        let Some(base_url) = self.draft().map(|d| d.base_url.clone()) else { return false };
        let into = match self.modals.top() {
            Some(Modal::Prompt(p)) => match &p.what {
                PromptFor::ParamValue { table: Table::Query, row } => Some(*row),
                PromptFor::ParamValue { .. } => None,
                PromptFor::EditUrl if !same_endpoint(text, &base_url) => None,
                // The `n` prompt opens the pasted URL itself; other prompts are not the request's.
                _ => return false,
            },
            // A view, a menu or a question has no field to paste into.
            Some(_) => return false,
            None if self.focus == Pane::Request => None,
            None => return false,
        };
        if matches!(self.modals.top(), Some(Modal::Prompt(_))) {
            self.modals.pop();
        }
        self.take_access_token(&pasted, into);
        true
    }

    /// A whole URL pasted into the `n` or URL prompt replaces what the field held: pasted into
    /// the middle of another URL it could only make a broken one. (A Client Access URL for
    /// another endpoint than the request's is not a new URL for it: its token is taken.)
    fn paste_replaced_url(&mut self, text: &str) -> bool {
        let base_url = self.draft().map(|d| d.base_url.clone()).unwrap_or_default();
        let Some(Modal::Prompt(p)) = self.modals.top_mut() else { return false };
        let replaces = match p.what {
            PromptFor::OpenUrl => true,
            PromptFor::EditUrl => client_access_url(text).is_none() || same_endpoint(text, &base_url),
            _ => false,
        };
        if !replaces || split_query(text).is_err() {
            return false;
        }
        p.field.clear();
        p.field.insert_str(text);
        true
    }

    /// A value committed that is a Client Access URL (typed, or pasted into the field bit by
    /// bit): only its token is taken. Returns whether it was.
    pub(super) fn value_took_access_token(&mut self, table: Table, row: usize, text: &str) -> bool {
        let Some(pasted) = client_access_url(text) else { return false };
        self.take_access_token(&pasted, (table == Table::Query).then_some(row));
        true
    }

    /// Puts the token into the `access_token` row (`into`, when that row is one; else the first
    /// one, added when there is none), selects it and says so, with the wrong-hub warning.
    fn take_access_token(&mut self, pasted: &ClientAccessUrl, into: Option<usize>) {
        let now = self.now;
        let Some(d) = self.draft_mut() else { return };
        let at = into.filter(|&i| d.query.get(i).is_some_and(|r| r.param.name == ACCESS_TOKEN));
        let i = match at {
            Some(i) => {
                let row = &mut d.query[i].param;
                *row = Param { required: row.required, ..Param::new(ACCESS_TOKEN, pasted.token.clone()).secret() };
                i
            }
            None => {
                let mut params: Vec<Param> = d.query.iter().map(|r| r.param.clone()).collect();
                let i = pasted.put_token_into(&mut params);
                match d.query.get_mut(i) {
                    Some(row) => row.param = params.swap_remove(i),
                    None => d.query.push(Row { param: params.swap_remove(i), revealed: false }),
                }
                i
            }
        };
        // A row added for a new name (`a`, then the pasted URL as its value) stays empty: drop
        // it rather than leave an unnamed row behind.
        let mut i = i;
        if let Some(empty) = into.filter(|&e| e != i && d.query.get(e).is_some_and(|r| r.param.name.is_empty())) {
            d.query.remove(empty);
            if empty < i {
                i -= 1;
            }
        }
        d.query[i].revealed = false;
        d.selected = d.flat(Table::Query, Some(i));
        d.url_selected = false;
        let api_url = d.base_url.clone();
        self.focus = Pane::Request;
        self.notice = Some(access_token_notice(pasted, &api_url, now));
    }
}

#[cfg(test)]
#[path = "own_url_tests.rs"]
mod tests;
