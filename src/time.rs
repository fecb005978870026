//! Time in and out: RFC 3339 output with microseconds, and the `--since`/`--until` inputs
//! (absolute times, bare dates, times of day, durations before the newest record, `now-D`
//! against the wall clock) and `--bucket`, `--min-duration` durations.
//!
//! The rule for relative times: a plain duration (`90m`) and a time of day (`10:50`) are
//! measured from the *reference*, which is the newest record of the input (logs are often
//! read after the fact) or, with `--now`, the wall clock. `now-15m` always counts back from
//! the wall clock (or from the time `--now=T` pretends it is).

use jiff::civil::{Date, DateTime, Time};
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
    /// This long (ns) before the reference (the newest record, or the clock with `--now`).
    BeforeReference(i64),
    /// This long (ns) before the wall clock: `now-15m`, or `now` for 0.
    BeforeNow(i64),
    /// A time of day (ns after midnight) on the date of the reference, in the zone of times
    /// without one.
    TimeOfDay(i64),
}

/// What relative bounds are measured from.
#[derive(Clone, Debug)]
pub struct Clock {
    /// The wall clock at the start of the run, or the time `--now=T` gave (ns).
    pub now_ns: i64,
    /// `--now` was given: the reference is `now_ns`, not the newest record.
    pub reference_is_now: bool,
    /// The zone of times written without one: UTC, or the system's with `--local`.
    pub zone: TimeZone,
}

impl Default for Clock {
    /// The wall clock, the newest record as reference, UTC.
    fn default() -> Self {
        Clock {
            now_ns: wall_clock_ns(),
            reference_is_now: false,
            zone: TimeZone::UTC,
        }
    }
}

impl Clock {
    /// The reference of relative bounds, given the newest record of the input (if known).
    /// With no record and no `--now` there is nothing to measure from: `i64::MAX` then,
    /// which keeps no record, and there is none anyway.
    pub fn reference(&self, newest_ns: Option<i64>) -> i64 {
        if self.reference_is_now {
            self.now_ns
        } else {
            newest_ns.unwrap_or(i64::MAX)
        }
    }
}

/// Nanoseconds since the epoch now.
pub fn wall_clock_ns() -> i64 {
    i64::try_from(Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

impl Bound {
    /// The bound as a time, given the reference (see [`Clock::reference`]).
    pub fn resolve(self, reference_ns: i64, clock: &Clock) -> i64 {
        match self {
            Bound::At(t) => t,
            Bound::BeforeReference(d) => reference_ns.saturating_sub(d),
            Bound::BeforeNow(d) => clock.now_ns.saturating_sub(d),
            Bound::TimeOfDay(ns) => on_date_of(reference_ns, ns, &clock.zone),
        }
    }

    /// Whether the bound depends on the newest record of the input under `clock`.
    pub fn needs_newest(self, clock: &Clock) -> bool {
        matches!(self, Bound::BeforeReference(_) | Bound::TimeOfDay(_)) && !clock.reference_is_now
    }
}

/// `time_ns` after midnight of the day holding `reference_ns` in `zone`. A reference that is
/// no time (no newest record, or outside jiff's range) is returned as it is.
fn on_date_of(reference_ns: i64, time_ns: i64, zone: &TimeZone) -> i64 {
    if reference_ns == i64::MAX {
        // Clock::reference's "no newest record": not a day to place anything on.
        return reference_ns;
    }
    let placed = Timestamp::from_nanosecond(i128::from(reference_ns))
        .ok()
        .map(|ts| zone.to_datetime(ts).date())
        .and_then(|date| {
            let midnight = date.to_datetime(Time::midnight());
            let dt = midnight
                .checked_add(SignedDuration::from_nanos(time_ns))
                .ok()?;
            zone.to_timestamp(dt).ok()
        })
        .and_then(|ts| i64::try_from(ts.as_nanosecond()).ok());
    placed.unwrap_or(reference_ns)
}

/// Parses a time bound: RFC 3339 with or without zone (`T` or a space, seconds optional), a
/// bare date, a time of day (`10:50`, `10:50:30`), `now` or `now-D`, or a duration (before
/// the reference). Times without a zone are UTC, or the system's zone when `local`.
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
    if let Some(ns) = time_of_day(t) {
        return Ok(Bound::TimeOfDay(ns));
    }
    if let Some(rest) = strip_prefix_ignore_case(t, "now") {
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(Bound::BeforeNow(0));
        }
        return match rest.strip_prefix('-') {
            Some(d) => parse_duration(d)
                .map(Bound::BeforeNow)
                .map_err(|e| format!("invalid time {text:?}: {e}")),
            None => Err(format!(
                "invalid time {text:?}: after `now` only `-D` is allowed (now-15m, now-2h)"
            )),
        };
    }
    let civil = t.replacen(' ', "T", 1);
    let datetime = civil.parse::<DateTime>().or_else(|_| {
        civil
            .parse::<Date>()
            .map(|d| d.to_datetime(Time::midnight()))
    });
    if let Ok(dt) = datetime {
        let ts = zone
            .to_timestamp(dt)
            .map_err(|e| format!("time {text:?} does not exist in the time zone: {e}"))?;
        return Ok(Bound::At(ns_of(ts)?));
    }
    if let Ok(d) = parse_duration(t) {
        return Ok(Bound::BeforeReference(d));
    }
    Err(format!(
        "invalid time {text:?}: expected RFC 3339 (2025-11-24T10:42:00Z), a date (2025-11-24), \
         a time of day (10:50), a duration before the newest record (90m, 2h) or now-D (now-15m)"
    ))
}

