//! The handshake trace view: the request as sent (secrets masked), the response status, headers
//! and body, and on a failure its label, message and hint.

use ratatui::Frame;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{inner, popup, theme};
use crate::console::state::App;
use crate::console::state::policy_trace::PolicyTrace;
use wstab_core::terminal_text::{escape_for_terminal, escape_one_line};

/// Draws the view from line `scroll`.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 90, 85);
    let body = inner(area);
    let para = Paragraph::new(trace_lines(app)).wrap(Wrap { trim: false });
    let max = para.line_count(body.width).saturating_sub(body.height as usize);
    // While a session is live F5 ends it: the footer says so.
    let key = app.key_for(&crate::console::state::Intent::ToggleConnection);
    let f5 = if app.is_connected() { format!("{key} disconnect") } else { format!("{key} connect again") };
    let mut items = vec!["Esc close".to_string()];
    if max > 0 {
        items.push("↑/↓ scroll".to_string());
    }
    items.push(f5);
    let footer = super::composer::fit_items(&items, area.width.saturating_sub(2) as usize);
    let block = theme::pane_block("Handshake trace", true).title_bottom(Span::styled(footer, theme::dim()));
    frame.render_widget(block, area);
    let scroll = u16::try_from(scroll.min(max)).unwrap_or(u16::MAX);
    frame.render_widget(para.scroll((scroll, 0)), body);
}

/// The last first-line that still fills the view on a terminal of `screen` (0 when all fits).
pub fn scroll_max(screen: ratatui::layout::Rect, app: &App) -> usize {
    let body = inner(super::popup_rect(screen, 90, 85));
    let para = Paragraph::new(trace_lines(app)).wrap(Wrap { trim: false });
    para.line_count(body.width).saturating_sub(body.height as usize)
}

/// The trace as the view lays it out: the failure, the handshake, the gateway's policies.
fn trace_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(e) = &app.tab.last_error {
        lines.push(Line::from(Span::styled(format!("✗ {}", e.label()), theme::error())));
        lines.push(Line::raw(escape_one_line(&e.message)));
        if !e.hint.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("hint: ", theme::hint().add_modifier(Modifier::BOLD)),
                Span::styled(escape_one_line(&e.hint), theme::hint()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    match &app.tab.last_trace {
        Some(t) => {
            for l in escape_for_terminal(&t.to_text()).lines() {
                let style = if l.starts_with('>') { theme::label() } else { ratatui::style::Style::new() };
                lines.push(Line::styled(l.to_string(), style));
            }
        }
        None => {
            lines.push(Line::styled("(no handshake: the connection failed before the request was sent)", theme::dim()))
        }
    }
    if let Some(p) = &app.tab.policy_trace {
        lines.push(Line::raw(""));
        policy_lines(p, &mut lines);
    }
    lines
}

/// The gateway's policy trace: each policy in order with its scope, outcome, time and what it
/// decided, the way the portal's trace lists them.
fn policy_lines(trace: &PolicyTrace, lines: &mut Vec<Line<'static>>) {
    let heading = |text: String| Line::styled(text, theme::label().add_modifier(Modifier::BOLD));
    match trace {
        PolicyTrace::Fetching { location, .. } => {
            lines.push(heading("Policy trace (wstab gateway)".into()));
            lines.push(Line::styled(format!("reading {} …", escape_one_line(location)), theme::dim()));
        }
        PolicyTrace::Failed { location, error } => {
            lines.push(heading("Policy trace (wstab gateway)".into()));
            lines.push(Line::styled(
                format!("not read from {}: {}", escape_one_line(location), escape_one_line(error)),
                theme::error(),
            ));
        }
        PolicyTrace::Fetched { record, .. } => {
            lines.push(heading(format!(
                "Policy trace (wstab gateway): {} {} in {} ms",
                record.status,
                escape_one_line(&record.reason),
                record.duration_ms
            )));
            if record.policies.is_empty() {
                lines.push(Line::styled(
                    "(no policy ran: refused before the policies, e.g. the key check, or no policy XML for this API)",
                    theme::dim(),
                ));
            }
            for (i, step) in record.policies.iter().enumerate() {
                let style = match step.outcome.as_str() {
                    "refused" => theme::error(),
                    "returned" => theme::hint(),
                    _ => ratatui::style::Style::new(),
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("{:>2}. ", i + 1)),
                    Span::styled(escape_one_line(&step.policy), style.add_modifier(Modifier::BOLD)),
                    Span::styled(format!(" {}", escape_one_line(&step.outcome)), style),
                    Span::raw(format!(" {} µs", step.elapsed_us)),
                    Span::styled(
                        format!("  {} · {}", escape_one_line(&step.scope), escape_one_line(&step.location)),
                        theme::dim(),
                    ),
                ]));
                if !step.detail.is_empty() {
                    lines.push(Line::raw(format!("      {}", escape_one_line(&step.detail))));
                }
            }
        }
    }
}
