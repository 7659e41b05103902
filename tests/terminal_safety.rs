//! A server's message is shown inert, never interpreted by the terminal: ANSI escapes, C0/C1
//! controls, bidi overrides and a very long line, in the console (the Messages list and the
//! detail view, on a `TestBackend`) and in `wstab connect` printing to a real terminal (tmux).

mod common;

use std::time::{Duration, SystemTime};

use common::tmux::Tmux;
use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::io::AsyncWriteExt;
use wstab::console::state::{App, Effect, Intent, Pane, Viewport};
use wstab_core::connection::{Direction, Event, EventKind, Frame, Utf8Bytes};
use wstab_core::workspace::{Api, Workspace};

/// Everything a terminal might act on, then 5000 characters on one line.
fn hostile_text() -> String {
    format!(
        "red\x1b[31mRED\x1b[0m clear\x1b[2J\x1b[Hhome title\x1b]0;pwned\x07 csi\u{9b}31m bell\x07 bs\x08 cr\r del\x7f nul\0 rlo\u{202e}evil\u{202c} iso\u{2066}x\u{2069} nel\u{85} {}END",
        "L".repeat(5000)
    )
}

/// A character a terminal could act on.
fn dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn render(app: &mut App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    t.draw(|f| wstab::console::view::draw(f, app)).expect("draw");
    t
}

/// The screen as text, failing if any cell holds a character a terminal would interpret.
#[track_caller]
fn inert_screen(t: &Terminal<TestBackend>, what: &str) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            assert!(!sym.chars().any(dangerous), "{what}: cell ({x},{y}) holds {sym:?}");
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

#[test]
fn test_hostile_message_is_inert_in_the_messages_list_and_the_detail_view() {
    let api = Api {
        name: "echo".into(),
        display_name: String::new(),
        url_suffix: "echo".into(),
        query: vec![],
        headers: vec![],
        subprotocols: vec![],
        sample_message: None,
    };
    let mut app = App::new(Workspace { name: "t".into(), gateway: "ws://127.0.0.1:9".into(), apis: vec![api] }, 100);
    let Some(Effect::Connect { session, .. }) = app.update(Intent::ToggleConnection, &Viewport::default()) else {
        panic!("no connect")
    };
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let ev = |kind| Event { session, at, kind };
    app.on_event(ev(EventKind::Opened { subprotocol: None, elapsed: Duration::ZERO }));
    let text = hostile_text();
    let frame = Frame::Text(Utf8Bytes::from(text.clone()));
    app.on_event(ev(EventKind::Frame { dir: Direction::In, frame }));

    let s = inert_screen(&render(&mut app), "Messages list");
    assert!(s.contains("red\\x1b[31mRED\\x1b[0m"), "escapes not shown escaped:\n{s}");

    app.focus = Pane::Messages;
    app.update(Intent::Last, &Viewport::default());
    app.update(Intent::Enter, &Viewport::default());
    assert!(app.modals.view().is_some(), "the detail view did not open");
    let s = inert_screen(&render(&mut app), "detail view");
    for shown in
        ["red\\x1b[31mRED", "\\x1b]0;pwned\\x07", "\\x9b31m", "\\x08", "\\r", "\\x7f", "\\x00", "\\u{202e}evil"]
    {
        assert!(s.contains(shown), "{shown} not in the detail view:\n{s}");
    }
    // The detail view keeps going past the screen: scrolling to the end reaches the end marker.
    let mut reached = false;
    for _ in 0..40 {
        app.update(Intent::Down, &Viewport::default());
        let s = inert_screen(&render(&mut app), "detail view, scrolled");
        if s.contains("END") {
            reached = true;
            break;
        }
    }
    assert!(reached, "the end of the long line is not reachable by scrolling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
async fn test_connect_prints_a_hostile_message_inert_to_a_terminal() {
    // A server that sends the hostile text as one text frame after the upgrade.
    let addr = raw_server(|mut tcp| async move {
        let head = read_head(&mut tcp).await;
        let _ = tcp.write_all(switching_protocols(&head, "").as_bytes()).await;
        let payload = hostile_text().into_bytes();
        let mut frame = vec![0x81, 126];
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        frame.extend_from_slice(&payload);
        let _ = tcp.write_all(&frame).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let data = tempfile::tempdir().expect("tempdir");
    let command = format!(
        "printf 'BEFORE\\n'; WSTAB_DATA_DIR='{}' '{}' connect ws://{addr}/ --count 1; echo EXIT=$?; sleep 30",
        data.path().display(),
        env!("CARGO_BIN_EXE_wstab")
    );
    let tmux = Tmux::start("test_connect_prints_a_hostile_message_inert_to_a_terminal", 200, 60, &command);
    // Joined wrapped lines, so the long line reads as one.
    let screen = tmux.wait_for_with("wstab connect to finish", WAIT, Tmux::capture_joined, |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
    // Not interpreted: the clear-screen and cursor-home did not erase what was printed before…
    assert!(screen.starts_with("BEFORE\n"), "the screen was cleared or the cursor moved:\n{screen}");
    // …the escapes are there as text…
    for shown in ["red\\x1b[31mRED\\x1b[0m", "\\x1b[2J\\x1b[H", "\\x1b]0;pwned\\x07", "\\x9b31m", "\\u{202e}evil"] {
        assert!(screen.contains(shown), "{shown} not shown literally:\n{screen}");
    }
    assert!(screen.contains(&format!("{}END", "L".repeat(5000))), "the long line is whole");
    // …no colour was set (capture with attributes shows none)…
    let styled = tmux.capture_styled();
    assert!(!styled.contains("\x1b[31m") && !styled.contains("\x1b[0;31m"), "text was coloured:\n{styled:?}");
    // …and the title was not changed.
    let title = tmux.display("#{pane_title}");
    assert!(!title.contains("pwned"), "the pane title was set to {title:?}");
}
