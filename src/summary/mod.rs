//! The Summary: everything a report, a timeline or a `--fail-on` check needs, as numbers that
//! merge exactly.
//!
//! A scan fills run-local [`Tally`](crate::tally::Tally)s (interned ids, chunk positions);
//! [`build::from_tally`] turns their merge into a `Summary` whose keys are values (service
//! names, codes, disk ids) and whose samples and problems name their source by node and path.
//! Summaries then merge with `+=` in any order and grouping, across threads, files and
//! machines, and survive a round trip through the `bsaudit.summary/v1` file ([`file`]).
//!
//! Merge laws (proved by the property tests below and in `tests/summary.rs`): `+=` is
//! associative and commutative, and `summary(a) + summary(b) == summary(a ++ b)` for any
//! split of the inputs, as long as no `--by` group was folded into `other` by the
//! `--max-groups` cap (which only a scan applies; merging never folds).

pub mod build;
pub mod file;

use std::collections::BTreeMap;
use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use crate::codes::ClassMap;
use crate::dims::Dim;
use crate::error::Malformed;
use crate::filter::{CodeSpec, Filter};
use crate::histogram::Histogram;

/// The schema name and version of a summary.
pub const SCHEMA: &str = "bsaudit.summary/v1";

/// How many samples a group keeps.
pub const SAMPLES: usize = crate::tally::SAMPLES_PER_GROUP;

/// One part of a group key: a number (code, disk, vuid, bucket index) or a text (service,
/// method, api, host, and `-` for "none").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Part {
    /// A number.
    Num(u64),
    /// A text.
    Text(String),
}

impl Part {
    /// The number, if this is one.
    pub fn num(&self) -> Option<u64> {
        match self {
            Part::Num(n) => Some(*n),
            Part::Text(_) => None,
        }
    }

    /// The text, if this is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Part::Text(t) => Some(t),
            Part::Num(_) => None,
        }
    }
}

/// A group key: one part per dimension of its table.
pub type Key = Vec<Part>;

/// Where a line came from, stable across runs and machines.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    /// The node label (`--node`, default the host name).
    pub node: String,
    /// The path as the user gave or the walk found it.
    pub path: String,
}

/// One sample request of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Start time (ns since the epoch).
    pub time_ns: i64,
    /// Node and file it is in.
    pub source: Source,
    /// 1-based line number in that file (decompressed).
    pub line: u64,
    /// Trace id, to follow the request across services.
    pub trace_id: Option<String>,
    /// Method.
    pub method: String,
    /// Request path.
    pub path: String,
}

impl Sample {
    /// The order samples are kept in: earliest start, then node, path and line. Total, so the
    /// samples a group keeps are the same whatever the merge order.
    fn order(&self) -> (i64, &Source, u64) {
        (self.time_ns, &self.source, self.line)
    }
}

/// What a group of records accumulates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupData {
    /// Durations in µs: count, exact sum, min and max, and the bucketed distribution.
    pub latency: Histogram,
    /// Earliest start time (ns).
    pub first_ns: i64,
    /// Latest start time (ns).
    pub last_ns: i64,
    /// Sum of response lengths.
    pub resp_bytes: u64,
    /// Records per time bucket as (bucket index, count), sorted, no zero counts; bucket i
    /// starts at `i * scope.bucket_ns`.
    pub buckets: Vec<(i64, u64)>,
    /// The earliest few requests.
    pub samples: Vec<Sample>,
}

impl Default for GroupData {
    fn default() -> Self {
        GroupData {
            latency: Histogram::default(),
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            resp_bytes: 0,
            buckets: Vec::new(),
            samples: Vec::new(),
        }
    }
}

impl GroupData {
    /// Records in the group.
    pub fn count(&self) -> u64 {
        self.latency.count()
    }
}

impl AddAssign<&GroupData> for GroupData {
    fn add_assign(&mut self, o: &GroupData) {
        self.latency += &o.latency;
        self.first_ns = self.first_ns.min(o.first_ns);
        self.last_ns = self.last_ns.max(o.last_ns);
        self.resp_bytes += o.resp_bytes;
        self.buckets = merge_buckets(&self.buckets, &o.buckets);
        self.samples.extend(o.samples.iter().cloned());
        self.samples.sort_by(|a, b| a.order().cmp(&b.order()));
        self.samples.dedup();
        self.samples.truncate(SAMPLES);
    }
}

