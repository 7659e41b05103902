//! Every process exit code wstab gives, in one enum, and the one place where the core's typed
//! outcomes (a connection's `FailureKind`, a script's `RunOutcome`) become them.
//!
//! Scripts and CI depend on these numbers (the README lists them): add a variant, never renumber.

use wstab_core::connection::{ConnError, FailureKind};
use wstab_core::script::RunOutcome;

/// A process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success: the session ended normally, the script passed, the file was written.
    Ok = 0,
    /// The work failed without a more precise class: an expectation of `wstab run` failed, an
    /// import found nothing or could not save, a file could not be written, a server could not
    /// start.
    Failed = 1,
    /// Bad usage: a flag, a profile, a script or a config cannot be used (clap exits 2 too).
    Usage = 2,
    /// The server refused the WebSocket handshake or botched the upgrade.
    Refused = 3,
    /// Could not connect: DNS, TCP, TLS or a timeout.
    Connect = 4,
    /// The connection was lost or broke the protocol after it opened.
    Lost = 5,
}

impl Exit {
    /// The number the process exits with.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The exit code of a connection failure of this class.
    pub fn of_failure(kind: &FailureKind) -> Self {
        match kind {
            FailureKind::InvalidRequest => Exit::Usage,
            FailureKind::HandshakeRefused { .. } | FailureKind::BadHandshake => Exit::Refused,
            FailureKind::Dns
            | FailureKind::Refused
            | FailureKind::Timeout
            | FailureKind::Network
            | FailureKind::Tls => Exit::Connect,
            FailureKind::Abnormal | FailureKind::Protocol | FailureKind::TooLarge => Exit::Lost,
        }
    }

    /// The exit code of a classified connection failure.
    pub fn of_error(err: &ConnError) -> Self {
        Self::of_failure(&err.kind)
    }

    /// The exit code of `wstab run`.
    pub fn of_run(outcome: &RunOutcome) -> Self {
        match outcome {
            RunOutcome::Passed => Exit::Ok,
            RunOutcome::Unusable => Exit::Usage,
            RunOutcome::ExpectationFailed => Exit::Failed,
            RunOutcome::Connection(kind) => Self::of_failure(kind),
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_exit_codes_keep_their_numbers() {
        let numbers: Vec<i32> =
            [Exit::Ok, Exit::Failed, Exit::Usage, Exit::Refused, Exit::Connect, Exit::Lost].map(Exit::code).into();
        assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn test_exit_codes_by_failure_class() {
        assert_eq!(Exit::of_failure(&FailureKind::HandshakeRefused { status: 401 }), Exit::Refused);
        assert_eq!(Exit::of_failure(&FailureKind::BadHandshake), Exit::Refused);
        assert_eq!(Exit::of_failure(&FailureKind::Refused), Exit::Connect);
        assert_eq!(Exit::of_failure(&FailureKind::Tls), Exit::Connect);
        assert_eq!(Exit::of_failure(&FailureKind::Timeout), Exit::Connect);
        assert_eq!(Exit::of_failure(&FailureKind::Abnormal), Exit::Lost);
        assert_eq!(Exit::of_failure(&FailureKind::TooLarge), Exit::Lost);
        assert_eq!(Exit::of_failure(&FailureKind::InvalidRequest), Exit::Usage);
    }

    #[test]
    fn test_run_outcomes_map_to_their_exit_codes() {
        assert_eq!(Exit::of_run(&RunOutcome::Passed), Exit::Ok);
        assert_eq!(Exit::of_run(&RunOutcome::ExpectationFailed), Exit::Failed);
        assert_eq!(Exit::of_run(&RunOutcome::Unusable), Exit::Usage);
        assert_eq!(Exit::of_run(&RunOutcome::Connection(FailureKind::Timeout)), Exit::Connect);
        assert_eq!(Exit::of_run(&RunOutcome::Connection(FailureKind::Abnormal)), Exit::Lost);
    }
}
