//! The console's state and its update logic: no I/O, no drawing.
//!
//! The event loop turns keys into [`Action`]s (see `input`) and connection events into
//! [`App::on_event`] calls; [`App::update`] changes the state and may return an [`Effect`] for the
//! loop to carry out (start a session, send a frame, save a file, quit).

pub mod composer;
pub mod copy;
pub mod editor;
pub mod export;
pub mod gateway_side;
pub mod latency;
pub mod messages;
pub mod profiles;
pub mod recording;
pub mod request;
pub mod sessions;
pub mod tabs;
pub mod token;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use copy::CopyContent;
use editor::Editor;
use profiles::{Pending, ProfileOp, ProfileOutcome};
use request::{RequestDraft, Table};
use std::collections::BTreeMap;
pub use tabs::Tab;
use wstab_core::catalog::{Catalog, Entry, EntryId};
use wstab_core::connection::{Command, Event, EventKind};
use wstab_core::connection::{SessionId, SessionState, Target};
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

/// Everything the user can ask for. Keys map to these in `input`; the loop sends the rest.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Tab: focus the next pane (input; handled by `App`).
    FocusNext,
    /// Shift-Tab: focus the previous pane.
    FocusPrev,
    /// Up / k: move up in a list, scroll an overlay, recall an older message at the composer's top.
    Up,
    /// Down / j: move down, scroll, recall a newer message at the composer's bottom.
    Down,
    /// Page Up: move a page up.
    PageUp,
    /// Page Down: move a page down.
    PageDown,
    /// Home / g: go to the first row (the line start in a field).
    First,
    /// End / G: go to the last row and follow (the line end in a field).
    Last,
    /// Left: cursor left in a field.
    Left,
    /// Right: cursor right in a field.
    Right,
    /// Enter: select or edit; in the composer, send; in a prompt, accept.
    Enter,
    /// Esc: leave an editor, a prompt or an overlay.
    Escape,
    /// Backspace in a field.
    Backspace,
    /// Delete in a field; on a Request row, delete the row.
    Delete,
    /// A typed character, for the focused field.
    Char(char),
    /// Alt-Enter: a newline in the composer.
    Newline,
    /// Bracketed paste, for the focused field (or a Request row's value).
    Paste(String),
    /// F5: connect, or disconnect when connected or connecting.
    ToggleConnection,
    /// F1 / ?: open (or close) the help overlay.
    Help,
    /// Ctrl-L: clear the Messages log (the saved session keeps everything).
    ClearLog,
    /// q / Ctrl-C: quit.
    Quit,
    /// s / Ctrl-S: ask for a file name and save the whole session as NDJSON.
    Save,
    /// /: search the log.
    Search,
    /// n: the next (older) search match.
    SearchOlder,
    /// N: the previous (newer) search match.
    SearchNewer,
    /// f: cycle the Messages filter (all, sent, received, connection, errors).
    CycleFilter,
    /// t: show the last handshake trace.
    ShowTrace,
    /// a: add a query parameter.
    AddQueryParam,
    /// A: add a header.
    AddHeader,
    /// e: rename the selected row.
    RenameRow,
    /// Space: enable or disable the selected row.
    ToggleRow,
    /// r: reveal or mask the selected row's secret value.
    RevealRow,
    /// p: edit the subprotocols.
    EditSubprotocols,
    /// F2: send as text, binary typed as hex, or binary typed as base64.
    ToggleMessageMode,
    /// F3: send a ping.
    Ping,
    /// F4: close with a code and reason.
    Close,
    /// A mouse click on a pane (sent by the loop, which knows the layout): focus it and select
    /// `row` (the item under the pointer, as the drawing code counted it), if any.
    Click {
        /// The pane.
        pane: Pane,
        /// The item clicked.
        row: Option<usize>,
    },
    /// The mouse wheel over a pane (sent by the loop): `lines` up (negative) or down.
    Scroll {
        /// The pane.
        pane: Pane,
        /// Lines to scroll.
        lines: isize,
    },
    /// P: ask for a name and save the selected API's request as a profile (handled by `App`,
    /// which asks before overwriting and returns [`Effect::Profiles`]).
    SaveProfile,
    /// e in APIs: rename the selected saved profile.
    RenameProfile,
    /// D in APIs: duplicate the selected saved profile under a new name.
    DuplicateProfile,
    /// d / Del in APIs: delete the selected saved profile (asks first).
    DeleteProfile,
    /// I: ask for an `az apim api list` JSON file and import its WebSocket APIs as profiles.
    ImportApim,
    /// W: ask for a Web PubSub connection string and hub, and set the request's `access_token`.
    TokenFromConnectionString,
    /// i in Request: show the decoded claims of the selected (or first) JWT value.
    ShowToken,
    /// y: open the copy menu.
    CopyMenu,
    /// Ctrl-V: paste the system clipboard into the focused field (the loop reads it and sends
    /// [`Action::Paste`]).
    PasteFromClipboard,
    /// Ctrl-O in the composer: pick one of the API's saved messages.
    PickSavedMessage,
    /// The saved profiles as they are now (sent by the loop at start and after every profile
    /// effect), with the outcome of the operations just carried out.
    ProfilesLoaded {
        /// Profiles that load, by name, sorted.
        profiles: Vec<(String, Profile)>,
        /// Profile files that do not parse: name and error (with file:line:col).
        broken: Vec<(String, String)>,
        /// What the last [`Effect::Profiles`] did, one outcome per operation.
        outcomes: Vec<ProfileOutcome>,
        /// The profile to select afterwards (the one just saved, renamed or copied).
        select: Option<String>,
    },
    /// An import file was read and parsed (sent by the loop after [`Effect::ReadImport`]).
    ImportRead {
        /// The file, for messages.
        source: String,
        /// The APIs found, or why the file could not be used.
        result: Result<ImportReport, String>,
    },
    /// The clock moved (sent by the loop's timer) — for the connected-for time and the rate.
    Tick(SystemTime),
    /// Ctrl-T: open a new tab (its own session, log and composer) and show it.
    NewTab,
    /// Ctrl-W: close the shown tab, disconnecting its session.
    CloseTab,
    /// Alt-→ / Ctrl-PgDn: show the next tab.
    NextTab,
    /// Alt-← / Ctrl-PgUp: show the previous tab.
    PrevTab,
    /// F6: open (or close) the gateway's side view for the selected API.
    GatewayView,
    /// Gateway log records, oldest first (sent by the loop when it runs on the demo: the recent
    /// ones at start, then each new one as the gateway writes it).
    GatewayRecords(Vec<wstab_emulator::gateway::access_log::LogRecord>),
    /// The gateway's numbers per API (sent by the loop's timer when it runs on the demo).
    GatewayMetrics(std::collections::BTreeMap<String, wstab_emulator::gateway::metrics::ApiMetrics>),
    /// A gateway emulator's whole status read from its admin address (sent by the loop's poller
    /// with `--gateway-admin URL`): replaces the records and numbers shown.
    GatewayStatus(Box<wstab_emulator::gateway::GatewayStatus>),
    /// An effect finished (sent by the loop): what to tell the user.
    Report(Notice),
    /// Ctrl-R: ask for the correlation JSON pointer of the shown tab (handled by `App`, which
    /// restarts the tab's pairing with it).
    SetCorrelation,
    /// w: open (or close) the list of requests still waiting for a reply in the shown tab.
    ShowWaiting,
    /// H: ask for a file name and export the shown tab's session as HAR (`App` answers with
    /// [`Effect::WriteFile`]).
    ExportHar,
    /// R: ask for a file name and save the shown tab's session as a `wstab run` script (`App`
    /// answers with [`Effect::WriteFile`]).
    SaveScript,
}

