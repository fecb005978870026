//! Why a run kept less than it should: filter values that occur nowhere in the input (a typo
//! in `--service`), a window that holds no record, and an input that is mostly not audit
//! records (the wrong directory or the wrong format).
//!
//! Computation only: findings are data with a `Display` for the stderr line; `app` prints
//! them. The values seen come from a second, cheap tally that is taken only when the filters
//! kept nothing (see [`seen_spec`]), so the common path pays nothing.

use std::fmt;

use crate::dims::{Dim, Dims};
use crate::error::Malformed;
use crate::filter::{CodeSpec, Filter};
use crate::input::discover::InputFile;
use crate::tally::{Tally, TallySpec};
use crate::time::rfc3339;

/// More than this share of malformed lines earns a warning.
pub const MALFORMED_WARN_SHARE: f64 = 0.05;

/// Values listed after `seen:` at most; the nearest to what was given come first.
const SEEN_SHOWN: usize = 12;

/// What the records of the input look like, within the window and `--trace` ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    /// Records in the window (and of the given traces).
    pub records: u64,
    /// Service names, sorted.
    pub services: Vec<String>,
    /// Codes, sorted.
    pub codes: Vec<u32>,
    /// API templates, sorted, when `--api` was given.
    pub apis: Vec<String>,
    /// Hosts, sorted, when `--host` was given.
    pub hosts: Vec<String>,
    /// The slowest request (µs).
    pub slowest_us: u64,
    /// The newest record of the whole input, if any.
    pub newest_ns: Option<i64>,
}

/// The tally behind [`Seen`]: only the window and the trace ids of `filter` apply (trace ids
/// are too many to list, and they narrow the rest usefully), and the `api` and `host`
/// dimensions are counted when those filters are set, so their values can be listed.
pub fn seen_spec(filter: &Filter) -> TallySpec {
    let mut dims = Vec::new();
    if !filter.apis.is_empty() {
        dims.push(Dim::Api.as_str());
    }
    if !filter.hosts.is_empty() {
        dims.push(Dim::Host.as_str());
    }
    TallySpec {
        filter: Filter {
            since_ns: filter.since_ns,
            until_ns: filter.until_ns,
            traces: filter.traces.clone(),
            ..Filter::default()
        },
        dims: Dims::parse(&dims.join(",")).ok(),
        ..TallySpec::default()
    }
}

impl Seen {
    /// Reads the values from a tally counted with [`seen_spec`].
    pub fn from_tally(tally: &Tally) -> Seen {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        let mut codes: Vec<u32> = tally.groups.iter().map(|(&(_, code), _)| code).collect();
        codes.sort_unstable();
        codes.dedup();
        let newest = tally.input.newest_any_ns;
        Seen {
            records: tally.input.records,
            services: sorted(tally.services.names().map(text).collect()),
            codes,
            apis: sorted(tally.dim.apis.names().map(text).collect()),
            hosts: sorted(tally.dim.hosts.names().map(text).collect()),
            slowest_us: tally
                .groups
                .values()
                .map(|g| g.latency.max())
                .max()
                .unwrap_or(0),
            newest_ns: (newest != i64::MIN).then_some(newest),
        }
    }
}

/// One reason why the filters kept no record.
#[derive(Clone, Debug, PartialEq)]
pub enum Unmatched {
    /// The window (with the `--trace` ids, if any) holds no record.
    Window {
        /// Start of the window (ns).
        since: Option<i64>,
        /// End of the window (ns, excluded).
        until: Option<i64>,
        /// Trace ids were given too.
        traces: bool,
        /// The newest record of the input.
        newest_ns: Option<i64>,
    },
    /// A filter value no record has.
    Value {
        /// The filter: service, code, api, host.
        what: &'static str,
        /// The value as given.
        given: String,
        /// Values that do occur, nearest first, at most [`SEEN_SHOWN`].
        seen: Vec<String>,
        /// How many more values occur than are listed.
        more: usize,
        /// Where they were looked for: "" (the input), " in the window", ...
        scope: &'static str,
    },
    /// No request was as slow as `--min-duration`.
    MinDuration {
        /// The minimum given (µs).
        given_us: u64,
        /// The slowest request (µs).
        slowest_us: u64,
    },
    /// Each value occurs, but no record has them all.
    Together,
}

