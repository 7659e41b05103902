//! The gateway's side (F6): what the API gateway itself logged and counted for the selected API —
//! each handshake's status and reason, each connection end with the messages and bytes relayed
//! each way — laid out like Azure Monitor's view of an APIM instance.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{human_size, inner, popup, theme};
use crate::console::state::gateway_records::{GatewayRecord, PolicyStep};
use crate::console::state::{App, Intent};
use wstab_core::terminal_text::escape_one_line;

/// Draws the view, records from the `scroll`-th newest.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 94, 85);
    let api = app.selected_entry().map(|e| e.name()).unwrap_or_default();
    let title = format!("Gateway: {}", if api.is_empty() { "(no API)" } else { &api });
    let block = theme::pane_block(&title, true).title_bottom(Span::styled(
        format!(" Esc/{} close · ↑/↓ scroll · newest first ", app.key_for(&Intent::GatewayView)),
        theme::dim(),
    ));
    let body = inner(area);
    frame.render_widget(block, area);
    if !app.gateway.watched {
        let lines = vec![
            Line::raw("The gateway's side needs the embedded demo:"),
            Line::styled("run `wstab` with no --workspace or --profile to open it on the demo gateway,", theme::dim()),
            Line::styled(
                "or pass --gateway-admin URL to watch a `wstab gateway` through its admin address.",
                theme::dim(),
            ),
        ];
        frame.render_widget(Paragraph::new(lines), body);
        return;
    }
    let [metrics_area, header_area, records_area] =
        Layout::vertical([Constraint::Length(4), Constraint::Length(1), Constraint::Min(1)]).areas(body);
    let m = app.gateway.metrics.get(&api).cloned().unwrap_or_default();
    let handshakes = if m.handshakes.is_empty() {
        "none".to_string()
    } else {
        m.handshakes.iter().map(|(status, n)| format!("{status}: {n}")).collect::<Vec<_>>().join(" · ")
    };
    let metric_lines = vec![
        Line::from(vec![Span::styled("Metrics  ", theme::label()), Span::raw("(this API, since the gateway started)")]),
        Line::from(vec![
            Span::styled("  Handshakes by status  ", theme::label()),
            Span::raw(handshakes),
            Span::styled("   Active connections  ", theme::label()),
            Span::raw(m.active.to_string()),
        ]),
        Line::from(vec![
            Span::styled("  Messages client→backend  ", theme::label()),
            Span::raw(format!("{} ({})", m.messages_from_client, human_size(m.bytes_from_client))),
            Span::styled("   backend→client  ", theme::label()),
            Span::raw(format!("{} ({})", m.messages_from_backend, human_size(m.bytes_from_backend))),
        ]),
        Line::raw(""),
    ];
    frame.render_widget(Paragraph::new(metric_lines), metrics_area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{:<8} {:<11} {:<6} {:<28} {:<16} {:>6}  URL · relayed",
                "Time", "Operation", "Status", "Reason", "Client", "ms"
            ),
            theme::label(),
        )),
        header_area,
    );
    // Only the rows that fit are built: the view costs what it shows.
    let rows = records_area.height as usize;
    let lines: Vec<Line> = app.gateway.records_for(&api).skip(scroll).take(rows).map(record_line).collect();
    let lines = if lines.is_empty() && scroll == 0 {
        vec![Line::styled(
            format!("(no records for this API yet: connect with {})", app.key_for(&Intent::ToggleConnection)),
            theme::dim(),
        )]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines), records_area);
}

/// `12:03:04` from an RFC 3339 time.
fn clock(time: &str) -> &str {
    time.get(11..19).unwrap_or(time)
}

/// The policy XML trace of a handshake in one line: the policies that ran, in order, and what
/// stopped it (`validate-jwt refused: JWT validation failed: token has expired`).
fn policy_summary(steps: &[PolicyStep]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match s.outcome.as_str() {
            "passed" => s.policy.clone(),
            _ => format!("{} {}: {}", s.policy, s.outcome, escape_one_line(&s.detail)),
        })
        .collect();
    format!("  policies: {}", parts.join(" → "))
}

fn record_line(r: &GatewayRecord) -> Line<'static> {
    match r {
        GatewayRecord::Handshake(h) => {
            let style = if h.status == 101 { ratatui::style::Style::new() } else { theme::error() };
            Line::styled(
                format!(
                    "{:<8} {:<11} {:<6} {:<28} {:<16} {:>6}  {}{}",
                    clock(&h.time),
                    "onHandshake",
                    h.status,
                    cut(&escape_one_line(&h.reason), 28),
                    escape_one_line(&h.client),
                    h.duration_ms,
                    escape_one_line(&h.url),
                    policy_summary(&h.policies)
                ),
                style,
            )
        }
        GatewayRecord::ConnectionEnd(e) => {
            let reason = match &e.error {
                Some(err) => format!("closed by {} · {err}", e.closed_by),
                None => format!("closed by {}", e.closed_by),
            };
            // Where a handshake shows its URL, a connection end shows what it relayed.
            let relayed = format!(
                "↑{} msg {} · ↓{} msg {}",
                e.messages_from_client,
                human_size(e.bytes_from_client),
                e.messages_from_backend,
                human_size(e.bytes_from_backend)
            );
            let style = if e.error.is_some() { theme::error() } else { theme::dim() };
            Line::styled(
                format!(
                    "{:<8} {:<11} {:<6} {:<28} {:<16} {:>6}  {relayed}",
                    clock(&e.time),
                    "onClose",
                    e.close_code,
                    cut(&escape_one_line(&reason), 28),
                    escape_one_line(&e.client),
                    e.duration_ms
                ),
                style,
            )
        }
    }
}

/// `text` cut to `n` characters, with `…` when cut.
fn cut(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        text.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}
