//! What one group of records accumulates: latency, time span, bytes, samples and per-bucket
//! counts. Everything here merges with `+=`.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use crate::histogram::Histogram;
use crate::scan::{LinePos, Record};

/// How many sample requests a group keeps.
pub const SAMPLES_PER_GROUP: usize = 3;

/// One sample request of a group, for following its trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Where the line is (resolved to a line number when the tally becomes a summary).
    pub pos: LinePos,
    /// The file's place in the order of display paths: ties in time go to the earlier path,
    /// as they do when summaries merge.
    pub rank: u32,
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
    pub(crate) fn of(rec: &Record<'_>, pos: LinePos, rank: u32) -> Sample {
        Sample {
            pos,
            rank,
            time_ns: rec.start_ns,
            trace_id: rec
                .trace_id()
                .map(|t| String::from_utf8_lossy(&t).into_owned()),
            method: String::from_utf8_lossy(&rec.method).into_owned(),
            path: String::from_utf8_lossy(&rec.path).into_owned(),
        }
    }

    /// The order samples are chosen in: earliest start time, then path, then line. The same
    /// rule holds for merged summaries, so which samples a group keeps does not depend on how
    /// the input was split or merged.
    #[inline]
    fn order(&self) -> (i64, u32, LinePos) {
        (self.time_ns, self.rank, self.pos)
    }
}

/// The earliest few samples of a group, by start time (ties by path and line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Samples(Vec<Sample>);

impl Samples {
    /// Whether a record would be kept: cheap, checked before building a sample.
    #[inline]
    pub fn wants(&self, key: (i64, u32, LinePos)) -> bool {
        self.0.len() < SAMPLES_PER_GROUP || self.0.last().is_some_and(|s| key < s.order())
    }

    fn insert(&mut self, sample: Sample) {
        let key = sample.order();
        let at = self.0.partition_point(|s| s.order() < key);
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
            if self.wants(s.order()) {
                self.insert(s.clone());
            }
        }
    }
}

/// Record counts per time bucket, in arrival order with runs merged. Records come nearly in
/// time order, so counting is one comparison and an increment; a bucket may appear more than
/// once (out-of-order records, merged tallies), which readers sum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets(Vec<(i64, u64)>);

impl Buckets {
    #[inline]
    pub(crate) fn add(&mut self, bucket: i64) {
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
        if other.0.is_empty() {
            return;
        }
        self.normalize();
        let mut theirs = other.clone();
        theirs.normalize();
        if theirs.0.len() * 8 < self.0.len() {
            // A few buckets into many (a small group folded into "other"): insert each.
            for &(b, n) in &theirs.0 {
                match self.0.binary_search_by_key(&b, |e| e.0) {
                    Ok(at) => self.0[at].1 += n,
                    Err(at) => self.0.insert(at, (b, n)),
                }
            }
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + theirs.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), theirs.0.iter().peekable());
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    out.push((x.0, x.1 + y.1));
                    a.next();
                    b.next();
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    out.push(**x);
                    a.next();
                }
                (Some(_), Some(y)) | (None, Some(y)) => {
                    out.push(**y);
                    b.next();
                }
                (Some(x), None) => {
                    out.push(**x);
                    a.next();
                }
                (None, None) => break,
            }
        }
        self.0 = out;
    }

    /// Sorted by bucket, one entry per bucket (arrival order may repeat or go back).
    fn normalize(&mut self) {
        if !self.0.is_sorted_by(|x, y| x.0 < y.0) {
            self.0.sort_unstable_by_key(|e| e.0);
            self.0.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    earlier.1 += later.1;
                }
                same
            });
        }
    }
}

/// Everything a group of records accumulates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// The numbers of a record a group counts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted {
    /// Start time in nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Bytes written to the client.
    pub resp_len: u64,
}

impl Counted {
    /// The counted numbers of a record.
    #[inline(always)]
    pub(crate) fn of(rec: &Record<'_>) -> Counted {
        Counted {
            start_ns: rec.start_ns,
            duration_us: rec.duration_us,
            resp_len: rec.resp_len,
        }
    }
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
    /// About how many heap bytes the group holds (for the spill budget).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<GroupStats>()
            + self.latency.heap_bytes()
            + self.buckets.0.capacity() * std::mem::size_of::<(i64, u64)>()
            + self
                .samples
                .0
                .iter()
                .map(|s| {
                    std::mem::size_of::<Sample>()
                        + s.method.capacity()
                        + s.path.capacity()
                        + s.trace_id.as_ref().map_or(0, String::capacity)
                })
                .sum::<usize>()
    }

    /// Number of records.
    pub fn count(&self) -> u64 {
        self.latency.count()
    }

    #[inline]
    pub(crate) fn add(&mut self, rec: &Record<'_>, pos: LinePos, rank: u32) {
        self.add_counted(Counted::of(rec), pos, rank, || Sample::of(rec, pos, rank));
    }

    /// Counts a record from the numbers it is counted by; `sample` builds its sample, only
    /// when the group wants one.
    #[inline(always)]
    pub(crate) fn add_counted(
        &mut self,
        c: Counted,
        pos: LinePos,
        rank: u32,
        sample: impl FnOnce() -> Sample,
    ) {
        self.latency.record(c.duration_us);
        self.first_ns = self.first_ns.min(c.start_ns);
        self.last_ns = self.last_ns.max(c.start_ns);
        self.resp_bytes += c.resp_len;
        if self.samples.wants((c.start_ns, rank, pos)) {
            self.samples.insert(sample());
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
