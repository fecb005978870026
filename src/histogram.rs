//! A mergeable log-bucket histogram of durations, with exact count, sum, min and max.
//!
//! Values below 256 get a bucket each, so small durations are exact. Above that, every power
//! of two is cut into 128 buckets, so a bucket's width is at most 1/128 of its lower bound and a
//! quantile read from it is within 0.8% of the exact value. Buckets live in pages of 128,
//! allocated only for the magnitudes that occur, so a group that sees durations from 5 us to
//! 2 s holds a few KiB. Histograms merge by adding buckets, which is what lets per-chunk
//! tallies combine in any order.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

/// Buckets per page: 2^SUB_BITS.
const SUB_BITS: u32 = 7;
const PAGE: usize = 1 << SUB_BITS;

/// Most distinct buckets a histogram keeps in its sparse form before it switches to pages.
const SPARSE_MAX: usize = 8;

/// Durations in microseconds.
///
/// A histogram starts sparse (a short list of (bucket, count)), so the thousands of small
/// groups of a high-cardinality `--by` cost a few dozen bytes each; it switches to pages once
/// it has seen more than [`SPARSE_MAX`] distinct buckets. Both forms hold the same counts:
/// equality, merge and serialisation never depend on which one a histogram is in.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    sparse: Vec<(u16, u64)>,
    pages: Vec<Option<Box<[u64; PAGE]>>>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Histogram) -> bool {
        (self.count, self.sum, self.min, self.max) == (other.count, other.sum, other.min, other.max)
            && self.buckets().eq(other.buckets())
    }
}

impl Eq for Histogram {}

/// Page and slot of a value. Page 0 holds 0..128 and page 1 holds 128..256, one value per
/// slot; page p >= 2 holds [2^(p+6), 2^(p+7)) in slots of width 2^(p-1).
#[inline(always)]
fn locate(value: u64) -> (usize, usize) {
    if value < (PAGE as u64) * 2 {
        return ((value >> SUB_BITS) as usize, (value as usize) & (PAGE - 1));
    }
    let magnitude = 63 - value.leading_zeros(); // >= 8
    let shift = magnitude - SUB_BITS;
    let page = (magnitude - SUB_BITS + 1) as usize;
    let slot = ((value >> shift) as usize) - PAGE;
    (page, slot)
}

/// Smallest value that falls into (page, slot).
fn lower_bound(page: usize, slot: usize) -> u64 {
    if page < 2 {
        return (page * PAGE + slot) as u64;
    }
    let shift = page as u32 - 1;
    ((PAGE + slot) as u64) << shift
}

impl Histogram {
    /// Records one duration.
    #[inline(always)]
    pub fn record(&mut self, value: u64) {
        self.add_n(value, 1);
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        if value > self.max {
            self.max = value;
        }
        self.count += 1;
        self.sum += u128::from(value);
    }

    /// Adds `n` to the bucket of `value` (min, max, count and sum are the caller's).
    #[inline(always)]
    fn add_n(&mut self, value: u64, n: u64) {
        let (page, slot) = locate(value);
        // The common case in line: a paged histogram whose page is there.
        if let Some(Some(bucket)) = self.pages.get_mut(page) {
            bucket[slot] += n;
            return;
        }
        self.add_to_bucket(page * PAGE + slot, n);
    }

    #[inline(never)]
    fn add_to_bucket(&mut self, index: usize, n: u64) {
        let (page, slot) = (index / PAGE, index % PAGE);
        if self.pages.is_empty() {
            if let Some(e) = self.sparse.iter_mut().find(|e| usize::from(e.0) == index) {
                e.1 += n;
                return;
            }
            if self.sparse.len() < SPARSE_MAX {
                self.sparse.push((index as u16, n));
                return;
            }
            self.make_paged();
        }
        if page >= self.pages.len() {
            self.pages.resize_with(page + 1, || None);
        }
        self.pages[page].get_or_insert_with(|| Box::new([0; PAGE]))[slot] += n;
    }

    #[cold]
    fn make_paged(&mut self) {
        let sparse = std::mem::take(&mut self.sparse);
        // One empty page marks the paged form even before the first bucket lands.
        self.pages.push(None);
        for (index, n) in sparse {
            self.add_to_bucket(usize::from(index), n);
        }
    }

    /// Every non-empty bucket as (bucket index, count), in increasing order of value.
    pub fn buckets(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let mut sparse: Vec<(usize, u64)> = self
            .sparse
            .iter()
            .filter(|e| e.1 > 0)
            .map(|&(i, n)| (usize::from(i), n))
            .collect();
        sparse.sort_unstable();
        let paged = self.pages.iter().enumerate().flat_map(|(page, buckets)| {
            buckets.iter().flat_map(move |b| {
                b.iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(move |(slot, &n)| (page * PAGE + slot, n))
            })
        });
        sparse.into_iter().chain(paged)
    }

