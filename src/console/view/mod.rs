//! Drawing: pure functions of `&App` into a ratatui `Frame`, one file per pane or overlay.
//!
//! Every pane draws only what is visible: the Messages pane asks the log for the visible slice,
//! never walks the whole log.

mod apis;
mod ask;
mod composer;
mod confirm;
mod copy_menu;
mod detail;
mod gateway;
mod help;
mod messages;
mod prompt;
mod report;
mod request;
mod saved_messages;
mod status;
mod tabs;
mod theme;
mod token;
mod trace;
mod waiting;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::console::state::editor::display_width;
use crate::console::state::{App, MenuKind, Modal, Pane, ViewKind, Viewport};

pub use request::table_offset;
pub use theme::ThemeName;

/// The smallest terminal the full layout is drawn for.
pub const MIN_WIDTH: u16 = 80;
/// The smallest terminal the full layout is drawn for.
pub const MIN_HEIGHT: u16 = 24;

/// Where each pane is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    /// **APIs**.
    pub apis: Rect,
    /// **Request** (including its tables).
    pub request: Rect,
    /// **Query parameters**, inside Request.
    pub query: Rect,
    /// **Headers**, inside Request.
    pub headers: Rect,
    /// **Messages**.
    pub messages: Rect,
    /// **Message**.
    pub composer: Rect,
    /// The status bar.
    pub status: Rect,
    /// The tab bar (zero height while there is one tab).
    pub tabs: Rect,
}

/// The pane layout for a terminal of `area`, or `None` below 80×24.
pub fn layout(area: Rect, app: &App) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    // The tab bar appears once a second tab is opened; one session keeps the whole screen.
    let bar = if app.tab_count() > 1 { 1 } else { 0 };
    // The status bar grows below a notice too long for one line, so it is read whole.
    let status_rows = status::status_height(app, area.width);
    let [tabs, main, status] =
        Layout::vertical([Constraint::Length(bar), Constraint::Min(1), Constraint::Length(status_rows)]).areas(area);
    let apis_width = (area.width / 4).clamp(22, 32);
    let [apis, right] = Layout::horizontal([Constraint::Length(apis_width), Constraint::Min(1)]).areas(main);
    let table_rows = app.draft().map(|d| d.query.len().max(d.headers.len()) + 1).unwrap_or(1).clamp(2, 5) as u16;
    // A long URL wraps (up to `request::MAX_URL_ROWS` rows), so it is read, not cut.
    let url_rows = request::url_rows(app, right.width.saturating_sub(2));
    let request_height = 2 + url_rows + 1 + table_rows + 2;
    // The composer grows with its text as drawn: a long line wraps, so it counts its rows.
    let composer_lines = composer::wrapped_rows(app, right.width.saturating_sub(2)).clamp(2, 6) as u16;
    let [request, messages, composer] = Layout::vertical([
        Constraint::Length(request_height),
        Constraint::Min(5),
        Constraint::Length(composer_lines + 2),
    ])
    .areas(right);
    let tables = Rect {
        x: request.x + 1,
        y: request.y + 2 + url_rows,
        width: request.width.saturating_sub(2),
        height: table_rows + 2,
    };
    let [query, headers] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(tables);
    Some(Areas { apis, request, query, headers, messages, composer, status, tabs })
}

/// `text` as it fits in `room` columns: whole, or cut (never inside a grapheme cluster) and
/// ended by `…`, so a cut text never reads as the whole (previews, values, titles).
pub(super) fn fit(text: String, room: usize) -> String {
    if display_width(&text) <= room {
        return text;
    }
    if room == 0 {
        return String::new();
    }
    format!("{}…", take_width(&text, room - 1))
}

/// The longest start of `text` at most `width` columns wide, never splitting a grapheme.
pub(super) fn take_width(text: &str, width: usize) -> &str {
    use unicode_segmentation::UnicodeSegmentation;
    let mut used = 0;
    for (i, g) in text.grapheme_indices(true) {
        used += display_width(g);
        if used > width {
            return &text[..i];
        }
    }
    text
}

/// The inside of a bordered block.
pub fn inner(r: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(r)
}