/// What the loop must do for an action: the only way `App` reaches the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start a session (F5): the loop spawns it and keeps its handle.
    Connect {
        /// The new session's id.
        session: SessionId,
        /// What to connect to.
        target: Box<Target>,
        /// The saved profile behind the API, whose reconnect, on-connect messages and Web PubSub
        /// token refresh apply to the session.
        profile: Option<Box<Profile>>,
    },
    /// Give a running session a command (send, ping, close).
    Send {
        /// The session.
        session: SessionId,
        /// What to do.
        command: CommandToSend,
    },
    /// End a session (F5 while connected or connecting).
    Disconnect {
        /// The session.
        session: SessionId,
    },
    /// Write the whole session as NDJSON to this file, then report with [`Action::Report`].
    Save {
        /// Where.
        path: PathBuf,
    },
    /// Write `contents` to a file atomically (temp file + rename), then report with
    /// [`Action::Report`] (sent for a HAR export or a saved script; carried out by
    /// `tui::effects::Outside`).
    WriteFile {
        /// Where.
        path: PathBuf,
        /// What it is, for the status bar ("HAR", "script").
        what: String,
        /// The file's text.
        contents: String,
    },
    /// Save, rename, copy or delete profiles in the store, in order, then reload them and send
    /// [`Action::ProfilesLoaded`] with the outcomes.
    Profiles {
        /// The operations.
        ops: Vec<ProfileOp>,
        /// The profile to select afterwards.
        select: Option<String>,
    },
    /// Read an import file and parse it with `import_apim_json`, then send [`Action::ImportRead`].
    ReadImport {
        /// The file.
        path: PathBuf,
        /// The gateway URL given, if any.
        gateway: Option<String>,
    },
    /// Put text on a clipboard (the system one, else the terminal's via OSC 52), then report
    /// which one with [`Action::Report`].
    Copy {
        /// What it is, for the status bar ("the request URL").
        what: String,
        /// The text, or the request to render once its `${env:…}` references are resolved.
        content: CopyContent,
    },
    /// Read the system clipboard and send its text back as [`Action::Paste`] (Ctrl-V).
    PasteFromClipboard,
    /// Leave: restore the terminal, end the sessions.
    Quit,
}

