//! `--log-limit N`, as the README promises it: the console keeps the newest N entries in memory
//! (default 10000), says how many older ones were dropped from view, every tab keeps the same
//! limit, and nothing is lost to `s`, which saves the whole session.

use clap::Parser;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::tests::{at, connect, workspace};
use super::*;
use crate::cli::args::Cli;
use crate::console::message_log::Filter;
use crate::console::message_log::journal::Journal;
use wstab_core::connection::{Direction, EventKind, Frame, Utf8Bytes};

fn received(app: &App, ms: u64, text: &str) -> Event {
    let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
    let kind = EventKind::Frame { dir: Direction::In, frame: Frame::Text(Utf8Bytes::from(text.to_string())) };
    Event { session, at: at(ms), kind }
}

/// The console drawn on a TestBackend, as text.
fn screen(app: &mut App) -> String {
    let (w, h) = (120, 40);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| crate::console::view::draw(f, app)).unwrap();
    let buf = t.backend().buffer();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
}

/// What the log holds, oldest first.
fn previews(app: &App) -> Vec<String> {
    let log = &app.tab.log;
    log.slice(Filter::All, 0, log.len(Filter::All)).map(|e| e.preview()).collect()
}

#[test]
fn test_log_limit_flag_takes_n_and_defaults_to_10000() {
    use crate::console::config::{Config, log_limit};
    let unset = Cli::try_parse_from(["wstab"]).unwrap().log_limit;
    assert_eq!(log_limit(unset, &Config::default()), 10_000);
    assert_eq!(crate::console::message_log::DEFAULT_LIMIT, 10_000);
    let three = Cli::try_parse_from(["wstab", "--log-limit", "3"]).unwrap().log_limit;
    assert_eq!(three, Some(3));
    // config.toml's log_limit applies when the flag is not given; the flag wins.
    let config = Config { log_limit: Some(50), ..Config::default() };
    assert_eq!(log_limit(unset, &config), 50);
    assert_eq!(log_limit(three, &config), 3);
    assert!(Cli::try_parse_from(["wstab", "--log-limit", "many"]).is_err());
}

#[test]
fn test_console_keeps_the_newest_n_entries_and_says_how_many_were_dropped() {
    let mut app = App::new(workspace(), 3);
    connect(&mut app);
    for i in 0..10u64 {
        let e = received(&app, 100 + i, &format!("m{i}"));
        app.on_event(e);
    }
    // Connecting, opened and ten messages: twelve entries, the newest three kept.
    assert_eq!(previews(&app), ["m7", "m8", "m9"]);
    assert_eq!(app.tab.log.dropped(), 9);
    app.now = at(500);
    let s = screen(&mut app);
    assert!(s.contains("9 older dropped from view (limit 3; s saves all)"), "{s}");
    assert!(s.contains("m9") && !s.contains("m6"), "{s}");
}

#[test]
fn test_a_new_tab_keeps_the_same_log_limit() {
    let mut app = App::new(workspace(), 4);
    app.update(Intent::NewTab, &Viewport::default());
    assert_eq!(app.tab_count(), 2);
    assert_eq!(app.tab.log.limit(), 4);
    connect(&mut app);
    for i in 0..6u64 {
        let e = received(&app, 100 + i, &format!("t{i}"));
        app.on_event(e);
    }
    assert_eq!(previews(&app), ["t2", "t3", "t4", "t5"]);
}

#[test]
fn test_saving_keeps_every_entry_the_view_dropped() {
    let mut app = App::new(workspace(), 3);
    let mut journal = Journal::new(None).unwrap();
    connect(&mut app);
    // The console's loop hands every event to both the journal and the app.
    for i in 0..10u64 {
        let e = received(&app, 100 + i, &format!("m{i}"));
        journal.record(&e);
        app.on_event(e);
    }
    assert_eq!(app.tab.log.len(Filter::All), 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ndjson");
    journal.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let data: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|v| v["data"].as_str().map(str::to_string))
        .collect();
    assert_eq!(data, (0..10).map(|i| format!("m{i}")).collect::<Vec<_>>(), "{text}");
}
