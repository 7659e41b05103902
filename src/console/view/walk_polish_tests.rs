//! Issue 14's third walk through the console (120×36 and 80×24), drawn on ratatui's
//! `TestBackend`: a question names its keys once.

use super::tests::{render, screen};
use crate::console::state::tests::workspace;
use crate::console::state::{App, Intent, Pane, Reply, Viewport};

#[test]
fn test_a_question_names_its_keys_once_on_the_line_under_it() {
    let profile = wstab_core::profile::Profile { url: "ws://h/x".into(), ..Default::default() };
    let mut app = App::new(workspace(), 100);
    app.on_reply(Reply::ProfilesLoaded {
        profiles: vec![("chat-prod".into(), profile)],
        broken: vec![],
        outcomes: vec![],
        select: None,
    });
    app.select_index(2);
    app.focus = Pane::Apis;
    app.update(Intent::DeleteProfile, &Viewport::default());
    for (w, h) in [(80, 24), (120, 36)] {
        let s = screen(&render(&mut app, w, h));
        assert!(s.contains("Delete the profile \"chat-prod\" (its file too)?"), "{s}");
        assert!(s.contains("y delete · n / Enter / Esc keep"), "{s}");
        assert!(!s.contains("y/N") && !s.contains("Y/n"), "{s}");
        assert_eq!(s.matches("keep").count(), 1, "the keys are named once at {w}×{h}:\n{s}");
    }
}
