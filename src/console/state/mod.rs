//! The console's state and its update logic: no I/O, no drawing.
//!
//! The runtime turns terminal input into [`Intent`]s (through `console::keymap`) and hands them
//! to [`App::update`]; what IO sends back (an effect's result, the clock, gateway news) arrives
//! apart, as [`Reply`]s, at [`App::on_reply`]; connection events go to [`App::on_event`]. Each
//! may return an [`Effect`] for the runtime to carry out (start a session, send a frame, save a
//! file, quit).

pub mod composer;
pub mod copy;
pub mod editor;
mod effect;
pub mod export;
pub mod gateway_side;
mod intent;
pub mod latency;
pub mod messages;
pub mod profiles;
pub mod recording;
mod reply;
pub mod request;
pub mod sessions;
pub mod tabs;
pub mod token;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use editor::Editor;
pub use effect::{CommandToSend, Effect};
pub use intent::Intent;
use profiles::Pending;
pub use reply::Reply;
use request::{RequestDraft, Table};
use std::collections::BTreeMap;
pub use tabs::Tab;
use wstab_core::catalog::{Catalog, Entry, EntryId};
use wstab_core::connection::{Event, EventKind};
use wstab_core::connection::{SessionId, SessionState};
use wstab_core::profile::{ImportReport, Profile};
use wstab_core::request::{BuiltRequest, Overrides, Purpose, build_target};
use wstab_core::workspace::Workspace;

/// The panes focus moves between, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// **APIs**, the list on the left.
    Apis,
    /// **Request**: URL, subprotocols, **Query parameters** and **Headers**.
    Request,
    /// **Messages**, the log.
    Messages,
    /// **Message**, the composer.
    Composer,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Apis, Pane::Request, Pane::Messages, Pane::Composer];

    fn step(self, forward: bool) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        let n = Pane::ORDER.len();
        Pane::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// A window drawn over the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The key bindings, generated from the keymap.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// One log entry in full.
    Detail {
        /// The entry's seq.
        seq: u64,
        /// First line shown.
        scroll: usize,
    },
    /// The last handshake: request as sent, response, and the failure's hint.
    Trace {
        /// First line shown.
        scroll: usize,
    },
    /// A JWT's decoded claims and expiry (`i` on a Request row whose value is a token).
    Token {
        /// The table of the row.
        table: Table,
        /// The row.
        row: usize,
        /// First line shown.
        scroll: usize,
    },
    /// What to copy (`y`): the message, the URL, the trace, a command line.
    CopyMenu {
        /// The highlighted item.
        selected: usize,
    },
    /// The saved messages of the selected API, for the composer (Ctrl-O).
    SavedMessages {
        /// The highlighted message.
        selected: usize,
    },
    /// The outcome of an import: what was imported, skipped and why.
    Report {
        /// First line shown.
        scroll: usize,
    },
    /// The gateway's side (F6): its log records and metrics for the selected API.
    Gateway {
        /// First record shown (0: the newest).
        scroll: usize,
    },
    /// Requests (and pings) of the shown tab still waiting for their reply, with their age (w).
    Waiting {
        /// First row shown.
        scroll: usize,
    },
}

impl Overlay {
    /// True for overlays whose keys pick an item by letter (they read keys as typed characters).
    pub fn is_menu(self) -> bool {
        matches!(self, Overlay::CopyMenu { .. } | Overlay::SavedMessages { .. })
    }
}

/// What a one-line prompt is editing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptFor {
    /// A row's name (`then_value`: a new row, whose value is asked next).
    ParamName {
        /// The table.
        table: Table,
        /// The row.
        row: usize,
        /// Edit the value next.
        then_value: bool,
    },
    /// A row's value.
    ParamValue {
        /// The table.
        table: Table,
        /// The row.
        row: usize,
    },
    /// The subprotocols, comma-separated.
    Subprotocols,
    /// Text to search the log for.
    Search,
    /// The file to save the session to.
    SavePath,
    /// The file to export the shown tab's session to as HAR.
    HarPath,
    /// The file to save the shown tab's session to as a `wstab run` script.
    ScriptPath,
    /// The JSON pointer pairing requests with replies in the shown tab (empty: pings only).
    Correlation,
    /// Close code and reason, e.g. `1000 bye`.
    Close,
    /// The name to save the request as a profile under.
    SaveProfile,
    /// The new name of a saved profile.
    RenameProfile {
        /// Its current name.
        from: String,
    },
    /// The name of a copy of a saved profile.
    DuplicateProfile {
        /// The profile copied.
        from: String,
    },
    /// The `az apim api list` JSON file to import.
    ImportFile,
    /// The gateway URL for an import (empty: derived from each API's resource id).
    ImportGateway {
        /// The file, from the previous prompt.
        path: String,
    },
    /// A Web PubSub connection string, to generate an `access_token` with.
    ConnectionString,
    /// The hub the token is for.
    Hub {
        /// The connection string, from the previous prompt (kept in memory only).
        connection_string: String,
    },
}

