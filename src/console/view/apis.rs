//! The **APIs** pane: the workspace's APIs by display name with the URL suffix, then the saved
//! profiles (marked `◆ profile`), and a marker on the connected one. An entry whose name and
//! suffix do not fit on one line takes two (or more): the suffix wraps below the name at `/`,
//! and a long name wraps at spaces, so no word is ever cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, theme};
use crate::console::state::editor::display_width;
use crate::console::state::{App, Pane};
use wstab_core::catalog::{Entry, Source};
use wstab_core::connection::SessionState;
use wstab_core::terminal_text::escape_one_line;

/// The rows of one entry on a pane `width` columns wide (inside the border).
fn entry_lines(app: &App, i: usize, entry: &Entry, width: usize) -> Vec<Line<'static>> {
    let connected = app.connected_api();
    let state = app.tab.connection.as_ref().map(|c| c.state);
    let marker = match (connected == Some(i), state) {
        (true, Some(SessionState::Open)) => Span::styled("● ", Style::new().fg(Color::Green)),
        (true, _) => Span::styled("◌ ", Style::new().fg(Color::Yellow)),
        _ => Span::raw("  "),
    };
    // A saved profile is marked, and its URL is in Request: the mark says where it lives.
    let (tail, tail_style) = match &entry.source {
        Source::Profile { .. } => ("◆ profile".to_string(), Style::new().fg(Color::Magenta)),
        Source::Workspace { url_suffix, .. } => {
            (escape_one_line(&format!("/{}", url_suffix.trim_start_matches('/'))), theme::dim())
        }
        Source::Adhoc => ("◇ URL".to_string(), theme::dim()),
    };
    // An ad-hoc URL is listed as it is now: its URL row may have been edited since.
    let adhoc = matches!(entry.source, Source::Adhoc);
    let title = match (adhoc, app.drafts.get(&entry.id)) {
        (true, Some(d)) => wstab_core::secret::mask_url(&d.base_url, d.secret_names()),
        _ => entry.title.clone(),
    };
    let title = escape_one_line(&title);
    let width = width.max(4);
    let one_line = 2 + display_width(&title) + 2 + display_width(&tail);
    if one_line <= width {
        return vec![Line::from(vec![marker, Span::raw(title), Span::styled(format!("  {tail}"), tail_style)])];
    }
    // The name wraps at spaces under itself, then the suffix on lines of its own, under the name,
    // broken after a `/` when it is longer than a line.
    let mut lines = Vec::new();
    // A URL is one long word: it breaks after its separators over up to three rows and ends in
    // `…` when longer (the Request pane's URL row shows it whole).
    let title_parts = if adhoc { url_rows(&title, width - 2, 3) } else { super::help::wrap_words(&title, width - 2) };
    for (n, part) in title_parts.into_iter().enumerate() {
        let lead = if n == 0 { marker.clone() } else { Span::raw("  ") };
        lines.push(Line::from(vec![lead, Span::raw(part)]));
    }
    for part in wrap_path(&tail, width - 2) {
        lines.push(Line::from(vec![Span::raw("  "), Span::styled(part, tail_style)]));
    }
    lines
}

