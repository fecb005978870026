//! A mergeable log-bucket histogram of durations, with exact count, sum, min and max.
//!
//! Values below 256 get a bucket each, so small durations are exact. Above that, every power
//! of two is cut into 128 buckets, so a bucket's width is at most 1/128 of its lower bound and a
//! quantile read from it is within 0.8% of the exact value. Buckets live in pages of 128,
//! allocated only for the magnitudes that occur, so a group that sees durations from 5 us to
//! 2 s holds a few KiB. Histograms merge by adding buckets, which is what lets per-chunk
//! tallies combine in any order.

use std::ops::AddAssign;

/// Buckets per page: 2^SUB_BITS.
const SUB_BITS: u32 = 7;
const PAGE: usize = 1 << SUB_BITS;

/// Durations in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pages: Vec<Option<Box<[u64; PAGE]>>>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

/// Page and slot of a value. Page 0 holds 0..128 and page 1 holds 128..256, one value per
/// slot; page p >= 2 holds [2^(p+6), 2^(p+7)) in slots of width 2^(p-1).
#[inline]
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
    #[inline]
    pub fn record(&mut self, value: u64) {
        let (page, slot) = locate(value);
        if page >= self.pages.len() {
            self.pages.resize_with(page + 1, || None);
        }
        let buckets = self.pages[page].get_or_insert_with(|| Box::new([0; PAGE]));
        buckets[slot] += 1;
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        if value > self.max {
            self.max = value;
        }
        self.count += 1;
        self.sum += u128::from(value);
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
        for (page, buckets) in self.pages.iter().enumerate() {
            let Some(buckets) = buckets else { continue };
            for (slot, &n) in buckets.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return lower_bound(page, slot).clamp(self.min, self.max);
                }
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
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
    }
}

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
        }
    }
}
