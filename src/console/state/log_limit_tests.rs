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

/// `journal_limit_mb`: the journal on disk stays within its bound through a flood, the help
/// overlay shows its size and what it dropped, the Messages title stops promising everything,
/// and the saved file's first line says how many events were dropped.
#[test]
fn test_a_bounded_journal_shows_its_size_and_says_what_it_dropped() {
    let mut app = App::new(workspace(), 100);
    let limit = 16 << 10;
    let mut journal = Journal::bounded(None, Some(limit)).unwrap();
    connect(&mut app);
    let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
    // The runtime's own ingest path: batches of events, journalled then applied.
    for b in 0..20u64 {
        let batch: Vec<Event> = (0..50u64)
            .map(|i| received(&app, 100 + b * 50 + i, &format!("flood {b}/{i} {}", "y".repeat(30))))
            .collect();
        crate::console::runtime::ingest_slice(&mut app, &mut journal, batch, &mut rx);
    }
    let stats = app.journal;
    assert!(stats.bytes <= limit + 200 && stats.bytes > 0, "{stats:?}");
    assert!(stats.dropped > 0, "{stats:?}");
    app.update(Intent::Help, &Viewport::default());
    let s = screen(&mut app);
    let footer =
        format!("session journal {} of 16.0 KiB · {} older events dropped", view_size(stats.bytes), stats.dropped);
    assert!(s.contains(&footer), "{footer:?} not in:\n{s}");
    app.update(Intent::Escape, &Viewport::default());
    let s = screen(&mut app);
    assert!(s.contains("s saves the newest") && !s.contains("s saves all"), "{s}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ndjson");
    journal.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!((first["kind"].as_str(), first["events"].as_u64()), (Some("dropped"), Some(stats.dropped)));
}

fn view_size(n: u64) -> String {
    crate::console::view::human_size(n)
}
