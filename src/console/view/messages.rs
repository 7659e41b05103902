//! The **Messages** pane: one row per event — time, marker, kind, size, one-line preview — with
//! follow mode, the filter, search matches, the drop count and the counters; a paired reply
//! shows its latency, and the bottom border the latency sparkline and percentiles.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{human_size, inner, theme};
use crate::console::keymap::key_label;
use crate::console::message_log::{Entry, EntryKind, Filter};
use crate::console::state::{App, Intent, Pane};
use unicode_width::UnicodeWidthStr;
use wstab_core::clock::hms_millis;
use wstab_core::connection::{Direction, SessionState};
use wstab_core::terminal_text::escape_one_line;

/// The marker and colour for a kind of entry.
pub fn marker(kind: EntryKind, label: &str) -> (&'static str, Color) {
    match kind {
        // A close frame says which way it went (ours or the server's); the session's end keeps ×.
        EntryKind::Close(Direction::Out) if label == "close" => ("→", Color::Yellow),
        EntryKind::Close(Direction::In) if label == "close" => ("←", Color::Yellow),
        EntryKind::Connection => ("•", Color::Blue),
        EntryKind::Sent => ("→", Color::Cyan),
        EntryKind::Received => ("←", Color::Green),
        EntryKind::PingPong(Direction::Out) => ("→", Color::Magenta),
        EntryKind::PingPong(Direction::In) => ("←", Color::Magenta),
        EntryKind::Close(_) => ("×", Color::Yellow),
        EntryKind::Error => ("✗", Color::Red),
        EntryKind::Chatter(Direction::Out) => ("→", Color::DarkGray),
        EntryKind::Chatter(Direction::In) => ("←", Color::DarkGray),
    }
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Pane::Messages;
    let log = &app.tab.log;
    let view = &app.tab.messages;
    let mut title = String::from("Messages");
    if view.filter != Filter::All {
        title.push_str(&format!(" · filter: {}", view.filter.name()));
    }
    // Off is the unusual state, and the hub's outbox grows while it lasts: say so.
    if !app.auto_ack {
        title.push_str(" · sequenceAck off");
    }
    let newer = view.newer_than_selection(log);
    let follow = if view.following() {
        Span::styled(" following ", theme::dim())
    } else if newer == 0 {
        // On the newest row (a search's match, say) nothing is held back: not "paused".
        Span::styled(" newest selected · End follows ", theme::dim())
    } else {
        Span::styled(format!(" paused · {newer} newer · End follows "), theme::hint())
    };
    let mut block = theme::pane_block(&title, focused).title(follow);
    if log.dropped() > 0 {
        block = block.title(Span::styled(
            format!(
                " {} older dropped from view (limit {}; {}) ",
                log.dropped(),
                log.limit(),
                // Once the journal's bound dropped events too, `s` no longer has everything.
                if app.journal.dropped > 0 { "s saves the newest" } else { "s saves all" }
            ),
            theme::hint(),
        ));
    }
    // One line, so a narrow pane cuts the latency figures at its end rather than drawing them
    // over the counters.
    let mut bottom = counters(app);
    if let Some(line) = latency_line(app) {
        bottom.spans.extend(line.spans);
    }
    block = block.title_bottom(bottom);
    if !view.search.is_empty() {
        let count = view.hits().map(|(at, of)| format!(" {at}/{of}")).unwrap_or_default();
        // Short, so the counters beside it keep their room at 80 columns (the help says Esc clears).
        let text = format!(" /{}{count} ", escape_one_line(&view.search));
        block = block.title_bottom(Span::styled(text, theme::hint()));
    }
    let body = inner(area);
    frame.render_widget(block, area);
    if log.is_empty(view.filter) {
        let text = empty_text(app);
        frame.render_widget(Paragraph::new(text).style(theme::dim()).wrap(Wrap { trim: true }), body);
        return;
    }
    let window = view.window(log, body.height as usize);
    let query = view.search.to_ascii_lowercase();
    let lines: Vec<Line> = log
        .slice(view.filter, window.start, body.height as usize)
        .map(|e| row(e, &query, app.tab.pairing.latency_of(e.seq), body.width as usize))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    if let Some(sel) = window.selected {
        let style = if focused { theme::selected() } else { theme::selected_unfocused() };
        super::highlight_row(frame, body, sel - window.start, style);
    }
}

/// What an empty Messages pane says: how to start, or, after `Ctrl-L`, that it was cleared and
/// what the tab is connected to (a cleared log is not a fresh start).
pub fn empty_text(app: &App) -> String {
    let log = &app.tab.log;
    let connect = app.key_for(&Intent::ToggleConnection);
    if !log.is_empty(Filter::All) {
        let f = app.keys.bindings().iter().find(|b| b.action == Intent::CycleFilter).map(|b| key_label(b.key));
        return format!("Nothing matches this filter ({} changes it).", f.unwrap_or_else(|| "the filter key".into()));
    }
    if log.last_seq().is_none() {
        return format!("No messages yet. Select an API, press {connect} to connect, write a message and press Enter.");
    }
    let save = app.key_for(&Intent::Save);
    let to = app.tab.connection.as_ref().and_then(|c| app.catalog.get(c.entry)).map(|e| e.title.clone());
    let to = escape_one_line(&to.unwrap_or_else(|| "the API".into()));
    let state = match app.tab.connection.as_ref().map(|c| c.state) {
        Some(SessionState::Open) => format!("connected to {to}: new messages appear here"),
        Some(SessionState::Connecting) => format!("connecting to {to}"),
        Some(SessionState::Closing) => format!("disconnecting from {to}"),
        _ => format!("disconnected ({connect} connects again)"),
    };
    format!("Log cleared; {state}.\n{save} still saves the whole session.")
}

