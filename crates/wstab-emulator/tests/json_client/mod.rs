//! A WebSocket client for the hub's JSON subprotocols, shared by the hub's test files: read the
//! next JSON message (skipping pings and binary) under a deadline, send a JSON value.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any wait in these tests may take before the test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(5);

/// A client connection to the hub.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next text message, parsed as JSON; fails the test after [`WAIT`] or when the stream ends.
pub async fn recv_json(ws: &mut Client) -> Value {
    loop {
        let m = tokio::time::timeout(WAIT, ws.next()).await.expect("no message in time").expect("ended").unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// Sends `v` as one text message.
pub async fn send_json(ws: &mut Client, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}