/// Two sorted bucket lists added.
fn merge_buckets(a: &[(i64, u64)], b: &[(i64, u64)]) -> Vec<(i64, u64)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                out.push((x.0, x.1 + y.1));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// A file that was not read in full, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    /// Which file.
    pub source: Source,
    /// `skipped`, `partial`, `vanished`, ...
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// Where every input line went, and what was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Files read (fully or in part).
    pub files: u64,
    /// Files or paths that could not be read at all.
    pub files_skipped: u64,
    /// Files read only in part.
    pub files_partial: u64,
    /// Files deleted between listing and opening.
    pub files_vanished: u64,
    /// Files not read because their path named another file when opened.
    #[serde(default)]
    pub files_replaced: u64,
    /// Files read in full whose path no longer named them afterwards.
    #[serde(default)]
    pub files_moved: u64,
    /// Files not read because they end before the window.
    pub files_outside_window: u64,
    /// Walked files passed over.
    pub files_ignored: u64,
    /// Bytes of log text scanned.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records dropped by the filters.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Malformed lines by reason (every reason present, zeros included).
    pub malformed: BTreeMap<Malformed, u64>,
    /// Lines over the line limit.
    pub oversized: u64,
    /// Unterminated last lines that are not records.
    pub incomplete_tail: u64,
    /// Earliest kept record (ns).
    pub first_ns: Option<i64>,
    /// Latest kept record (ns).
    pub last_ns: Option<i64>,
    /// Latest record of any kind, kept or filtered out (ns).
    pub newest_any_ns: Option<i64>,
    /// Files read, sorted.
    pub sources: Vec<Source>,
    /// Per-file problems, sorted.
    pub problems: Vec<Problem>,
}

impl InputSummary {
    /// All malformed lines.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().sum()
    }

    /// Every line bucket added up; equals `lines` when every line is accounted for.
    pub fn accounted(&self) -> u64 {
        self.records
            + self.filtered_out
            + self.empty_lines
            + self.malformed_total()
            + self.oversized
            + self.incomplete_tail
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl AddAssign<&InputSummary> for InputSummary {
    fn add_assign(&mut self, o: &InputSummary) {
        self.files += o.files;
        self.files_skipped += o.files_skipped;
        self.files_partial += o.files_partial;
        self.files_vanished += o.files_vanished;
        self.files_replaced += o.files_replaced;
        self.files_moved += o.files_moved;
        self.files_outside_window += o.files_outside_window;
        self.files_ignored += o.files_ignored;
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.records += o.records;
        self.filtered_out += o.filtered_out;
        self.empty_lines += o.empty_lines;
        for (reason, n) in &o.malformed {
            *self.malformed.entry(*reason).or_default() += n;
        }
        self.oversized += o.oversized;
        self.incomplete_tail += o.incomplete_tail;
        self.first_ns = min_opt(self.first_ns, o.first_ns);
        self.last_ns = max_opt(self.last_ns, o.last_ns);
        self.newest_any_ns = max_opt(self.newest_any_ns, o.newest_any_ns);
        self.sources.extend(o.sources.iter().cloned());
        self.sources.sort();
        self.problems.extend(o.problems.iter().cloned());
        self.problems.sort();
    }
}

/// The record filter a summary was made with, as values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterScope {
    /// `--service` names, upper-case, sorted.
    pub services: Vec<String>,
    /// `--code` ranges as (lo, hi), sorted.
    pub codes: Vec<(u32, u32)>,
    /// `--since` (ns), resolved.
    pub since_ns: Option<i64>,
    /// `--until` (ns), resolved.
    pub until_ns: Option<i64>,
    /// `--api` templates, sorted.
    pub apis: Vec<String>,
    /// `--host` values, sorted.
    pub hosts: Vec<String>,
    /// `--trace` ids, sorted.
    pub traces: Vec<String>,
    /// `--min-duration` (µs).
    pub min_duration_us: Option<u64>,
}

