//! The connection manager: one tokio task per WebSocket session, [`Command`]s in, [`Event`]s out.
//!
//! It knows nothing of the UI: the console, the headless `connect` command and the benchmarks all
//! drive sessions through [`spawn`] and read the same [`Event`] stream.

#[cfg(test)]
mod ended_tests;
mod error;
mod event;
mod handshake;
mod raw_upgrade;
mod recovery;
mod session;
mod state;
mod supervisor;
mod target;
mod tls;
mod trace;

pub use error::{ConnError, Credential, FailureKind, unauthorized_hint};
pub use event::{Closer, Direction, Event, EventBatch, EventKind, Frame, SessionId};
pub use handshake::{ClientWs, UpgradeError, UpgradeResponse, offered_subprotocols, upgrade};
pub use raw_upgrade::{RawUpgrade, upgrade_raw};
pub use recovery::{RELIABLE_SUBPROTOCOL, Recovery};
pub use session::{Command, MAX_BATCH, SessionHandle, spawn};
pub use state::{SessionState, Transition};
pub use supervisor::{PrepareTarget, ReconnectPolicy, Supervision, should_retry, spawn_supervised};
pub use target::{HANDSHAKE_HEADERS, Param, Target, TargetError, TlsOptions};
pub use tls::{TlsSetupError, client_config};
pub use tokio_tungstenite::tungstenite::Utf8Bytes;
pub use trace::{HandshakeTrace, ResponseTrace};