    /// The smallest value of bucket `index` (as [`Histogram::buckets`] numbers them).
    pub fn bucket_lower_bound(index: usize) -> u64 {
        lower_bound(index / PAGE, index % PAGE)
    }

    /// Exact sum of the values.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// About how many heap bytes the buckets take.
    pub fn heap_bytes(&self) -> usize {
        self.sparse.capacity() * std::mem::size_of::<(u16, u64)>()
            + self.pages.capacity() * std::mem::size_of::<Option<Box<[u64; PAGE]>>>()
            + self.pages.iter().flatten().count() * PAGE * 8
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact smallest value (0 when empty).
    pub fn min(&self) -> u64 {
        self.min
    }

    /// Exact largest value (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Exact mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Nearest-rank quantile for `permille`/1000 (p99 = 990): the smallest recorded value v
    /// such that at least that share of all values are <= v, read as the lower bound of v's
    /// bucket and clamped to [min, max]. Within 1/128 of the exact value; exact below 256.
    pub fn quantile(&self, permille: u32) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // Integer arithmetic: a float product such as 0.7 * 10 can land just above 7.
        let rank = nearest_rank(self.count, permille);
        let mut seen = 0u64;
        for (index, n) in self.buckets() {
            seen += n;
            if seen >= rank {
                return Self::bucket_lower_bound(index).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// ceil(count * permille / 1000), at least 1 and at most count.
pub fn nearest_rank(count: u64, permille: u32) -> u64 {
    let scaled = u128::from(count) * u128::from(permille.min(1000));
    let rank = scaled.div_ceil(1000) as u64;
    rank.clamp(1, count.max(1))
}

impl AddAssign<&Histogram> for Histogram {
    fn add_assign(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if other.pages.is_empty() {
            for &(index, n) in &other.sparse {
                self.add_to_bucket(usize::from(index), n);
            }
        } else {
            if self.pages.is_empty() {
                self.make_paged();
            }
            if self.pages.len() < other.pages.len() {
                self.pages.resize_with(other.pages.len(), || None);
            }
            for (mine, theirs) in self.pages.iter_mut().zip(&other.pages) {
                let Some(theirs) = theirs else { continue };
                match mine {
                    Some(mine) => {
                        for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                            *a += b;
                        }
                    }
                    None => *mine = Some(theirs.clone()),
                }
            }
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
    }
}

/// The serialised form: the exact figures and the non-empty buckets as `[index, count]`.
#[derive(Serialize, Deserialize)]
struct Wire {
    count: u64,
    sum: Sum,
    min: u64,
    max: u64,
    buckets: Vec<(u32, u64)>,
}

/// The exact sum: a JSON number while it fits 64 bits (as it does for any real log), a
/// decimal string beyond (JSON readers lose precision past 2^64, and some past 2^53).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Sum {
    Small(u64),
    Big(String),
}

impl Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            count: self.count,
            sum: match u64::try_from(self.sum) {
                Ok(n) => Sum::Small(n),
                Err(_) => Sum::Big(self.sum.to_string()),
            },
            min: self.min,
            max: self.max,
            buckets: self.buckets().map(|(i, n)| (i as u32, n)).collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = Wire::deserialize(d)?;
        let mut h = Histogram::default();
        let mut total = 0u64;
        let mut last = None;
        for (index, n) in w.buckets {
            let index = index as usize;
            if index >= MAX_BUCKETS || last.is_some_and(|l| l >= index) || n == 0 {
                return Err(D::Error::custom(
                    "histogram buckets out of order or out of range",
                ));
            }
            last = Some(index);
            total = total
                .checked_add(n)
                .ok_or_else(|| D::Error::custom("histogram count overflows"))?;
            h.add_to_bucket(index, n);
        }
        if total != w.count || (w.count > 0 && w.min > w.max) {
            return Err(D::Error::custom(
                "histogram count does not match its buckets",
            ));
        }
        h.count = w.count;
        h.sum = match w.sum {
            Sum::Small(n) => u128::from(n),
            Sum::Big(text) => text
                .parse()
                .map_err(|_| D::Error::custom("histogram sum is not a number"))?,
        };
        h.min = w.min;
        h.max = w.max;
        Ok(h)
    }
}

/// Number of bucket indices: pages 0..=57 cover every u64.
const MAX_BUCKETS: usize = 58 * PAGE;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact_quantile(values: &[u64], permille: u32) -> u64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted[nearest_rank(sorted.len() as u64, permille) as usize - 1]
    }

    #[test]
    fn nearest_rank_is_exact_integer_math() {
        assert_eq!(nearest_rank(10, 700), 7);
        assert_eq!(nearest_rank(10, 900), 9);
        assert_eq!(nearest_rank(100, 990), 99);
        assert_eq!(nearest_rank(101, 990), 100);
        assert_eq!(nearest_rank(3, 0), 1);
        assert_eq!(nearest_rank(3, 1000), 3);
    }

    #[test]
    fn buckets_cover_values_in_order() {
        let mut last = (0, 0);
        for v in (0..5000u64).chain([u64::MAX / 2, u64::MAX]) {
            let here = locate(v);
            assert!(here >= last, "{v}");
            assert!(lower_bound(here.0, here.1) <= v, "{v}");
            last = here;
        }
        assert_eq!(locate(255), (1, 127));
        assert_eq!(locate(256), (2, 0));
        assert_eq!(lower_bound(2, 1), 258);
        assert!(locate(u64::MAX).0 * PAGE + locate(u64::MAX).1 < MAX_BUCKETS);
    }

    #[test]
    fn huge_sums_survive() {
        let mut h = Histogram::default();
        for _ in 0..3 {
            h.record(u64::MAX);
        }
        let text = serde_json::to_string(&h).expect("ser");
        assert!(text.contains("\"sum\":\"55340232221128654845\""), "{text}");
        assert_eq!(serde_json::from_str::<Histogram>(&text).expect("de"), h);
    }

    #[test]
    fn bad_wire_is_refused() {
        for bad in [
            r#"{"count":2,"sum":3,"min":1,"max":2,"buckets":[[1,1]]}"#,
            r#"{"count":2,"sum":3,"min":1,"max":2,"buckets":[[2,1],[1,1]]}"#,
            r#"{"count":1,"sum":3,"min":1,"max":2,"buckets":[[999999,1]]}"#,
            r#"{"count":1,"sum":"x","min":1,"max":1,"buckets":[[1,1]]}"#,
        ] {
            assert!(serde_json::from_str::<Histogram>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for v in [5, 3, 9, 200, 7] {
            h.record(v);
        }
        assert_eq!(h.quantile(500), 7);
        assert_eq!(h.quantile(900), 200);
        assert_eq!(h.quantile(0), 3);
        assert_eq!((h.min(), h.max(), h.count()), (3, 200, 5));
        assert!((h.mean() - 44.8).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn quantiles_within_one_percent(values in prop::collection::vec(0u64..50_000_000, 1..400),
                                        q in 0u32..=1000) {
            let mut h = Histogram::default();
            for &v in &values { h.record(v); }
            let exact = exact_quantile(&values, q);
            let got = h.quantile(q);
            prop_assert!(got <= exact);
            prop_assert!((exact - got) as f64 <= exact as f64 / 100.0, "exact {} got {}", exact, got);
        }

        #[test]
        fn merge_equals_recording_all(a in prop::collection::vec(0u64..10_000_000, 0..200),
                                      b in prop::collection::vec(0u64..10_000_000, 0..200)) {
            let mut ha = Histogram::default();
            let mut hb = Histogram::default();
            let mut hall = Histogram::default();
            for &v in &a { ha.record(v); hall.record(v); }
            for &v in &b { hb.record(v); hall.record(v); }
            ha += &hb;
            // Pages may differ only by empty allocation order; compare what they report.
            prop_assert_eq!(ha.count(), hall.count());
            prop_assert_eq!((ha.min(), ha.max()), (hall.min(), hall.max()));
            for q in [10, 500, 900, 990, 1000] {
                prop_assert_eq!(ha.quantile(q), hall.quantile(q));
            }
            prop_assert_eq!(ha.sum, hall.sum);
            prop_assert_eq!(&ha, &hall);
            let back: Histogram = serde_json::from_str(&serde_json::to_string(&ha).expect("ser")).expect("de");
            prop_assert_eq!(&back, &hall);
            for q in [10, 500, 990] {
                prop_assert_eq!(back.quantile(q), hall.quantile(q));
            }
        }

        /// Sparse and paged forms agree whatever order values and merges come in.
        #[test]
        fn sparse_and_paged_agree(a in prop::collection::vec(0u64..100_000, 0..30),
                                  b in prop::collection::vec(0u64..100_000, 0..30)) {
            let mut ha = Histogram::default();
            let mut hb = Histogram::default();
            for &v in &a { ha.record(v); }
            for &v in &b { hb.record(v); }
            let mut ab = ha.clone();
            ab += &hb;
            let mut ba = hb.clone();
            ba += &ha;
            prop_assert_eq!(&ab, &ba);
            let total: u64 = ab.buckets().map(|(_, n)| n).sum();
            prop_assert_eq!(total, ab.count());
        }
    }
}
