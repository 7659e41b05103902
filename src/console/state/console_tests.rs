//! Update-logic tests for profiles, import, tokens, copy and the saved-messages picker: `App`
//! driven by Actions, its effects carried out by the loop's own `effects::Outside` against a
//! temp profile store (passed by path, no process-wide env) and an OSC 52-only clipboard.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

use super::tests::{connect, workspace};
use super::*;
use crate::console::clipboard::Clipboard;
use crate::console::runtime::effects::Outside;
use wstab_core::connection::{ConnError, Direction, EventKind, FailureKind, Frame, HandshakeTrace, Param};
use wstab_core::profile::{MessageFormat, ProfileStore, SavedMessage};

/// A temp config dir and the loop's effect runner on it.
struct World {
    dir: tempfile::TempDir,
    outside: Outside,
    /// What was written to the "terminal" (OSC 52 copies).
    terminal: Vec<u8>,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ProfileStore::new(dir.path().join("profiles"));
        Self { outside: Outside::new(store, Clipboard::osc52_only()), dir, terminal: Vec::new() }
    }

    /// An app on the test workspace with this store's profiles loaded, as the loop starts it.
    fn app(&mut self) -> App {
        let mut app = App::new(workspace(), 100);
        app.on_reply(self.outside.load_profiles(Vec::new(), None));
        app
    }

    fn file(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join("profiles").join(format!("{name}.toml"))
    }

    /// Sends `action` and carries out every effect as the loop does; returns the last effect
    /// the loop would hand to sessions (connect, send…), if any.
    fn act(&mut self, app: &mut App, action: Intent) -> Option<Effect> {
        let mut next = app.update(action, &Viewport::default());
        while let Some(effect) = next.take() {
            match self.outside.carry_out(effect, &mut self.terminal) {
                Ok(answer) => next = app.on_reply(answer),
                Err(other) => return Some(other),
            }
        }
        None
    }

    fn type_text(&mut self, app: &mut App, s: &str) {
        for c in s.chars() {
            self.act(app, Intent::Char(c));
        }
    }

    /// Replaces a prompt's text.
    fn retype(&mut self, app: &mut App, s: &str) {
        let n = app.modals.prompt().map(|p| p.field.text().chars().count()).unwrap_or(0);
        for _ in 0..n {
            self.act(app, Intent::Backspace);
        }
        self.type_text(app, s);
    }

    /// The text of the last OSC 52 copy.
    fn copied(&self) -> String {
        let s = String::from_utf8_lossy(&self.terminal).into_owned();
        let start = s.rfind("\x1b]52;c;").expect("an OSC 52 sequence") + 7;
        let end = start + s[start..].find('\x07').expect("terminated");
        let bytes = base64::engine::general_purpose::STANDARD.decode(&s[start..end]).expect("base64");
        String::from_utf8(bytes).expect("utf-8")
    }
}

fn names(app: &App) -> Vec<Option<String>> {
    app.catalog.entries().iter().map(|e| e.profile_name().map(str::to_string)).collect()
}

fn notice(app: &App) -> String {
    app.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default()
}

/// A JWT (unsigned: the console only decodes) with these claims.
fn jwt(claims: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}.c2ln", e.encode(r#"{"alg":"HS256","typ":"JWT"}"#), e.encode(claims))
}

fn secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

#[test]
fn test_save_request_as_new_profile_lists_and_selects_it() {
    let mut w = World::new();
    let mut app = w.app();
    assert_eq!(names(&app), [None, None]);
    w.act(&mut app, Intent::SaveProfile);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("echo"), "the API's name is offered");
    w.retype(&mut app, "daily-echo");
    w.act(&mut app, Intent::Enter);
    assert!(notice(&app).starts_with("saved profile daily-echo to "), "{}", notice(&app));
    assert_eq!(names(&app), [None, None, Some("daily-echo".into())]);
    assert_eq!(app.selected_index(), Some(2), "the saved profile is selected");
    assert_eq!(app.draft().unwrap().base_url, "ws://127.0.0.1:9/echo");
    let text = std::fs::read_to_string(w.file("daily-echo")).unwrap();
    assert!(text.contains("gateway = \"ws://127.0.0.1:9\"") && text.contains("url_suffix = \"echo\""), "{text}");
    assert!(text.contains("body = \"hello\""), "the sample message is kept as a saved message:\n{text}");
}

