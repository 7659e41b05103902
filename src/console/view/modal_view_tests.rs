//! Issue 14's modal behaviour as drawn: a secret row's value is masked in the Value prompt until
//! `r` reveals the row, and the Messages border shows the search with its `3/17` count until Esc.

use super::tests::{connected_app, render, screen};
use crate::console::state::{App, Intent, Pane, Viewport};

fn act(app: &mut App, intent: Intent) {
    app.update(intent, &Viewport::default());
}

#[test]
fn test_a_secret_rows_value_prompt_is_masked_until_the_row_is_revealed() {
    let mut app = App::new(crate::console::state::tests::workspace(), 100);
    app.select_index(1);
    app.focus = Pane::Request;
    // Chat's first row is its subscription-key: a secret.
    act(&mut app, Intent::Enter);
    for c in "k-123".chars() {
        act(&mut app, Intent::Char(c));
    }
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains("•••••") && !s.contains("k-123"), "the value is masked while typed:\n{s}");
    assert!(s.contains("r on the row reveals"), "{s}");
    act(&mut app, Intent::Backspace);
    act(&mut app, Intent::Enter);
    assert_eq!(app.draft().map(|d| d.query[0].param.value.clone()).as_deref(), Some("k-12"), "edits as typed");
    act(&mut app, Intent::RevealRow);
    act(&mut app, Intent::Enter);
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains("k-12"), "revealed with r, the prompt shows it:\n{s}");
}

#[test]
fn test_the_messages_border_shows_the_search_and_its_count_until_esc() {
    let mut app = connected_app();
    app.focus = Pane::Messages;
    act(&mut app, Intent::Search);
    for c in "join".chars() {
        act(&mut app, Intent::Char(c));
    }
    act(&mut app, Intent::Enter);
    let (at, of) = app.tab.messages.hits().expect("a match");
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains(&format!(" /join {at}/{of} ")), "{s}");
    act(&mut app, Intent::Escape);
    let s = screen(&render(&mut app, 120, 40));
    assert!(!s.contains("/join"), "Esc clears the term from the border:\n{s}");
}
