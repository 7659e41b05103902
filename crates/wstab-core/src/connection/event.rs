//! What a session reports: every event carries its session and a timestamp.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::error::ConnError;
use super::trace::HandshakeTrace;

/// Identifies a session among several in one console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SessionId(pub u64);

/// One thing that happened in a session.
#[derive(Debug, Clone)]
pub struct Event {
    /// Which session.
    pub session: SessionId,
    /// When it happened (wall clock).
    pub at: SystemTime,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// An event stamped now.
    pub fn now(session: SessionId, kind: EventKind) -> Self {
        Self { session, at: SystemTime::now(), kind }
    }
}

/// Events as a session sends them: in order, several at a time during a flood.
pub type EventBatch = Vec<Event>;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by us.
    Out,
    /// Received from the server.
    In,
}

/// Who started the close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// We did (a close command, or the user quit).
    Local,
    /// The server did.
    Remote,
}

/// A WebSocket frame as seen by the user (fragments already joined).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping with its payload.
    Ping(Bytes),
    /// A pong with its payload.
    Pong(Bytes),
    /// A close frame: code and reason, if any.
    Close(Option<(u16, String)>),
}

impl Frame {
    /// Payload size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) | Frame::Ping(b) | Frame::Pong(b) => b.len(),
            Frame::Close(c) => c.as_ref().map(|(_, r)| 2 + r.len()).unwrap_or(0),
        }
    }

    /// True when the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Short lowercase name of the kind, as `connect --json` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Frame::Text(_) => "text",
            Frame::Binary(_) => "binary",
            Frame::Ping(_) => "ping",
            Frame::Pong(_) => "pong",
            Frame::Close(_) => "close",
        }
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// The session started connecting to this URL (secrets masked).
    Connecting {
        /// The request URL, secrets masked.
        url: String,
    },
    /// The handshake finished, one way or the other: what was sent and what came back.
    Handshake(Box<HandshakeTrace>),
    /// The server accepted the upgrade; frames may flow.
    Opened {
        /// The subprotocol the server chose, if any.
        subprotocol: Option<String>,
        /// Time from the start of connecting to the 101.
        elapsed: Duration,
    },
    /// A frame was sent or received.
    Frame {
        /// Which way.
        dir: Direction,
        /// The frame.
        frame: Frame,
    },
    /// The session ended cleanly or with a close code.
    Closed {
        /// The close code (1005 when the close frame had none, 1006 for no close frame).
        code: u16,
        /// The close reason.
        reason: String,
        /// Who started the close.
        by: Closer,
    },
    /// The session could not connect, or broke.
    Failed(ConnError),
    /// A supervised session ([`super::spawn_supervised`]) lost its connection (the `Closed` or
    /// `Failed` event just before this one) and will connect again after `delay`. Only the
    /// reconnect supervisor sends it; it always directly follows the event that ended the
    /// connection, in the same batch, so a reader knows at once that the end was not final.
    Reconnecting {
        /// 1 for the first retry after a connection ended; reset once a connection opens.
        attempt: u32,
        /// How long the supervisor waits before connecting again (backoff with jitter).
        delay: Duration,
        /// Why it reconnects: the failure's label or the close code.
        after: String,
    },
    /// The session is over for good: sent exactly once per session id, as its last event, after
    /// the `Closed`/`Failed` that ended its last connection (in the same batch) or after the
    /// supervisor stopped waiting to reconnect. Owners forget the session on this event only:
    /// a `Closed`/`Failed` followed by [`EventKind::Reconnecting`] is not the end.
    Ended,
}
