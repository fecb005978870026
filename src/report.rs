//! The report: ranked, annotated groups and input health, as plain data.
//!
//! Built from a merged [`Tally`]; ranks groups, computes shares, quantiles, sparklines and
//! onsets, and attaches the meaning of every code. It prints nothing: each output format in
//! `render` serialises or lays out this one model, and JSON output is exactly its `serde` form
//! (`bsaudit.report/v1`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{Class, CodeInfo, CodeTable, Origin};
use crate::dims::{Dim, DimKey, Dims};
use crate::error::Malformed;
use crate::histogram::Histogram;
use crate::input::discover::Discovery;
use crate::tally::{GroupStats, LineIndex, ProblemKind, Tally};
use crate::time::rfc3339;

/// The JSON schema name and version.
pub const SCHEMA: &str = "bsaudit.report/v1";

/// What to rank and how much to show.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Groups to show; 0 shows all.
    pub top: usize,
    /// Rank every code, successes and benign ones included.
    pub all: bool,
}

/// How the tally was grouped, which the report needs to read it.
#[derive(Clone, Debug)]
pub struct Grouping {
    /// The `--by` dimensions.
    pub dims: Dims,
    /// Bucket size (ns) of the `bucket` dimension and of the tally's timeline.
    pub bucket_ns: i64,
    /// Most groups kept exactly.
    pub max_groups: usize,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// What was read and how every line was counted.
    pub input: InputHealth,
    /// One row per service, most errors first.
    pub services: Vec<ServiceSummary>,
    /// The dimensions groups are keyed by (`--by`).
    pub by: Vec<&'static str>,
    /// How many groups qualified for ranking (errors only unless `--all`).
    pub groups_total: usize,
    /// Records counted into `other` because there were more than `--max-groups` groups.
    pub groups_folded: u64,
    /// False when records were folded while counting: shown counts may then be low by up to
    /// `groups_folded`.
    pub groups_exact: bool,
    /// The ranked groups, at most `--top`.
    pub groups: Vec<GroupReport>,
    /// The `--fail-on` rules and what they found (absent without rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fail_on: Vec<crate::fail_on::Outcome>,
    /// Totals per service and code for `--fail-on`.
    #[serde(skip)]
    pub facts: Facts,
}

/// What `--fail-on` rules measure: per service, and for all services together.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    services: BTreeMap<String, ScopeFacts>,
    all: ScopeFacts,
}

/// Totals of one scope.
#[derive(Clone, Debug, Default)]
pub struct ScopeFacts {
    /// Records kept.
    pub requests: u64,
    /// Client and server errors.
    pub errors: u64,
    /// Records per code.
    pub codes: BTreeMap<u32, u64>,
    /// Latency of every record.
    pub latency: Histogram,
}

impl ScopeFacts {
    fn add(&mut self, other: &ScopeFacts) {
        self.requests += other.requests;
        self.errors += other.errors;
        for (code, n) in &other.codes {
            *self.codes.entry(*code).or_default() += n;
        }
        self.latency += &other.latency;
    }
}

impl Facts {
    /// Facts from per-service totals.
    pub fn from_services(services: impl IntoIterator<Item = (String, ScopeFacts)>) -> Facts {
        let mut facts = Facts::default();
        for (name, f) in services {
            facts.all.add(&f);
            facts.services.entry(name).or_default().add(&f);
        }
        facts
    }

    /// The totals of a service (case-insensitive; empty when absent), or of all.
    pub fn scope(&self, service: Option<&str>) -> std::borrow::Cow<'_, ScopeFacts> {
        match service {
            None => std::borrow::Cow::Borrowed(&self.all),
            Some(name) => {
                let mut total = ScopeFacts::default();
                for (_, f) in self
                    .services
                    .iter()
                    .filter(|(s, _)| s.eq_ignore_ascii_case(name))
                {
                    total.add(f);
                }
                std::borrow::Cow::Owned(total)
            }
        }
    }
}

