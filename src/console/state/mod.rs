//! The console's state and its update logic: no I/O, no drawing.
//!
//! The runtime turns terminal input into [`Intent`]s (through `console::keymap`) and hands them
//! to [`App::update`]; what IO sends back (an effect's result, the clock, gateway news) arrives
//! apart, as [`Reply`]s, at [`App::on_reply`]; connection events go to [`App::on_event`]. Each
//! may return an [`Effect`] for the runtime to carry out (start a session, send a frame, save a
//! file, quit).

pub mod composer;
pub mod copy;
pub mod demo_chat;
pub mod editor;
mod effect;
pub mod export;
pub mod gateway_records;
pub mod gateway_side;
mod intent;
mod key_place;
pub mod latency;
pub mod messages;
mod modal;
mod own_url;
mod panes;
pub mod policy_trace;
pub mod profiles;
pub mod recording;
mod reply;
pub mod request;
pub mod secret_save;
pub mod sessions;
pub mod switch_entry;
mod tab_connection;
pub mod tabs;
pub mod token;
mod viewport;
pub mod webpubsub;

use std::time::{Duration, SystemTime};

pub use effect::{CommandToSend, Effect};
pub use intent::Intent;
pub use modal::{
    Ask, AskFor, AskOption, Choice, Menu, MenuKind, Modal, ModalStack, Outcome, Prompt, PromptFor, Question, View,
    ViewKind,
};
pub use own_url::{access_token_notice, url_for_editing};
use profiles::Pending;
pub use reply::{ImportFileError, PolicyTraceError, Reply};
use request::{RequestDraft, Table};
use std::collections::BTreeMap;
pub use tab_connection::{Connection, Rate};
pub use tabs::Tab;
pub use viewport::Viewport;
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
    /// The open prompts, questions, views and menus; the top one takes the keys.
    pub modals: ModalStack,
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
    /// Where a profile's typed secrets went, for the status bar once it is saved.
    save_note: Option<String>,
    /// The gateway's log records and metrics (when the console runs on the demo).
    pub gateway: gateway_side::GatewaySide,
    /// The last import's report lines (error?, text), for the report overlay.
    pub report: Vec<(bool, String)>,
    /// Lines of an import in progress (skipped APIs), completed when its profiles are saved.
    import_pending: Option<Vec<(bool, String)>>,
    /// The console acknowledges received messages of Web PubSub's reliable subprotocol
    /// (`sequenceAck`); on by default, toggled with `a` in Messages.
    pub auto_ack: bool,
    /// What the command line lays over every request the console connects (`wstab --ca FILE`).
    pub overrides: Overrides,
    /// The key bindings in force (the defaults as `config.toml` rebinds them).
    pub keys: crate::console::keymap::Keymap,
    /// The colour theme (`config.toml`; `NO_COLOR` still turns colours off).
    pub theme: crate::console::view::ThemeName,
    /// Ask before quitting while a session is connected (`config.toml`'s `confirm_quit`).
    pub confirm_quit: bool,
    /// The session journal's size on disk, its bound and what it dropped (from the runtime).
    pub journal: crate::console::message_log::journal::JournalStats,
    /// Subprotocols a URL opened here requests when it names none (`config.toml`).
    pub default_subprotocols: Vec<String>,
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
            modals: ModalStack::default(),
            notice: None,
            now: SystemTime::now(),
            profiles: Default::default(),
            broken_profiles: Default::default(),
            pinned_profile: None,
            save_note: None,
            report: Vec::new(),
            gateway: Default::default(),
            import_pending: None,
            auto_ack: true,
            overrides: Overrides::default(),
            keys: Default::default(),
            theme: Default::default(),
            confirm_quit: true,
            journal: Default::default(),
            default_subprotocols: Vec::new(),
        };
        app.load_sample_message();
        app
    }

    /// Takes the settings of the user's `config.toml` (keys, theme, defaults); the log limit is
    /// given to [`App::new`], the journal's bound to the journal.
    pub fn apply_config(&mut self, config: &crate::console::config::Config) {
        self.keys = config.keys.clone();
        self.theme = config.theme;
        self.auto_ack = config.sequence_ack;
        self.confirm_quit = config.confirm_quit;
        self.default_subprotocols = config.subprotocols.clone();
    }

    /// The keymap context for the next key.
    pub fn input_context(&self) -> InputContext {
        match self.modals.top() {
            Some(Modal::Prompt(_)) => InputContext::Prompt,
            Some(m) if m.picks_by_letter() => InputContext::Menu,
            Some(_) => InputContext::Overlay,
            None if self.focus == Pane::Composer => InputContext::Composer,
            None => InputContext::Pane(self.focus),
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

    /// How the key for `action` is written as configured (`F5`), for notices that name it.
    pub fn key_for(&self, action: &Intent) -> String {
        self.keys.label_for(action)
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
        let opened = matches!(event.kind, EventKind::Opened { .. });
        let outcome = tab.on_event(event);
        if in_shown {
            self.tab.unseen = 0;
        }
        // "connecting to …" is stale once connected: the status bar's badge says it now.
        if in_shown && opened && self.notice.as_ref().is_some_and(|n| !n.error && n.text.contains("connecting to ")) {
            self.notice = None;
        }
        // A refusal explains itself: open the trace with the hint (in the tab being looked at).
        if outcome == tabs::EventOutcome::Refused && in_shown {
            self.modals.show_beneath_questions(Modal::View(View::new(ViewKind::Trace)));
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
            Reply::PolicyTrace { tab, location, result } => self.policy_trace_read(tab, location, result.map(|r| *r)),
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

    /// Applies what the user asked for, on a screen of `viewport` (as last measured); returns
    /// what the runtime must do, if anything.
    pub fn update(&mut self, action: Intent, viewport: &Viewport) -> Option<Effect> {
        match action {
            Intent::Quit => return Some(Effect::Quit),
            Intent::Paste(text) => return self.paste(text),
            Intent::Click { pane, row } => {
                self.click(pane, row, viewport);
                return None;
            }
            Intent::Scroll { pane, lines } => {
                self.scroll(pane, lines, viewport);
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
        if !self.modals.is_empty() {
            return self.modal_key(action, viewport);
        }
        match action {
            Intent::FocusNext => self.focus = self.focus.step(true),
            Intent::FocusPrev => self.focus = self.focus.step(false),
            Intent::Help => self.open_view(ViewKind::Help),
            Intent::ToggleConnection => return self.toggle_connection(),
            Intent::AskQuit => return self.ask_quit(),
            Intent::ClearLog => {
                self.tab.log.clear();
                self.tab.messages.follow();
                self.tab.messages.track(&self.tab.log);
                self.notice("log cleared (saving with s still writes the whole session)", false);
            }
            Intent::Save => self.start_prompt(PromptFor::SavePath, "wstab-session.ndjson"),
            Intent::ExportHar => self.ask_export(PromptFor::HarPath, "wstab-session.har"),
            Intent::SaveScript => self.ask_export(PromptFor::ScriptPath, "wstab-session.toml"),
            Intent::SetCorrelation => {
                let current = self.tab.pairing.pairing.pointer().unwrap_or("/ackId").to_string();
                self.start_prompt(PromptFor::Correlation, &current);
            }
            Intent::ShowWaiting => self.open_view(ViewKind::Waiting),
            Intent::ToggleMessageMode => self.tab.composer.mode = self.tab.composer.mode.next(),
            Intent::Ping => return self.send(CommandToSend::Ping(Vec::new())),
            Intent::Close => {
                if self.open_session().is_some() {
                    self.start_prompt(PromptFor::Close, "1000");
                } else {
                    self.notice("not connected", true);
                }
            }
            Intent::NewTab => self.new_tab(),
            Intent::CloseTab => return self.close_tab(),
            Intent::NextTab => self.step_tab(true),
            Intent::PrevTab => self.step_tab(false),
            Intent::GatewayView => self.open_view(ViewKind::Gateway),
            Intent::ShowTrace => {
                if self.tab.last_trace.is_some() || self.tab.last_error.is_some() {
                    self.open_view(ViewKind::Trace);
                } else {
                    let f5 = self.key_for(&Intent::ToggleConnection);
                    self.notice(format!("no handshake yet: press {f5} to connect"), false);
                }
            }
            Intent::SaveProfile => self.ask_profile_name(),
            Intent::OpenUrl => self.ask_url_to_open(),
            Intent::ImportApim => self.start_prompt(PromptFor::ImportFile, ""),
            Intent::TokenFromConnectionString => self.start_prompt(PromptFor::ConnectionString, ""),
            Intent::CopyMenu => self.modals.push(Modal::Menu(Menu::new(MenuKind::Copy))),
            action => match self.focus {
                Pane::Apis => self.apis_key(action),
                Pane::Request => self.request_key(action),
                Pane::Messages => self.messages_key(action, viewport),
                Pane::Composer => return self.composer_key(action, viewport),
            },
        }
        None
    }

    /// q: quits, or asks first while connections are open (in any tab).
    fn ask_quit(&mut self) -> Option<Effect> {
        let live = std::iter::once(&self.tab)
            .chain(&self.parked)
            .filter(|t| t.connection.as_ref().is_some_and(|c| !c.state.is_terminal()))
            .count();
        // `confirm_quit = false` in config.toml: q quits at once, as Ctrl-C does.
        if live == 0 || !self.confirm_quit {
            return Some(Effect::Quit);
        }
        let s = if live == 1 { "" } else { "s" };
        self.ask(format!("Quit and close {live} connection{s}?"), Pending::Quit);
        None
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
mod modal_keys_tests;
#[cfg(test)]
mod modal_tests;
#[cfg(test)]
mod newcomer_tests;
#[cfg(test)]
mod pairing_tests;
#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod switch_tests;
#[cfg(test)]
mod tab_tests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod walk_polish_tests;
#[cfg(test)]
mod walk_tests;
