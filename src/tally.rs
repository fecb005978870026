//! Aggregation: per-chunk tallies that merge associatively.
//!
//! Every rayon task fills its own [`Tally`] (no locks on the hot path); tallies then merge with
//! `+=` in any grouping, so the same merge serves threads, files and, one day, machines.
//! Services are interned per tally, so the hot path hashes a small integer key; merging remaps
//! the other tally's ids by name.

use std::ops::AddAssign;

use rustc_hash::FxHashMap;

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
                .map(|t| String::from_utf8_lossy(t).into_owned()),
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
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            latency: Histogram::default(),
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            resp_bytes: 0,
            samples: Samples::default(),
        }
    }
}

impl GroupStats {
    /// Number of records.
    pub fn count(&self) -> u64 {
        self.latency.count()
    }

    #[inline]
    fn add(&mut self, rec: &Record<'_>, pos: LinePos) {
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

/// Group statistics by (service id, code), in insertion order, with a one-entry cache: log
/// lines come in long runs of one service and code, which then skip the hash lookup.
#[derive(Clone, Debug, Default)]
pub struct GroupTable {
    index: FxHashMap<(u32, u32), u32>,
    entries: Vec<((u32, u32), GroupStats)>,
    last: Option<((u32, u32), u32)>,
}

impl GroupTable {
    /// The stats of `key`, created empty if new.
    #[inline]
    pub fn get_or_insert(&mut self, key: (u32, u32)) -> &mut GroupStats {
        let at = match self.last {
            Some((k, at)) if k == key => at,
            _ => {
                let next = self.entries.len() as u32;
                let at = *self.index.entry(key).or_insert(next);
                if at == next {
                    self.entries.push((key, GroupStats::default()));
                }
                self.last = Some((key, at));
                at
            }
        };
        &mut self.entries[at as usize].1
    }

    /// Every (key, stats), in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&(u32, u32), &GroupStats)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Every stats, in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &GroupStats> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a GroupTable {
    type Item = (&'a (u32, u32), &'a GroupStats);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, ((u32, u32), GroupStats)>,
        fn(&'a ((u32, u32), GroupStats)) -> (&'a (u32, u32), &'a GroupStats),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
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
    /// (service id, code) -> stats.
    pub groups: GroupTable,
    /// Lines per (file, chunk), to turn sample positions into line numbers.
    pub chunk_lines: Vec<(u32, u32, u64)>,
    /// Per-file problems.
    pub problems: Vec<FileProblem>,
    /// Invalid lines, when the spec asks for them.
    pub invalid: InvalidLines,
}

impl Tally {
    /// Counts one kept record.
    #[inline]
    pub fn add_record(&mut self, rec: &Record<'_>, pos: LinePos) {
        self.input.records += 1;
        self.input.first_ns = self.input.first_ns.min(rec.start_ns);
        self.input.last_ns = self.input.last_ns.max(rec.start_ns);
        let service = self.services.intern(&rec.service);
        self.groups.get_or_insert((service, rec.code)).add(rec, pos);
    }

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
    fn add_assign(&mut self, other: Tally) {
        self.input += &other.input;
        self.bytes += other.bytes;
        let remap = self.services.absorb(&other.services);
        for ((service, code), stats) in &other.groups {
            *self.groups.get_or_insert((remap[*service as usize], *code)) += stats;
        }
        self.chunk_lines.extend_from_slice(&other.chunk_lines);
        self.problems.extend(other.problems);
        self.invalid += other.invalid;
    }
}

/// What to count: the record filter and what else to keep.
#[derive(Clone, Debug, Default)]
pub struct TallySpec {
    /// Which records to keep.
    pub filter: Filter,
    /// Keep the raw text of malformed lines and incomplete tails (`--invalid-lines`).
    pub keep_invalid: bool,
}

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
    /// The counts so far.
    pub tally: Tally,
}

impl<'s> Tallier<'s> {
    /// An empty tally for `spec`.
    pub fn new(spec: &'s TallySpec) -> Self {
        Tallier {
            spec,
            keep_all: spec.filter.is_empty(),
            tally: Tally::default(),
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

impl LineSink for Tallier<'_> {
    #[inline(always)]
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        let input = &mut self.tally.input;
        input.lines += 1;
        match outcome {
            Outcome::Record(rec) => {
                if self.keep_all || self.spec.filter.keeps(rec) {
                    self.tally.add_record(rec, pos);
                } else {
                    input.filtered_out += 1;
                }
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
