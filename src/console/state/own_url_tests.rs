//! `update`-level tests of the user's own URLs: `n` opening a URL as an entry, the URL row
//! edited and its query re-split, refusals with the reason, and a pasted Client Access URL.

use base64::Engine;

use super::*;
use crate::console::state::tests::{at, workspace};
use wstab_core::catalog::Source;

/// A JWT expiring `secs` after [`at(0)`](at), unsigned (only its claims are read).
fn jwt(secs: u64) -> String {
    let exp = at(0).duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() + secs;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}.sig", e.encode(r#"{"alg":"HS256"}"#), e.encode(format!(r#"{{"exp":{exp},"sub":"u"}}"#)))
}

fn app() -> App {
    let mut app = App::new(workspace(), 100);
    app.now = at(0);
    app
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
}

/// Replaces the open prompt's text with `s` and accepts it.
fn answer(app: &mut App, s: &str) {
    let Some(Modal::Prompt(p)) = app.modals.top_mut() else { panic!("a prompt is open") };
    p.field.clear();
    type_text(app, s);
    app.update(Intent::Enter, &Viewport::default());
}

fn rows(app: &App) -> Vec<(String, String)> {
    app.draft().unwrap().query.iter().map(|r| (r.param.name.clone(), r.param.value.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn notice(app: &App) -> (String, bool) {
    app.notice.as_ref().map(|n| (n.text.clone(), n.error)).unwrap_or_default()
}

/// Selects the workspace's `chat` (its suffix `client/hubs/chat`) with its key filled, and
/// focuses the Request pane.
fn on_chat(app: &mut App) {
    app.select_index(1);
    app.draft_at(1).query[0].param.value = "key-1".into();
    app.focus = Pane::Request;
}

#[test]
fn test_n_opens_a_typed_url_as_a_new_selected_entry_with_its_query_as_rows() {
    let mut app = app();
    assert_eq!(app.update(Intent::OpenUrl, &Viewport::default()), None);
    assert_eq!(app.modals.prompt().map(|p| p.what.clone()), Some(PromptFor::OpenUrl));
    type_text(&mut app, "ws://127.0.0.1:5/own?a=1&access_token=T-77");
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.catalog.len(), 3);
    let entry = app.selected_entry().unwrap();
    assert_eq!((entry.source.clone(), entry.title.as_str()), (Source::Adhoc, "ws://127.0.0.1:5/own"));
    assert_eq!(rows(&app), pairs(&[("a", "1"), ("access_token", "T-77")]));
    assert!(app.draft().unwrap().query[1].is_secret(&[]), "access_token is masked");
    assert!(!notice(&app).1, "{:?}", app.notice);
    let Some(Effect::Connect { target, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("F5 connects")
    };
    assert_eq!(target.request_url().unwrap().as_str(), "ws://127.0.0.1:5/own?a=1&access_token=T-77");
    assert!(!target.display_url().contains("T-77"), "{}", target.display_url());
}

#[test]
fn test_a_url_that_cannot_connect_is_refused_with_the_reason_and_the_text_kept() {
    let mut app = app();
    app.update(Intent::OpenUrl, &Viewport::default());
    type_text(&mut app, "ftp://h/x");
    app.update(Intent::Enter, &Viewport::default());
    let (text, error) = notice(&app);
    assert!(error && text.contains("not opened") && text.contains("unsupported scheme \"ftp\""), "{text}");
    assert_eq!(app.catalog.len(), 2, "nothing added");
    assert_eq!(app.modals.prompt().map(|p| p.field.text()), Some("ftp://h/x".into()), "the typing is not lost");
    app.update(Intent::Escape, &Viewport::default());

    on_chat(&mut app);
    let before = app.draft().unwrap().clone();
    app.update(Intent::EditUrl, &Viewport::default());
    answer(&mut app, "not a url?x=1");
    let (text, error) = notice(&app);
    assert!(error && text.starts_with("URL not changed: invalid URL"), "{text}");
    assert_eq!(app.draft().unwrap(), &before, "the old URL and rows are kept");
    app.update(Intent::Escape, &Viewport::default());
    // http(s) is accepted as the session reads it: sent as ws(s).
    app.update(Intent::EditUrl, &Viewport::default());
    answer(&mut app, "https://gw.example/client/hubs/chat");
    assert_eq!(app.draft().unwrap().base_url, "https://gw.example/client/hubs/chat");
    assert!(app.draft().unwrap().target().display_url().starts_with("wss://gw.example/client/hubs/chat"));
}

#[test]
fn test_the_url_row_edits_the_url_and_its_query_is_split_again_keeping_masked_secrets() {
    let mut app = app();
    on_chat(&mut app);
    // Up from the first row reaches the URL row; Enter edits it, secrets masked.
    app.update(Intent::Up, &Viewport::default());
    assert!(app.draft().unwrap().url_selected);
    app.update(Intent::Delete, &Viewport::default());
    assert_eq!(rows(&app).len(), 1, "row keys do nothing on the URL row");
    app.update(Intent::Enter, &Viewport::default());
    let shown = app.modals.prompt().map(|p| p.field.text()).unwrap();
    assert_eq!(shown, "ws://127.0.0.1:9/client/hubs/chat?subscription-key=••••••");
    // The mask keeps the value; a new parameter becomes a row.
    answer(&mut app, &format!("{shown}&b=2%203"));
    assert_eq!(rows(&app), pairs(&[("subscription-key", "key-1"), ("b", "2 3")]));
    let d = app.draft().unwrap();
    assert!(d.query[0].param.required && d.query[0].param.secret, "the row keeps its flags");
    assert!(
        matches!(d.request().endpoint, wstab_core::request::Endpoint::Gateway { .. }),
        "an unchanged endpoint stays gateway + suffix (as a profile saves it)"
    );
    // A parameter taken out of the URL is no longer a row; a disabled row (not in the URL) stays.
    app.draft_at(1).query[1].param.enabled = false;
    app.update(Intent::EditUrl, &Viewport::default());
    assert_eq!(app.modals.prompt().unwrap().field.text(), "ws://127.0.0.1:9/client/hubs/chat?subscription-key=••••••");
    answer(&mut app, "ws://other.example:81/x?c=4");
    assert_eq!(rows(&app), pairs(&[("b", "2 3"), ("c", "4")]));
    assert_eq!(app.draft().unwrap().base_url, "ws://other.example:81/x");
    assert!(!notice(&app).1, "{:?}", app.notice);
}

#[test]
fn test_a_pasted_client_access_url_puts_only_its_token_in_access_token_and_says_so() {
    let mut app = app();
    on_chat(&mut app);
    let token = jwt(59 * 60 + 30);
    let pasted = format!("wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}");
    // Anywhere in the Request pane (here: on the subscription-key row).
    app.update(Intent::Paste(pasted.clone()), &Viewport::default());
    assert_eq!(rows(&app), pairs(&[("subscription-key", "key-1"), ("access_token", &token)]));
    assert_eq!(app.draft().unwrap().base_url, "ws://127.0.0.1:9/client/hubs/chat", "the API keeps its URL");
    assert_eq!(notice(&app), ("took access_token from the pasted URL (hub chat, expires in 59m)".into(), false));
    assert!(app.modals.prompt().is_none());
    let d = app.draft().unwrap();
    assert_eq!(d.locate(d.selected), (Table::Query, Some(1)), "the token's row is selected");

    // Into the value of another row: that row is left alone, the token replaced in place.
    let fresh = jwt(30 * 60);
    app.draft_at(1).selected = 0;
    app.update(Intent::Enter, &Viewport::default());
    assert!(matches!(app.modals.prompt().map(|p| &p.what), Some(PromptFor::ParamValue { row: 0, .. })));
    app.update(Intent::Paste(pasted.replace(&token, &fresh)), &Viewport::default());
    assert_eq!(rows(&app), pairs(&[("subscription-key", "key-1"), ("access_token", &fresh)]));

    // Typed into a value and accepted: the same.
    app.update(Intent::Enter, &Viewport::default());
    answer(&mut app, &pasted);
    assert_eq!(rows(&app)[1].1, token);

    // Into the URL prompt: the URL is kept.
    app.update(Intent::EditUrl, &Viewport::default());
    app.update(Intent::Paste(pasted.replace(&token, &fresh)), &Viewport::default());
    assert!(app.modals.prompt().is_none());
    assert_eq!(rows(&app)[1].1, fresh);
    assert_eq!(app.draft().unwrap().base_url, "ws://127.0.0.1:9/client/hubs/chat");

    // For another hub: taken as asked, with the warning.
    app.update(Intent::Paste(pasted.replace("/hubs/chat", "/hubs/news")), &Viewport::default());
    let (text, error) = notice(&app);
    assert!(error, "{text}");
    assert!(text.contains("APIM would pass it to the wrong hub") && text.contains("401 (wrong audience)"), "{text}");
    assert!(!text.contains(&token), "the token is never shown");
}

#[test]
fn test_n_with_a_pasted_client_access_url_opens_it_as_its_own_entry() {
    let mut app = app();
    app.focus = Pane::Request;
    let token = jwt(600);
    app.update(Intent::OpenUrl, &Viewport::default());
    app.update(
        Intent::Paste(format!("  wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}\n")),
        &Viewport::default(),
    );
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(app.selected_entry().unwrap().title, "wss://contoso.webpubsub.azure.com/client/hubs/chat");
    assert_eq!(rows(&app), pairs(&[("access_token", &token)]));
}

#[test]
fn test_n_and_u_are_bound_where_they_clash_with_nothing() {
    use crate::console::keymap::action_for_key;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(action_for_key(&key('n'), InputContext::Pane(Pane::Apis)), Some(Intent::OpenUrl));
    assert_eq!(action_for_key(&key('n'), InputContext::Pane(Pane::Request)), Some(Intent::OpenUrl));
    assert_eq!(action_for_key(&key('n'), InputContext::Pane(Pane::Messages)), Some(Intent::SearchOlder));
    assert_eq!(action_for_key(&key('u'), InputContext::Pane(Pane::Request)), Some(Intent::EditUrl));
    assert_eq!(action_for_key(&key('n'), InputContext::Prompt), Some(Intent::Char('n')));
}

#[test]
fn test_p_saves_an_opened_url_with_the_settings_its_flags_gave() {
    let mut app = app();
    let mut request = Request::from_url("wss://h.example/own?tenant=t1").unwrap();
    request.tls.insecure = true;
    request.connect_timeout = Some(std::time::Duration::from_millis(2500));
    request.secret_names = vec!["tenant".into()];
    app.open_request(request);
    let p = app.request_as_profile("own").expect("the selected entry as a profile");
    assert_eq!((p.url.as_str(), p.query[0].name.as_str()), ("wss://h.example/own", "tenant"));
    assert!(p.tls.insecure);
    assert_eq!((p.connect_timeout_secs, p.secret_names.clone()), (Some(2.5), vec!["tenant".to_string()]));
    assert_eq!(app.draft().unwrap().query[0].shown_value(app.draft().unwrap().secret_names()), "••••••");
}

#[test]
fn test_a_whole_url_pasted_into_a_url_prompt_replaces_the_field() {
    let mut app = app();
    on_chat(&mut app);
    app.update(Intent::EditUrl, &Viewport::default());
    app.update(Intent::Paste("ws://127.0.0.1:9/client/hubs/chat?x=9".into()), &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()), Some("ws://127.0.0.1:9/client/hubs/chat?x=9".into()));
    app.update(Intent::Enter, &Viewport::default());
    assert_eq!(rows(&app), pairs(&[("x", "9")]));
    // Text that is not a URL is inserted at the cursor, as in any field.
    app.update(Intent::EditUrl, &Viewport::default());
    app.update(Intent::Paste("&y=1".into()), &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()), Some("ws://127.0.0.1:9/client/hubs/chat?x=9&y=1".into()));
    app.update(Intent::Escape, &Viewport::default());
    app.update(Intent::OpenUrl, &Viewport::default());
    type_text(&mut app, "ws://old");
    app.update(Intent::Paste("wss://new.example/x".into()), &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()), Some("wss://new.example/x".into()));
}

