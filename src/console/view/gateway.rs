//! The gateway's side (F6): what the API gateway itself logged and counted for the selected API —
//! each handshake's status and reason, each connection end with the messages and bytes relayed
//! each way — laid out like Azure Monitor's view of an APIM instance.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{human_size, inner, popup, theme};
use crate::console::state::editor::display_width;
use crate::console::state::gateway_records::{GatewayRecord, PolicyStep};
use crate::console::state::{App, Intent};
use wstab_core::terminal_text::escape_one_line;

/// Draws the view, records from the `scroll`-th newest.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 94, 85);
    // Records are keyed by the API's id; the title names it as the APIs pane does.
    let entry = app.selected_entry();
    let api = entry.map(|e| e.name()).unwrap_or_default();
    let shown = entry.map(|e| escape_one_line(&e.title)).filter(|t| !t.is_empty());
    let title = format!("Gateway: {}", shown.as_deref().unwrap_or("(no API)"));
    let max = scroll_max(frame.area(), app);
    let mut footer = vec![format!("Esc/{} close", app.key_for(&Intent::GatewayView))];
    if max > 0 {
        footer.push("↑/↓ scroll".into());
    }
    footer.push("newest first".into());
    let block =
        theme::pane_block(&title, true).title_bottom(Span::styled(format!(" {} ", footer.join(" · ")), theme::dim()));
    let body = inner(area);
    frame.render_widget(block, area);
    let scroll = scroll.min(max);
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
    // Only the rows that fit are built: the view costs what it shows.
    let rows = records_area.height as usize;
    let shown: Vec<&GatewayRecord> = app.gateway.records_for(&api).skip(scroll).take(rows).collect();
    let widest_reason = shown.iter().map(|r| display_width(&reason(r))).max().unwrap_or(0);
    let cols = Columns::for_width(body.width as usize, widest_reason);
    let header = cols.row(["Time", "Operation", "Status", "Reason", "Client", "ms"].map(String::from), "URL · relayed");
    frame.render_widget(Paragraph::new(Line::styled(header, theme::label())), header_area);
    let lines: Vec<Line> = shown.into_iter().map(|r| record_line(r, &cols)).collect();
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

/// How many rows the records take below the metrics and the header on a view of `body`.
fn record_rows(body: ratatui::layout::Rect) -> usize {
    body.height.saturating_sub(5) as usize
}

/// The last first record that still fills the view on a terminal of `screen` (0 when all fit).
pub fn scroll_max(screen: ratatui::layout::Rect, app: &App) -> usize {
    if !app.gateway.watched {
        return 0;
    }
    let body = inner(super::popup_rect(screen, 94, 85));
    let api = app.selected_entry().map(|e| e.name()).unwrap_or_default();
    app.gateway.records_for(&api).count().saturating_sub(record_rows(body))
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

/// The table's columns as they fit a width: the last one (the URL, or what a connection
/// relayed) keeps at least [`Columns::MIN_LAST`] columns; to give it that, Client goes first,
/// then Reason narrows, then ms goes. Every cell is whole or ends in `…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    reason: usize,
    client: bool,
    ms: bool,
    /// Columns left for the last one.
    last: usize,
}

impl Columns {
    const MIN_LAST: usize = 24;

    /// The columns for `width`, the Reason column no wider than the widest shown reason needs.
    fn for_width(width: usize, widest_reason: usize) -> Self {
        let full = widest_reason.clamp(6, 28);
        let ways = [(full, true, true), (full, false, true), (full.min(20), false, true), (full.min(20), false, false)];
        let mut cols = Self { reason: full.min(16), client: false, ms: false, last: 0 };
        for (reason, client, ms) in ways.into_iter().chain([(full.min(16), false, false)]) {
            cols = Self { reason, client, ms, last: 0 };
            cols.last = width.saturating_sub(cols.fixed());
            if cols.last >= Self::MIN_LAST {
                break;
            }
        }
        cols
    }

    /// Columns before the last one, with the spaces between them.
    fn fixed(&self) -> usize {
        (8 + 1)
            + (11 + 1)
            + (6 + 1)
            + (self.reason + 1)
            + if self.client { 17 } else { 0 }
            + if self.ms { 7 } else { 0 }
            + 1
    }

    /// One row: time, operation, status, reason, client, ms, then `last` fitted into what is left.
    fn row(&self, [time, op, status, reason, client, ms]: [String; 6], last: &str) -> String {
        let mut out =
            format!("{time:<8} {op:<11} {status:<6} {:<w$} ", fit_at_breaks(&reason, self.reason), w = self.reason);
        if self.client {
            out.push_str(&format!("{:<16} ", fit_at_breaks(&client, 16)));
        }
        if self.ms {
            out.push_str(&format!("{ms:>6} "));
        }
        out.push(' ');
        out.push_str(&fit_at_breaks(last, self.last));
        out
    }
}

/// A record's Reason cell, before it is fitted.
fn reason(r: &GatewayRecord) -> String {
    match r {
        GatewayRecord::Handshake(h) => escape_one_line(&h.reason),
        GatewayRecord::ConnectionEnd(e) => match &e.error {
            Some(err) => escape_one_line(&format!("closed by {} · {err}", e.closed_by)),
            None => format!("closed by {}", escape_one_line(&e.closed_by)),
        },
    }
}

fn record_line(r: &GatewayRecord, cols: &Columns) -> Line<'static> {
    match r {
        GatewayRecord::Handshake(h) => {
            let style = if h.status == 101 { ratatui::style::Style::new() } else { theme::error() };
            let cells = [
                clock(&h.time).to_string(),
                "onHandshake".to_string(),
                h.status.to_string(),
                reason(r),
                escape_one_line(&h.client),
                h.duration_ms.to_string(),
            ];
            // The gateway masked the URL's secrets (`secret::mask_url`): the mask is kept whole.
            let last = format!("{}{}", escape_one_line(&h.url), policy_summary(&h.policies));
            Line::styled(cols.row(cells, &last), style)
        }
        GatewayRecord::ConnectionEnd(e) => {
            // Where a handshake shows its URL, a connection end shows what it relayed.
            let relayed = format!(
                "↑{} msg {} · ↓{} msg {}",
                e.messages_from_client,
                human_size(e.bytes_from_client),
                e.messages_from_backend,
                human_size(e.bytes_from_backend)
            );
            let style = if e.error.is_some() { theme::error() } else { theme::dim() };
            let cells = [
                clock(&e.time).to_string(),
                "onClose".to_string(),
                e.close_code.to_string(),
                reason(r),
                escape_one_line(&e.client),
                e.duration_ms.to_string(),
            ];
            Line::styled(cols.row(cells, &relayed), style)
        }
    }
}

/// `text` as it fits in `room` columns: whole, or cut after a URL or word break (`/ ? & = #`,
/// a space) and ended by `…`, so a masked value or a word is never shown in part.
fn fit_at_breaks(text: &str, room: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if display_width(text) <= room {
        return text.to_string();
    }
    let (mut used, mut end, mut last_break) = (0, 0, None);
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > room {
            break;
        }
        used += w;
        end = i + c.len_utf8();
        if matches!(c, '/' | '?' | '&' | '=' | '#' | ' ') {
            last_break = Some(end);
        }
    }
    let keep = last_break.unwrap_or(end);
    if room == 0 { String::new() } else { format!("{}…", &text[..keep]) }
}
