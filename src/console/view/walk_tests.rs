//! Issue 14's newcomer walk, drawn on ratatui's `TestBackend`: what a cleared log says, and the
//! APIs pane at 120×36 and 80×24.

use super::tests::{connected_app, render, screen};
use crate::console::state::{App, Intent, Pane, Viewport};
use wstab_core::connection::{Closer, Event, EventKind};
use wstab_core::workspace::{Api, Workspace};

#[test]
fn test_ctrl_l_while_connected_says_cleared_and_connected_to_what() {
    let mut app = connected_app();
    app.focus = Pane::Messages;
    app.update(Intent::ClearLog, &Viewport::default());
    let s = screen(&render(&mut app, 120, 36));
    assert!(!s.contains("No messages yet"), "a cleared log is not a fresh start:\n{s}");
    assert!(s.contains("Log cleared; connected to echo"), "{s}");
    assert!(s.contains("Ctrl-S still saves the whole session"), "{s}");
    // Disconnected afterwards: says so, and how to connect again.
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let closed = EventKind::Closed { code: 1000, reason: String::new(), by: Closer::Local };
    app.update(Intent::ToggleConnection, &Viewport::default());
    app.on_event(Event { session, at: app.now, kind: closed });
    app.update(Intent::ClearLog, &Viewport::default());
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("Log cleared; disconnected (F5 connects again)"), "{s}");
}

/// The demo's APIs, as the APIs pane lists them.
fn demo_app() -> App {
    let api = |name: &str, display: &str, suffix: &str| Api {
        name: name.into(),
        display_name: display.into(),
        url_suffix: suffix.into(),
        query: vec![],
        headers: vec![],
        subprotocols: vec![],
        sample_message: None,
    };
    let apis = vec![
        api("echo", "Echo", "echo"),
        api("chat", "Chat (Web PubSub hub)", "client/hubs/chat"),
        api("ticker", "Stock ticker", "ticker"),
    ];
    App::new(Workspace { name: "wstab demo".into(), gateway: "ws://127.0.0.1:9".into(), apis }, 100)
}

/// The APIs pane's inside, row by row (the border and the rest of the screen left out).
fn apis_rows(s: &str) -> Vec<String> {
    s.lines()
        .skip(1)
        .take_while(|l| !l.starts_with('└') && !l.starts_with('┗'))
        .map(|l| l.chars().skip(1).take_while(|c| *c != '│' && *c != '┃').collect::<String>().trim_end().to_string())
        .collect()
}

#[test]
fn test_the_apis_pane_shows_every_name_and_suffix_whole_at_120x36_and_80x24() {
    for (w, h) in [(120, 36), (80, 24)] {
        let mut app = demo_app();
        let s = screen(&render(&mut app, w, h));
        let rows = apis_rows(&s);
        let text = rows.join("\n");
        // Read as a person does: rows joined; a name wraps at spaces, a path at `/`.
        let words: Vec<&str> = rows.iter().flat_map(|r| r.split_whitespace()).collect();
        for word in ["Echo", "/echo", "Chat", "(Web", "PubSub", "hub)", "Stock", "ticker", "/ticker"] {
            assert!(words.contains(&word), "{word:?} cut or missing at {w}×{h}:\n{text}");
        }
        let joined: String = rows.iter().map(|r| r.trim()).collect::<Vec<_>>().join(" ");
        assert!(joined.contains("Chat (Web PubSub hub) /client/hubs/chat"), "{w}×{h}:\n{text}");
        // A click on the suffix's row selects Chat, the entry it belongs to; the row under it, the ticker.
        let chat_row = rows.iter().position(|r| r.contains("/client/hubs")).expect("the suffix row") as u16;
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let hit = super::hit_test(area, &app, 3, 1 + chat_row);
        assert_eq!(hit, Some((Pane::Apis, Some(1))), "{w}×{h}");
        let hit = super::hit_test(area, &app, 3, 2 + chat_row);
        assert_eq!(hit, Some((Pane::Apis, Some(2))), "{w}×{h}");
        // Selected, both of Chat's rows carry the highlight.
        app.select_index(1);
        let t = render(&mut app, w, h);
        let buf = t.backend().buffer();
        let name_row = rows.iter().position(|r| r.contains("Chat (")).unwrap() as u16;
        for y in [1 + name_row, 1 + chat_row] {
            assert_eq!(buf[(5, y)].bg, super::theme::selected().bg.unwrap(), "row {y} at {w}×{h}");
        }
    }
}
