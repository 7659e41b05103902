//! The session journal: every event written to disk as it happens, so nothing the bounded log
//! drops from view is lost. `s` saves it as NDJSON to a file the user names; `--capture FILE`
//! writes a second copy live, as NDJSON.
//!
//! On disk the journal holds compact records ([`super::spill`]), converted to NDJSON only when
//! saved: a flood's frames cost the loop a copy of their payload, not a formatted line each.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{ndjson, spill};
use wstab_core::connection::Event;

/// One spill file and what it holds.
#[derive(Debug)]
struct Segment {
    w: BufWriter<File>,
    bytes: u64,
    events: u64,
    records: spill::Writer,
}

impl Segment {
    fn new() -> io::Result<Self> {
        Ok(Self {
            w: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            bytes: 0,
            events: 0,
            records: spill::Writer::default(),
        })
    }

    /// Appends one event's record.
    fn append(&mut self, event: &Event) -> io::Result<()> {
        self.bytes += self.records.write(&mut self.w, event)?;
        self.events += 1;
        Ok(())
    }

    /// What the segment holds now, readable while appends go on: its file (a second handle,
    /// which keeps the unnamed file alive if the bound drops the segment meanwhile) and its
    /// length.
    fn snapshot(&mut self, failed: bool) -> io::Result<(File, u64)> {
        // After a failed write (a full disk) the buffered bytes may not go out now either:
        // what reached the file is saved, and the save says where it stops.
        if let Err(e) = self.w.flush()
            && !failed
        {
            return Err(e);
        }
        // The file's length, not the bytes counted: a record whose write failed half way is on
        // disk uncounted, and the save reports where it stopped.
        let file = self.w.get_ref().try_clone()?;
        let len = file.metadata()?.len();
        Ok((file, len))
    }
}

/// Reads `file` from `pos` to `end` by position: the journal's own handle shares the file's
/// offset with this one, and appends must go on at the end while a save reads.
struct ReadAt {
    file: File,
    pos: u64,
    end: u64,
}

impl io::Read for ReadAt {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let room = (self.end - self.pos).min(buf.len() as u64) as usize;
        if room == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..room], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The journal as it was when `s` was pressed: what a save writes, on a thread of its own, while
/// the console goes on (and the journal goes on growing past it).
#[derive(Debug)]
pub struct Snapshot {
    /// The segments' files, oldest first, with the bytes each held.
    segments: Vec<(File, u64)>,
    dropped: u64,
    limit: Option<u64>,
}

impl Snapshot {
    /// Writes the snapshot to `path` as NDJSON, atomically: into a temporary file beside it,
    /// synced, then renamed over it, so a failed or interrupted save never leaves a half-written
    /// file where an earlier one was. When the bound dropped older events, the first line says
    /// how many: `{"ts":…,"kind":"dropped","events":N,"reason":…}`. A damaged spill (a record cut
    /// short by a write that failed) is saved up to the damage, and [`Saved::damaged`] says where.
    pub fn save(self, path: &Path) -> io::Result<Saved> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new().prefix(".wstab-save-").tempfile_in(dir)?;
        let mut out = BufWriter::with_capacity(1 << 16, tmp);
        let mut saved = Saved::default();
        if self.dropped > 0 {
            let limit_mb = self.limit.unwrap_or(0) >> 20;
            let line = serde_json::json!({
                "ts": wstab_core::clock::rfc3339(std::time::SystemTime::now()),
                "kind": "dropped",
                "events": self.dropped,
                "reason": format!(
                    "{} older events were dropped: the session journal is bounded by journal_limit_mb = {limit_mb} in config.toml",
                    self.dropped
                ),
            });
            let mut text = line.to_string();
            text.push('\n');
            out.write_all(text.as_bytes())?;
            saved.bytes += text.len() as u64;
        }
        for (file, end) in self.segments {
            let mut reader = BufReader::with_capacity(1 << 16, ReadAt { file, pos: 0, end });
            let part = spill::to_ndjson(&mut reader, &mut out)?;
            saved.bytes += part.bytes;
            saved.events += part.events;
            if saved.damaged.is_none() {
                saved.damaged = part.damaged;
            }
        }
        let tmp = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(saved)
    }
}

