//! Time formatting shared by every output: RFC 3339 in UTC with microseconds.

use jiff::Timestamp;

/// Formats nanoseconds since the epoch as `2025-11-24T10:42:00.123456Z` (sub-microsecond
/// digits are cut, not rounded). Times outside jiff's range print as the raw number.
pub fn rfc3339(ns: i64) -> String {
    match Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        Err(_) => ns.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_truncated() {
        assert_eq!(
            rfc3339(1_764_000_006_618_925_699),
            "2025-11-24T16:00:06.618925Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
    }
}
