//! Aggregation: per-chunk tallies that merge associatively.
//!
//! Every rayon task fills its own [`Tally`] (no locks on the hot path); tallies then merge with
//! `+=` in any grouping, so the same merge serves threads, files and, one day, machines.
//! Services are interned per tally, so the hot path hashes a small integer key; merging remaps
//! the other tally's ids by name.

use std::ops::AddAssign;

use rustc_hash::FxHashMap;

use crate::codes::ClassMap;
use crate::dims::{Dim, DimKey, Dims, NONE};
use crate::error::Malformed;
use crate::filter::Filter;
use crate::histogram::Histogram;
use crate::scan::{LinePos, LineSink, Outcome, Record};

/// How many sample requests a group keeps.
pub const SAMPLES_PER_GROUP: usize = 3;

/// Where every input line went, plus bytes and the time span of kept records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputCounts {
    /// Lines read (LF-terminated, plus unterminated tails).
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records dropped by `--service`, `--code` or the time window.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Malformed lines by reason, indexed by [`Malformed::index`].
    pub malformed: [u64; Malformed::ALL.len()],
    /// Lines over the line limit, skipped unparsed.
    pub oversized: u64,
    /// Unterminated last lines that are not records.
    pub incomplete_tail: u64,
    /// Earliest start time of a kept record (ns), `i64::MAX` when none.
    pub first_ns: i64,
    /// Latest start time of a kept record (ns), `i64::MIN` when none.
    pub last_ns: i64,
    /// Latest start time of any record, kept or filtered out (ns): where relative windows
    /// are measured from.
    pub newest_any_ns: i64,
}

impl Default for InputCounts {
    fn default() -> Self {
        InputCounts {
            lines: 0,
            records: 0,
            filtered_out: 0,
            empty_lines: 0,
            malformed: [0; Malformed::ALL.len()],
            oversized: 0,
            incomplete_tail: 0,
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            newest_any_ns: i64::MIN,
        }
    }
}

impl InputCounts {
    /// All malformed lines.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.iter().sum()
    }

    /// The sum of every bucket; equals `lines` when every line is accounted for.
    pub fn accounted(&self) -> u64 {
        self.records
            + self.filtered_out
            + self.empty_lines
            + self.malformed_total()
            + self.oversized
            + self.incomplete_tail
    }
}

impl AddAssign<&InputCounts> for InputCounts {
    fn add_assign(&mut self, o: &InputCounts) {
        self.lines += o.lines;
        self.records += o.records;
        self.filtered_out += o.filtered_out;
        self.empty_lines += o.empty_lines;
        for (a, b) in self.malformed.iter_mut().zip(o.malformed) {
            *a += b;
        }
        self.oversized += o.oversized;
        self.incomplete_tail += o.incomplete_tail;
        self.first_ns = self.first_ns.min(o.first_ns);
        self.last_ns = self.last_ns.max(o.last_ns);
        self.newest_any_ns = self.newest_any_ns.max(o.newest_any_ns);
    }
}

/// One sample request of a group, for following its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Where the line is (resolved to a line number by the report).
    pub pos: LinePos,
    /// Start time (ns).
    pub time_ns: i64,
    /// Trace id from the response header.
    pub trace_id: Option<String>,
    /// Request method.
    pub method: String,
    /// Request path.
    pub path: String,
}

impl Sample {
    fn of(rec: &Record<'_>, pos: LinePos) -> Sample {
        Sample {
            pos,
            time_ns: rec.start_ns,
            trace_id: rec
                .trace_id()
                .map(|t| String::from_utf8_lossy(&t).into_owned()),
            method: String::from_utf8_lossy(&rec.method).into_owned(),
            path: String::from_utf8_lossy(&rec.path).into_owned(),
        }
    }
}

/// The earliest few samples of a group, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Samples(Vec<Sample>);

impl Samples {
    /// Whether a line at `pos` would be kept: cheap, checked before building a sample.
    #[inline]
    pub fn wants(&self, pos: LinePos) -> bool {
        self.0.len() < SAMPLES_PER_GROUP || self.0.last().is_some_and(|s| pos < s.pos)
    }

