//! A tiny WebSocket echo server for trying the console and making screenshots before the
//! embedded demo is available: `/echo` echoes every message; any other path is refused with
//! APIM's 404 body, so the refused-handshake view can be shown too.
//!
//! `cargo run --example echo_server -- [PORT]` prints `listening on 127.0.0.1:PORT`.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut flood = false;
            // tungstenite's callback signature fixes the error type; its size is not ours to change.
            #[allow(clippy::result_large_err)]
            let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                match req.uri().path() {
                    "/echo" => Ok(resp),
                    "/flood" => {
                        flood = true;
                        Ok(resp)
                    }
                    _ => {
                        let body = r#"{"statusCode": 404, "message": "Resource not found"}"#.to_string();
                        let mut refusal = ErrorResponse::new(Some(body));
                        *refusal.status_mut() = http::StatusCode::NOT_FOUND;
                        Err(refusal)
                    }
                }
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else { return };
            if flood {
                for n in 0u64.. {
                    let tick = format!(r#"{{"type":"tick","n":{n},"price":{}.{:02}}}"#, 100 + n % 7, n % 100);
                    if ws.send(tokio_tungstenite::tungstenite::Message::text(tick)).await.is_err() {
                        return;
                    }
                }
            }
            while let Some(Ok(msg)) = ws.next().await {
                if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                    break;
                }
            }
        });
    }
}