#[test]
fn test_overwrite_asks_first_and_no_keeps_the_file() {
    let mut w = World::new();
    let mut app = w.app();
    w.act(&mut app, Intent::SaveProfile);
    w.act(&mut app, Intent::Enter);
    let before = std::fs::read(w.file("echo")).unwrap();
    // Edit the saved profile's request, then save it again under its own name.
    app.focus = Pane::Request;
    w.act(&mut app, Intent::AddHeader);
    w.type_text(&mut app, "X-Trace");
    w.act(&mut app, Intent::Enter);
    w.type_text(&mut app, "on");
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::SaveProfile);
    assert_eq!(w.act(&mut app, Intent::Enter), None);
    let question = app.modals.question().map(|c| c.question.clone()).unwrap_or_default();
    assert!(question.contains("\"echo\" exists") && question.contains("Overwrite"), "{question}");
    assert_eq!(app.input_context(), InputContext::Menu);
    w.act(&mut app, Intent::Char('n'));
    assert!(app.modals.question().is_none());
    assert_eq!(std::fs::read(w.file("echo")).unwrap(), before, "no: the file is untouched");
    w.act(&mut app, Intent::SaveProfile);
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::Char('y'));
    let text = std::fs::read_to_string(w.file("echo")).unwrap();
    assert!(text.contains("X-Trace"), "yes: overwritten\n{text}");
    assert_eq!(names(&app).iter().filter(|n| n.is_some()).count(), 1, "still one profile");
}

#[test]
fn test_env_reference_is_saved_as_the_reference() {
    let mut w = World::new();
    let mut app = w.app();
    app.focus = Pane::Request;
    w.act(&mut app, Intent::AddQueryParam);
    w.type_text(&mut app, "subscription-key");
    w.act(&mut app, Intent::Enter);
    w.type_text(&mut app, "${env:WSTAB_TEST_NEVER_SET_KEY}");
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::SaveProfile);
    w.act(&mut app, Intent::Enter);
    let text = std::fs::read_to_string(w.file("echo")).unwrap();
    assert!(text.contains("value = \"${env:WSTAB_TEST_NEVER_SET_KEY}\""), "{text}");
    // Connecting resolves it then, and says clearly that it is not set.
    assert_eq!(w.act(&mut app, Intent::ToggleConnection), None);
    assert!(notice(&app).contains("WSTAB_TEST_NEVER_SET_KEY is not set"), "{}", notice(&app));
    assert!(app.draft().unwrap().query[0].param.value.starts_with("${env:"), "the draft keeps the reference");
}

#[test]
fn test_save_over_an_unparseable_profile_shows_line_col_and_keeps_it() {
    let mut w = World::new();
    std::fs::create_dir_all(w.dir.path().join("profiles")).unwrap();
    let corrupt = b"version = 1\nurl = \"ws://x\"\nbogus = [\n";
    std::fs::write(w.file("broken"), corrupt).unwrap();
    let mut app = w.app();
    assert!(app.broken_profiles.contains_key("broken"));
    w.act(&mut app, Intent::SaveProfile);
    w.retype(&mut app, "broken");
    assert_eq!(w.act(&mut app, Intent::Enter), None);
    let n = notice(&app);
    assert!(app.notice.as_ref().unwrap().error, "{n}");
    assert!(n.contains("broken.toml:3:") || n.contains("broken.toml:4:"), "file:line:col in {n}");
    assert!(n.contains("left untouched"), "{n}");
    assert_eq!(std::fs::read(w.file("broken")).unwrap(), corrupt);
    // Even if asked to overwrite (the file broke after it was listed), the store refuses.
    let profile = Box::new(app.request_as_profile("broken").unwrap());
    let op = profiles::ProfileOp::Save { name: "broken".into(), profile, overwrite: true };
    app.on_reply(Reply::Report(Notice { text: String::new(), error: false }));
    let answer = w.outside.profiles(vec![op], None);
    app.on_reply(answer);
    assert!(notice(&app).contains("does not parse") && notice(&app).contains(":3:"), "{}", notice(&app));
    assert_eq!(std::fs::read(w.file("broken")).unwrap(), corrupt, "byte for byte");
}

