//! The **APIs** pane: the workspace's APIs by display name with the URL suffix, then the saved
//! profiles (marked `◆ profile`), and a marker on the connected one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{inner, scroll_offset, theme};
use crate::console::state::{App, Pane};
use wstab_core::catalog::Source;
use wstab_core::connection::SessionState;
use wstab_core::terminal_text::escape_one_line;

/// The first visible API for `rows` visible rows.
pub fn offset(app: &App, rows: usize) -> usize {
    scroll_offset(app.selected_index().unwrap_or(0), app.catalog.len(), rows)
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
    let start = offset(app, rows);
    let connected = app.connected_api();
    let state = app.tab.connection.as_ref().map(|c| c.state);
    let lines: Vec<Line> = app
        .catalog
        .entries()
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, entry)| {
            let marker = match (connected == Some(i), state) {
                (true, Some(SessionState::Open)) => Span::styled("● ", Style::new().fg(Color::Green)),
                (true, _) => Span::styled("◌ ", Style::new().fg(Color::Yellow)),
                _ => Span::raw("  "),
            };
            // A saved profile is marked, and its URL is in Request: the mark says where it lives.
            let tail = match &entry.source {
                Source::Profile { .. } => Span::styled("  ◆ profile", Style::new().fg(Color::Magenta)),
                Source::Workspace { url_suffix, .. } => {
                    let suffix = format!("  /{}", url_suffix.trim_start_matches('/'));
                    Span::styled(escape_one_line(&suffix), theme::dim())
                }
                Source::Adhoc => Span::styled("  ◇ URL", theme::dim()),
            };
            // An ad-hoc URL is listed as it is now: its URL row may have been edited since.
            let title = match (&entry.source, app.drafts.get(&entry.id)) {
                (Source::Adhoc, Some(d)) => wstab_core::secret::mask_url(&d.base_url, d.secret_names()),
                _ => entry.title.clone(),
            };
            Line::from(vec![marker, Span::raw(escape_one_line(&title)), tail])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    let style = if focused { theme::selected() } else { theme::selected_unfocused() };
    if let Some(selected) = app.selected_index() {
        super::highlight_row(frame, body, selected - start, style);
    }
}
