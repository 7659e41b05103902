//! Drawing: one frame of the console at 200×50 with 100, 100,000 and 1,000,000 entries in the
//! log (the log bound raised so they are all in memory), following the newest. Drawing must cost
//! what is visible, not what is logged: the 1,000,000 case should be within 1.2× of the 100 case.
//!
//! Run: `cargo bench --bench draw`.

use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wstab::app::App;
use wstab::conn::{Direction, Event, EventKind, Frame, SessionId, Utf8Bytes};
use wstab::workspace::{Api, Workspace};

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
        let mut app = app_with(entries);
        let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
        group.bench_with_input(BenchmarkId::from_parameter(entries), &entries, |b, _| {
            b.iter(|| wstab::tui::draw(&mut term, &mut app).expect("draw"));
        });
    }
    group.finish();
}

criterion_group!(benches, draw);
criterion_main!(benches);
