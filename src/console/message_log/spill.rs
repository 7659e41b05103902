//! The session journal's records on disk: compact and binary, written per event with no
//! formatting, and turned into the NDJSON of saved sessions ([`super::ndjson`]) only when `s`
//! saves.
//!
//! Why not NDJSON on disk: in a flood the console spent more time formatting each frame's line
//! (timestamp, escaping, numbers) and copying ~130 bytes per 64-byte frame into the page cache
//! than reading the frame took (issue 16). A frame's record is its payload as received behind a
//! header of a few bytes (4 for a 64-byte frame of session 1 within 63 ms of the one before).
//!
//! Records, one after another; numbers are LEB128 varints:
//! - a frame: `tag` (a byte: its kind, [`IN`] set when received), `session`, the milliseconds
//!   since the record before (zigzag: the clock may step back; from 0, the Unix epoch, at the
//!   start of a file; milliseconds are all a saved `ts` shows), `len`, then `len` payload bytes
//!   (a close frame's: its code as two little-endian bytes, then the reason);
//! - any other event (connecting, handshake, opened, closed, failed, reconnecting: a few per
//!   connection): [`LINE`], `len`, then its NDJSON line, newline included.

use std::io::{self, BufRead, Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ndjson::{self, Payload, TsCache};
use wstab_core::connection::{Direction, Event, EventKind, Frame};

/// Tag of a record holding a connection event's NDJSON line as it is saved.
const LINE: u8 = 0;
const TEXT: u8 = 1;
const BINARY: u8 = 2;
const PING: u8 = 3;
const PONG: u8 = 4;
const CLOSE: u8 = 5;
/// A close frame without code or reason.
const CLOSE_EMPTY: u8 = 6;
/// Set on a frame's tag when the frame was received.
const IN: u8 = 0x80;

/// The longest header: a tag and three varints of at most 10 bytes.
const MAX_HEADER: usize = 1 + 3 * 10;

/// Writes records to one spill file, remembering the time of the last one (the next is written
/// as the difference).
#[derive(Debug)]
pub struct Writer {
    millis: u64,
    /// The millisecond `millis` stands for, [start, end): a flood has many frames in each, and
    /// comparing times costs less than converting each.
    span: (SystemTime, SystemTime),
}

impl Default for Writer {
    fn default() -> Self {
        Self { millis: 0, span: (UNIX_EPOCH, UNIX_EPOCH) }
    }
}

impl Writer {
    /// Appends `event` as one record; returns the bytes written.
    pub fn write(&mut self, w: &mut impl Write, event: &Event) -> io::Result<u64> {
        let mut header = Header::default();
        let EventKind::Frame { dir, frame } = &event.kind else {
            let mut line = ndjson::line(event).into_bytes();
            line.push(b'\n');
            header.byte(LINE);
            header.varint(line.len() as u64);
            w.write_all(header.bytes())?;
            w.write_all(&line)?;
            return Ok((header.len + line.len()) as u64);
        };
        let (kind, payload): (u8, &[u8]) = match frame {
            Frame::Text(t) => (TEXT, t.as_bytes()),
            Frame::Binary(b) => (BINARY, b),
            Frame::Ping(b) => (PING, b),
            Frame::Pong(b) => (PONG, b),
            Frame::Close(Some((_, reason))) => (CLOSE, reason.as_bytes()),
            Frame::Close(None) => (CLOSE_EMPTY, &[]),
        };
        let code = match frame {
            Frame::Close(Some((code, _))) => Some(code.to_le_bytes()),
            _ => None,
        };
        let len = payload.len() + code.map_or(0, |c| c.len());
        let previous = self.millis;
        if !(self.span.0 <= event.at && event.at < self.span.1) {
            self.millis = event.at.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
            let start = UNIX_EPOCH + Duration::from_millis(self.millis);
            self.span = (start, start + Duration::from_millis(1));
        }
        header.byte(if *dir == Direction::In { kind | IN } else { kind });
        header.varint(event.session.0);
        header.varint(zigzag(self.millis.wrapping_sub(previous) as i64));
        header.varint(len as u64);
        w.write_all(header.bytes())?;
        if let Some(code) = code {
            w.write_all(&code)?;
        }
        w.write_all(payload)?;
        Ok((header.len + len) as u64)
    }
}

/// A record's header being encoded, on the stack.
struct Header {
    buf: [u8; MAX_HEADER],
    len: usize,
}

impl Default for Header {
    fn default() -> Self {
        Self { buf: [0; MAX_HEADER], len: 0 }
    }
}

impl Header {
    fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.byte(n as u8 | 0x80);
            n >>= 7;
        }
        self.byte(n as u8);
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

/// What [`to_ndjson`] converted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Converted {
    /// Events written as NDJSON lines.
    pub events: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Why the records stopped before the end, if they did: a record cut short (a write that
    /// failed half way, e.g. on a full disk) or one that does not read as a record.
    pub damaged: Option<String>,
}

/// Reads records from `r` to its end and writes each as the NDJSON line a live capture has for
/// the same event. Stops at the first record cut short or unreadable and says so in
/// [`Converted::damaged`]: everything before it is written. Errors are the reader's or the
/// writer's own.
pub fn to_ndjson(r: &mut impl BufRead, out: &mut impl Write) -> io::Result<Converted> {
    let mut done = Converted::default();
    let mut ts = TsCache::default();
    let mut payload = Vec::new();
    let mut reader = Counted { inner: r, offset: 0 };
    let mut millis = 0u64;
    loop {
        // A clean end is the end of the file between two records.
        if reader.inner.fill_buf()?.is_empty() {
            return Ok(done);
        }
        let at = reader.offset;
        let damage = match next_record(&mut reader, &mut payload)? {
            Err(damage) => Some(damage),
            Ok(Record::Line) if payload.first() != Some(&b'{') || payload.last() != Some(&b'\n') => {
                Some(Damage::Bad("a connection event that is not one NDJSON line".into()))
            }
            Ok(Record::Line) => {
                out.write_all(&payload)?;
                done.bytes += payload.len() as u64;
                None
            }
            Ok(Record::Frame { tag, session, delta }) => {
                millis = millis.wrapping_add(delta as u64);
                let at = UNIX_EPOCH + Duration::from_millis(millis);
                let mut counted = CountingWriter { inner: &mut *out, bytes: 0 };
                let written = frame_line(&mut counted, tag, session, ts.get(at), &payload)?;
                done.bytes += counted.bytes;
                written.err()
            }
        };
        let Some(damage) = damage else {
            done.events += 1;
            continue;
        };
        let events = events_text(done.events);
        done.damaged = Some(match damage {
            Damage::Cut(what) => format!(
                "the session journal ends in a record cut short at byte {at} ({what}; a write that failed half way?): {events} before it saved"
            ),
            Damage::Bad(what) => format!(
                "the session journal is damaged at byte {at} ({what}): {events} before it saved, the rest of its file not"
            ),
        });
        return Ok(done);
    }
}

/// A record read, its payload in the caller's buffer.
enum Record {
    /// A connection event's NDJSON line.
    Line,
    /// A frame.
    Frame { tag: u8, session: u64, delta: i64 },
}

/// Why the records stop before the end of the file.
enum Damage {
    /// The file ends inside a record.
    Cut(&'static str),
    /// A record that does not read as one.
    Bad(String),
}

/// The next record; its payload replaces `payload`'s content.
fn next_record(r: &mut Counted<impl BufRead>, payload: &mut Vec<u8>) -> io::Result<Result<Record, Damage>> {
    let Some(tag) = r.byte()? else { return Ok(Err(Damage::Cut("in its header"))) };
    let record = if tag == LINE {
        Record::Line
    } else {
        let Some(session) = r.varint()? else { return Ok(Err(Damage::Cut("in its header"))) };
        let Some(delta) = r.varint()? else { return Ok(Err(Damage::Cut("in its header"))) };
        Record::Frame { tag, session, delta: unzigzag(delta) }
    };
    let Some(len) = r.varint()? else { return Ok(Err(Damage::Cut("in its header"))) };
    // No record is longer than what is left of the file; a length past it is a cut.
    let Ok(len) = usize::try_from(len) else { return Ok(Err(Damage::Bad(format!("a length of {len} bytes")))) };
    payload.clear();
    if (&mut r.inner).take(len as u64).read_to_end(payload)? < len {
        return Ok(Err(Damage::Cut("in its payload")));
    }
    r.offset += len as u64;
    Ok(Ok(record))
}

/// Writes one frame record's NDJSON line; `Err` when the record does not read as a frame (then
/// nothing is written).
fn frame_line(out: &mut impl Write, tag: u8, session: u64, ts: &str, payload: &[u8]) -> io::Result<Result<(), Damage>> {
    let bad = |what: &str| Ok(Err(Damage::Bad(what.into())));
    let dir = if tag & IN != 0 { Direction::In } else { Direction::Out };
    let (kind, body) = match tag & !IN {
        TEXT => match std::str::from_utf8(payload) {
            Ok(t) => ("text", Payload::Text(t)),
            Err(_) => return bad("a text frame that is not UTF-8"),
        },
        BINARY => ("binary", Payload::Bytes(payload)),
        PING => ("ping", Payload::Bytes(payload)),
        PONG => ("pong", Payload::Bytes(payload)),
        CLOSE => match payload.split_first_chunk::<2>().map(|(c, r)| (c, std::str::from_utf8(r))) {
            Some((code, Ok(reason))) => ("close", Payload::Close(Some((u16::from_le_bytes(*code), reason)))),
            _ => return bad("a close frame without its code, or its reason not UTF-8"),
        },
        CLOSE_EMPTY if payload.is_empty() => ("close", Payload::Close(None)),
        other => return Ok(Err(Damage::Bad(format!("unknown record tag {other:#04x}")))),
    };
    ndjson::write_frame(out, ts, session, dir, kind, body, payload.len())?;
    Ok(Ok(()))
}

/// A reader that knows how far into the file it is.
struct Counted<'a, R> {
    inner: &'a mut R,
    offset: u64,
}

impl<R: BufRead> Counted<'_, R> {
    /// One byte; `None` at the end of the file.
    fn byte(&mut self) -> io::Result<Option<u8>> {
        let mut b = [0u8; 1];
        match self.inner.read_exact(&mut b) {
            Ok(()) => {
                self.offset += 1;
                Ok(Some(b[0]))
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A LEB128 varint; `None` when the file ends inside it. Bits past 64 are dropped (a damaged
    /// number then reads as some other number, caught by what follows).
    fn varint(&mut self) -> io::Result<Option<u64>> {
        let mut n = 0u64;
        for shift in (0..).step_by(7) {
            let Some(b) = self.byte()? else { return Ok(None) };
            if shift < 64 {
                n |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return Ok(Some(n));
            }
        }
        Ok(Some(n))
    }
}

fn events_text(n: u64) -> String {
    if n == 1 { "1 event".into() } else { format!("{n} events") }
}

/// Counts what goes through to `inner`.
struct CountingWriter<'a, W: Write> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wstab_core::connection::{Closer, SessionId, Utf8Bytes};

    fn events() -> Vec<Event> {
        let frame = |dir, frame| Event::now(SessionId(7), EventKind::Frame { dir, frame });
        vec![
            Event::now(SessionId(7), EventKind::Connecting { url: "ws://h/echo?x=\"1\"".into() }),
            Event::now(SessionId(7), EventKind::Opened { subprotocol: Some("p".into()), elapsed: Duration::ZERO }),
            frame(Direction::In, Frame::Text(Utf8Bytes::from("he said \"hi\"\n\u{1b}[31m é".to_string()))),
            frame(Direction::Out, Frame::Text(Utf8Bytes::from(String::new()))),
            frame(Direction::In, Frame::Binary(bytes::Bytes::from(vec![7u8; 300]))),
            frame(Direction::Out, Frame::Ping(bytes::Bytes::from_static(b"p"))),
            frame(Direction::In, Frame::Pong(bytes::Bytes::new())),
            frame(Direction::Out, Frame::Close(Some((4000, "bye \"now\" ü".into())))),
            frame(Direction::In, Frame::Close(None)),
            Event::now(SessionId(7), EventKind::Closed { code: 1000, reason: "done".into(), by: Closer::Remote }),
        ]
    }

    fn spill_of(events: &[Event]) -> Vec<u8> {
        let (mut w, mut spill) = (Writer::default(), Vec::new());
        for e in events {
            let n = w.write(&mut spill, e).unwrap();
            assert!(n > 0);
        }
        spill
    }

    fn live_ndjson(events: &[Event]) -> String {
        let mut ts = TsCache::default();
        let mut out = Vec::new();
        for e in events {
            ndjson::write_line(&mut out, e, &mut ts).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn convert(spill: &[u8]) -> (String, Converted) {
        let mut out = Vec::new();
        let done = to_ndjson(&mut &spill[..], &mut out).unwrap();
        (String::from_utf8(out).unwrap(), done)
    }

    #[test]
    fn test_records_convert_to_the_same_ndjson_as_a_live_capture() {
        let mut events = events();
        // Another session, and a clock that stepped back a second, then on a day.
        let mut other = events[2].clone();
        other.session = SessionId(300);
        other.at = events[2].at - Duration::from_secs(1);
        events.push(other.clone());
        other.at += Duration::from_secs(86_400);
        events.push(other);
        let (text, done) = convert(&spill_of(&events));
        assert_eq!(done, Converted { events: events.len() as u64, bytes: text.len() as u64, damaged: None });
        assert_eq!(text, live_ndjson(&events));
    }

    #[test]
    fn test_a_64_byte_frame_takes_68_bytes() {
        let frame = Frame::Text(Utf8Bytes::from("x".repeat(64)));
        let e = Event::now(SessionId(1), EventKind::Frame { dir: Direction::In, frame });
        let mut w = Writer::default();
        let mut spill = Vec::new();
        w.write(&mut spill, &e).unwrap();
        // The first record of a file carries the whole time; the next ones the difference.
        assert_eq!(w.write(&mut spill, &Event { at: e.at + Duration::from_millis(20), ..e.clone() }).unwrap(), 68);
    }

    #[test]
    fn test_a_record_cut_short_saves_everything_before_it_and_says_so() {
        let events = events();
        let spill = spill_of(&events);
        let mut last = Vec::new();
        Writer::default().write(&mut last, &events[4]).unwrap();
        // Cut in the header, then in the payload.
        for (cut, where_) in [(2, "in its header"), (last.len() - 1, "in its payload")] {
            let mut damaged = spill.clone();
            damaged.extend_from_slice(&last[..cut]);
            let (text, done) = convert(&damaged);
            assert_eq!(text, live_ndjson(&events));
            let message = done.damaged.unwrap();
            let expected = format!("cut short at byte {} ({where_}", spill.len());
            assert!(message.contains(&expected), "{message}");
            assert!(message.contains(&format!("{} events before it saved", events.len())), "{message}");
        }
    }

    #[test]
    fn test_a_damaged_record_stops_the_conversion_with_its_place() {
        let events = events();
        let spill = spill_of(&events[..1]);
        let damaged = |record: &[u8]| {
            let mut d = spill.clone();
            d.extend_from_slice(record);
            d.extend_from_slice(&spill_of(&events[2..3]));
            d
        };
        let cases = [
            (damaged(&[0x7f, 1, 0, 0]), "unknown record tag 0x7f"),
            (damaged(&[TEXT | IN, 1, 0, 2, 0xff, 0xfe]), "a text frame that is not UTF-8"),
            (damaged(&[CLOSE, 1, 0, 1, 3]), "a close frame without its code"),
            (damaged(&[LINE, 3, b'a', b'b', b'\n']), "a connection event that is not one NDJSON line"),
        ];
        for (damaged, why) in cases {
            let (text, done) = convert(&damaged);
            assert_eq!(text, live_ndjson(&events[..1]));
            let message = done.damaged.unwrap();
            assert!(message.contains(&format!("damaged at byte {} ({why}", spill.len())), "{message}");
            assert!(message.contains("1 event before it saved"), "{message}");
        }
    }

    #[test]
    fn test_zigzag_round_trips_both_ways() {
        for n in [0i64, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }
}
