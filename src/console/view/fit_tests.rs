//! Text that does not fit is wrapped or shortened by priority, never cut inside a word
//! (issue 14, bug 6), at the smallest layout (80×24) and a common one (120×36).

use std::collections::HashSet;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::tests::{connected_app, fixed_jwt, render, screen, viewport};
use crate::console::keymap;
use crate::console::state::{App, Intent, Notice, Pane, Reply, Viewport};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 36)];

fn status_line(s: &str, rows: usize) -> String {
    s.lines().rev().take(rows).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// The status bar's first line ends with a whole `key hint` pair (or with the state alone).
#[track_caller]
fn assert_hints_whole(app: &App, line: &str) {
    let line = line.trim_end();
    let whole = keymap::hints(app.input_context())
        .into_iter()
        .flat_map(|(k, h)| [format!("{k} {h}"), format!("{k} disconnect")])
        .any(|piece| line.ends_with(&piece));
    let bare = ["Connected", "Disconnected"].iter().any(|w| line.ends_with(w)) || line.ends_with(char::is_numeric);
    assert!(whole || bare, "the status bar ends inside a hint: {line:?}");
}

#[test]
fn test_status_hints_and_composer_footer_are_whole_at_80x24_and_120x36() {
    for (w, h) in SIZES {
        for focus in [Pane::Apis, Pane::Request, Pane::Messages, Pane::Composer] {
            let mut app = connected_app();
            app.focus = focus;
            let s = screen(&render(&mut app, w, h));
            let last = s.lines().last().unwrap_or_default().to_string();
            assert_hints_whole(&app, &last);
            let footer = s.lines().find(|l| l.contains("Enter send")).unwrap_or_default();
            for key in ["Alt-Enter", "F2", "F3", "F4"] {
                if footer.contains(key) {
                    let whole = ["Alt-Enter new line", "F2 text/binary", "F3 ping", "F4 close"];
                    assert!(whole.iter().any(|p| p.starts_with(key) && footer.contains(p)), "{key} cut in {footer:?}");
                }
            }
        }
    }
    let mut app = connected_app();
    let s = screen(&render(&mut app, 80, 24));
    insta::assert_snapshot!("fit_80x24_composer", s);
}

#[test]
fn test_f5_says_disconnect_while_connected() {
    let mut app = connected_app();
    app.focus = Pane::Apis;
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.lines().last().unwrap_or_default().contains("F5 disconnect"), "{s}");
    app.update(Intent::ShowTrace, &Viewport::default());
    let s = screen(&render(&mut app, 120, 36));
    assert!(s.contains("F5 disconnect") && !s.contains("F5 connect again"), "{s}");
}

#[test]
fn test_a_long_notice_is_shown_whole_below_whole_hints() {
    let text = "F1 h not valid hex: expected pairs of hex digits such as `de ad be ef`, found `h` at \
                position 1; switch to text with F2 or fix the digits and press Enter again";
    for (w, h) in SIZES {
        let mut app = connected_app();
        app.on_reply(Reply::Report(Notice { text: text.into(), error: true }));
        let s = screen(&render(&mut app, w, h));
        let rows = super::status::status_height(&app, w) as usize;
        assert!(rows > 1, "the notice needs rows of its own at {w}");
        let bar = status_line(&s, rows);
        let first = bar.lines().next().unwrap_or_default();
        assert_hints_whole(&app, first);
        let joined: String = bar.lines().skip(1).map(str::trim).collect::<Vec<_>>().join(" ");
        assert_eq!(joined, text, "the notice, read across its rows at {w}×{h}");
        insta::assert_snapshot!(format!("fit_long_notice_{w}x{h}"), s);
    }
    // A short one shares the line, and the hints beside it stay whole.
    let mut app = connected_app();
    app.on_reply(Reply::Report(Notice { text: "saved".into(), error: false }));
    let s = screen(&render(&mut app, 80, 24));
    let last = s.lines().last().unwrap_or_default();
    assert!(last.ends_with("saved"), "{last}");
    assert_hints_whole(&app, last.trim_end().trim_end_matches("saved"));
}

/// Every word of the help text, its headings and its footer.
fn help_words() -> HashSet<String> {
    let mut words: HashSet<String> =
        ["Help", "—", "keys", "Esc", "close", "·", "↑/↓", "scroll"].iter().map(|w| w.to_string()).collect();
    for (heading, keys, help) in keymap::help_lines() {
        for text in [heading.unwrap_or(""), keys.as_str(), help] {
            words.extend(text.split_whitespace().map(str::to_string));
        }
    }
    words
}

