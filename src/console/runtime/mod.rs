//! The console (issue 4): choose the workspace, take the terminal, and run the one event loop
//! that feeds terminal input and connection events to the `App` and carries its effects out.
//!
//! The loop takes connection events in slices of a few milliseconds, looks at the keyboard
//! before each, draws only when something changed, and at most ~60 times a second, so a flood
//! of frames costs a few redraws, never one per frame, and a key is seen within a slice.

pub mod effects;
pub mod gateway_feed;
pub mod terminal;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event as TermEvent, EventStream, MouseButton, MouseEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::exit::Exit;
use crate::console::clipboard::Clipboard;
use crate::console::message_log::journal::{Journal, Saved};
use crate::console::state::{App, Effect, Intent, Notice, Reply};
use crate::console::view;
use wstab_core::connection::{self, EventBatch, EventKind, SessionId};
use wstab_core::profile::ProfileStore;
use wstab_core::workspace::Workspace;
use wstab_emulator::gateway::access_log::GatewayLog;
use wstab_emulator::gateway::metrics::Metrics;

/// How the console was asked to start.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--workspace FILE`.
    pub workspace: Option<PathBuf>,
    /// `--profile NAME`: open on this saved profile.
    pub profile: Option<String>,
    /// `--capture FILE`: every event written here as it happens.
    pub capture: Option<PathBuf>,
    /// `--log-limit N`: log entries kept in memory (else config.toml's, else the default).
    pub log_limit: Option<usize>,
    /// `--gateway-admin URL`: a gateway emulator's admin address to watch from outside.
    pub gateway_admin: Option<String>,
    /// `--ca FILE`: an extra CA certificate (PEM) every connection trusts.
    pub ca: Option<PathBuf>,
    /// `wstab URL`: open the console on this URL, as an ad-hoc entry, selected.
    pub url: Option<String>,
    /// The URL's `-H`, `-q`, `-s`, TLS, timeout, `--secret` and `--access-token-from` flags.
    pub request: crate::cli::args::RequestArgs,
}

/// The request `wstab URL [flags]` opens, and what to tell the user about it (a token taken
/// from `--access-token-from`, a hub that does not match). Errors are worded for stderr.
fn opened_request(options: &Options) -> Result<Option<(wstab_core::request::Request, Option<Notice>)>, StartError> {
    let Some(url) = &options.url else {
        let flagged = options.request.overrides()?;
        // `--ca` alone is the console's: every connection trusts it.
        let ca_only = wstab_core::request::Overrides { ca_file: flagged.ca_file.clone(), ..Default::default() };
        if flagged != ca_only {
            return Err(StartError::RequestFlagsWithoutUrl);
        }
        return Ok(None);
    };
    let overrides = options.request.overrides()?;
    let request = wstab_core::request::Request::from_url(url).map_err(|e| match e {
        // A mistyped command (`wstab conect`) is read as a URL: say what else it could be.
        wstab_core::connection::TargetError::BadUrl { .. } if !url.contains("://") => StartError::NotAUrl(e),
        e => StartError::Url(e),
    })?;
    let request = overrides.apply_to(&request)?;
    let notice = overrides
        .access_token_from
        .as_ref()
        .map(|pasted| crate::console::state::access_token_notice(pasted, &request.endpoint.url(), SystemTime::now()));
    Ok(Some((request, notice)))
}

/// The shortest time between two draws (~60 per second).
const FRAME: Duration = Duration::from_millis(16);

/// The shortest time between two draws when the user did something: a key's effect is shown
/// at once instead of at the next frame (up to 16 ms later), still bounded (≤ 250 a second)
/// so a stream of mouse or key events cannot redraw without end.
const INPUT_FRAME: Duration = Duration::from_millis(4);

/// Terminal events handled in one wake-up at most.
const INPUT_BATCH: usize = 4096;

/// One unit of terminal input for the loop: a terminal event, or a run of characters typed into
/// the composer, merged.
enum Input {
    /// An event as crossterm gave it.
    Term(TermEvent),
    /// Consecutive plain characters typed while the composer has the keys: inserted at once.
    Typed(String),
}

