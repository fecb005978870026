//! The statistics behind `bsaudit diff`: pure functions, no I/O.
//!
//! - [`rate_test`]: did a count's rate change between a baseline and an incident window? The
//!   exact conditional test for two Poisson counts with exposures (Przyborowski and Wilenski
//!   1940), as R's `poisson.test(c(x1, x0), c(E1, E0))`: given n = x1 + x0, x1 is
//!   Binomial(n, E1 / (E0 + E1)) under "same rate", and the p-values are [`binom_test`]'s. The
//!   rate ratio and its confidence interval come from the Clopper-Pearson interval of that
//!   binomial proportion, as R reports them.
//! - [`bh_adjust`]: Benjamini-Hochberg q-values across rows, as R's `p.adjust(p, "BH")`.
//! - [`latency_test`]: did durations change? A Mann-Whitney rank-sum test on two
//!   [`Histogram`]s, with the probability of superiority and p50/p99 ratios as effects.
//! - [`classify`] and [`classify_latency`]: the verdicts, under [`Thresholds`] that keep noise
//!   from being flagged; [`assess_rates`] and [`assess_latencies`] do all of it for a table.
//!
//! The special functions underneath (binomial pmf, regularized incomplete beta and its
//! inverse, normal tail, log-gamma) are written here rather than taken from a crate: they are a
//! few hundred lines, and what matters is that they stay accurate for counts up to ~1e9, which
//! the choices below are about. Reference values in the tests come from
//! `tests/reference/stats_reference.py` (exact rational arithmetic, mpmath and scipy).

use serde::Serialize;

use crate::histogram::Histogram;

// ---------------------------------------------------------------------------------------------
// Special functions.

const LN_2PI: f64 = 1.837_877_066_409_345_5; // ln(2 pi)
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8; // ln(sqrt(2 pi))

/// ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15), with the
/// reflection formula below 1/2. NaN for x <= 0 at the poles and for NaN.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x < 0.5 {
        // Gamma(x) Gamma(1 - x) = pi / sin(pi x).
        let s = (std::f64::consts::PI * x).sin().abs();
        return std::f64::consts::PI.ln() - s.ln() - ln_gamma(1.0 - x);
    }
    let z = x - 1.0;
    let mut a = C[0];
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    LN_SQRT_2PI + (z + 0.5) * t.ln() - t + a.ln()
}

/// ln(n!) - ((n + 1/2) ln n - n + ln sqrt(2 pi)): the error of Stirling's formula, computed
/// without cancellation (Loader 2000, as R's `stirlerr`). Exact table for integers up to 15,
/// the asymptotic series above.
fn stirlerr(n: f64) -> f64 {
    // ln(n!) - Stirling(n) at n = 0..=15 (mpmath, 40 digits; the same values as R's table),
    // kept as printed so they can be compared; the compiler rounds them.
    #[allow(clippy::excessive_precision)]
    const TABLE: [f64; 16] = [
        0.0, // n = 0: unused (x = 0 and x = n are handled by the callers)
        0.081_061_466_795_327_258_219_670_26,
        0.041_340_695_955_409_294_093_822_08,
        0.027_677_925_684_998_339_148_789_29,
        0.020_790_672_103_765_093_111_522_77,
        0.016_644_691_189_821_192_163_194_87,
        0.013_876_128_823_070_747_998_745_73,
        0.011_896_709_945_891_770_095_055_72,
        0.010_411_265_261_972_096_497_478_57,
        0.009_255_462_182_712_732_917_728_637,
        0.008_330_563_433_362_871_256_469_319,
        0.007_573_675_487_951_840_794_972_024,
        0.006_942_840_107_209_529_865_664_153,
        0.006_408_994_188_004_207_068_439_631,
        0.005_951_370_112_758_847_735_624_416,
        0.005_554_733_551_962_801_371_038_69,
    ];
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        if n == n.floor() && n >= 0.0 {
            return TABLE[n as usize];
        }
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// The deviance term x ln(x / np) + np - x, accurately when x is close to np (Loader 2000,
/// as R's `bd0`), where the plain formula would subtract two nearly equal large numbers.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            ej *= v2;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// ln of the binomial density at a real x in [0, n] with success probability p = 1 - q, both
/// given so that neither is computed by a cancelling subtraction (Loader's saddle-point form,
/// R's `dbinom_raw`). Accurate to about 1e-15 relative for any n, unlike
/// `ln_gamma(n+1) - ln_gamma(x+1) - ...`, whose terms are ~n ln n and lose log10(n) digits.
fn ln_dbinom_raw(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if x < 0.0 || x > n {
        return f64::NEG_INFINITY;
    }
    if p == 0.0 {
        return if x == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if q == 0.0 {
        return if x == n { 0.0 } else { f64::NEG_INFINITY };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 0.0;
        }
        return if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        };
    }
    if x == n {
        return if q < 0.1 {
            -bd0(n, n * p) - n * q
        } else {
            n * p.ln()
        };
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    lc - 0.5 * lf
}

/// ln P(X = k) for X ~ Binomial(n, p), with q = 1 - p given separately (see above).
pub fn binom_ln_pmf(k: u64, n: u64, p: f64, q: f64) -> f64 {
    ln_dbinom_raw(k as f64, n as f64, p, q)
}

/// Both tails of the regularized incomplete beta function at x: `lower` = I_x(a, b),
/// `upper` = 1 - I_x(a, b). The smaller one is computed directly, so tiny tails keep their
/// relative precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tails {
    /// I_x(a, b), the beta(a, b) distribution function at x.
    pub lower: f64,
    /// 1 - I_x(a, b).
    pub upper: f64,
}

/// ln of x^a (1-x)^b / B(a, b), via the binomial density (a b / (a+b)) dbinom(a; a+b, x), so it
/// stays accurate when a and b are ~1e9 (the same device as R's `dbeta`).
fn ln_beta_front(a: f64, b: f64, x: f64, y: f64) -> f64 {
    a.ln() + b.ln() - (a + b).ln() + ln_dbinom_raw(a, a + b, x, y)
}

/// The continued fraction of I_x(a, b) (modified Lentz; Numerical Recipes' `betacf`). It
/// converges for x < (a+1)/(a+b+2) in O(sqrt(max(a, b))) steps.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    const MAX_STEPS: u32 = 10_000_000;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_STEPS {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b) and its complement, for a, b > 0 and
/// x in [0, 1], with y = 1 - x given by the caller (so 1 - x is never rounded). NaN tails for
/// arguments outside those ranges (infinite a or b included).
pub fn beta_inc(a: f64, b: f64, x: f64, y: f64) -> Tails {
    let shapes = a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite();
    if !(shapes && (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)) {
        return Tails {
            lower: f64::NAN,
            upper: f64::NAN,
        };
    }
    if x == 0.0 {
        return Tails {
            lower: 0.0,
            upper: 1.0,
        };
    }
    if y == 0.0 {
        return Tails {
            lower: 1.0,
            upper: 0.0,
        };
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        let lower = ((ln_beta_front(a, b, x, y)).exp() * beta_cf(a, b, x) / a).clamp(0.0, 1.0);
        Tails {
            lower,
            upper: 1.0 - lower,
        }
    } else {
        let upper = ((ln_beta_front(b, a, y, x)).exp() * beta_cf(b, a, y) / b).clamp(0.0, 1.0);
        Tails {
            lower: 1.0 - upper,
            upper,
        }
    }
}

/// The beta(a, b) density at x (0 outside (0, 1)).
fn beta_pdf(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    // x^(a-1) (1-x)^(b-1) / B(a, b) = front / (x (1 - x)).
    (ln_beta_front(a, b, x, 1.0 - x) - x.ln() - (-x).ln_1p()).exp()
}