/// Why `filter` (its window placed) kept no record, given what the input holds. Never empty.
pub fn unmatched(filter: &Filter, seen: &Seen) -> Vec<Unmatched> {
    let windowed = filter.since_ns.is_some() || filter.until_ns.is_some();
    if seen.records == 0 {
        return vec![Unmatched::Window {
            since: filter.since_ns,
            until: filter.until_ns,
            traces: !filter.traces.is_empty(),
            newest_ns: seen.newest_ns,
        }];
    }
    let scope = match (windowed, filter.traces.is_empty()) {
        (false, true) => "",
        (true, true) => " in the window",
        (_, false) => " among the records of the given --trace ids",
    };
    let mut found = Vec::new();
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    for s in &filter.services {
        if !seen
            .services
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(s))
        {
            found.push(value(
                "service",
                text(s),
                &seen.services,
                scope,
                by_spelling,
            ));
        }
    }
    for spec in &filter.codes {
        if !seen.codes.iter().any(|&c| spec.matches(c)) {
            let codes: Vec<String> = seen.codes.iter().map(u32::to_string).collect();
            let target = spec.lo;
            found.push(value("code", spec_text(spec), &codes, scope, |_, c| {
                c.parse::<u32>().map_or(u32::MAX, |c| c.abs_diff(target)) as usize
            }));
        }
    }
    for (what, given, values) in [
        ("api", &filter.apis, &seen.apis),
        ("host", &filter.hosts, &seen.hosts),
    ] {
        for g in given {
            if !values.iter().any(|v| v.as_bytes() == &g[..]) {
                found.push(value(what, text(g), values, scope, by_spelling));
            }
        }
    }
    if let Some(min) = filter.min_duration_us
        && seen.slowest_us < min
    {
        found.push(Unmatched::MinDuration {
            given_us: min,
            slowest_us: seen.slowest_us,
        });
    }
    if found.is_empty() {
        found.push(Unmatched::Together);
    }
    found
}

fn value(
    what: &'static str,
    given: String,
    values: &[String],
    scope: &'static str,
    distance: impl Fn(&str, &str) -> usize,
) -> Unmatched {
    let mut nearest: Vec<&String> = values.iter().collect();
    if values.len() > SEEN_SHOWN {
        nearest.sort_by_key(|v| distance(&given, v));
        nearest.truncate(SEEN_SHOWN);
        if what == "code" {
            // Numbers read best in order; names best with the likely fix first.
            nearest.sort_by_key(|c| c.parse::<u32>().unwrap_or(u32::MAX));
        }
    }
    Unmatched::Value {
        what,
        given,
        more: values.len() - nearest.len(),
        seen: nearest.into_iter().cloned().collect(),
        scope,
    }
}

/// Edit distance, case-insensitive: how far a typo is from a real name.
fn by_spelling(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn spec_text(spec: &CodeSpec) -> String {
    if spec.lo == spec.hi {
        spec.lo.to_string()
    } else {
        format!("{}-{}", spec.lo, spec.hi)
    }
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmatched::Window {
                since,
                until,
                traces,
                newest_ns,
            } => {
                let side = |t: &Option<i64>| t.map_or_else(|| "...".to_string(), rfc3339);
                if since.is_some() || until.is_some() {
                    write!(
                        f,
                        "no record in the window [{}, {})",
                        side(since),
                        side(until)
                    )?;
                    if *traces {
                        write!(f, " with the given --trace ids")?;
                    }
                } else {
                    write!(f, "no record with the given --trace ids")?;
                }
                match newest_ns {
                    Some(t) => write!(f, "; the newest record read is at {}", rfc3339(*t)),
                    None => Ok(()),
                }
            }
            Unmatched::Value {
                what,
                given,
                seen,
                more,
                scope,
            } => {
                let given = crate::render::sanitize(given);
                if seen.is_empty() {
                    return write!(f, "no {what} {given}{scope}; no {what} values seen");
                }
                let list: Vec<String> = seen.iter().map(|v| crate::render::sanitize(v)).collect();
                write!(f, "no {what} {given}{scope}; seen: {}", list.join(", "))?;
                if *more > 0 {
                    write!(f, " and {more} more")?;
                }
                Ok(())
            }
            Unmatched::MinDuration {
                given_us,
                slowest_us,
            } => write!(
                f,
                "no request took at least {}; the slowest took {}",
                crate::render::human_us(*given_us),
                crate::render::human_us(*slowest_us)
            ),
            Unmatched::Together => write!(
                f,
                "every filter value occurs, but no record matches all the filters together"
            ),
        }
    }
}

/// A warning that much of the input is not audit records.
#[derive(Clone, Debug, PartialEq)]
pub struct MostlyMalformed {
    /// Malformed lines.
    pub malformed: u64,
    /// All lines.
    pub lines: u64,
    /// The most common reason.
    pub reason: Malformed,
    /// Lines with that reason.
    pub reason_count: u64,
    /// The first line with that reason: file and 1-based line number.
    pub sample: Option<(String, u64)>,
}

