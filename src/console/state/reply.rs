//! What IO sends back: the results of effects the runtime carried out, the clock and the
//! gateway's feeds. Kept apart from what the user asks for ([`Intent`](super::Intent)).

use std::time::SystemTime;

use super::Notice;
use super::gateway_records::{ApiMetrics, GatewayRecord, GatewayStatus, HandshakeRecord};
use super::profiles::ProfileOutcome;
use wstab_core::profile::{ImportError, ImportReport, Profile};

/// A message from the runtime: an effect's result, a clock tick or gateway news. Handled by
/// [`App::on_reply`](super::App::on_reply); never clears the notice a key would.
#[derive(Debug)]
pub enum Reply {
    /// The saved profiles as they are now (sent by the loop at start and after every profile
    /// effect), with the outcome of the operations just carried out.
    ProfilesLoaded {
        /// Profiles that load, by name, sorted.
        profiles: Vec<(String, Profile)>,
        /// Profile files that do not parse: name and error (with file:line:col).
        broken: Vec<(String, String)>,
        /// What the last [`Effect::Profiles`](super::Effect::Profiles) did, one outcome per operation.
        outcomes: Vec<ProfileOutcome>,
        /// The profile to select afterwards (the one just saved, renamed or copied).
        select: Option<String>,
    },
    /// An import file was read and parsed (sent by the loop after [`Effect::ReadImport`](super::Effect::ReadImport)).
    ImportRead {
        /// The file, for messages.
        source: String,
        /// The APIs found, or why the file could not be used.
        result: Result<ImportReport, ImportFileError>,
    },
    /// The clock moved (sent by the loop's timer) — for the connected-for time and the rate.
    Tick(SystemTime),
    /// Gateway log records, oldest first (sent by the loop when it runs on the demo: the recent
    /// ones at start, then each new one as the gateway writes it).
    GatewayRecords(Vec<GatewayRecord>),
    /// The gateway's numbers per API (sent by the loop's timer when it runs on the demo).
    GatewayMetrics(std::collections::BTreeMap<String, ApiMetrics>),
    /// A gateway emulator's whole status read from its admin address (sent by the loop's poller
    /// with `--gateway-admin URL`): replaces the records and numbers shown.
    GatewayStatus(Box<GatewayStatus>),
    /// An effect finished (sent by the loop): what to tell the user.
    Report(Notice),
    /// A handshake's policy trace read from the gateway (sent by the task carrying out
    /// [`Effect::FetchPolicyTrace`](super::Effect::FetchPolicyTrace)), or why it could not be.
    PolicyTrace {
        /// The tab that asked.
        tab: u64,
        /// The URL it was read from.
        location: String,
        /// The gateway's record with its policies, or the error.
        result: Result<Box<HandshakeRecord>, PolicyTraceError>,
    },
    /// The system clipboard's text, read for Ctrl-V (sent by the runtime after
    /// [`Effect::PasteFromClipboard`](super::Effect::PasteFromClipboard)); pasted like a
    /// bracketed paste.
    Pasted(String),
}

/// Why an import file gave no APIs to import.
#[derive(Debug, thiserror::Error)]
pub enum ImportFileError {
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Read(#[source] std::io::Error),
    /// The file is not the JSON of `az apim api list`.
    #[error(transparent)]
    Parse(#[from] ImportError),
}

/// Why a handshake's policy trace could not be read from the gateway.
#[derive(Debug, thiserror::Error)]
pub enum PolicyTraceError {
    /// The gateway answered with an error, or not at all.
    #[error("{0}")]
    Fetch(String),
    /// The gateway did not answer in time.
    #[error("the gateway did not answer within 5 s")]
    Timeout,
}