/// The beta(a, b) quantile: the x with I_x(a, b) = prob (R's `qbeta(prob, a, b)`), for
/// finite a, b > 0 and prob in [0, 1]; NaN otherwise.
///
/// Newton steps on the smaller tail (so a target of 0.975 is solved as "upper tail = 0.025"),
/// safeguarded by a bracket that every evaluation narrows: a step that would leave the bracket
/// is replaced by bisection (geometric when the bracket spans orders of magnitude, so tiny
/// quantiles such as qbeta(0.025, 1, 1e9) = 2.5e-11 are found in a few dozen steps). Stops at a
/// relative change of 1e-15.
pub fn beta_quantile(a: f64, b: f64, prob: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && (0.0..=1.0).contains(&prob)) {
        return f64::NAN;
    }
    if prob == 0.0 {
        return 0.0;
    }
    if prob == 1.0 {
        return 1.0;
    }
    // Solve g(x) = 0 with g increasing: lower - prob, or (1 - prob) - upper.
    let use_upper = prob > 0.5;
    let target = if use_upper { 1.0 - prob } else { prob };
    let g = |x: f64| {
        let t = beta_inc(a, b, x, 1.0 - x);
        if use_upper {
            target - t.upper
        } else {
            t.lower - target
        }
    };
    // Start from the normal approximation, inside (0, 1).
    let n = a + b;
    let mean = a / n;
    let sd = (a * b / (n * n * (n + 1.0))).sqrt();
    let z = normal_quantile_rough(prob);
    let mut x = (mean + z * sd).clamp(mean * 1e-3, 1.0 - (1.0 - mean) * 1e-3);
    if !(x > 0.0 && x < 1.0) {
        x = 0.5;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2000 {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let pdf = beta_pdf(a, b, x);
        let newton = if pdf > 0.0 && pdf.is_finite() {
            x - gx / pdf
        } else {
            f64::NAN
        };
        let next = if newton > lo && newton < hi {
            newton
        } else if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else if lo == 0.0 && hi < 0.25 {
            hi * 0.0625
        } else if hi == 1.0 && lo > 0.75 {
            1.0 - (1.0 - lo) * 0.0625
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 1e-15 * x.max(1e-300) || hi - lo <= 2.0 * f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

/// A rough standard normal quantile (Acklam's rational approximation, relative error 1e-9):
/// only a starting point for [`beta_quantile`].
fn normal_quantile_rough(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let r = (-2.0 * q.ln()).sqrt();
        (((((C[0] * r + C[1]) * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5])
            / ((((D[0] * r + D[1]) * r + D[2]) * r + D[3]) * r + 1.0)
    };
    if p < 0.02425 {
        tail(p)
    } else if p > 1.0 - 0.02425 {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The regularized upper incomplete gamma Q(a, x) for a > 0, x >= 0 (series below a + 1,
/// Lentz continued fraction above; Numerical Recipes' `gammq`).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut sum = 1.0 / a;
        let mut del = sum;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_front.exp() * h
    }
}

/// P(Z > z) for a standard normal Z, with full relative precision in the far upper tail
/// (via Q(1/2, z^2/2) = erfc(z / sqrt 2)).
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z >= 0.0 {
        0.5 * gamma_q(0.5, 0.5 * z * z)
    } else {
        1.0 - 0.5 * gamma_q(0.5, 0.5 * z * z)
    }
}

// ---------------------------------------------------------------------------------------------
// The binomial test.

/// P(X <= k) for X ~ Binomial(n, p), q = 1 - p (R's `pbinom(k, n, p)`).
pub fn binom_cdf(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    // P(X <= k) = 1 - I_p(k + 1, n - k).
    beta_inc((k + 1) as f64, (n - k) as f64, p, q).upper
}

/// P(X > k) for X ~ Binomial(n, p), q = 1 - p (R's `pbinom(k, n, p, lower.tail = FALSE)`).
pub fn binom_sf(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k >= n {
        return 0.0;
    }
    beta_inc((k + 1) as f64, (n - k) as f64, p, q).lower
}

/// The p-values of an exact binomial test of x successes in n trials against success
/// probability p.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinomTest {
    /// Two-sided, as R's `binom.test`: the probability of every outcome at most as likely as
    /// the observed one (likelihoods within a relative 1e-7 of it count as equal).
    pub two_sided: f64,
    /// P(X >= x): evidence that the true probability is greater than p.
    pub greater: f64,
    /// P(X <= x): evidence that it is less.
    pub less: f64,
}

/// R's relative tolerance for "as likely as the observed outcome".
const REL_ERR: f64 = 1.0 + 1e-7;

/// The exact binomial test of `x` successes in `n` trials against probability `p`, with
/// q = 1 - p given separately (R's `binom.test(x, n, p)` p-values). `x <= n` and p in [0, 1]
/// are the caller's to ensure; otherwise all p-values are NaN. n = 0 gives 1 everywhere.
///
/// The two-sided sum does not enumerate the far side's outcomes one by one (n may be 1e9):
/// the binomial pmf is unimodal and the far side [ceil(np), n] (or [0, floor(np)]) lies on
/// one slope of it, so the outcomes at most as likely as x form a tail found by binary search,
/// and that tail's mass is one incomplete beta. Likelihoods are compared in log space, which
/// agrees with R's comparison wherever R's densities do not underflow to 0 (below ~1e-308,
/// where R counts every underflowed outcome as equally likely and we do not).
pub fn binom_test(x: u64, n: u64, p: f64, q: f64) -> BinomTest {
    let nan = BinomTest {
        two_sided: f64::NAN,
        greater: f64::NAN,
        less: f64::NAN,
    };
    if x > n || !(0.0..=1.0).contains(&p) || !(0.0..=1.0).contains(&q) {
        return nan;
    }
    let less = binom_cdf(x, n, p, q);
    let greater = if x == 0 {
        1.0
    } else {
        binom_sf(x - 1, n, p, q)
    };
    let m = n as f64 * p;
    let xf = x as f64;
    let two_sided = if xf == m || n == 0 {
        1.0
    } else {
        let threshold = binom_ln_pmf(x, n, p, q) + REL_ERR.ln();
        let as_unlikely = |i: u64| binom_ln_pmf(i, n, p, q) <= threshold;
        if xf < m {
            // Far side: i in [ceil(m), n], pmf non-increasing. First i that is as unlikely.
            let start = (m.ceil() as u64).min(n);
            match first_true(start, n, as_unlikely) {
                // ix >= ceil(m) >= 1 since m > x >= 0.
                Some(ix) => less + binom_sf(ix - 1, n, p, q),
                None => less,
            }
        } else {
            // Far side: i in [0, floor(m)], pmf non-decreasing. Last i that is as unlikely.
            let end = (m.floor() as u64).min(n);
            match last_true(0, end, as_unlikely) {
                Some(iy) => binom_cdf(iy, n, p, q) + greater,
                None => greater,
            }
        }
    };
    BinomTest {
        two_sided: two_sided.min(1.0),
        greater,
        less,
    }
}

/// Smallest i in [lo, hi] with `pred(i)`, for a predicate that is false then true.
fn first_true(lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi || !pred(hi) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi); // invariant: pred(hi)
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(hi)
}

/// Largest i in [lo, hi] with `pred(i)`, for a predicate that is true then false.
fn last_true(lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi || !pred(lo) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi); // invariant: pred(lo)
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if pred(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

/// The Clopper-Pearson ("exact") two-sided confidence interval of a binomial proportion at
/// level `conf` (0.95 for 95%), as R's `binom.test(x, n)$conf.int`: [0, 1] when n = 0.
pub fn clopper_pearson(x: u64, n: u64, conf: f64) -> (f64, f64) {
    if n == 0 || x > n {
        return (0.0, 1.0);
    }
    let alpha = (1.0 - conf) / 2.0;
    let lo = if x == 0 {
        0.0
    } else {
        beta_quantile(x as f64, (n - x + 1) as f64, alpha)
    };
    let hi = if x == n {
        1.0
    } else {
        beta_quantile((x + 1) as f64, (n - x) as f64, 1.0 - alpha)
    };
    (lo, hi)
}

// ---------------------------------------------------------------------------------------------
// Two Poisson rates.

/// A count and the exposure it was counted over (requests of its service, or minutes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counts {
    /// Events, e.g. records of one (service, code).
    pub count: u64,
    /// What the events are a rate of; must be > 0 to be compared.
    pub exposure: f64,
}

impl Counts {
    /// `count` events over `exposure`.
    pub fn new(count: u64, exposure: f64) -> Self {
        Counts { count, exposure }
    }

    /// count / exposure (NaN when the exposure is not positive).
    pub fn rate(&self) -> f64 {
        if self.exposure > 0.0 {
            self.count as f64 / self.exposure
        } else {
            f64::NAN
        }
    }
}

/// The comparison of an incident rate with a baseline rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateTest {
    /// (x1 / E1) / (x0 / E0), R's "rate ratio" estimate: +inf when x0 = 0 < x1, NaN when both
    /// counts are 0 or an exposure is not positive.
    pub ratio: f64,
    /// Lower end of the 95% (or `conf`) confidence interval of the ratio (0 when x1 = 0).
    pub ci_low: f64,
    /// Upper end (+inf when x0 = 0).
    pub ci_high: f64,
    /// Two-sided p-value of "the rates are equal".
    pub p_value: f64,
    /// One-sided p-value of "the incident rate is greater".
    pub p_greater: f64,
    /// One-sided p-value of "the incident rate is less".
    pub p_less: f64,
}

/// Did the rate change? The exact conditional test of two Poisson counts with exposures
/// (Przyborowski and Wilenski 1940), with the numbers R's
/// `poisson.test(c(x1, x0), c(E1, E0), conf.level = conf)` gives: x1 | x1 + x0 = n is
/// Binomial(n, E1 / (E0 + E1)) when the rates are equal; the p-values are [`binom_test`]'s,
/// the interval is the Clopper-Pearson interval [pl, pu] of that proportion mapped to ratios
/// by p / (1 - p) * E0 / E1.
///
/// Baseline first, as everywhere in this module (R's call has the incident first: x1, E1 are
/// the incident's count and exposure, x0, E0 the baseline's).
///
/// When the two counts are both 0 or an exposure is not positive there is nothing to test:
/// the p-values are 1, the ratio NaN, the interval [0, inf].
pub fn rate_test(baseline: Counts, incident: Counts, conf: f64) -> RateTest {
    let (x1, e1, x0, e0) = (
        incident.count,
        incident.exposure,
        baseline.count,
        baseline.exposure,
    );
    let untestable = RateTest {
        ratio: f64::NAN,
        ci_low: 0.0,
        ci_high: f64::INFINITY,
        p_value: 1.0,
        p_greater: 1.0,
        p_less: 1.0,
    };
    let n = match x1.checked_add(x0) {
        Some(n) if n > 0 => n,
        _ => return untestable,
    };
    if !(e1 > 0.0 && e0 > 0.0 && e1.is_finite() && e0.is_finite()) {
        return untestable;
    }
    let total = e1 + e0;
    let (p, q) = (e1 / total, e0 / total);
    let t = binom_test(x1, n, p, q);
    let (pl, pu) = clopper_pearson(x1, n, conf);
    let to_ratio = |pp: f64| {
        if pp >= 1.0 {
            f64::INFINITY
        } else {
            pp / (1.0 - pp) * e0 / e1
        }
    };
    RateTest {
        ratio: (x1 as f64 / e1) / (x0 as f64 / e0),
        ci_low: to_ratio(pl),
        ci_high: to_ratio(pu),
        p_value: t.two_sided,
        p_greater: t.greater,
        p_less: t.less,
    }
}

// ---------------------------------------------------------------------------------------------
// Multiple testing.

/// Benjamini-Hochberg adjusted p-values (q-values), as R's `p.adjust(p, method = "BH")`:
/// q_(i) = min over j >= i of min(1, m / j * p_(j)) in ascending order of p. NaN entries are
/// R's NA: they stay NaN and do not count in m. Flagging q <= alpha controls the expected
/// share of false discoveries among the flagged rows at alpha (independent or positively
/// dependent tests).
pub fn bh_adjust(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = order.len() as f64;
    // Descending p; ties keep input order (R's `order` is stable), which cannot change the
    // result since tied p-values end up with the same q.
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = f64::INFINITY;
    for (k, &i) in order.iter().enumerate() {
        let rank = m - k as f64; // position in ascending order, 1-based
        running = running.min(m / rank * p[i]);
        q[i] = running.min(1.0);
    }
    q
}

// ---------------------------------------------------------------------------------------------
// Latency.

/// The comparison of two duration distributions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyTest {
    /// Durations in the baseline.
    pub baseline_count: u64,
    /// Durations in the incident.
    pub incident_count: u64,
    /// Baseline p50 (microseconds, from the histogram).
    pub baseline_p50: u64,
    /// Incident p50.
    pub incident_p50: u64,
    /// Baseline p99.
    pub baseline_p99: u64,
    /// Incident p99.
    pub incident_p99: u64,
    /// incident p50 / baseline p50 (1 when both are 0, +inf when only the baseline's is).
    pub p50_ratio: f64,
    /// incident p99 / baseline p99.
    pub p99_ratio: f64,
    /// P(an incident duration > a baseline duration) + 1/2 P(equal), durations in the same
    /// histogram bucket counting as equal: 0.5 = no shift, 1 = every incident request slower
    /// than every baseline one. NaN when a side is empty.
    pub prob_superiority: f64,
    /// The normal score of the rank sum (positive: incident slower), continuity-corrected
    /// towards 0.
    pub z: f64,
    /// Two-sided p-value of "same distribution".
    pub p_value: f64,
    /// One-sided p-value of "incident durations are larger".
    pub p_greater: f64,
    /// One-sided p-value of "incident durations are smaller".
    pub p_less: f64,
}

