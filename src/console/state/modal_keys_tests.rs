//! Issue 14's modal behaviour, pressed as the terminal reports the keys (through the keymap in
//! the context the app is in): `q` and Esc close a view and never quit, a question ignores `q`,
//! quitting while connected asks once, Enter answers no before anything destructive, Ctrl-W asks
//! before losing a draft or a connection, Ctrl-U deletes to the line start, and `/` starts a new
//! search that Esc clears.

use crossterm::event::{KeyCode, KeyModifiers};

use super::tests::{connect, press, press_text as type_text, workspace};
use super::*;
use wstab_core::connection::{Direction, EventKind, Frame, Utf8Bytes};

const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const NONE: KeyModifiers = KeyModifiers::NONE;

fn key(app: &mut App, c: char) -> Option<Effect> {
    press(app, KeyCode::Char(c), NONE)
}

fn question(app: &App) -> String {
    app.modals.question().map(|q| format!("{} ({})", q.question, q.keys("Enter", "Esc"))).unwrap_or_default()
}

#[test]
fn test_q_and_esc_close_a_view_and_never_quit_even_while_connected() {
    let mut app = App::new(workspace(), 100);
    connect(&mut app);
    app.focus = Pane::Messages;
    for (open, close) in [('?', KeyCode::Char('q')), ('?', KeyCode::Esc), ('w', KeyCode::Char('q'))] {
        key(&mut app, open);
        assert_eq!(app.input_context(), InputContext::Overlay);
        assert_eq!(press(&mut app, close, NONE), None, "{close:?} in a view must not quit");
        assert!(app.modals.is_empty(), "{close:?} closes the view");
    }
    assert_eq!(app.state_word(), "Connected");
}

#[test]
fn test_q_in_a_question_does_not_quit_or_answer() {
    let mut app = App::new(workspace(), 100);
    app.ask("Delete the profile \"x\"?".into(), profiles::Pending::Delete { name: "x".into() });
    assert_eq!(key(&mut app, 'q'), None);
    assert!(app.modals.question().is_some(), "the question waits for y or n");
}

#[test]
fn test_quitting_while_connected_asks_once_and_enter_keeps_the_connections() {
    let mut app = App::new(workspace(), 100);
    assert_eq!(key(&mut app, 'q'), Some(Effect::Quit), "nothing open: q quits at once");
    connect(&mut app);
    app.update(Intent::NewTab, &Viewport::default());
    connect(&mut app);
    app.focus = Pane::Apis;
    assert_eq!(key(&mut app, 'q'), None);
    assert_eq!(question(&app), "Quit and close 2 connections? (y quit · n / Enter / Esc stay)");
    assert_eq!(key(&mut app, 'q'), None, "a second q does not stack another question");
    assert_eq!(app.modals.iter().count(), 1);
    assert_eq!(press(&mut app, KeyCode::Enter, NONE), None, "Enter is no");
    assert!(app.modals.is_empty());
    key(&mut app, 'q');
    assert_eq!(key(&mut app, 'y'), Some(Effect::Quit));
    // Ctrl-C is the way out that never asks.
    assert_eq!(press(&mut app, KeyCode::Char('c'), CTRL), Some(Effect::Quit));
}

#[test]
fn test_destructive_questions_default_to_no_and_an_expired_token_to_yes() {
    let mut app = App::new(workspace(), 100);
    app.ask("Overwrite it?".into(), profiles::Pending::Delete { name: "p".into() });
    assert_eq!(question(&app), "Overwrite it? (y delete · n / Enter / Esc keep)");
    app.ask("Connect anyway?".into(), profiles::Pending::Connect);
    assert_eq!(question(&app), "Connect anyway? (y / Enter connect · n / Esc cancel)");
    assert!(matches!(press(&mut app, KeyCode::Enter, NONE), Some(Effect::Connect { .. })), "Enter is yes here");
    assert_eq!(press(&mut app, KeyCode::Enter, NONE), None);
    assert!(app.modals.is_empty(), "Enter answered the delete with no");
}

#[test]
fn test_ctrl_w_asks_before_losing_a_draft_and_closes_a_clean_tab_at_once() {
    let mut app = App::new(workspace(), 100);
    app.update(Intent::NewTab, &Viewport::default());
    app.focus = Pane::Composer;
    app.tab.composer.editor.clear();
    type_text(&mut app, "half-written");
    assert_eq!(press(&mut app, KeyCode::Char('w'), CTRL), None);
    assert_eq!(question(&app), "Close tab 2 and lose the message being written? (y close · n / Enter / Esc keep)");
    key(&mut app, 'n');
    assert_eq!((app.tab_count(), app.tab.composer.editor.text().as_str()), (2, "half-written"));
    // Ctrl-U deletes back to the line start, as in a shell; then nothing is lost.
    type_text(&mut app, " tail");
    press(&mut app, KeyCode::Left, NONE);
    press(&mut app, KeyCode::Char('u'), CTRL);
    assert_eq!(app.tab.composer.editor.text(), "l");
    press(&mut app, KeyCode::End, NONE);
    press(&mut app, KeyCode::Char('u'), CTRL);
    assert_eq!(app.tab.composer.editor.text(), "");
    assert_eq!(press(&mut app, KeyCode::Char('w'), CTRL), None);
    assert_eq!(app.tab_count(), 1, "an empty composer closes without a question");
    assert!(app.modals.is_empty());
}

#[test]
fn test_ctrl_u_deletes_to_the_line_start_in_a_prompt() {
    let mut app = App::new(workspace(), 100);
    app.focus = Pane::Messages;
    key(&mut app, 's');
    type_text(&mut app, "-x");
    press(&mut app, KeyCode::Left, NONE);
    press(&mut app, KeyCode::Char('u'), CTRL);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("x"));
}

#[test]
fn test_search_starts_empty_counts_matches_and_esc_clears_it() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    for (i, t) in ["apple", "banana", "apple pie", "cherry", "crab apple"].iter().enumerate() {
        let frame = Frame::Text(Utf8Bytes::from(t.to_string()));
        let at = super::tests::at(100 + i as u64);
        app.on_event(Event { session, at, kind: EventKind::Frame { dir: Direction::In, frame } });
    }
    app.focus = Pane::Messages;
    key(&mut app, '/');
    type_text(&mut app, "apple");
    press(&mut app, KeyCode::Enter, NONE);
    assert_eq!(app.tab.messages.hits(), Some((3, 3)), "the newest match, third of three");
    key(&mut app, 'n');
    assert_eq!(app.tab.messages.hits(), Some((2, 3)));
    key(&mut app, '/');
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some(""), "no old term to append to");
    type_text(&mut app, "pie");
    press(&mut app, KeyCode::Enter, NONE);
    assert_eq!((app.tab.messages.search.as_str(), app.tab.messages.hits()), ("pie", Some((1, 1))));
    press(&mut app, KeyCode::Esc, NONE);
    assert_eq!((app.tab.messages.search.as_str(), app.tab.messages.hits()), ("", None));
}