fn row<'a>(e: &'a Entry, query: &str, latency: Option<Duration>, width: usize) -> Line<'a> {
    let (mark, color) = marker(e.kind, e.label);
    let size = if e.size > 0 || matches!(e.kind, EntryKind::Sent | EntryKind::Received) {
        human_size(e.size as u64)
    } else {
        String::new()
    };
    let mut spans = vec![
        Span::styled(hms_millis(e.at), theme::dim()),
        Span::raw(" "),
        Span::styled(mark, Style::new().fg(color)),
        Span::raw(" "),
        Span::styled(format!("{:<9}", e.label), Style::new().fg(color)),
        Span::styled(format!("{size:>9}  "), theme::dim()),
    ];
    if let Some(d) = latency {
        spans.push(Span::styled(format!("↩ {}  ", ms(d)), theme::hint()));
    }
    if let Some(id) = e.sequence_id {
        spans.push(Span::styled(format!("#{id}  "), theme::hint()));
    }
    let base = if e.kind == EntryKind::Error { theme::error() } else { Style::new() };
    // A preview longer than the row ends in `…`, so a cut one never reads as the whole message
    // (Enter opens it in full).
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    spans.extend(highlight(super::fit(e.preview(), width.saturating_sub(used)), query, base));
    Line::from(spans)
}

/// `text` split into spans with ASCII-case-insensitive matches of `query` highlighted.
fn highlight(text: String, query: &str, base: Style) -> Vec<Span<'static>> {
    if query.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(query) {
        let s = at + i;
        let e = s + query.len();
        if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            break;
        }
        out.push(Span::styled(text[at..s].to_string(), base));
        out.push(Span::styled(text[s..e].to_string(), theme::matched()));
        at = e;
    }
    out.push(Span::styled(text[at..].to_string(), base));
    out
}

fn counters(app: &App) -> Line<'static> {
    let c = app.tab.log.counters();
    let mut spans = vec![
        Span::styled(" → ", Style::new().fg(Color::Cyan)),
        Span::raw(format!("{} {}", msgs(c.sent.messages), human_size(c.sent.bytes))),
        Span::styled("  ← ", Style::new().fg(Color::Green)),
        Span::raw(format!("{} {} ", msgs(c.received.messages), human_size(c.received.bytes))),
    ];
    let open = app.tab.connection.as_ref().is_some_and(|c| c.state == SessionState::Open);
    let (msgs, bytes) = app.tab.rate.per_second(app.now);
    if open && msgs > 0 {
        spans.push(Span::styled(format!(" {msgs} msg/s {}/s ", human_size(bytes)), theme::hint()));
    }
    Line::from(spans)
}

/// A message count as the counters write it: `1 msg`, `0 msgs`, `12 msgs`.
fn msgs(n: u64) -> String {
    if n == 1 { "1 msg".to_string() } else { format!("{n} msgs") }
}

/// A latency as the console writes it: whole milliseconds, or `<1 ms`.
fn ms(d: Duration) -> String {
    match d.as_millis() {
        0 => "<1 ms".to_string(),
        n => format!("{n} ms"),
    }
}

/// Samples the bottom border's sparkline shows.
const SPARK: usize = 12;

/// `▁▃█` of the last latencies, each scaled to the largest of them.
fn sparkline(history: impl Iterator<Item = Duration>) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let all: Vec<u128> = history.map(|d| d.as_micros()).collect();
    let last = &all[all.len().saturating_sub(SPARK)..];
    let top = last.iter().copied().max().unwrap_or(0).max(1);
    last.iter().map(|v| BARS[((v * 7) / top).min(7) as usize]).collect()
}

/// `↩ ▁▃█ p50/p95/max 3/9/11 ms · 2 waiting · ping ▂▅ 1/2/2 ms `: the pairing at a glance,
/// from the stats cached on the tab (drawing never sorts samples).
fn latency_line(app: &App) -> Option<Line<'static>> {
    let p = &app.tab.pairing;
    let (replies, pings) = (p.pairing.replies(), p.pairing.pings());
    let waiting = replies.unanswered() + pings.unanswered();
    if p.replies.count == 0 && p.pings.count == 0 && waiting == 0 {
        return None;
    }
    let figures = |s: &wstab_core::pairing::LatencyStats| {
        format!("{}/{}/{} ms", s.p50.as_millis(), s.p95.as_millis(), s.max.as_millis())
    };
    let mut spans = Vec::new();
    let sep = |spans: &mut Vec<Span<'static>>| {
        if !spans.is_empty() {
            spans.push(Span::styled(" ·", theme::dim()));
        }
    };
    if p.replies.count > 0 {
        spans.push(Span::styled("↩ ", Style::new().fg(Color::Green)));
        spans.push(Span::styled(sparkline(replies.history()), Style::new().fg(Color::Green)));
        spans.push(Span::raw(format!(" p50/p95/max {}", figures(&p.replies))));
    }
    if waiting > 0 {
        sep(&mut spans);
        spans.push(Span::styled(format!(" {waiting} waiting"), theme::hint()));
    }
    if p.pings.count > 0 {
        sep(&mut spans);
        spans.push(Span::styled(" ping ", Style::new().fg(Color::Magenta)));
        spans.push(Span::styled(sparkline(pings.history()), Style::new().fg(Color::Magenta)));
        spans.push(Span::raw(format!(" {}", figures(&p.pings))));
    }
    spans.push(Span::raw(" "));
    Some(Line::from(spans))
}