/// `text` on lines of at most `width` columns, broken after one of `breaks` where one falls on
/// the line; a piece longer than a line is the only thing split, at the line's end (by grapheme
/// cluster).
fn wrap_after(text: &str, width: usize, breaks: &[char]) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let width = width.max(1);
    let mut out = Vec::new();
    let (mut line, mut used) = (String::new(), 0);
    for piece in text.split_inclusive(breaks) {
        if !line.is_empty() && used + display_width(piece) > width {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        for g in piece.graphemes(true) {
            let w = display_width(g);
            if !line.is_empty() && used + w > width {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push_str(g);
            used += w;
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// `path` on lines of at most `width` columns, broken after a `/`.
fn wrap_path(path: &str, width: usize) -> Vec<String> {
    wrap_after(path, width, &['/'])
}

/// `url` on at most `max` rows of `width` columns, broken after a `/`, `?` or `&` where one
/// falls on the row (`ws://127.0.0.1:7995/` then `echo`, never `…:799` then `5/echo`); the last
/// row ends in `…` when more is left.
fn url_rows(url: &str, width: usize, max: usize) -> Vec<String> {
    let width = width.max(2);
    let mut rows = wrap_after(url, width, &['/', '?', '&']);
    if rows.len() > max {
        rows.truncate(max);
        if let Some(last) = rows.last_mut() {
            while display_width(last) + 1 > width {
                last.pop();
            }
            last.push('…');
        }
    }
    rows
}

/// Every entry's rows for a pane `width` columns wide.
fn all_lines(app: &App, width: usize) -> Vec<Vec<Line<'static>>> {
    app.catalog.entries().iter().enumerate().map(|(i, e)| entry_lines(app, i, e, width)).collect()
}

/// The first visible entry for `rows` visible rows, so the whole selected entry is shown.
fn first_entry(heights: &[usize], selected: usize, rows: usize) -> usize {
    let mut start = 0;
    // Scroll only as far as needed: the rows from `start` through the selected entry must fit.
    while start < selected && heights[start..=selected].iter().sum::<usize>() > rows {
        start += 1;
    }
    start
}

/// The entry drawn at row `row` of the pane's body (`body` is the inside of the pane).
pub fn entry_at(app: &App, body: Rect, row: usize) -> Option<usize> {
    let heights: Vec<usize> = all_lines(app, body.width as usize).iter().map(Vec::len).collect();
    let selected = app.selected_index().unwrap_or(0).min(heights.len().saturating_sub(1));
    let mut y = 0;
    for (i, h) in heights.iter().enumerate().skip(first_entry(&heights, selected, body.height as usize)) {
        if row < y + h {
            return Some(i);
        }
        y += h;
    }
    None
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Pane::Apis;
    let mut block = theme::pane_block("APIs", focused);
    if !app.workspace_name.is_empty() {
        block = block.title_bottom(Span::styled(format!(" {} ", escape_one_line(&app.workspace_name)), theme::dim()));
    }
    if !app.broken_profiles.is_empty() {
        let n = app.broken_profiles.len();
        block = block.title_bottom(Span::styled(format!(" {n} broken profile(s) "), theme::error()));
    }
    let body = inner(area);
    frame.render_widget(block, area);
    if app.catalog.is_empty() {
        frame.render_widget(Paragraph::new("(no APIs in this workspace)").style(theme::dim()), body);
        return;
    }
    let rows = body.height as usize;
    let entries = all_lines(app, body.width as usize);
    let heights: Vec<usize> = entries.iter().map(Vec::len).collect();
    let selected = app.selected_index();
    let start = first_entry(&heights, selected.unwrap_or(0).min(heights.len() - 1), rows);
    let mut lines = Vec::new();
    let mut selected_rows = None;
    for (i, entry) in entries.into_iter().enumerate().skip(start) {
        if lines.len() >= rows {
            break;
        }
        if Some(i) == selected {
            selected_rows = Some((lines.len(), entry.len()));
        }
        lines.extend(entry);
    }
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines), body);
    let style = if focused { theme::selected() } else { theme::selected_unfocused() };
    if let Some((first, n)) = selected_rows {
        for r in first..first + n {
            super::highlight_row(frame, body, r, style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_rows;

    #[test]
    fn test_an_ad_hoc_url_breaks_after_a_separator_and_ends_in_an_ellipsis_when_cut() {
        assert_eq!(url_rows("ws://127.0.0.1:7995/echo", 18, 3), ["ws://", "127.0.0.1:7995/", "echo"]);
        assert_eq!(url_rows("ws://127.0.0.1:7995/echo", 30, 3), ["ws://127.0.0.1:7995/echo"]);
        assert_eq!(url_rows("ws://h/a?k=1&debug=1", 10, 3), ["ws://h/a?", "k=1&", "debug=1"]);
        // More than the rows allowed: the last one says so.
        assert_eq!(url_rows("ws://127.0.0.1:7995/echo/more/path", 18, 2), ["ws://", "127.0.0.1:7995/…"]);
        // A piece longer than a row is split at the row's end.
        assert_eq!(url_rows("wss://a-very-long-host-name.example.com/x", 12, 9)[1], "a-very-long-");
    }
}