#[test]
fn test_rename_duplicate_and_delete_a_profile() {
    let mut w = World::new();
    let mut app = w.app();
    w.act(&mut app, Intent::SaveProfile);
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.selected_profile(), Some("echo"));
    app.focus = Pane::Apis;
    w.act(&mut app, Intent::RenameProfile);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("echo"));
    w.retype(&mut app, "echo-prod");
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.selected_profile(), Some("echo-prod"));
    assert!(!w.file("echo").exists() && w.file("echo-prod").exists());
    w.act(&mut app, Intent::DuplicateProfile);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("echo-prod-copy"));
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.selected_profile(), Some("echo-prod-copy"));
    assert_eq!(names(&app), [None, None, Some("echo-prod".into()), Some("echo-prod-copy".into())]);
    // Delete asks first; Esc keeps it.
    w.act(&mut app, Intent::DeleteProfile);
    assert!(app.modals.question().unwrap().question.contains("Delete the profile \"echo-prod-copy\""));
    w.act(&mut app, Intent::Escape);
    assert!(w.file("echo-prod-copy").exists());
    // Enter takes the default, which before a delete is no.
    w.act(&mut app, Intent::DeleteProfile);
    w.act(&mut app, Intent::Enter);
    assert!(w.file("echo-prod-copy").exists(), "Enter kept it");
    w.act(&mut app, Intent::DeleteProfile);
    w.act(&mut app, Intent::Char('y'));
    assert!(!w.file("echo-prod-copy").exists());
    assert_eq!(names(&app), [None, None, Some("echo-prod".into())]);
    assert_eq!(notice(&app), "deleted profile echo-prod-copy");
    // Workspace APIs are not profiles: nothing to rename.
    app.select_index(0);
    w.act(&mut app, Intent::RenameProfile);
    assert!(app.modals.prompt().is_none() && notice(&app).contains("not a saved profile"));
}

#[test]
fn test_pinned_profile_is_listed_first_and_stays_first() {
    let mut w = World::new();
    let store = ProfileStore::new(w.dir.path().join("profiles"));
    for name in ["alpha", "zulu"] {
        store
            .save(name, &wstab_core::profile::Profile { url: format!("ws://h/{name}"), ..Default::default() }, false)
            .unwrap();
    }
    let mut app = App::new(workspace(), 100);
    app.pinned_profile = Some("zulu".into());
    app.on_reply(w.outside.load_profiles(Vec::new(), Some("zulu".into())));
    assert_eq!(names(&app), [Some("zulu".into()), None, None, Some("alpha".into())]);
    assert_eq!(app.selected_index(), Some(0));
    assert_eq!(app.draft().unwrap().base_url, "ws://h/zulu");
    // A later save keeps the order, and the connection marker follows its entry.
    app.select_index(1);
    connect(&mut app);
    w.act(&mut app, Intent::SaveProfile);
    w.retype(&mut app, "beta");
    w.act(&mut app, Intent::Enter);
    assert_eq!(names(&app), [Some("zulu".into()), None, None, Some("alpha".into()), Some("beta".into())]);
    assert_eq!(app.connected_api(), Some(1), "still the workspace's echo");
}

