//! The README's console keys, pressed as the terminal reports them: each key goes through the
//! keymap (`input::action_for_key` in the context the app is in) and then `update`, and the test
//! checks the state and the effect. A key unbound, bound to another action, or bound only in a
//! context the README does not promise fails here, not only in tmux.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::composer::MessageMode;
use super::tests::{connect, press, press_text as type_text, workspace};
use super::*;
use crate::console::message_log::Filter;

const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const NONE: KeyModifiers = KeyModifiers::NONE;

fn ctrl(app: &mut App, c: char) -> Option<Effect> {
    press(app, KeyCode::Char(c), CTRL)
}

fn inbound(app: &mut App, session: SessionId, ms: u64, t: &str) {
    app.on_event(Event {
        session,
        at: super::tests::at(ms),
        kind: wstab_core::connection::EventKind::Frame {
            dir: wstab_core::connection::Direction::In,
            frame: wstab_core::connection::Frame::Text(wstab_core::connection::Utf8Bytes::from(t.to_string())),
        },
    });
}

/// The app connected on `echo` with the focus in the composer, as after Enter and F5.
fn composing() -> (App, SessionId) {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    press(&mut app, KeyCode::Enter, NONE);
    assert_eq!(app.input_context(), InputContext::Composer);
    (app, session)
}

#[test]
fn test_ctrl_w_closes_the_shown_tab_and_disconnects_only_its_session() {
    let (mut app, first) = composing();
    ctrl(&mut app, 't');
    let second = connect(&mut app);
    assert_eq!(app.tab_count(), 2);
    // Everywhere, the composer included (w would type there).
    app.focus = Pane::Composer;
    // A live connection would be lost: asked first, and Enter (the default) keeps the tab.
    assert_eq!(ctrl(&mut app, 'w'), None);
    let q = app.modals.question().map(|q| q.question.clone()).unwrap_or_default();
    assert!(q.contains("Close tab 2 and lose its connection"), "{q}");
    assert_eq!(press(&mut app, KeyCode::Enter, NONE), None);
    assert_eq!(app.tab_count(), 2);
    ctrl(&mut app, 'w');
    assert_eq!(press(&mut app, KeyCode::Char('y'), NONE), Some(Effect::Disconnect { session: second }));
    assert_eq!(app.tab_count(), 1);
    assert_eq!(app.tab.connection.as_ref().map(|c| c.id), Some(first));
    // The last tab stays, and says why.
    assert_eq!(ctrl(&mut app, 'w'), None);
    assert_eq!(app.tab_count(), 1);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("only tab")), "{:?}", app.notice);
}

#[test]
fn test_ctrl_pgdn_and_ctrl_pgup_switch_tabs_and_wrap() {
    let mut app = App::new(workspace(), 100);
    ctrl(&mut app, 't');
    ctrl(&mut app, 't');
    assert_eq!((app.tab_count(), app.active), (3, 2));
    app.focus = Pane::Messages;
    press(&mut app, KeyCode::PageUp, CTRL);
    assert_eq!(app.active, 1);
    press(&mut app, KeyCode::PageDown, CTRL);
    assert_eq!(app.active, 2);
    press(&mut app, KeyCode::PageDown, CTRL);
    assert_eq!(app.active, 0, "past the last tab comes the first");
    press(&mut app, KeyCode::PageUp, CTRL);
    assert_eq!(app.active, 2, "before the first tab comes the last");
    // Without Ctrl, PgUp pages the Messages list and leaves the tab alone.
    press(&mut app, KeyCode::PageUp, NONE);
    assert_eq!(app.active, 2);
}

