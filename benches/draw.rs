//! Drawing: one frame of the console at 200×50 with 100, 100,000 and 1,000,000 entries in the
//! log (the log bound raised so they are all in memory), following the newest. Drawing must cost
//! what is visible, not what is logged: the 1,000,000 case should be within 1.2× of the 100 case.
//!
//! After criterion's figures, a verdict against `benches/README.md` from a plain timing of the
//! same draws in this run (median of 5 batches of 200 draws per size).
//!
//! Run: `cargo bench --bench draw`.

use std::time::{Duration, SystemTime};

mod common;

use criterion::{BenchmarkId, Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wstab::console::state::App;
use wstab_core::connection::{Direction, Event, EventKind, Frame, SessionId, Utf8Bytes};
use wstab_core::workspace::{Api, Workspace};

fn app_with(entries: usize) -> App {
    let workspace = Workspace {
        name: "bench".into(),
        gateway: "ws://127.0.0.1:9".into(),
        apis: vec![Api {
            name: "echo".into(),
            display_name: "Echo".into(),
            url_suffix: "echo".into(),
            query: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            sample_message: None,
        }],
    };
    let mut app = App::new(workspace, entries.max(10_000));
    let start = SystemTime::now();
    for i in 0..entries {
        let text = if i % 3 == 0 {
            format!(r#"{{"type":"message","seq":{i},"data":{{"price":{}.25}}}}"#, i % 1000)
        } else {
            format!("message number {i} with some text to preview")
        };
        let dir = if i % 2 == 0 { Direction::In } else { Direction::Out };
        app.on_event(Event {
            session: SessionId(1),
            at: start + Duration::from_micros(i as u64),
            kind: EventKind::Frame { dir, frame: Frame::Text(Utf8Bytes::from(text)) },
        });
    }
    app
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw one frame at 200x50");
    for entries in [100usize, 100_000, 1_000_000] {
        let app = app_with(entries);
        let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
        group.bench_with_input(BenchmarkId::from_parameter(entries), &entries, |b, _| {
            b.iter(|| wstab::console::runtime::draw(&mut term, &app).expect("draw"));
        });
    }
    group.finish();
}

criterion_group!(benches, draw);

/// The time of one draw with `entries` in the log, over 5 batches of 200 draws.
fn per_draw(entries: usize) -> common::Spread {
    let app = app_with(entries);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let batches: Vec<Duration> = (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..200 {
                wstab::console::runtime::draw(&mut term, &app).expect("draw");
            }
            start.elapsed() / 200
        })
        .collect();
    common::Spread::of(&batches)
}

fn us(s: &common::Spread) -> String {
    format!(
        "{:.0} µs ({:.0}–{:.0})",
        s.median.as_secs_f64() * 1e6,
        s.min.as_secs_f64() * 1e6,
        s.max.as_secs_f64() * 1e6
    )
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Skip the verdict when criterion only lists or tests the benchmarks.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let small = per_draw(100);
    let large = per_draw(1_000_000);
    let ratio = large.median.as_secs_f64() / small.median.as_secs_f64();
    common::print_verdicts(
        "draw",
        &[
            common::Verdict {
                target: "drawing 1,000,000 entries within 1.2× of 100".into(),
                figure: format!("{} = {ratio:.2}×", us(&large)),
                baseline: format!("100 entries {}", us(&small)),
                met: Some(ratio <= 1.2),
            },
            common::Verdict {
                target: "drawing under 1 ms at 200×50 (1,000,000 entries)".into(),
                figure: us(&large),
                baseline: format!("100 entries {}", us(&small)),
                met: Some(large.median < Duration::from_millis(1)),
            },
        ],
    );
}
