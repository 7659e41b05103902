//! The modal stack: the top modal takes the keys, one opened over another gives the keys back
//! when it closes, and a refusal's trace never hides an open question.

use super::tests::workspace;
use super::*;
use wstab_core::connection::{ConnError, FailureKind};

#[test]
fn test_help_over_a_prompt_takes_the_keys_and_esc_gives_the_prompt_back() {
    let mut app = App::new(workspace(), 100);
    app.focus = Pane::Messages;
    app.update(Intent::Save, &Viewport::default());
    assert_eq!(app.input_context(), InputContext::Prompt);
    app.update(Intent::Help, &Viewport::default());
    assert_eq!(app.input_context(), InputContext::Overlay, "the help is on top and reads keys as commands");
    app.update(Intent::Down, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Help, scroll: 1 }));
    app.update(Intent::Escape, &Viewport::default());
    assert_eq!(app.input_context(), InputContext::Prompt);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("wstab-session.ndjson"));
    app.update(Intent::Char('x'), &Viewport::default());
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("wstab-session.ndjsonx"));
}

#[test]
fn test_help_over_a_view_returns_to_the_view() {
    let mut app = App::new(workspace(), 100);
    app.focus = Pane::Messages;
    app.update(Intent::ShowWaiting, &Viewport::default());
    app.update(Intent::Help, &Viewport::default());
    assert_eq!(app.modals.iter().count(), 2);
    app.update(Intent::Help, &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Waiting, scroll: 0 }), "F1 closes the help");
    app.update(Intent::Escape, &Viewport::default());
    assert!(app.modals.is_empty());
}

#[test]
fn test_a_refusal_shows_its_trace_beneath_an_open_question() {
    let mut app = App::new(workspace(), 100);
    let session = match app.update(Intent::ToggleConnection, &Viewport::default()) {
        Some(Effect::Connect { session, .. }) => session,
        other => panic!("F5 should connect: {other:?}"),
    };
    app.ask("Delete the profile \"x\"?".into(), profiles::Pending::Delete { name: "x".into() });
    let err = ConnError::new(FailureKind::HandshakeRefused { status: 404 }, "refused");
    app.on_event(Event { session, at: super::tests::at(2), kind: EventKind::Failed(err) });
    assert!(matches!(app.modals.top(), Some(Modal::Question(_))), "the question keeps the keys");
    app.update(Intent::Char('n'), &Viewport::default());
    assert_eq!(app.modals.view().copied(), Some(View { kind: ViewKind::Trace, scroll: 0 }));
}
