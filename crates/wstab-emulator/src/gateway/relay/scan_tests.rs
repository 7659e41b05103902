//! The frame scanner against streams cut at every byte boundary and at random ones, with
//! extended lengths, fragmented messages, control frames between fragments, oversized messages
//! and framing violations.

use proptest::prelude::*;

use super::*;

/// Encodes one frame; `key` masks it (frames from a client).
fn frame(fin: bool, opcode: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    let m = if key.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | n as u8),
        n if n <= 0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match key {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

fn close(code: u16, reason: &str, key: Option<[u8; 4]>) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    frame(true, CLOSE, &payload, key)
}

/// What feeding a stream in chunks through the relay's carry-over gives.
#[derive(Debug, Default, PartialEq)]
struct Fed {
    forwarded: Vec<u8>,
    messages: u64,
    bytes: u64,
    close: Option<u16>,
    stop: Option<Stop>,
}

/// Feeds `stream` cut at `cuts` (sorted offsets) as the relay does: scan what is buffered,
/// forward the complete part, keep the rest in front of the next read.
fn feed(scanner: &mut FrameScanner, stream: &[u8], cuts: &[usize]) -> Fed {
    let mut fed = Fed::default();
    let mut pending: Vec<u8> = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
        let cut = cut.clamp(last, stream.len());
        pending.extend_from_slice(&stream[last..cut]);
        last = cut;
        let scan = scanner.scan(&pending);
        assert!(pending.len() - scan.complete <= 2 + 8 + 4 + 125, "kept more than a header or a close frame");
        fed.forwarded.extend_from_slice(&pending[..scan.complete]);
        pending.drain(..scan.complete);
        fed.messages += scan.messages;
        fed.bytes += scan.bytes;
        if fed.close.is_none() {
            fed.close = scan.close;
        }
        if scan.stop.is_some() {
            fed.stop = scan.stop;
            return fed;
        }
    }
    fed
}

/// A stream with every header form: short, 16-bit and 64-bit lengths, an empty frame, a
/// fragmented text message with a ping and a pong between its fragments, and a close.
fn mixed_stream(key: Option<[u8; 4]>) -> (Vec<u8>, Fed) {
    let mut s = Vec::new();
    s.extend(frame(true, TEXT, b"hello", key));
    s.extend(frame(true, BINARY, &[7u8; 126], key));
    s.extend(frame(true, BINARY, &[], key));
    s.extend(frame(false, TEXT, b"frag", key));
    s.extend(frame(true, PING, b"are you there", key));
    s.extend(frame(false, CONTINUATION, &[b'x'; 300], key));
    s.extend(frame(true, PONG, b"", key));
    s.extend(frame(true, CONTINUATION, b"end", key));
    // A 64-bit length for a short payload: not minimal, still framed right.
    let mut long_form = vec![0x82, if key.is_some() { 0xFF } else { 0x7F }];
    long_form.extend_from_slice(&9u64.to_be_bytes());
    if let Some(k) = key {
        long_form.extend_from_slice(&k);
    }
    long_form.extend_from_slice(b"ninebytes");
    s.extend(long_form);
    s.extend(close(4000, "client done", key));
    let expected =
        Fed { forwarded: s.clone(), messages: 5, bytes: 5 + 126 + 4 + 300 + 3 + 9, close: Some(4000), stop: None };
    (s, expected)
}

#[test]
fn test_a_stream_cut_at_every_byte_boundary_scans_the_same() {
    for key in [None, Some([0x11, 0x22, 0x33, 0x44])] {
        let (stream, expected) = mixed_stream(key);
        for cut in 0..=stream.len() {
            let fed = feed(&mut FrameScanner::new(key.is_some(), 1 << 20), &stream, &[cut]);
            assert_eq!(fed, expected, "cut at {cut}, masked {}", key.is_some());
        }
        let every_byte: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(feed(&mut FrameScanner::new(key.is_some(), 1 << 20), &stream, &every_byte), expected);
    }
}

#[test]
fn test_a_64_bit_length_frame_cut_around_its_header_and_payload() {
    let payload = vec![3u8; 70_000];
    let mut stream = frame(true, BINARY, &payload, None);
    stream.extend(frame(true, TEXT, b"after", None));
    let second = stream.len() - 7;
    let cuts = (0..20).chain(second - 3..stream.len()).chain((20..second).step_by(997));
    for cut in cuts {
        let fed = feed(&mut FrameScanner::new(false, 1 << 20), &stream, &[cut]);
        assert_eq!((fed.messages, fed.bytes, fed.forwarded.len()), (2, 70_005, stream.len()), "cut at {cut}");
    }
}