#[test]
fn test_a_row_added_from_the_url_row_is_the_one_selected() {
    let mut app = app();
    on_chat(&mut app);
    app.update(Intent::First, &Viewport::default());
    assert!(app.draft().unwrap().url_selected, "Home goes to the URL row");
    app.update(Intent::AddQueryParam, &Viewport::default());
    answer(&mut app, "n1");
    answer(&mut app, "v1");
    let d = app.draft().unwrap();
    assert!(!d.url_selected);
    assert_eq!(d.locate(d.selected), (Table::Query, Some(1)));
    app.update(Intent::Enter, &Viewport::default());
    assert!(matches!(app.modals.prompt().map(|p| &p.what), Some(PromptFor::ParamValue { row: 1, .. })));
}

#[test]
fn test_ctrl_v_of_a_client_access_url_takes_only_its_token_too() {
    let mut app = app();
    on_chat(&mut app);
    assert_eq!(app.update(Intent::PasteFromClipboard, &Viewport::default()), Some(Effect::PasteFromClipboard));
    // What the loop sends back once it read the clipboard.
    let token = jwt(10 * 60);
    app.on_reply(Reply::Pasted(format!("https://contoso.webpubsub.azure.com/client/hubs/chat?access_token={token}")));
    assert_eq!(rows(&app), pairs(&[("subscription-key", "key-1"), ("access_token", &token)]));
    assert_eq!(notice(&app), ("took access_token from the pasted URL (hub chat, expires in 10m)".into(), false));
}
