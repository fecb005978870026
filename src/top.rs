//! The model of `bsaudit top`: a running [`Summary`] that each look at the logs adds its new
//! records to, and the [`Frame`] shown (or printed as one NDJSON line) every interval.
//!
//! The running summary is grouped by service, API, host, code and a time slice (a thirtieth
//! of the window), so a frame can total any grouping the viewer switches to over the last
//! `--window` of records, with their latency distributions, without reading anything again.
//! Slices older than the window are dropped as the window moves; the (service, code) table,
//! which every summary keeps for every record, holds the totals since the start. A frame is
//! computed from that state alone: it returns data, the renderers write it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{ClassMap, CodeTable};
use crate::dims::Dim;
use crate::error::Malformed;
use crate::histogram::Histogram;
use crate::summary::{GroupData, Key, Part, Scope, Summary};

/// The schema name and version of a frame.
pub const SCHEMA: &str = "bsaudit.top/v1";

/// The dimensions of the running summary's groups, in key order.
pub const DIMS: [Dim; 5] = [Dim::Service, Dim::Api, Dim::Host, Dim::Code, Dim::Bucket];

/// How many slices a window is cut into.
pub const SLICES: i64 = 30;

/// The slice size for a window: a thirtieth of it, at least a second.
pub fn slice_ns(window_ns: i64) -> i64 {
    (window_ns / SLICES).max(1_000_000_000)
}

/// What the window's rows are grouped by; the viewer cycles through these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Service and code.
    #[default]
    ServiceCode,
    /// Service, API and code.
    ServiceApiCode,
    /// Service, host and code.
    ServiceHostCode,
}

impl Grouping {
    /// The next grouping, round the cycle.
    pub fn next(self) -> Grouping {
        match self {
            Grouping::ServiceCode => Grouping::ServiceApiCode,
            Grouping::ServiceApiCode => Grouping::ServiceHostCode,
            Grouping::ServiceHostCode => Grouping::ServiceCode,
        }
    }

    /// As `--by` would say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::ServiceCode => "service,code",
            Grouping::ServiceApiCode => "service,api,code",
            Grouping::ServiceHostCode => "service,host,code",
        }
    }

    /// The second dimension besides service and code, if any.
    pub fn extra(self) -> Option<Dim> {
        match self {
            Grouping::ServiceCode => None,
            Grouping::ServiceApiCode => Some(Dim::Api),
            Grouping::ServiceHostCode => Some(Dim::Host),
        }
    }
}

/// Options of a frame that the viewer may change while it runs.
#[derive(Clone, Copy, Debug)]
pub struct View {
    /// How the window's rows are grouped.
    pub grouping: Grouping,
    /// Every code in the rows, not only client and server errors.
    pub all_codes: bool,
    /// Most rows.
    pub top: usize,
}

/// What was read since the previous frame.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReadStats {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Bytes per second over the interval.
    pub bytes_per_s: f64,
}

/// The files followed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FilesStats {
    /// Files followed now.
    pub followed: usize,
    /// Bytes of lines still being written (after the last LF of each file).
    pub pending_bytes: u64,
    /// How changes are noticed: `inotify` or `polling`.
    pub watch: String,
    /// What changed since the previous frame: new, renamed, restarted, gone files.
    pub events: Vec<String>,
}

/// One service in the window.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceRow {
    /// Service name.
    pub service: String,
    /// Records in the window.
    pub requests: u64,
    /// Client and server errors in the window.
    pub errors: u64,
    /// `errors / requests` (0 when there are none).
    pub error_rate: f64,
    /// Records per second over the window.
    pub requests_per_s: f64,
    /// Median duration (µs) in the window.
    pub p50_us: u64,
    /// 99th percentile duration (µs) in the window.
    pub p99_us: u64,
    /// Longest duration (µs) in the window.
    pub max_us: u64,
    /// Records since the start.
    pub total_requests: u64,
    /// Errors since the start.
    pub total_errors: u64,
}

/// One group in the window.
#[derive(Clone, Debug, Serialize)]
pub struct GroupRow {
    /// Service name.
    pub service: String,
    /// API (with the service, API, code grouping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Host (with the service, host, code grouping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Status code.
    pub code: u32,
    /// `ok`, `benign`, `client` or `server`.
    pub class: String,
    /// Records in the window.
    pub count: u64,
    /// Records per second over the window.
    pub per_s: f64,
    /// 99th percentile duration (µs) in the window.
    pub p99_us: u64,
    /// Records of this service and code since the start.
    pub total: u64,
    /// A code new to its service: its first record is in the window, and the service had
    /// records for at least a window before it without this code.
    pub new: bool,
    /// The error string of the code, from the code table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the code means, from the code table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
}