#[test]
fn test_ctrl_s_saves_the_session_even_from_the_composer() {
    let (mut app, _) = composing();
    app.tab.composer.editor.clear();
    // In the composer `s` types; Ctrl-S still saves.
    type_text(&mut app, "s");
    assert_eq!(app.tab.composer.editor.text(), "s");
    assert_eq!(ctrl(&mut app, 's'), None);
    assert_eq!(app.input_context(), InputContext::Prompt);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("wstab-session.ndjson"));
    for _ in 0.."ndjson".len() {
        press(&mut app, KeyCode::Backspace, NONE);
    }
    type_text(&mut app, "log");
    assert_eq!(press(&mut app, KeyCode::Enter, NONE), Some(Effect::Save { path: "wstab-session.log".into() }));
    assert_eq!(app.tab.composer.editor.text(), "s", "the draft is untouched");
}

#[test]
fn test_ctrl_l_clears_the_log_and_keeps_the_draft() {
    let (mut app, session) = composing();
    inbound(&mut app, session, 10, "one");
    inbound(&mut app, session, 11, "two");
    assert!(app.tab.log.len(Filter::All) >= 2);
    app.tab.composer.editor.set_text("draft");
    assert_eq!(ctrl(&mut app, 'l'), None);
    assert_eq!(app.tab.log.len(Filter::All), 0);
    assert!(app.tab.messages.following(), "the cleared log follows what comes next");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("log cleared")), "{:?}", app.notice);
    assert_eq!(app.tab.composer.editor.text(), "draft");
    assert_eq!(app.state_word(), "Connected", "clearing the log is not disconnecting");
    inbound(&mut app, session, 12, "three");
    assert_eq!(app.tab.log.len(Filter::All), 1);
}

#[test]
fn test_ctrl_o_picks_a_saved_message_in_the_composer_only() {
    let (mut app, _) = composing();
    app.tab.composer.editor.clear();
    assert_eq!(ctrl(&mut app, 'o'), None);
    assert_eq!(app.modals.menu().copied(), Some(Menu { kind: MenuKind::SavedMessages, selected: 0 }));
    press(&mut app, KeyCode::Enter, NONE);
    assert_eq!(app.modals.top().map(|_| ()), None);
    assert_eq!(app.tab.composer.editor.text(), "hello", "the API's sample message");
    assert_eq!(app.focus, Pane::Composer);
    // Outside the composer Ctrl-O is not bound: there is no message to fill.
    press(&mut app, KeyCode::Esc, NONE);
    let ctx = app.input_context();
    assert_eq!(crate::console::keymap::action_for_key(&KeyEvent::new(KeyCode::Char('o'), CTRL), ctx), None, "{ctx:?}");
}

#[test]
fn test_ctrl_v_asks_the_loop_for_the_clipboard_in_every_context() {
    let (mut app, _) = composing();
    assert_eq!(ctrl(&mut app, 'v'), Some(Effect::PasteFromClipboard));
    app.focus = Pane::Apis;
    assert_eq!(ctrl(&mut app, 'v'), Some(Effect::PasteFromClipboard));
    ctrl(&mut app, 's');
    assert_eq!(app.input_context(), InputContext::Prompt);
    assert_eq!(ctrl(&mut app, 'v'), Some(Effect::PasteFromClipboard), "a prompt is a field too");
    // The loop answers with the text as a paste, which goes into the prompt's field.
    app.update(Intent::Paste("x".into()), &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("wstab-session.ndjsonx"));
}

#[test]
fn test_f2_cycles_text_hex_base64_and_sends_in_the_mode_shown() {
    let (mut app, session) = composing();
    app.tab.composer.editor.clear();
    assert_eq!(app.tab.composer.mode, MessageMode::Text);
    press(&mut app, KeyCode::F(2), NONE);
    assert_eq!(app.tab.composer.mode, MessageMode::Hex);
    type_text(&mut app, "de ad");
    assert_eq!(
        press(&mut app, KeyCode::Enter, NONE),
        Some(Effect::Send { session, command: CommandToSend::Binary(vec![0xde, 0xad]) })
    );
    press(&mut app, KeyCode::F(2), NONE);
    assert_eq!(app.tab.composer.mode, MessageMode::Base64);
    app.tab.composer.editor.clear();
    type_text(&mut app, "3q0=");
    assert_eq!(
        press(&mut app, KeyCode::Enter, NONE),
        Some(Effect::Send { session, command: CommandToSend::Binary(vec![0xde, 0xad]) })
    );
    press(&mut app, KeyCode::F(2), NONE);
    assert_eq!(app.tab.composer.mode, MessageMode::Text);
    app.tab.composer.editor.clear();
    type_text(&mut app, "de ad");
    assert_eq!(
        press(&mut app, KeyCode::Enter, NONE),
        Some(Effect::Send { session, command: CommandToSend::Text("de ad".into()) })
    );
}

