//! The ticker backend: pushes a JSON stock quote every few hundred milliseconds (the article's
//! "stock market reports").

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::wsserver::ServerWs;

/// How often a quote is pushed.
pub const INTERVAL: Duration = Duration::from_millis(400);

const SYMBOLS: &[(&str, f64)] = &[("MSFT", 420.0), ("AAPL", 190.0), ("AMZN", 180.0), ("NVDA", 120.0)];

/// Pushes quotes until the client closes or the server shuts down.
pub async fn run(mut ws: ServerWs, shutdown: CancellationToken) {
    let mut prices: Vec<f64> = SYMBOLS.iter().map(|(_, p)| *p).collect();
    let mut tick = tokio::time::interval(INTERVAL);
    let mut i = 0usize;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = ws.close(None).await;
                return;
            }
            _ = tick.tick() => {
                let k = i % SYMBOLS.len();
                i += 1;
                let change = (rand::random::<f64>() - 0.5) * prices[k] * 0.01;
                prices[k] = (prices[k] + change).max(1.0);
                let time = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                let quote = serde_json::json!({
                    "symbol": SYMBOLS[k].0,
                    "price": (prices[k] * 100.0).round() / 100.0,
                    "change": (change * 100.0).round() / 100.0,
                    "time": time,
                });
                if ws.send(Message::text(quote.to_string())).await.is_err() { return }
            }
            incoming = ws.next() => match incoming {
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}