/// Input health: files, lines and where each line went.
#[derive(Clone, Debug, Serialize)]
pub struct InputHealth {
    /// Files read (fully or in part).
    pub files: u64,
    /// Files or paths that could not be read at all.
    pub files_skipped: u64,
    /// Files read only in part (truncated or corrupt compressed data, read errors).
    pub files_partial: u64,
    /// Files deleted between listing and opening.
    pub files_vanished: u64,
    /// Files not read because they were last written before `--since`.
    pub files_outside_window: u64,
    /// Walked files passed over: not audit logs by name, links, second paths to one file.
    pub files_ignored: u64,
    /// Bytes of log text scanned (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records dropped by the filters.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Lines that are not records, by reason.
    pub malformed: MalformedCounts,
    /// Lines over `--max-line`, skipped.
    pub oversized: u64,
    /// Unterminated last lines that are not records (being written, or cut).
    pub incomplete_tail: u64,
    /// Earliest kept record.
    pub first_seen: Option<String>,
    /// Latest kept record.
    pub last_seen: Option<String>,
    /// Per-file problems, in input order.
    pub problems: Vec<Problem>,
}

/// Malformed lines by reason.
#[derive(Clone, Debug, Serialize)]
pub struct MalformedCounts {
    /// All malformed lines.
    pub total: u64,
    /// Every reason, including those with 0.
    pub by_reason: BTreeMap<&'static str, u64>,
}

/// A file that was not read in full.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The path as the user would type it.
    pub path: String,
    /// `skipped`, `partial` or `vanished`.
    pub kind: &'static str,
    /// What happened.
    pub message: String,
}

/// Latency figures in microseconds.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Latency {
    /// Median (nearest rank, within 1%).
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Exact maximum.
    pub max: u64,
    /// Exact mean.
    pub mean: f64,
}

impl Latency {
    fn of(h: &Histogram) -> Latency {
        Latency {
            p50: h.quantile(500),
            p90: h.quantile(900),
            p99: h.quantile(990),
            max: h.max(),
            mean: (h.mean() * 10.0).round() / 10.0,
        }
    }
}

/// One service's totals.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceSummary {
    /// Service name.
    pub service: String,
    /// Records kept.
    pub requests: u64,
    /// Client and server errors.
    pub errors: u64,
    /// errors / requests.
    pub error_rate: f64,
    /// Latency over all its requests.
    pub latency_us: Latency,
}

/// The meaning of a code, from the code table.
#[derive(Clone, Debug, Serialize)]
pub struct Meaning {
    /// Service that defines the code, or HTTP.
    pub owner: String,
    /// The exact error string.
    pub message: String,
    /// What it means.
    pub description: String,
    /// What to check next.
    pub hint: String,
    /// Where the row comes from.
    pub origin: Origin,
}

impl From<&CodeInfo> for Meaning {
    fn from(info: &CodeInfo) -> Self {
        Meaning {
            owner: info.owner.clone(),
            message: info.message.clone(),
            description: info.description.clone(),
            hint: info.hint.clone(),
            origin: info.origin,
        }
    }
}

/// One sample request.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Trace id, to follow the request across services.
    pub trace_id: Option<String>,
    /// Start time.
    pub time: String,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// File it is in.
    pub file: String,
    /// 1-based line number in that file (decompressed).
    pub line: u64,
}

/// One ranked group.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    /// Service name, when `service` is a dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Status code, when `code` is a dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// The other dimensions' values, by dimension name (`disk`, `api`, `bucket`, ...).
    #[serde(flatten)]
    pub values: BTreeMap<&'static str, String>,
    /// Records in the group.
    pub count: u64,
    /// count / the service's records (or all records, without a service dimension).
    pub share: f64,
    /// ok, benign, client or server; `null` without a code dimension.
    pub class: Option<Class>,
    /// From the code table; `null` when the code is unknown or not a dimension.
    pub meaning: Option<Meaning>,
    /// Latency of the group.
    pub latency_us: Latency,
    /// First start time.
    pub first_seen: String,
    /// Last start time.
    pub last_seen: String,
    /// Sum of response lengths.
    pub resp_bytes: u64,
    /// Counts over the report's time span, one character per column (service, code groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparkline: Option<String>,
    /// Start of the bucket where this group's rate rose well above its earlier level (see the
    /// README for the rule); `null` when it did not, or was there from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset: Option<String>,
    /// The earliest requests of the group.
    pub samples: Vec<SampleReport>,
}

impl GroupReport {
    /// A dimension's value as text.
    pub fn value(&self, dim: Dim) -> String {
        match dim {
            Dim::Service => self.service.clone().unwrap_or_default(),
            Dim::Code => self.code.map(|c| c.to_string()).unwrap_or_default(),
            other => self.values.get(other.as_str()).cloned().unwrap_or_default(),
        }
    }
}