#[test]
fn test_f3_pings_the_open_session_and_says_so_when_there_is_none() {
    let (mut app, session) = composing();
    assert_eq!(
        press(&mut app, KeyCode::F(3), NONE),
        Some(Effect::Send { session, command: CommandToSend::Ping(Vec::new()) })
    );
    let mut idle = App::new(workspace(), 100);
    assert_eq!(press(&mut idle, KeyCode::F(3), NONE), None);
    assert!(idle.notice.as_ref().is_some_and(|n| n.error && n.text.contains("not connected")), "{:?}", idle.notice);
}

#[test]
fn test_f4_closes_with_the_code_and_reason_typed_and_refuses_a_bad_code() {
    let (mut app, session) = composing();
    assert_eq!(press(&mut app, KeyCode::F(4), NONE), None);
    // What the field shows is all it holds: no hidden trailing space to trip over.
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("1000"));
    for _ in 0.."1000".len() {
        press(&mut app, KeyCode::Backspace, NONE);
    }
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some(""));
    type_text(&mut app, "14001 nope");
    assert_eq!(press(&mut app, KeyCode::Enter, NONE), None, "14001 is not a close code a client may send");
    let n = app.notice.clone().unwrap_or_else(|| panic!("no notice"));
    assert!(n.error && n.text.contains(r#"close code "14001" is not 1000-1014 or 3000-4999"#), "{n:?}");
    press(&mut app, KeyCode::F(4), NONE);
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Enter, NONE);
    assert!(
        app.notice.as_ref().is_some_and(|n| n.text.contains(r#"close code "1000x" is not a number"#)),
        "{:?}",
        app.notice
    );
    assert_eq!(app.state_word(), "Connected");
    press(&mut app, KeyCode::F(4), NONE);
    for _ in 0.."1000".len() {
        press(&mut app, KeyCode::Backspace, NONE);
    }
    type_text(&mut app, "4001 bye now");
    assert_eq!(
        press(&mut app, KeyCode::Enter, NONE),
        Some(Effect::Send { session, command: CommandToSend::Close { code: 4001, reason: "bye now".into() } })
    );
    assert_eq!(app.state_word(), "Disconnecting…");
    let mut idle = App::new(workspace(), 100);
    assert_eq!(press(&mut idle, KeyCode::F(4), NONE), None);
    assert!(idle.modals.prompt().is_none(), "no close prompt without a connection");
}

#[test]
fn test_help_lists_every_readme_key_with_its_label() {
    let text: String = crate::console::keymap::help_lines().iter().map(|(_, k, h)| format!("{k} {h}\n")).collect();
    for (label, what) in [
        ("Ctrl-W", "close the tab"),
        ("Ctrl-PgDn", "next tab"),
        ("Ctrl-PgUp", "previous tab"),
        ("Ctrl-S", "save the whole session"),
        ("Ctrl-L", "clear the Messages log"),
        ("Ctrl-O", "pick a saved message"),
        ("Ctrl-V", "paste the system clipboard"),
        ("F2", "text / binary hex / binary base64"),
        ("F3", "send a ping"),
        ("F4", "close with a code and reason"),
    ] {
        assert!(
            text.lines().any(|l| l.split(['/', ' ']).any(|k| k == label) && l.contains(what)),
            "{label} {what}:\n{text}"
        );
    }
}
