//! The detail view of one log entry: JSON pretty-printed and highlighted, text wrapped, binary
//! as a hex dump with ASCII.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{human_size, inner, popup, theme};
use crate::console::message_log::{Body, EntryKind, looks_like_json};
use crate::console::state::App;
use crate::console::state::editor::display_width;
use wstab_core::clock::hms_millis;
use wstab_core::connection::Direction;
use wstab_core::terminal_text::{escape_for_terminal, escape_one_line};

/// Text beyond this many bytes is not laid out (the saved session has it all): drawing stays
/// cheap whatever arrives.
const SHOWN_TEXT_LIMIT: usize = 256 * 1024;

/// Draws the view of entry `seq`, from line `scroll`.
pub fn draw(frame: &mut Frame, app: &App, seq: u64, scroll: usize) {
    let area = popup(frame, 90, 85);
    let Some(e) = app.tab.log.get(seq) else {
        frame.render_widget(
            Paragraph::new("This entry is no longer in memory (the log was cleared or it was dropped).")
                .block(theme::pane_block("Message", true)),
            area,
        );
        return;
    };
    let (mark, color) = super::messages::marker(e.kind, e.label);
    // A close frame is named by its code and reason (`close 1000 [bye now]`), as its row says.
    let what = match (&e.body, e.kind) {
        (Body::Text(t), EntryKind::Close(_)) if e.label == "close" => escape_one_line(t),
        _ => e.label.to_string(),
    };
    let (head, tail) =
        (format!("{mark} {}", direction(e.kind)), format!(" · {} · {}", hms_millis(e.at), human_size(e.size as u64)));
    // A long close reason gives way to the time and size: cut at a word, ended by `…`.
    let room = (area.width as usize).saturating_sub(4 + display_width(&head) + display_width(&tail));
    let title = format!("{head}{}{tail}", fit_words(&what, room));
    let body = inner(area);
    let block = |max: usize| {
        theme::pane_block(&title, true)
            .title_bottom(Span::styled(super::view_footer(max > 0, &[]), theme::dim()))
            .border_style(Style::new().fg(color))
    };
    match &e.body {
        Body::Binary(b) => {
            let total = b.len().div_ceil(16);
            let max = total.saturating_sub(body.height as usize);
            frame.render_widget(block(max), area);
            let scroll = scroll.min(max);
            let lines: Vec<Line> = (scroll..total.min(scroll + body.height as usize))
                .map(|i| hex_line(i * 16, &b[i * 16..(i * 16 + 16).min(b.len())]))
                .collect();
            let lines = if b.is_empty() { vec![Line::styled("(empty payload)", theme::dim())] } else { lines };
            frame.render_widget(Paragraph::new(lines), body);
        }
        Body::Text(t) => {
            let para = text_paragraph(t);
            let max = para.line_count(body.width).saturating_sub(body.height as usize);
            frame.render_widget(block(max), area);
            let scroll = scroll.min(max);
            let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
            frame.render_widget(para.scroll((scroll, 0)), body);
        }
    }
}

/// `text` as it fits in `room` columns: whole, or its first words and `…`.
fn fit_words(text: &str, room: usize) -> String {
    if display_width(text) <= room {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let next = if out.is_empty() { word.to_string() } else { format!("{out} {word}") };
        if display_width(&next) + 1 > room {
            break;
        }
        out = next;
    }
    out.push('…');
    out
}

/// The text of an entry as the view lays it out (wrapped, JSON pretty-printed).
fn text_paragraph(t: &str) -> Paragraph<'static> {
    let (shown, cut) = match t.char_indices().nth(SHOWN_TEXT_LIMIT) {
        Some((i, _)) => (&t[..i], true),
        None => (t, false),
    };
    let mut lines = if looks_like_json(shown) { json_lines(shown) } else { text_lines(shown) };
    if cut {
        lines.push(Line::styled(
            format!("… {} more bytes not shown; s saves the whole session", t.len() - shown.len()),
            theme::hint(),
        ));
    }
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

/// The last first-line the view of entry `seq` can show on a terminal of `area`: the line that
/// puts the end of the message at the bottom of the box (0 when it all fits).
pub fn scroll_max(area: Rect, app: &App, seq: u64) -> usize {
    let Some(e) = app.tab.log.get(seq) else { return 0 };
    let body = super::inner(super::popup_rect(area, 90, 85));
    let lines = match &e.body {
        Body::Binary(b) => b.len().div_ceil(16),
        Body::Text(t) => text_paragraph(t).line_count(body.width),
    };
    lines.saturating_sub(body.height as usize)
}

fn text_lines(text: &str) -> Vec<Line<'static>> {
    escape_for_terminal(text).split('\n').map(|l| Line::raw(l.to_string())).collect()
}

/// A hex dump line: offset, 16 bytes in hex, and the printable ASCII.
pub fn hex_line(offset: usize, bytes: &[u8]) -> Line<'static> {
    let mut hex = String::with_capacity(49);
    for (i, b) in bytes.iter().enumerate() {
        if i == 8 {
            hex.push(' ');
        }
        hex.push_str(&format!("{b:02x} "));
    }
    let ascii: String =
        bytes.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' }).collect();
    Line::from(vec![
        Span::styled(format!("{offset:08x}  "), theme::dim()),
        Span::raw(format!("{hex:<49} ")),
        Span::styled(format!("|{ascii}|"), Style::new().fg(Color::Green)),
    ])
}

/// Pretty-printed JSON with keys, strings, numbers and literals in their own colours. Keys keep
/// the order they arrived in (re-serialising through a map would sort them).
pub fn json_lines(text: &str) -> Vec<Line<'static>> {
    pretty_json(text).lines().map(|l| json_line(&escape_one_line(l))).collect()
}

/// Re-indents valid JSON text with two spaces, keeping everything else byte for byte.
fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.trim().chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

fn json_line(line: &str) -> Line<'static> {
    let key = Style::new().fg(Color::Cyan);
    let string = Style::new().fg(Color::Green);
    let number = Style::new().fg(Color::Magenta);
    let literal = Style::new().fg(Color::Yellow);
    let chars: Vec<char> = line.chars().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::raw(std::mem::take(plain)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            flush(&mut plain, &mut spans);
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            spans.push(Span::styled(s, if is_key { key } else { string }));
        } else if c == '-' || c.is_ascii_digit() {
            flush(&mut plain, &mut spans);
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || "+-.eE".contains(chars[i])) {
                i += 1;
            }
            spans.push(Span::styled(chars[start..i].iter().collect::<String>(), number));
        } else if c.is_ascii_alphabetic() {
            flush(&mut plain, &mut spans);
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            spans.push(Span::styled(chars[start..i].iter().collect::<String>(), literal));
        } else {
            plain.push(c);
            i += 1;
        }
    }
    flush(&mut plain, &mut spans);
    Line::from(spans)
}

/// Which way an entry went, in words, for the detail view's title.
fn direction(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Sent
        | EntryKind::PingPong(Direction::Out)
        | EntryKind::Close(Direction::Out)
        | EntryKind::Chatter(Direction::Out) => "sent · ",
        EntryKind::Received
        | EntryKind::PingPong(Direction::In)
        | EntryKind::Close(Direction::In)
        | EntryKind::Chatter(Direction::In) => "received · ",
        EntryKind::Connection | EntryKind::Error => "",
    }
}
