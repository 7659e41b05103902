//! Reading WebSocket frame headers (RFC 6455 §5.2) out of a relayed byte stream, without
//! decoding payloads: enough to count messages and payload bytes, enforce the message size limit,
//! notice a close frame and its code, and know where frames begin, so the gateway can put a
//! close frame of its own between two frames.
//!
//! The relay forwards what [`Scan::complete`] says is safe and keeps the rest (at most an
//! incomplete header, or an incomplete close frame: ≤ 131 bytes) at the front of its buffer, to
//! be scanned again with the next read. Everything else (the payload left of the current frame,
//! the open fragmented message) is state carried across reads.

/// The largest frame header: 2 bytes, a 64-bit extended length and a masking key.
pub const MAX_HEADER: usize = 14;

/// The frame codes a relay needs to tell apart.
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Why scanning stopped before the end of the data: the frame at [`Scan::complete`] must not be
/// forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The message this frame belongs to is larger than the limit (`size` counts every frame of
    /// the message so far, this one included).
    TooBig {
        /// The message's size with this frame.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The peer broke the framing rules; what it did.
    Violation(String),
}

/// What one pass over the buffered bytes found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// How many bytes from the start may be forwarded: up to the end of the data, or up to an
    /// incomplete header (or close frame), or up to the frame that made the scan [`Stop`].
    pub complete: usize,
    /// Data messages whose last byte was seen.
    pub messages: u64,
    /// Payload bytes of data frames (text, binary, continuation) seen.
    pub bytes: u64,
    /// The code of the first close frame seen in this pass (1005 when it carries none).
    pub close: Option<u16>,
    /// Why scanning stopped early, if it did.
    pub stop: Option<Stop>,
}

/// The state of one direction of a relayed connection, carried from one read to the next.
#[derive(Debug, Clone)]
pub struct FrameScanner {
    /// Frames come from a client, so they must be masked (and from a server, must not be).
    masked: bool,
    /// The largest message allowed, in payload bytes.
    limit: u64,
    /// Payload bytes of the current frame not seen yet.
    remaining: u64,
    /// The current frame is a data frame: its payload counts.
    in_data_frame: bool,
    /// The current frame ends its message: the message completes with its last payload byte.
    ends_message: bool,
    /// A fragmented message has begun and its final frame has not come yet.
    in_message: bool,
    /// Payload bytes of the current message, counting the whole of the current frame.
    message_size: u64,
}

impl FrameScanner {
    /// A scanner for frames from a client (`masked`) or from a server, allowing messages up to
    /// `limit` payload bytes.
    pub fn new(masked: bool, limit: u64) -> Self {
        Self {
            masked,
            limit,
            remaining: 0,
            in_data_frame: false,
            ends_message: false,
            in_message: false,
            message_size: 0,
        }
    }

    /// Lifts the size limit: once the gateway is closing, it only drains what is left.
    pub fn unlimited(&mut self) {
        self.limit = u64::MAX;
    }

    /// No frame is half-forwarded: the destination may be sent a frame of the gateway's own.
    pub fn at_frame_boundary(&self) -> bool {
        self.remaining == 0
    }

    /// Payload bytes of the current frame still to come (0 at a frame boundary).
    pub fn payload_ahead(&self) -> u64 {
        self.remaining
    }

    /// Scans `data`: the bytes kept from the last pass (never a whole frame header) followed by
    /// the bytes read since.
    pub fn scan(&mut self, data: &[u8]) -> Scan {
        let mut out = Scan::default();
        let mut pos = 0usize;
        while pos < data.len() {
            if self.remaining > 0 {
                let take = self.remaining.min((data.len() - pos) as u64);
                pos += take as usize;
                self.remaining -= take;
                if self.in_data_frame {
                    out.bytes += take;
                    if self.remaining == 0 && self.ends_message {
                        out.messages += 1;
                    }
                }
                continue;
            }
            match self.header(&data[pos..], &mut out) {
                Ok(Some(consumed)) => pos += consumed,
                Ok(None) => break,
                Err(stop) => {
                    out.stop = Some(stop);
                    break;
                }
            }
        }
        out.complete = pos;
        out
    }

