//! Issue 14's third walk through the console (120×36 and 80×24), drawn on ratatui's
//! `TestBackend`: the composer wraps, the gateway view names its API and fits its columns, the
//! Messages border says "paused" only when something newer waits, and a question names its keys
//! once.

use super::tests::{connected_app, render, screen};
use crate::console::state::tests::{at, workspace};
use crate::console::state::{App, Intent, Pane, Reply, Viewport};
use wstab_core::connection::{Direction, Event, EventKind, Frame, Utf8Bytes};

/// The inside of the pane whose top border holds `title`, row by row (borders cut off).
fn pane_rows(s: &str, title: &str) -> Vec<String> {
    let lines: Vec<&str> = s.lines().collect();
    let top = lines.iter().position(|l| l.contains(title)).unwrap_or_else(|| panic!("no {title}:\n{s}"));
    let left = lines[top].chars().position(|c| matches!(c, '┌' | '┏')).expect("a top-left corner");
    lines[top + 1..]
        .iter()
        .take_while(|l| !l.chars().nth(left).is_some_and(|c| matches!(c, '└' | '┗')))
        .map(|l| l.chars().skip(left + 1).take_while(|c| !matches!(c, '│' | '┃')).collect::<String>())
        .collect()
}

fn push_text(app: &mut App, dir: Direction, ms: u64, text: &str) {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let frame = Frame::Text(Utf8Bytes::from(text.to_string()));
    app.on_event(Event { session, at: at(ms), kind: EventKind::Frame { dir, frame } });
}

#[test]
fn test_a_long_one_line_message_wraps_at_words_with_the_cursor_on_its_last_row() {
    let text = "this is a rather long single line message that should wrap onto the next rows of the \
                composer instead of running off its right edge, word by word";
    for (w, h) in [(80, 24), (120, 36)] {
        let mut app = connected_app();
        app.tab.composer.editor.set_text(text);
        let mut t = render(&mut app, w, h);
        let s = screen(&t);
        let rows = pane_rows(&s, "Message · text");
        let words: Vec<&str> = rows.iter().flat_map(|r| r.split_whitespace()).collect();
        assert_eq!(words.join(" "), text, "every word whole, none off the edge at {w}×{h}:\n{s}");
        let used: Vec<&String> = rows.iter().filter(|r| !r.trim().is_empty()).collect();
        assert!(used.len() >= 2, "{s}");
        // The cursor sits just after the last word, on the last row.
        let cursor = t.get_cursor_position().unwrap();
        let lines: Vec<&str> = s.lines().collect();
        let row = lines[cursor.y as usize];
        let before: String = row.chars().take(cursor.x as usize).collect();
        assert!(before.ends_with("word by word"), "cursor at {cursor:?} at {w}×{h}:\n{s}");
    }
}

#[test]
fn test_the_composer_never_splits_a_grapheme_and_keeps_a_cursor_at_a_full_rows_end_inside() {
    // 80 columns: the composer's inside is 56 wide. A family emoji (one grapheme, 2 columns)
    // straddling the edge moves down whole.
    let mut app = connected_app();
    let family = "👨\u{200d}👩\u{200d}👧";
    let text = format!("{}{family}tail", "x".repeat(55));
    app.tab.composer.editor.set_text(&text);
    let s = screen(&render(&mut app, 80, 24));
    let rows = pane_rows(&s, "Message · text");
    assert_eq!(rows[0].trim_end(), "x".repeat(55), "{s}");
    assert!(rows[1].starts_with(family), "{s}");
    // A text that fills the row exactly: the cursor after it goes to a row of its own, inside.
    app.tab.composer.editor.set_text(&"y".repeat(56));
    let mut t = render(&mut app, 80, 24);
    let s = screen(&t);
    let cursor = t.get_cursor_position().unwrap();
    let area = super::layout(ratatui::layout::Rect::new(0, 0, 80, 24), &app).unwrap().composer;
    let body = super::inner(area);
    assert!(cursor.x < body.right() && cursor.y < body.bottom(), "cursor {cursor:?} outside {body:?}:\n{s}");
    assert_eq!((cursor.x, cursor.y), (body.x, body.y + 1), "{s}");
}