impl PromptFor {
    /// The prompt's label, shown before the field.
    pub fn label(&self) -> &'static str {
        match self {
            PromptFor::ParamName { .. } => "Name",
            PromptFor::ParamValue { .. } => "Value",
            PromptFor::Subprotocols => "Subprotocols (comma-separated)",
            PromptFor::Search => "Search",
            PromptFor::SavePath => "Save session as NDJSON to",
            PromptFor::HarPath => "Export the tab's session as HAR to",
            PromptFor::ScriptPath => "Save the tab's session as a `wstab run` script to",
            PromptFor::Correlation => "Correlation JSON pointer, e.g. /ackId (empty: pair pings only)",
            PromptFor::Close => "Close with code and reason",
            PromptFor::SaveProfile => "Save the request as profile",
            PromptFor::RenameProfile { .. } => "Rename the profile to",
            PromptFor::DuplicateProfile { .. } => "Duplicate the profile as",
            PromptFor::ImportFile => "Import APIM APIs from (the JSON of `az apim api list`)",
            PromptFor::ImportGateway { .. } => "Gateway URL (empty: <service>.azure-api.net from each API's id)",
            PromptFor::ConnectionString => "Web PubSub connection string (used once, never saved)",
            PromptFor::Hub { .. } => "Hub name",
        }
    }

    /// True when the field holds a secret and is drawn masked.
    pub fn is_secret(&self) -> bool {
        matches!(self, PromptFor::ConnectionString)
    }
}

/// A yes/no question asked before something that overwrites, deletes or will likely fail.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// The question, ending in what `y` does.
    pub question: String,
    /// What happens on yes.
    pub on_yes: Pending,
}

/// A one-line field being edited.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it edits.
    pub what: PromptFor,
    /// The text.
    pub field: Editor,
}

/// The console's connection, as the status bar tells it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The session's id.
    pub id: SessionId,
    /// The catalog entry it was opened for (it may have been deleted since).
    pub entry: EntryId,
    /// Where it is in its life.
    pub state: SessionState,
    /// The negotiated subprotocol.
    pub subprotocol: Option<String>,
    /// When the server accepted the upgrade.
    pub opened_at: Option<SystemTime>,
    /// Set while the reconnect supervisor waits or tries again after a lost connection.
    pub reconnect: Option<tabs::Reconnect>,
}

/// Messages and bytes per second, counted in whole wall-clock seconds from event times.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rate {
    second: u64,
    current: (u64, u64),
    previous: (u64, u64),
}

impl Rate {
    fn record(&mut self, at: SystemTime, bytes: usize) {
        let s = secs(at);
        if s != self.second {
            self.previous = if s == self.second + 1 { self.current } else { (0, 0) };
            self.current = (0, 0);
            self.second = s;
        }
        self.current.0 += 1;
        self.current.1 += bytes as u64;
    }

    /// Messages and bytes in the last whole second before `now` (zero once the stream stops).
    pub fn per_second(&self, now: SystemTime) -> (u64, u64) {
        let s = secs(now);
        if s == self.second {
            self.previous
        } else if s == self.second + 1 {
            self.current
        } else {
            (0, 0)
        }
    }
}

fn secs(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A line for the status bar: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}

/// What the keymap should use to read a key: the focused pane, or a text field, or an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputContext {
    /// A pane with lists (keys are commands).
    Pane(Pane),
    /// The composer (keys type).
    Composer,
    /// A one-line prompt (keys type).
    Prompt,
    /// An overlay (keys scroll or close).
    Overlay,
    /// A menu or a yes/no question: letters pick, arrows move, Enter chooses.
    Menu,
}

/// The whole console state.
#[derive(Debug)]
pub struct App {
    /// The workspace's name, shown under the APIs pane.
    pub workspace_name: String,
    /// What the APIs pane lists: the workspace's APIs, the saved profiles and ad-hoc URLs.
    pub catalog: Catalog,
    /// The focused pane.
    pub focus: Pane,
    /// One request draft per catalog entry, shared by the tabs, so switching entries loses no
    /// edits.
    pub drafts: BTreeMap<EntryId, RequestDraft>,
    /// The tab shown: its session, log, Messages view and composer are what the panes draw.
    pub tab: Tab,
    /// The other tabs, in tab-bar order with the shown one left out (it sits at `active`).
    pub parked: Vec<Tab>,
    /// Where the shown tab sits in the tab bar.
    pub active: usize,
    next_tab: u64,
    /// Every session not ended yet: its id, its tab (so its events reach it while hidden) and
    /// its handle.
    pub sessions: sessions::SessionRegistry,
    /// An overlay on top, if any.
    pub overlay: Option<Overlay>,
    /// The last line an overlay may scroll to (from the layout: the detail view's text past its
    /// end would show an empty box); unbounded until the view says.
    pub overlay_scroll_max: usize,
    /// A one-line prompt being edited, if any.
    pub prompt: Option<Prompt>,
    /// The last thing to tell the user.
    pub notice: Option<Notice>,
    /// The clock, as of the last tick or event.
    pub now: SystemTime,
    /// The saved profiles that load, by name.
    pub profiles: std::collections::BTreeMap<String, Profile>,
    /// Profile files that do not parse: name → error with file:line:col. Never overwritten.
    pub broken_profiles: std::collections::BTreeMap<String, String>,
    /// The profile listed first (`--profile NAME`).
    pub pinned_profile: Option<String>,
    /// A yes/no question waiting for an answer.
    pub confirm: Option<Confirm>,
    /// The gateway's log records and metrics (when the console runs on the demo).
    pub gateway: gateway_side::GatewaySide,
    /// The last import's report lines (error?, text), for the report overlay.
    pub report: Vec<(bool, String)>,
    /// Lines of an import in progress (skipped APIs), completed when its profiles are saved.
    import_pending: Option<Vec<(bool, String)>>,
}