/// The next unit of input from `events`: a run of plain typed characters merged into one
/// insertion when the composer has the keys *now*, so a burst of 10,000 keys costs one edit
/// instead of 10,000 (each with a layout pass). Only the composer: there a character is always
/// text (elsewhere it may be a command, or a field that trims a paste), and `Paste` inserts
/// exactly what `Char` would, one after another. The context is read afresh for every unit, so a
/// key that leaves the composer (Esc) ends the run and what follows is read as commands.
fn next_input(events: &mut std::iter::Peekable<std::vec::IntoIter<TermEvent>>, app: &App) -> Option<Input> {
    fn typed_char(ev: &TermEvent) -> Option<char> {
        use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
        match ev {
            TermEvent::Key(k) if k.kind != KeyEventKind::Release && (k.modifiers - KeyModifiers::SHIFT).is_empty() => {
                match k.code {
                    KeyCode::Char(c) => Some(c),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let first = events.next()?;
    let in_composer = app.input_context() == crate::console::state::InputContext::Composer;
    let Some(c) = typed_char(&first).filter(|_| in_composer) else { return Some(Input::Term(first)) };
    let mut run = String::from(c);
    while let Some(c) = events.peek().and_then(typed_char) {
        run.push(c);
        events.next();
    }
    Some(Input::Typed(run))
}

/// Event batches queued between the sessions and the loop (each holds up to
/// `connection::MAX_BATCH` events or `MAX_BATCH_BYTES` of payload).
const BATCH: usize = 64;

/// The longest the loop ingests connection events before it looks at the keyboard, the clock
/// and the screen again. A flood keeps the channel full; taking the whole backlog at once (up
/// to 64 × 512 events, tens of milliseconds on a loaded machine) made a key wait behind it.
/// Within a slice events still go in whole batches, so ingest stays as fast as before.
pub const INGEST_SLICE: Duration = Duration::from_millis(4);

/// Whatever must stay alive while the console runs (the embedded demo's servers).
type KeepAlive = Option<Box<dyn std::any::Any + Send>>;

/// The gateway the console can watch from the inside (the embedded demo's): its log and counters.
#[derive(Clone)]
struct WatchedGateway {
    metrics: Arc<Metrics>,
    log: Arc<GatewayLog>,
}

/// What the console opens: the workspace, what must live as long as the console, the gateway
/// whose side it can show, and problems to show once it runs.
struct Startup {
    workspace: Workspace,
    keep_alive: KeepAlive,
    gateway: Option<WatchedGateway>,
    notices: Vec<String>,
}

/// Why the console cannot start; printed as `wstab: <message>` before exiting with the usage code.
#[derive(Debug, thiserror::Error)]
enum StartError {
    /// `--workspace FILE` does not load (its file:line:col).
    #[error(transparent)]
    Workspace(#[from] wstab_core::workspace::WorkspaceError),
    /// `--profile NAME` is missing or broken (its file:line:col).
    #[error(transparent)]
    Profile(#[from] wstab_core::profile::ProfileError),
    /// The demo a `gateway = "demo"` profile needs did not start.
    #[error("{0:#}")]
    ProfileDemo(anyhow::Error),
    /// The embedded demo did not start.
    #[error("cannot start the embedded demo: {0:#}")]
    EmbeddedDemo(anyhow::Error),
    /// Request flags were given without the URL they describe.
    #[error(
        "-H, -q, -s, --insecure, --connect-timeout, --secret and --access-token-from describe the URL to open: give it, e.g. `wstab wss://host/path -H 'Name: value'`"
    )]
    RequestFlagsWithoutUrl,
    /// The request flags do not parse.
    #[error(transparent)]
    Flags(#[from] wstab_core::request::RequestError),
    /// The URL to open is not one.
    #[error(transparent)]
    Url(wstab_core::connection::TargetError),
    /// What was read as a URL has no scheme: likely a mistyped command.
    #[error("{0}\nhint: a URL starts with ws://, wss://, http:// or https://; the commands are in `wstab --help`")]
    NotAUrl(wstab_core::connection::TargetError),
}

/// Which workspace the console opens: `--workspace FILE`, or only the saved profiles with
/// `--profile NAME` (which must load), or else the embedded demo. The saved profiles are added by
/// the app from the store once it runs, the one named by `--profile` first. Errors are printed as
/// they should reach the user.
async fn choose_workspace(options: &Options, store: &ProfileStore) -> Result<Startup, StartError> {
    let mut gateway = None;
    let mut notices = Vec::new();
    let (workspace, keep_alive): (Workspace, KeepAlive) = match (&options.workspace, &options.profile) {
        (Some(path), _) => (Workspace::load(path)?, None),
        (None, Some(name)) => {
            // Reports a missing or broken profile with its file:line:col.
            let profile = store.load(name)?;
            // `gateway = "demo"`: start the demo when none runs (issue 13).
            let demo = crate::cli::demo::start_for_profile(&profile).await.map_err(StartError::ProfileDemo)?;
            let keep: KeepAlive = demo.map(|d| Box::new(d) as Box<dyn std::any::Any + Send>);
            (Workspace { name: "profiles".into(), gateway: String::new(), apis: Vec::new() }, keep)
        }
        // `wstab URL`: the user's own endpoint, with the saved profiles; no demo to start.
        (None, None) if options.url.is_some() => {
            (Workspace { name: "profiles".into(), gateway: String::new(), apis: Vec::new() }, None)
        }
        (None, None) => {
            let (demo, on_another_port) =
                wstab_emulator::demo::start_default(Default::default()).await.map_err(StartError::EmbeddedDemo)?;
            // Said, not hidden: profiles saved now still say `gateway = "demo"`, but a
            // `wstab demo --serve` elsewhere or a copied URL would look on 7880.
            notices.extend(on_another_port);
            gateway = Some(WatchedGateway { metrics: demo.metrics.clone(), log: demo.log.clone() });
            (demo.workspace.clone(), Some(Box::new(demo)))
        }
    };
    Ok(Startup { workspace, keep_alive, gateway, notices })
}

/// Set (to anything) in debug builds to panic once the console owns the terminal: the end-to-end
/// test uses it to check the panic hook gives the terminal back.
#[cfg(debug_assertions)]
const PANIC_FOR_TEST_ENV: &str = "WSTAB_PANIC_FOR_TEST";

/// Runs the console; returns the exit code (usage when it cannot start: no workspace, an
/// unreadable file).
pub async fn run(options: Options) -> Exit {
    let opened = match opened_request(&options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("wstab: {e}");
            return Exit::Usage;
        }
    };
    let store = ProfileStore::open_default();
    let Startup { workspace, keep_alive: _keep_alive, gateway, mut notices } =
        match choose_workspace(&options, &store).await {
            Ok(w) => w,
            Err(e) => {
                eprintln!("wstab: {e}");
                return Exit::Usage;
            }
        };
    // config.toml: a file with a mistake is reported in the status bar, and the defaults used.
    let (config, config_error) = crate::console::config::load(&wstab_core::paths::config_dir());
    if let Some(e) = config_error {
        notices.push(format!("config.toml not used: {e}"));
    }
    let mut journal = match Journal::bounded(options.capture.as_deref(), config.journal_limit) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("wstab: cannot open the session journal or capture file: {e}");
            return Exit::Usage;
        }
    };
    let mut app = App::new(workspace, crate::console::config::log_limit(options.log_limit, &config));
    app.apply_config(&config);
    app.pinned_profile = options.profile.clone();
    app.overrides.ca_file = options.ca.clone();
    let outside = effects::Outside::new(store, Clipboard::open());
    let loaded = outside.load_profiles(Vec::new(), options.profile.clone());
    if let Reply::ProfilesLoaded { broken, .. } = &loaded {
        notices.extend(broken.iter().map(|(_, e)| format!("profile not loaded: {e}")));
    }
    app.on_reply(loaded);
    let opened_notice = opened.map(|(request, notice)| {
        app.open_request(request);
        notice
    });
    if app.catalog.is_empty() {
        notices
            .push("no APIs: pass --workspace FILE or --profile NAME, or import some with `wstab import apim`".into());
    }
    for text in notices {
        app.on_reply(Reply::Report(Notice { text, error: true }));
    }
    if let Some(notice) = opened_notice.flatten() {
        app.on_reply(Reply::Report(notice));
    }
    let mut guard = match terminal::TerminalGuard::enter() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("wstab: cannot use this terminal: {e}");
            return Exit::Failed;
        }
    };
    #[cfg(debug_assertions)]
    if std::env::var_os(PANIC_FOR_TEST_ENV).is_some() {
        panic!("{PANIC_FOR_TEST_ENV} is set: panicking with the terminal taken over");
    }
    // Off the demo, a gateway emulator can still be watched through its admin address.
    let admin = if gateway.is_none() { options.gateway_admin.clone() } else { None };
    let result = event_loop(&mut guard.terminal, app, &mut journal, outside, gateway, admin).await;
    drop(guard);
    match result {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("wstab: {e}");
            Exit::Failed
        }
    }
}