/// The sliding window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowFrame {
    /// Its length (`--window`).
    pub seconds: f64,
    /// Start of its first slice.
    pub start: String,
    /// Its end: now, or the newest record when that is older than a window (old logs).
    pub end: String,
    /// Records in it.
    pub records: u64,
    /// Whether every record is in a group (false when the group cap folded some).
    pub exact: bool,
    /// Per service, busiest first.
    pub services: Vec<ServiceRow>,
    /// The groups, most records first (`--top` of them).
    pub groups: Vec<GroupRow>,
}

/// Counts since the start, with every line accounted for.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Earliest record read.
    pub first: Option<String>,
    /// Newest record read.
    pub last: Option<String>,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records the filters dropped.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Malformed lines by reason.
    pub malformed: BTreeMap<Malformed, u64>,
    /// Lines over the line limit.
    pub oversized: u64,
    /// Unterminated last lines of compressed files that are not records.
    pub incomplete_tail: u64,
    /// Client and server errors.
    pub errors: u64,
}

/// One refresh of `bsaudit top`: the `bsaudit.top/v1` NDJSON object.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// 0 for the first frame.
    pub frame: u64,
    /// Wall-clock time of the frame.
    pub time: String,
    /// How the window's groups are grouped.
    pub grouping: Grouping,
    /// Whether the groups hold every code or only errors.
    pub all_codes: bool,
    /// The files followed.
    pub files: FilesStats,
    /// Read since the previous frame.
    pub read: ReadStats,
    /// The sliding window.
    pub window: WindowFrame,
    /// Since the start.
    pub totals: Totals,
}

/// The running state of `top`.
pub struct Live {
    totals: Summary,
    window_ns: i64,
    slice_ns: i64,
}

impl Live {
    /// An empty state; `scope` must group by [`DIMS`] with slices of [`slice_ns`].
    pub fn new(scope: Scope, window_ns: i64) -> Live {
        debug_assert_eq!(scope.by, DIMS);
        Live {
            slice_ns: scope.bucket_ns,
            totals: Summary::empty(scope),
            window_ns,
        }
    }

    /// Adds what one look read.
    pub fn add(&mut self, delta: &Summary, now_ns: i64) {
        self.totals += delta;
        // Each look names the files it read again: keep one name per file.
        self.totals.input.sources.dedup();
        self.totals.input.problems.dedup();
        let keep_from = self.window_start_index(now_ns) - 1;
        self.totals
            .groups
            .retain(|k, _| bucket_of(k).is_none_or(|b| b >= keep_from));
        // Totals need no time buckets (the groups hold the window's): without this the
        // (service, code) rows would grow by a slice per interval for as long as top runs.
        for g in self.totals.pairs.values_mut() {
            g.buckets.clear();
        }
    }

    /// Where the window ends: now, unless the newest record is older than a window (logs
    /// replayed from the past), then at that record.
    fn window_end(&self, now_ns: i64) -> i64 {
        match self.totals.input.newest_any_ns {
            Some(newest) if newest < now_ns.saturating_sub(self.window_ns) => newest,
            Some(newest) => newest.max(now_ns),
            None => now_ns,
        }
    }

    /// The first slice of the window.
    fn window_start_index(&self, now_ns: i64) -> i64 {
        let from = self.window_end(now_ns).saturating_sub(self.window_ns);
        from.div_euclid(self.slice_ns) + i64::from(from.rem_euclid(self.slice_ns) != 0)
    }