#[test]
fn test_tabs_and_sessions_keep_their_profile_when_an_earlier_one_is_deleted() {
    let mut w = World::new();
    let store = ProfileStore::new(w.dir.path().join("profiles"));
    for name in ["alpha", "bravo"] {
        store
            .save(name, &wstab_core::profile::Profile { url: format!("ws://h/{name}"), ..Default::default() }, false)
            .unwrap();
    }
    let mut app = w.app();
    assert_eq!(names(&app), [None, None, Some("alpha".into()), Some("bravo".into())]);
    // Tab 1 connects to bravo and stays on it; tab 2 (shown) selects alpha and deletes it.
    app.select_index(3);
    connect(&mut app);
    app.update(Intent::NewTab, &Viewport::default());
    app.select_index(3);
    app.update(Intent::PrevTab, &Viewport::default());
    let bravo = app.catalog.find_profile("bravo").expect("bravo listed");
    app.update(Intent::NextTab, &Viewport::default());
    app.select_index(2);
    app.focus = Pane::Apis;
    w.act(&mut app, Intent::DeleteProfile);
    w.act(&mut app, Intent::Char('y'));
    assert_eq!(names(&app), [None, None, Some("bravo".into())]);
    assert_eq!(app.selected_index(), Some(0), "the deleted entry's tab falls back to the first entry");
    app.update(Intent::PrevTab, &Viewport::default());
    assert_eq!(app.tab.selected, Some(bravo), "the hidden tab keeps bravo by id although it moved up");
    assert_eq!(app.tab.connection.as_ref().map(|c| c.entry), Some(bravo));
    assert_eq!(app.connected_api(), Some(2), "the marker follows bravo to its new row");
}

#[test]
fn test_import_from_the_console_saves_new_and_asks_before_overwriting() {
    let mut w = World::new();
    let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apim_api_list.json")).unwrap();
    let report = wstab_core::profile::import_apim_json(&json, Some("https://contoso.azure-api.net")).unwrap();
    let taken = report.profiles[0].0.clone();
    let file = w.dir.path().join("apis.json");
    std::fs::write(&file, &json).unwrap();
    let mut app = w.app();
    // One of the names is already a profile, by hand.
    w.act(&mut app, Intent::SaveProfile);
    w.retype(&mut app, &taken);
    w.act(&mut app, Intent::Enter);
    let before = std::fs::read(w.file(&taken)).unwrap();
    w.act(&mut app, Intent::ImportApim);
    w.type_text(&mut app, &file.display().to_string());
    w.act(&mut app, Intent::Enter);
    assert!(matches!(app.modals.prompt().map(|p| &p.what), Some(PromptFor::ImportGateway { .. })));
    w.type_text(&mut app, "https://contoso.azure-api.net");
    w.act(&mut app, Intent::Enter);
    let question = app.modals.question().map(|c| c.question.clone()).unwrap_or_default();
    assert!(question.contains(&taken) && question.contains("Overwrite"), "{question}");
    w.act(&mut app, Intent::Char('n'));
    assert_eq!(std::fs::read(w.file(&taken)).unwrap(), before, "kept");
    assert!(matches!(app.modals.view(), Some(View { kind: ViewKind::Report, .. })));
    let report_text: Vec<&str> = app.report.iter().map(|(_, l)| l.as_str()).collect();
    let joined = report_text.join("\n");
    for (name, _) in report.profiles.iter().skip(1) {
        assert!(w.file(name).exists(), "{name} imported");
        assert!(joined.contains(&format!("imported  {name}")), "{joined}");
    }
    assert!(joined.contains(&format!("skipped   {taken}")) && joined.contains("exists (kept)"), "{joined}");
    for s in &report.skipped {
        assert!(joined.contains(&s.name) && joined.contains(&s.reason), "{joined}");
    }
    assert!(report_text[1].contains(&format!("{} imported", report.profiles.len() - 1)), "{joined}");
    let listed = names(&app).into_iter().flatten().count();
    assert_eq!(listed, report.profiles.len(), "the APIs pane lists them all");
}

#[test]
fn test_import_of_a_missing_file_says_so() {
    let mut w = World::new();
    let mut app = w.app();
    w.act(&mut app, Intent::ImportApim);
    w.type_text(&mut app, "/nonexistent/apis.json");
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::Enter);
    assert!(notice(&app).contains("nothing imported from /nonexistent/apis.json: cannot read it"), "{}", notice(&app));
}

