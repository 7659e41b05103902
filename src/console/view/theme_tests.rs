//! The light theme and `config.toml` on screen: every cell of the light theme has a background
//! of its own and text that reads on it, and a rebound key shows in the help overlay and the
//! status bar as configured.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::tests::{connected_app, screen};
use super::theme::ThemeName;
use crate::console::config;
use crate::console::state::{App, Intent, Pane, Viewport};

fn draw(app: &mut App, w: u16, h: u16, no_color: bool) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::draw_themed(f, app, no_color)).unwrap();
    t
}

/// An xterm-256 colour's sRGB value (the cube and the grey ramp; the 16 ANSI colours are the
/// terminal's to choose, so the light theme must not use them).
fn rgb(c: Color) -> Option<(f64, f64, f64)> {
    let Color::Indexed(i) = c else { return None };
    let i = i as u32;
    let v = |n: u32| if n == 0 { 0.0 } else { (55 + n * 40) as f64 };
    match i {
        16..=231 => {
            let n = i - 16;
            Some((v(n / 36), v(n / 6 % 6), v(n % 6)))
        }
        232..=255 => {
            let g = (8 + (i - 232) * 10) as f64;
            Some((g, g, g))
        }
        _ => None,
    }
}

/// WCAG relative luminance and contrast ratio.
fn contrast(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
    let lum = |(r, g, b): (f64, f64, f64)| {
        let ch = |c: f64| {
            let c = c / 255.0;
            if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn test_the_light_theme_paints_its_own_background_and_every_text_reads_on_it() {
    for (w, h, focus) in [(120, 36, Pane::Composer), (80, 24, Pane::Messages), (120, 36, Pane::Apis)] {
        let mut app = connected_app();
        app.theme = ThemeName::Light;
        app.focus = focus;
        let t = draw(&mut app, w, h, false);
        let buf = t.backend().buffer();
        let mut worst = f64::MAX;
        for y in 0..h {
            for x in 0..w {
                let cell = &buf[(x, y)];
                // Its own background: the terminal's (dark or light) never shows through.
                let bg = rgb(cell.bg).unwrap_or_else(|| panic!("({x},{y}) bg {:?} is not the theme's", cell.bg));
                if cell.symbol().trim().is_empty() {
                    continue;
                }
                let fg = rgb(cell.fg).unwrap_or_else(|| panic!("({x},{y}) fg {:?} is not the theme's", cell.fg));
                assert_ne!(cell.fg, cell.bg, "({x},{y}) {:?} fg == bg", cell.symbol());
                let c = contrast(fg, bg);
                worst = worst.min(c);
                assert!(c >= 4.5, "({x},{y}) {:?}: contrast {c:.2} of {:?} on {:?}", cell.symbol(), cell.fg, cell.bg);
            }
        }
        assert!(worst < f64::MAX, "something was drawn");
        // The text is the same as in the dark theme: only colours change.
        let mut dark = connected_app();
        dark.focus = focus;
        assert_eq!(screen(&t), screen(&draw(&mut dark, w, h, false)));
    }
}

#[test]
fn test_no_color_wins_over_the_light_theme() {
    let mut app = connected_app();
    app.theme = ThemeName::Light;
    let t = draw(&mut app, 120, 36, true);
    let buf = t.backend().buffer();
    assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset), "no colour at all");
}

#[test]
fn test_a_rebound_key_shows_in_the_help_overlay_and_the_status_bar() {
    let config = config::parse("config.toml", "[keys]\ntoggle_connection = \"F9\"\n").unwrap();
    let mut app = connected_app();
    app.apply_config(&config);
    app.focus = Pane::Apis;
    let s = screen(&draw(&mut app, 120, 36, false));
    let status = s.lines().last().unwrap_or_default();
    assert!(status.contains("F9 disconnect") && !status.contains("F5"), "{status}");
    app.update(Intent::Help, &Viewport::default());
    let s = screen(&draw(&mut app, 120, 36, false));
    let row = s.lines().find(|l| l.contains("connect / disconnect")).unwrap_or_default();
    assert!(row.split_whitespace().any(|w| w == "F9"), "{s}");
    assert!(!s.contains("F5 "), "the old key is gone from the help:\n{s}");
}