/// The demo's gateway with one relayed handshake and its end, for the API `echo` shown as
/// "Echo service".
fn gateway_app() -> App {
    use crate::console::state::gateway_records::{GatewayRecord, HandshakeRecord};
    let mut ws = workspace();
    ws.apis[0].display_name = "Echo service".into();
    let mut app = App::new(ws, 100);
    app.on_reply(Reply::GatewayRecords(vec![
        GatewayRecord::Handshake(HandshakeRecord {
            time: "2026-11-26T12:00:01Z".into(),
            api: Some("echo".into()),
            // As the gateway writes it: masked with `secret::mask_url`.
            url: wstab_core::secret::mask_url("/echo?subscription-key=abcdef0123&trace=on", &[]),
            status: 101,
            reason: "relayed to the backend".into(),
            client: "127.0.0.1:50123".into(),
            duration_ms: 2,
            policies: Vec::new(),
        }),
        super::tests::connection_end(),
    ]));
    app.update(Intent::GatewayView, &Viewport::default());
    app
}

#[test]
fn test_the_gateway_view_names_the_api_as_shown_and_fits_its_url_with_the_whole_mask() {
    let mask = wstab_core::secret::MASK;
    for (w, h) in [(80, 24), (120, 36), (200, 40)] {
        let mut app = gateway_app();
        let s = screen(&render(&mut app, w, h));
        assert!(s.contains("Gateway: Echo service"), "the display name, not the id, at {w}×{h}:\n{s}");
        let rows = pane_rows(&s, "Gateway: ");
        let handshake = rows.iter().find(|r| r.contains("onHandshake")).unwrap_or_else(|| panic!("{s}"));
        let url = handshake.trim_end().split("  ").last().unwrap_or_default();
        assert!(url.starts_with("/echo?"), "{url:?} at {w}×{h}:\n{s}");
        // The mask is shown whole, as everywhere else, or not at all; a cut URL ends in `…`.
        let dots = url.chars().filter(|c| *c == '•').count();
        assert!(dots == 0 || dots == mask.chars().count(), "{url:?} at {w}×{h}");
        let whole = format!("/echo?subscription-key={mask}&trace=on");
        assert!(url == whole || url.ends_with('…'), "{url:?} at {w}×{h}:\n{s}");
        // Every row ends inside the box: nothing is cut by its border.
        for r in &rows {
            let cells: Vec<&str> = r.split_whitespace().collect();
            for cell in ["onHandshake", "onClose"] {
                if r.contains(&cell[..4]) {
                    assert!(cells.contains(&cell), "{cell} cut at {w}×{h}:\n{s}");
                }
            }
        }
    }
    let s = screen(&render(&mut gateway_app(), 200, 40));
    assert!(s.contains(&format!("/echo?subscription-key={mask}&trace=on")), "wide enough, whole:\n{s}");
    assert!(s.contains("relayed to the backend"), "{s}");
}

#[test]
fn test_a_search_on_the_newest_row_does_not_say_paused_until_something_newer_arrives() {
    let mut app = connected_app();
    app.focus = Pane::Messages;
    app.update(Intent::Search, &Viewport::default());
    for c in "pong".chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
    app.update(Intent::Enter, &Viewport::default());
    assert!(!app.tab.messages.following(), "the match is selected");
    let s = screen(&render(&mut app, 80, 24));
    let title = s.lines().find(|l| l.contains("Messages")).unwrap_or_default().to_string();
    assert!(!title.contains("paused") && !title.contains("0 newer"), "{title}");
    assert!(title.contains("End follows"), "{title}");
    // Something newer arrives: now the view holds it back, and says so.
    push_text(&mut app, Direction::In, 90_000, "later");
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("paused · 1 newer · End follows"), "{s}");
}

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