#[test]
fn test_help_overlay_wraps_words_and_scrolls_to_its_last_line() {
    let words = help_words();
    for (w, h) in SIZES {
        let mut app = connected_app();
        app.update(Intent::Help, &Viewport::default());
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut seen_last = false;
        for _ in 0..60 {
            t.draw(|f| super::draw(f, &app)).unwrap();
            let s = screen(&t);
            // Inside the overlay's borders only (the panes show around it).
            let width = (w - 4).min(110) as usize;
            let x0 = (w as usize - width) / 2;
            for line in s.lines().skip(2).take(h as usize - 4) {
                let inside: String = line.chars().skip(x0 + 1).take(width - 2).collect();
                for word in inside.split_whitespace() {
                    assert!(words.contains(word), "{word:?} is not a whole word of the help at {w}×{h}:\n{s}");
                }
            }
            seen_last |= s.contains("wheel") && s.contains("focus a pane and select a row");
            app.update(Intent::PageDown, &viewport(&app, w, h));
        }
        assert!(seen_last, "the help's last lines were never shown at {w}×{h}");
        let s = screen(&t);
        assert!(s.contains("wheel"), "scrolled far past the end, the last line stays at the bottom:\n{s}");
    }
    let mut app = connected_app();
    app.update(Intent::Help, &Viewport::default());
    insta::assert_snapshot!("fit_help_80x24", screen(&render(&mut app, 80, 24)));
}

#[test]
fn test_token_countdown_is_shortened_not_cut_at_80x24() {
    let mut app = App::new(crate::console::state::tests::workspace(), 100);
    app.now = std::time::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    app.update(Intent::Down, &Viewport::default());
    app.draft_at(1).query.push(crate::console::state::request::Row {
        param: wstab_core::connection::Param::new("access_token", fixed_jwt()).secret(),
        revealed: false,
    });
    app.focus = Pane::Request;
    let s = screen(&render(&mut app, 80, 24));
    // The table's row, not the URL above it (which wraps at this width and names it too). The
    // name gives way (`access_tok…`) so the countdown and the mask are both whole.
    let row = s.lines().find(|l| l.contains("[x] access_tok")).unwrap_or_default();
    assert!(row.contains(&format!("59m {}", wstab_core::secret::MASK)), "the countdown is kept, shortened: {row}");
    assert!(!row.contains("expi") || row.contains("expires in 59m"), "cut inside a word: {row}");
    let s = screen(&render(&mut app, 160, 40));
    assert!(s.contains("expires in 59m"), "{s}");
}

/// A message of about 4.9 KiB opened in full: PgDn, End and PgDn again stop with its last line
/// at the bottom of the box (never an empty box); Home goes back to the top. The title says
/// which way it went.
#[test]
fn test_detail_view_stops_at_the_end_and_has_home_and_end() {
    let mut app = connected_app();
    let long: String = (0..120).map(|i| format!("line {i:03} of a long message that wraps\n")).collect();
    let e = wstab_core::connection::Event {
        session: app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default(),
        at: crate::console::state::tests::at(5_000),
        kind: wstab_core::connection::EventKind::Frame {
            dir: wstab_core::connection::Direction::In,
            frame: wstab_core::connection::Frame::Text(long.clone().into()),
        },
    };
    app.on_event(e);
    app.focus = Pane::Messages;
    app.update(Intent::Last, &Viewport::default());
    app.update(Intent::Enter, &Viewport::default());
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let seen = |app: &mut App| screen(&render(app, 80, 24));
    let s = seen(&mut app);
    assert!(s.contains("← received · text") && s.contains("line 000"), "{s}");
    for key in [Intent::PageDown, Intent::PageDown, Intent::PageDown, Intent::PageDown, Intent::Last, Intent::PageDown]
    {
        seen(&mut app);
        app.update(key, &super::viewport(area, &app));
    }
    let s = seen(&mut app);
    assert!(s.contains("line 119"), "the last line is shown after PgDn and End:\n{s}");
    assert!(s.contains("line 10"), "the box is full, not scrolled past the end:\n{s}");
    app.update(Intent::PageUp, &super::viewport(area, &app));
    let s = seen(&mut app);
    assert!(!s.contains("line 119"), "one PgUp from the end moves up at once:\n{s}");
    app.update(Intent::First, &Viewport::default());
    let s = seen(&mut app);
    assert!(s.contains("line 000"), "{s}");
}

/// With `NO_COLOR` no cell carries a colour, and the selected row still stands out (reversed).
#[test]
fn test_no_color_draws_without_colours_and_keeps_the_selection_visible() {
    use ratatui::style::{Color, Modifier};
    let mut app = connected_app();
    app.focus = Pane::Apis;
    let mut t = render(&mut app, 80, 24);
    assert!(t.backend().buffer().content.iter().any(|c| c.fg != Color::Reset), "colours by default");
    t.draw(|f| {
        super::draw_panes(f, &app);
        super::strip_colours(f.buffer_mut());
    })
    .unwrap();
    let buf = t.backend().buffer();
    assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset), "a colour is left");
    assert!(buf.content.iter().any(|c| c.modifier.contains(Modifier::REVERSED)), "the selection is not visible");
}
