//! Aggregation: per-chunk tallies that merge associatively.
//!
//! Every rayon task fills its own [`Tally`] (no locks on the hot path); tallies then merge with
//! `+=` in any grouping, so the same merge serves threads, files and, one day, machines.
//! Services are interned per tally, so the hot path hashes a small integer key; merging remaps
//! the other tally's ids by name.

mod counts;
mod dims;
mod group;
mod intern;
mod invalid;
mod sink;
pub mod spill;

pub use counts::InputCounts;
pub use dims::DimTally;
pub use group::{Buckets, GroupStats, SAMPLES_PER_GROUP, Sample, Samples};
pub use intern::{GroupTable, Interner};
pub use invalid::{INVALID_BYTES_CAP, InvalidLine, InvalidLines};
pub use sink::Tallier;

use std::ops::AddAssign;

use rustc_hash::FxHashMap;

use crate::codes::ClassMap;
use crate::dims::Dims;
use crate::error::Malformed;
use crate::filter::Filter;
use crate::scan::LinePos;

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
    /// Not read: the path names another file than the one listed.
    Replaced,
    /// Read in part: the file got shorter than when it was listed or opened (truncated).
    Shrunk,
    /// Read in full, but the path no longer names it afterwards (deleted, renamed, replaced).
    Moved,
}

impl ProblemKind {
    /// The name used in JSON and on stderr.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Vanished => "vanished",
            ProblemKind::Skipped => "skipped",
            ProblemKind::Partial => "partial",
            ProblemKind::OutsideWindow => "outside_window",
            ProblemKind::Replaced => "replaced",
            ProblemKind::Shrunk => "shrunk",
            ProblemKind::Moved => "moved",
        }
    }
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
    /// The first malformed line of each reason (by [`Malformed::index`]), in input order:
    /// a place to look when a run is mostly malformed.
    pub first_malformed: [Option<LinePos>; Malformed::ALL.len()],
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
        // Merges keep every key (exact); the cap applies when the tally becomes a summary.
        self.dim
            .merge(std::mem::take(&mut other.dim), &remap, usize::MAX);
        self.dim.spill_if_full(&self.services);
        self.chunk_lines.extend_from_slice(&other.chunk_lines);
        self.problems.extend(other.problems);
        self.invalid += other.invalid;
        for (mine, theirs) in self.first_malformed.iter_mut().zip(other.first_malformed) {
            *mine = match (*mine, theirs) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
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
    /// Most `dims` groups a summary keeps exactly; the rest are folded into `other`.
    pub max_groups: usize,
    /// Time bucket size (ns) of the per-group counts and the `bucket` dimension.
    pub bucket_ns: i64,
    /// Most `--by` groups one tally holds in memory before it writes them to a run on disk;
    /// 0 means [`spill::SPILL_TOTAL_GROUPS`] shared among the worker threads.
    pub spill_groups: usize,
    /// Each input file's place in the order of display paths (indexed by file index), which
    /// breaks ties between samples; empty means file order.
    pub file_rank: Vec<u32>,
}

impl TallySpec {
    /// The rank of file `file` for sample order.
    #[inline]
    pub fn rank_of(&self, file: u32) -> u32 {
        self.file_rank.get(file as usize).copied().unwrap_or(file)
    }
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
            bucket_ns: DEFAULT_BUCKET_NS,
            file_rank: Vec::new(),
            spill_groups: 0,
        }
    }
}

/// Default size of the per-group time buckets: one minute.
pub const DEFAULT_BUCKET_NS: i64 = 60_000_000_000;

/// Default `--max-groups`.
pub const DEFAULT_MAX_GROUPS: usize = 10_000;

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
            // The first malformed line of each reason does not depend on the merge order.
            prop_assert_eq!(left.first_malformed, rev.first_malformed);
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
            let firsts = |t: &Tally, index: &LineIndex| {
                t.first_malformed.map(|p| p.map(|p| index.line_number(p)))
            };
            prop_assert_eq!(firsts(&parts, &ip), firsts(&whole, &iw));
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