#[test]
fn test_search_results_put_n_and_shift_n_first_in_the_status_hints() {
    let mut app = connected_app();
    app.focus = Pane::Messages;
    let bar = |app: &mut App, w| screen(&render(app, w, 24)).lines().last().unwrap_or_default().to_string();
    assert!(!bar(&mut app, 120).contains("n/N"), "no search, no n/N");
    app.update(Intent::Search, &Viewport::default());
    for c in "hello".chars() {
        app.update(Intent::Char(c), &Viewport::default());
    }
    app.update(Intent::Enter, &Viewport::default());
    for w in [80, 120] {
        let b = bar(&mut app, w);
        assert!(b.contains("n/N next/previous  "), "at {w}: {b}");
        assert!(b.find("n/N").unwrap() < b.find("/ search").unwrap_or(usize::MAX), "most specific first: {b}");
    }
    // Esc clears the search, and its hint goes with it.
    app.update(Intent::Escape, &Viewport::default());
    assert!(!bar(&mut app, 120).contains("n/N"));
}

#[test]
fn test_a_close_frame_reads_close_code_reason_in_its_row_and_its_detail_title_both_ways() {
    let mut app = connected_app();
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    for (i, dir) in [Direction::Out, Direction::In].into_iter().enumerate() {
        let frame = Frame::Close(Some((1000, "bye now".into())));
        app.on_event(Event { session, at: at(80_000 + i as u64), kind: EventKind::Frame { dir, frame } });
    }
    let s = screen(&render(&mut app, 80, 24));
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("close 1000 [bye now]")).collect();
    assert_eq!(rows.len(), 2, "sent and received alike:\n{s}");
    assert!(rows[0].contains("→ close") && rows[1].contains("← close"), "{s}");
    // Enter on each opens it; the title names the frame the same way, with its direction.
    app.focus = Pane::Messages;
    let v = Viewport::default();
    for (up, title) in [(2, "→ sent · close 1000 [bye now] · "), (1, "← received · close 1000 [bye now] · ")] {
        app.update(Intent::Last, &v);
        for _ in 0..up {
            app.update(Intent::Up, &v);
        }
        app.update(Intent::Enter, &v);
        let s = screen(&render(&mut app, 80, 24));
        assert!(s.contains(title), "{title:?}:\n{s}");
        app.update(Intent::Escape, &v);
    }
    // A reason too long for the title gives way at a word, and the time and size stay.
    let long = "the server is going down for maintenance now, please reconnect in a few minutes";
    let frame = Frame::Close(Some((1001, long.into())));
    app.on_event(Event { session, at: at(81_000), kind: EventKind::Frame { dir: Direction::In, frame } });
    app.update(Intent::Last, &v);
    app.update(Intent::Enter, &v);
    let s = screen(&render(&mut app, 80, 24));
    let title = s.lines().find(|l| l.contains("← received · close 1001 [the")).unwrap_or_else(|| panic!("{s}"));
    assert!(title.contains("… · ") && title.contains(" B "), "{title}");
}