    /// The frame to show now.
    #[allow(clippy::too_many_arguments)]
    pub fn frame(
        &self,
        number: u64,
        now_ns: i64,
        view: View,
        table: &CodeTable,
        classes: &ClassMap,
        files: FilesStats,
        read: ReadStats,
    ) -> Frame {
        let end = self.window_end(now_ns);
        let start_index = self.window_start_index(now_ns);
        let start = start_index.saturating_mul(self.slice_ns);
        // Rates over the part of the window that records were read for: a top started a
        // minute ago has seen a minute, not five.
        let seen_from = self.totals.input.first_ns.unwrap_or(start).max(start);
        let span_s = ((end - seen_from) as f64 / 1e9).max(1.0);
        let is_error = |code: u64| classes.class_of(code as u32).is_error();

        let mut services: BTreeMap<String, (u64, u64, Histogram)> = BTreeMap::new();
        // Only counts and latency are shown: histograms, not whole groups (whose merge would copy
        // and sort their samples on every frame).
        let mut groups: BTreeMap<(String, Option<String>, u64), Histogram> = BTreeMap::new();
        let mut records = 0;
        for (key, g) in &self.totals.groups {
            if bucket_of(key).is_none_or(|b| b < start_index) {
                continue;
            }
            let (Some(service), Some(api), Some(host), Some(code)) =
                (key[0].text(), key[1].text(), key[2].text(), key[3].num())
            else {
                continue;
            };
            records += g.count();
            let s = services.entry(service.to_string()).or_default();
            s.0 += g.count();
            if is_error(code) {
                s.1 += g.count();
            }
            s.2 += &g.latency;
            if !view.all_codes && !is_error(code) {
                continue;
            }
            let extra = match view.grouping.extra() {
                Some(Dim::Api) => Some(api.to_string()),
                Some(_) => Some(host.to_string()),
                None => None,
            };
            *groups
                .entry((service.to_string(), extra, code))
                .or_default() += &g.latency;
        }

        let totals_by_service = self.totals.services(classes);
        let mut service_first: BTreeMap<&str, i64> = BTreeMap::new();
        for (key, g) in &self.totals.pairs {
            if let Some(s) = key[0].text() {
                let e = service_first.entry(s).or_insert(i64::MAX);
                *e = (*e).min(g.first_ns);
            }
        }
        let mut service_rows: Vec<ServiceRow> = totals_by_service
            .iter()
            .map(|(name, t)| {
                let (requests, errors, latency) = services.remove(name).unwrap_or_default();
                ServiceRow {
                    service: name.clone(),
                    requests,
                    errors,
                    error_rate: ratio(errors, requests),
                    requests_per_s: requests as f64 / span_s,
                    p50_us: latency.quantile(500),
                    p99_us: latency.quantile(990),
                    max_us: latency.max(),
                    total_requests: t.requests,
                    total_errors: t.errors,
                }
            })
            .collect();
        service_rows.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(b.total_requests.cmp(&a.total_requests))
                .then(a.service.cmp(&b.service))
        });

        let mut group_rows: Vec<GroupRow> = groups
            .into_iter()
            .map(|((service, extra, code), latency)| {
                let pair = self
                    .totals
                    .pairs
                    .get(&vec![Part::Text(service.clone()), Part::Num(code)]);
                let total = pair.map_or(0, GroupData::count);
                let first_ns = pair.map_or(i64::MIN, |g| g.first_ns);
                let service_ns = service_first.get(service.as_str()).copied();
                let new = first_ns >= start
                    && service_ns.is_some_and(|s| first_ns >= s.saturating_add(self.window_ns));
                let info = u32::try_from(code).ok().and_then(|c| table.get(c));
                let (api, host) = match view.grouping.extra() {
                    Some(Dim::Api) => (extra, None),
                    Some(_) => (None, extra),
                    None => (None, None),
                };
                GroupRow {
                    service,
                    api,
                    host,
                    code: u32::try_from(code).unwrap_or(u32::MAX),
                    class: classes.class_of(code as u32).as_str().to_string(),
                    count: latency.count(),
                    per_s: latency.count() as f64 / span_s,
                    p99_us: latency.quantile(990),
                    total,
                    new,
                    message: info.map(|i| i.message.clone()),
                    meaning: info.map(|i| i.description.clone()),
                }
            })
            .collect();
        group_rows.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.service.cmp(&b.service))
                .then(a.code.cmp(&b.code))
                .then(a.api.cmp(&b.api))
                .then(a.host.cmp(&b.host))
        });
        if view.top > 0 {
            group_rows.truncate(view.top);
        }

        let i = &self.totals.input;
        Frame {
            schema: SCHEMA,
            frame: number,
            time: crate::time::rfc3339(now_ns),
            grouping: view.grouping,
            all_codes: view.all_codes,
            files,
            read,
            window: WindowFrame {
                seconds: self.window_ns as f64 / 1e9,
                start: crate::time::rfc3339(start),
                end: crate::time::rfc3339(end),
                records,
                exact: self.totals.other_keys == 0,
                services: service_rows,
                groups: group_rows,
            },
            totals: Totals {
                first: i.first_ns.map(crate::time::rfc3339),
                last: i.last_ns.map(crate::time::rfc3339),
                bytes: i.bytes,
                lines: i.lines,
                records: i.records,
                filtered_out: i.filtered_out,
                empty_lines: i.empty_lines,
                malformed: i.malformed.clone(),
                oversized: i.oversized,
                incomplete_tail: i.incomplete_tail,
                errors: totals_by_service.values().map(|t| t.errors).sum(),
            },
        }
    }
}

/// The slice index of a group key of [`DIMS`].
fn bucket_of(key: &Key) -> Option<i64> {
    key.get(4).and_then(Part::num).map(|b| b as i64)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
