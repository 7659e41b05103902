//! The import report: what an import saved, what it skipped and why, and what failed.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use unicode_width::UnicodeWidthStr;

use super::help::wrap_words;
use super::{inner, popup, theme};
use crate::console::state::App;
use wstab_core::terminal_text::escape_one_line;

/// The width of a row's status column (`skipped   `) and of its name column, as the import
/// writes them (`state/profiles.rs`: `{status:<10}{name:<24} {detail}`).
const STATUS_COLUMN: usize = 10;
const NAME_COLUMN: usize = 24;

/// A report row as screen rows `width` wide: an `imported`/`skipped`/`error` row keeps its
/// columns, its detail wrapping under itself (a hanging indent), so the table reads as one;
/// other rows, or a pane too narrow for the columns, wrap at word boundaries.
fn rows(text: &str, width: usize) -> Vec<String> {
    let table_row = ["skipped   ", "imported  ", "error     "].iter().find_map(|status| text.strip_prefix(status));
    if let Some(rest) = table_row {
        let name = rest.split(' ').next().unwrap_or_default();
        let detail = rest[name.len()..].trim_start();
        let prefix = &text[..text.len() - detail.len()];
        // Where the detail starts as drawn: the name is padded by characters, and a wide one
        // (CJK) takes more columns than characters.
        let detail_col = prefix.width().max(STATUS_COLUMN + NAME_COLUMN + 1);
        if width >= detail_col + 16 {
            let mut out = wrap_within(detail, width - detail_col);
            out[0] = format!("{prefix}{}", out[0]);
            for row in out.iter_mut().skip(1) {
                *row = format!("{}{row}", " ".repeat(detail_col));
            }
            return out;
        }
    }
    wrap_within(text, width)
}

/// `text` wrapped at words to `width` columns, a word longer than a row (a path) split over
/// rows: no row is wider than the view, which scrolls by the rows counted here.
fn wrap_within(text: &str, width: usize) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let width = width.max(1);
    let mut out = Vec::new();
    for row in wrap_words(text, width) {
        if row.width() <= width {
            out.push(row);
            continue;
        }
        let mut piece = String::new();
        for g in row.graphemes(true) {
            if !piece.is_empty() && piece.width() + g.width() > width {
                out.push(std::mem::take(&mut piece));
            }
            piece.push_str(g);
        }
        out.push(piece);
    }
    out
}

/// Draws the report from line `scroll`.
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let area = popup(frame, 90, 70);
    let body = inner(area);
    let lines = report_lines(app, body.width as usize);
    let max = lines.len().saturating_sub(body.height as usize);
    let block =
        theme::pane_block("Import", true).title_bottom(Span::styled(super::view_footer(max > 0, &[]), theme::dim()));
    frame.render_widget(block, area);
    let scroll = u16::try_from(scroll.min(max)).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
}

/// The last first-line that still fills the report on a terminal of `screen` (0 when it fits).
pub fn scroll_max(screen: ratatui::layout::Rect, app: &App) -> usize {
    let body = inner(super::popup_rect(screen, 90, 70));
    report_lines(app, body.width as usize).len().saturating_sub(body.height as usize)
}

/// The report's rows laid out `width` wide, each in its style.
fn report_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    app.report
        .iter()
        .map(|(error, text)| {
            let style = if *error {
                theme::error()
            } else if text.starts_with("skipped") {
                theme::hint()
            } else {
                ratatui::style::Style::new()
            };
            (escape_one_line(text), style)
        })
        .flat_map(|(text, style)| rows(&text, width).into_iter().map(move |r| Line::styled(r, style)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rows;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn test_a_reports_detail_wraps_under_its_own_column() {
        let row = format!("skipped   {:<24} {}", "orders", "not a WebSocket API (no apiType; HTTP APIs have none)");
        let out = rows(&row, 67);
        assert_eq!(out[0], "skipped   orders                   not a WebSocket API (no apiType;");
        assert_eq!(out[1], format!("{}HTTP APIs have none)", " ".repeat(35)));
        // A name longer than its column pushes the detail, and the indent follows it.
        let long =
            format!("imported  {:<24} {}", "a-very-long-profile-name-here", "saved profile to /tmp/x/profiles/y.toml");
        let out = rows(&long, 60);
        assert!(out[0].starts_with("imported  a-very-long-profile-name-here saved"), "{out:?}");
        assert!(out[1].starts_with(&" ".repeat(40)) && !out[1][40..].starts_with(' '), "{out:?}");
        // Too narrow for the columns: plain word wrapping, nothing lost.
        let out = rows(&row, 30);
        assert_eq!(out.join(" ").split_whitespace().collect::<Vec<_>>(), row.split_whitespace().collect::<Vec<_>>());
        // Other rows wrap at words.
        assert_eq!(rows("2 imported, 2 skipped", 12), ["2 imported,", "2 skipped"]);
    }

    #[test]
    fn test_no_report_row_is_wider_than_the_view() {
        // The view scrolls by the rows counted here: a row wider than the view, wrapped again
        // when drawn, pushed the report's last lines past the end of the scroll.
        let path = "saved profile to /home/someone/.config/wstab/profiles/orders-websocket-api.toml";
        let cases = [
            format!("imported  {:<24} {path}", "orders"),
            format!("imported  {:<24} {path}", "日本語のプロファイル"),
            format!("error     {:<24} {}", "x", "a".repeat(120)),
            format!("skipped: {}", "b".repeat(100)),
        ];
        for text in &cases {
            for width in [20, 40, 52, 70, 90] {
                let out = rows(text, width);
                assert!(out.iter().all(|r| r.width() <= width), "{width}: {out:?}");
                let kept: String = out.concat().split_whitespace().collect();
                assert_eq!(kept, text.split_whitespace().collect::<String>(), "nothing lost at {width}");
            }
        }
        // A wide name's row keeps its detail column: the indent under it is as wide as the
        // name as drawn.
        let out = rows(&cases[1], 70);
        let detail_at = out[0].find("saved").unwrap();
        assert_eq!(out[0][..detail_at].width(), out[1].len() - out[1].trim_start().len(), "{out:?}");
    }
}
