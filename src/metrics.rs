//! The metrics view: a [`Summary`] grouped by (service, cubefs_api, method, code) turned into
//! the numbers `--format prometheus` writes (`render::prometheus` lays them out).
//!
//! Every value is a snapshot of the scanned window, not a monotonic counter (see the README).
//! The cardinality cap keeps the `max_series` largest (service, api, method, code) label sets;
//! the records of the rest are counted per (service, code) under `api="other",
//! method="other"` from the (service, code) table, which is never folded, so the request
//! counts still add up to the records exactly.

use std::collections::BTreeMap;

use crate::codes::CodeTable;
use crate::dims::Dim;
use crate::histogram::Histogram;
use crate::summary::{GroupData, Part, Summary};

/// The grouping `--format prometheus` scans with.
pub const DIMS: [Dim; 4] = [Dim::Service, Dim::CubefsApi, Dim::Method, Dim::Code];

/// The label value of folded label sets.
pub const OTHER: &str = "other";

/// CubeFS's duration buckets (`auditlog.Buckets`), in ms.
pub const BUCKETS_MS: [u64; 11] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/// The default `--max-series`.
pub const DEFAULT_MAX_SERIES: usize = 1000;

/// Labels of one request series.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestLabels {
    /// Service.
    pub service: String,
    /// CubeFS api, or [`OTHER`].
    pub api: String,
    /// Method, or [`OTHER`].
    pub method: String,
    /// Status code.
    pub code: u32,
}

/// Requests and response bytes of one label set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestValue {
    /// Class of the code (ok, client, server, benign).
    pub class: String,
    /// Requests.
    pub requests: u64,
    /// Sum of response lengths.
    pub resp_bytes: u64,
}

/// A duration histogram in CubeFS's buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buckets {
    /// Cumulative count at each bound of [`BUCKETS_MS`].
    pub le: [u64; 11],
    /// All requests (the `+Inf` bucket and `_count`).
    pub count: u64,
    /// Exact sum of durations (µs).
    pub sum_us: u128,
}

impl Buckets {
    /// The buckets of a histogram. The summary's bins are 1/128 of their value wide; a bin
    /// is counted under a bound when its lowest value is at or below it, so a request at
    /// most 1/128 (0.78%) above a bound may be counted under it and none below is missed.
    pub fn of(h: &Histogram) -> Buckets {
        let mut b = Buckets {
            count: h.count(),
            sum_us: h.sum(),
            ..Buckets::default()
        };
        for (index, n) in h.buckets() {
            let lo = Histogram::bucket_lower_bound(index);
            for (le, ms) in b.le.iter_mut().zip(BUCKETS_MS) {
                if lo <= ms * 1000 {
                    *le += n;
                }
            }
        }
        b
    }

    fn add(&mut self, o: &Buckets) {
        for (a, b) in self.le.iter_mut().zip(o.le) {
            *a += b;
        }
        self.count += o.count;
        self.sum_us += o.sum_us;
    }

    fn sub(&mut self, o: &Buckets) {
        for (a, b) in self.le.iter_mut().zip(o.le) {
            *a = a.saturating_sub(b);
        }
        self.count = self.count.saturating_sub(o.count);
        self.sum_us = self.sum_us.saturating_sub(o.sum_us);
    }
}

