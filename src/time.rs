//! Time in and out: RFC 3339 output with microseconds, and the `--since`/`--until` inputs
//! (absolute times, bare dates, durations before the newest record) and `--bucket`,
//! `--min-duration` durations.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

/// Formats nanoseconds since the epoch as `2025-11-24T10:42:00.123456Z` (sub-microsecond
/// digits are cut, not rounded). Times outside jiff's range print as the raw number.
pub fn rfc3339(ns: i64) -> String {
    match Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        Err(_) => ns.to_string(),
    }
}

/// A `--since`/`--until` bound as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// A point in time (ns since the epoch).
    At(i64),
    /// This long (ns) before the newest record of the input.
    BeforeNewest(i64),
}

impl Bound {
    /// The bound as a time, given the newest record (needed only for relative bounds).
    pub fn resolve(self, newest_ns: i64) -> i64 {
        match self {
            Bound::At(t) => t,
            Bound::BeforeNewest(d) => newest_ns.saturating_sub(d),
        }
    }

    /// Whether the bound depends on the newest record.
    pub fn is_relative(self) -> bool {
        matches!(self, Bound::BeforeNewest(_))
    }
}

/// Parses a time bound: RFC 3339 with or without zone (`T` or a space, seconds optional), a
/// bare date, or a duration (relative to the newest record). Times without a zone are UTC,
/// or the system's zone when `local`.
pub fn parse_bound(text: &str, local: bool) -> Result<Bound, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(Bound::At(ns_of(ts)?));
    }
    let zone = if local {
        TimeZone::system()
    } else {
        TimeZone::UTC
    };
    let civil = t.replacen(' ', "T", 1);
    let datetime = civil.parse::<DateTime>().or_else(|_| {
        civil
            .parse::<Date>()
            .map(|d| d.to_datetime(jiff::civil::time(0, 0, 0, 0)))
    });
    if let Ok(dt) = datetime {
        let ts = zone
            .to_timestamp(dt)
            .map_err(|e| format!("time {text:?} does not exist in the time zone: {e}"))?;
        return Ok(Bound::At(ns_of(ts)?));
    }
    if let Ok(d) = parse_duration(t) {
        return Ok(Bound::BeforeNewest(d));
    }
    Err(format!(
        "invalid time {text:?}: expected RFC 3339 (2025-11-24T10:42:00Z), a date (2025-11-24) \
         or a duration before the newest record (90m, 2h)"
    ))
}

fn ns_of(ts: Timestamp) -> Result<i64, String> {
    i64::try_from(ts.as_nanosecond()).map_err(|_| format!("time {ts} is out of range"))
}

/// Parses a non-negative duration to nanoseconds: `90m`, `2h`, `1h30m`, `45s`, `500ms`,
/// `1500us`, `2d` (days of 24 hours), or the longer forms jiff reads (`2 hours`).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("invalid duration {text:?} (examples: 90m, 2h, 1h30m, 500ms, 2d)");
    let duration = match t.parse::<SignedDuration>() {
        Ok(d) => d,
        // Days are calendar units to jiff; here a day is 24 hours.
        Err(_) => t
            .parse::<Span>()
            .ok()
            .and_then(|s| s.to_duration(SpanRelativeTo::days_are_24_hours()).ok())
            .ok_or_else(bad)?,
    };
    if duration.is_negative() {
        return Err(format!("duration {text:?} is negative"));
    }
    i64::try_from(duration.as_nanos()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT_1042: i64 = 1_763_980_920_000_000_000; // 2025-11-24T10:42:00Z

    #[test]
    fn microseconds_truncated() {
        assert_eq!(
            rfc3339(1_764_000_006_618_925_699),
            "2025-11-24T16:00:06.618925Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(rfc3339(AT_1042), "2025-11-24T10:42:00.000000Z");
    }

    #[test]
    fn absolute_bounds() {
        for text in [
            "2025-11-24T10:42:00Z",
            "2025-11-24T18:42:00+08:00",
            "2025-11-24T10:42:00",
            "2025-11-24 10:42:00",
            "2025-11-24T10:42",
            " 2025-11-24 10:42 ",
        ] {
            assert_eq!(parse_bound(text, false), Ok(Bound::At(AT_1042)), "{text}");
        }
        assert_eq!(
            parse_bound("2025-11-24", false),
            Ok(Bound::At(AT_1042 - (10 * 60 + 42) * 60 * 1_000_000_000))
        );
        assert!(parse_bound("yesterday", false).is_err());
        assert!(parse_bound("2025-13-01", false).is_err());
    }

    #[test]
    fn durations() {
        let min = 60_000_000_000i64;
        assert_eq!(parse_duration("90m"), Ok(90 * min));
        assert_eq!(parse_duration("2h"), Ok(120 * min));
        assert_eq!(parse_duration("1h30m"), Ok(90 * min));
        assert_eq!(parse_duration("45s"), Ok(45_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1500us"), Ok(1_500_000));
        assert_eq!(parse_duration("2d"), Ok(48 * 60 * min));
        assert!(parse_duration("-5m").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_bound("15m", false), Ok(Bound::BeforeNewest(15 * min)));
        assert_eq!(
            Bound::BeforeNewest(15 * min).resolve(AT_1042),
            AT_1042 - 15 * min
        );
    }
}
