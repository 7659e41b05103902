//! The gateway's side of the connection: its own log records and metrics, as the loop reads them
//! from the embedded demo's gateway, kept for the gateway view (F6) the way Azure Monitor shows
//! an APIM instance's logs and metrics.

use std::collections::{BTreeMap, VecDeque};

use super::gateway_records::{ApiMetrics, GatewayRecord};

/// Records kept for the view: the newest ones, like the gateway's own recent buffer.
pub const KEEP: usize = 500;

/// What the console knows of the gateway it talks through.
#[derive(Debug, Default)]
pub struct GatewaySide {
    /// True once the loop feeds a gateway's records (the console runs on the demo).
    pub watched: bool,
    /// The newest records, oldest first, at most [`KEEP`].
    pub records: VecDeque<GatewayRecord>,
    /// The numbers per API, as of the last tick.
    pub metrics: BTreeMap<String, ApiMetrics>,
}

impl GatewaySide {
    /// Takes records in (oldest first), dropping the oldest beyond [`KEEP`].
    pub fn push(&mut self, records: Vec<GatewayRecord>) {
        self.watched = true;
        for r in records {
            if self.records.len() == KEEP {
                self.records.pop_front();
            }
            self.records.push_back(r);
        }
    }

    /// The records of `api`, newest first (the view walks only as many as it shows).
    pub fn records_for<'a>(&'a self, api: &'a str) -> impl Iterator<Item = &'a GatewayRecord> + 'a {
        self.records.iter().rev().filter(move |r| r.api() == Some(api))
    }
}
