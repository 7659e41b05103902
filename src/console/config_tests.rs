//! `config.toml`: errors at `file:line:col`, rebindings reaching dispatch, the help overlay and
//! the status hints, the defaults it sets, and the shipped example.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::console::state::tests::workspace;
use crate::console::state::{App, Effect, Viewport};

#[track_caller]
fn error(text: &str) -> TomlError {
    parse("/home/u/.config/wstab/config.toml", text).expect_err("the file should be refused")
}

#[test]
fn test_unknown_keys_and_bad_values_are_errors_at_file_line_col() {
    let e = error("theme = \"dark\"\ncolour = \"red\"\n");
    assert_eq!((e.line, e.col), (2, 1), "{e}");
    assert!(
        e.to_string().starts_with("/home/u/.config/wstab/config.toml:2:1: ") && e.message.contains("colour"),
        "{e}"
    );
    let e = error("[defaults]\nlog_limit = 5\nlog_limt = 5\n");
    assert_eq!((e.line, e.col), (3, 1), "{e}");
    let e = error("theme = \"sepia\"\n");
    assert_eq!((e.line, e.col), (1, 9), "{e}");
    assert!(e.message.contains("dark") && e.message.contains("light"), "{e}");
    let e = error("[defaults]\nlog_limit = \"lots\"\n");
    assert_eq!((e.line, e.col), (2, 13), "{e}");
    // In [keys]: a key wstab cannot read is reported at the value…
    let e = error("[keys]\ntoggle_connection = \"F99\"\n");
    assert_eq!((e.line, e.col), (2, 21), "{e}");
    assert!(e.message.contains("unknown key `F99`"), "{e}");
    let e = error("[keys]\nping = [\"F9\", \"Hyper-X\"]\n");
    assert_eq!((e.line, e.col), (2, 8), "{e}");
    // …an action or a scope that does not exist at the name…
    let e = error("[keys]\n\n  conect = \"F9\"\n");
    assert_eq!((e.line, e.col), (3, 3), "{e}");
    assert!(e.message.contains("no key does `conect`"), "{e}");
    let e = error("[keys]\n\"panes.search\" = \"F9\"\n");
    assert!(e.message.contains("unknown scope `panes`"), "{e}");
    // …and a key that would never fire or would stop typing, at the value.
    let e = error("[keys]\n\"messages.search\" = \"f\"\n");
    assert!(e.message.contains("`f` is already `cycle_filter`"), "{e}");
    let e = error("[keys]\ntoggle_connection = \"x\"\n");
    assert!(e.message.contains("would stop typing"), "{e}");
}

#[test]
fn test_a_bad_file_leaves_the_defaults_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "[keys]\nping = \"F3\"\n[defaults]\nbogus = 1\n").unwrap();
    let (config, err) = load(dir.path());
    let err = err.expect("an error").to_string();
    assert!(err.contains("config.toml:4:1:") && err.contains("bogus"), "{err}");
    assert_eq!(config.keys.label_for(&Intent::ToggleConnection), "F5", "the defaults, whole");
    // No file: the defaults and no error.
    let empty = tempfile::tempdir().unwrap();
    let (config, err) = load(empty.path());
    assert!(err.is_none() && config.sequence_ack && config.journal_limit.is_none());
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Option<Effect> {
    let action = app.keys.action_for_key(&KeyEvent::new(code, mods), app.input_context())?;
    app.update(action, &Viewport::default())
}

#[test]
fn test_a_rebinding_takes_effect_in_dispatch_hints_and_notices() {
    let config =
        parse("config.toml", "[keys]\ntoggle_connection = \"F9\"\n\"messages.search\" = [\"/\", \"Ctrl-F\"]\n")
            .expect("parses");
    let mut app = App::new(workspace(), 100);
    app.apply_config(&config);
    // F5 is free now; F9 connects.
    assert_eq!(press(&mut app, KeyCode::F(5), KeyModifiers::NONE), None);
    assert!(matches!(press(&mut app, KeyCode::F(9), KeyModifiers::NONE), Some(Effect::Connect { .. })));
    assert_eq!(app.key_for(&Intent::ToggleConnection), "F9");
    let hints = app.keys.hints(app.input_context());
    assert!(hints.iter().any(|(k, h)| k == "F9" && *h == "connect"), "{hints:?}");
    assert!(!hints.iter().any(|(k, _)| k == "F5"), "{hints:?}");
    // Both search keys work in Messages.
    app.focus = Pane::Messages;
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(app.input_context(), InputContext::Prompt, "Ctrl-F opens the search prompt");
}