async fn event_loop(
    term: &mut terminal::Term,
    mut app: App,
    journal: &mut Journal,
    mut outside: effects::Outside,
    gateway: Option<WatchedGateway>,
    gateway_admin: Option<String>,
) -> std::io::Result<()> {
    let mut admin_feed = gateway_admin.map(gateway_feed::poll_admin);
    // The gateway's own records, live: subscribed before the recent ones are read, so none is
    // missed in between.
    let mut gateway_feed = gateway.as_ref().map(|g| {
        let feed = g.log.subscribe();
        app.on_reply(Reply::GatewayRecords(gateway_feed::records(g.log.recent())));
        app.on_reply(Reply::GatewayMetrics(gateway_feed::metrics(g.metrics.per_api())));
        feed
    });
    let (tx, mut rx) = mpsc::channel::<EventBatch>(BATCH);
    // Replies from effects carried out in tasks (a policy trace read over HTTP).
    let (reply_tx, mut replies) = mpsc::channel::<Reply>(16);
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    // Set by terminal input: the next draw may come sooner (see `INPUT_FRAME`).
    let mut keyed = false;
    let mut last_draw = Instant::now() - FRAME;
    let mut last_second = 0u64;
    // The sender is kept here so `recv` waits (rather than ending) where no signal is watched.
    let (_stop_sender, mut stop) = stop_signals();
    loop {
        let gap = if keyed { INPUT_FRAME } else { FRAME };
        if dirty && last_draw.elapsed() >= gap {
            draw(term, &app)?;
            dirty = false;
            keyed = false;
            last_draw = Instant::now();
        }
        let next_draw = last_draw + gap;
        tokio::select! {
            // In this order, not at random: a key, a reply or the clock never waits behind a
            // flood, which keeps the connection branch ready all the time. Connection events
            // come last but cannot starve: each other source is ready only now and then, and
            // the input branch handles a bounded run of events per turn.
            biased;
            // Killed politely (SIGTERM, SIGHUP, SIGINT from outside): leave the usual way, so the
            // terminal is restored.
            _ = stop.recv() => return Ok(()),
            ev = input.next() => {
                let Some(ev) = ev else { return Ok(()) };
                // Every event already readable is handled in this wake-up (a fast burst of typing
                // costs one redraw, and none waits for the next key), up to a bound so connection
                // events still get their turn. A zero timeout would miss the events crossterm's
                // `use-dev-tty` source has parsed but not returned yet, hence 1 ms (at most one
                // idle wait per wake-up).
                let mut ready = vec![ev?];
                while ready.len() < INPUT_BATCH && crossterm::event::poll(Duration::from_millis(1))? {
                    ready.push(crossterm::event::read()?);
                }
                dirty = true;
                keyed = true;
                let size = term.size()?;
                let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                let mut ready = ready.into_iter().peekable();
                while let Some(ev) = next_input(&mut ready, &app) {
                    // The screen as this key finds it (an earlier key may have grown the
                    // composer or opened a view): passed in, never stored in the state.
                    let viewport = view::viewport(area, &app);
                    let action = match &ev {
                        Input::Typed(text) => Some(Intent::Paste(text.clone())),
                        Input::Term(TermEvent::Mouse(m)) => mouse_action(&app, area, m),
                        Input::Term(TermEvent::Resize(..)) => None,
                        Input::Term(other) => app.keys.action_for(other, app.input_context()),
                    };
                    // Below 80×24 only quitting works: nothing else is visible to act on.
                    let action = match action {
                        // q asks nothing there: a question could not be shown.
                        Some(Intent::AskQuit) if view::layout(area, &app).is_none() => Some(Intent::Quit),
                        Some(a) if view::layout(area, &app).is_none() && !matches!(a, Intent::Quit) => None,
                        a => a,
                    };
                    if let Some(action) = action {
                        // An effect may answer with a reply that has an effect of its own (a paste
                        // that opens a prompt, a reload after a save): follow the chain.
                        let mut next = app.update(action, &viewport);
                        while let Some(effect) = next.take() {
                            match outside.carry_out(effect, term.backend_mut()) {
                                Ok(answer) => next = app.on_reply(answer),
                                Err(effect) => {
                                    if !carry_out(effect, &mut app, (&tx, &reply_tx), journal) {
                                        return Ok(());
                                    }
                                }
                            }
                        }
                    }
                }
            }
            record = async {
                match gateway_feed.as_mut() {
                    Some(feed) => feed.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match record {
                    Ok(r) => {
                        app.on_reply(Reply::GatewayRecords(vec![gateway_feed::record(r)]));
                        dirty = true;
                    }
                    // Fell behind a burst: the next records still come.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => gateway_feed = None,
                }
            }
            status = async {
                match admin_feed.as_mut() {
                    Some(feed) => feed.recv().await,
                    None => std::future::pending().await,
                }
            } => match status {
                Some(Ok(status)) => {
                    app.on_reply(Reply::GatewayStatus(Box::new(status)));
                    dirty = true;
                }
                Some(Err(e)) => {
                    app.on_reply(Reply::Report(Notice { text: e.to_string(), error: true }));
                    dirty = true;
                }
                None => admin_feed = None,
            },
            Some(reply) = replies.recv() => {
                if let Some(effect) = app.on_reply(reply) {
                    carry_out(effect, &mut app, (&tx, &reply_tx), journal);
                }
                dirty = true;
            }
            _ = tick.tick() => {
                let now = SystemTime::now();
                app.on_reply(Reply::Tick(now));
                // An ack held back by the interval goes out now.
                for ack in app.due_acks() {
                    carry_out(ack, &mut app, (&tx, &reply_tx), journal);
                }
                if let Some(g) = &gateway {
                    app.on_reply(Reply::GatewayMetrics(gateway_feed::metrics(g.metrics.per_api())));
                    if app.modals.shows(crate::console::state::ViewKind::Gateway) {
                        dirty = true;
                    }
                }
                // Redraw when the clock shown (connected-for time, rate) can have changed.
                let second = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                if app.shows_clock() && second != last_second {
                    dirty = true;
                }
                last_second = second;
            }
            Some(first) = rx.recv() => {
                // One slice of the backlog (see `INGEST_SLICE`); the rest waits in the channel,
                // whose bound holds the sessions back meanwhile, so nothing is dropped.
                ingest_slice(&mut app, journal, first, &mut rx);
                for fetch in app.due_trace_fetches() {
                    carry_out(fetch, &mut app, (&tx, &reply_tx), journal);
                }
                // Acknowledge what arrived so far (Web PubSub reliable).
                for ack in app.due_acks() {
                    carry_out(ack, &mut app, (&tx, &reply_tx), journal);
                }
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_draw), if dirty => {}
        }
    }
}

/// Draws one frame of the console into `term` (any ratatui backend: the real terminal, or a
/// `TestBackend` in the benchmarks).
pub fn draw<B: ratatui::backend::Backend>(term: &mut ratatui::Terminal<B>, app: &App) -> Result<(), B::Error> {
    term.draw(|f| view::draw(f, app))?;
    Ok(())
}

/// Starts a session for the console: supervised as the saved profile behind the API asks
/// (reconnect, on-connect messages, a fresh Web PubSub token each time); plain otherwise. The
/// event loop and the console benchmark both use this.
pub fn start_session(
    session: SessionId,
    target: wstab_core::connection::Target,
    profile: Option<&wstab_core::profile::Profile>,
    tx: mpsc::Sender<EventBatch>,
) -> connection::SessionHandle {
    let supervision = profile.map(wstab_core::profile::Profile::supervision).unwrap_or_default();
    connection::spawn_supervised(session, target, supervision, tx)
}

/// Takes connection events into the console for one slice of the loop: `first`, then batches
/// already queued in `rx` (never waiting for one) until [`INGEST_SLICE`] has passed. What is
/// left stays queued for the next slice. The event loop and the console benchmark both use this.
pub fn ingest_slice(app: &mut App, journal: &mut Journal, first: EventBatch, rx: &mut mpsc::Receiver<EventBatch>) {
    let until = std::time::Instant::now() + INGEST_SLICE;
    let mut next = Some(first);
    while let Some(batch) = next.take() {
        record(app, journal, batch);
        // One clock read per batch (up to 512 events), not per event.
        if std::time::Instant::now() < until {
            next = rx.try_recv().ok();
        }
    }
    finish(app, journal);
}

/// Each event is journalled (so nothing is lost when the bounded log drops it from view), then
/// applied to the state, whose session registry forgets a session on its `Ended`.
fn record(app: &mut App, journal: &mut Journal, batch: EventBatch) {
    for event in batch {
        // `Ended` is bookkeeping, not something that happened on the wire: the journal and the
        // capture keep the format they had (the `closed`/`failed` line before it tells the end).
        if !matches!(event.kind, EventKind::Ended) {
            journal.record(&event);
        }
        app.on_event(event);
    }
}

/// After a run of events: the journal (and capture) flushed once, a write error shown.
fn finish(app: &mut App, journal: &mut Journal) {
    journal.flush();
    app.journal = journal.stats();
    if let Some(e) = journal.error() {
        app.on_reply(Reply::Report(Notice { text: e.to_string(), error: true }));
    }
}

/// A channel that yields once SIGTERM, SIGHUP or SIGINT arrives (raw mode turns Ctrl-C into a key,
/// so SIGINT only comes from `kill`).
fn stop_signals() -> (mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for kind in [SignalKind::terminate(), SignalKind::hangup(), SignalKind::interrupt()] {
            if let Ok(mut s) = signal(kind) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if s.recv().await.is_some() {
                        let _ = tx.send(()).await;
                    }
                });
            }
        }
    }
    (tx, rx)
}