/// The journal's size as the console shows it (help overlay, Messages title, save notice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Bytes on disk now.
    pub bytes: u64,
    /// The bound (`journal_limit_mb` in config.toml), if any.
    pub limit: Option<u64>,
    /// Older events dropped to keep within the bound.
    pub dropped: u64,
}

/// Writes every event of the console's life to private spill files (unnamed, so the OS removes
/// them however the process ends) and, when asked, as NDJSON to a capture file.
///
/// With a bound, the spill is two files of at most half the bound each: when the newer one
/// fills, the older one (the oldest events) is dropped and counted, so the journal never holds
/// more than the bound, and what `s` saves starts with a line saying how many events were lost.
/// The bound counts the spill's bytes; the NDJSON saved from it is larger (a 64-byte text frame
/// takes 68 bytes in the spill, about 130 saved).
#[derive(Debug)]
pub struct Journal {
    older: Option<Segment>,
    current: Segment,
    limit: Option<u64>,
    dropped: u64,
    capture: Option<(PathBuf, BufWriter<File>)>,
    /// The first write error, reported once in the status bar; later writes are skipped.
    failed: Option<String>,
    ts: ndjson::TsCache,
    /// Saves running on threads of their own ([`Journal::save_in_background`]), finished
    /// before the journal goes.
    saving: Vec<std::thread::JoinHandle<()>>,
}

impl Journal {
    /// An unbounded journal spilling into a new temporary file, and capturing to `capture` when
    /// given (created or truncated).
    pub fn new(capture: Option<&Path>) -> io::Result<Self> {
        Self::bounded(capture, None)
    }

    /// [`Journal::new`] holding at most about `limit` bytes on disk when given (the capture is
    /// never bounded: it is the user's own file).
    pub fn bounded(capture: Option<&Path>, limit: Option<u64>) -> io::Result<Self> {
        let capture = match capture {
            None => None,
            Some(p) => {
                let f = File::create(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                Some((p.to_path_buf(), BufWriter::with_capacity(1 << 16, f)))
            }
        };
        Ok(Self {
            older: None,
            current: Segment::new()?,
            limit,
            dropped: 0,
            capture,
            failed: None,
            ts: ndjson::TsCache::default(),
            saving: Vec::new(),
        })
    }

    /// Appends one event to the spill file and the capture file.
    pub fn record(&mut self, event: &Event) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.current.append(event) {
            self.failed = Some(format!("cannot write the session journal: {e}"));
        }
        if let Some((path, w)) = &mut self.capture
            && let Err(e) = ndjson::write_line(w, event, &mut self.ts)
        {
            self.failed = Some(format!("cannot write capture file {}: {e}", path.display()));
        }
        if let Some(limit) = self.limit
            && self.current.bytes >= limit / 2
            && let Err(e) = self.rotate()
        {
            self.failed = Some(format!("cannot write the session journal: {e}"));
        }
    }

    /// The newer half is full: the older one goes (its events counted as dropped), the newer one
    /// becomes the older, and a new file takes the appends.
    fn rotate(&mut self) -> io::Result<()> {
        self.current.w.flush()?;
        let fresh = Segment::new()?;
        if let Some(gone) = self.older.replace(std::mem::replace(&mut self.current, fresh)) {
            self.dropped += gone.events;
        }
        Ok(())
    }

    /// How big the journal is, its bound and how much it dropped.
    pub fn stats(&self) -> JournalStats {
        let bytes = self.current.bytes + self.older.as_ref().map_or(0, |s| s.bytes);
        JournalStats { bytes, limit: self.limit, dropped: self.dropped }
    }

