//! Issue 14's last newcomer walk, over what earlier walks left out (`i`, `w`, the import report,
//! `Ctrl-R`, a refused handshake, `wstab URL`, quitting), drawn on ratatui's `TestBackend`.

use super::tests::{connected_app, render, screen};
use crate::console::state::{Intent, Viewport};

/// The status bar: the screen's last line.
fn status_bar(s: &str) -> String {
    s.lines().last().unwrap_or_default().to_string()
}

#[test]
fn test_a_yes_no_question_hints_its_answers_not_a_menus_keys() {
    let mut app = connected_app();
    app.update(Intent::AskQuit, &Viewport::default());
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.contains("Quit and close 1 connection?"), "{s}");
    // The question's own answers, Enter beside its default, named once: under the question.
    assert!(s.contains("y quit · n / Enter / Esc stay"), "{s}");
    let bar = status_bar(&s);
    assert!(!bar.contains("y yes") && !bar.contains("Enter"), "not named again in the bar: {bar}");
    assert!(!bar.contains("move") && !bar.contains("choose"), "↓ and Enter choose do nothing here: {bar}");
    assert!(bar.contains("F5 disconnect"), "the rest of the hints still follow the state: {bar}");
}

#[test]
fn test_the_saved_messages_picker_lists_a_sample_once_and_marks_cut_bodies() {
    use crate::console::state::tests::workspace;
    use crate::console::state::{App, Pane};
    let mut ws = workspace();
    let join = r#"{"type":"joinGroup","group":"lobby","ackId":1}"#;
    ws.apis[1].sample_message = Some(join.into());
    let mut app = App::new(ws, 100);
    app.select_index(1);
    app.focus = Pane::Composer;
    app.update(Intent::PickSavedMessage, &Viewport::default());
    let names: Vec<String> = app.saved_messages().into_iter().map(|m| m.name).collect();
    assert_eq!(
        names,
        ["joinGroup", "leaveGroup", "sendToGroup", "event", "invoke", "sequenceAck"],
        "the sample is the joinGroup template: listed once, by the template's name"
    );
    let s = screen(&render(&mut app, 80, 24));
    let row = s.lines().find(|l| l.contains("sendToGroup")).unwrap_or_else(|| panic!("{s}"));
    let inside = row.trim_end().trim_end_matches(|c: char| c != '┃').trim_end_matches('┃');
    assert!(inside.trim_end().ends_with('…'), "a cut body says so: {row}\n{s}");
    let sample = s.lines().find(|l| l.contains(" joinGroup ")).unwrap_or_else(|| panic!("{s}"));
    assert!(sample.contains(join) && !sample.contains('…'), "a body that fits is whole: {sample}");
}

#[test]
fn test_wstab_url_at_80_columns_breaks_the_url_at_a_slash_and_keeps_the_composers_state_whole() {
    use crate::console::state::App;
    use crate::console::state::tests::workspace;
    use wstab_core::request::Request;
    let mut app = App::new(workspace(), 100);
    app.open_request(Request::from_url("ws://127.0.0.1:7995/echo?subscription-key=k&debug=1").unwrap());
    let s = screen(&render(&mut app, 80, 24));
    // The APIs pane is 20 columns wide: the URL breaks after its `/`s, not inside the port.
    let apis: Vec<&str> = s.lines().map(|l| l.split(['┃', '│']).nth(1).unwrap_or_default().trim()).collect();
    let first = apis.iter().position(|r| *r == "ws://").unwrap_or_else(|| panic!("{s}"));
    let rows = &apis[first..first + 3];
    assert_eq!(rows, ["ws://", "127.0.0.1:7995/", "echo"], "{s}");
    // The composer's title names the URL shortened, and its state whole.
    let title = s.lines().find(|l| l.contains("Message · text")).unwrap_or_else(|| panic!("{s}"));
    assert!(title.contains("…") && title.contains("(not connected)"), "{title}");
}

#[test]
fn test_the_copy_menu_dims_what_has_nothing_to_copy_yet_and_says_why() {
    use crate::console::state::App;
    use crate::console::state::tests::workspace;
    let mut app = App::new(workspace(), 100);
    app.update(Intent::CopyMenu, &Viewport::default());
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("the selected message · no messages yet"), "{s}");
    assert!(s.contains("the handshake trace · no handshake yet"), "{s}");
    assert!(!s.contains("the request URL (secrets masked) ·"), "the URL can be copied: {s}");
    // With messages in the log, the message is there to copy.
    let mut app = connected_app();
    app.update(Intent::CopyMenu, &Viewport::default());
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("the selected message ") && !s.contains("no messages yet"), "{s}");
}

#[test]
fn test_up_and_down_move_between_the_rows_a_long_line_wraps_to_before_recalling_history() {
    use super::tests::viewport;
    use crate::console::state::Pane;
    let mut app = connected_app();
    app.focus = Pane::Composer;
    app.tab.composer.editor.set_text("an older message");
    app.tab.composer.sent();
    // One line of 18 words, wrapped to several rows at 80 columns; the cursor at its end.
    let words: Vec<String> = (0..18).map(|i| format!("word{i:02}")).collect();
    app.tab.composer.editor.set_text(&words.join(" "));
    let text = app.tab.composer.editor.text();
    let vp = viewport(&app, 80, 24);
    assert!(vp.composer_width > 0 && vp.composer_width < text.len(), "the line wraps: {vp:?}");
    let end = app.tab.composer.editor.cursor();
    app.update(Intent::Up, &vp);
    assert_eq!(app.tab.composer.editor.text(), text, "↑ on a wrapped row moves up a row, not to history");
    let (row, col) = app.tab.composer.editor.cursor();
    assert_eq!(row, 0);
    assert!(col < end.1 && end.1 - col <= vp.composer_width, "one row up, the column kept: {col} from {}", end.1);
    // The cursor is drawn one row above the last.
    let t = render(&mut app, 80, 24);
    let s = screen(&t);
    let last_row = s.lines().position(|l| l.contains(words.last().unwrap())).unwrap_or_else(|| panic!("{s}"));
    let mut t = t;
    assert_eq!(t.get_cursor_position().unwrap().y as usize, last_row - 1, "{s}");
    // Down comes back to the end; another Down (the last row) goes to history's newer side,
    // and Up from the first row recalls the older message.
    app.update(Intent::Down, &vp);
    assert_eq!(app.tab.composer.editor.cursor(), end);
    for _ in 0..10 {
        app.update(Intent::Up, &vp);
    }
    assert_eq!(app.tab.composer.editor.text(), "an older message", "past the first row: history");
    app.update(Intent::Down, &vp);
    assert_eq!(app.tab.composer.editor.text(), text, "and back to the draft");
}
