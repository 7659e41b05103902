//! Issue 14's newcomer walk, the state side: a stray Enter sends nothing (a 0-byte frame stays
//! one mode away), and a required row that is disabled blocks connecting as an empty one does.

use super::composer::MessageMode;
use super::tests::{connect, workspace};
use super::*;

fn notice(app: &App) -> Notice {
    app.notice.clone().expect("a notice")
}

#[test]
fn test_enter_in_an_empty_composer_sends_nothing_and_says_how_to_send_a_0_byte_frame() {
    let mut app = App::new(workspace(), 100);
    let session = connect(&mut app);
    app.focus = Pane::Composer;
    app.tab.composer.editor.clear();
    assert_eq!(app.update(Intent::Enter, &Viewport::default()), None, "an empty text message is not sent");
    let n = notice(&app);
    assert!(!n.error && n.text.contains("not sent") && n.text.contains("F2 to binary"), "{n:?}");
    // The hint is true: in binary (hex) mode, Enter on nothing sends a 0-byte frame.
    app.update(Intent::ToggleMessageMode, &Viewport::default());
    assert_eq!(app.tab.composer.mode, MessageMode::Hex);
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Binary(Vec::new()) }),
        "a 0-byte binary frame on purpose"
    );
    // A space is a message.
    app.update(Intent::ToggleMessageMode, &Viewport::default());
    app.update(Intent::ToggleMessageMode, &Viewport::default());
    app.update(Intent::Char(' '), &Viewport::default());
    assert_eq!(
        app.update(Intent::Enter, &Viewport::default()),
        Some(Effect::Send { session, command: CommandToSend::Text(" ".into()) })
    );
}

#[test]
fn test_a_disabled_required_key_is_flagged_before_connecting_as_an_empty_one_is() {
    let mut app = App::new(workspace(), 100);
    app.select_index(1);
    // Filled in, then disabled: it would not be sent, so the gateway would refuse.
    app.draft_at(1).query[0].param.value = "k-123".into();
    app.draft_at(1).query[0].param.enabled = false;
    assert!(app.draft().unwrap().query[0].is_missing());
    assert_eq!(
        app.update(Intent::ToggleConnection, &Viewport::default()),
        None,
        "no session for a disabled required key"
    );
    let n = notice(&app);
    assert!(n.error && n.text.contains("subscription-key is disabled") && n.text.contains("Space enables"), "{n:?}");
    assert_eq!(app.focus, Pane::Request);
    assert_eq!(app.tab.connection.as_ref().map(|c| c.state), None);
    // Space (on the selected row) enables it, and F5 connects.
    app.update(Intent::ToggleRow, &Viewport::default());
    assert!(app.draft().unwrap().query[0].param.enabled);
    assert!(matches!(app.update(Intent::ToggleConnection, &Viewport::default()), Some(Effect::Connect { .. })));
}
