//! Drawing the user's own URLs: a long URL wraps in the Request pane with its secrets masked
//! (never cut with no way to read it), the URL row is highlighted when selected, and an ad-hoc
//! entry is listed in APIs by its URL as edited.

use super::tests::{render, screen};
use crate::console::state::tests::workspace;
use crate::console::state::{App, Intent, Pane, Viewport};
use wstab_core::request::Request;

const SECRET: &str = "hush-secret-token-4711";

fn app_on(url: &str) -> App {
    let mut app = App::new(workspace(), 100);
    app.open_request(Request::from_url(url).unwrap());
    app.focus = Pane::Request;
    app
}

#[test]
fn test_a_long_url_wraps_in_the_request_pane_with_its_secrets_masked() {
    let path: String = (0..6).map(|i| format!("segment-{i}-abcdefghij/")).collect();
    let url = format!("wss://gateway.example.net/{path}end?tenant=contoso&access_token={SECRET}&z=last-param");
    let mut app = app_on(&url);
    let shown = screen(&render(&mut app, 100, 30));
    assert!(!shown.contains(SECRET), "{shown}");
    // Every part of the URL is on screen, in order, across the wrapped rows.
    // The Request pane has the focus (heavy borders): its rows joined give the URL back.
    let joined: String = shown
        .lines()
        .filter_map(|l| l.split_once('┃').map(|(_, r)| r))
        .filter_map(|r| r.rsplit_once('┃').map(|(body, _)| body.trim_start_matches("URL").trim().to_string()))
        .collect();
    for part in ["segment-0-abcdefghij/", "segment-5-abcdefghij/end", "tenant=contoso", "z=last-param"] {
        assert!(joined.contains(part), "{part} missing:\n{shown}");
    }
    assert!(shown.contains("Query parameters"), "the tables are still drawn:\n{shown}");
    assert!(
        shown.contains("│  wss://  ") && shown.contains("│  gateway.example.net/"),
        "listed in APIs by its URL:\n{shown}"
    );
}

#[test]
fn test_a_url_past_the_rows_it_may_take_says_how_to_read_it_in_full() {
    let path: String = (0..30).map(|i| format!("p{i}-abcdefghij/")).collect();
    let mut app = app_on(&format!("ws://h.example/{path}"));
    let shown = screen(&render(&mut app, 100, 30));
    assert!(shown.contains("… u: in full"), "{shown}");
    app.update(Intent::EditUrl, &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()), Some(format!("ws://h.example/{path}")));
}

#[test]
fn test_the_url_row_is_highlighted_when_selected() {
    let mut app = app_on("ws://127.0.0.1:5/own?a=1");
    app.update(Intent::Up, &Viewport::default());
    let t = render(&mut app, 100, 30);
    let buf = t.backend().buffer();
    let row = (0..buf.area.height)
        .find(|&y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().contains("URL  "));
    let y = row.expect("the URL row is drawn");
    let x = (0..buf.area.width).find(|&x| buf[(x, y)].symbol() == "w").unwrap();
    assert_eq!(buf[(x, y)].bg, super::theme::selected().bg.unwrap(), "URL row highlighted");
}
