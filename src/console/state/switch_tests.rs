//! The console never sends where the user is not looking: with Echo connected and Chat
//! selected, sending, F5 and Enter in APIs ask (disconnect and switch, or a new tab) instead of
//! using Echo's session for Chat.

use super::tests::{connect, workspace};
use super::*;

/// Echo connected, then Chat selected in APIs (its key filled so it can connect).
fn echo_connected_chat_selected() -> (App, SessionId) {
    let mut app = App::new(workspace(), 100);
    app.draft_at(1).query[0].param.value = "k".into();
    let echo = connect(&mut app);
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.selected_entry().map(|e| e.name()), Some("chat".into()));
    (app, echo)
}

fn options(app: &App) -> Vec<char> {
    app.modals.ask().expect("a question is open").options.iter().map(|o| o.key).collect()
}

#[test]
fn test_enter_in_the_composer_on_another_entry_asks_and_sends_nothing() {
    let (mut app, _) = echo_connected_chat_selected();
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text(r#"{"type":"joinGroup","group":"lobby"}"#);
    assert_eq!(app.update(Intent::Enter, &Viewport::default()), None, "nothing goes over Echo's socket");
    assert_eq!(app.input_context(), InputContext::Menu);
    assert_eq!(options(&app), ['d', 't', 'b']);
    let text = app.modals.ask().unwrap().text.join("\n");
    assert!(text.contains("echo's") && text.contains("Chat is selected"), "{text}");
    // Esc: nothing sent, the draft kept, the question gone.
    assert_eq!(app.update(Intent::Escape, &Viewport::default()), None);
    assert!(app.modals.ask().is_none());
    assert!(app.notice.as_ref().unwrap().text.starts_with("nothing sent"), "{:?}", app.notice);
    assert_eq!(app.tab.composer.editor.text(), r#"{"type":"joinGroup","group":"lobby"}"#);
}

#[test]
fn test_the_composer_names_the_sessions_entry_while_another_is_shown() {
    let (app, _) = echo_connected_chat_selected();
    let to = app.sends_to().unwrap();
    assert_eq!((to.title.as_str(), to.state, to.elsewhere), ("echo", "connected", true));
    let idle = App::new(workspace(), 100);
    let to = idle.sends_to().unwrap();
    assert_eq!((to.title.as_str(), to.state, to.elsewhere), ("echo", "not connected", false));
}

#[test]
fn test_disconnect_and_switch_ends_echo_and_connects_chat_in_the_tab() {
    let (mut app, echo) = echo_connected_chat_selected();
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text("hi");
    app.update(Intent::Enter, &Viewport::default());
    let Some(Effect::Batch(effects)) = app.update(Intent::Char('d'), &Viewport::default()) else {
        panic!("disconnect then connect")
    };
    assert_eq!(effects[0], Effect::Disconnect { session: echo });
    let Effect::Connect { session, target, .. } = &effects[1] else { panic!("{effects:?}") };
    assert!(target.url.ends_with("/client/hubs/chat"), "{}", target.url);
    let conn = app.tab.connection.as_ref().unwrap();
    assert_eq!((conn.id, Some(conn.entry)), (*session, app.tab.selected));
    assert_eq!(app.tab_count(), 1);
    assert_eq!(app.tab.composer.editor.text(), "hi", "the message waits for the new session");
}

#[test]
fn test_a_new_tab_connects_chat_and_the_old_tab_keeps_echo() {
    let (mut app, echo) = echo_connected_chat_selected();
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text("for chat");
    app.update(Intent::Enter, &Viewport::default());
    let Some(Effect::Connect { target, .. }) = app.update(Intent::Char('t'), &Viewport::default()) else {
        panic!("the new tab connects")
    };
    assert!(target.url.ends_with("/client/hubs/chat"), "{}", target.url);
    assert_eq!(app.tab_count(), 2);
    assert_eq!(app.selected_entry().map(|e| e.name()), Some("chat".into()));
    assert_eq!(app.tab.composer.editor.text(), "for chat", "the message moved with the user");
    let old = &app.parked[0];
    assert_eq!(old.connection.as_ref().map(|c| c.id), Some(echo));
    assert_eq!(old.selected, old.connection.as_ref().map(|c| c.entry), "the old tab shows its own request");
    assert!(old.composer.editor.is_empty(), "the message is not left behind to be sent twice");
}

#[test]
fn test_f5_on_another_entry_asks_and_can_just_disconnect() {
    let (mut app, echo) = echo_connected_chat_selected();
    assert_eq!(app.update(Intent::ToggleConnection, &Viewport::default()), None, "F5 does not silently close Echo");
    assert_eq!(options(&app), ['d', 't', 'x', 'b']);
    assert_eq!(app.update(Intent::Char('x'), &Viewport::default()), Some(Effect::Disconnect { session: echo }));
    assert_eq!(app.selected_entry().map(|e| e.name()), Some("chat".into()));
}

#[test]
fn test_enter_in_apis_on_another_entry_asks_and_b_goes_back() {
    let (mut app, _) = echo_connected_chat_selected();
    app.update(Intent::Enter, &Viewport::default());
    assert!(app.modals.ask().is_some());
    assert_eq!(app.focus, Pane::Apis);
    // Arrows move, Enter picks the highlighted option: the last one, "back".
    app.update(Intent::Up, &Viewport::default());
    assert_eq!(app.update(Intent::Enter, &Viewport::default()), None);
    assert_eq!(app.selected_entry().map(|e| e.name()), Some("echo".into()));
    // On its own entry nothing is asked.
    app.update(Intent::Enter, &Viewport::default());
    assert!(app.modals.ask().is_none());
    assert_eq!(app.focus, Pane::Composer);
}