#[test]
fn test_payload_ahead_is_what_the_current_frame_still_owes() {
    // The relay sizes its next read by this: a large frame's payload in large pieces, small
    // pieces between headers.
    let payload = vec![5u8; 70_000];
    let mut stream = frame(true, BINARY, &payload, None);
    stream.extend(frame(true, TEXT, b"after", None));
    let mut scanner = FrameScanner::new(false, 1 << 20);
    assert_eq!(scanner.payload_ahead(), 0);
    // The 64-bit header (10 bytes) and 1,000 payload bytes.
    let scan = scanner.scan(&stream[..1_010]);
    assert_eq!(scan.complete, 1_010);
    assert_eq!(scanner.payload_ahead(), 69_000);
    // The rest of the payload and the whole next frame: back at a boundary.
    scanner.scan(&stream[1_010..]);
    assert_eq!(scanner.payload_ahead(), 0);
    assert!(scanner.at_frame_boundary());
}

#[test]
fn test_control_frames_between_fragments_do_not_end_the_message() {
    let mut s = frame(false, BINARY, b"ab", None);
    s.extend(frame(true, PING, b"p", None));
    assert_eq!(feed(&mut FrameScanner::new(false, 100), &s, &[]).messages, 0);
    s.extend(frame(true, CONTINUATION, b"cd", None));
    let fed = feed(&mut FrameScanner::new(false, 100), &s, &[]);
    assert_eq!((fed.messages, fed.bytes, fed.stop), (1, 4, None));
}

#[test]
fn test_close_code_is_read_unmasked_even_when_the_close_frame_is_split() {
    let key = Some([0xA5, 0x5A, 0xFF, 0x01]);
    let stream = close(4001, "bye", key);
    for cut in 0..stream.len() {
        let mut scanner = FrameScanner::new(true, 100);
        let first = scanner.scan(&stream[..cut]);
        // Nothing of an incomplete close frame is forwarded: it is kept whole.
        assert_eq!((first.complete, first.close), (0, None), "cut at {cut}");
        assert_eq!(scanner.scan(&stream).close, Some(4001));
    }
    let empty = frame(true, CLOSE, b"", None);
    assert_eq!(FrameScanner::new(false, 100).scan(&empty).close, Some(1005));
}

#[test]
fn test_only_the_first_close_of_a_pass_is_reported() {
    let mut s = close(1000, "", None);
    s.extend(close(1001, "", None));
    assert_eq!(FrameScanner::new(false, 100).scan(&s).close, Some(1000));
}

#[test]
fn test_a_message_over_the_limit_stops_before_its_frame() {
    let head = frame(true, TEXT, b"fine", None);
    let mut s = head.clone();
    s.extend(frame(true, BINARY, &[0u8; 11], None));
    let fed = feed(&mut FrameScanner::new(false, 10), &s, &[]);
    assert_eq!(fed.forwarded, head);
    assert_eq!(fed.stop, Some(Stop::TooBig { size: 11, limit: 10 }));
    // Fragments add up: the third fragment takes the message over the limit.
    let mut s = frame(false, TEXT, b"1234", None);
    s.extend(frame(false, CONTINUATION, b"5678", None));
    let ok = s.len();
    s.extend(frame(true, CONTINUATION, b"9ab", None));
    let fed = feed(&mut FrameScanner::new(false, 10), &s, &[ok + 1]);
    assert_eq!((fed.forwarded.len(), fed.stop), (ok, Some(Stop::TooBig { size: 11, limit: 10 })));
    // Exactly at the limit passes.
    let fed = feed(&mut FrameScanner::new(false, 10), &frame(true, BINARY, &[1u8; 10], None), &[]);
    assert_eq!((fed.messages, fed.stop), (1, None));
    // Once the gateway is closing, the limit is lifted to drain.
    let mut scanner = FrameScanner::new(false, 10);
    scanner.unlimited();
    assert_eq!(scanner.scan(&frame(true, BINARY, &[0u8; 11], None)).stop, None);
}

