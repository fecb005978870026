//! Per-row time series and the onset rule: when a group's own rate rose.

use super::Span;

/// Most buckets a span may hold before series are left out (a year of minutes).
pub const MAX_SPAN_BUCKETS: i64 = 600_000;

impl Span {
    /// The span from the first to the last kept record, in buckets of `bucket_ns`; `None`
    /// without records or when it would hold more than [`MAX_SPAN_BUCKETS`].
    pub fn of(first_ns: Option<i64>, last_ns: Option<i64>, bucket_ns: i64) -> Option<Span> {
        let (first, last) = (
            first_ns?.div_euclid(bucket_ns),
            last_ns?.div_euclid(bucket_ns),
        );
        let len = last - first + 1;
        (1..=MAX_SPAN_BUCKETS).contains(&len).then_some(Span {
            bucket_ns,
            first,
            len: len as usize,
        })
    }

    /// Counts per bucket of this span from (bucket index, count) pairs counted in buckets of
    /// `source_ns`, which must divide this span's bucket size.
    pub fn series(&self, buckets: &[(i64, u64)], source_ns: i64) -> Vec<u64> {
        let mut out = vec![0; self.len];
        for &(b, n) in buckets {
            let start = b.saturating_mul(source_ns);
            let i = start.div_euclid(self.bucket_ns) - self.first;
            if (0..self.len as i64).contains(&i) {
                out[i as usize] += n;
            }
        }
        out
    }
}

/// The onset of a rise: the first bucket i >= 1 whose count is at least 2 and at least three
/// times the mean of the buckets before it plus one, and where the next bucket (if any) stays
/// at or above that threshold. `None` when there is no such bucket, which includes a group
/// that was as busy from the start. (Two in a row: a lone error is not an onset.)
pub fn onset(series: &[u64]) -> Option<usize> {
    let mut before = 0u64;
    for i in 1..series.len() {
        before += series[i - 1];
        // threshold = max(2, 3 * before / i + 1), in integers: n >= t  <=>  n * i >= 3 * before + i.
        let reaches = |n: u64| n >= 2 && n * i as u64 >= 3 * before + i as u64;
        if reaches(series[i]) && series.get(i + 1).is_none_or(|&next| reaches(next)) {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onset_rule() {
        assert_eq!(onset(&[0, 0, 0, 4, 5, 6]), Some(3));
        assert_eq!(onset(&[2, 2, 2, 2]), None, "steady");
        assert_eq!(onset(&[5, 5, 6, 5]), None, "busy from the start");
        assert_eq!(
            onset(&[1, 0, 1, 9, 1, 12, 14]),
            Some(5),
            "a lone spike is not an onset"
        );
        assert_eq!(
            onset(&[2, 2, 6, 8]),
            None,
            "6 < 3 * 2 + 1, and 8 < 3 * 10 / 3 + 1"
        );
        assert_eq!(onset(&[2, 2, 8, 8]), Some(2));
        assert_eq!(onset(&[0, 3]), Some(1));
        assert_eq!(
            onset(&[0, 0, 2, 2, 1, 5]),
            Some(2),
            "from nothing to two a bucket"
        );
        assert_eq!(onset(&[0, 1, 0, 1, 0, 1]), None, "sporadic single errors");
        assert_eq!(onset(&[]), None);
    }

    #[test]
    fn series_rebucket() {
        // Source buckets of 10 ns into a span of 30 ns buckets starting at bucket 1 (30 ns).
        let span = Span {
            bucket_ns: 30,
            first: 1,
            len: 2,
        };
        assert_eq!(
            span.series(&[(2, 1), (3, 2), (5, 4), (6, 8), (9, 1)], 10),
            [6, 8]
        );
        assert_eq!(
            Span::of(Some(35), Some(95), 30),
            Some(Span {
                bucket_ns: 30,
                first: 1,
                len: 3
            })
        );
        assert_eq!(Span::of(None, Some(1), 30), None);
    }
}