impl FilterScope {
    /// The scope of a filter.
    pub fn of(f: &Filter) -> FilterScope {
        let texts = |v: &[Vec<u8>], upper: bool| {
            let mut out: Vec<String> = v
                .iter()
                .map(|b| {
                    let s = String::from_utf8_lossy(b).into_owned();
                    if upper { s.to_ascii_uppercase() } else { s }
                })
                .collect();
            out.sort();
            out.dedup();
            out
        };
        let mut codes: Vec<(u32, u32)> = f.codes.iter().map(|c| (c.lo, c.hi)).collect();
        codes.sort_unstable();
        codes.dedup();
        FilterScope {
            services: texts(&f.services, true),
            codes,
            since_ns: f.since_ns,
            until_ns: f.until_ns,
            apis: texts(&f.apis, false),
            hosts: texts(&f.hosts, false),
            traces: texts(&f.traces, false),
            min_duration_us: f.min_duration_us,
        }
    }

    /// The same filter without its services and codes.
    fn without_service_code(&self) -> FilterScope {
        FilterScope {
            services: Vec::new(),
            codes: Vec::new(),
            ..self.clone()
        }
    }
}

/// What a summary can answer: fixed when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The `--by` dimensions of [`Summary::groups`] (`[service, code]` by default).
    pub by: Vec<Dim>,
    /// Whether `groups` hold only client and server errors (the default without `--all`).
    /// The (service, code) table always holds every record.
    pub errors_only: bool,
    /// Size of the per-group time buckets (ns).
    pub bucket_ns: i64,
    /// Most `--by` groups a scan keeps exactly.
    pub max_groups: usize,
    /// The record filter it was made with.
    pub filter: FilterScope,
}

impl Scope {
    /// Whether `by` is the default service, code (then `groups` is empty and the pairs table
    /// answers for it).
    pub fn is_default_pair(&self) -> bool {
        self.by == [Dim::Service, Dim::Code]
    }
}

/// A merged summary of some input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What it can answer.
    pub scope: Scope,
    /// What was read.
    pub input: InputSummary,
    /// Every kept record by (service, code): key `[service, code]`.
    #[serde(with = "entries")]
    pub pairs: BTreeMap<Key, GroupData>,
    /// Records by the `--by` key (empty when `by` is service, code).
    #[serde(with = "entries")]
    pub groups: BTreeMap<Key, GroupData>,
    /// `--by` records of keys beyond `--max-groups`, folded together while summarising.
    pub other: GroupData,
    /// How many distinct keys were folded into `other`.
    pub other_keys: u64,
    /// Whether every kept `--by` group's count is exact. A scan counts every key exactly
    /// before it folds the smallest, so its summary is exact; a merge of summaries that folded
    /// different keys may miss records of a kept key that the other side folded, so the count
    /// shown is then low by at most the folded records (`shown <= true <= shown + folded`).
    pub exact: bool,
}

/// Maps with vector keys serialised as a list of `{"key": [...], ...data}`.
mod entries {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{GroupData, Key};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        key: Key,
        #[serde(flatten)]
        data: GroupData,
    }

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<Key, GroupData>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(key, data)| EntryRef { key, data }))
    }

    #[derive(Serialize)]
    struct EntryRef<'a> {
        key: &'a Key,
        #[serde(flatten)]
        data: &'a GroupData,
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Key, GroupData>, D::Error> {
        use serde::de::Error as _;
        let list = Vec::<Entry>::deserialize(d)?;
        let mut map = BTreeMap::new();
        for e in list {
            if map.insert(e.key, e.data).is_some() {
                return Err(D::Error::custom("a group key appears twice"));
            }
        }
        Ok(map)
    }
}

impl Summary {
    /// An empty summary of this scope.
    pub fn empty(scope: Scope) -> Summary {
        let mut input = InputSummary::default();
        for m in Malformed::ALL {
            input.malformed.insert(m, 0);
        }
        Summary {
            schema: SCHEMA.to_string(),
            scope,
            input,
            pairs: BTreeMap::new(),
            groups: BTreeMap::new(),
            other: GroupData::default(),
            other_keys: 0,
            exact: true,
        }
    }

    /// Why `other` cannot be merged into this one, if it cannot: both must answer the same
    /// questions (dimensions, bucket size, record filter), or the sum would mean nothing.
    pub fn compatible(&self, other: &Summary) -> Result<(), String> {
        let (a, b) = (&self.scope, &other.scope);
        if a.by != b.by {
            return Err(format!(
                "grouped by {} here and by {} there",
                dims_text(&a.by),
                dims_text(&b.by)
            ));
        }
        if a.errors_only != b.errors_only {
            return Err("one was made with --all and the other without".to_string());
        }
        if a.bucket_ns != b.bucket_ns {
            return Err(format!(
                "bucket sizes differ ({}s and {}s)",
                a.bucket_ns as f64 / 1e9,
                b.bucket_ns as f64 / 1e9
            ));
        }
        if a.filter.without_service_code() != b.filter.without_service_code() {
            return Err("made with different windows or record filters".to_string());
        }
        if a.filter != b.filter {
            return Err("made with different --service or --code filters".to_string());
        }
        Ok(())
    }