    fn insert(&mut self, sample: Sample) {
        let at = self.0.partition_point(|s| s.pos < sample.pos);
        self.0.insert(at, sample);
        self.0.truncate(SAMPLES_PER_GROUP);
    }

    /// The samples, earliest first.
    pub fn as_slice(&self) -> &[Sample] {
        &self.0
    }
}

impl AddAssign<&Samples> for Samples {
    fn add_assign(&mut self, other: &Samples) {
        for s in &other.0 {
            if self.wants(s.pos) {
                self.insert(s.clone());
            }
        }
    }
}

/// Record counts per time bucket, in arrival order with runs merged. Records come nearly in
/// time order, so counting is one comparison and an increment; a bucket may appear more than
/// once (out-of-order records, merged tallies), which readers sum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buckets(Vec<(i64, u64)>);

impl Buckets {
    #[inline]
    fn add(&mut self, bucket: i64) {
        match self.0.last_mut() {
            Some((b, n)) if *b == bucket => *n += 1,
            _ => self.0.push((bucket, 1)),
        }
    }

    /// (bucket, count) entries; a bucket may repeat.
    pub fn entries(&self) -> &[(i64, u64)] {
        &self.0
    }

    fn merge(&mut self, other: &Buckets) {
        self.0.extend_from_slice(&other.0);
        // Keep merged lists short: one entry per bucket.
        if self.0.len() > 64 && !self.0.is_sorted_by_key(|e| e.0) {
            self.0.sort_unstable_by_key(|e| e.0);
        }
        self.0.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 += later.1;
            }
            same
        });
    }
}

/// Everything a group of records accumulates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupStats {
    /// Durations (count, exact min/max/sum, quantiles).
    pub latency: Histogram,
    /// Earliest start time (ns).
    pub first_ns: i64,
    /// Latest start time (ns).
    pub last_ns: i64,
    /// Sum of response lengths.
    pub resp_bytes: u64,
    /// The earliest requests, for drill-down.
    pub samples: Samples,
    /// Counts per time bucket, when the tally keeps a timeline.
    pub buckets: Buckets,
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            latency: Histogram::default(),
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            resp_bytes: 0,
            samples: Samples::default(),
            buckets: Buckets::default(),
        }
    }
}

impl GroupStats {
    /// Number of records.
    pub fn count(&self) -> u64 {
        self.latency.count()
    }

    #[inline]
    pub(crate) fn add(&mut self, rec: &Record<'_>, pos: LinePos) {
        self.latency.record(rec.duration_us);
        self.first_ns = self.first_ns.min(rec.start_ns);
        self.last_ns = self.last_ns.max(rec.start_ns);
        self.resp_bytes += rec.resp_len;
        if self.samples.wants(pos) {
            self.samples.insert(Sample::of(rec, pos));
        }
    }
}

impl AddAssign<&GroupStats> for GroupStats {
    fn add_assign(&mut self, o: &GroupStats) {
        self.latency += &o.latency;
        self.first_ns = self.first_ns.min(o.first_ns);
        self.last_ns = self.last_ns.max(o.last_ns);
        self.resp_bytes += o.resp_bytes;
        self.samples += &o.samples;
        self.buckets.merge(&o.buckets);
    }
}

/// Byte strings to small dense ids, with a one-entry cache for runs of the same name.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    names: Vec<Box<[u8]>>,
    ids: FxHashMap<Box<[u8]>, u32>,
    last: Option<u32>,
}

impl Interner {
    /// The id of `name`, adding it if new.
    #[inline]
    pub fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(last) = self.last
            && *self.names[last as usize] == *name
        {
            return last;
        }
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.into());
                self.ids.insert(name.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// The name of an id.
    pub fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }

    /// Adds every name of `other`; returns, for each id of `other`, its id here.
    fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        other.names.iter().map(|n| self.intern(n)).collect()
    }
}