fn quantile_ratio(incident: u64, baseline: u64) -> f64 {
    match (incident, baseline) {
        (0, 0) => 1.0,
        (_, 0) => f64::INFINITY,
        (i, b) => i as f64 / b as f64,
    }
}

/// Did latency change? The Mann-Whitney (Wilcoxon rank-sum) test of the incident durations
/// against the baseline ones, on the histograms' buckets, with the tie correction and the
/// normal approximation with continuity correction (R's `wilcox.test(correct = TRUE,
/// exact = FALSE)`, scipy's `mannwhitneyu(method="asymptotic")`).
///
/// Why this test: it needs only the bucket counts, so it costs O(buckets) whatever n is, and
/// the bucketing is a monotone coarsening, under which equal distributions stay equal, so
/// with the tie correction the test stays valid (its ties are the shared buckets). Its
/// effect, the probability of superiority, does not grow with n and reads directly ("an
/// incident request is slower than a baseline one 85% of the time"), and the sign gives the
/// direction, which a chi-square or G test on the buckets would not (those flag any change of
/// shape, and need sparse tail buckets pooled). For n in the millions the normal
/// approximation is essentially exact; for tiny samples (under ~10 a side) it is rough, which
/// is one reason [`Thresholds::latency_min_count`] exists. Requests are not independent
/// (bursts), so with huge n even harmless drifts are "significant": the verdict also asks for
/// a p50 or p99 ratio, see [`classify_latency`].
pub fn latency_test(baseline: &Histogram, incident: &Histogram) -> LatencyTest {
    let (n0, n1) = (baseline.count(), incident.count());
    let (b50, i50) = (baseline.quantile(500), incident.quantile(500));
    let (b99, i99) = (baseline.quantile(990), incident.quantile(990));
    let mut out = LatencyTest {
        baseline_count: n0,
        incident_count: n1,
        baseline_p50: b50,
        incident_p50: i50,
        baseline_p99: b99,
        incident_p99: i99,
        p50_ratio: quantile_ratio(i50, b50),
        p99_ratio: quantile_ratio(i99, b99),
        prob_superiority: f64::NAN,
        z: 0.0,
        p_value: 1.0,
        p_greater: 1.0,
        p_less: 1.0,
    };
    if n0 == 0 || n1 == 0 {
        return out;
    }
    // Merge-join the buckets on their index (both list them in increasing order of value, in
    // the same layout) and sum exactly in integers: 2 * R1 = sum c1 * (2 * below + t + 1),
    // ties = sum (t^3 - t).
    let mut a = baseline.buckets().peekable();
    let mut b = incident.buckets().peekable();
    // u128 cannot overflow: 2 R1 <= n1 (2N + 1) < 2^127 for N < 2^63. The tie sum can
    // (t^3), and needs no exactness, so it is summed in f64.
    let (mut below, mut twice_r1, mut ties) = (0u128, 0u128, 0f64);
    loop {
        let (c0, c1) = match (a.peek().copied(), b.peek().copied()) {
            (None, None) => break,
            (Some((_, c)), None) => {
                a.next();
                (c, 0)
            }
            (None, Some((_, c))) => {
                b.next();
                (0, c)
            }
            (Some((va, ca)), Some((vb, cb))) => match va.cmp(&vb) {
                std::cmp::Ordering::Less => {
                    a.next();
                    (ca, 0)
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                    (0, cb)
                }
                std::cmp::Ordering::Equal => {
                    a.next();
                    b.next();
                    (ca, cb)
                }
            },
        };
        let t = u128::from(c0) + u128::from(c1);
        twice_r1 += u128::from(c1) * (2 * below + t + 1);
        let tf = t as f64;
        ties += tf * tf * tf - tf;
        below += t;
    }
    let (n0f, n1f) = (n0 as f64, n1 as f64);
    let nf = n0f + n1f;
    // U1 = R1 - n1 (n1 + 1) / 2: the pairs (incident, baseline) with incident larger, ties 1/2.
    let twice_u1 = twice_r1 - u128::from(n1) * (u128::from(n1) + 1);
    let u1 = twice_u1 as f64 / 2.0;
    let pairs = n0f * n1f;
    let mu = pairs / 2.0;
    let var = pairs / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)));
    out.prob_superiority = u1 / pairs;
    if var.is_nan() || var <= 0.0 {
        // All durations in one bucket: no evidence either way.
        return out;
    }
    let sd = var.sqrt();
    let d = u1 - mu;
    // Continuity correction towards 0, as R and scipy.
    let z_of = |dev: f64| (dev - 0.5) / sd;
    out.z = if d > 0.0 {
        (d - 0.5).max(0.0) / sd
    } else {
        (d + 0.5).min(0.0) / sd
    };
    out.p_greater = normal_sf(z_of(d)).clamp(0.0, 1.0);
    out.p_less = normal_sf(z_of(-d)).clamp(0.0, 1.0);
    out.p_value = (2.0 * normal_sf(z_of(d.abs()))).min(1.0);
    out
}

