//! Issue 14's second newcomer walk, drawn on ratatui's `TestBackend`: a Messages preview cut by
//! the pane's width says so with `…`.

use super::tests::{connected_app, render, screen};
use wstab_core::connection::{Direction, Event, EventKind, Frame, Utf8Bytes};

/// The Messages pane's rows (between its top border and its bottom one), right edge kept.
fn message_rows(s: &str) -> Vec<String> {
    let lines: Vec<&str> = s.lines().collect();
    let top = lines.iter().position(|l| l.contains("Messages")).expect("the Messages pane");
    lines[top + 1..]
        .iter()
        .take_while(|l| !l.contains(" B  ← "))
        .map(|l| l.chars().skip_while(|c| *c != '│' && *c != '┃').skip(1).collect::<String>())
        .map(|l| l.chars().skip_while(|c| *c != '│' && *c != '┃').skip(1).collect::<String>())
        .collect()
}

#[test]
fn test_a_preview_cut_by_the_pane_ends_in_an_ellipsis_and_a_whole_one_does_not() {
    let mut app = connected_app();
    let s = screen(&render(&mut app, 80, 24));
    let rows = message_rows(&s);
    let join = rows.iter().find(|r| r.contains("joinGroup")).unwrap_or_else(|| panic!("no joinGroup row:\n{s}"));
    assert!(join.trim_end().trim_end_matches(['│', '┃']).ends_with('…'), "a cut preview ends in …:\n{s}");
    let ping = rows.iter().find(|r| r.contains(" ping")).unwrap_or_else(|| panic!("no ping row:\n{s}"));
    assert!(!ping.contains('…'), "{s}");
    // Wide enough, the same message is shown whole.
    let s = screen(&render(&mut app, 160, 40));
    assert!(s.contains(r#"{"type":"joinGroup","group":"demo","ackId":1}"#), "{s}");
    assert!(!message_rows(&s).iter().any(|r| r.contains('…')), "{s}");
}

#[test]
fn test_the_counters_say_1_msg_and_2_msgs() {
    use crate::console::state::tests::workspace;
    let mut app = crate::console::state::App::new(workspace(), 100);
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("→ 0 msgs 0 B  ← 0 msgs 0 B"), "{s}");
    // One message sent: `1 msg`, not `1 msgs`.
    let session = crate::console::state::tests::connect(&mut app);
    let frame = Frame::Text(Utf8Bytes::from("hello".to_string()));
    let kind = EventKind::Frame { dir: Direction::Out, frame };
    app.on_event(Event { session, at: crate::console::state::tests::at(1000), kind });
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("→ 1 msg 5 B  ← 0 msgs 0 B"), "{s}");
}

#[test]
fn test_the_tab_bar_shows_whole_hints_and_every_tab_at_80_columns() {
    use crate::console::state::{Intent, Pane, Viewport};
    let mut app = connected_app();
    app.update(Intent::NewTab, &Viewport::default());
    app.focus = Pane::Apis;
    app.update(Intent::Down, &Viewport::default());
    let bar = |app: &mut crate::console::state::App, w| screen(&render(app, w, 24)).lines().next().unwrap().to_string();
    let at120 = bar(&mut app, 120);
    assert!(at120.ends_with("Alt-←/→ switch · Ctrl-T new · Ctrl-W close"), "{at120}");
    // At 80 the hints that do not fit are left out whole: no `Ctrl-T` without its word.
    let at80 = bar(&mut app, 80);
    assert!(at80.contains("1 ● echo") && at80.contains("2 ○ Chat"), "{at80}");
    for cut in ["· Ctrl-T", "· Ctrl-W"] {
        if at80.contains(cut) {
            assert!(at80.contains(&format!("{cut} ")), "a hint cut after its key: {at80}");
        }
    }
    assert!(!at80.trim_end().ends_with("Ctrl-T") && !at80.trim_end().ends_with('·'), "{at80}");
    // Eight tabs at 80 columns: every tab's number stays in view, names shortened with `…`.
    for _ in 0..6 {
        app.update(Intent::NewTab, &Viewport::default());
        app.focus = Pane::Apis;
        app.update(Intent::Down, &Viewport::default());
    }
    let six = bar(&mut app, 80);
    for n in 1..=8 {
        assert!(six.contains(&format!(" {n} ")), "tab {n} out of view: {six}");
    }
    assert!(six.contains('…'), "{six}");
}

#[test]
fn test_a_rows_prompts_say_which_row_and_table_they_edit() {
    use crate::console::state::tests::workspace;
    use crate::console::state::{App, Intent, Pane, Viewport};
    let v = Viewport::default();
    let mut app = App::new(workspace(), 100);
    app.select_index(1);
    app.focus = Pane::Request;
    let name = app.draft().unwrap().query[0].param.name.clone();
    app.draft_at(1).selected = 0; // the first query row
    app.update(Intent::Enter, &v);
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains(&format!("Value of {name} (query parameter)")), "{s}");
    app.update(Intent::Escape, &v);
    app.update(Intent::RenameRow, &v);
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.contains(&format!("Rename the query parameter {name} to")), "{s}");
    app.update(Intent::Escape, &v);
    app.update(Intent::AddHeader, &v);
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("New header name"), "{s}");
    app.update(Intent::Char('X'), &v);
    app.update(Intent::Enter, &v);
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("Value of X (header)"), "{s}");
}
