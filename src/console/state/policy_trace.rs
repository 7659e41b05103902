//! The policy trace of a handshake made through a wstab gateway: asked for with an
//! `Ocp-Apim-Trace: true` header (the `T` key in **Request** adds it), announced by the gateway in
//! `Ocp-Apim-Trace-Location`, read from there by the runtime and shown in the handshake trace.

use wstab_core::connection::HandshakeTrace;

use super::gateway_records::HandshakeRecord;
use super::{App, Effect};

/// The request header that asks APIM (and the wstab gateway) for a trace.
pub const TRACE_HEADER: &str = "Ocp-Apim-Trace";
/// The response header that says where the trace can be read.
pub const LOCATION_HEADER: &str = "Ocp-Apim-Trace-Location";

/// Where a tab's last handshake's policy trace is.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyTrace {
    /// The gateway announced it; the runtime is (or is about to be) reading it.
    Fetching {
        /// The URL from `Ocp-Apim-Trace-Location`.
        location: String,
        /// True once the fetch effect was handed to the runtime, so it is asked for once.
        requested: bool,
    },
    /// Read: the policies in order with their outcome and time.
    Fetched {
        /// The URL it was read from.
        location: String,
        /// The gateway's record of the handshake.
        record: Box<HandshakeRecord>,
    },
    /// It could not be read.
    Failed {
        /// The URL tried.
        location: String,
        /// Why.
        error: String,
    },
}

impl PolicyTrace {
    /// The trace a handshake's response announces, if it announces one.
    pub fn announced_by(trace: &HandshakeTrace) -> Option<Self> {
        let response = trace.response.as_ref()?;
        let (_, location) = response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(LOCATION_HEADER))?;
        Some(PolicyTrace::Fetching { location: location.trim().to_string(), requested: false })
    }

    /// The trace as text, line for line as the handshake trace view (`t`) shows it.
    pub fn to_text(&self) -> String {
        let heading = "Policy trace (wstab gateway)";
        match self {
            PolicyTrace::Fetching { location, .. } => format!("{heading}\nreading {location} …\n"),
            PolicyTrace::Failed { location, error } => format!("{heading}\nnot read from {location}: {error}\n"),
            PolicyTrace::Fetched { record, .. } => {
                let mut out = format!("{heading}: {} {} in {} ms\n", record.status, record.reason, record.duration_ms);
                if record.policies.is_empty() {
                    out.push_str("(no policy ran: refused before the policies, e.g. the key check, or no policy XML for this API)\n");
                }
                for (i, step) in record.policies.iter().enumerate() {
                    out.push_str(&format!(
                        "{:>2}. {} {} {} µs  {} · {}\n",
                        i + 1,
                        step.policy,
                        step.outcome,
                        step.elapsed_us,
                        step.scope,
                        step.location
                    ));
                    if !step.detail.is_empty() {
                        out.push_str(&format!("      {}\n", step.detail));
                    }
                }
                out
            }
        }
    }

    /// The URL it comes from.
    pub fn location(&self) -> &str {
        match self {
            PolicyTrace::Fetching { location, .. }
            | PolicyTrace::Fetched { location, .. }
            | PolicyTrace::Failed { location, .. } => location,
        }
    }
}

impl App {
    /// The policy traces announced and not yet asked for, in every tab (called by the loop after
    /// each batch of events): one [`Effect::FetchPolicyTrace`] each.
    pub fn due_trace_fetches(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        for tab in std::iter::once(&mut self.tab).chain(self.parked.iter_mut()) {
            if let Some(PolicyTrace::Fetching { location, requested: requested @ false }) = &mut tab.policy_trace {
                *requested = true;
                effects.push(Effect::FetchPolicyTrace { tab: tab.id, location: location.clone() });
            }
        }
        effects
    }

