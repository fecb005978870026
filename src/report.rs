//! The report: ranked, annotated groups and input health, as plain data.
//!
//! Built from a merged [`Tally`]; ranks groups, computes shares and quantiles and attaches the
//! meaning of every code. It prints nothing: each output format in `render` serialises or lays
//! out this one model, and JSON output is exactly its `serde` form (`bsaudit.report/v1`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{Class, CodeInfo, CodeTable, Origin};
use crate::error::Malformed;
use crate::histogram::Histogram;
use crate::input::discover::Discovery;
use crate::tally::{GroupStats, ProblemKind, Tally};
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

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// What was read and how every line was counted.
    pub input: InputHealth,
    /// One row per service, most errors first.
    pub services: Vec<ServiceSummary>,
    /// How many groups qualified for ranking (errors only unless `--all`).
    pub groups_total: usize,
    /// The ranked groups, at most `--top`.
    pub groups: Vec<GroupReport>,
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

/// One ranked (service, code) group.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    /// Service name.
    pub service: String,
    /// Status code.
    pub code: u32,
    /// Records in the group.
    pub count: u64,
    /// count / the service's records.
    pub share: f64,
    /// ok, benign, client or server.
    pub class: Class,
    /// From the code table; `null` when the code is unknown.
    pub meaning: Option<Meaning>,
    /// Latency of the group.
    pub latency_us: Latency,
    /// First start time.
    pub first_seen: String,
    /// Last start time.
    pub last_seen: String,
    /// Sum of response lengths.
    pub resp_bytes: u64,
    /// The earliest requests of the group.
    pub samples: Vec<SampleReport>,
}

/// Builds the report. `file_names[i]` is how file `i` of the scan is shown.
pub fn build(
    tally: &Tally,
    discovery: &Discovery,
    table: &CodeTable,
    opts: &ReportOptions,
) -> Report {
    let names: Vec<&str> = discovery.files.iter().map(|f| f.display.as_str()).collect();
    let line_index = tally.line_index();

    // Per service: requests, errors and merged latency.
    let mut per_service: BTreeMap<String, (u64, u64, Histogram)> = BTreeMap::new();
    for (&(service, code), stats) in &tally.groups {
        let name = String::from_utf8_lossy(tally.services.name(service)).into_owned();
        let entry = per_service.entry(name).or_default();
        entry.0 += stats.count();
        if table.class_of(code).is_error() {
            entry.1 += stats.count();
        }
        entry.2 += &stats.latency;
    }
    let mut services: Vec<ServiceSummary> = per_service
        .iter()
        .map(|(name, (requests, errors, hist))| ServiceSummary {
            service: name.clone(),
            requests: *requests,
            errors: *errors,
            error_rate: ratio(*errors, *requests),
            latency_us: Latency::of(hist),
        })
        .collect();
    services.sort_by(|a, b| {
        b.errors
            .cmp(&a.errors)
            .then(b.requests.cmp(&a.requests))
            .then(a.service.cmp(&b.service))
    });

    let mut ranked: Vec<(String, u32, &GroupStats)> = tally
        .groups
        .iter()
        .filter(|&(&(_, code), _)| opts.all || table.class_of(code).is_error())
        .map(|(&(service, code), stats)| {
            let name = String::from_utf8_lossy(tally.services.name(service)).into_owned();
            (name, code, stats)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.2.count()
            .cmp(&a.2.count())
            .then_with(|| a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    let groups_total = ranked.len();
    if opts.top > 0 {
        ranked.truncate(opts.top);
    }
    let groups = ranked
        .into_iter()
        .map(|(service, code, stats)| {
            let service_total = per_service.get(&service).map_or(0, |s| s.0);
            GroupReport {
                share: ratio(stats.count(), service_total),
                service,
                code,
                count: stats.count(),
                class: table.class_of(code),
                meaning: table.get(code).map(Meaning::from),
                latency_us: Latency::of(&stats.latency),
                first_seen: rfc3339(stats.first_ns),
                last_seen: rfc3339(stats.last_ns),
                resp_bytes: stats.resp_bytes,
                samples: stats
                    .samples
                    .as_slice()
                    .iter()
                    .map(|s| SampleReport {
                        trace_id: s.trace_id.clone(),
                        time: rfc3339(s.time_ns),
                        method: s.method.clone(),
                        path: s.path.clone(),
                        file: names.get(s.pos.file as usize).unwrap_or(&"?").to_string(),
                        line: line_index.line_number(s.pos),
                    })
                    .collect(),
            }
        })
        .collect();

    Report {
        schema: SCHEMA,
        input: input_health(tally, discovery, &names),
        services,
        groups_total,
        groups,
    }
}

fn input_health(tally: &Tally, discovery: &Discovery, names: &[&str]) -> InputHealth {
    let c = &tally.input;
    let mut problems: Vec<(u32, Problem)> = tally
        .problems
        .iter()
        .map(|p| {
            let kind = match p.kind {
                ProblemKind::Vanished => "vanished",
                ProblemKind::Skipped => "skipped",
                ProblemKind::Partial => "partial",
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
        files: (names.len() as u64).saturating_sub(vanished + skipped),
        files_skipped: skipped + discovery.skipped.len() as u64,
        files_partial: files_with(ProblemKind::Partial),
        files_vanished: vanished,
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