/// The screen as the state needs it for the next key on a terminal of `area` (what the loop
/// passes to `App::update` with each intent): Messages rows, how far the view on top scrolls and
/// the composer's width, from one layout.
pub fn viewport(area: Rect, app: &App) -> Viewport {
    let panes = layout(area, app);
    Viewport {
        messages_rows: panes.map_or(1, |a| inner(a.messages).height as usize),
        view_scroll_max: view_scroll_max(area, app),
        composer_width: panes.map_or(0, |a| inner(a.composer).width as usize),
    }
}

/// Draws the whole console in the app's theme, without colours when `NO_COLOR` is set
/// (<https://no-color.org>), whatever the theme.
pub fn draw(frame: &mut Frame, app: &App) {
    static NO_COLOR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let no_color = *NO_COLOR.get_or_init(|| std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()));
    draw_themed(frame, app, no_color);
}

/// [`draw`] with `NO_COLOR` decided by the caller (tests set it without touching the process
/// environment).
pub fn draw_themed(frame: &mut Frame, app: &App, no_color: bool) {
    draw_panes(frame, app);
    if no_color {
        strip_colours(frame.buffer_mut());
    } else if app.theme == ThemeName::Light {
        theme::relight(frame.buffer_mut());
    }
}

/// Removes every colour from a drawn frame, keeping bold and the like; a cell that stood out by
/// its background (a selected row, the state badge) is shown reversed instead, so it still does.
fn strip_colours(buf: &mut ratatui::buffer::Buffer) {
    use ratatui::style::{Color, Modifier};
    for cell in buf.content.iter_mut() {
        if cell.bg != Color::Reset {
            cell.modifier |= Modifier::REVERSED;
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

fn draw_panes(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let Some(areas) = layout(area, app) else {
        draw_too_small(frame, area);
        return;
    };
    apis::draw(frame, app, areas.apis);
    request::draw(frame, app, &areas);
    messages::draw(frame, app, areas.messages);
    composer::draw(frame, app, areas.composer);
    status::draw(frame, app, areas.status);
    if areas.tabs.height > 0 {
        tabs::draw(frame, app, areas.tabs);
    }
    // The stack from the bottom: the modal that takes the keys is drawn last, on top.
    for modal in app.modals.iter() {
        draw_modal(frame, app, modal);
    }
}

fn draw_modal(frame: &mut Frame, app: &App, modal: &Modal) {
    match modal {
        Modal::View(v) => match v.kind {
            ViewKind::Help => help::draw(frame, app, v.scroll),
            ViewKind::Detail { seq } => detail::draw(frame, app, seq, v.scroll),
            ViewKind::Trace => trace::draw(frame, app, v.scroll),
            ViewKind::Token { table, row } => token::draw(frame, app, table, row, v.scroll),
            ViewKind::Report => report::draw(frame, app, v.scroll),
            ViewKind::Gateway => gateway::draw(frame, app, v.scroll),
            ViewKind::Waiting => waiting::draw(frame, app, v.scroll),
        },
        Modal::Menu(m) => match m.kind {
            MenuKind::Copy => copy_menu::draw(frame, app, m.selected),
            MenuKind::SavedMessages => saved_messages::draw(frame, app, m.selected),
        },
        Modal::Question(q) => confirm::draw(frame, app, q),
        Modal::Prompt(p) => prompt::draw(frame, p, &prompt::title(app, p)),
        Modal::Ask(a) => ask::draw(frame, a),
    }
}

/// Which pane (and which row of it) is at a screen cell, for mouse clicks.
pub fn hit_test(area: Rect, app: &App, x: u16, y: u16) -> Option<(Pane, Option<usize>)> {
    let a = layout(area, app)?;
    let pos = ratatui::layout::Position { x, y };
    if a.apis.contains(pos) {
        let i = inner(a.apis);
        let row = (y >= i.y && y < i.bottom()).then(|| apis::entry_at(app, i, (y - i.y) as usize)).flatten();
        return Some((Pane::Apis, row));
    }
    if a.request.contains(pos) {
        return Some((Pane::Request, request::hit(app, &a, x, y)));
    }
    if a.messages.contains(pos) {
        let i = inner(a.messages);
        return Some((Pane::Messages, (y >= i.y && y < i.bottom()).then(|| (y - i.y) as usize)));
    }
    if a.composer.contains(pos) {
        return Some((Pane::Composer, None));
    }
    None
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = Text::from(vec![
        Line::from(format!("wstab needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT};")),
        Line::from(format!("this one is {}×{}.", area.width, area.height)),
        Line::from(""),
        Line::from("Please enlarge the window, or press q to quit."),
    ]);
    let height = 4.min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let r = Rect { x: area.x, y, width: area.width, height };
    frame.render_widget(Paragraph::new(text).centered().wrap(Wrap { trim: true }), r);
}

/// A centered rectangle of `percent_x` × `percent_y` of `area`, cleared for an overlay.
fn popup(frame: &mut Frame, percent_x: u16, percent_y: u16) -> Rect {
    let r = popup_rect(frame.area(), percent_x, percent_y);
    frame.render_widget(Clear, r);
    r
}

/// Where [`popup`] puts an overlay on a terminal of `area`.
fn popup_rect(area: Rect, percent_x: u16, percent_y: u16) -> Rect {
    let w = area.width * percent_x / 100;
    let h = area.height * percent_y / 100;
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// How far the view on top may scroll on a terminal of `area` (so `PgDn` and `End` stop at the
/// last line); unbounded for views that clamp when they draw.
fn view_scroll_max(area: Rect, app: &App) -> usize {
    match app.modals.top() {
        Some(Modal::View(v)) => match v.kind {
            ViewKind::Detail { seq } => detail::scroll_max(area, app, seq),
            ViewKind::Help => help::scroll_max(area, app),
            ViewKind::Trace => trace::scroll_max(area, app),
            ViewKind::Token { table, row } => token::scroll_max(area, app, table, row),
            ViewKind::Report => report::scroll_max(area, app),
            ViewKind::Gateway => gateway::scroll_max(area, app),
            ViewKind::Waiting => waiting::scroll_max(area, app),
        },
        _ => usize::MAX,
    }
}

/// True when the view on top has more than fits (its `↑/↓ scroll` hints are shown only then).
fn view_scrolls(area: Rect, app: &App) -> bool {
    matches!(app.modals.top(), Some(Modal::View(_))) && view_scroll_max(area, app) > 0
}

/// A view's footer: `Esc close`, `↑/↓ scroll` when `scrolls`, then `extra`, as a border title.
fn view_footer(scrolls: bool, extra: &[&str]) -> String {
    let mut items = vec!["Esc close"];
    if scrolls {
        items.push("↑/↓ scroll");
    }
    items.extend_from_slice(extra);
    format!(" {} ", items.join(" · "))
}

/// Paints row `i` of `body` with `style` across the full width, over the colours of its text,
/// so a selected row reads as one bar.
fn highlight_row(frame: &mut Frame, body: Rect, i: usize, style: ratatui::style::Style) {
    if i < body.height as usize {
        let row = Rect { y: body.y + i as u16, height: 1, ..body };
        frame.buffer_mut().set_style(row, style);
    }
}

/// `n` bytes as people read them.
pub fn human_size(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if n < 1024 {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else if f < KIB * KIB * KIB {
        format!("{:.1} MiB", f / KIB / KIB)
    } else {
        format!("{:.1} GiB", f / KIB / KIB / KIB)
    }
}

/// The first row of a list of `len` rows showing `rows` at a time so that `selected` is visible.
pub fn scroll_offset(selected: usize, len: usize, rows: usize) -> usize {
    if rows == 0 || len <= rows || selected < rows { 0 } else { (selected + 1 - rows).min(len - rows) }
}

#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod modal_view_tests;
#[cfg(test)]
mod own_url_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod theme_tests;
#[cfg(test)]
mod walk_last_tests;
#[cfg(test)]
mod walk_more_tests;
#[cfg(test)]
mod walk_polish_tests;
#[cfg(test)]
mod walk_tests;