#[test]
fn test_connection_string_sets_an_access_token_with_its_expiry() {
    let mut w = World::new();
    let mut app = w.app();
    app.now = SystemTime::now();
    app.select_index(1); // chat: /client/hubs/chat
    w.act(&mut app, Intent::TokenFromConnectionString);
    w.type_text(&mut app, "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=c2VjcmV0LWtleQ==;Version=1.0;");
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.modals.prompt().map(|p| p.field.text()).as_deref(), Some("chat"), "the hub from the URL");
    w.act(&mut app, Intent::Enter);
    let n = notice(&app);
    assert!(
        n.contains("access_token set for hub chat") && (n.contains("expires in 59m") || n.contains("expires in 1h")),
        "{n}"
    );
    let d = app.draft().unwrap();
    let row = d.query.iter().find(|r| r.param.name == "access_token").expect("added");
    assert!(row.param.secret);
    let t = wstab_core::jwt_claims::decode(&row.param.value).expect("a JWT");
    assert_eq!(t.aud.as_deref(), Some("https://contoso.webpubsub.azure.com/client/hubs/chat"));
    assert!(token::has_countdown(d));
    // Again: the same row is updated, not a second one added.
    w.act(&mut app, Intent::TokenFromConnectionString);
    w.type_text(&mut app, "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=k;");
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.draft().unwrap().query.iter().filter(|r| r.param.name == "access_token").count(), 1);
    // A bad one changes nothing and says why.
    w.act(&mut app, Intent::TokenFromConnectionString);
    w.type_text(&mut app, "AccessKey=k");
    w.act(&mut app, Intent::Enter);
    w.act(&mut app, Intent::Enter);
    assert!(notice(&app).contains("no Endpoint="), "{}", notice(&app));
}

