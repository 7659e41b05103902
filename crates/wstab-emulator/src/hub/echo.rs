//! The echo backend: every text and binary message comes back unchanged.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::wsserver::ServerWs;

/// Echoes until the client closes or the server shuts down.
pub async fn run(mut ws: ServerWs, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = ws.close(None).await;
                return;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                    if ws.send(m).await.is_err() { return }
                }
                // tungstenite answers pings and close frames itself; keep reading to flush them.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}
