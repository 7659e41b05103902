//! The session journal: every event written to disk as it happens, so nothing the bounded log
//! drops from view is lost. `s` copies it to a file the user names; `--capture FILE` writes a
//! second copy live.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use super::ndjson;
use wstab_core::connection::Event;

/// Writes every event of the console's life as NDJSON to a private spill file (unnamed, so the
/// OS removes it however the process ends) and, when asked, to a capture file.
#[derive(Debug)]
pub struct Journal {
    spill: BufWriter<File>,
    capture: Option<(PathBuf, BufWriter<File>)>,
    /// The first write error, reported once in the status bar; later writes are skipped.
    failed: Option<String>,
    ts: ndjson::TsCache,
}

impl Journal {
    /// A journal spilling into a new temporary file, and capturing to `capture` when given
    /// (created or truncated).
    pub fn new(capture: Option<&Path>) -> io::Result<Self> {
        let spill = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
        let capture = match capture {
            None => None,
            Some(p) => {
                let f = File::create(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                Some((p.to_path_buf(), BufWriter::with_capacity(1 << 16, f)))
            }
        };
        Ok(Self { spill, capture, failed: None, ts: ndjson::TsCache::default() })
    }

    /// Appends one event to the spill file and the capture file.
    pub fn record(&mut self, event: &Event) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = ndjson::write_line(&mut self.spill, event, &mut self.ts) {
            self.failed = Some(format!("cannot write the session journal: {e}"));
        }
        if let Some((path, w)) = &mut self.capture
            && let Err(e) = ndjson::write_line(w, event, &mut self.ts)
        {
            self.failed = Some(format!("cannot write capture file {}: {e}", path.display()));
        }
    }

    /// Flushes both files; call once per batch of events so a capture is current on disk.
    pub fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.spill.flush() {
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

    /// Writes the whole session so far to `path` (created or truncated); returns the bytes written.
    pub fn save(&mut self, path: &Path) -> io::Result<u64> {
        self.spill.flush()?;
        let spill = self.spill.get_mut();
        spill.rewind()?;
        let mut out = File::create(path)?;
        let copied = io::copy(spill, &mut out);
        // Appends continue at the end whatever happened above.
        spill.seek(io::SeekFrom::End(0))?;
        let n = copied?;
        out.sync_all()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wstab_core::connection::{Direction, EventKind, Frame, SessionId, Utf8Bytes};

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
}