#[test]
fn test_token_overlay_and_expired_token_asks_before_connecting() {
    let mut w = World::new();
    let mut app = w.app();
    app.now = secs(2_000_000_000);
    let expired =
        jwt(r#"{"aud":"https://x/client/hubs/chat","sub":"alice","exp":1999999820,"role":["webpubsub.sendToGroup"]}"#);
    app.draft_at(0)
        .headers
        .push(request::Row { param: Param::new("Authorization", format!("Bearer {expired}")), revealed: false });
    app.draft_at(0).query.clear();
    app.focus = Pane::Request;
    w.act(&mut app, Intent::ShowToken);
    assert_eq!(
        app.modals.view().copied(),
        Some(View { kind: ViewKind::Token { table: request::Table::Headers, row: 0 }, scroll: 0 })
    );
    w.act(&mut app, Intent::Escape);
    assert_eq!(w.act(&mut app, Intent::ToggleConnection), None);
    let q = app.modals.question().map(|c| c.question.clone()).unwrap_or_default();
    assert!(q.contains("Authorization expired 3m ago") && q.contains("Connect anyway?"), "{q}");
    w.act(&mut app, Intent::Char('n'));
    assert!(app.tab.connection.is_none(), "no: not connected");
    w.act(&mut app, Intent::ToggleConnection);
    assert!(matches!(w.act(&mut app, Intent::Char('y')), Some(Effect::Connect { .. })), "yes: connects");
    // A valid token connects without asking.
    let mut app = w.app();
    app.now = secs(2_000_000_000);
    app.draft_at(0)
        .query
        .push(request::Row { param: Param::new("access_token", jwt(r#"{"exp":2000003600}"#)), revealed: false });
    assert!(matches!(w.act(&mut app, Intent::ToggleConnection), Some(Effect::Connect { .. })));
    // No token: `i` says so.
    let mut app = w.app();
    app.focus = Pane::Request;
    w.act(&mut app, Intent::ShowToken);
    assert!(app.modals.is_empty() && notice(&app).contains("no JWT"));
}

#[test]
fn test_copy_url_and_commands_are_masked_unless_asked_and_use_osc52_without_display() {
    let mut w = World::new();
    let mut app = w.app();
    app.draft_at(0)
        .query
        .push(request::Row { param: Param::new("subscription-key", "k-0123456789").secret(), revealed: false });
    w.act(&mut app, Intent::CopyMenu);
    assert_eq!(app.input_context(), InputContext::Menu);
    w.act(&mut app, Intent::Char('u'));
    assert!(app.modals.is_empty());
    assert!(w.terminal.starts_with(b"\x1b]52;c;"), "OSC 52 bytes on the terminal");
    assert_eq!(w.copied(), format!("ws://127.0.0.1:9/echo?subscription-key={}", wstab_core::secret::MASK));
    assert_eq!(notice(&app), "copied the URL (secrets masked) to the terminal clipboard (OSC 52)");
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('U'));
    assert_eq!(w.copied(), "ws://127.0.0.1:9/echo?subscription-key=k-0123456789");
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('w'));
    assert_eq!(w.copied(), r#"wstab connect "ws://127.0.0.1:9/echo?subscription-key=${SUBSCRIPTION_KEY}""#);
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('C'));
    assert_eq!(w.copied(), "wscat -c 'ws://127.0.0.1:9/echo?subscription-key=k-0123456789'");
    // Arrows and Enter pick too: the sixth item is websocat... no: walk to "s".
    w.act(&mut app, Intent::CopyMenu);
    let s_index = copy::CopyItem::offered(false).iter().position(|i| i.key() == 's').unwrap();
    for _ in 0..s_index {
        w.act(&mut app, Intent::Down);
    }
    w.act(&mut app, Intent::Enter);
    assert!(w.copied().starts_with("websocat ") && !w.copied().contains("k-0123456789"), "{}", w.copied());
}

#[test]
fn test_copy_with_secrets_resolves_env_references_in_the_loop() {
    let mut w = World::new();
    let mut app = w.app();
    app.draft_at(0)
        .query
        .push(request::Row { param: Param::new("subscription-key", "${env:WSTAB_TEST_UNSET_COPY}"), revealed: false });
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('U'));
    assert!(notice(&app).contains("not copied") && notice(&app).contains("WSTAB_TEST_UNSET_COPY is not set"));
    assert!(w.terminal.is_empty(), "nothing reached the clipboard");
}

#[test]
fn test_copy_message_and_trace() {
    let mut w = World::new();
    let mut app = w.app();
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('m'));
    assert!(notice(&app).contains("nothing to copy"), "{}", notice(&app));
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('t'));
    assert!(notice(&app).contains("no handshake yet"), "{}", notice(&app));
    connect(&mut app);
    let session = app.tab.connection.as_ref().unwrap().id;
    let frame = |t: &str| EventKind::Frame {
        dir: Direction::In,
        frame: Frame::Text(wstab_core::connection::Utf8Bytes::from(t.to_string())),
    };
    app.on_event(Event { session, at: super::tests::at(10), kind: frame("{\"type\":\"ack\",\n\"ackId\":1}") });
    app.on_event(Event {
        session,
        at: super::tests::at(11),
        kind: EventKind::Frame { dir: Direction::In, frame: Frame::Binary(vec![0xde, 0xad].into()) },
    });
    app.focus = Pane::Messages;
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('m'));
    assert_eq!(w.copied(), "de ad", "binary as the composer's hex");
    w.act(&mut app, Intent::Up);
    w.act(&mut app, Intent::Up);
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('m'));
    assert_eq!(w.copied(), "{\"type\":\"ack\",\n\"ackId\":1}", "the whole message, not the preview");
    app.tab.last_trace = Some(HandshakeTrace {
        request_line: "GET /echo HTTP/1.1".into(),
        request_headers: vec![("Ocp-Apim-Subscription-Key".into(), wstab_core::secret::MASK.into())],
        response: None,
    });
    app.tab.last_error = Some(ConnError::new(FailureKind::HandshakeRefused { status: 401 }, "refused"));
    w.act(&mut app, Intent::CopyMenu);
    w.act(&mut app, Intent::Char('t'));
    let t = w.copied();
    assert!(t.contains("hint: ") && t.contains("> GET /echo HTTP/1.1") && t.contains(wstab_core::secret::MASK), "{t}");
}