/// Values by key, in insertion order, with a one-entry cache: log lines come in long runs of
/// one service and code (and bucket), which then skip the hash lookup.
#[derive(Clone, Debug)]
pub struct GroupTable<K, V = GroupStats> {
    index: FxHashMap<K, u32>,
    entries: Vec<(K, V)>,
    last: Option<(K, u32)>,
}

impl<K, V> Default for GroupTable<K, V> {
    fn default() -> Self {
        GroupTable {
            index: FxHashMap::default(),
            entries: Vec::new(),
            last: None,
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash, V: Default> GroupTable<K, V> {
    /// The value of `key`, created empty if new.
    #[inline]
    pub fn get_or_insert(&mut self, key: K) -> &mut V {
        let at = match self.last {
            Some((k, at)) if k == key => at,
            _ => {
                let next = self.entries.len() as u32;
                let at = *self.index.entry(key).or_insert(next);
                if at == next {
                    self.entries.push((key, V::default()));
                }
                self.last = Some((key, at));
                at
            }
        };
        &mut self.entries[at as usize].1
    }

    /// The value of `key`; a new key is added only while there are fewer than `cap` keys.
    #[inline]
    pub fn get_or_insert_capped(&mut self, key: K, cap: usize) -> Option<&mut V> {
        let known = matches!(self.last, Some((k, _)) if k == key) || self.index.contains_key(&key);
        if !known && self.entries.len() >= cap {
            return None;
        }
        Some(self.get_or_insert(key))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&at| &self.entries[at as usize].1)
    }

    /// Every (key, value), in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Every value, in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a, K, V> IntoIterator for &'a GroupTable<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// Groups by the user's `--by` dimensions, with the interners their string values need.
#[derive(Clone, Debug, Default)]
pub struct DimTally {
    /// The dimensions, as given (empty in an identity tally that has seen no record).
    pub dims: Vec<Dim>,
    /// Method names.
    pub methods: Interner,
    /// API templates.
    pub apis: Interner,
    /// Hosts.
    pub hosts: Interner,
    /// Stats per key.
    pub groups: GroupTable<DimKey>,
    /// Records of keys that did not fit under `--max-groups`.
    pub other: GroupStats,
    /// Scratch space for API templates (not data).
    scratch: Vec<u8>,
}

impl DimTally {
    /// The string of an interned part (service, method, api, host), or the number (code,
    /// disk, vuid), or the bucket start (bucket) of a key part, for output.
    pub fn part_name(&self, dim: Dim, part: u64, services: &Interner, bucket_ns: i64) -> String {
        let name = |i: &Interner| String::from_utf8_lossy(i.name(part as u32)).into_owned();
        match dim {
            Dim::Service => name(services),
            Dim::Method => name(&self.methods),
            Dim::Api => name(&self.apis),
            Dim::Host => name(&self.hosts),
            Dim::Code => part.to_string(),
            Dim::Disk | Dim::Vuid if part == NONE => "-".to_string(),
            Dim::Disk | Dim::Vuid => part.to_string(),
            Dim::Bucket => crate::time::rfc3339((part as i64).saturating_mul(bucket_ns)),
        }
    }

    fn merge(&mut self, mut other: DimTally, services: &[u32], cap: usize) {
        if self.dims.is_empty() {
            self.dims = std::mem::take(&mut other.dims);
        }
        let methods = self.methods.absorb(&other.methods);
        let apis = self.apis.absorb(&other.apis);
        let hosts = self.hosts.absorb(&other.hosts);
        for (key, stats) in &other.groups {
            let mut key = *key;
            for (part, dim) in key.0.iter_mut().zip(&self.dims) {
                let remap = match dim {
                    Dim::Service => services,
                    Dim::Method => &methods,
                    Dim::Api => &apis,
                    Dim::Host => &hosts,
                    _ => continue,
                };
                *part = u64::from(remap[*part as usize]);
            }
            match self.groups.get_or_insert_capped(key, cap) {
                Some(mine) => *mine += stats,
                None => self.other += stats,
            }
        }
        self.other += &other.other;
    }
}

/// A problem with one input file, reported by whoever met it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    /// Index of the file in the input list.
    pub file: u32,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// Human-readable detail.
    pub message: String,
}

/// Kinds of file problems, which decide how a file counts in the input health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// Deleted between listing and opening: counted, not an error.
    Vanished,
    /// Could not be opened or read at all.
    Skipped,
    /// Read in part: lines before the fault count.
    Partial,
    /// Not read: last written before the window's start, so it holds no record of it.
    OutsideWindow,
}

/// The merged result of scanning some lines.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Where every line went.
    pub input: InputCounts,
    /// Bytes read from the inputs (decompressed bytes for compressed files).
    pub bytes: u64,
    /// Service names.
    pub services: Interner,
    /// (service id, code) -> stats: always kept, the services summary comes from it.
    pub groups: GroupTable<(u32, u32)>,
    /// Groups by `--by`, when that is not service, code.
    pub dim: DimTally,

