//! The **Request** pane: the URL as it will be sent (secrets masked), the subprotocols, and the
//! **Query parameters** and **Headers** tables, with a countdown before each token's value.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, inner, scroll_offset, theme};
use crate::console::state::editor::display_width;
use crate::console::state::request::{RequestDraft, Table};
use crate::console::state::{App, Pane};
use wstab_core::terminal_text::escape_one_line;

/// The first visible row of `table` for `rows` visible rows.
pub fn table_offset(draft: &RequestDraft, table: Table, rows: usize) -> usize {
    let len = draft.rows(table).len() + 1;
    let (sel_table, sel_row) = draft.locate(draft.selected);
    let sel = if sel_table == table { sel_row.unwrap_or(len - 1) } else { 0 };
    scroll_offset(sel, len, rows)
}

/// The most rows a long URL wraps to; past them the last row ends in `… u: in full`, and `u`
/// opens the whole URL in the editor.
pub const MAX_URL_ROWS: usize = 4;

/// The columns of the label before the URL.
const LABEL: usize = 14;

/// The URL as it will be sent (secrets masked, controls escaped), wrapped to the pane's
/// `width`: at most [`MAX_URL_ROWS`] rows.
fn url_lines(d: &RequestDraft, width: u16) -> Vec<String> {
    let room = (width as usize).saturating_sub(LABEL).max(8);
    let url = escape_one_line(&d.target().display_url());
    let mut rows: Vec<String> = vec![String::new()];
    let mut used = 0;
    for c in url.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            rows.push(String::new());
            used = 0;
        }
        if let Some(last) = rows.last_mut() {
            last.push(c);
        }
        used += w;
    }
    if rows.len() > MAX_URL_ROWS {
        rows.truncate(MAX_URL_ROWS);
        let tail = "… u: in full";
        if let Some(last) = rows.last_mut() {
            let keep = room.saturating_sub(tail.chars().count());
            *last = last.chars().take(keep).collect::<String>() + tail;
        }
    }
    rows
}

/// How many rows the selected request's URL takes in a Request pane `width` columns wide inside.
pub fn url_rows(app: &App, width: u16) -> u16 {
    app.draft().map_or(1, |d| url_lines(d, width).len()) as u16
}

/// The flat row under a click, if any.
pub fn hit(app: &App, a: &Areas, x: u16, y: u16) -> Option<usize> {
    let d = app.draft()?;
    for (table, r) in [(Table::Query, a.query), (Table::Headers, a.headers)] {
        let i = inner(r);
        if x >= i.x && x < i.right() && y >= i.y && y < i.bottom() {
            let row = table_offset(d, table, i.height as usize) + (y - i.y) as usize;
            let len = d.rows(table).len();
            return (row <= len).then(|| d.flat(table, (row < len).then_some(row)));
        }
    }
    None
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, app: &App, a: &Areas) {
    let focused = app.focus == Pane::Request;
    frame.render_widget(theme::pane_block("Request", focused), a.request);
    let body = inner(a.request);
    let Some(d) = app.draft() else {
        frame.render_widget(Paragraph::new("(select an API)").style(theme::dim()), body);
        return;
    };
    let protocols =
        if d.subprotocols.is_empty() { "(none)".to_string() } else { escape_one_line(&d.subprotocols.join(", ")) };
    let url = url_lines(d, body.width);
    let url_height = url.len() as u16;
    let mut head: Vec<Line> = url
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let label = if i == 0 { "URL           " } else { "              " };
            Line::from(vec![Span::styled(label, theme::label()), Span::raw(chunk)])
        })
        .collect();
    head.push(Line::from(vec![Span::styled("Subprotocols  ", theme::label()), Span::raw(protocols)]));
    frame.render_widget(Paragraph::new(head), Rect { height: (url_height + 1).min(body.height), ..body });
    if focused && d.url_selected {
        for i in 0..url_height as usize {
            super::highlight_row(frame, body, i, theme::selected());
        }
    }
    draw_table(frame, d, Table::Query, a.query, focused, app.now);
    draw_table(frame, d, Table::Headers, a.headers, focused, app.now);
}