/// The warning, when more than [`MALFORMED_WARN_SHARE`] of the lines are malformed.
pub fn mostly_malformed(tally: &Tally, files: &[InputFile]) -> Option<MostlyMalformed> {
    let c = &tally.input;
    let malformed = c.malformed_total();
    if c.lines == 0 || (malformed as f64) <= MALFORMED_WARN_SHARE * c.lines as f64 {
        return None;
    }
    // Ties go to the earlier check, the one that failed first.
    let reason = Malformed::ALL
        .into_iter()
        .rev()
        .max_by_key(|r| c.malformed[r.index()])?;
    let sample = tally.first_malformed[reason.index()].map(|pos| {
        let file = files
            .get(pos.file as usize)
            .map_or_else(|| "?".to_string(), |f| f.display.clone());
        (file, tally.line_index().line_number(pos))
    });
    Some(MostlyMalformed {
        malformed,
        lines: c.lines,
        reason,
        reason_count: c.malformed[reason.index()],
        sample,
    })
}

impl fmt::Display for MostlyMalformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of the lines ({} of {}) are not audit records; most are {} ({})",
            crate::render::percent(self.malformed as f64 / self.lines as f64),
            self.malformed,
            self.lines,
            self.reason.as_str(),
            self.reason_count
        )?;
        if let Some((file, line)) = &self.sample {
            write!(f, ", first at {}:{line}", crate::render::sanitize(file))?;
        }
        write!(
            f,
            ". Is this the right directory, and a BlobStore audit log?"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Seen {
        Seen {
            records: 100,
            services: ["ACCESS", "BLOBNODE", "PROXY"].map(String::from).to_vec(),
            codes: vec![200, 206, 499, 613],
            apis: Vec::new(),
            hosts: (1..=20).map(|i| format!("10.0.0.{i}:8889")).collect(),
            slowest_us: 2_500_000,
            newest_ns: Some(1_763_981_999_559_313_000),
        }
    }

    #[test]
    fn a_misspelled_service_names_the_real_ones() {
        let filter = Filter {
            services: vec![b"NOSUCH".to_vec(), b"blobnode".to_vec()],
            ..Filter::default()
        };
        let found = unmatched(&filter, &seen());
        assert_eq!(found.len(), 1, "blobnode matches case-insensitively");
        assert_eq!(
            found[0].to_string(),
            "no service NOSUCH; seen: ACCESS, BLOBNODE, PROXY"
        );
    }

    #[test]
    fn codes_hosts_durations_and_the_window() {
        let filter = Filter {
            codes: vec![CodeSpec { lo: 999, hi: 999 }, CodeSpec { lo: 600, hi: 699 }],
            hosts: vec![b"10.0.0.7:8888".to_vec()],
            min_duration_us: Some(30_000_000),
            since_ns: Some(0),
            ..Filter::default()
        };
        let text: Vec<String> = unmatched(&filter, &seen())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text[0],
            "no code 999 in the window; seen: 200, 206, 499, 613"
        );
        // 20 hosts: the nearest 12 by spelling, the closest first.
        assert!(
            text[1].starts_with("no host 10.0.0.7:8888 in the window; seen: 10.0.0.7:8889, "),
            "{}",
            text[1]
        );
        assert!(text[1].ends_with(" and 8 more"), "{}", text[1]);
        assert_eq!(
            text[2],
            "no request took at least 30.00s; the slowest took 2.50s"
        );
        assert_eq!(text.len(), 3);
        // Nothing in the window at all.
        let empty = Seen {
            records: 0,
            ..seen()
        };
        let filter = Filter {
            since_ns: Some(1_763_982_000_000_000_000),
            ..Filter::default()
        };
        assert_eq!(
            unmatched(&filter, &empty)[0].to_string(),
            "no record in the window [2025-11-24T11:00:00.000000Z, ...); the newest record read is \
             at 2025-11-24T10:59:59.559313Z"
        );
        // Every value exists, but not together.
        let filter = Filter {
            services: vec![b"PROXY".to_vec()],
            codes: vec![CodeSpec { lo: 613, hi: 613 }],
            ..Filter::default()
        };
        assert_eq!(unmatched(&filter, &seen()), [Unmatched::Together]);
    }

    #[test]
    fn spelling_distance() {
        assert_eq!(by_spelling("blobnod", "BLOBNODE"), 1);
        assert_eq!(by_spelling("", "abc"), 3);
        assert_eq!(by_spelling("kitten", "sitting"), 3);
    }
}