    /// Lines per (file, chunk), to turn sample positions into line numbers.
    pub chunk_lines: Vec<(u32, u32, u64)>,
    /// Per-file problems.
    pub problems: Vec<FileProblem>,
    /// Invalid lines, when the spec asks for them.
    pub invalid: InvalidLines,
}

impl Tally {
    /// An index that turns line positions into line numbers.
    pub fn line_index(&self) -> LineIndex {
        let mut chunks = self.chunk_lines.clone();
        chunks.sort_unstable();
        let mut before = FxHashMap::default();
        let mut current = (u32::MAX, 0u64);
        for (file, chunk, lines) in chunks {
            if current.0 != file {
                current = (file, 0);
            }
            before.insert((file, chunk), current.1);
            current.1 += lines;
        }
        LineIndex { before }
    }
}

/// Lines of each file before each of its chunks.
pub struct LineIndex {
    before: FxHashMap<(u32, u32), u64>,
}

impl LineIndex {
    /// The 1-based line number of a position within its file.
    pub fn line_number(&self, pos: LinePos) -> u64 {
        self.before
            .get(&(pos.file, pos.chunk))
            .copied()
            .unwrap_or(0)
            + pos.line
            + 1
    }
}

impl AddAssign<Tally> for Tally {
    fn add_assign(&mut self, mut other: Tally) {
        self.input += &other.input;
        self.bytes += other.bytes;
        let remap = self.services.absorb(&other.services);
        for ((service, code), stats) in &other.groups {
            *self.groups.get_or_insert((remap[*service as usize], *code)) += stats;
        }
        // Merges keep every key: the cap applies when counting, and once more in the report.
        self.dim
            .merge(std::mem::take(&mut other.dim), &remap, usize::MAX);
        self.chunk_lines.extend_from_slice(&other.chunk_lines);
        self.problems.extend(other.problems);
        self.invalid += other.invalid;
    }
}

/// The bucket of the last start time and where that bucket ends.
#[derive(Clone, Copy, Debug)]
struct BucketCache {
    index: i64,
    from: i64,
    to: i64,
}

impl Default for BucketCache {
    fn default() -> Self {
        BucketCache {
            index: 0,
            from: 1,
            to: 0,
        }
    }
}

impl BucketCache {
    /// The bucket holding `ns` (buckets of `size` ns from the epoch).
    #[inline]
    fn bucket_of(&mut self, ns: i64, size: i64) -> i64 {
        if ns < self.from || ns >= self.to {
            self.index = ns.div_euclid(size);
            self.from = self.index.saturating_mul(size);
            self.to = self.from.saturating_add(size);
        }
        self.index
    }
}