/// Builds the report from a merged tally.
pub fn build(
    tally: &Tally,
    discovery: &Discovery,
    table: &CodeTable,
    opts: &ReportOptions,
    grouping: &Grouping,
) -> Report {
    let names: Vec<&str> = discovery.files.iter().map(|f| f.display.as_str()).collect();
    let facts = facts(tally, table);
    let mut services: Vec<ServiceSummary> = facts
        .services
        .iter()
        .map(|(name, f)| ServiceSummary {
            service: name.clone(),
            requests: f.requests,
            errors: f.errors,
            error_rate: ratio(f.errors, f.requests),
            latency_us: Latency::of(&f.latency),
        })
        .collect();
    services.sort_by(|a, b| {
        b.errors
            .cmp(&a.errors)
            .then(b.requests.cmp(&a.requests))
            .then(a.service.cmp(&b.service))
    });

    let groups_of = GroupBuilder {
        tally,
        table,
        grouping,
        facts: &facts,
        names: &names,
        lines: tally.line_index(),
        span: Span::of(tally, grouping.bucket_ns),
    };
    let mut groups: Vec<(Vec<String>, GroupReport)> = if grouping.dims.is_default_pair() {
        tally
            .groups
            .iter()
            .filter(|&(&(_, code), _)| opts.all || table.class_of(code).is_error())
            .map(|(&(service, code), stats)| groups_of.pair(service, code, stats))
            .collect()
    } else {
        tally
            .dim
            .groups
            .iter()
            .map(|(key, stats)| groups_of.dims(key, stats))
            .collect()
    };
    // Most first; ties by the dimension values, so output is deterministic.
    groups.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    let mut folded = tally.dim.other.count();
    if groups.len() > grouping.max_groups {
        folded += groups[grouping.max_groups..]
            .iter()
            .map(|g| g.1.count)
            .sum::<u64>();
        groups.truncate(grouping.max_groups);
    }
    let groups_total = groups.len();
    if opts.top > 0 {
        groups.truncate(opts.top);
    }

    Report {
        schema: SCHEMA,
        input: input_health(tally, discovery),
        services,
        by: grouping.dims.list().iter().map(|d| d.as_str()).collect(),
        groups_total,
        groups_folded: folded,
        groups_exact: tally.dim.other.count() == 0,
        groups: groups.into_iter().map(|(_, g)| g).collect(),
        fail_on: Vec::new(),
        facts,
    }
}

/// Turns tally groups into report groups, with their sort keys.
struct GroupBuilder<'a> {
    tally: &'a Tally,
    table: &'a CodeTable,
    grouping: &'a Grouping,
    facts: &'a Facts,
    names: &'a [&'a str],
    lines: LineIndex,
    span: Option<Span>,
}

impl GroupBuilder<'_> {
    /// A (service, code) group.
    fn pair(&self, service: u32, code: u32, stats: &GroupStats) -> (Vec<String>, GroupReport) {
        let name = String::from_utf8_lossy(self.tally.services.name(service)).into_owned();
        let mut g = self.base(stats);
        self.annotate(&mut g, Some((service, name.clone())), Some(code));
        (vec![name, format!("{code:>10}")], g)
    }

    /// A `--by` group.
    fn dims(&self, key: &DimKey, stats: &GroupStats) -> (Vec<String>, GroupReport) {
        let mut g = self.base(stats);
        let mut sort_key = Vec::new();
        let mut service = None;
        let mut code = None;
        for (&dim, &part) in self.grouping.dims.list().iter().zip(&key.0) {
            let text =
                self.tally
                    .dim
                    .part_name(dim, part, &self.tally.services, self.grouping.bucket_ns);
            match dim {
                Dim::Service => service = Some((part as u32, text.clone())),
                Dim::Code => code = Some(part as u32),
                _ => {
                    g.values.insert(dim.as_str(), text.clone());
                }
            }
            // Numbers sort as numbers: pad them.
            sort_key.push(match dim {
                Dim::Code | Dim::Disk | Dim::Vuid if text != "-" => format!("{text:>20}"),
                _ => text,
            });
        }
        self.annotate(&mut g, service, code);
        (sort_key, g)
    }

    fn base(&self, stats: &GroupStats) -> GroupReport {
        GroupReport {
            service: None,
            code: None,
            values: BTreeMap::new(),
            count: stats.count(),
            share: 0.0,
            class: None,
            meaning: None,
            latency_us: Latency::of(&stats.latency),
            first_seen: rfc3339(stats.first_ns),
            last_seen: rfc3339(stats.last_ns),
            resp_bytes: stats.resp_bytes,
            sparkline: None,
            onset: None,
            samples: samples(stats, self.names, &self.lines),
        }
    }

    /// Code meaning, share, and (for service, code groups) sparkline and onset.
    fn annotate(&self, g: &mut GroupReport, service: Option<(u32, String)>, code: Option<u32>) {
        if let Some(code) = code {
            g.code = Some(code);
            g.class = Some(self.table.class_of(code));
            g.meaning = self.table.get(code).map(Meaning::from);
        }
        let whole = match &service {
            Some((_, name)) => self.facts.services.get(name).map_or(0, |f| f.requests),
            None => self.tally.input.records,
        };
        g.share = ratio(g.count, whole);
        if let (Some((id, _)), Some(code), Some(span)) = (&service, code, &self.span) {
            let series = span.series(self.tally, *id, code);
            g.sparkline = Some(sparkline(&span.columns(&series)));
            g.onset = onset(&series).map(|i| rfc3339((span.first + i as i64) * span.bucket_ns));
        }
        g.service = service.map(|(_, name)| name);
    }
}