    /// A fetched trace (or why not) for the tab that asked; dropped when that tab has since
    /// made another handshake or was closed.
    pub(super) fn policy_trace_read(
        &mut self,
        tab: u64,
        location: String,
        result: Result<HandshakeRecord, super::PolicyTraceError>,
    ) {
        let Some(t) = std::iter::once(&mut self.tab).chain(self.parked.iter_mut()).find(|t| t.id == tab) else {
            return;
        };
        if t.policy_trace.as_ref().is_none_or(|p| p.location() != location) {
            return;
        }
        t.policy_trace = Some(match result {
            Ok(record) => PolicyTrace::Fetched { location, record: Box::new(record) },
            Err(error) => PolicyTrace::Failed { location, error: error.to_string() },
        });
    }

    /// `T` in **Request**: adds the `Ocp-Apim-Trace: true` header row, or turns the one there on
    /// or off, like the portal's Test tab "Trace" option.
    pub(super) fn toggle_apim_trace(&mut self) {
        let Some(d) = self.draft_mut() else { return };
        let on = match d.headers.iter_mut().find(|r| r.param.name.eq_ignore_ascii_case(TRACE_HEADER)) {
            Some(r) => {
                r.param.enabled = !r.param.enabled;
                if r.param.enabled {
                    r.param.value = "true".into();
                }
                r.param.enabled
            }
            None => {
                let row = d.add_row(super::request::Table::Headers);
                d.headers[row].param = wstab_core::connection::Param::new(TRACE_HEADER, "true");
                true
            }
        };
        let text = if on {
            "APIM trace on: the next handshake sends Ocp-Apim-Trace: true (t shows the policies)"
        } else {
            "APIM trace off"
        };
        self.notice(text, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::state::tests::{connect, workspace};
    use crate::console::state::{Intent, Pane, Reply, Viewport};
    use std::time::SystemTime;
    use wstab_core::connection::{Event, EventKind, ResponseTrace};

    fn handshake(app: &App, location: Option<&str>) -> Event {
        let session = app.tab.connection.as_ref().map(|c| c.id).unwrap_or_default();
        let headers = location.map(|l| vec![(LOCATION_HEADER.to_string(), l.to_string())]).unwrap_or_default();
        let response =
            ResponseTrace { status: 101, reason: "Switching Protocols".into(), headers, body: String::new() };
        let trace = HandshakeTrace { response: Some(response), ..Default::default() };
        Event { session, at: SystemTime::UNIX_EPOCH, kind: EventKind::Handshake(Box::new(trace)) }
    }

    fn record(status: u16) -> HandshakeRecord {
        HandshakeRecord {
            time: String::new(),
            api: Some("echo".into()),
            url: "/echo".into(),
            status,
            reason: "relayed".into(),
            client: "127.0.0.1:1".into(),
            duration_ms: 1,
            policies: Vec::new(),
        }
    }

    #[test]
    fn test_t_adds_the_trace_header_row_then_turns_it_off_and_on() {
        let mut app = App::new(workspace(), 100);
        app.focus = Pane::Request;
        let trace_row = |app: &App| {
            app.draft()
                .and_then(|d| d.headers.iter().find(|r| r.param.name == TRACE_HEADER))
                .map(|r| (r.param.value.clone(), r.param.enabled))
        };
        assert_eq!(trace_row(&app), None);
        app.update(Intent::ToggleApimTrace, &Viewport::default());
        assert_eq!(trace_row(&app), Some(("true".into(), true)));
        app.update(Intent::ToggleApimTrace, &Viewport::default());
        assert_eq!(trace_row(&app), Some(("true".into(), false)), "the row stays, turned off");
        app.update(Intent::ToggleApimTrace, &Viewport::default());
        assert_eq!(trace_row(&app), Some(("true".into(), true)));
        assert_eq!(app.draft().map(|d| d.headers.len()), Some(1), "never a second row");
    }

    #[test]
    fn test_an_announced_trace_is_fetched_once_and_kept_for_its_handshake_only() {
        let mut app = App::new(workspace(), 100);
        connect(&mut app);
        let location = "http://127.0.0.1:2/trace/a";
        app.on_event(handshake(&app, Some(location)));
        let fetches = app.due_trace_fetches();
        assert_eq!(fetches, vec![Effect::FetchPolicyTrace { tab: app.tab.id, location: location.into() }]);
        assert!(app.due_trace_fetches().is_empty(), "asked for once");

        // A reply for another handshake's trace is not this one.
        let tab = app.tab.id;
        app.on_reply(Reply::PolicyTrace {
            tab,
            location: "http://x/trace/old".into(),
            result: Ok(Box::new(record(401))),
        });
        assert!(matches!(app.tab.policy_trace, Some(PolicyTrace::Fetching { .. })));
        app.on_reply(Reply::PolicyTrace { tab, location: location.into(), result: Ok(Box::new(record(101))) });
        assert!(matches!(&app.tab.policy_trace, Some(PolicyTrace::Fetched { record, .. }) if record.status == 101));

        // The next handshake announces none: the old trace is not shown for it.
        app.on_event(handshake(&app, None));
        assert_eq!(app.tab.policy_trace, None);
        assert!(app.due_trace_fetches().is_empty());
    }

    /// What `y` then `key` puts on the clipboard (or the notice when nothing).
    fn copy(app: &mut App, key: char) -> Result<String, String> {
        assert_eq!(app.update(Intent::CopyMenu, &Viewport::default()), None);
        match app.update(Intent::Char(key), &Viewport::default()) {
            Some(Effect::Copy { content: super::super::copy::CopyContent::Text(t), .. }) => Ok(t),
            other => Err(format!("{other:?}: {:?}", app.notice.as_ref().map(|n| n.text.clone()))),
        }
    }

    #[test]
    fn test_copy_menu_offers_the_policy_trace_as_t_shows_it_with_secrets_masked() {
        use super::super::gateway_records::PolicyStep;
        let mut app = App::new(workspace(), 100);
        let key = "k-0123456789";
        let row = super::super::request::Row {
            param: wstab_core::connection::Param::new("subscription-key", key).secret(),
            revealed: false,
        };
        app.draft_at(0).query.push(row);
        // Without a policy trace the menu does not offer one: `p` copies nothing, the menu stays.
        assert!(copy(&mut app, 'p').is_err());
        assert!(matches!(app.modals.top(), Some(crate::console::state::Modal::Menu(_))));
        assert_eq!(app.update(Intent::Escape, &Viewport::default()), None);
        assert!(app.modals.is_empty());

        connect(&mut app);
        let location = "http://127.0.0.1:2/trace/b";
        app.on_event(handshake(&app, Some(location)));
        let _ = app.due_trace_fetches();
        assert!(copy(&mut app, 'p').unwrap().contains(&format!("reading {location}")), "a trace being read says so");
        let mut refused = record(401);
        refused.reason = "validate-jwt: Invalid JWT.".into();
        let step = |policy: &str, outcome: &str, detail: &str| PolicyStep {
            scope: "api echo".into(),
            policy: policy.into(),
            location: "apis/echo/policy.xml:5:5".into(),
            outcome: outcome.into(),
            // A gateway that wrote the key into its detail must not put it on the clipboard.
            detail: detail.into(),
            elapsed_us: 42,
        };
        refused.policies = vec![
            step("ip-filter", "passed", ""),
            step("validate-jwt", "refused", &format!("JWT validation failed (key {key})")),
        ];
        let tab = app.tab.id;
        app.on_reply(Reply::PolicyTrace { tab, location: location.into(), result: Ok(Box::new(refused)) });

        let text = copy(&mut app, 'p').unwrap();
        let mask = wstab_core::secret::MASK;
        assert_eq!(
            text,
            format!(
                "Policy trace (wstab gateway): 401 validate-jwt: Invalid JWT. in 1 ms\n \
                 1. ip-filter passed 42 µs  api echo · apis/echo/policy.xml:5:5\n \
                 2. validate-jwt refused 42 µs  api echo · apis/echo/policy.xml:5:5\n      \
                 JWT validation failed (key {mask})\n"
            )
        );
        // The whole trace (`t`) carries it too, after the handshake, as the view shows it.
        let whole = copy(&mut app, 't').unwrap();
        assert!(whole.ends_with(&text) && whole.contains("HTTP/1.1 101"), "{whole}");
        assert!(!whole.contains(key), "{whole}");
    }
}
