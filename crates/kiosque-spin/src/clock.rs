//! The host's clock, for the domain's `Clock` trait.

use std::time::{SystemTime, UNIX_EPOCH};

use kiosque_domain::{Clock, Timestamp};

/// Reads wall-clock time; on wasm32-wasip2 `SystemTime` is `wasi:clocks/wall-clock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
            // A host clock before 1970 is broken; the epoch is a visible, harmless stand-in.
            Err(_) => 0,
        };
        Timestamp::from_unix_seconds(secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