/// A command for a session, comparable so tests can assert on it.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandToSend {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// A close frame.
    Close {
        /// The code.
        code: u16,
        /// The reason.
        reason: String,
    },
}

impl From<CommandToSend> for Command {
    fn from(c: CommandToSend) -> Command {
        match c {
            CommandToSend::Text(t) => Command::Text(t),
            CommandToSend::Binary(b) => Command::Binary(b),
            CommandToSend::Ping(p) => Command::Ping(p),
            CommandToSend::Close { code, reason } => Command::Close { code, reason },
        }
    }
}

impl From<Command> for CommandToSend {
    fn from(c: Command) -> CommandToSend {
        match c {
            Command::Text(t) => CommandToSend::Text(t),
            Command::Binary(b) => CommandToSend::Binary(b),
            Command::Ping(p) => CommandToSend::Ping(p),
            Command::Close { code, reason } => CommandToSend::Close { code, reason },
        }
    }
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

    /// Applies one action; returns what the loop must do, if anything.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Tick(now) => {
                self.now = now;
                self.tab.pairing.refresh();
                return None;
            }
            Action::Report(n) => {
                self.notice = Some(n);
                return None;
            }
            Action::GatewayRecords(records) => {
                self.gateway.push(records);
                return None;
            }
            Action::GatewayMetrics(metrics) => {
                self.gateway.metrics = metrics;
                return None;
            }
            Action::GatewayStatus(status) => {
                let status = *status;
                self.gateway.records.clear();
                self.gateway.push(status.records);
                self.gateway.metrics = status.metrics;
                return None;
            }
            Action::Quit => return Some(Effect::Quit),
            Action::Paste(text) => return self.paste(text),
            Action::Click { pane, row } => {
                self.click(pane, row);
                return None;
            }
            Action::Scroll { pane, lines } => {
                self.scroll(pane, lines);
                return None;
            }
            Action::ProfilesLoaded { profiles, broken, outcomes, select } => {
                self.profiles_loaded(profiles, broken, outcomes, select);
                return None;
            }
            Action::ImportRead { source, result } => return self.import_read(&source, result),
            // The clipboard is read by the loop, whatever has the focus.
            Action::PasteFromClipboard => return Some(Effect::PasteFromClipboard),
            _ => {}
        }
        // Any key clears the last notice; errors stay until the next key too.
        if !matches!(action, Action::ToggleConnection) {
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
            Action::FocusNext => self.focus = self.focus.step(true),
            Action::FocusPrev => self.focus = self.focus.step(false),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ToggleConnection => return self.toggle_connection(),
            Action::ClearLog => {
                self.tab.log.clear();
                self.tab.messages.follow();
                self.notice("log cleared (saving with s still writes the whole session)", false);
            }
            Action::Save => self.start_prompt(PromptFor::SavePath, "wstab-session.ndjson"),
            Action::ExportHar => self.ask_export(PromptFor::HarPath, "wstab-session.har"),
            Action::SaveScript => self.ask_export(PromptFor::ScriptPath, "wstab-session.toml"),
            Action::SetCorrelation => {
                let current = self.tab.pairing.pairing.pointer().unwrap_or("/ackId").to_string();
                self.start_prompt(PromptFor::Correlation, &current);
            }
            Action::ShowWaiting => self.overlay = Some(Overlay::Waiting { scroll: 0 }),
            Action::ToggleMessageMode => self.tab.composer.mode = self.tab.composer.mode.next(),
            Action::Ping => return self.send(CommandToSend::Ping(Vec::new())),
            Action::Close => {
                if self.open_session().is_some() {
                    self.start_prompt(PromptFor::Close, "1000 ");
                } else {
                    self.notice("not connected", true);
                }
            }
            Action::NewTab => self.new_tab(),
            Action::CloseTab => return self.close_tab(),
            Action::NextTab => self.step_tab(true),
            Action::PrevTab => self.step_tab(false),
            Action::GatewayView => self.overlay = Some(Overlay::Gateway { scroll: 0 }),
            Action::ShowTrace => {
                if self.tab.last_trace.is_some() || self.tab.last_error.is_some() {
                    self.overlay = Some(Overlay::Trace { scroll: 0 });
                } else {
                    self.notice("no handshake yet: press F5 to connect", false);
                }
            }
            Action::SaveProfile => self.ask_profile_name(),
            Action::ImportApim => self.start_prompt(PromptFor::ImportFile, ""),
            Action::TokenFromConnectionString => self.start_prompt(PromptFor::ConnectionString, ""),
            Action::CopyMenu => self.overlay = Some(Overlay::CopyMenu { selected: 0 }),
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

    fn prompt_key(&mut self, action: Action) -> Option<Effect> {
        let prompt = self.prompt.as_mut()?;
        match action {
            Action::Escape => self.prompt = None,
            Action::Enter | Action::FocusNext => {
                let Prompt { what, field } = self.prompt.take()?;
                return self.commit_prompt(what, field.text());
            }
            Action::Char(c) => prompt.field.insert_char(c),
            Action::Backspace => prompt.field.backspace(),
            Action::Delete => prompt.field.delete(),
            Action::Left => prompt.field.left(),
            Action::Right => prompt.field.right(),
            Action::First => prompt.field.home(),
            Action::Last => prompt.field.end(),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
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

    fn confirm_key(&mut self, confirm: Confirm, action: Action) -> Option<Effect> {
        match action {
            Action::Char('y' | 'Y') | Action::Enter => self.confirmed(confirm.on_yes),
            Action::Char('n' | 'N') | Action::Escape => self.declined(confirm.on_yes),
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

    fn overlay_key(&mut self, overlay: Overlay, action: Action) -> Option<Effect> {
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
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::First => -(isize::MAX / 2),
            Action::Last => isize::MAX / 2,
            Action::Escape | Action::Enter => {
                self.overlay = None;
                return None;
            }
            Action::Help => {
                self.overlay =
                    if matches!(overlay, Overlay::Help { .. }) { None } else { Some(Overlay::Help { scroll: 0 }) };
                return None;
            }
            Action::ToggleConnection => {
                self.overlay = None;
                return self.toggle_connection();
            }
            Action::ShowWaiting => {
                self.overlay = if matches!(overlay, Overlay::Waiting { .. }) {
                    None
                } else {
                    Some(Overlay::Waiting { scroll: 0 })
                };
                return None;
            }
            Action::GatewayView => {
                self.overlay = if matches!(overlay, Overlay::Gateway { .. }) {
                    None
                } else {
                    Some(Overlay::Gateway { scroll: 0 })
                };
                return None;
            }
            // y from a view (the trace, a message) opens the copy menu over it.
            Action::CopyMenu => {
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

    fn apis_key(&mut self, action: Action) {
        let n = self.catalog.len();
        if n == 0 {
            return;
        }
        let at = self.selected_index().unwrap_or(0);
        match action {
            Action::Up => self.select_index(at.saturating_sub(1)),
            Action::Down => self.select_index((at + 1).min(n - 1)),
            Action::PageUp | Action::First => self.select_index(0),
            Action::PageDown | Action::Last => self.select_index(n - 1),
            Action::Enter => {
                // The request is this API's; the next thing to do is usually to write a message.
                self.load_sample_message();
                self.focus = Pane::Composer;
            }
            Action::RenameProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    self.start_prompt(PromptFor::RenameProfile { from: from.clone() }, &from);
                }
            }
            Action::DuplicateProfile => {
                if let Some(from) = self.selected_profile_or_say() {
                    let to = format!("{from}-copy");
                    self.start_prompt(PromptFor::DuplicateProfile { from }, &to);
                }
            }
            Action::DeleteProfile => {
                if let Some(name) = self.selected_profile_or_say() {
                    let question = format!("Delete the profile {name:?} (its file too)? y delete · n keep");
                    self.confirm = Some(Confirm { question, on_yes: Pending::Delete { name } });
                }
            }
            _ => {}
        }
    }

    fn request_key(&mut self, action: Action) {
        let Some(d) = self.draft_mut() else { return };
        let last = d.row_count() - 1;
        match action {
            Action::Up => d.selected = d.selected.saturating_sub(1),
            Action::Down => d.selected = (d.selected + 1).min(last),
            Action::First | Action::PageUp => d.selected = 0,
            Action::Last | Action::PageDown => d.selected = last,
            Action::Enter => {
                let (table, row) = d.locate(d.selected);
                match row {
                    Some(row) => {
                        let value = d.rows(table)[row].param.value.clone();
                        self.start_prompt(PromptFor::ParamValue { table, row }, &value);
                    }
                    None => self.add_row(table),
                }
            }
            Action::AddQueryParam => self.add_row(Table::Query),
            Action::AddHeader => self.add_row(Table::Headers),
            Action::RenameRow => {
                let (table, row) = d.locate(d.selected);
                if let Some(row) = row {
                    let name = d.rows(table)[row].param.name.clone();
                    self.start_prompt(PromptFor::ParamName { table, row, then_value: false }, &name);
                }
            }
            Action::Delete => {
                d.delete_selected();
            }
            Action::ToggleRow => {
                if let Some(r) = d.selected_row() {
                    r.param.enabled = !r.param.enabled;
                }
            }
            Action::RevealRow => {
                if let Some(r) = d.selected_row() {
                    r.revealed = !r.revealed;
                }
            }
            Action::EditSubprotocols => {
                let text = d.subprotocols.join(", ");
                self.start_prompt(PromptFor::Subprotocols, &text);
            }
            Action::ShowToken => match token::token_row(d) {
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

    fn messages_key(&mut self, action: Action) {
        let page = self.tab.messages.rows.max(1) as isize;
        match action {
            Action::Up => self.tab.messages.move_by(&self.tab.log, -1),
            Action::Down => self.tab.messages.move_by(&self.tab.log, 1),
            Action::PageUp => self.tab.messages.move_by(&self.tab.log, -page),
            Action::PageDown => self.tab.messages.move_by(&self.tab.log, page),
            Action::First => self.tab.messages.select(&self.tab.log, 0, 0),
            Action::Last => self.tab.messages.follow(),
            Action::Enter => {
                if let Some(seq) = self
                    .tab
                    .messages
                    .current(&self.tab.log)
                    .and_then(|p| self.tab.log.seq_at(self.tab.messages.filter, p))
                {
                    self.overlay = Some(Overlay::Detail { seq, scroll: 0 });
                }
            }
            Action::Search => {
                let last = self.tab.messages.search.clone();
                self.start_prompt(PromptFor::Search, &last);
            }
            Action::SearchOlder | Action::SearchNewer => {
                if self.tab.messages.search.is_empty() {
                    self.notice("nothing to search for: press / first", true);
                } else if !self.tab.messages.find(&self.tab.log, action == Action::SearchOlder, false) {
                    self.notice(format!("no more matches for {:?}", self.tab.messages.search), true);
                }
            }
            Action::CycleFilter => {
                let next = self.tab.messages.filter.next();
                self.tab.messages.set_filter(&self.tab.log, next);
            }
            _ => {}
        }
    }

    fn composer_key(&mut self, action: Action) -> Option<Effect> {
        let c = &mut self.tab.composer;
        match action {
            Action::Enter => {
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
            Action::Newline => {
                c.editor.newline();
                c.edited();
            }
            Action::Char(ch) => {
                c.editor.insert_char(ch);
                c.edited();
            }
            Action::Backspace => {
                c.editor.backspace();
                c.edited();
            }
            Action::Delete => {
                c.editor.delete();
                c.edited();
            }
            Action::Left => c.editor.left(),
            Action::Right => c.editor.right(),
            Action::First => c.editor.home(),
            Action::Last => c.editor.end(),
            Action::Up => c.up(),
            Action::Down => c.down(),
            // Leaving the editor hands keys back to the panes (so `q` quits again).
            Action::Escape => self.focus = Pane::Messages,
            Action::PickSavedMessage => self.open_saved_messages(),
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
                let a = if lines < 0 { Action::Up } else { Action::Down };
                for _ in 0..lines.unsigned_abs() {
                    if let Some(o) = self.overlay {
                        self.overlay_key(o, a.clone());
                    }
                }
            }
            None if pane == Pane::Messages => self.tab.messages.scroll(&self.tab.log, lines),
            None => {
                let a = if lines < 0 { Action::Up } else { Action::Down };
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
