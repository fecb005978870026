//! The hot-path sink: classifies each line's outcome into a [`Tally`], filtering records and
//! filling the (service, code) and `--by` groups.

use crate::dims::{Dim, DimKey, Dims, NONE};
use crate::scan::text::Fields;
use crate::scan::{LinePos, LineSink, Outcome, Record};

use super::group::{Counted, Sample};
use super::invalid::InvalidLine;
use super::{Tally, TallySpec};

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

/// How often (in `--by` records) a tally estimates the memory its groups take.
const SIZE_CHECK_EVERY: u32 = 1 << 16;

/// A [`LineSink`] that filters records and counts everything into a [`Tally`].
pub struct Tallier<'s> {
    spec: &'s TallySpec,
    /// The filter keeps everything: skip asking it.
    keep_all: bool,
    /// Every record is kept and grouped by (service, code) only: a text record's numbers are
    /// all the tally reads.
    counts_only: bool,
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
            counts_only: spec.filter.is_empty() && spec.dims.is_none(),
            scratch: Vec::new(),
            bucket_cache: BucketCache::default(),
            tally: {
                let mut t = Tally::default();
                let threads = rayon::current_num_threads().max(1);
                t.dim.spill_at = match spec.spill_groups {
                    0 => (super::spill::SPILL_TOTAL_GROUPS / threads)
                        .max(super::spill::SPILL_MIN_GROUPS),
                    n => n,
                };
                t.dim.spill_bytes =
                    (super::spill::SPILL_TOTAL_BYTES / threads).max(super::spill::SPILL_MIN_BYTES);
                t
            },
        }
    }

    /// Counts one kept record.
    #[inline]
    fn add_record(&mut self, rec: &Record<'_>, pos: LinePos) {
        let at = self.count(&rec.service, rec.code, Counted::of(rec), pos, |rank| {
            Sample::of(rec, pos, rank)
        });
        if let Some(dims) = &self.spec.dims
            && (!self.spec.errors_only || self.spec.classes.class_of(rec.code).is_error())
        {
            self.add_dims(dims, rec, pos, at);
        }
    }

    /// Counts a kept record into the totals and its (service, code) group; `sample(rank)`
    /// builds its sample, only when the group wants one. Returns the service id, the file's
    /// rank and the time bucket, for the `--by` groups.
    #[inline(always)]
    fn count(
        &mut self,
        service: &[u8],
        code: u32,
        c: Counted,
        pos: LinePos,
        sample: impl FnOnce(u32) -> Sample,
    ) -> (u32, u32, i64) {
        let t = &mut self.tally;
        t.input.records += 1;
        t.input.first_ns = t.input.first_ns.min(c.start_ns);
        t.input.last_ns = t.input.last_ns.max(c.start_ns);
        let service = t.services.intern(service);
        let rank = self.spec.rank_of(pos.file);
        let bucket = self.bucket_cache.bucket_of(c.start_ns, self.spec.bucket_ns);
        let group = t.groups.get_or_insert((service, code));
        group.add_counted(c, pos, rank, || sample(rank));
        group.buckets.add(bucket);
        (service, rank, bucket)
    }

    /// Counts a record into its `--by` group. Every key is kept: the cap applies when the
    /// tally becomes a summary, over exact counts, so which groups survive does not depend
    /// on how the input was split.
    fn add_dims(&mut self, dims: &Dims, rec: &Record<'_>, pos: LinePos, at: (u32, u32, i64)) {
        let (service, rank, bucket) = at;
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
                Dim::CubefsApi => {
                    crate::dims::cubefs_api(&rec.service, &rec.method, &rec.path, &mut d.scratch);
                    u64::from(d.apis.intern(&d.scratch))
                }
                Dim::Host => u64::from(
                    d.hosts
                        .intern(crate::dims::host(rec).as_deref().unwrap_or(b"-")),
                ),
                Dim::Disk => crate::dims::path_id(&rec.path, b"diskid").unwrap_or(NONE),
                Dim::Vuid => crate::dims::path_id(&rec.path, b"vuid").unwrap_or(NONE),
                Dim::Bucket => bucket as u64,
            };
        }
        let stats = d.groups.get_or_insert(key);
        stats.add(rec, pos, rank);
        stats.buckets.add(bucket);
        d.since_check += 1;
        if d.groups.len() >= d.spill_at || d.since_check >= SIZE_CHECK_EVERY {
            d.since_check = 0;
            d.spill_if_full(&self.tally.services);
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
                // Lines come in order within a block: the first one seen is the earliest.
                self.tally.first_malformed[reason.index()].get_or_insert(pos);
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

    /// When every record is kept and counted only by (service, code), the numbers are all it
    /// takes: the record is built only for a sample.
    #[inline(always)]
    fn text_record(&mut self, pos: LinePos, raw: &[u8], f: &Fields<'_, '_>) {
        if !self.counts_only {
            crate::scan::record_line(self, pos, raw, f);
            return;
        }
        let input = &mut self.tally.input;
        input.lines += 1;
        input.newest_any_ns = input.newest_any_ns.max(f.start_ns);
        let counted = Counted {
            start_ns: f.start_ns,
            duration_us: f.duration_us,
            resp_len: f.resp_len,
        };
        self.count(f.service, f.code, counted, pos, |rank| {
            Sample::of(&f.record(), pos, rank)
        });
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tally.chunk_lines.push((file, chunk, lines));
    }
}