impl App {
    /// A console for `workspace`, keeping at most `log_limit` log entries in memory.
    pub fn new(workspace: Workspace, log_limit: usize) -> Self {
        let catalog = Catalog::from_workspace(&workspace);
        let drafts = catalog.entries().iter().map(|e| (e.id, RequestDraft::from_request(e.request.clone()))).collect();
        let mut tab = Tab::new(1, log_limit);
        tab.selected = catalog.id_at(0);
        let mut app = Self {
            workspace_name: workspace.name,
            catalog,
            focus: Pane::Apis,
            drafts,
            tab,
            parked: Vec::new(),
            active: 0,
            next_tab: 2,
            sessions: Default::default(),
            overlay: None,
            overlay_scroll_max: usize::MAX,
            prompt: None,
            notice: None,
            now: SystemTime::now(),
            profiles: Default::default(),
            broken_profiles: Default::default(),
            pinned_profile: None,
            confirm: None,
            report: Vec::new(),
            gateway: Default::default(),
            import_pending: None,
        };
        app.load_sample_message();
        app
    }

    /// The keymap context for the next key.
    pub fn input_context(&self) -> InputContext {
        if self.prompt.is_some() {
            InputContext::Prompt
        } else if self.confirm.is_some() || self.overlay.is_some_and(Overlay::is_menu) {
            InputContext::Menu
        } else if self.overlay.is_some() {
            InputContext::Overlay
        } else if self.focus == Pane::Composer {
            InputContext::Composer
        } else {
            InputContext::Pane(self.focus)
        }
    }

    /// The request for the selected entry.
    pub fn draft(&self) -> Option<&RequestDraft> {
        self.drafts.get(&self.tab.selected?)
    }

    fn draft_mut(&mut self) -> Option<&mut RequestDraft> {
        self.drafts.get_mut(&self.tab.selected?)
    }

    /// The shown tab's selected catalog entry.
    pub fn selected_entry(&self) -> Option<&Entry> {
        self.catalog.get(self.tab.selected?)
    }

    /// Where the shown tab's selected entry is listed in the APIs pane.
    pub fn selected_index(&self) -> Option<usize> {
        self.catalog.position(self.tab.selected?)
    }

    /// The draft of the entry listed at `index` (tests edit a request without the keys).
    #[cfg(test)]
    pub(crate) fn draft_at(&mut self, index: usize) -> &mut RequestDraft {
        let id = self.catalog.id_at(index).expect("an entry at that index");
        self.drafts.get_mut(&id).expect("every entry has a draft")
    }

    /// Selects the entry listed at `index` in the shown tab (nothing if there is none).
    pub fn select_index(&mut self, index: usize) {
        if let Some(id) = self.catalog.id_at(index) {
            self.tab.selected = Some(id);
        }
    }