// ---------------------------------------------------------------------------------------------
// Verdicts.

/// What happened to one row between the baseline and the incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Absent from the baseline, significantly present in the incident.
    New,
    /// Its rate rose significantly, by at least the minimum ratio.
    Rose,
    /// Its rate fell significantly, by at least the minimum ratio.
    Fell,
    /// Present in the baseline, absent from the incident, significantly.
    Gone,
    /// None of the above: no change, or too little evidence.
    Steady,
}

impl Verdict {
    /// The name used in output (`new`, `rose`, `fell`, `gone`, `steady`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::New => "new",
            Verdict::Rose => "rose",
            Verdict::Fell => "fell",
            Verdict::Gone => "gone",
            Verdict::Steady => "steady",
        }
    }
}

/// What happened to a latency distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyVerdict {
    /// Significantly slower, with p50 or p99 up by at least the minimum ratio.
    Slower,
    /// Significantly faster, with p50 or p99 down by at least the minimum ratio.
    Faster,
    /// Neither.
    Steady,
}

impl LatencyVerdict {
    /// The name used in output (`slower`, `faster`, `steady`).
    pub fn as_str(self) -> &'static str {
        match self {
            LatencyVerdict::Slower => "slower",
            LatencyVerdict::Faster => "faster",
            LatencyVerdict::Steady => "steady",
        }
    }
}

/// The guardrails of the verdicts. The defaults are chosen so that noise is not flagged:
///
/// - `alpha = 0.001` on BH q-values: when nothing changed, the chance that any row at all is
///   flagged is at most 0.1% (for BH with every null true, that is what controlling the false
///   discovery rate means), and when something did, at most 0.1% of the flagged rows are
///   expected to be false. 0.01 was tried first: over 120 seeds of the generator's incident,
///   one also flagged a noisy code (24 -> 2 records, q = 0.003) next to the three real
///   changes, since BH grows more lenient with every true discovery; at 0.001 none did
///   (`tests/diff_stats.rs`, `many_seeds_judged_exactly`). The cost is small: a code new in
///   the incident needs about 17 records instead of 14 among 50 rows with equal exposures.
/// - `min_ratio = 2`: logs are bursty, not Poisson, so with millions of records a 10% drift
///   is "significant" yet uninteresting; only a doubling (or halving) counts. This also keeps
///   the other codes of a service steady when one code takes a share of its requests (they
///   drop by that share, e.g. to 0.85x).
/// - `min_count = 10`: a rise needs at least 10 incident records (a fall, 10 baseline ones),
///   so a handful of records never makes a verdict however rare the code was.
/// - `zero_correction = 0.5`: when a side counts 0, 0.5 is added to both counts for the ratio
///   that is compared with `min_ratio` (and used to rank), so "0 -> 3" is a finite ratio of 7
///   (equal exposures) rather than infinity.
/// - `latency_min_ratio = 1.5`, `latency_min_count = 20`: see [`classify_latency`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Largest q-value that is significant.
    pub alpha: f64,
    /// Least count on the side that grew (incident for rises, baseline for falls).
    pub min_count: u64,
    /// Least rate ratio (>= 1) for a rise; its inverse for a fall.
    pub min_ratio: f64,
    /// Added to both counts for the ratio when one of them is 0.
    pub zero_correction: f64,
    /// Least p50 or p99 ratio (>= 1) for a latency change.
    pub latency_min_ratio: f64,
    /// Least durations on each side for a latency change.
    pub latency_min_count: u64,
    /// Confidence level of the ratio intervals.
    pub conf: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            alpha: 0.001,
            min_count: 10,
            min_ratio: 2.0,
            zero_correction: 0.5,
            latency_min_ratio: 1.5,
            latency_min_count: 20,
            conf: 0.95,
        }
    }
}

/// The rate ratio a verdict is judged by: (x1 / E1) / (x0 / E0), with `correction` added to
/// both counts when either is 0. NaN when an exposure is not positive or both counts are 0
/// with no correction.
pub fn corrected_ratio(baseline: Counts, incident: Counts, correction: f64) -> f64 {
    if !(incident.exposure > 0.0 && baseline.exposure > 0.0) {
        return f64::NAN;
    }
    let (mut x1, mut x0) = (incident.count as f64, baseline.count as f64);
    if incident.count == 0 || baseline.count == 0 {
        x1 += correction;
        x0 += correction;
    }
    (x1 / incident.exposure) / (x0 / baseline.exposure)
}

/// The verdict of one row from its counts and its q-value (from [`bh_adjust`] over all rows'
/// [`RateTest::p_value`]s). With r = [`corrected_ratio`]:
///
/// - `new`: baseline count 0, incident count >= `min_count`, r >= `min_ratio`, q <= `alpha`;
/// - `rose`: the same with a baseline count > 0;
/// - `gone`: incident count 0, baseline count >= `min_count`, r <= 1 / `min_ratio`,
///   q <= `alpha`;
/// - `fell`: the same with an incident count > 0;
/// - `steady` otherwise, and always when an exposure is not positive (a service absent from a
///   window has no rates to compare).
pub fn classify(baseline: Counts, incident: Counts, q: f64, t: &Thresholds) -> Verdict {
    let r = corrected_ratio(baseline, incident, t.zero_correction);
    if r.is_nan() || q.is_nan() || q > t.alpha {
        return Verdict::Steady;
    }
    if r >= t.min_ratio && incident.count >= t.min_count {
        if baseline.count == 0 {
            Verdict::New
        } else {
            Verdict::Rose
        }
    } else if r <= 1.0 / t.min_ratio && baseline.count >= t.min_count {
        if incident.count == 0 {
            Verdict::Gone
        } else {
            Verdict::Fell
        }
    } else {
        Verdict::Steady
    }
}

/// The latency verdict from a [`LatencyTest`] and its q-value (BH over the latency rows):
///
/// - `slower`: q <= `alpha`, at least `latency_min_count` durations on each side, the
///   incident stochastically larger (probability of superiority > 0.5), and its p50 or p99 at
///   least `latency_min_ratio` times the baseline's;
/// - `faster`: the mirror image (p50 or p99 at most 1 / `latency_min_ratio` times);
/// - `steady` otherwise.
///
/// The quantile ratio keeps "significant but tiny" shifts of huge samples out, and the test
/// keeps noisy p99s of small samples out.
pub fn classify_latency(test: &LatencyTest, q: f64, t: &Thresholds) -> LatencyVerdict {
    let enough =
        test.baseline_count >= t.latency_min_count && test.incident_count >= t.latency_min_count;
    if !enough || q.is_nan() || q > t.alpha || test.prob_superiority.is_nan() {
        return LatencyVerdict::Steady;
    }
    let up = t.latency_min_ratio;
    if test.prob_superiority > 0.5 && (test.p50_ratio >= up || test.p99_ratio >= up) {
        LatencyVerdict::Slower
    } else if test.prob_superiority < 0.5
        && (test.p50_ratio <= 1.0 / up || test.p99_ratio <= 1.0 / up)
    {
        LatencyVerdict::Faster
    } else {
        LatencyVerdict::Steady
    }
}