    /// Records in the groups folded into `other`.
    pub fn folded(&self) -> u64 {
        self.other.count()
    }

    /// Keeps only the records of these services and codes, counting the rest as filtered out,
    /// where that is exact: the (service, code) table always can; `--by` groups only when
    /// their key holds what is filtered on. `Err` says what to re-summarize with.
    pub fn restrict(&mut self, services: &[Vec<u8>], codes: &[CodeSpec]) -> Result<(), String> {
        if services.is_empty() && codes.is_empty() {
            return Ok(());
        }
        let keeps_service = |s: &str| {
            services.is_empty()
                || services
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(s.as_bytes()))
        };
        let keeps_code =
            |c: u64| codes.is_empty() || codes.iter().any(|spec| spec.matches(c as u32));
        if !self.scope.is_default_pair() {
            let has = |d: Dim| self.scope.by.contains(&d);
            if (!services.is_empty() && !has(Dim::Service))
                || (!codes.is_empty() && !has(Dim::Code))
            {
                return Err(format!(
                    "a summary grouped by {} cannot be narrowed by --service or --code: \
                     re-summarize with those filters",
                    dims_text(&self.scope.by)
                ));
            }
            if self.other.count() > 0 {
                return Err(
                    "this summary folded groups into \"other\" (--max-groups), so it cannot \
                     be narrowed by --service or --code exactly: re-summarize with those filters"
                        .to_string(),
                );
            }
            let at = |d: Dim| self.scope.by.iter().position(|&x| x == d);
            let (si, ci) = (at(Dim::Service), at(Dim::Code));
            self.groups.retain(|key, _| {
                si.is_none_or(|i| key[i].text().is_some_and(keeps_service))
                    && ci.is_none_or(|i| key[i].num().is_some_and(keeps_code))
            });
        }
        let mut dropped = 0;
        let (mut first, mut last) = (None, None);
        self.pairs.retain(|key, g| {
            let keep =
                key[0].text().is_some_and(keeps_service) && key[1].num().is_some_and(keeps_code);
            if keep {
                first = min_opt(first, Some(g.first_ns));
                last = max_opt(last, Some(g.last_ns));
            } else {
                dropped += g.count();
            }
            keep
        });
        self.input.records -= dropped;
        self.input.filtered_out += dropped;
        self.input.first_ns = first;
        self.input.last_ns = last;
        Ok(())
    }

    /// Per-service totals and every code's count: what `--fail-on` and the service table read.
    pub fn services(&self, classes: &ClassMap) -> BTreeMap<String, ServiceTotals> {
        let mut out: BTreeMap<String, ServiceTotals> = BTreeMap::new();
        for (key, g) in &self.pairs {
            let (Some(service), Some(code)) = (key[0].text(), key[1].num()) else {
                continue;
            };
            let t = out.entry(service.to_string()).or_default();
            t.requests += g.count();
            if classes.class_of(code as u32).is_error() {
                t.errors += g.count();
            }
            *t.codes.entry(code as u32).or_default() += g.count();
            t.latency += &g.latency;
        }
        out
    }
}

/// One service's totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceTotals {
    /// Records kept.
    pub requests: u64,
    /// Client and server errors.
    pub errors: u64,
    /// Records per code.
    pub codes: BTreeMap<u32, u64>,
    /// Latency of every record.
    pub latency: Histogram,
}

/// `service, code` for messages.
pub fn dims_text(by: &[Dim]) -> String {
    by.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(",")
}