#[test]
fn test_defaults_set_what_they_name() {
    let config = parse(
        "config.toml",
        "theme = \"light\"\n[defaults]\nlog_limit = 42\nsequence_ack = false\nconfirm_quit = false\njournal_limit_mb = 3\n",
    )
    .unwrap();
    assert_eq!(config.theme, ThemeName::Light);
    assert_eq!(config.log_limit, Some(42));
    assert_eq!(config.journal_limit, Some(3 << 20));
    let mut app = App::new(workspace(), log_limit(None, &config));
    app.apply_config(&config);
    assert_eq!(app.tab.log.limit(), 42);
    assert!(!app.auto_ack && !app.confirm_quit);
    assert_eq!(app.theme, ThemeName::Light);
    // confirm_quit = false: q quits at once while connected, where the default asks first.
    crate::console::state::tests::connect(&mut app);
    assert_eq!(press(&mut app, KeyCode::Char('q'), KeyModifiers::NONE), Some(Effect::Quit));
    let mut asking = App::new(workspace(), 100);
    crate::console::state::tests::connect(&mut asking);
    assert_eq!(press(&mut asking, KeyCode::Char('q'), KeyModifiers::NONE), None, "the default asks");
}

#[test]
fn test_default_subprotocols_fill_in_for_a_url_that_names_none() {
    let config = parse("config.toml", "[defaults]\nsubprotocols = [\"json.webpubsub.azure.v1\"]\n").unwrap();
    let mut app = App::new(workspace(), 100);
    app.apply_config(&config);
    let plain = wstab_core::request::Request::from_url("ws://127.0.0.1:9/client/hubs/chat").unwrap();
    app.open_request(plain.clone());
    assert_eq!(app.draft().unwrap().subprotocols, ["json.webpubsub.azure.v1"]);
    // `-s` on the command line (or a request that has its own) wins.
    let mut own = plain;
    own.subprotocols = vec!["chat.v1".into()];
    app.open_request(own);
    assert_eq!(app.draft().unwrap().subprotocols, ["chat.v1"]);
    // Without the setting nothing is added.
    let mut bare = App::new(workspace(), 100);
    bare.open_request(wstab_core::request::Request::from_url("ws://127.0.0.1:9/x").unwrap());
    assert!(bare.draft().unwrap().subprotocols.is_empty());
}

#[test]
fn test_the_shipped_example_parses_as_it_is_and_with_its_examples_uncommented() {
    let config = parse("config.example.toml", EXAMPLE).expect("the example parses");
    assert_eq!(config.keys.label_for(&Intent::ToggleConnection), "F5");
    let live: String = EXAMPLE.lines().map(|l| l.strip_prefix("#: ").unwrap_or(l).to_string() + "\n").collect();
    let config = parse("config.example.toml", &live).expect("the uncommented example parses");
    assert_eq!(config.keys.label_for(&Intent::ToggleConnection), "F9");
    assert_eq!(config.journal_limit, Some(512 << 20));
}

#[test]
fn test_keys_read_as_the_help_writes_them() {
    let k = |code, mods| Key { code, mods };
    assert_eq!(parse_key("F5"), Ok(k(KeyCode::F(5), KeyModifiers::NONE)));
    assert_eq!(parse_key("Ctrl-L"), Ok(k(KeyCode::Char('l'), KeyModifiers::CONTROL)));
    assert_eq!(parse_key("ctrl-pgdn"), Ok(k(KeyCode::PageDown, KeyModifiers::CONTROL)));
    assert_eq!(parse_key("Alt-Enter"), Ok(k(KeyCode::Enter, KeyModifiers::ALT)));
    assert_eq!(parse_key("Shift-Tab"), Ok(k(KeyCode::BackTab, KeyModifiers::NONE)));
    assert_eq!(parse_key("Space"), Ok(k(KeyCode::Char(' '), KeyModifiers::NONE)));
    assert_eq!(parse_key("G"), Ok(k(KeyCode::Char('G'), KeyModifiers::NONE)));
    assert_eq!(parse_key("?"), Ok(k(KeyCode::Char('?'), KeyModifiers::NONE)));
    assert_eq!(parse_key("-"), Ok(k(KeyCode::Char('-'), KeyModifiers::NONE)));
    assert!(parse_key("F0").is_err() && parse_key("Ctrl-").is_err() && parse_key("qq").is_err());
    // Every label the help shows reads back as its key.
    for b in Keymap::default().bindings() {
        assert_eq!(parse_key(&key_label(b.key)), Ok(b.key), "{}", key_label(b.key));
    }
}