/// One row of a rate table, assessed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateAssessment {
    /// The test.
    pub test: RateTest,
    /// Its BH q-value among the table's rows.
    pub q: f64,
    /// The ratio the verdict was judged by ([`corrected_ratio`]); rank rows by it.
    pub effect: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Tests every (baseline, incident) row, adjusts the p-values across all of them (one BH
/// family) and classifies each: the whole rate side of `diff`, in input order.
pub fn assess_rates(rows: &[(Counts, Counts)], t: &Thresholds) -> Vec<RateAssessment> {
    let tests: Vec<RateTest> = rows
        .iter()
        .map(|&(base, inc)| rate_test(base, inc, t.conf))
        .collect();
    let p: Vec<f64> = tests.iter().map(|r| r.p_value).collect();
    let q = bh_adjust(&p);
    rows.iter()
        .zip(tests)
        .zip(q)
        .map(|((&(base, inc), test), q)| RateAssessment {
            test,
            q,
            effect: corrected_ratio(base, inc, t.zero_correction),
            verdict: classify(base, inc, q, t),
        })
        .collect()
}

/// One latency row, assessed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyAssessment {
    /// The test.
    pub test: LatencyTest,
    /// Its BH q-value among the latency rows.
    pub q: f64,
    /// The verdict.
    pub verdict: LatencyVerdict,
}