#[test]
fn test_ctrl_v_reads_the_clipboard_in_the_loop() {
    let mut w = World::new();
    let mut app = w.app();
    assert_eq!(app.update(Intent::PasteFromClipboard, &Viewport::default()), Some(Effect::PasteFromClipboard));
    w.act(&mut app, Intent::PasteFromClipboard);
    assert!(notice(&app).contains("nothing pasted: no system clipboard"), "{}", notice(&app));
    // What the loop sends back is a trimmed Paste: onto a Request row, it edits the value.
    app.focus = Pane::Request;
    app.select_index(1);
    let trimmed = crate::console::clipboard::clean_pasted_value("  k-pasted\n");
    w.act(&mut app, Intent::Paste(trimmed));
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.draft().unwrap().query[0].param.value, "k-pasted");
}

#[test]
fn test_saved_message_picker_fills_the_composer() {
    let mut w = World::new();
    let store = ProfileStore::new(w.dir.path().join("profiles"));
    let profile = wstab_core::profile::Profile {
        url: "ws://h/chat".into(),
        messages: vec![
            SavedMessage {
                name: "join".into(),
                body: r#"{"type":"joinGroup","group":"g"}"#.into(),
                format: MessageFormat::Text,
            },
            SavedMessage { name: "raw".into(), body: "de ad".into(), format: MessageFormat::Hex },
        ],
        ..Default::default()
    };
    store.save("chat-prod", &profile, false).unwrap();
    let mut app = w.app();
    app.select_index(2);
    app.focus = Pane::Composer;
    app.tab.composer.editor.clear();
    w.act(&mut app, Intent::PickSavedMessage);
    assert_eq!(app.modals.menu().copied(), Some(Menu { kind: MenuKind::SavedMessages, selected: 0 }));
    w.act(&mut app, Intent::Down);
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.tab.composer.editor.text(), "de ad");
    assert_eq!(app.tab.composer.mode, composer::MessageMode::Hex);
    assert_eq!(app.focus, Pane::Composer);
    w.act(&mut app, Intent::PickSavedMessage);
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.tab.composer.editor.text(), r#"{"type":"joinGroup","group":"g"}"#);
    assert_eq!(app.tab.composer.mode, composer::MessageMode::Text);
    // A workspace API offers its sample message.
    app.select_index(0);
    w.act(&mut app, Intent::PickSavedMessage);
    assert_eq!(app.saved_messages().len(), 1);
    w.act(&mut app, Intent::Enter);
    assert_eq!(app.tab.composer.editor.text(), "hello");
    // The workspace's chat has none of its own, but speaks Web PubSub: the templates.
    app.select_index(1);
    w.act(&mut app, Intent::PickSavedMessage);
    let names: Vec<String> = app.saved_messages().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["joinGroup", "leaveGroup", "sendToGroup", "event", "invoke", "sequenceAck"]);
    for _ in 0..4 {
        w.act(&mut app, Intent::Down);
    }
    w.act(&mut app, Intent::Enter);
    let invoke: serde_json::Value = serde_json::from_str(&app.tab.composer.editor.text()).unwrap();
    assert_eq!((invoke["type"].as_str(), invoke["invocationId"].as_str()), (Some("invoke"), Some("1")));
}

#[test]
fn test_connecting_a_saved_profile_carries_its_reconnect_settings() {
    let w = World::new();
    let store = ProfileStore::new(w.dir.path().join("profiles"));
    let profile = wstab_core::profile::Profile {
        url: "ws://h/live".into(),
        reconnect: true,
        on_connect: vec![r#"{"type":"joinGroup","group":"g"}"#.into()],
        ..Default::default()
    };
    store.save("live", &profile, false).unwrap();
    let mut app = App::new(workspace(), 100);
    app.pinned_profile = Some("live".into());
    app.on_reply(w.outside.load_profiles(Vec::new(), Some("live".into())));
    let Some(Effect::Connect { profile: Some(p), .. }) = app.update(Intent::ToggleConnection, &Viewport::default())
    else {
        panic!("a saved profile connects with its settings");
    };
    assert!(p.reconnect);
    let supervision = p.supervision();
    assert!(supervision.reconnect.is_some());
    assert_eq!(supervision.on_connect.len(), 1);
    // A workspace API that is not a saved profile connects plainly.
    let mut app2 = App::new(workspace(), 100);
    assert!(matches!(
        app2.update(Intent::ToggleConnection, &Viewport::default()),
        Some(Effect::Connect { profile: None, .. })
    ));
}