fn samples(stats: &GroupStats, names: &[&str], index: &LineIndex) -> Vec<SampleReport> {
    stats
        .samples
        .as_slice()
        .iter()
        .map(|s| SampleReport {
            trace_id: s.trace_id.clone(),
            time: rfc3339(s.time_ns),
            method: s.method.clone(),
            path: s.path.clone(),
            file: names.get(s.pos.file as usize).unwrap_or(&"?").to_string(),
            line: index.line_number(s.pos),
        })
        .collect()
}

/// Per-service totals from the (service, code) table.
fn facts(tally: &Tally, table: &CodeTable) -> Facts {
    let mut per: BTreeMap<String, ScopeFacts> = BTreeMap::new();
    for (&(service, code), stats) in &tally.groups {
        let name = String::from_utf8_lossy(tally.services.name(service)).into_owned();
        let f = per.entry(name).or_default();
        f.requests += stats.count();
        if table.class_of(code).is_error() {
            f.errors += stats.count();
        }
        *f.codes.entry(code).or_default() += stats.count();
        f.latency += &stats.latency;
    }
    Facts::from_services(per)
}

/// The report's time span in timeline buckets.
struct Span {
    bucket_ns: i64,
    /// First bucket index.
    first: i64,
    /// Number of buckets.
    len: usize,
}

/// Most columns of a sparkline.
const SPARK_COLUMNS: usize = 40;

/// Most buckets a span may hold before sparklines are left out (a year of minutes).
const MAX_SPAN_BUCKETS: i64 = 600_000;

impl Span {
    fn of(tally: &Tally, bucket_ns: i64) -> Option<Span> {
        if tally.input.records == 0 {
            return None;
        }
        let first = tally.input.first_ns.div_euclid(bucket_ns);
        let last = tally.input.last_ns.div_euclid(bucket_ns);
        let len = last - first + 1;
        (len <= MAX_SPAN_BUCKETS).then_some(Span {
            bucket_ns,
            first,
            len: len as usize,
        })
    }

    /// Counts of one (service, code) per bucket of the span.
    fn series(&self, tally: &Tally, service: u32, code: u32) -> Vec<u64> {
        let mut out = vec![0; self.len];
        let Some(stats) = tally.groups.get(&(service, code)) else {
            return out;
        };
        if stats.buckets.entries().is_empty() {
            return out;
        }
        for &(bucket, n) in stats.buckets.entries() {
            let i = bucket - self.first;
            if (0..self.len as i64).contains(&i) {
                out[i as usize] += n;
            }
        }
        out
    }

    /// A series summed into at most SPARK_COLUMNS columns of equal width.
    fn columns(&self, series: &[u64]) -> Vec<u64> {
        let width = series.len().div_ceil(SPARK_COLUMNS).max(1);
        series.chunks(width).map(|c| c.iter().sum()).collect()
    }
}

/// Block characters scaled to the largest column; an empty column is a space.
pub fn sparkline(columns: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = columns.iter().copied().max().unwrap_or(0);
    columns
        .iter()
        .map(|&n| {
            if n == 0 || max == 0 {
                ' '
            } else {
                BARS[((n * 8 - 1) / max).min(7) as usize]
            }
        })
        .collect()
}

