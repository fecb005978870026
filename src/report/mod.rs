//! The report: ranked, annotated groups and input health, as plain data.
//!
//! Built from a merged [`Summary`](crate::summary::Summary) by [`build::build`]; ranks groups,
//! computes shares, quantiles, per-row series and onsets, and attaches the meaning of every
//! code. It holds numbers (times in ns, counts per bucket), never glyphs or preformatted
//! text: each output format in `render` lays this one model out, and the JSON renderer
//! writes its `serde` form (`bsaudit.report/v1`) with the sparkline added from the series.

pub mod build;
pub mod health;
pub mod trend;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{Class, CodeInfo, Origin};
use crate::dims::Dim;
use crate::histogram::Histogram;

pub use build::{ReportOptions, build};
pub use health::{InputHealth, MalformedCounts, Problem};

/// The JSON schema name and version.
pub const SCHEMA: &str = "bsaudit.report/v1";

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
    pub by: Vec<Dim>,
    /// How many groups qualified for ranking (errors only unless `--all`).
    pub groups_total: usize,
    /// Records counted into `other`: beyond `--max-groups`, while summarising or here.
    pub groups_folded: u64,
    /// False when summaries that folded different keys were merged: a shown count may then be
    /// low by up to `groups_folded` (`shown <= true <= shown + groups_folded`). A single scan
    /// is always exact: it counts every key before it folds the smallest.
    pub groups_exact: bool,
    /// The ranked groups, at most `--top`.
    pub groups: Vec<GroupReport>,
    /// The `--fail-on` rules and what they found (absent without rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fail_on: Vec<crate::fail_on::Outcome>,
    /// The time buckets the groups' series are counted in, when there are records.
    #[serde(skip)]
    pub span: Option<Span>,
    /// Whether the input came from more than one node (samples then name theirs).
    #[serde(skip)]
    pub multi_node: bool,
}

/// The report's time span in buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Bucket size (ns).
    pub bucket_ns: i64,
    /// Index of the first bucket (bucket i starts at `i * bucket_ns`).
    pub first: i64,
    /// Number of buckets.
    pub len: usize,
}

impl Span {
    /// Start of the bucket at `offset` from the first (ns).
    pub fn start_ns(&self, offset: usize) -> i64 {
        (self.first + offset as i64).saturating_mul(self.bucket_ns)
    }
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
    /// The figures of a histogram.
    pub fn of(h: &Histogram) -> Latency {
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
    /// Start time (ns).
    #[serde(serialize_with = "times::ns")]
    pub time: i64,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Node it was read on, when the report covers more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
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
    /// The group's own latency distribution (for charts); not in JSON.
    #[serde(skip)]
    pub histogram: Histogram,
    /// First start time (ns).
    #[serde(serialize_with = "times::ns")]
    pub first_seen: i64,
    /// Last start time (ns).
    #[serde(serialize_with = "times::ns")]
    pub last_seen: i64,
    /// Sum of response lengths.
    pub resp_bytes: u64,
    /// This group's records per bucket of the report's [`Span`] (empty without a span).
    #[serde(skip)]
    pub series: Vec<u64>,
    /// Start of the bucket where this group's own rate rose well above its earlier level
    /// (see the README for the rule); `None` when it did not, or was there from the start.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "times::opt_ns"
    )]
    pub onset: Option<i64>,
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

/// Serialisers that write nanosecond times as RFC 3339 text.
pub mod times {
    use serde::Serializer;

    /// A time in ns as RFC 3339.
    pub fn ns<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::rfc3339(*t))
    }

    /// An optional time in ns as RFC 3339 or `null`.
    pub fn opt_ns<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => ns(t, s),
            None => s.serialize_none(),
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}
