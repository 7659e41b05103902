//! What `App` asks the runtime to do: the only way the console's state reaches the world.

use std::path::PathBuf;

use super::copy::CopyContent;
use super::profiles::ProfileOp;
use wstab_core::connection::{Command, SessionId, Target};
use wstab_core::profile::Profile;

/// What the runtime must do for an intent or a reply: the only way `App` reaches the world.
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
    /// Write the whole session as NDJSON to this file, then report with [`Reply::Report`](super::Reply::Report).
    Save {
        /// Where.
        path: PathBuf,
    },
    /// Write `contents` to a file atomically (temp file + rename), then report with
    /// [`Reply::Report`](super::Reply::Report) (sent for a HAR export or a saved script; carried out by
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
    /// [`Reply::ProfilesLoaded`](super::Reply::ProfilesLoaded) with the outcomes.
    Profiles {
        /// The operations.
        ops: Vec<ProfileOp>,
        /// The profile to select afterwards.
        select: Option<String>,
    },
    /// Read an import file and parse it with `import_apim_json`, then send [`Reply::ImportRead`](super::Reply::ImportRead).
    ReadImport {
        /// The file.
        path: PathBuf,
        /// The gateway URL given, if any.
        gateway: Option<String>,
    },
    /// Put text on a clipboard (the system one, else the terminal's via OSC 52), then report
    /// which one with [`Reply::Report`](super::Reply::Report).
    Copy {
        /// What it is, for the status bar ("the request URL").
        what: String,
        /// The text, or the request to render once its `${env:…}` references are resolved.
        content: CopyContent,
    },
    /// Read the system clipboard and send its text back as [`Reply::Pasted`](super::Reply::Pasted) (Ctrl-V).
    PasteFromClipboard,
    /// Read a handshake's policy trace from the wstab gateway's admin address (the
    /// `Ocp-Apim-Trace-Location` it answered), then send
    /// [`Reply::PolicyTrace`](super::Reply::PolicyTrace). Carried out in a task: the UI never waits.
    FetchPolicyTrace {
        /// The tab whose handshake it is.
        tab: u64,
        /// The URL.
        location: String,
    },
    /// Session effects (`Disconnect`, `Connect`, `Send`) carried out in order: disconnecting
    /// one entry's session and connecting another's in the same tab.
    Batch(Vec<Effect>),
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