/// Tests every (baseline, incident) histogram pair, adjusts across them (a BH family of its
/// own, apart from the rates) and classifies each, in input order.
pub fn assess_latencies(
    rows: &[(&Histogram, &Histogram)],
    t: &Thresholds,
) -> Vec<LatencyAssessment> {
    let tests: Vec<LatencyTest> = rows.iter().map(|&(b, i)| latency_test(b, i)).collect();
    let p: Vec<f64> = tests.iter().map(|l| l.p_value).collect();
    let q = bh_adjust(&p);
    tests
        .into_iter()
        .zip(q)
        .map(|(test, q)| LatencyAssessment {
            verdict: classify_latency(&test, q, t),
            test,
            q,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Reference values come from `tests/reference/stats_reference.py` (its output pasted
    //! here): exact fractions for small binomial tests, mpmath at 40 digits for the special
    //! functions, scipy 1.17.1 (`binomtest`, `proportion_ci(method="exact")`, `beta.ppf`,
    //! `mannwhitneyu`, `false_discovery_control`) for the rest, cross-checked where both apply.

    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn close(got: f64, want: f64, rel: f64) {
        let ok = if want == 0.0 || !want.is_finite() {
            got == want || (want == 0.0 && got.abs() <= rel * 1e-300)
        } else {
            ((got - want) / want).abs() <= rel
        };
        assert!(ok, "got {got:e}, want {want:e} (rel {rel:e})");
    }

    #[test]
    fn ln_gamma_matches_mpmath() {
        // mpmath.loggamma at 40 digits.
        let cases = [
            (0.1, 2.252712651734206),
            (0.5, 0.5723649429247001),
            (1.5, -0.12078223763524522),
            (2.5, 0.2846828704729192),
            (7.0, 6.579251212010101),
            (10.3, 13.482036786138359),
            (123.456, 469.6055471299295),
            (100000.0, 1051287.7089736569),
            (1000000000.5, 19723265837.86535),
        ];
        for (x, want) in cases {
            close(ln_gamma(x), want, 1e-13);
        }
        assert!(ln_gamma(1.0).abs() < 1e-14 && ln_gamma(2.0).abs() < 1e-14);
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-3.0).is_nan());
    }

    #[test]
    fn binomial_log_pmf_matches_mpmath_up_to_1e9() {
        // log(binomial(n, k)) + k log p + (n - k) log(1 - p), mpmath at 40 digits.
        let cases = [
            (3, 10, 0.5, -2.1439800628174073),
            (0, 100, 0.01, -1.0050335853501442),
            (100, 100, 0.99, -1.005033585350145),
            (500000000, 1000000000, 0.5, -10.587424271367933),
            (500031623, 1000000000, 0.5, -12.587452528701276),
            (123456, 1000000000, 0.000125, -16.357139770670496),
            (17, 1000000000, 1e-08, -4.361126885238113),
        ];
        for (k, n, p, want) in cases {
            let got = binom_ln_pmf(k, n, p, 1.0 - p);
            assert!((got - want).abs() < 1e-11, "{k} {n} {p}: {got} vs {want}");
        }
        assert_eq!(binom_ln_pmf(11, 10, 0.5, 0.5), f64::NEG_INFINITY);
        assert_eq!(binom_ln_pmf(0, 10, 0.0, 1.0), 0.0);
        assert_eq!(binom_ln_pmf(10, 10, 1.0, 0.0), 0.0);
    }

    #[test]
    fn incomplete_beta_matches_mpmath() {
        // (a, b, x, I_x(a, b), 1 - I_x(a, b)): mpmath.betainc, or for a, b >= 1e4 the exact
        // binomial tail at 40 digits (see the script).
        let cases = [
            (2.0, 3.0, 0.4, 0.5248, 0.47519999999999996),
            (0.5, 0.5, 0.2, 0.2951672353008666, 0.7048327646991335),
            (10.0, 20.0, 0.6, 0.9984777778269129, 0.0015222221730871114),
            (101.0, 900.0, 0.08, 0.010145655895660351, 0.9898543441043397),
            (1e6, 1e6, 0.5005, 0.9213504224190753, 0.07864957758092467),
            (5e8, 5e8, 0.49999, 0.2635446284635489, 0.736455371536451),
            (30.0, 1e9, 2e-08, 0.021818223658057266, 0.9781817763419427),
        ];
        for (a, b, x, lower, upper) in cases {
            let t = beta_inc(a, b, x, 1.0 - x);
            // 1 - x is rounded once for 0.49999 and 0.5005 (the references used the double x).
            close(t.lower, lower, 1e-9);
            close(t.upper, upper, 1e-9);
        }
        let t = beta_inc(2.0, 3.0, 0.0, 1.0);
        assert_eq!((t.lower, t.upper), (0.0, 1.0));
        assert!(beta_inc(-1.0, 3.0, 0.5, 0.5).lower.is_nan());
        assert!(beta_inc(f64::INFINITY, 3.0, 0.5, 0.5).upper.is_nan());
        assert!(beta_quantile(f64::INFINITY, 3.0, 0.5).is_nan());
    }

    #[test]
    fn beta_quantile_matches_mpmath() {
        // (a, b, prob, x): mpmath root of I_x(a, b) = prob, checked with scipy.beta.ppf.
        let cases = [
            (1.0, 1.0, 0.3, 0.3),
            (3.0, 8.0, 0.025, 0.06673951117773447),
            (4.0, 7.0, 0.975, 0.6524528500599972),
            (0.5, 2.0, 0.9, 0.5318774334735805),
            (11.0, 22.0, 0.025, 0.18571909171656611),
            (12.0, 21.0, 0.975, 0.5319310362802686),
            (1.0, 1e9, 0.025, 2.5317807983969383e-11),
            (5e8, 5e8 + 1.0, 0.975, 0.5000309892515777),
            (200.0, 3.0, 1e-06, 0.9092142342406506),
        ];
        for (a, b, prob, want) in cases {
            close(beta_quantile(a, b, prob), want, 1e-11);
        }
        assert_eq!(beta_quantile(2.0, 3.0, 0.0), 0.0);
        assert_eq!(beta_quantile(2.0, 3.0, 1.0), 1.0);
        assert!(beta_quantile(2.0, 3.0, 1.5).is_nan());
    }

    #[test]
    fn binomial_test_matches_exact_fractions() {
        // (x, n, p = num/den, two-sided, greater, less): R's binom.test algorithm in exact
        // rational arithmetic (fractions + math.comb), equal to scipy.stats.binomtest.
        // (11, 32, 800/3811) is R's ?poisson.test example: p-value = 0.07967.
        let cases = [
            (3, 10, 1, 2, 0.34375, 0.9453125, 0.171875),
            (
                7,
                20,
                3,
                10,
                0.6294979666766777,
                0.391990187799076,
                0.7722717974181604,
            ),
            (0, 15, 1, 5, 0.053243179073536, 1.0, 0.035184372088832),
            (
                12,
                30,
                1,
                3,
                0.4429185301953034,
                0.2761356346903617,
                0.8339889721527189,
            ),
            (
                9,
                10,
                1,
                4,
                2.956390380859375e-05,
                2.956390380859375e-05,
                0.9999990463256836,
            ),
            (5, 40, 1, 8, 1.0, 0.5713052275421437, 0.6162214652831551),
            (
                11,
                32,
                800,
                3811,
                0.07966863303332947,
                0.05600865978769966,
                0.9759318232273121,
            ),
            (1, 2, 1, 2, 1.0, 0.75, 0.75),
            (
                60,
                100,
                1,
                2,
                0.05688793364098079,
                0.028443966820490395,
                0.9823998998911476,
            ),
        ];
        for (x, n, num, den, two, greater, less) in cases {
            let (p, q) = (num as f64 / den as f64, (den - num) as f64 / den as f64);
            let t = binom_test(x, n, p, q);
            close(t.two_sided, two, 1e-12);
            close(t.greater, greater, 1e-12);
            close(t.less, less, 1e-12);
        }
        assert!(binom_test(11, 10, 0.5, 0.5).two_sided.is_nan());
        assert_eq!(binom_test(0, 0, 0.5, 0.5).two_sided, 1.0);
    }

    #[test]
    fn rate_test_matches_r_poisson_test() {
        // poisson.test(c(x1, x0), c(E1, E0)): (x1, e1, x0, e0, p, greater, less, ratio, lo, hi)
        // from scipy.binomtest(x1, x1 + x0, e1 / (e1 + e0)) and its exact CI, mapped to ratios
        // as R does. The first row is R's documented example (p-value = 0.07967, 95% CI
        // 0.8584264 4.2772659, rate ratio 1.971488).
        let cases = [
            (
                11,
                800.0,
                21,
                3011.0,
                0.0796686330333295,
                0.05600865978769968,
                0.9759318232273121,
                1.9714880952380953,
                0.858426403391619,
                4.277265943654079,
            ),
            (
                10,
                1.0,
                2,
                1.0,
                0.03857421875,
                0.019287109375,
                0.996826171875,
                5.0,
                1.0655278434989743,
                46.93283545338377,
            ),
            (
                0,
                1000.0,
                9,
                1000.0,
                0.00390625,
                1.0,
                0.001953125,
                0.0,
                0.0,
                0.5066301902946676,
            ),
            (
                50,
                60.0,
                20,
                40.0,
                0.051664480171599164,
                0.03175577428345336,
                0.982631147816836,
                1.6666666666666667,
                0.974489061274375,
                2.9556238722652193,
            ),
            (
                15,
                4000.0,
                12,
                6000.0,
                0.11642098427213625,
                0.07432830020496137,
                0.9663030346417437,
                1.875,
                0.8193397834587586,
                4.386997744726329,
            ),
            (
                1500000,
                1e9,
                1000000,
                1e9,
                0.0,
                0.0,
                1.0,
                1.5,
                1.4962083333994551,
                1.5038017507907373,
            ),
            (
                100050,
                1e7,
                100000,
                1e7,
                0.912763416886337,
                0.4563817084431685,
                0.5453910786955886,
                1.0005,
                0.9917598839823205,
                1.0093171451337941,
            ),
            (
                503,
                3360.0,
                12,
                5040.0,
                9.687318561725857e-180,
                9.687318561725857e-180,
                1.0,
                62.87499999999999,
                35.676462494465994,
                122.50203874032655,
            ),
            (
                500031623,
                1e9,
                499968377,
                1e9,
                0.04550215289301469,
                0.022751076446507344,
                0.977252338145718,
                1.000126500000619,
                1.0000025309967724,
                1.000250484372975,
            ),
            (
                499990000,
                1e9,
                500010000,
                1.00001e9,
                0.6352562961758385,
                0.6823834070430455,
                0.3176391395945248,
                0.9999700003999921,
                0.9998460507947767,
                1.0000939653707177,
            ),
            (
                120,
                1e6,
                80,
                2e6,
                1.3736292672113715e-14,
                1.1145972224757366e-14,
                0.9999999999999963,
                3.0,
                2.2421024976913007,
                4.03234063766954,
            ),
            (
                1000000000,
                1e9,
                1000040000,
                1e9,
                0.37111011264946187,
                0.8144569029938932,
                0.18555505632473093,
                0.9999600015999359,
                0.9998723565695268,
                1.0000476543129397,
            ),
            (
                3000000000,
                1e9,
                3000100000,
                1e9,
                0.19671380967158253,
                0.9016475718299108,
                0.09835690483579126,
                0.9999666677777407,
                0.9999160647808633,
                1.000017273334646,
            ),
        ];
        for (x1, e1, x0, e0, p, greater, less, ratio, lo, hi) in cases {
            let t = rate_test(Counts::new(x0, e0), Counts::new(x1, e1), 0.95);
            close(t.p_value, p, 1e-9);
            close(t.p_greater, greater, 1e-9);
            close(t.p_less, less, 1e-9);
            close(t.ratio, ratio, 1e-12);
            close(t.ci_low, lo, 1e-9);
            close(t.ci_high, hi, 1e-9);
        }
    }

    #[test]
    fn rate_test_edges() {
        let t = rate_test(Counts::new(0, 10.0), Counts::new(0, 10.0), 0.95);
        assert_eq!((t.p_value, t.p_greater, t.p_less), (1.0, 1.0, 1.0));
        assert!(t.ratio.is_nan());
        let t = rate_test(Counts::new(3, 10.0), Counts::new(5, 0.0), 0.95);
        assert_eq!(t.p_value, 1.0);
        let t = rate_test(Counts::new(0, 10.0), Counts::new(7, 10.0), 0.95);
        assert_eq!((t.ratio, t.ci_high), (f64::INFINITY, f64::INFINITY));
        // 7 of 7 at p = 1/2: two-sided 2 / 128.
        close(t.p_value, 2.0 / 128.0, 1e-13);
        let t = rate_test(Counts::new(1, 1.0), Counts::new(u64::MAX, 1.0), 0.95);
        assert!(t.ratio.is_nan(), "overflowing n is untestable, not a crash");
        // Counts near the top of u64 still get an answer.
        let big = 1u64 << 62;
        let t = rate_test(
            Counts::new(big + (1 << 40), 1.0),
            Counts::new(big, 1.0),
            0.95,
        );
        assert!(t.p_less < 1e-10 && t.ratio < 1.0 && t.ci_high < 1.0);
    }

    #[test]
    fn bh_matches_r_p_adjust() {
        // R's p.adjust(p, "BH") written out in Python, equal to
        // scipy.stats.false_discovery_control(p, method="bh").
        let cases: [(&[f64], &[f64]); 3] = [
            (
                &[0.01, 0.04, 0.03, 0.005, 0.5, 0.2],
                &[0.03, 0.06, 0.06, 0.03, 0.5, 0.24],
            ),
            (
                &[0.001, 0.001, 0.02, 0.9],
                &[0.002, 0.002, 0.026666666666666665, 0.9],
            ),
            (
                &[1e-10, 0.049, 0.051, 0.3, 0.04, 0.7, 0.011],
                &[
                    7.000000000000001e-10,
                    0.0714,
                    0.0714,
                    0.35,
                    0.0714,
                    0.7,
                    0.0385,
                ],
            ),
        ];
        for (p, want) in cases {
            let q = bh_adjust(p);
            for (&g, &w) in q.iter().zip(want) {
                close(g, w, 1e-14);
            }
        }
        // NaN is NA: kept, and not counted in m.
        let q = bh_adjust(&[0.01, f64::NAN, 0.02]);
        assert!(q[1].is_nan());
        close(q[0], 0.02, 1e-15);
        close(q[2], 0.02, 1e-15);
        assert!(bh_adjust(&[]).is_empty());
        assert_eq!(bh_adjust(&[0.9, 0.95]), vec![0.95, 0.95]);
    }

    /// The integer sequence of the reference script's `lcg`.
    fn lcg(seed: u64, count: usize, modulo: u64, scale: u64, offset: u64) -> Vec<u64> {
        let mut x = seed;
        (0..count)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                offset + scale * ((x >> 33) % modulo)
            })
            .collect()
    }

    fn hist(values: &[u64]) -> Histogram {
        let mut h = Histogram::default();
        for &v in values {
            h.record(v);
        }
        h
    }

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu(incident, baseline, method="asymptotic",
        // use_continuity=True) on the values bucketed as src/histogram.rs does:
        // (p two-sided, p greater, p less, U1 / (n0 n1)).
        type Side = (u64, usize, u64, u64, u64);
        let small: [(&[u64], &[u64], [f64; 4]); 2] = [
            (
                &[5, 5, 7, 9, 9, 9, 12, 200],
                &[6, 9, 9, 13, 14, 250, 250],
                [
                    0.13997751525845467,
                    0.06998875762922734,
                    0.9445257943760994,
                    0.7321428571428571,
                ],
            ),
            (
                &[1, 2, 3, 4, 5],
                &[3, 4, 5, 6, 7, 8],
                [
                    0.066015431521231,
                    0.0330077157606155,
                    0.9784196103697714,
                    0.85,
                ],
            ),
        ];
        let lcgs: [(Side, Side, [f64; 4]); 4] = [
            (
                (1, 300, 60000, 1, 2000),
                (2, 200, 60000, 3, 6000),
                [1.5298604678426856e-48, 7.649302339213428e-49, 1.0, 0.886225],
            ),
            (
                (3, 500, 40000, 1, 100),
                (4, 400, 40000, 1, 100),
                [
                    0.9539038847764951,
                    0.47695194238824756,
                    0.523150835406105,
                    0.5011225,
                ],
            ),
            (
                (5, 1000, 200, 1, 0),
                (6, 800, 190, 1, 0),
                [
                    0.15610976320772177,
                    0.9219584347125532,
                    0.07805488160386088,
                    0.48057375,
                ],
            ),
            (
                (7, 2000, 1 << 20, 7, 1000),
                (8, 1500, 1 << 20, 7, 1400),
                [
                    0.9749761763459364,
                    0.5125253900620161,
                    0.4874880881729682,
                    0.4996905,
                ],
            ),
        ];
        let mut all: Vec<(Vec<u64>, Vec<u64>, [f64; 4])> = small
            .iter()
            .map(|(b, i, w)| (b.to_vec(), i.to_vec(), *w))
            .collect();
        for (b, i, w) in lcgs {
            all.push((
                lcg(b.0, b.1, b.2, b.3, b.4),
                lcg(i.0, i.1, i.2, i.3, i.4),
                w,
            ));
        }
        for (base, inc, [two, greater, less, ps]) in all {
            let t = latency_test(&hist(&base), &hist(&inc));
            close(t.p_value, two, 1e-9);
            close(t.p_greater, greater, 1e-9);
            close(t.p_less, less, 1e-9);
            close(t.prob_superiority, ps, 1e-12);
        }
    }

    #[test]
    fn latency_test_effects_and_edges() {
        let base = lcg(1, 300, 60000, 1, 2000);
        let inc: Vec<u64> = base.iter().map(|v| v * 3).collect();
        let t = latency_test(&hist(&base), &hist(&inc));
        // Quantiles are bucket lower bounds, so the ratio is 3 within 1/128.
        assert!((t.p50_ratio - 3.0).abs() < 0.03, "{}", t.p50_ratio);
        assert!((t.p99_ratio - 3.0).abs() < 0.03, "{}", t.p99_ratio);
        assert!(t.prob_superiority > 0.8 && t.z > 10.0 && t.p_greater < 1e-30);
        let same = latency_test(&hist(&base), &hist(&base));
        assert_eq!((same.p_value, same.prob_superiority), (1.0, 0.5));
        let empty = latency_test(&Histogram::default(), &hist(&base));
        assert_eq!(empty.p_value, 1.0);
        assert!(empty.prob_superiority.is_nan());
        // One bucket on both sides: no variance, no evidence.
        let flat = latency_test(&hist(&[7, 7, 7]), &hist(&[7, 7]));
        assert_eq!((flat.p_value, flat.prob_superiority), (1.0, 0.5));
    }

    #[test]
    fn latency_test_is_cheap_for_huge_counts() {
        // Two histograms of a billion durations each: the test runs over buckets, and the
        // exact integer rank sum must not overflow.
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for v in [1000u64, 2000, 4000, 8000, 16000] {
            for _ in 0..2 {
                a.record(v);
                b.record(v + v / 10);
            }
        }
        // Doubling 27 times: 10 * 2^27 = 1.34e9 durations a side.
        for _ in 0..27 {
            let (a2, b2) = (a.clone(), b.clone());
            a += &a2;
            b += &b2;
        }
        let (big_a, big_b) = (a, b);
        assert!(big_a.count() > 1_000_000_000);
        let t = latency_test(&big_a, &big_b);
        assert!(t.p_greater < 1e-100 && t.prob_superiority > 0.5);
        assert!((t.p50_ratio - 1.1).abs() < 0.02);
    }

    #[test]
    fn verdict_rules() {
        let t = Thresholds::default();
        let c = Counts::new;
        // new: from 0 to 40 (corrected ratio 81), significant.
        assert_eq!(classify(c(0, 1e4), c(40, 1e4), 1e-6, &t), Verdict::New);
        assert_eq!(classify(c(10, 1e4), c(40, 1e4), 1e-4, &t), Verdict::Rose);
        assert_eq!(classify(c(40, 1e4), c(10, 1e4), 1e-4, &t), Verdict::Fell);
        assert_eq!(classify(c(40, 1e4), c(0, 1e4), 1e-6, &t), Verdict::Gone);
        // Not significant enough.
        assert_eq!(classify(c(10, 1e4), c(40, 1e4), 0.02, &t), Verdict::Steady);
        // Significant but too small a change (1.5x).
        assert_eq!(
            classify(c(1000, 1e4), c(1500, 1e4), 1e-20, &t),
            Verdict::Steady
        );
        // Too few incident records for a rise, too few baseline ones for a fall.
        assert_eq!(classify(c(0, 1e4), c(9, 1e4), 1e-3, &t), Verdict::Steady);
        assert_eq!(classify(c(9, 1e4), c(0, 1e4), 1e-3, &t), Verdict::Steady);
        // Exposures matter: the same counts over twice the incident exposure are steady.
        assert_eq!(classify(c(10, 1e4), c(20, 2e4), 1e-9, &t), Verdict::Steady);
        // A service absent from one window is not compared.
        assert_eq!(classify(c(0, 0.0), c(50, 1e4), 0.0, &t), Verdict::Steady);
        assert_eq!(
            classify(c(5, 1e4), c(50, 1e4), f64::NAN, &t),
            Verdict::Steady
        );
        close(corrected_ratio(c(0, 1.0), c(3, 1.0), 0.5), 7.0, 1e-15);
        close(corrected_ratio(c(6, 1.0), c(3, 2.0), 0.5), 0.25, 1e-15);
        assert_eq!(Verdict::Rose.as_str(), "rose");
        assert_eq!(
            serde_json::to_string(&Verdict::Gone).ok().as_deref(),
            Some("\"gone\"")
        );
    }

    #[test]
    fn latency_verdict_rules() {
        let t = Thresholds::default();
        let base = hist(&lcg(1, 300, 60000, 1, 2000));
        let slow = hist(&lcg(2, 200, 60000, 3, 6000));
        let test = latency_test(&base, &slow);
        assert_eq!(
            classify_latency(&test, test.p_value, &t),
            LatencyVerdict::Slower
        );
        let back = latency_test(&slow, &base);
        assert_eq!(
            classify_latency(&back, back.p_value, &t),
            LatencyVerdict::Faster
        );
        assert_eq!(classify_latency(&test, 0.5, &t), LatencyVerdict::Steady);
        // Significant but a small shift (10%): steady.
        let a = hist(&lcg(7, 20000, 1 << 16, 1, 10000));
        let b: Vec<u64> = lcg(8, 20000, 1 << 16, 1, 10000)
            .iter()
            .map(|v| v + v / 10)
            .collect();
        let small = latency_test(&a, &hist(&b));
        assert!(small.p_value < 1e-10);
        assert_eq!(
            classify_latency(&small, small.p_value, &t),
            LatencyVerdict::Steady
        );
        // Too few durations.
        let few = latency_test(&hist(&[10, 11, 12]), &hist(&[100, 110, 120]));
        assert_eq!(classify_latency(&few, 0.0, &t), LatencyVerdict::Steady);
    }

    /// xorshift64*, for the null simulation.
    struct Xs(u64);
    impl Xs {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn pure_noise_is_not_flagged_at_the_defaults() {
        // 200 tables of 40 rows where nothing changed: each row's n = x1 + x0 records are
        // split between the windows by Bernoulli(E1 / (E0 + E1)) draws, which is the null
        // hypothesis exactly. BH at q <= 0.001 bounds the chance of any flag in a table at 0.1%;
        // the discrete test and the guardrails make it smaller still.
        let t = Thresholds::default();
        let mut rng = Xs(0x9e37_79b9_7f4a_7c15);
        let mut flagged_tables = 0;
        for _ in 0..200 {
            let (e0, e1) = (6000.0, 4000.0);
            let rows: Vec<(Counts, Counts)> = (0..40)
                .map(|_| {
                    // n from 0 to ~2000, mostly small (rare codes), like a code table.
                    let n = (rng.unit().powi(3) * 2000.0) as u64;
                    let x1 = (0..n).filter(|_| rng.unit() < e1 / (e0 + e1)).count() as u64;
                    (Counts::new(n - x1, e0), Counts::new(x1, e1))
                })
                .collect();
            let a = assess_rates(&rows, &t);
            if a.iter().any(|r| r.verdict != Verdict::Steady) {
                flagged_tables += 1;
            }
        }
        assert!(
            flagged_tables <= 2,
            "{flagged_tables} of 200 null tables flagged"
        );
    }

    #[test]
    fn assess_rates_ranks_the_real_change() {
        let t = Thresholds::default();
        let c = Counts::new;
        let rows = [
            (c(12, 5040.0), c(503, 3360.0)), // the incident
            (c(50, 5040.0), c(30, 3360.0)),  // noise
            (c(0, 5040.0), c(0, 3360.0)),    // nothing
        ];
        let a = assess_rates(&rows, &t);
        assert_eq!(a[0].verdict, Verdict::Rose);
        assert!(a[0].q < 1e-100 && a[0].effect > 60.0);
        assert_eq!(
            (a[1].verdict, a[2].verdict),
            (Verdict::Steady, Verdict::Steady)
        );
        assert_eq!(a[2].q, 1.0);
    }

    /// R's two-sided rule by brute-force enumeration, for checking the binary search.
    fn brute_two_sided(x: u64, n: u64, p: f64) -> f64 {
        let q = 1.0 - p;
        let d = |i: u64| binom_ln_pmf(i, n, p, q).exp();
        let dx = d(x) * REL_ERR;
        let m = n as f64 * p;
        if x as f64 == m {
            return 1.0;
        }
        let total: f64 = (0..=n).filter(|&i| d(i) <= dx).map(d).sum();
        total.min(1.0)
    }

    proptest! {
        #[test]
        fn two_sided_equals_enumeration(n in 0u64..80, xr in 0.0f64..=1.0, p in 0.01f64..0.99) {
            let x = ((n as f64) * xr).round() as u64;
            let t = binom_test(x, n, p, 1.0 - p);
            let want = brute_two_sided(x, n, p);
            prop_assert!((t.two_sided - want).abs() <= 1e-9 * want.max(1e-300),
                "{} {} {}: {} vs {}", x, n, p, t.two_sided, want);
            prop_assert!(t.two_sided >= t.greater.min(t.less) - 1e-12);
        }

        #[test]
        fn swapping_windows_mirrors_the_test(x1 in 0u64..5000, x0 in 0u64..5000,
                                             e1 in 1.0f64..1e6, e0 in 1.0f64..1e6) {
            prop_assume!(x1 + x0 > 0);
            let a = rate_test(Counts::new(x0, e0), Counts::new(x1, e1), 0.95);
            let b = rate_test(Counts::new(x1, e1), Counts::new(x0, e0), 0.95);
            let near = |u: f64, v: f64| (u == v) || ((u - v) / v).abs() < 1e-8
                || (u - v).abs() < 1e-300;
            prop_assert!(near(a.p_greater, b.p_less), "{} {}", a.p_greater, b.p_less);
            prop_assert!(near(a.p_less, b.p_greater));
            prop_assert!(near(a.p_value, b.p_value), "{} {}", a.p_value, b.p_value);
            prop_assert!(near(a.ratio, 1.0 / b.ratio));
            prop_assert!(near(a.ci_low, 1.0 / b.ci_high), "{} {}", a.ci_low, b.ci_high);
            prop_assert!(near(a.ci_high, 1.0 / b.ci_low));
            prop_assert!(a.ci_low <= a.ratio && a.ratio <= a.ci_high);
            let t = Thresholds::default();
            let (va, vb) = (classify(Counts::new(x0, e0), Counts::new(x1, e1), 0.0, &t),
                            classify(Counts::new(x1, e1), Counts::new(x0, e0), 0.0, &t));
            let mirror = match va {
                Verdict::New => Verdict::Gone,
                Verdict::Gone => Verdict::New,
                Verdict::Rose => Verdict::Fell,
                Verdict::Fell => Verdict::Rose,
                Verdict::Steady => Verdict::Steady,
            };
            prop_assert_eq!(vb, mirror);
        }

        #[test]
        fn rate_test_is_total(x1 in 0u64..1_000_000_000_000, x0 in 0u64..1_000_000_000_000,
                              e1 in prop::num::f64::ANY, e0 in prop::num::f64::ANY) {
            // Any counts and exposures (NaN, infinite, negative included): an answer, fast.
            let r = rate_test(Counts::new(x0, e0), Counts::new(x1, e1), 0.95);
            for p in [r.p_value, r.p_greater, r.p_less] {
                prop_assert!((0.0..=1.0).contains(&p), "{:?}", r);
            }
            prop_assert!(r.ci_low.is_nan() || r.ci_high.is_nan() || r.ci_low <= r.ci_high, "{:?}", r);
        }

        #[test]
        fn identical_windows_are_steady(x in 0u64..1_000_000, e in 1.0f64..1e9) {
            let r = rate_test(Counts::new(x, e), Counts::new(x, e), 0.95);
            prop_assert_eq!(r.p_value, 1.0);
            if x > 0 {
                prop_assert!((r.ratio - 1.0).abs() < 1e-15);
                prop_assert!(r.ci_low <= 1.0 && r.ci_high >= 1.0);
            }
            let q = bh_adjust(&[r.p_value]);
            prop_assert_eq!(classify(Counts::new(x, e), Counts::new(x, e), q[0],
                                     &Thresholds::default()), Verdict::Steady);
        }

        #[test]
        fn beta_quantile_inverts_beta_inc(a in 0.5f64..1e6, b in 0.5f64..1e6,
                                          prob in 1e-9f64..(1.0 - 1e-9)) {
            let x = beta_quantile(a, b, prob);
            let t = beta_inc(a, b, x, 1.0 - x);
            let (got, want) = if prob > 0.5 { (t.upper, 1.0 - prob) } else { (t.lower, prob) };
            // The density can be so steep that x's rounding alone moves the tail by more
            // than 1e-9; then check that the neighbouring doubles bracket the target.
            if ((got - want) / want).abs() > 1e-9 {
                let lo = beta_inc(a, b, x * (1.0 - 1e-15), 1.0 - x * (1.0 - 1e-15));
                let hi = beta_inc(a, b, x * (1.0 + 1e-15), 1.0 - x * (1.0 + 1e-15));
                prop_assert!(lo.lower <= prob * (1.0 + 1e-9) && hi.lower >= prob * (1.0 - 1e-9),
                    "a {} b {} prob {} x {} got {}", a, b, prob, x, got);
            }
        }

        #[test]
        fn latency_swap_mirrors(a in prop::collection::vec(1u64..1_000_000, 1..200),
                                b in prop::collection::vec(1u64..1_000_000, 1..200)) {
            let x = latency_test(&hist(&a), &hist(&b));
            let y = latency_test(&hist(&b), &hist(&a));
            prop_assert!((x.p_greater - y.p_less).abs() < 1e-12);
            prop_assert!((x.p_value - y.p_value).abs() < 1e-12);
            prop_assert!((x.prob_superiority + y.prob_superiority - 1.0).abs() < 1e-12);
        }
    }
}