#[test]
fn test_the_query_table_keeps_its_values_whole_or_ended_by_an_ellipsis_at_80_columns() {
    let mask = wstab_core::secret::MASK;
    let mut app = App::new(workspace(), 100);
    app.select_index(1); // Chat: a required, secret subscription-key, empty
    let value_of = |app: &mut App| {
        let s = screen(&render(app, 80, 24));
        let rows = pane_rows(&s, "Query parameters");
        let row = rows.iter().find(|r| r.starts_with("[")).unwrap_or_else(|| panic!("{s}")).trim_end().to_string();
        (row, s)
    };
    let (row, s) = value_of(&mut app);
    assert!(row.ends_with(" required"), "the word whole: {row:?}\n{s}");
    // A value: the mask is shown whole, the long name gives way with `…`.
    app.draft_at(1).query[0].param.value = "abcdef0123456789".into();
    let (row, s) = value_of(&mut app);
    assert!(row.ends_with(&format!(" {mask}")), "{row:?}\n{s}");
    assert!(row.contains("…*"), "the name ends in … and keeps its *: {row:?}");
    // Revealed, the long value ends in `…`.
    app.draft_at(1).query[0].revealed = true;
    let (row, s) = value_of(&mut app);
    assert!(row.ends_with('…') && row.contains(" abcdef"), "{row:?}\n{s}");
    // Disabled while required: said in a whole word.
    app.draft_at(1).query[0].revealed = false;
    app.draft_at(1).query[0].param.value.clear();
    app.draft_at(1).query[0].param.enabled = false;
    let (row, s) = value_of(&mut app);
    assert!(row.ends_with(" disabled"), "{row:?}\n{s}");
    // At 120 columns there is room for all of it.
    app.draft_at(1).query[0].param.enabled = true;
    app.draft_at(1).query[0].param.value = "abcdef0123456789".into();
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.contains(&format!("[x] subscription-key* {mask}")), "{s}");
}

#[test]
fn test_scroll_hints_show_only_where_something_scrolls() {
    let has_hints = |s: &str| (s.contains("↑/↓ scroll"), s.lines().last().unwrap_or_default().contains("↓ scroll"));
    let mut app = connected_app();
    app.focus = Pane::Messages;
    // A short message fits its detail view: no scroll hint, neither on the box nor in the bar.
    push_text(&mut app, Direction::In, 90_000, "short");
    app.update(Intent::Enter, &Viewport::default());
    for (w, h) in [(80, 24), (120, 36)] {
        let s = screen(&render(&mut app, w, h));
        assert!(s.contains("short"), "{s}");
        assert_eq!(has_hints(&s), (false, false), "nothing to scroll at {w}×{h}:\n{s}");
    }
    app.update(Intent::Escape, &Viewport::default());
    // Sixty lines do not fit: both hints.
    let long: Vec<String> = (1..=60).map(|i| format!("line {i}")).collect();
    push_text(&mut app, Direction::In, 91_000, &long.join("\n"));
    app.update(Intent::Enter, &Viewport::default());
    let s = screen(&render(&mut app, 80, 24));
    assert_eq!(has_hints(&s), (true, true), "{s}");
    app.update(Intent::Escape, &Viewport::default());
    // The help overlay always has more than 24 rows of keys.
    app.update(Intent::Help, &Viewport::default());
    assert_eq!(has_hints(&screen(&render(&mut app, 80, 24))), (true, true));
}

#[test]
fn test_the_gateway_view_scrolls_to_its_last_record_and_no_further() {
    use crate::console::state::gateway_records::{GatewayRecord, HandshakeRecord};
    let mut app = gateway_app();
    let records = (0..40)
        .map(|i| {
            GatewayRecord::Handshake(HandshakeRecord {
                time: format!("2026-11-26T12:{:02}:00Z", i),
                api: Some("echo".into()),
                url: "/echo".into(),
                status: 101,
                reason: format!("relayed #{i}"),
                client: "127.0.0.1:50123".into(),
                duration_ms: 1,
                policies: Vec::new(),
            })
        })
        .collect();
    app.on_reply(Reply::GatewayRecords(records));
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("↑/↓ scroll"), "{s}");
    // End shows the oldest record at the bottom, the box full: not an empty page past it.
    app.update(Intent::Last, &super::tests::viewport(&app, 80, 24));
    let s = screen(&render(&mut app, 80, 24));
    let rows = pane_rows(&s, "Gateway: ");
    let last = rows.iter().rposition(|r| !r.trim().is_empty()).unwrap_or(0);
    assert_eq!(last, rows.len() - 1, "the box is full to its bottom:\n{s}");
    assert!(rows[last].contains("relayed to the") || rows[last].contains("onHandshake"), "{s}");
}