/// The onset of a rise: the first bucket i >= 1 whose count is at least 2 and at least three
/// times the mean of the buckets before it plus one, and where the next bucket (if any) stays
/// at or above that threshold. `None` when there is no such bucket, which includes a group
/// that was as busy from the start. (Two in a row: a lone error is not an onset.)
pub fn onset(series: &[u64]) -> Option<usize> {
    let mut before = 0u64;
    for i in 1..series.len() {
        before += series[i - 1];
        // threshold = max(2, 3 * before / i + 1), in integers: n >= t  <=>  n * i >= 3 * before + i.
        let reaches = |n: u64| n >= 2 && n * i as u64 >= 3 * before + i as u64;
        if reaches(series[i]) && series.get(i + 1).is_none_or(|&next| reaches(next)) {
            return Some(i);
        }
    }
    None
}

/// What was read and how every line was counted, for any command.
pub fn input_health(tally: &Tally, discovery: &Discovery) -> InputHealth {
    let names: Vec<&str> = discovery.files.iter().map(|f| f.display.as_str()).collect();
    let c = &tally.input;
    let mut problems: Vec<(u32, Problem)> = tally
        .problems
        .iter()
        .map(|p| {
            let kind = match p.kind {
                ProblemKind::Vanished => "vanished",
                ProblemKind::Skipped => "skipped",
                ProblemKind::Partial => "partial",
                ProblemKind::OutsideWindow => "outside_window",
            };
            let path = names.get(p.file as usize).unwrap_or(&"?").to_string();
            (
                p.file,
                Problem {
                    path,
                    kind,
                    message: p.message.clone(),
                },
            )
        })
        .collect();
    problems.retain(|(_, p)| p.kind != "outside_window");
    problems.sort_by(|a, b| (a.0, &a.1.message).cmp(&(b.0, &b.1.message)));
    problems.dedup_by(|a, b| a.0 == b.0 && a.1.kind == b.1.kind && a.1.message == b.1.message);
    let files_with = |kind: ProblemKind| -> u64 {
        let mut files: Vec<u32> = tally
            .problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.file)
            .collect();
        files.sort_unstable();
        files.dedup();
        files.len() as u64
    };
    let vanished = files_with(ProblemKind::Vanished);
    let outside = files_with(ProblemKind::OutsideWindow);
    let skipped = files_with(ProblemKind::Skipped);
    let mut listed: Vec<Problem> = discovery
        .skipped
        .iter()
        .map(|p| Problem {
            path: p.display.clone(),
            kind: "skipped",
            message: p.reason.clone(),
        })
        .collect();
    listed.extend(problems.into_iter().map(|(_, p)| p));
    InputHealth {
        files: (names.len() as u64).saturating_sub(vanished + skipped + outside),
        files_skipped: skipped + discovery.skipped.len() as u64,
        files_partial: files_with(ProblemKind::Partial),
        files_vanished: vanished,
        files_outside_window: outside,
        files_ignored: discovery.ignored.len() as u64,
        bytes: tally.bytes,
        lines: c.lines,
        records: c.records,
        filtered_out: c.filtered_out,
        empty_lines: c.empty_lines,
        malformed: MalformedCounts {
            total: c.malformed_total(),
            by_reason: Malformed::ALL
                .iter()
                .map(|m| (m.as_str(), c.malformed[m.index()]))
                .collect(),
        },
        oversized: c.oversized,
        incomplete_tail: c.incomplete_tail,
        first_seen: (c.records > 0).then(|| rfc3339(c.first_ns)),
        last_seen: (c.records > 0).then(|| rfc3339(c.last_ns)),
        problems: listed,
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onset_rule() {
        assert_eq!(onset(&[0, 0, 0, 4, 5, 6]), Some(3));
        assert_eq!(onset(&[2, 2, 2, 2]), None, "steady");
        assert_eq!(onset(&[5, 5, 6, 5]), None, "busy from the start");
        assert_eq!(
            onset(&[1, 0, 1, 9, 1, 12, 14]),
            Some(5),
            "a lone spike is not an onset"
        );
        assert_eq!(
            onset(&[2, 2, 6, 8]),
            None,
            "6 < 3 * 2 + 1, and 8 < 3 * 10 / 3 + 1"
        );
        assert_eq!(onset(&[2, 2, 8, 8]), Some(2));
        assert_eq!(onset(&[0, 3]), Some(1));
        assert_eq!(
            onset(&[0, 0, 2, 2, 1, 5]),
            Some(2),
            "from nothing to two a bucket"
        );
        assert_eq!(onset(&[0, 1, 0, 1, 0, 1]), None, "sporadic single errors");
        assert_eq!(onset(&[]), None);
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[0, 0]), "  ");
        assert_eq!(sparkline(&[3]), "█");
    }
}
