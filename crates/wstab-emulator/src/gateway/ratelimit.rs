//! `rate-limit-by-key` on new connections: a fixed window per counter key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts new connections per key in fixed windows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one call for `key`; `Err(retry_after)` when the window is full.
    pub fn check(&self, key: &str, calls: u32, period: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= period {
            *window = (now, 0);
        }
        if window.1 >= calls {
            return Err(period.saturating_sub(now.duration_since(window.0)));
        }
        window.1 += 1;
        Ok(())
    }

    /// Counts `count` calls for `key` when `counted`; the calls left in the window, or
    /// `Err(retry_after)` when the window is full.
    pub fn take(&self, key: &str, calls: u32, count: u32, counted: bool, period: Duration) -> Result<u32, Duration> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= period {
            *window = (now, 0);
        }
        if window.1 >= calls {
            return Err(period.saturating_sub(now.duration_since(window.0)));
        }
        if counted {
            window.1 = window.1.saturating_add(count);
        }
        Ok(calls.saturating_sub(window.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_window_fills_then_refuses_per_key() {
        let rl = RateLimiter::default();
        let p = Duration::from_secs(60);
        assert!(rl.check("a", 2, p).is_ok() && rl.check("a", 2, p).is_ok());
        assert!(rl.check("a", 2, p).is_err());
        assert!(rl.check("b", 2, p).is_ok());
    }
}