fn draw_table(frame: &mut Frame, d: &RequestDraft, table: Table, area: Rect, pane_focused: bool, now: SystemTime) {
    let (title, add) = match table {
        Table::Query => ("Query parameters", "+ add query parameter"),
        Table::Headers => ("Headers", "+ add header"),
    };
    let rows = d.rows(table);
    let disabled = rows.iter().filter(|r| r.is_disabled_required()).count();
    let missing = rows.iter().filter(|r| r.is_missing()).count() - disabled;
    let mut block = theme::pane_block(title, false);
    if missing > 0 {
        block = block.title_bottom(Span::styled(format!(" {missing} required value missing "), theme::error()));
    }
    if disabled > 0 {
        block = block.title_bottom(Span::styled(format!(" {disabled} required row disabled "), theme::error()));
    }
    // The subscription key is one row, in the table it is sent from; K moves it.
    let key_here = match (table, d.key_place()) {
        (Table::Query, Some(wstab_core::request::KeyPlace::Query)) => Some(" K: key → header "),
        (Table::Headers, Some(wstab_core::request::KeyPlace::Header)) => Some(" K: key → query "),
        _ => None,
    };
    if let Some(hint) = key_here.filter(|_| missing == 0 && disabled == 0) {
        block = block.title_bottom(Span::styled(hint, theme::dim()));
    }
    let body = inner(area);
    frame.render_widget(block, area);
    let height = body.height as usize;
    let start = table_offset(d, table, height);
    // The name column (with its `*`) is as wide as its longest name, at most 25, but leaves the
    // value column room for the mask or `required` whole: a long name ends in `…` instead.
    let width = body.width as usize;
    let label = |r: &crate::console::state::request::Row| {
        let mut name = escape_one_line(&r.param.name);
        if r.param.required {
            name.push('*');
        }
        name
    };
    let name_width = rows
        .iter()
        .map(|r| display_width(&label(r)))
        .max()
        .unwrap_or(0)
        .clamp(4, 25)
        .min(width.saturating_sub(CHECK + 1 + value_room(d, rows, now)).max(4));
    let (sel_table, sel_row) = d.locate(d.selected);
    let mut lines = Vec::new();
    let mut selected_at = None;
    for i in start..(start + height).min(rows.len() + 1) {
        let selected = pane_focused && !d.url_selected && sel_table == table && sel_row.unwrap_or(rows.len()) == i;
        let line = match rows.get(i) {
            None => Line::from(Span::styled(add, theme::dim())),
            Some(r) => {
                let check = if r.param.enabled { "[x] " } else { "[ ] " };
                let name = fit_name(&label(r), name_width);
                let name = format!("{name}{} ", " ".repeat(name_width.saturating_sub(display_width(&name))));
                let mut used = CHECK + display_width(&name);
                let mut spans = vec![Span::raw(check), Span::raw(name)];
                let value = if r.is_disabled_required() || r.is_missing() {
                    None
                } else {
                    Some(escape_one_line(&r.shown_value(d.secret_names())))
                };
                // A token's countdown goes before its value (a JWT is long, and the table is
                // narrow), so it is never cut off; it leaves the value room for the mask.
                if let Some(t) = crate::console::state::token::row_token(r).filter(|t| t.exp.is_some()) {
                    let style = super::token::expiry_style(&t, now);
                    let keep = value.as_deref().map_or(MIN_VALUE, |v| display_width(v).min(MIN_VALUE));
                    let room = width.saturating_sub(used + keep);
                    if let Some(text) = countdown_that_fits(&crate::console::state::token::countdown(&t, now), room) {
                        used += display_width(&text) + 1;
                        spans.push(Span::styled(format!("{text} "), style));
                    }
                }
                let room = width.saturating_sub(used);
                let value = match value {
                    // The mask is shown whole (the name gave way for it); a value that does not
                    // fit ends in `…`.
                    Some(v) => Span::raw(super::fit(v, room)),
                    // Said in words, since the crossed-out row alone reads as "left out on
                    // purpose"; where that does not fit, the word the `*` does not already say.
                    None if r.is_disabled_required() => {
                        let text = if room >= "required, disabled".len() { "required, disabled" } else { "disabled" };
                        Span::styled(super::fit(text.to_string(), room), theme::error())
                    }
                    None => Span::styled(super::fit("required".to_string(), room), theme::error()),
                };
                spans.push(value);
                let mut line = Line::from(spans);
                if !r.param.enabled {
                    line = line.style(theme::dim().add_modifier(Modifier::CROSSED_OUT));
                }
                line
            }
        };
        if selected {
            selected_at = Some(lines.len());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), body);
    if let Some(i) = selected_at {
        super::highlight_row(frame, body, i, theme::selected());
    }
}

/// Columns of the `[x] ` before a row's name.
const CHECK: usize = 4;

/// Columns a row's value keeps at the least, so `required` and the mask are never cut.
const MIN_VALUE: usize = 8;

/// A row's name (with its `*`) in `width` columns: whole, or cut and ended by `…`, keeping the
/// `*` that says it is required.
fn fit_name(label: &str, width: usize) -> String {
    if display_width(label) <= width {
        return label.to_string();
    }
    let (base, star) = match label.strip_suffix('*') {
        Some(base) => (base, "*"),
        None => (label, ""),
    };
    format!("{}…{star}", super::take_width(base, width.saturating_sub(1 + star.len())))
}

/// Columns the rows' values need at the least after their names: a token's short countdown,
/// then the value up to [`MIN_VALUE`] (the mask and `required` whole), for the widest row.
fn value_room(d: &RequestDraft, rows: &[crate::console::state::request::Row], now: SystemTime) -> usize {
    rows.iter()
        .map(|r| {
            let countdown = crate::console::state::token::row_token(r)
                .filter(|t| t.exp.is_some())
                .map_or(0, |t| display_width(&short_countdown(&crate::console::state::token::countdown(&t, now))) + 1);
            let value = if r.is_disabled_required() || r.is_missing() {
                MIN_VALUE
            } else {
                display_width(&escape_one_line(&r.shown_value(d.secret_names()))).min(MIN_VALUE)
            };
            countdown + value
        })
        .max()
        .unwrap_or(0)
}

/// A countdown in its short form: `59m` for `expires in 59m`, `expired` for `expired 3m ago`.
fn short_countdown(full: &str) -> String {
    match full.strip_prefix("expires in ") {
        Some(left) => left.to_string(),
        None if full.starts_with("expired") => "expired".to_string(),
        None => full.to_string(),
    }
}

/// The countdown as it fits in `room` columns: in full (`expires in 59m`), shortened
/// (`59m`, `expired`), or not at all; never cut inside a word.
fn countdown_that_fits(full: &str, room: usize) -> Option<String> {
    let short = short_countdown(full);
    [full.to_string(), short].into_iter().find(|t| t.chars().count() < room)
}