/// Parses an absolute time for `--now=T`: RFC 3339, a date-time without zone, or a date.
pub fn parse_instant(text: &str, local: bool) -> Result<i64, String> {
    match parse_bound(text, local) {
        Ok(Bound::At(t)) => Ok(t),
        Ok(_) | Err(_) => Err(format!(
            "invalid time {text:?}: --now=T takes a full time (2025-11-24T11:00:00Z) or a date"
        )),
    }
}

/// `H:MM`, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` as nanoseconds after midnight. A colon is
/// required, so `10` or `1050` are never read as times of day.
fn time_of_day(t: &str) -> Option<i64> {
    if !t.contains(':')
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return None;
    }
    // jiff wants two-digit hours.
    let padded;
    let text = if t.find(':') == Some(1) {
        padded = format!("0{t}");
        padded.as_str()
    } else {
        t
    };
    let time = text.parse::<Time>().ok()?;
    let seconds =
        i64::from(time.hour()) * 3600 + i64::from(time.minute()) * 60 + i64::from(time.second());
    Some(seconds * 1_000_000_000 + i64::from(time.subsec_nanosecond()))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
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
        assert_eq!(
            parse_bound("15m", false),
            Ok(Bound::BeforeReference(15 * min))
        );
        let clock = utc_clock(AT_1042 + 3 * 60 * min, false);
        assert_eq!(
            Bound::BeforeReference(15 * min).resolve(AT_1042, &clock),
            AT_1042 - 15 * min
        );
    }

    fn utc_clock(now_ns: i64, reference_is_now: bool) -> Clock {
        Clock {
            now_ns,
            reference_is_now,
            zone: TimeZone::UTC,
        }
    }

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn times_of_day() {
        assert_eq!(
            parse_bound("10:50", false),
            Ok(Bound::TimeOfDay((10 * 3600 + 50 * 60) * SEC))
        );
        assert_eq!(
            parse_bound("10:50:30", false),
            Ok(Bound::TimeOfDay((10 * 3600 + 50 * 60 + 30) * SEC))
        );
        assert_eq!(
            parse_bound(" 9:05 ", false),
            Ok(Bound::TimeOfDay((9 * 3600 + 5 * 60) * SEC))
        );
        assert_eq!(
            parse_bound("00:00:00.25", false),
            Ok(Bound::TimeOfDay(SEC / 4))
        );
        // Not times of day: no colon, out of range, or a duration.
        assert_eq!(
            parse_bound("10m", false),
            Ok(Bound::BeforeReference(600 * SEC))
        );
        for bad in ["25:00", "10:5", "10:60", "1050:00", "10:50pm"] {
            assert!(
                !matches!(parse_bound(bad, false), Ok(Bound::TimeOfDay(_))),
                "{bad}"
            );
        }
        // 10:50 on the date of the reference (2025-11-24T10:42Z), before or after it.
        let clock = utc_clock(0, false);
        let at_1050 = AT_1042 + 8 * 60 * SEC;
        assert_eq!(
            Bound::TimeOfDay((10 * 3600 + 50 * 60) * SEC).resolve(AT_1042, &clock),
            at_1050
        );
        let next_day_0001 = AT_1042 + (13 * 3600 + 19 * 60) * SEC;
        assert_eq!(
            Bound::TimeOfDay((10 * 3600 + 50 * 60) * SEC).resolve(next_day_0001, &clock),
            at_1050 + 86_400 * SEC
        );
        // In another zone the date and the time are that zone's.
        let shanghai = Clock {
            zone: TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::fixed(jiff::tz::offset(8))),
            ..clock
        };
        // 10:42Z is 18:42 in UTC+8; 18:50 there is 10:50Z.
        assert_eq!(
            Bound::TimeOfDay((18 * 3600 + 50 * 60) * SEC).resolve(AT_1042, &shanghai),
            at_1050
        );
        // No reference (no record): nothing to place the time on.
        assert_eq!(Bound::TimeOfDay(0).resolve(i64::MAX, &clock), i64::MAX);
    }

    #[test]
    fn now_expressions() {
        assert_eq!(parse_bound("now", false), Ok(Bound::BeforeNow(0)));
        assert_eq!(
            parse_bound("now-15m", false),
            Ok(Bound::BeforeNow(900 * SEC))
        );
        assert_eq!(
            parse_bound("NOW - 1h30m", false),
            Ok(Bound::BeforeNow(5400 * SEC))
        );
        for bad in ["now+5m", "now-", "now-soon", "nowhere"] {
            assert!(parse_bound(bad, false).is_err(), "{bad}");
        }
        // now-D counts from the clock whatever the reference is.
        let clock = utc_clock(AT_1042, false);
        assert_eq!(
            Bound::BeforeNow(900 * SEC).resolve(i64::MAX, &clock),
            AT_1042 - 900 * SEC
        );
        assert!(!Bound::BeforeNow(0).needs_newest(&clock));
        assert!(Bound::BeforeReference(0).needs_newest(&clock));
        assert!(Bound::TimeOfDay(0).needs_newest(&clock));
        assert!(!Bound::At(0).needs_newest(&clock));
        // With --now the reference is the clock: nothing needs the newest record.
        let now = utc_clock(AT_1042, true);
        assert_eq!(now.reference(Some(5)), AT_1042);
        assert_eq!(clock.reference(Some(5)), 5);
        assert!(!Bound::BeforeReference(0).needs_newest(&now));
        assert!(!Bound::TimeOfDay(0).needs_newest(&now));
        assert_eq!(parse_instant("2025-11-24T10:42:00Z", false), Ok(AT_1042));
        assert!(parse_instant("10:42", false).is_err());
        assert!(parse_instant("15m", false).is_err());
    }

    proptest::proptest! {
        /// Any HH:MM:SS parses to its seconds after midnight and lands on the reference's day.
        #[test]
        fn any_time_of_day(h in 0i64..24, m in 0i64..60, s in 0i64..60, day in 0i64..30_000) {
            let text = format!("{h:02}:{m:02}:{s:02}");
            let ns = (h * 3600 + m * 60 + s) * SEC;
            proptest::prop_assert_eq!(parse_bound(&text, false), Ok(Bound::TimeOfDay(ns)));
            let reference = day * 86_400 * SEC + 12 * 3600 * SEC;
            let placed = Bound::TimeOfDay(ns).resolve(reference, &utc_clock(0, false));
            proptest::prop_assert_eq!(placed, day * 86_400 * SEC + ns);
        }
    }
}