    /// The connection state in the portal's words.
    pub fn state_word(&self) -> &'static str {
        match self.tab.connection.as_ref().map(|c| c.state) {
            Some(SessionState::Connecting) => "Connecting…",
            Some(SessionState::Open) => "Connected",
            Some(SessionState::Closing) => "Disconnecting…",
            _ => "Disconnected",
        }
    }

    /// Where the entry with the shown tab's open (or opening) connection is listed, for the
    /// APIs pane's marker (none when that entry was deleted since).
    pub fn connected_api(&self) -> Option<usize> {
        let c = self.tab.connection.as_ref().filter(|c| !c.state.is_terminal())?;
        self.catalog.position(c.entry)
    }

    /// How long the connection has been open.
    pub fn connected_for(&self) -> Option<Duration> {
        let c = self.tab.connection.as_ref()?;
        if c.state != SessionState::Open && c.state != SessionState::Closing {
            return None;
        }
        self.now.duration_since(c.opened_at?).ok()
    }

    /// Sets the number of visible Messages rows (from the layout).
    pub fn set_messages_rows(&mut self, rows: usize) {
        self.tab.messages.rows = rows.max(1);
    }

    fn notice(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice { text: text.into(), error });
    }

    fn is_live(&self) -> bool {
        self.tab.connection.as_ref().is_some_and(|c| matches!(c.state, SessionState::Connecting | SessionState::Open))
    }

    fn open_session(&self) -> Option<SessionId> {
        self.tab.connection.as_ref().filter(|c| c.state == SessionState::Open).map(|c| c.id)
    }

    fn load_sample_message(&mut self) {
        if self.tab.composer.editor.is_empty()
            && let Some(sample) = self.selected_entry().and_then(Entry::sample_message).map(str::to_string)
        {
            self.tab.composer.editor.set_text(&sample);
        }
    }

    /// Records a connection event in the tab that owns its session (shown or not): the log
    /// row, and the state it moves that tab to.
    pub fn on_event(&mut self, event: Event) {
        if event.at > self.now {
            self.now = event.at;
        }
        let shown = self.tab.id;
        if matches!(event.kind, EventKind::Ended) {
            // The session's last word: its tab learns it, then the registry forgets it.
            let session = event.session;
            if let Some(tab) = self.tab_of(session) {
                tab.on_event(event);
            }
            self.sessions.ended(session);
            return;
        }
        let Some(tab) = self.tab_of(event.session) else {
            // A session whose tab was closed: the journal has it, no tab shows it.
            return;
        };
        let in_shown = tab.id == shown;
        let outcome = tab.on_event(event);
        if in_shown {
            self.tab.unseen = 0;
        }
        // A refusal explains itself: open the trace with the hint (in the tab being looked at).
        if outcome == tabs::EventOutcome::Refused && in_shown {
            self.prompt = None;
            self.overlay = Some(Overlay::Trace { scroll: 0 });
        }
    }

    /// Takes what IO sent back; returns what the runtime must do next, if anything.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Effect> {
        match reply {
            Reply::Tick(now) => {
                self.now = now;
                self.tab.pairing.refresh();
            }
            Reply::Report(n) => {
                self.notice = Some(n);
            }
            Reply::GatewayRecords(records) => {
                self.gateway.push(records);
            }
            Reply::GatewayMetrics(metrics) => {
                self.gateway.metrics = metrics;
            }
            Reply::GatewayStatus(status) => {
                let status = *status;
                self.gateway.records.clear();
                self.gateway.push(status.records);
                self.gateway.metrics = status.metrics;
            }
            Reply::ProfilesLoaded { profiles, broken, outcomes, select } => {
                self.profiles_loaded(profiles, broken, outcomes, select);
            }
            Reply::ImportRead { source, result } => return self.import_read(&source, result),
            Reply::Pasted(text) => return self.paste(text),
        }
        None
    }

    /// Applies what the user asked for; returns what the runtime must do, if anything.
    pub fn update(&mut self, action: Intent) -> Option<Effect> {
        match action {
            Intent::Quit => return Some(Effect::Quit),
            Intent::Paste(text) => return self.paste(text),
            Intent::Click { pane, row } => {
                self.click(pane, row);
                return None;
            }
            Intent::Scroll { pane, lines } => {
                self.scroll(pane, lines);
                return None;
            }
            // The clipboard is read by the loop, whatever has the focus.
            Intent::PasteFromClipboard => return Some(Effect::PasteFromClipboard),
            _ => {}
        }
        // Any key clears the last notice; errors stay until the next key too.
        if !matches!(action, Intent::ToggleConnection) {
            self.notice = None;
        }
        if self.prompt.is_some() {
            return self.prompt_key(action);
        }
        if let Some(confirm) = self.confirm.take() {
            return self.confirm_key(confirm, action);
        }
        if let Some(overlay) = self.overlay {
            return self.overlay_key(overlay, action);
        }
        match action {
            Intent::FocusNext => self.focus = self.focus.step(true),
            Intent::FocusPrev => self.focus = self.focus.step(false),
            Intent::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Intent::ToggleConnection => return self.toggle_connection(),
            Intent::ClearLog => {
                self.tab.log.clear();
                self.tab.messages.follow();
                self.notice("log cleared (saving with s still writes the whole session)", false);
            }
            Intent::Save => self.start_prompt(PromptFor::SavePath, "wstab-session.ndjson"),
            Intent::ExportHar => self.ask_export(PromptFor::HarPath, "wstab-session.har"),
            Intent::SaveScript => self.ask_export(PromptFor::ScriptPath, "wstab-session.toml"),
            Intent::SetCorrelation => {
                let current = self.tab.pairing.pairing.pointer().unwrap_or("/ackId").to_string();
                self.start_prompt(PromptFor::Correlation, &current);
            }
            Intent::ShowWaiting => self.overlay = Some(Overlay::Waiting { scroll: 0 }),
            Intent::ToggleMessageMode => self.tab.composer.mode = self.tab.composer.mode.next(),
            Intent::Ping => return self.send(CommandToSend::Ping(Vec::new())),
            Intent::Close => {
                if self.open_session().is_some() {
                    self.start_prompt(PromptFor::Close, "1000 ");
                } else {
                    self.notice("not connected", true);
                }
            }
            Intent::NewTab => self.new_tab(),
            Intent::CloseTab => return self.close_tab(),
            Intent::NextTab => self.step_tab(true),
            Intent::PrevTab => self.step_tab(false),
            Intent::GatewayView => self.overlay = Some(Overlay::Gateway { scroll: 0 }),
            Intent::ShowTrace => {
                if self.tab.last_trace.is_some() || self.tab.last_error.is_some() {
                    self.overlay = Some(Overlay::Trace { scroll: 0 });
                } else {
                    self.notice("no handshake yet: press F5 to connect", false);
                }
            }
            Intent::SaveProfile => self.ask_profile_name(),
            Intent::ImportApim => self.start_prompt(PromptFor::ImportFile, ""),
            Intent::TokenFromConnectionString => self.start_prompt(PromptFor::ConnectionString, ""),
            Intent::CopyMenu => self.overlay = Some(Overlay::CopyMenu { selected: 0 }),
            action => match self.focus {
                Pane::Apis => self.apis_key(action),
                Pane::Request => self.request_key(action),
                Pane::Messages => self.messages_key(action),
                Pane::Composer => return self.composer_key(action),
            },
        }
        None
    }

    fn toggle_connection(&mut self) -> Option<Effect> {
        self.confirm = None;
        if let Some(conn) =
            self.tab.connection.as_mut().filter(|c| matches!(c.state, SessionState::Connecting | SessionState::Open))
        {
            conn.state = SessionState::Closing;
            return Some(Effect::Disconnect { session: conn.id });
        }
        if self.tab.connection.as_ref().is_some_and(|c| c.state == SessionState::Closing) {
            self.notice("still disconnecting…", false);
            return None;
        }
        self.connect(true)
    }

    /// Starts a session for the selected API's request; with `check_expiry`, an expired token
    /// asks first.
    fn connect(&mut self, check_expiry: bool) -> Option<Effect> {
        let Some(draft) = self.draft() else {
            self.notice("the workspace has no APIs", true);
            return None;
        };
        if let Some((table, i, row)) = draft.first_missing() {
            let what = if table == Table::Query { "query parameter" } else { "header" };
            let text = format!("cannot connect: required {what} {} is empty", row.param.name);
            let flat = draft.flat(table, Some(i));
            if let Some(d) = self.draft_mut() {
                d.selected = flat;
            }
            self.focus = Pane::Request;
            self.notice(text, true);
            return None;
        }
        if check_expiry && let Some(question) = token::expired_warning(draft, self.now) {
            self.confirm = Some(Confirm { question, on_yes: Pending::Connect });
            return None;
        }
        // The one request builder: `${env:NAME}` values (from saved profiles) are read now,
        // never stored resolved, and the profile's TLS, limits and secret names are kept.
        let built = build_target(&draft.request(), &Overrides::default(), Purpose::Connect);
        let BuiltRequest { target, session: options } = match built {
            Ok(b) => b,
            Err(e) => {
                self.notice(format!("cannot connect: {e}"), true);
                return None;
            }
        };
        let entry = self.tab.selected?;
        let id = self.sessions.open(self.tab.id);
        self.tab.connection = Some(Connection {
            id,
            entry,
            state: SessionState::Connecting,
            subprotocol: None,
            opened_at: None,
            reconnect: None,
        });
        self.tab.last_error = None;
        // A new session is watched live, whatever row an earlier one was paused on.
        self.tab.messages.follow();
        let profile = self.selected_profile().and_then(|name| self.profiles.get(name)).map(|p| Box::new(p.clone()));
        // Stats and exports are per session: the tab's pointer (Ctrl-R) wins over the profile's.
        let pointer = match &self.tab.correlation_override {
            Some(p) => p.clone(),
            None => options.correlation,
        };
        self.tab.pairing.restart(pointer);
        self.tab.recording.clear();
        Some(Effect::Connect { session: id, target: Box::new(target), profile })
    }

    fn send(&mut self, command: CommandToSend) -> Option<Effect> {
        match self.open_session() {
            Some(session) => Some(Effect::Send { session, command }),
            None => {
                self.notice("not connected: press F5 to connect", true);
                None
            }
        }
    }

    fn start_prompt(&mut self, what: PromptFor, text: &str) {
        self.prompt = Some(Prompt { what, field: Editor::one_line(text) });
    }

    fn prompt_key(&mut self, action: Intent) -> Option<Effect> {
        let prompt = self.prompt.as_mut()?;
        match action {
            Intent::Escape => self.prompt = None,
            Intent::Enter | Intent::FocusNext => {
                let Prompt { what, field } = self.prompt.take()?;
                return self.commit_prompt(what, field.text());
            }
            Intent::Char(c) => prompt.field.insert_char(c),
            Intent::Backspace => prompt.field.backspace(),
            Intent::Delete => prompt.field.delete(),
            Intent::Left => prompt.field.left(),
            Intent::Right => prompt.field.right(),
            Intent::First => prompt.field.home(),
            Intent::Last => prompt.field.end(),
            Intent::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            _ => {}
        }
        None
    }

    fn commit_prompt(&mut self, what: PromptFor, text: String) -> Option<Effect> {
        match what {
            PromptFor::ParamName { table, row, then_value } => {
                let name = text.trim().to_string();
                if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
                    r.param.name = name;
                }
                if then_value {
                    self.start_prompt(PromptFor::ParamValue { table, row }, "");
                }
            }
            PromptFor::ParamValue { table, row } => {
                if let Some(r) = self.draft_mut().and_then(|d| d.rows_mut(table).get_mut(row)) {
                    r.param.value = text;
                }
            }
            PromptFor::Subprotocols => {
                if let Some(d) = self.draft_mut() {
                    d.subprotocols = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                }
            }
            PromptFor::Search => {
                self.tab.messages.search = text;
                if !self.tab.messages.find(&self.tab.log, true, true) {
                    self.notice(format!("no match for {:?}", self.tab.messages.search), true);
                }
            }
            PromptFor::SavePath => {
                let path = text.trim();
                if path.is_empty() {
                    self.notice("not saved: no file name", true);
                    return None;
                }
                return Some(Effect::Save { path: PathBuf::from(path) });
            }
            PromptFor::HarPath | PromptFor::ScriptPath => return self.export(&what, text.trim()),
            PromptFor::Correlation => self.set_correlation(text.trim()),
            PromptFor::Close => {
                let text = text.trim();
                let (code, reason) = text.split_once(' ').unwrap_or((text, ""));
                let code = if code.is_empty() { Ok(1000) } else { code.parse::<u16>() };
                match code {
                    Ok(code) if code == 1000 || (3000..=4999).contains(&code) || (1001..=1014).contains(&code) => {
                        let effect = self.send(CommandToSend::Close { code, reason: reason.trim().to_string() });
                        if effect.is_some()
                            && let Some(c) = self.tab.connection.as_mut()
                        {
                            c.state = SessionState::Closing;
                        }
                        return effect;
                    }
                    _ => self.notice("close code must be 1000-1014 or 3000-4999, e.g. `1000 bye`", true),
                }
            }
            PromptFor::SaveProfile => return self.save_profile_as(text.trim()),
            PromptFor::RenameProfile { from } => return self.rename_profile(&from, text.trim()),
            PromptFor::DuplicateProfile { from } => return self.duplicate_profile(&from, text.trim()),
            PromptFor::ImportFile => {
                let path = text.trim();
                if path.is_empty() {
                    self.notice("nothing imported: no file name", true);
                } else {
                    self.start_prompt(PromptFor::ImportGateway { path: path.to_string() }, "");
                }
            }
            PromptFor::ImportGateway { path } => {
                let gateway = Some(text.trim().to_string()).filter(|g| !g.is_empty());
                return Some(Effect::ReadImport { path: PathBuf::from(path), gateway });
            }
            PromptFor::ConnectionString => {
                let cs = text.trim();
                if cs.is_empty() {
                    self.notice("no connection string: nothing changed", true);
                } else {
                    let hub = self.draft().and_then(|d| token::hub_in_url(&d.base_url)).unwrap_or("chat").to_string();
                    self.start_prompt(PromptFor::Hub { connection_string: cs.to_string() }, &hub);
                }
            }
            PromptFor::Hub { connection_string } => self.set_access_token(&connection_string, text.trim()),
        }
        None
    }

    fn confirm_key(&mut self, confirm: Confirm, action: Intent) -> Option<Effect> {
        match action {
            Intent::Char('y' | 'Y') | Intent::Enter => self.confirmed(confirm.on_yes),
            Intent::Char('n' | 'N') | Intent::Escape => self.declined(confirm.on_yes),
            // Anything else leaves the question open.
            _ => {
                self.confirm = Some(confirm);
                None
            }
        }
    }

    fn confirmed(&mut self, pending: Pending) -> Option<Effect> {
        match pending {
            Pending::Connect => self.connect(false),
            other => self.profile_confirmed(other),
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, action: Intent) -> Option<Effect> {
        match overlay {
            Overlay::CopyMenu { selected } => return self.copy_menu_key(selected, action),
            Overlay::SavedMessages { selected } => {
                self.saved_messages_key(selected, action);
                return None;
            }
            _ => {}
        }
        let max = self.overlay_scroll_max;
        let scroll_by = |s: usize, d: isize| {
            (s as isize).saturating_add(d).clamp(0, max.min(isize::MAX as usize) as isize) as usize
        };
        let page = self.tab.messages.rows.max(5) as isize;
        let delta = match action {
            Intent::Up => -1,
            Intent::Down => 1,
            Intent::PageUp => -page,
            Intent::PageDown => page,
            Intent::First => -(isize::MAX / 2),
            Intent::Last => isize::MAX / 2,
            Intent::Escape | Intent::Enter => {
                self.overlay = None;
                return None;
            }
            Intent::Help => {
                self.overlay =
                    if matches!(overlay, Overlay::Help { .. }) { None } else { Some(Overlay::Help { scroll: 0 }) };
                return None;
            }
            Intent::ToggleConnection => {
                self.overlay = None;
                return self.toggle_connection();
            }
            Intent::ShowWaiting => {
                self.overlay = if matches!(overlay, Overlay::Waiting { .. }) {
                    None
                } else {
                    Some(Overlay::Waiting { scroll: 0 })
                };
                return None;
            }
            Intent::GatewayView => {
                self.overlay = if matches!(overlay, Overlay::Gateway { .. }) {
                    None
                } else {
                    Some(Overlay::Gateway { scroll: 0 })
                };
                return None;
            }
            // y from a view (the trace, a message) opens the copy menu over it.
            Intent::CopyMenu => {
                self.overlay = Some(Overlay::CopyMenu { selected: 0 });
                return None;
            }
            _ => return None,
        };
        self.overlay = Some(match overlay {
            Overlay::Help { scroll } => Overlay::Help { scroll: scroll_by(scroll, delta) },
            Overlay::Detail { seq, scroll } => Overlay::Detail { seq, scroll: scroll_by(scroll, delta) },
            Overlay::Trace { scroll } => Overlay::Trace { scroll: scroll_by(scroll, delta) },
            Overlay::Token { table, row, scroll } => Overlay::Token { table, row, scroll: scroll_by(scroll, delta) },
            Overlay::Report { scroll } => Overlay::Report { scroll: scroll_by(scroll, delta) },
            Overlay::Gateway { scroll } => Overlay::Gateway { scroll: scroll_by(scroll, delta) },
            Overlay::Waiting { scroll } => Overlay::Waiting { scroll: scroll_by(scroll, delta) },
            menu @ (Overlay::CopyMenu { .. } | Overlay::SavedMessages { .. }) => menu,
        });
        None
    }

    fn apis_key(&mut self, action: Intent) {
        let n = self.catalog.len();
        if n == 0 {
            return;
        }
        let at = self.selected_index().unwrap_or(0);
        match action {
            Intent::Up => self.select_index(at.saturating_sub(1)),
            Intent::Down => self.select_index((at + 1).min(n - 1)),
            Intent::PageUp | Intent::First => self.select_index(0),
            Intent::PageDown | Intent::Last => self.select_index(n - 1),
            Intent::Enter => {
                // The request is this API's; the next thing to do is usually to write a message.
                self.load_sample_message();
                self.focus = Pane::Composer;
            }
            Intent::RenameProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    self.start_prompt(PromptFor::RenameProfile { from: from.clone() }, &from);
                }
            }
            Intent::DuplicateProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    let to = format!("{from}-copy");
                    self.start_prompt(PromptFor::DuplicateProfile { from }, &to);
                }
            }
            Intent::DeleteProfile => {
                if let Some(name) = self.selected_profile_or_say() {
                    let question = format!("Delete the profile {name:?} (its file too)? y delete · n keep");
                    self.confirm = Some(Confirm { question, on_yes: Pending::Delete { name } });
                }
            }
            _ => {}
        }
    }

    fn request_key(&mut self, action: Intent) {
        let Some(d) = self.draft_mut() else { return };
        let last = d.row_count() - 1;
        match action {
            Intent::Up => d.selected = d.selected.saturating_sub(1),
            Intent::Down => d.selected = (d.selected + 1).min(last),
            Intent::First | Intent::PageUp => d.selected = 0,
            Intent::Last | Intent::PageDown => d.selected = last,
            Intent::Enter => {
                let (table, row) = d.locate(d.selected);
                match row {
                    Some(row) => {
                        let value = d.rows(table)[row].param.value.clone();
                        self.start_prompt(PromptFor::ParamValue { table, row }, &value);
                    }
                    None => self.add_row(table),
                }
            }
            Intent::AddQueryParam => self.add_row(Table::Query),
            Intent::AddHeader => self.add_row(Table::Headers),
            Intent::RenameRow => {
                let (table, row) = d.locate(d.selected);
                if let Some(row) = row {
                    let name = d.rows(table)[row].param.name.clone();
                    self.start_prompt(PromptFor::ParamName { table, row, then_value: false }, &name);
                }
            }
            Intent::Delete => {
                d.delete_selected();
            }
            Intent::ToggleRow => {
                if let Some(r) = d.selected_row() {
                    r.param.enabled = !r.param.enabled;
                }
            }
            Intent::RevealRow => {
                if let Some(r) = d.selected_row() {
                    r.revealed = !r.revealed;
                }
            }
            Intent::EditSubprotocols => {
                let text = d.subprotocols.join(", ");
                self.start_prompt(PromptFor::Subprotocols, &text);
            }
            Intent::ShowToken => match token::token_row(d) {
                Some((table, row)) => {
                    d.selected = d.flat(table, Some(row));
                    self.overlay = Some(Overlay::Token { table, row, scroll: 0 });
                }
                None => self.notice("no JWT here: no query parameter or header value is a token", true),
            },
            _ => {}
        }
    }

    fn add_row(&mut self, table: Table) {
        if let Some(d) = self.draft_mut() {
            let row = d.add_row(table);
            self.start_prompt(PromptFor::ParamName { table, row, then_value: true }, "");
        }
    }

    fn messages_key(&mut self, action: Intent) {
        let page = self.tab.messages.rows.max(1) as isize;
        match action {
            Intent::Up => self.tab.messages.move_by(&self.tab.log, -1),
            Intent::Down => self.tab.messages.move_by(&self.tab.log, 1),
            Intent::PageUp => self.tab.messages.move_by(&self.tab.log, -page),
            Intent::PageDown => self.tab.messages.move_by(&self.tab.log, page),
            Intent::First => self.tab.messages.select(&self.tab.log, 0, 0),
            Intent::Last => self.tab.messages.follow(),
            Intent::Enter => {
                if let Some(seq) = self
                    .tab
                    .messages
                    .current(&self.tab.log)
                    .and_then(|p| self.tab.log.seq_at(self.tab.messages.filter, p))
                {
                    self.overlay = Some(Overlay::Detail { seq, scroll: 0 });
                }
            }
            Intent::Search => {
                let last = self.tab.messages.search.clone();
                self.start_prompt(PromptFor::Search, &last);
            }
            Intent::SearchOlder | Intent::SearchNewer => {
                if self.tab.messages.search.is_empty() {
                    self.notice("nothing to search for: press / first", true);
                } else if !self.tab.messages.find(&self.tab.log, action == Intent::SearchOlder, false) {
                    self.notice(format!("no more matches for {:?}", self.tab.messages.search), true);
                }
            }
            Intent::CycleFilter => {
                let next = self.tab.messages.filter.next();
                self.tab.messages.set_filter(&self.tab.log, next);
            }
            _ => {}
        }
    }

    fn composer_key(&mut self, action: Intent) -> Option<Effect> {
        let c = &mut self.tab.composer;
        match action {
            Intent::Enter => {
                if self.open_session().is_none() {
                    self.notice("not connected: press F5 to connect", true);
                    return None;
                }
                match self.tab.composer.command() {
                    Ok(command) => {
                        self.tab.composer.sent();
                        return self.send(command.into());
                    }
                    Err(e) => self.notice(e, true),
                }
            }
            Intent::Newline => {
                c.editor.newline();
                c.edited();
            }
            Intent::Char(ch) => {
                c.editor.insert_char(ch);
                c.edited();
            }
            Intent::Backspace => {
                c.editor.backspace();
                c.edited();
            }
            Intent::Delete => {
                c.editor.delete();
                c.edited();
            }
            Intent::Left => c.editor.left(),
            Intent::Right => c.editor.right(),
            Intent::First => c.editor.home(),
            Intent::Last => c.editor.end(),
            Intent::Up => c.up(),
            Intent::Down => c.down(),
            // Leaving the editor hands keys back to the panes (so `q` quits again).
            Intent::Escape => self.focus = Pane::Messages,
            Intent::PickSavedMessage => self.open_saved_messages(),
            _ => {}
        }
        None
    }

    fn paste(&mut self, text: String) -> Option<Effect> {
        if let Some(p) = self.prompt.as_mut() {
            p.field.insert_str(&text);
        } else if self.overlay.is_some() || self.confirm.is_some() {
            // A menu or a question has no field to paste into.
        } else if self.focus == Pane::Composer {
            self.tab.composer.editor.insert_str(&text);
            self.tab.composer.edited();
        } else if self.focus == Pane::Request
            && let Some(d) = self.draft_mut()
            && let (table, Some(row)) = d.locate(d.selected)
        {
            // Pasting onto a row edits its value: the usual way a long token arrives.
            let mut field = Editor::one_line("");
            field.insert_str(&text);
            self.prompt = Some(Prompt { what: PromptFor::ParamValue { table, row }, field });
        } else {
            self.notice("nothing to paste into: select a Request row or focus the Message composer", true);
        }
        None
    }

    fn click(&mut self, pane: Pane, row: Option<usize>) {
        if self.overlay.is_some() {
            return;
        }
        self.prompt = None;
        self.focus = pane;
        let Some(row) = row else { return };
        match pane {
            Pane::Apis => self.select_index(row),
            Pane::Request => {
                if let Some(d) = self.draft_mut()
                    && row < d.row_count()
                {
                    d.selected = row;
                }
            }
            Pane::Messages => {
                let start = self.tab.messages.window(&self.tab.log).start;
                if start + row < self.tab.log.len(self.tab.messages.filter) {
                    self.tab.messages.select(&self.tab.log, start + row, start);
                }
            }
            Pane::Composer => {}
        }
    }

    fn scroll(&mut self, pane: Pane, lines: isize) {
        match self.overlay {
            Some(_) => {
                let a = if lines < 0 { Intent::Up } else { Intent::Down };
                for _ in 0..lines.unsigned_abs() {
                    if let Some(o) = self.overlay {
                        self.overlay_key(o, a.clone());
                    }
                }
            }
            None if pane == Pane::Messages => self.tab.messages.scroll(&self.tab.log, lines),
            None => {
                let a = if lines < 0 { Intent::Up } else { Intent::Down };
                match pane {
                    Pane::Apis => self.apis_key(a),
                    Pane::Request => self.request_key(a),
                    _ => {}
                }
            }
        }
    }

    /// True while a session is connecting or open (the loop keeps ticking for the clock).
    pub fn is_connected(&self) -> bool {
        self.is_live()
    }
}

#[cfg(test)]
mod console_tests;
#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod log_limit_tests;
#[cfg(test)]
mod pairing_tests;
#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tab_tests;
#[cfg(test)]
pub(crate) mod tests;
