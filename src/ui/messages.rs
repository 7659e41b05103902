//! The **Messages** pane: one row per event — time, marker, kind, size, one-line preview — with
//! follow mode, the filter, search matches, the drop count and the counters.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{human_size, inner, theme};
use crate::app::{App, Pane};
use crate::clock::hms_millis;
use crate::conn::{Direction, SessionState};
use crate::log::{Entry, EntryKind, Filter};

/// The marker and colour for a kind of entry.
pub fn marker(kind: EntryKind) -> (&'static str, Color) {
    match kind {
        EntryKind::Connection => ("•", Color::Blue),
        EntryKind::Sent => ("→", Color::Cyan),
        EntryKind::Received => ("←", Color::Green),
        EntryKind::PingPong(Direction::Out) => ("→", Color::Magenta),
        EntryKind::PingPong(Direction::In) => ("←", Color::Magenta),
        EntryKind::Close(_) => ("×", Color::Yellow),
        EntryKind::Error => ("✗", Color::Red),
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
    let follow = if view.following() {
        Span::styled(" following ", theme::dim())
    } else {
        let newer = view.newer_than_selection(log);
        Span::styled(format!(" paused · {newer} newer · End follows "), theme::hint())
    };
    let mut block = theme::pane_block(&title, focused).title(follow);
    if log.dropped() > 0 {
        block = block.title(Span::styled(
            format!(" {} older dropped from view (limit {}; s saves all) ", log.dropped(), log.limit()),
            theme::hint(),
        ));
    }
    block = block.title_bottom(counters(app));
    if !view.search.is_empty() {
        block = block.title_bottom(Span::styled(format!(" /{} ", view.search), theme::dim()));
    }
    let body = inner(area);
    frame.render_widget(block, area);
    if log.is_empty(view.filter) {
        let text = if log.is_empty(Filter::All) {
            "No messages yet. Select an API, press F5 to connect, write a message and press Enter."
        } else {
            "Nothing matches this filter (f changes it)."
        };
        frame.render_widget(Paragraph::new(text).style(theme::dim()), body);
        return;
    }
    let window = view.window(log);
    let query = view.search.to_ascii_lowercase();
    let lines: Vec<Line> = log.slice(view.filter, window.start, body.height as usize).map(|e| row(e, &query)).collect();
    frame.render_widget(Paragraph::new(lines), body);
    if let Some(sel) = window.selected {
        let style = if focused { theme::selected() } else { theme::selected_unfocused() };
        super::highlight_row(frame, body, sel - window.start, style);
    }
}

fn row<'a>(e: &'a Entry, query: &str) -> Line<'a> {
    let (mark, color) = marker(e.kind);
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
    let base = if e.kind == EntryKind::Error { theme::error() } else { Style::new() };
    spans.extend(highlight(e.preview(), query, base));
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
        Span::raw(format!("{} msgs {}", c.sent.messages, human_size(c.sent.bytes))),
        Span::styled("  ← ", Style::new().fg(Color::Green)),
        Span::raw(format!("{} msgs {} ", c.received.messages, human_size(c.received.bytes))),
    ];
    let open = app.tab.connection.as_ref().is_some_and(|c| c.state == SessionState::Open);
    let (msgs, bytes) = app.tab.rate.per_second(app.now);
    if open && msgs > 0 {
        spans.push(Span::styled(format!(" {msgs} msg/s {}/s ", human_size(bytes)), theme::hint()));
    }
    Line::from(spans)
}