/// What to count: the record filter, the grouping and what else to keep.
#[derive(Clone, Debug)]
pub struct TallySpec {
    /// Which records to keep.
    pub filter: Filter,
    /// Keep the raw text of malformed lines and incomplete tails (`--invalid-lines`).
    pub keep_invalid: bool,
    /// Group by these as well as by (service, code); `None` when that is all.
    pub dims: Option<Dims>,
    /// Put only client and server errors into the `dims` groups.
    pub errors_only: bool,
    /// Classes of codes, for `errors_only`.
    pub classes: ClassMap,
    /// Most `dims` groups a tally keeps; later keys go to `other`.
    pub max_groups: usize,
    /// Time bucket size (ns) for the `bucket` dimension and the timeline.
    pub bucket_ns: i64,
    /// Count requests per bucket, service and code.
    pub timeline: bool,
}

impl Default for TallySpec {
    fn default() -> Self {
        TallySpec {
            filter: Filter::default(),
            keep_invalid: false,
            dims: None,
            errors_only: false,
            classes: ClassMap::default(),
            max_groups: DEFAULT_MAX_GROUPS,
            bucket_ns: 60_000_000_000,
            timeline: false,
        }
    }
}

/// Default `--max-groups`.
pub const DEFAULT_MAX_GROUPS: usize = 10_000;

/// Most bytes of invalid lines kept for `--invalid-lines`; beyond this they are only counted.
pub const INVALID_BYTES_CAP: usize = 256 << 20;

/// One malformed line kept for a closer look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLine {
    /// Where it is.
    pub pos: LinePos,
    /// The malformed reason, or `incomplete_tail`.
    pub reason: &'static str,
    /// The line as read, without its LF.
    pub raw: Vec<u8>,
}

/// Invalid lines kept so far, within [`INVALID_BYTES_CAP`].
#[derive(Clone, Debug, Default)]
pub struct InvalidLines {
    /// The lines, in no particular order.
    pub lines: Vec<InvalidLine>,
    /// Bytes held.
    pub bytes: usize,
    /// Lines not kept because of the cap.
    pub dropped: u64,
}

impl InvalidLines {
    fn push(&mut self, line: InvalidLine) {
        if self.bytes + line.raw.len() > INVALID_BYTES_CAP {
            self.dropped += 1;
        } else {
            self.bytes += line.raw.len();
            self.lines.push(line);
        }
    }
}

impl AddAssign<InvalidLines> for InvalidLines {
    fn add_assign(&mut self, other: InvalidLines) {
        self.dropped += other.dropped;
        for line in other.lines {
            self.push(line);
        }
    }
}

/// A [`LineSink`] that filters records and counts everything into a [`Tally`].
pub struct Tallier<'s> {
    spec: &'s TallySpec,
    /// The filter keeps everything: skip asking it.
    keep_all: bool,
    /// Scratch space for the filter's API check.
    scratch: Vec<u8>,
    /// The last bucket computed, to skip a division per record.
    bucket_cache: BucketCache,
    /// The counts so far.
    pub tally: Tally,
}

impl<'s> Tallier<'s> {
    /// An empty tally for `spec`.
    pub fn new(spec: &'s TallySpec) -> Self {
        Tallier {
            spec,
            keep_all: spec.filter.is_empty(),
            scratch: Vec::new(),
            bucket_cache: BucketCache::default(),
            tally: Tally::default(),
        }
    }

    /// Counts one kept record.
    #[inline]
    fn add_record(&mut self, rec: &Record<'_>, pos: LinePos) {
        let t = &mut self.tally;
        t.input.records += 1;
        t.input.first_ns = t.input.first_ns.min(rec.start_ns);
        t.input.last_ns = t.input.last_ns.max(rec.start_ns);
        let service = t.services.intern(&rec.service);
        let group = t.groups.get_or_insert((service, rec.code));
        group.add(rec, pos);
        if self.spec.timeline {
            group.buckets.add(
                self.bucket_cache
                    .bucket_of(rec.start_ns, self.spec.bucket_ns),
            );
        }
        if let Some(dims) = &self.spec.dims
            && (!self.spec.errors_only || self.spec.classes.class_of(rec.code).is_error())
        {
            self.add_dims(dims, rec, pos, service);
        }
    }