/// Carries out an effect; false means quit.
/// `channels` are where sessions send their events and where tasks send their replies.
fn carry_out(
    effect: Effect,
    app: &mut App,
    (tx, replies): (&mpsc::Sender<EventBatch>, &mpsc::Sender<Reply>),
    journal: &mut Journal,
) -> bool {
    match effect {
        Effect::Quit => return false,
        Effect::Batch(effects) => {
            for effect in effects {
                if !carry_out(effect, app, (tx, replies), journal) {
                    return false;
                }
            }
        }
        // Carried out by `effects::Outside` before this is reached.
        Effect::Profiles { .. }
        | Effect::ReadImport { .. }
        | Effect::Copy { .. }
        | Effect::PasteFromClipboard
        | Effect::WriteFile { .. } => {}
        Effect::FetchPolicyTrace { tab, location } => gateway_feed::fetch_policy_trace(tab, location, replies.clone()),
        Effect::Connect { session, target, profile } => {
            let handle = start_session(session, *target, profile.as_deref(), tx.clone());
            app.sessions.attach(session, handle);
        }
        Effect::Send { session, command } => {
            if !app.sessions.handle(session).is_some_and(|s| s.send(command.into())) {
                app.on_reply(Reply::Report(Notice { text: "not sent: the session has ended".into(), error: true }));
            }
        }
        Effect::Disconnect { session } => {
            if let Some(s) = app.sessions.handle(session) {
                s.cancel();
            }
        }
        Effect::Save { path } => {
            // Converting millions of events takes a while: a thread of its own does it while the
            // console goes on, from the journal as it is now; the notice comes back as a reply.
            // The journal finishes the save before it is dropped: quitting right after `s`
            // still writes the whole file.
            let dropped = journal.stats().dropped;
            let done = {
                let replies = replies.clone();
                move |path: &std::path::Path, saved| {
                    // Refused once the console's loop has ended: nothing is left to show it.
                    let _ = replies.blocking_send(Reply::Report(save_notice(path, saved, dropped)));
                }
            };
            let notice = match journal.save_in_background(path.clone(), done) {
                Ok(()) => Notice { text: format!("saving the session to {}…", path.display()), error: false },
                Err(e) => save_notice(&path, Err(e), dropped),
            };
            app.on_reply(Reply::Report(notice));
        }
    }
    true
}

