//! Wall-clock formatting for the log and outputs: local `HH:MM:SS.mmm` and RFC 3339.

use std::sync::OnceLock;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

static LOCAL_OFFSET: OnceLock<UtcOffset> = OnceLock::new();

/// Reads the local UTC offset. Call once at start-up, before any thread is spawned (the `time`
/// crate refuses to read it later); without it, times are shown in UTC.
pub fn init_local_offset() {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let _ = LOCAL_OFFSET.set(offset);
}

fn local(at: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(at).to_offset(LOCAL_OFFSET.get().copied().unwrap_or(UtcOffset::UTC))
}

/// `HH:MM:SS.mmm` in local time.
pub fn hms_millis(at: SystemTime) -> String {
    let t = local(at);
    format!("{:02}:{:02}:{:02}.{:03}", t.hour(), t.minute(), t.second(), t.millisecond())
}

/// RFC 3339 with milliseconds, in local time with its offset.
pub fn rfc3339(at: SystemTime) -> String {
    let t = local(at);
    let t = t.replace_nanosecond(t.millisecond() as u32 * 1_000_000).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn test_formats() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(3_723_456);
        let _ = LOCAL_OFFSET.set(UtcOffset::UTC);
        if LOCAL_OFFSET.get() == Some(&UtcOffset::UTC) {
            assert_eq!(hms_millis(at), "01:02:03.456");
            assert_eq!(rfc3339(at), "1970-01-01T01:02:03.456Z");
        }
    }
}
