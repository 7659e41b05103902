//! The token view: a JWT value's decoded claims (`aud`, `sub`, `iss`, `exp`, roles), its expiry
//! as a countdown, and every claim as JSON. Decoded only, not verified: that is the server's job.

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{inner, popup, theme};
use crate::console::state::App;
use crate::console::state::request::Table;
use wstab_core::jwt_claims::JwtView;
use wstab_core::terminal_text::{escape_for_terminal, escape_one_line};

/// Draws the view of the token in `row` of `table`, from line `scroll`.
pub fn draw(frame: &mut Frame, app: &App, table: Table, row: usize, scroll: usize) {
    let area = popup(frame, 80, 80);
    let r = app.draft().and_then(|d| d.rows(table).get(row));
    let name = r.map(|r| escape_one_line(&r.param.name)).unwrap_or_default();
    let kind = if table == Table::Query { "query parameter" } else { "header" };
    let body = inner(area);
    let token = r.and_then(crate::console::state::token::row_token);
    let para = token.as_ref().map(|t| Paragraph::new(lines(t, app)).wrap(Wrap { trim: false }));
    let max = para.as_ref().map_or(0, |p| p.line_count(body.width).saturating_sub(body.height as usize));
    let footer = format!(" decoded, not verified ·{}", super::view_footer(max > 0, &[]));
    let block =
        theme::pane_block(&format!("Token · {kind} {name}"), true).title_bottom(Span::styled(footer, theme::dim()));
    frame.render_widget(block, area);
    let Some(para) = para else {
        frame.render_widget(Paragraph::new("(this value is no longer a JWT)").style(theme::dim()), body);
        return;
    };
    let scroll = u16::try_from(scroll.min(max)).unwrap_or(u16::MAX);
    frame.render_widget(para.scroll((scroll, 0)), body);
}

/// The last first-line that still fills the view of the token in `row` of `table` on a
/// terminal of `screen` (0 when it all fits).
pub fn scroll_max(screen: ratatui::layout::Rect, app: &App, table: Table, row: usize) -> usize {
    let body = inner(super::popup_rect(screen, 80, 80));
    let token = app.draft().and_then(|d| d.rows(table).get(row)).and_then(crate::console::state::token::row_token);
    token.map_or(0, |t| {
        Paragraph::new(lines(&t, app))
            .wrap(Wrap { trim: false })
            .line_count(body.width)
            .saturating_sub(body.height as usize)
    })
}

fn lines(t: &JwtView, app: &App) -> Vec<Line<'static>> {
    let field = |label: &str, value: Option<String>| {
        Line::from(vec![
            Span::styled(format!("{label:<7}"), theme::label()),
            match value {
                Some(v) => Span::raw(escape_one_line(&v)),
                None => Span::styled("(none)", theme::dim()),
            },
        ])
    };
    let mut out = vec![
        field("alg", Some(t.alg.clone())),
        field("aud", t.aud.clone()),
        field("sub", t.sub.clone()),
        field("iss", t.iss.clone()),
    ];
    let mut exp = vec![Span::styled(format!("{:<7}", "exp"), theme::label())];
    match t.exp {
        Some(secs) => {
            exp.push(Span::raw(format!("{}  ", utc(secs))));
            exp.push(Span::styled(t.expiry_text(app.now), expiry_style(t, app.now)));
        }
        None => exp.push(Span::styled("(no expiry)", theme::dim())),
    }
    out.push(Line::from(exp));
    let roles = (!t.roles.is_empty()).then(|| t.roles.join(", "));
    out.push(field("roles", roles));
    out.push(Line::raw(""));
    out.push(Line::styled("All claims", theme::label()));
    out.extend(escape_for_terminal(&t.claims_json).lines().map(|l| Line::raw(l.to_string())));
    out
}

/// Red once expired, yellow in the last five minutes, dim otherwise.
pub fn expiry_style(t: &JwtView, now: std::time::SystemTime) -> Style {
    match t.seconds_left(now) {
        Some(s) if s <= 0 => theme::error(),
        Some(s) if s < 300 => theme::hint(),
        _ => theme::dim(),
    }
}

/// Unix seconds as `2025-01-31 12:00:00 UTC`.
fn utc(secs: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| secs.to_string())
}