/// Everything `--format prometheus` writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Requests by label set, sorted.
    pub requests: BTreeMap<RequestLabels, RequestValue>,
    /// Durations by (service, api), sorted.
    pub durations: BTreeMap<(String, String), Buckets>,
    /// Malformed lines by reason (every reason).
    pub malformed: Vec<(String, u64)>,
    /// Lines by outcome.
    pub lines: Vec<(&'static str, u64)>,
    /// Files by state.
    pub files: Vec<(&'static str, u64)>,
    /// Bytes of log text scanned.
    pub bytes: u64,
    /// Oldest kept record (ns).
    pub first_ns: Option<i64>,
    /// Newest record read, kept by the filters or not (ns): how fresh the logs are.
    pub newest_ns: Option<i64>,
    /// Window start: `--since`, else the oldest record (ns).
    pub window_start_ns: Option<i64>,
    /// Window end: `--until`, else the newest record (ns).
    pub window_end_ns: Option<i64>,
    /// The cap.
    pub max_series: usize,
    /// Label sets folded into `other` (by the cap here and by `--max-groups` in the scan).
    pub folded_sets: u64,
    /// Requests in them.
    pub folded_requests: u64,
}

/// Builds the metrics from a summary grouped by [`DIMS`] with every code; an error names
/// what the summary lacks.
pub fn build(summary: &Summary, table: &CodeTable, max_series: usize) -> Result<Metrics, String> {
    if summary.scope.by != DIMS || summary.scope.errors_only {
        return Err(format!(
            "--format prometheus needs groups by {} with every code: re-summarize with --all \
             --by {}",
            crate::summary::dims_text(&DIMS),
            crate::summary::dims_text(&DIMS)
        ));
    }
    let text = |p: &Part| match p {
        Part::Text(t) => t.clone(),
        Part::Num(n) => n.to_string(),
    };
    let mut ranked: Vec<(RequestLabels, &GroupData)> = summary
        .groups
        .iter()
        .filter_map(|(key, g)| {
            let [s, a, m, c] = key.as_slice() else {
                return None;
            };
            let labels = RequestLabels {
                service: text(s),
                api: text(a),
                method: text(m),
                code: u32::try_from(c.num()?).ok()?,
            };
            Some((labels, g))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.count().cmp(&a.1.count()).then_with(|| a.0.cmp(&b.0)));
    let folded_here = ranked.len().saturating_sub(max_series) as u64;
    ranked.truncate(max_series);

    let class = |code: u32| table.class_of(code).to_string();
    let mut requests = BTreeMap::new();
    let mut durations: BTreeMap<(String, String), Buckets> = BTreeMap::new();
    let mut kept_pairs: BTreeMap<(String, u32), (u64, u64)> = BTreeMap::new();
    let mut kept_services: BTreeMap<String, Buckets> = BTreeMap::new();
    for (labels, g) in ranked {
        let b = Buckets::of(&g.latency);
        durations
            .entry((labels.service.clone(), labels.api.clone()))
            .or_default()
            .add(&b);
        kept_services
            .entry(labels.service.clone())
            .or_default()
            .add(&b);
        let kept = kept_pairs
            .entry((labels.service.clone(), labels.code))
            .or_default();
        kept.0 += g.count();
        kept.1 += g.resp_bytes;
        requests.insert(
            labels.clone(),
            RequestValue {
                class: class(labels.code),
                requests: g.count(),
                resp_bytes: g.resp_bytes,
            },
        );
    }

    // What the kept label sets miss, per (service, code) and per service, from the pairs.
    let mut folded_requests = 0;
    let mut service_totals: BTreeMap<String, Buckets> = BTreeMap::new();
    for (key, g) in &summary.pairs {
        let [s, c] = key.as_slice() else { continue };
        let Some(code) = c.num().and_then(|c| u32::try_from(c).ok()) else {
            continue;
        };
        let service = text(s);
        service_totals
            .entry(service.clone())
            .or_default()
            .add(&Buckets::of(&g.latency));
        let (kept, kept_bytes) = kept_pairs
            .get(&(service.clone(), code))
            .copied()
            .unwrap_or((0, 0));
        let rest = g.count().saturating_sub(kept);
        if rest > 0 {
            folded_requests += rest;
            requests.insert(
                RequestLabels {
                    service,
                    api: OTHER.to_string(),
                    method: OTHER.to_string(),
                    code,
                },
                RequestValue {
                    class: class(code),
                    requests: rest,
                    resp_bytes: g.resp_bytes.saturating_sub(kept_bytes),
                },
            );
        }
    }
    for (service, mut total) in service_totals {
        if let Some(kept) = kept_services.get(&service) {
            total.sub(kept);
        }
        if total.count > 0 {
            durations.insert((service, OTHER.to_string()), total);
        }
    }

    let i = &summary.input;
    let filter = &summary.scope.filter;
    Ok(Metrics {
        requests,
        durations,
        malformed: i
            .malformed
            .iter()
            .map(|(r, n)| (r.as_str().to_string(), *n))
            .collect(),
        lines: vec![
            ("record", i.records),
            ("filtered_out", i.filtered_out),
            ("empty", i.empty_lines),
            ("malformed", i.malformed_total()),
            ("oversized", i.oversized),
            ("incomplete_tail", i.incomplete_tail),
        ],
        files: vec![
            ("read", i.files),
            ("skipped", i.files_skipped),
            ("partial", i.files_partial),
            ("vanished", i.files_vanished),
            ("replaced", i.files_replaced),
            ("moved", i.files_moved),
            ("outside_window", i.files_outside_window),
            ("ignored", i.files_ignored),
        ],
        bytes: i.bytes,
        first_ns: i.first_ns,
        newest_ns: i.newest_any_ns,
        window_start_ns: filter.since_ns.or(i.first_ns),
        window_end_ns: filter.until_ns.or(i.last_ns),
        max_series,
        folded_sets: folded_here + summary.other_keys,
        folded_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_lower_bound_rule() {
        let mut h = Histogram::default();
        // 999 and 1000 are at or below 1 ms; 1001 shares 1000's bin; 1004 is the next bin.
        for v in [10, 999, 1000, 1001, 1004, 4_000_000, 9_000_000] {
            h.record(v);
        }
        let b = Buckets::of(&h);
        assert_eq!(b.le[0], 4, "{:?}", b.le);
        assert_eq!(b.le[1], 5);
        assert_eq!(b.le[9], 5, "2.5 s");
        assert_eq!(b.le[10], 6, "5 s");
        assert_eq!(b.count, 7);
        assert_eq!(
            b.sum_us,
            10 + 999 + 1000 + 1001 + 1004 + 4_000_000 + 9_000_000
        );
    }

    #[test]
    fn every_bound_is_within_one_128th() {
        // The bin holding each bound starts at it or below and is at most 1/128 as wide.
        for ms in BUCKETS_MS {
            let us = ms * 1000;
            let mut h = Histogram::default();
            h.record(us);
            let (index, _) = h.buckets().next().expect("one bin");
            let lo = Histogram::bucket_lower_bound(index);
            let next = Histogram::bucket_lower_bound(index + 1);
            assert!(lo <= us && us < next, "{ms}");
            assert!(
                (next - lo) * 128 <= us.max(256),
                "{ms}: width {}",
                next - lo
            );
        }
    }
}