    /// Reads the frame header at the start of `data`: `Ok(Some(n))` with the bytes taken (the
    /// header, plus the payload of a close frame), `Ok(None)` when `data` is too short yet.
    fn header(&mut self, data: &[u8], out: &mut Scan) -> Result<Option<usize>, Stop> {
        let [b0, b1, ..] = *data else { return Ok(None) };
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0F;
        if b0 & 0x70 != 0 {
            return Err(violation(format!("reserved bits set ({b0:#04x}) without an extension")));
        }
        let masked = b1 & 0x80 != 0;
        if masked != self.masked {
            return Err(violation(if self.masked {
                "a client sent an unmasked frame".into()
            } else {
                "a server sent a masked frame".into()
            }));
        }
        let (len, mut header_len) = match b1 & 0x7F {
            126 => match data.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match data.get(2..10) {
                Some(b) => {
                    let len = u64::from_be_bytes(b.try_into().unwrap_or_default());
                    if len >> 63 != 0 {
                        return Err(violation("a 64-bit length with its top bit set".into()));
                    }
                    (len, 10)
                }
                None => return Ok(None),
            },
            n => (u64::from(n), 2),
        };
        let mask_at = header_len;
        if masked {
            header_len += 4;
        }
        if data.len() < header_len {
            return Ok(None);
        }
        match opcode {
            CLOSE | PING | PONG => {
                if !fin || len > 125 {
                    return Err(violation(format!(
                        "a control frame (opcode {opcode:#x}) fragmented or over 125 bytes"
                    )));
                }
                if opcode != CLOSE {
                    self.start_frame(len, false, false);
                    return Ok(Some(header_len));
                }
                // A close frame is taken whole, so its code is read from contiguous bytes.
                let end = header_len + len as usize;
                let Some(payload) = data.get(header_len..end) else { return Ok(None) };
                let code = match payload {
                    [] => 1005,
                    [_] => return Err(violation("a close frame with a 1-byte payload".into())),
                    [a, b, ..] => {
                        let (ka, kb) = if masked { (data[mask_at], data[mask_at + 1]) } else { (0, 0) };
                        u16::from_be_bytes([a ^ ka, b ^ kb])
                    }
                };
                out.close.get_or_insert(code);
                self.start_frame(0, false, false);
                Ok(Some(end))
            }
            TEXT | BINARY | CONTINUATION => {
                let size = if opcode == CONTINUATION {
                    if !self.in_message {
                        return Err(violation("a continuation frame outside a fragmented message".into()));
                    }
                    self.message_size.saturating_add(len)
                } else {
                    if self.in_message {
                        return Err(violation("a new message before the fragmented one ended".into()));
                    }
                    len
                };
                if size > self.limit {
                    return Err(Stop::TooBig { size, limit: self.limit });
                }
                self.message_size = size;
                self.in_message = !fin;
                self.start_frame(len, true, fin);
                if len == 0 && fin {
                    out.messages += 1;
                }
                Ok(Some(header_len))
            }
            other => Err(violation(format!("reserved opcode {other:#x}"))),
        }
    }

    fn start_frame(&mut self, len: u64, data: bool, ends_message: bool) {
        self.remaining = len;
        self.in_data_frame = data;
        self.ends_message = ends_message;
    }
}

fn violation(what: String) -> Stop {
    Stop::Violation(what)
}

/// A close frame of the gateway's own: unmasked towards a client, masked with a random key
/// towards a backend (a server must reject unmasked frames).
pub fn close_frame(code: u16, reason: &str, masked: bool) -> Vec<u8> {
    // A control frame's payload is at most 125 bytes: the code and 123 bytes of reason.
    let mut reason = reason.as_bytes();
    if reason.len() > 123 {
        let mut cut = 123;
        while std::str::from_utf8(&reason[..cut]).is_err() {
            cut -= 1;
        }
        reason = &reason[..cut];
    }
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    let mut frame = vec![0x80 | CLOSE, payload.len() as u8];
    if masked {
        frame[1] |= 0x80;
        let key = rand::random::<u32>().to_be_bytes();
        frame.extend_from_slice(&key);
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    frame.extend_from_slice(&payload);
    frame
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
