//! `invoke` → `invokeResponse`: the hook an upstream event handler plugs into, and the answer
//! when none is configured.
//!
//! The hub itself knows no upstream: whoever configures event handlers implements
//! [`InvokeHandler`] and passes it in [`super::HubOptions::invoke`]. Each invocation runs on its
//! own task so a slow handler never blocks the connection; `cancelInvocation` aborts it.

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// One `invoke` as the upstream handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeRequest {
    /// The hub the connection belongs to.
    pub hub: String,
    /// The invoking connection.
    pub connection_id: String,
    /// Its user, if the token named one.
    pub user: Option<String>,
    /// The token's roles.
    pub roles: Vec<String>,
    /// The event name.
    pub event: String,
    /// `json`, `text` or `binary` (base64 in `data`); `None` when the client sent no payload.
    pub data_type: Option<String>,
    /// The payload as the client sent it.
    pub data: Value,
}

/// A successful answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvokeReply {
    /// `json`, `text` or `binary`; `None` for an empty answer.
    pub data_type: Option<String>,
    /// The payload (base64 for binary).
    pub data: Option<Value>,
}

/// A failed invocation, as `invokeResponse.error` carries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct InvokeError {
    /// The error's name (`InternalServerError`, `Unauthorized`, …).
    pub name: String,
    /// What went wrong, for the client.
    pub message: String,
}

/// Answers invocations; implemented by the upstream event handler.
pub trait InvokeHandler: Send + Sync {
    /// The answer to one invocation.
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'static, Result<InvokeReply, InvokeError>>;
}

/// The answer when no upstream handler is configured: the invocation fails, like the service's
/// when no event handler takes the event.
pub fn no_handler(hub: &str, event: &str) -> InvokeError {
    InvokeError {
        name: "InternalServerError".into(),
        message: format!(
            "No event handler is configured for event '{event}' on hub '{hub}': configure an upstream \
             event handler to answer invocations"
        ),
    }
}

/// The `invokeResponse` message for an outcome.
pub fn response(invocation_id: &Value, outcome: Result<InvokeReply, InvokeError>) -> Value {
    match outcome {
        Ok(reply) => {
            let mut v = serde_json::json!({"type": "invokeResponse", "invocationId": invocation_id, "success": true});
            if let (Some(data_type), Some(data)) = (reply.data_type, reply.data) {
                v["dataType"] = Value::from(data_type);
                v["data"] = data;
            }
            v
        }
        Err(e) => serde_json::json!({
            "type": "invokeResponse", "invocationId": invocation_id, "success": false,
            "error": {"name": e.name, "message": e.message},
        }),
    }
}

/// The invocations of one socket still waiting for their answer, keyed by invocation id.
pub struct Invocations {
    pending: HashMap<String, AbortHandle>,
    done_tx: mpsc::UnboundedSender<(String, Value)>,
    done_rx: mpsc::UnboundedReceiver<(String, Value)>,
}

impl Default for Invocations {
    fn default() -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self { pending: HashMap::new(), done_tx, done_rx }
    }
}

impl Invocations {
    /// The key an invocation id is tracked under (the SDKs send strings; numbers work too).
    pub fn key(invocation_id: &Value) -> String {
        invocation_id.as_str().map_or_else(|| invocation_id.to_string(), str::to_string)
    }

    /// Is this invocation id still waiting for its answer?
    pub fn is_pending(&self, invocation_id: &Value) -> bool {
        self.pending.contains_key(&Self::key(invocation_id))
    }

    /// Runs `answer` on its own task; its `invokeResponse` comes out of [`Self::finished`].
    pub fn start(&mut self, invocation_id: Value, answer: BoxFuture<'static, Result<InvokeReply, InvokeError>>) {
        let key = Self::key(&invocation_id);
        let done = self.done_tx.clone();
        let task_key = key.clone();
        let task = tokio::spawn(async move {
            let outcome = answer.await;
            let _ = done.send((task_key, response(&invocation_id, outcome)));
        });
        self.pending.insert(key, task.abort_handle());
    }

    /// The next answered invocation: its key and `invokeResponse`.
    pub async fn finished(&mut self) -> Option<(String, Value)> {
        self.done_rx.recv().await
    }

    /// Marks `key` answered; false if it was cancelled meanwhile (then send nothing).
    pub fn complete(&mut self, key: &str) -> bool {
        self.pending.remove(key).is_some()
    }

    /// `cancelInvocation`: stop waiting; the handler's task is aborted and nothing is sent.
    pub fn cancel(&mut self, invocation_id: &Value) {
        if let Some(task) = self.pending.remove(&Self::key(invocation_id)) {
            task.abort();
        }
    }

    /// The socket ended: abort every pending invocation.
    pub fn abort_all(&mut self) {
        for (_, task) in self.pending.drain() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_response_shapes() {
        let ok = response(
            &Value::from("1"),
            Ok(InvokeReply { data_type: Some("text".into()), data: Some(Value::from("hi")) }),
        );
        assert_eq!(
            ok,
            serde_json::json!({"type": "invokeResponse", "invocationId": "1", "success": true, "dataType": "text", "data": "hi"})
        );
        let failed = response(&Value::from("2"), Err(no_handler("chat", "echo")));
        assert_eq!(failed["success"], false);
        assert_eq!(failed["error"]["name"], "InternalServerError");
        assert!(failed["error"]["message"].as_str().is_some_and(|m| m.contains("'echo'")), "{failed}");
    }
}