/// What the status bar says after `s`: where the session went and how big it is, that the
/// bound dropped older events (the file's first line says so too), and where a damaged journal
/// stopped the save short (an error: the file lacks what came after).
fn save_notice(path: &std::path::Path, saved: std::io::Result<Saved>, dropped: u64) -> Notice {
    match saved {
        Ok(saved) => {
            let mut text = format!("saved the session ({}) to {}", view::human_size(saved.bytes), path.display());
            if dropped > 0 {
                text.push_str(&format!("; its first line says {dropped} older events were dropped (journal_limit_mb)"));
            }
            if let Some(damage) = &saved.damaged {
                text.push_str(&format!("; but {damage}"));
            }
            Notice { text, error: saved.damaged.is_some() }
        }
        Err(e) => Notice { text: format!("not saved: {}: {e}", path.display()), error: true },
    }
}

/// Mouse clicks focus and select; the wheel scrolls the pane under the pointer.
fn mouse_action(app: &App, area: ratatui::layout::Rect, m: &crossterm::event::MouseEvent) -> Option<Intent> {
    let (pane, row) = view::hit_test(area, app, m.column, m.row)?;
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Intent::Click { pane, row }),
        MouseEventKind::ScrollUp => Some(Intent::Scroll { pane, lines: -3 }),
        MouseEventKind::ScrollDown => Some(Intent::Scroll { pane, lines: 3 }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_a_save_in_progress_is_finished_when_the_console_quits() {
        // `s`, then quit at once: `run` returns (its journal dropped) and `main` shuts the
        // runtime down without waiting for its tasks. The save must still be written whole:
        // the user was told it was being saved.
        use wstab_core::connection::{Direction, Event, EventKind, Frame, SessionId, Utf8Bytes};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.ndjson");
        let events = 200_000;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        runtime.block_on(async {
            let mut journal = Journal::new(None).unwrap();
            for i in 0..events {
                let frame = Frame::Text(Utf8Bytes::from(format!("message {i}")));
                journal.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame }));
            }
            let mut app = App::new(crate::console::state::tests::workspace(), 100);
            let (tx, _rx) = mpsc::channel(1);
            let (reply_tx, _replies) = mpsc::channel(16);
            assert!(carry_out(Effect::Save { path: path.clone() }, &mut app, (&tx, &reply_tx), &mut journal));
            assert!(!carry_out(Effect::Quit, &mut app, (&tx, &reply_tx), &mut journal));
            drop(journal);
        });
        runtime.shutdown_background();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(text.lines().count(), events, "the save was cut off by the quit");
    }

    #[test]
    fn test_save_notice_says_where_a_damaged_journal_stopped_the_save() {
        let path = std::path::Path::new("/tmp/s.ndjson");
        let whole = save_notice(path, Ok(Saved { bytes: 2048, events: 10, damaged: None }), 0);
        assert_eq!((whole.text.as_str(), whole.error), ("saved the session (2.0 KiB) to /tmp/s.ndjson", false));
        let damage = "the session journal ends in a record cut short at byte 90 (in its payload; a write that failed half way?): 3 events before it saved";
        let cut = save_notice(path, Ok(Saved { bytes: 300, events: 3, damaged: Some(damage.into()) }), 5);
        assert!(cut.error, "{cut:?}");
        assert!(
            cut.text.starts_with("saved the session (300 B) to /tmp/s.ndjson; its first line says 5 older"),
            "{cut:?}"
        );
        assert!(cut.text.ends_with(&format!("; but {damage}")), "{cut:?}");
        let failed = save_notice(path, Err(std::io::Error::other("disk full")), 0);
        assert_eq!((failed.text.as_str(), failed.error), ("not saved: /tmp/s.ndjson: disk full", true));
    }
}