#[test]
fn test_framing_violations_stop_the_scan() {
    let key = Some([1, 2, 3, 4]);
    let cases: Vec<(bool, Vec<u8>, &str)> = vec![
        (true, frame(true, TEXT, b"x", None), "unmasked"),
        (false, frame(true, TEXT, b"x", key), "masked"),
        (false, frame(true, CONTINUATION, b"x", None), "continuation"),
        (false, [frame(false, TEXT, b"x", None), frame(true, BINARY, b"y", None)].concat(), "new message"),
        (false, frame(true, 0x3, b"x", None), "reserved opcode"),
        (false, frame(false, PING, b"x", None), "control frame"),
        (false, frame(true, PING, &[0u8; 126], None), "control frame"),
        (false, vec![0xC1, 0x00], "reserved bits"),
        (false, frame(true, CLOSE, b"x", None), "1-byte"),
    ];
    for (masked, stream, what) in cases {
        match FrameScanner::new(masked, 1000).scan(&stream).stop {
            Some(Stop::Violation(v)) => assert!(v.contains(what), "{what}: {v}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn test_the_gateways_close_frames_are_well_formed() {
    for masked in [false, true] {
        let bytes = close_frame(1009, "message too big", masked);
        let mut scanner = FrameScanner::new(masked, 10);
        let scan = scanner.scan(&bytes);
        assert_eq!((scan.complete, scan.close, scan.stop), (bytes.len(), Some(1009), None));
        assert!(scanner.at_frame_boundary());
        let payload: Vec<u8> = if masked {
            bytes[6..].iter().enumerate().map(|(i, b)| b ^ bytes[2 + i % 4]).collect()
        } else {
            bytes[2..].to_vec()
        };
        assert_eq!(&payload[2..], b"message too big");
    }
    // A long reason is cut to fit a control frame, on a character boundary.
    let long = "é".repeat(100);
    let bytes = close_frame(1001, &long, false);
    assert!(bytes.len() <= 2 + 125);
    assert!(std::str::from_utf8(&bytes[4..]).is_ok());
}

/// One piece of a generated stream.
#[derive(Debug, Clone)]
enum Piece {
    /// A data message in fragments of these sizes, with a ping after each fragment when set.
    Message { binary: bool, fragments: Vec<usize>, pings_between: bool },
    /// A ping or a pong of this size.
    Control { ping: bool, len: usize },
}

fn piece() -> impl Strategy<Value = Piece> {
    let len = prop_oneof![0usize..4, 120usize..130, 250usize..300, Just(65_535), Just(65_536)];
    prop_oneof![
        (any::<bool>(), prop::collection::vec(len, 1..4), any::<bool>())
            .prop_map(|(binary, fragments, pings_between)| Piece::Message { binary, fragments, pings_between }),
        (any::<bool>(), 0usize..126).prop_map(|(ping, len)| Piece::Control { ping, len }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_any_cut_of_any_stream_scans_like_the_whole(
        pieces in prop::collection::vec(piece(), 1..8),
        masked in any::<bool>(),
        key in any::<[u8; 4]>(),
        end_code in prop::option::of(1000u16..5000),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let key = masked.then_some(key);
        let mut stream = Vec::new();
        let (mut messages, mut bytes) = (0u64, 0u64);
        for p in &pieces {
            match p {
                Piece::Message { binary, fragments, pings_between } => {
                    for (i, &len) in fragments.iter().enumerate() {
                        let opcode = if i > 0 { CONTINUATION } else if *binary { BINARY } else { TEXT };
                        let last = i + 1 == fragments.len();
                        stream.extend(frame(last, opcode, &vec![b'z'; len], key));
                        bytes += len as u64;
                        if *pings_between && !last {
                            stream.extend(frame(true, PING, b"between", key));
                        }
                    }
                    messages += 1;
                }
                Piece::Control { ping, len } => {
                    stream.extend(frame(true, if *ping { PING } else { PONG }, &vec![1u8; *len], key));
                }
            }
        }
        if let Some(code) = end_code {
            stream.extend(close(code, "end", key));
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cuts.sort_unstable();
        let fed = feed(&mut FrameScanner::new(masked, 1 << 20), &stream, &cuts);
        prop_assert_eq!(fed.stop, None);
        prop_assert_eq!(fed.messages, messages);
        prop_assert_eq!(fed.bytes, bytes);
        prop_assert_eq!(fed.close, end_code);
        prop_assert!(fed.forwarded == stream, "every byte forwarded, in order");
    }
}
