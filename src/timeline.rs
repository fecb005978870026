//! `bsaudit timeline`: requests and errors per time bucket, per service or per (service, code),
//! as plain data for the renderers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{Class, CodeTable};
use crate::config::Series;
use crate::summary::Summary;
use crate::time::rfc3339;

/// The JSON schema name and version.
pub const SCHEMA: &str = "bsaudit.timeline/v1";

/// Most buckets a timeline holds; more means the bucket is too small for the span.
pub const MAX_BUCKETS: i64 = 200_000;

/// A timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineView {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Bucket size in seconds.
    pub bucket_seconds: f64,
    /// Start of the first bucket (RFC 3339), if any record was kept.
    pub start: Option<String>,
    /// Number of buckets.
    pub buckets: usize,
    /// Every series, busiest in errors first.
    pub series: Vec<SeriesView>,
    /// Series the chart shows (the first ones); 0 = all.
    #[serde(skip)]
    pub top: usize,
    /// Requests of all series per bucket, for the chart's traffic row.
    #[serde(skip)]
    pub total: Vec<u64>,
}

/// One series.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesView {
    /// Service.
    pub service: String,
    /// Code, when series are (service, code) groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// Class of the code, for groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Class>,
    /// Requests over the whole span.
    pub requests: u64,
    /// Errors over the whole span.
    pub errors: u64,
    /// One point per bucket, empty buckets included.
    pub points: Vec<Point>,
}

/// Counts of one bucket.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Point {
    /// Bucket start, RFC 3339.
    pub t: String,
    /// Kept records.
    pub requests: u64,
    /// Client and server errors.
    pub errors: u64,
}

/// A series: service, and code for (service, code) series.
type SeriesKey = (String, Option<u32>);

/// Builds the timeline from a summary; `bucket_ns` must be a multiple of its bucket size.
pub fn build(
    summary: &Summary,
    table: &CodeTable,
    bucket_ns: i64,
    series: Series,
    top: usize,
) -> TimelineView {
    let mut view = TimelineView {
        schema: SCHEMA,
        bucket_seconds: bucket_ns as f64 / 1e9,
        start: None,
        buckets: 0,
        series: Vec::new(),
        top,
        total: Vec::new(),
    };
    let (Some(first_ns), Some(last_ns)) = (summary.input.first_ns, summary.input.last_ns) else {
        return view;
    };
    let source_ns = summary.scope.bucket_ns;
    let first = first_ns.div_euclid(bucket_ns);
    let last = last_ns.div_euclid(bucket_ns);
    let len = (last - first + 1).min(MAX_BUCKETS) as usize;
    view.start = Some(rfc3339(first * bucket_ns));
    view.buckets = len;
    view.total = vec![0; len];

    // (service, code) -> (requests, errors) per bucket.
    let mut by_key: BTreeMap<SeriesKey, Vec<(u64, u64)>> = BTreeMap::new();
    for (key, stats) in &summary.pairs {
        let (Some(name), Some(code)) = (key[0].text(), key[1].num()) else {
            continue;
        };
        let (name, code) = (name.to_string(), code as u32);
        let key = match series {
            Series::Service => (name, None),
            Series::Group => (name, Some(code)),
        };
        let error = table.class_of(code).is_error();
        let points = by_key.entry(key).or_insert_with(|| vec![(0, 0); len]);
        for &(bucket, n) in &stats.buckets {
            let i = bucket.saturating_mul(source_ns).div_euclid(bucket_ns) - first;
            if !(0..len as i64).contains(&i) {
                continue;
            }
            points[i as usize].0 += n;
            if error {
                points[i as usize].1 += n;
            }
            view.total[i as usize] += n;
        }
    }
    view.series = by_key
        .into_iter()
        .map(|((service, code), counts)| SeriesView {
            service,
            code,
            class: code.map(|c| table.class_of(c)),
            requests: counts.iter().map(|c| c.0).sum(),
            errors: counts.iter().map(|c| c.1).sum(),
            points: counts
                .iter()
                .enumerate()
                .map(|(i, &(requests, errors))| Point {
                    t: rfc3339((first + i as i64) * bucket_ns),
                    requests,
                    errors,
                })
                .collect(),
        })
        .collect();
    view.series.sort_by(|a, b| {
        b.errors
            .cmp(&a.errors)
            .then(b.requests.cmp(&a.requests))
            .then_with(|| (&a.service, a.code).cmp(&(&b.service, b.code)))
    });
    view
}