    /// Counts a record into its `--by` group.
    fn add_dims(&mut self, dims: &Dims, rec: &Record<'_>, pos: LinePos, service: u32) {
        let d = &mut self.tally.dim;
        if d.dims.is_empty() {
            d.dims = dims.list().to_vec();
        }
        let mut key = DimKey::default();
        for (part, &dim) in key.0.iter_mut().zip(dims.list()) {
            *part = match dim {
                Dim::Service => u64::from(service),
                Dim::Code => u64::from(rec.code),
                Dim::Method if rec.method.is_empty() => u64::from(d.methods.intern(b"-")),
                Dim::Method => u64::from(d.methods.intern(&rec.method)),
                Dim::Api => {
                    crate::dims::api_template(&rec.path, &mut d.scratch);
                    u64::from(d.apis.intern(&d.scratch))
                }
                Dim::Host => u64::from(
                    d.hosts
                        .intern(crate::dims::host(rec).as_deref().unwrap_or(b"-")),
                ),
                Dim::Disk => crate::dims::path_id(&rec.path, b"diskid").unwrap_or(NONE),
                Dim::Vuid => crate::dims::path_id(&rec.path, b"vuid").unwrap_or(NONE),
                Dim::Bucket => rec.start_ns.div_euclid(self.spec.bucket_ns) as u64,
            };
        }
        match d.groups.get_or_insert_capped(key, self.spec.max_groups) {
            Some(stats) => stats.add(rec, pos),
            None => d.other.add(rec, pos),
        }
    }

    #[cold]
    fn keep_invalid(&mut self, pos: LinePos, raw: &[u8], reason: &'static str) {
        self.tally.invalid.push(InvalidLine {
            pos,
            reason,
            raw: raw.to_vec(),
        });
    }
}

impl Tallier<'_> {
    /// Counts a line; returns whether it is a record the filter keeps.
    #[inline(always)]
    pub fn line_kept(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) -> bool {
        let input = &mut self.tally.input;
        input.lines += 1;
        match outcome {
            Outcome::Record(rec) => {
                input.newest_any_ns = input.newest_any_ns.max(rec.start_ns);
                if self.keep_all || self.spec.filter.keeps(rec, &mut self.scratch) {
                    self.add_record(rec, pos);
                    return true;
                }
                input.filtered_out += 1;
            }
            Outcome::Empty => input.empty_lines += 1,
            &Outcome::Malformed(reason) => {
                input.malformed[reason.index()] += 1;
                if self.spec.keep_invalid {
                    self.keep_invalid(pos, raw, reason.as_str());
                }
            }
            Outcome::Oversized => input.oversized += 1,
            Outcome::IncompleteTail => {
                input.incomplete_tail += 1;
                if self.spec.keep_invalid {
                    self.keep_invalid(pos, raw, "incomplete_tail");
                }
            }
        }
        false
    }
}

