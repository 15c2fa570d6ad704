//! The guests' wall clock. By default it is the machine's, as on Spin. A test may instead
//! give the host a *clock file* ([`crate::DevHostConfig::test_clock_file`]): the guests then
//! read the machine's time plus the offset written in that file, so a test can move the
//! application to the minute a post is due instead of waiting for it.
//!
//! Only code that builds a `DevHostConfig` can set the file (the end-to-end suite and its
//! `e2e-instance` program): the `dev-host` command line, the manifest and the components have
//! no way to switch it on, and Spin itself always gives guests the real clock.
//!
//! The offset is read once per instance (one request), the moment the instance is created,
//! so one request sees one consistent clock. The monotonic clock stays real: timeouts and
//! durations are unaffected.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use wasmtime_wasi::HostWallClock;

/// The file's content: the offset in milliseconds, a signed decimal integer. A missing or
/// empty file is offset 0.
pub fn read_offset_millis(file: &Path) -> Result<i64> {
    match std::fs::read_to_string(file) {
        Ok(text) if text.trim().is_empty() => Ok(0),
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{}: not an offset in milliseconds", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

/// Writes the offset atomically (a new file renamed over the old one), so a host reading it
/// concurrently sees the old or the new value, never half of one.
pub fn write_offset_millis(file: &Path, offset: i64) -> Result<()> {
    let partial = file.with_extension("partial");
    std::fs::write(&partial, offset.to_string())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, file).with_context(|| format!("cannot replace {}", file.display()))
}

/// The machine's time shifted by a fixed offset, for one instance.
pub(crate) struct ShiftedWallClock {
    offset_millis: i64,
}

impl ShiftedWallClock {
    pub(crate) fn from_file(file: &Path) -> Result<Self> {
        Ok(Self {
            offset_millis: read_offset_millis(file)?,
        })
    }
}

impl HostWallClock for ShiftedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let shift = Duration::from_millis(self.offset_millis.unsigned_abs());
        if self.offset_millis >= 0 {
            real + shift
        } else {
            real.saturating_sub(shift)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_round_trips_and_a_missing_file_is_zero() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clock");
        assert_eq!(read_offset_millis(&file).unwrap(), 0);
        write_offset_millis(&file, 90_500).unwrap();
        assert_eq!(read_offset_millis(&file).unwrap(), 90_500);
        write_offset_millis(&file, -1_000).unwrap();
        assert_eq!(read_offset_millis(&file).unwrap(), -1_000);
        std::fs::write(&file, "soon").unwrap();
        assert!(read_offset_millis(&file).is_err());
    }

    #[test]
    fn the_shifted_clock_reads_ahead_by_the_offset() {
        let ahead = ShiftedWallClock {
            offset_millis: 3_600_000,
        };
        let real = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let shifted = ahead.now();
        assert!(shifted >= real + Duration::from_secs(3_600), "{shifted:?}");
        assert!(shifted < real + Duration::from_secs(3_660), "{shifted:?}");
    }
}