    /// Flushes both files; call once per batch of events so a capture is current on disk.
    pub fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.current.w.flush() {
            self.failed = Some(format!("cannot write the session journal: {e}"));
        }
        if let Some((path, w)) = &mut self.capture
            && let Err(e) = w.flush()
        {
            self.failed = Some(format!("cannot write capture file {}: {e}", path.display()));
        }
    }

    /// The first write error, if any.
    pub fn error(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// What a save writes: the journal as it is now (flushed), to be written by
    /// [`Snapshot::save`] off the console's loop while events keep being recorded.
    pub fn snapshot(&mut self) -> io::Result<Snapshot> {
        let failed = self.failed.is_some();
        let mut segments = Vec::with_capacity(2);
        if let Some(older) = &mut self.older {
            segments.push(older.snapshot(failed)?);
        }
        segments.push(self.current.snapshot(failed)?);
        Ok(Snapshot { segments, dropped: self.dropped, limit: self.limit })
    }

    /// Writes the whole session so far to `path` as NDJSON, here and now ([`Snapshot::save`]):
    /// for tests; the console saves with [`Journal::save_in_background`].
    #[cfg(test)]
    pub fn save(&mut self, path: &Path) -> io::Result<Saved> {
        self.snapshot()?.save(path)
    }

    /// Writes the session so far to `path` ([`Snapshot::save`]) on a thread of its own, while
    /// events go on being recorded; `done` gets the outcome there. The save is finished before
    /// the journal is dropped, so quitting right after `s` still leaves the whole file (the
    /// process ends soon after the console's loop, without waiting for its tasks).
    pub fn save_in_background(
        &mut self,
        path: PathBuf,
        done: impl FnOnce(&Path, io::Result<Saved>) + Send + 'static,
    ) -> io::Result<()> {
        let snapshot = self.snapshot()?;
        self.saving.retain(|save| !save.is_finished());
        let save = std::thread::Builder::new().name("wstab-save".into()).spawn(move || {
            let saved = snapshot.save(&path);
            done(&path, saved);
        })?;
        self.saving.push(save);
        Ok(())
    }
}

impl Drop for Journal {
    /// Waits for the saves still running: the user was told the session was being saved.
    fn drop(&mut self) {
        for save in self.saving.drain(..) {
            let _ = save.join();
        }
    }
}