impl LineSink for Tallier<'_> {
    #[inline(always)]
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        self.line_kept(pos, raw, outcome);
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tally.chunk_lines.push((file, chunk, lines));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_block;
    use proptest::prelude::*;

    fn line(service: &str, code: u32, start: u64, dur: u64) -> String {
        format!(
            "REQ\t{service}\t{start}\tGET\t/p\t\t\t{code}\t{{\"Blobstore-Tracer-Traceid\":\"t{start}\"}}\t\t10\t{dur}\n"
        )
    }

    fn tally_of(text: &[u8], file: u32, chunk: u32) -> Tally {
        let spec = TallySpec::default();
        let mut sink = Tallier::new(&spec);
        scan_block(text, file, chunk, 0, 1 << 20, &mut sink);
        sink.tally
    }

    /// A comparable view of one group: everything but sample positions, which depend on
    /// how the input was cut, plus the sample times.
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct GroupView {
        service: String,
        code: u32,
        count: u64,
        max: u64,
        resp_bytes: u64,
        first_ns: i64,
        last_ns: i64,
        sample_times: Vec<i64>,
    }

    fn summary(t: &Tally) -> Vec<(GroupView, Vec<LinePos>)> {
        let mut v: Vec<_> = t
            .groups
            .iter()
            .map(|(&(s, c), g)| {
                let view = GroupView {
                    service: String::from_utf8_lossy(t.services.name(s)).into_owned(),
                    code: c,
                    count: g.count(),
                    max: g.latency.max(),
                    resp_bytes: g.resp_bytes,
                    first_ns: g.first_ns,
                    last_ns: g.last_ns,
                    sample_times: g.samples.as_slice().iter().map(|s| s.time_ns).collect(),
                };
                (view, g.samples.as_slice().iter().map(|s| s.pos).collect())
            })
            .collect();
        v.sort();
        v
    }

    fn views(t: &Tally) -> Vec<GroupView> {
        summary(t).into_iter().map(|(v, _)| v).collect()
    }

    fn arb_log() -> impl Strategy<Value = String> {
        let services = prop::sample::select(vec!["ACCESS", "BLOBNODE@10.0.0.1:1", "PROXY", "X"]);
        let codes = prop::sample::select(vec![200u32, 206, 499, 613, 700, 902]);
        let entry = prop_oneof![
            8 => (services, codes, 1_000_000_000u64..9_999_999_999, 0u64..100_000)
                .prop_map(|(s, c, t, d)| line(s, c, t, d)),
            1 => Just("\n".to_string()),
            1 => Just("garbage line\n".to_string()),
            1 => Just("REQ\tX\t1\n".to_string()),
        ];
        prop::collection::vec(entry, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        /// merge(tally(a), tally(b)) = tally(a ++ b), in either merge order.
        #[test]
        fn merge_is_concatenation(a in arb_log(), b in arb_log()) {
            let whole = tally_of(format!("{a}{b}").as_bytes(), 0, 0);
            let mut left = tally_of(a.as_bytes(), 0, 0);
            // b's lines come after a's: give them a later chunk so sample order is input order.
            let right = tally_of(b.as_bytes(), 0, 1);
            let mut rev = right.clone();
            left += right;
            rev += tally_of(a.as_bytes(), 0, 0);
            prop_assert_eq!(&left.input, &whole.input);
            prop_assert_eq!(&rev.input, &whole.input);
            prop_assert_eq!(left.input.accounted(), left.input.lines);
            prop_assert_eq!(views(&left), views(&whole));
            prop_assert_eq!(views(&rev), views(&whole));
        }

        /// Splitting a block at any line boundary gives the same tally and the same sample
        /// line numbers.
        #[test]
        fn any_split_point_same_tally(log in arb_log(), cut in 0usize..4000) {
            let bytes = log.as_bytes();
            let mut at = cut.min(bytes.len());
            while at > 0 && bytes[at - 1] != b'\n' { at -= 1; }
            let whole = tally_of(bytes, 0, 0);
            let mut parts = tally_of(&bytes[..at], 0, 0);
            parts += tally_of(&bytes[at..], 0, 1);
            prop_assert_eq!(&parts.input, &whole.input);
            let (ip, iw) = (parts.line_index(), whole.line_index());
            let lines = |v: Vec<(GroupView, Vec<LinePos>)>, index: &LineIndex| {
                v.into_iter()
                    .map(|(view, pos)| (view, pos.iter().map(|&p| index.line_number(p)).collect::<Vec<_>>()))
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(lines(summary(&parts), &ip), lines(summary(&whole), &iw));
        }
    }

    #[test]
    fn samples_keep_the_earliest_three() {
        let text: String = (0..6)
            .map(|i| line("P", 500, 1_000_000_000 + i, 5))
            .collect();
        let t = tally_of(text.as_bytes(), 0, 0);
        let g = t.groups.values().next().expect("one group");
        let index = t.line_index();
        let lines: Vec<u64> = g
            .samples
            .as_slice()
            .iter()
            .map(|s| index.line_number(s.pos))
            .collect();
        assert_eq!(lines, [1, 2, 3]);
        assert_eq!(
            g.samples.as_slice()[0].trace_id.as_deref(),
            Some("t1000000000")
        );
    }
}