impl AddAssign<&Summary> for Summary {
    /// Adds `other` in. The caller checks [`Summary::compatible`] first; merging never folds
    /// groups, so the result is exact and independent of the order.
    fn add_assign(&mut self, other: &Summary) {
        self.input += &other.input;
        // Keys folded on one side may be kept on the other: then a kept count can be low.
        let has_groups = |s: &Summary| !s.groups.is_empty() || s.other.count() > 0;
        self.exact = self.exact
            && other.exact
            && !(self.folded() > 0 && has_groups(other))
            && !(other.folded() > 0 && has_groups(self));
        for (key, g) in &other.pairs {
            *self.pairs.entry(key.clone()).or_default() += g;
        }
        for (key, g) in &other.groups {
            *self.groups.entry(key.clone()).or_default() += g;
        }
        self.other += &other.other;
        self.other_keys += other.other_keys;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn source(i: u8) -> Source {
        Source {
            node: format!("n{}", i % 2),
            path: format!("p{i}"),
        }
    }

    fn arb_group() -> impl Strategy<Value = GroupData> {
        (
            prop::collection::vec((0u64..5_000_000, 0i64..50, 0u8..4, 1u64..100), 1..6),
            0u64..1000,
        )
            .prop_map(|(recs, bytes)| {
                let mut g = GroupData::default();
                for &(dur, t, src, line) in &recs {
                    let mut one = GroupData {
                        first_ns: t,
                        last_ns: t,
                        buckets: vec![(t / 10, 1)],
                        samples: vec![Sample {
                            time_ns: t,
                            source: source(src),
                            line,
                            trace_id: Some(format!("t{t}")),
                            method: "GET".into(),
                            path: "/x".into(),
                        }],
                        ..GroupData::default()
                    };
                    one.latency.record(dur);
                    g += &one;
                }
                g.resp_bytes = bytes;
                g
            })
    }

    fn arb_summary() -> impl Strategy<Value = Summary> {
        let key = (
            prop::sample::select(vec!["ACCESS", "BLOBNODE", "PROXY"]),
            400u64..404,
        )
            .prop_map(|(s, c)| vec![Part::Text(s.to_string()), Part::Num(c)]);
        (
            prop::collection::btree_map(key, arb_group(), 0..5),
            0u64..10,
        )
            .prop_map(|(pairs, lines)| {
                let mut s = Summary::empty(Scope {
                    by: vec![Dim::Service, Dim::Code],
                    errors_only: true,
                    bucket_ns: 10,
                    max_groups: 10,
                    filter: FilterScope::default(),
                });
                s.input.records = pairs.values().map(GroupData::count).sum();
                s.input.lines = s.input.records + lines;
                s.input.empty_lines = lines;
                s.pairs = pairs;
                s
            })
    }

    proptest! {
        /// (a + b) + c == a + (b + c), a + b == b + a, and both survive the file format.
        #[test]
        fn merge_is_associative_and_commutative(a in arb_summary(), b in arb_summary(), c in arb_summary()) {
            let mut left = a.clone();
            left += &b;
            left += &c;
            let mut bc = b.clone();
            bc += &c;
            let mut right = a.clone();
            right += &bc;
            prop_assert_eq!(&left, &right);
            let mut swapped = b.clone();
            swapped += &a;
            swapped += &c;
            prop_assert_eq!(&left, &swapped);
            let bytes = file::to_bytes(&left).expect("encode");
            let back = file::from_bytes(&bytes).expect("decode");
            prop_assert_eq!(&back, &left);
            prop_assert_eq!(back.input.accounted(), back.input.lines);
        }
    }

    #[test]
    fn samples_are_the_earliest_by_time_then_source() {
        let sample = |t: i64, src: u8, line: u64| Sample {
            time_ns: t,
            source: source(src),
            line,
            trace_id: None,
            method: String::new(),
            path: String::new(),
        };
        let mut a = GroupData {
            samples: vec![sample(5, 1, 1), sample(7, 1, 2)],
            ..GroupData::default()
        };
        let b = GroupData {
            samples: vec![sample(5, 0, 9), sample(6, 3, 1), sample(9, 0, 1)],
            ..GroupData::default()
        };
        a += &b;
        let got: Vec<(i64, String)> = a
            .samples
            .iter()
            .map(|s| (s.time_ns, s.source.path.clone()))
            .collect();
        assert_eq!(got, [(5, "p0".into()), (5, "p1".into()), (6, "p3".into())]);
    }

    #[test]
    fn buckets_merge_sorted() {
        assert_eq!(
            merge_buckets(&[(1, 2), (4, 1)], &[(0, 1), (4, 3), (9, 1)]),
            [(0, 1), (1, 2), (4, 4), (9, 1)]
        );
    }
}