/// What [`Snapshot::save`] wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Bytes written.
    pub bytes: u64,
    /// Events written (the `dropped` line not counted).
    pub events: u64,
    /// Where the spill was damaged, if it was: what was saved stops there (for that part of
    /// the journal).
    pub damaged: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use wstab_core::connection::{Direction, EventKind, Frame, SessionId, Utf8Bytes};

    #[test]
    fn test_a_snapshot_saves_what_was_recorded_before_it_while_recording_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::bounded(None, Some(4096)).unwrap();
        let frame = |i: usize| {
            let frame = Frame::Text(Utf8Bytes::from(format!("frame {i:04} {}", "x".repeat(40))));
            Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame })
        };
        for i in 0..30 {
            j.record(&frame(i));
        }
        let snapshot = j.snapshot().unwrap();
        // The console goes on: more events, and the bound drops the older half meanwhile.
        for i in 30..200 {
            j.record(&frame(i));
        }
        j.flush();
        assert!(j.stats().dropped > 0, "the bound dropped segments the snapshot still reads");
        let saved = dir.path().join("saved.ndjson");
        let done = std::thread::spawn(move || snapshot.save(&saved).map(|s| (s, saved))).join().unwrap();
        let (done, saved) = done.unwrap();
        let text = std::fs::read_to_string(&saved).unwrap();
        assert_eq!(done.events, 30);
        let data: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["data"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(data.len(), 30, "{text}");
        assert!(data[0].starts_with("frame 0000") && data[29].starts_with("frame 0029"), "{data:?}");
    }

    #[test]
    fn test_a_save_between_appends_leaves_the_journals_write_offset_alone() {
        // The snapshot's handle shares the spill file's offset with the journal's: a save that
        // moved it (seek and read instead of reading by position) would make the next appends
        // overwrite what the journal holds. Appends before, during and after a save all stay.
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::new(None).unwrap();
        let frame = |i: usize| {
            let frame = Frame::Text(Utf8Bytes::from(format!("m{i:04} {}", "y".repeat(30))));
            Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame })
        };
        for i in 0..100 {
            j.record(&frame(i));
        }
        let snapshot = j.snapshot().unwrap();
        for i in 100..200 {
            j.record(&frame(i));
        }
        j.flush();
        let first = dir.path().join("first.ndjson");
        assert_eq!(snapshot.save(&first).unwrap().events, 100);
        for i in 200..300 {
            j.record(&frame(i));
        }
        let all = dir.path().join("all.ndjson");
        let done = j.save(&all).unwrap();
        assert_eq!((done.events, done.damaged), (300, None));
        let text = std::fs::read_to_string(&all).unwrap();
        let data: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["data"].as_str().unwrap()[..5].to_string())
            .collect();
        assert_eq!(data, (0..300).map(|i| format!("m{i:04}")).collect::<Vec<_>>());
    }

    #[test]
    fn test_a_save_replaces_the_file_whole_and_leaves_nothing_behind_when_it_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::new(None).unwrap();
        j.record(&Event::now(SessionId(1), EventKind::Connecting { url: "ws://h/echo".into() }));
        let saved = dir.path().join("saved.ndjson");
        std::fs::write(&saved, "an earlier save\n".repeat(1000)).unwrap();
        j.save(&saved).unwrap();
        let text = std::fs::read_to_string(&saved).unwrap();
        assert_eq!(text.lines().count(), 1, "replaced whole, nothing of the longer old file left: {text}");
        // A path that is a directory cannot be replaced: an error, and no temporary file left.
        let taken = dir.path().join("a-directory");
        std::fs::create_dir(&taken).unwrap();
        std::fs::write(taken.join("keep"), "kept").unwrap();
        assert!(j.save(&taken).is_err());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".wstab-save-")), "{names:?}");
        assert_eq!(std::fs::read_to_string(taken.join("keep")).unwrap(), "kept");
    }

    #[test]
    fn test_save_writes_every_event_as_ndjson_and_capture_is_live() {
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("capture.ndjson");
        let mut j = Journal::new(Some(&capture)).unwrap();
        j.record(&Event::now(SessionId(1), EventKind::Connecting { url: "ws://h/echo".into() }));
        for i in 0..3 {
            let frame = Frame::Text(Utf8Bytes::from(format!("m{i}")));
            j.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::Out, frame }));
        }
        j.flush();
        let live = std::fs::read_to_string(&capture).unwrap();
        assert_eq!(live.lines().count(), 4);
        let saved = dir.path().join("saved.ndjson");
        j.save(&saved).unwrap();
        j.record(&Event::now(
            SessionId(1),
            EventKind::Frame { dir: Direction::In, frame: Frame::Binary(vec![1, 2].into()) },
        ));
        j.save(&saved).unwrap();
        let text = std::fs::read_to_string(&saved).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["kind"], "connecting");
        assert_eq!(lines[1]["data"], "m0");
        assert_eq!(lines[1]["dir"], "out");
        assert_eq!(lines[4]["encoding"], "base64");
        assert_eq!(lines[4]["data"], "AQI=");
        assert!(text.lines().all(|l| l.starts_with("{\"ts\":")), "{text}");
    }

    #[test]
    fn test_a_save_is_byte_for_byte_the_live_capture_of_the_same_events() {
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("capture.ndjson");
        let mut j = Journal::new(Some(&capture)).unwrap();
        let frames = [
            Frame::Text(Utf8Bytes::from("quote \" and \u{1b} and é".to_string())),
            Frame::Binary(bytes::Bytes::from_static(&[0, 255, 7])),
            Frame::Ping(bytes::Bytes::from_static(b"hb")),
            Frame::Pong(bytes::Bytes::new()),
            Frame::Close(Some((1001, "going".into()))),
            Frame::Close(None),
        ];
        j.record(&Event::now(SessionId(2), EventKind::Connecting { url: "ws://h/chat".into() }));
        for (i, frame) in frames.into_iter().enumerate() {
            let dir = if i % 2 == 0 { Direction::In } else { Direction::Out };
            j.record(&Event::now(SessionId(2), EventKind::Frame { dir, frame }));
        }
        j.record(&Event::now(
            SessionId(2),
            EventKind::Closed { code: 1001, reason: "going".into(), by: wstab_core::connection::Closer::Local },
        ));
        j.flush();
        let saved = dir.path().join("saved.ndjson");
        let done = j.save(&saved).unwrap();
        let (saved, live) = (std::fs::read(&saved).unwrap(), std::fs::read(&capture).unwrap());
        assert_eq!(String::from_utf8(saved.clone()).unwrap(), String::from_utf8(live).unwrap());
        assert_eq!(done, Saved { bytes: saved.len() as u64, events: 8, damaged: None });
    }

    #[test]
    fn test_a_journal_cut_short_saves_what_it_holds_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::new(None).unwrap();
        for i in 0..3 {
            let frame = Frame::Text(Utf8Bytes::from(format!("m{i}")));
            j.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame }));
        }
        let whole = j.stats().bytes;
        // A record whose write failed half way: its header and part of its payload.
        let mut record = Vec::new();
        let frame = Frame::Text(Utf8Bytes::from("lost".to_string()));
        let lost = Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame });
        spill::Writer::default().write(&mut record, &lost).unwrap();
        j.current.w.write_all(&record[..record.len() - 2]).unwrap();
        let path = dir.path().join("saved.ndjson");
        let done = j.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let data: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["data"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(data, ["m0", "m1", "m2"]);
        assert_eq!(done.events, 3);
        let damage = done.damaged.unwrap();
        assert!(damage.contains(&format!("cut short at byte {whole}")) && damage.contains("3 events"), "{damage}");
    }

    #[test]
    fn test_a_journal_whose_disk_is_full_still_saves_what_reached_it() {
        // The spill's disk is full: a write fails, and the bytes still buffered cannot be
        // written either. `s` (to another disk) saves what the spill file holds instead of
        // failing on that flush again.
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let mut j = Journal::new(None).unwrap();
        j.current.w = BufWriter::with_capacity(1 << 16, full);
        for i in 0..2_000 {
            let frame = Frame::Text(Utf8Bytes::from(format!("message {i:05} {}", "x".repeat(40))));
            j.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame }));
        }
        assert!(j.error().is_some_and(|e| e.contains("cannot write the session journal")), "{:?}", j.error());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.ndjson");
        let done = j.save(&path).unwrap();
        assert_eq!(done.events, 0, "/dev/full holds nothing: {done:?}");
        assert!(path.exists());
    }

    #[test]
    fn test_a_bounded_journal_keeps_the_newest_events_and_the_save_says_how_many_were_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let limit = 8 << 10;
        let mut j = Journal::bounded(None, Some(limit)).unwrap();
        let total = 2_000;
        for i in 0..total {
            let frame = Frame::Text(Utf8Bytes::from(format!("message {i:05} {}", "x".repeat(40))));
            j.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame }));
            let s = j.stats();
            // One line past the bound at most, at any moment of a flood.
            assert!(s.bytes <= limit + 200, "{} bytes on disk after {i} events", s.bytes);
        }
        j.flush();
        let stats = j.stats();
        assert!(stats.dropped > 0 && stats.limit == Some(limit), "{stats:?}");
        let saved = dir.path().join("saved.ndjson");
        j.save(&saved).unwrap();
        let text = std::fs::read_to_string(&saved).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["kind"], "dropped", "{}", lines[0]);
        assert_eq!(lines[0]["events"], stats.dropped);
        assert!(lines[0]["reason"].as_str().unwrap().contains("journal_limit_mb"), "{}", lines[0]);
        // What is left is the newest events, in order, none missing after the drop.
        let kept: Vec<&str> = lines[1..].iter().map(|l| l["data"].as_str().unwrap()).collect();
        assert_eq!(kept.len() as u64 + stats.dropped, total);
        assert!(kept.last().unwrap().starts_with(&format!("message {:05}", total - 1)));
        assert!(kept[0].starts_with(&format!("message {:05}", stats.dropped)), "{}", kept[0]);
        // Unbounded: nothing dropped, no such line.
        let mut all = Journal::new(None).unwrap();
        for i in 0..total {
            let frame = Frame::Text(Utf8Bytes::from(format!("m{i}")));
            all.record(&Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame }));
        }
        all.save(&saved).unwrap();
        let text = std::fs::read_to_string(&saved).unwrap();
        assert_eq!(text.lines().count() as u64, total);
        assert!(!text.contains("\"dropped\""));
    }
}
