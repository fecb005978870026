#!/usr/bin/env python3
"""Reference values for the unit tests of src/stats.rs, computed independently of it.

Each block prints Rust tuples that are pasted into the tests (src/stats.rs, `mod tests`):

- exact small cases with fractions.Fraction and math.comb (the binomial pmf is rational when p
  is), following R's binom.test algorithm line by line, relative tolerance 1 + 1e-7 included;
- special functions at 40 digits with mpmath (log-gamma, binomial log-pmf at n = 1e9,
  regularized incomplete beta, beta quantiles by root finding);
- large cases and the Mann-Whitney test with scipy (binomtest, beta.ppf, mannwhitneyu,
  false_discovery_control), cross-checked against mpmath where both apply.

Run: python3 -m venv /tmp/statsref && /tmp/statsref/bin/pip install scipy mpmath
     /tmp/statsref/bin/python tests/reference/stats_reference.py
"""

from fractions import Fraction
from math import comb

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

mp.mp.dps = 40


def exact_binom_test(x, n, p):
    """R's binom.test p-values with exact rational arithmetic (p a Fraction)."""
    d = [comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    rel = Fraction(1) + Fraction(1, 10**7)
    m = n * p
    less = sum(d[: x + 1])
    greater = sum(d[x:])
    if x == m:
        two = Fraction(1)
    elif x < m:
        y = sum(1 for i in range(-(-m.numerator // m.denominator), n + 1) if d[i] <= d[x] * rel)
        two = less + sum(d[n - y + 1 :])
    else:
        y = sum(1 for i in range(0, m.numerator // m.denominator + 1) if d[i] <= d[x] * rel)
        two = sum(d[:y]) + greater
    return min(two, Fraction(1)), greater, less


def betainc(a, b, x):
    """I_x(a, b) at 40 digits. mpmath's betainc is slow for huge a, b; for integer a, b use
    I_x(a, b) = P(Binomial(a + b - 1, x) >= a), summing the smaller tail term by term (exact
    pmf recurrence) until the terms no longer matter."""
    if a < 1e4 and b < 1e4:
        return mp.betainc(a, b, 0, x, regularized=True)
    assert a == int(a) and b == int(b)
    a, b = int(a), int(b)
    n = a + b - 1
    x = mp.mpf(x)
    mean = n * x
    if a > mean:  # upper tail P(X >= a) is the small one
        k, step, stop = a, 1, n + 1
    else:  # lower tail P(X <= a - 1)
        k, step, stop = a - 1, -1, -1
    term = mp.exp(mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1)
                  + k * mp.log(x) + (n - k) * mp.log(1 - x))
    total = mp.mpf(0)
    while k != stop:
        total += term
        if term < total * mp.mpf(10) ** -42:
            break
        if step == 1:
            term *= mp.mpf(n - k) / (k + 1) * x / (1 - x)
        else:
            term *= mp.mpf(k) / (n - k + 1) * (1 - x) / x
        k += step
    return total if a > mean else 1 - total


def f(v):
    """A float literal that Rust reads back to the same double."""
    return repr(float(v))


print("// exact binom.test: (x, n, p_num, p_den, two_sided, greater, less)")
for x, n, p in [
    (3, 10, Fraction(1, 2)),
    (7, 20, Fraction(3, 10)),
    (0, 15, Fraction(1, 5)),
    (12, 30, Fraction(1, 3)),
    (9, 10, Fraction(1, 4)),
    (5, 40, Fraction(1, 8)),
    (11, 32, Fraction(800, 3811)),
    (1, 2, Fraction(1, 2)),
    (60, 100, Fraction(1, 2)),
]:
    two, gr, le = exact_binom_test(x, n, p)
    print(f"({x}, {n}, {p.numerator}, {p.denominator}, {f(two)}, {f(gr)}, {f(le)}),")
    # scipy implements the same R rule: confirm.
    st = stats.binomtest(x, n, float(p))
    assert abs(st.pvalue - float(two)) <= 1e-12 * max(1e-300, float(two)) + 1e-15, (x, n, p)

print("\n// ln_gamma: (x, ln Gamma(x)) by mpmath")
for x in [0.1, 0.5, 1.0, 1.5, 2.5, 7.0, 10.3, 123.456, 1e5, 1e9 + 0.5]:
    print(f"({f(x)}, {f(mp.loggamma(mp.mpf(x)))}),")

print("\n// binom_ln_pmf: (k, n, p, ln P(X = k)) by mpmath")
for k, n, p in [
    (3, 10, 0.5),
    (0, 100, 0.01),
    (100, 100, 0.99),
    (500_000_000, 1_000_000_000, 0.5),
    (500_031_623, 1_000_000_000, 0.5),
    (123_456, 1_000_000_000, 1.25e-4),
    (17, 1_000_000_000, 1e-8),
]:
    P = mp.mpf(p)
    v = mp.log(mp.binomial(n, k)) + k * mp.log(P) + (n - k) * mp.log(1 - P)
    print(f"({k}, {n}, {f(p)}, {f(v)}),")

print("\n// beta_inc: (a, b, x, I_x(a, b), 1 - I_x(a, b)) by mpmath")
for a, b, x in [
    (2.0, 3.0, 0.4),
    (0.5, 0.5, 0.2),
    (10.0, 20.0, 0.6),
    (101.0, 900.0, 0.08),
    (1e6, 1e6, 0.5005),
    (5e8, 5e8, 0.49999),
    (30.0, 1e9, 2e-8),
]:
    lo = betainc(a, b, x)
    print(f"({f(a)}, {f(b)}, {f(x)}, {f(lo)}, {f(1 - lo)}),")

print("\n// beta_quantile: (a, b, prob, x) by mpmath root finding, checked with scipy.beta.ppf")
for a, b, pr in [
    (1.0, 1.0, 0.3),
    (3.0, 8.0, 0.025),
    (4.0, 7.0, 0.975),
    (0.5, 2.0, 0.9),
    (11.0, 22.0, 0.025),
    (12.0, 21.0, 0.975),
    (1.0, 1e9, 0.025),
    (5e8, 5e8 + 1.0, 0.975),
    (200.0, 3.0, 1e-6),
]:
    sp = stats.beta.ppf(pr, a, b)
    g = lambda t: betainc(a, b, t) - pr
    bracket = (mp.mpf(sp) * (1 - mp.mpf(10) ** -7), mp.mpf(sp) * (1 + mp.mpf(10) ** -7))
    root = mp.findroot(g, bracket, solver="illinois", tol=mp.mpf(10) ** -60)
    assert abs(root - sp) <= 1e-9 * root, (a, b, pr, root, sp)
    print(f"({f(a)}, {f(b)}, {f(pr)}, {f(root)}),")

print("\n// poisson.test(c(x1, x0), c(E1, E0)): (x1, e1, x0, e0, p, greater, less, ratio, lo, hi)")
print("// by scipy.binomtest (p, CI via proportion_ci('exact')) and the R formulas")
for x1, e1, x0, e0 in [
    (11, 800.0, 21, 3011.0),  # R's ?poisson.test example: p = 0.07967, CI 0.8584 4.2773
    (10, 1.0, 2, 1.0),
    (0, 1000.0, 9, 1000.0),
    (50, 60.0, 20, 40.0),
    (15, 4000.0, 12, 6000.0),
    (1_500_000, 1e9, 1_000_000, 1e9),
    (100_050, 1e7, 100_000, 1e7),
    (503, 3360.0, 12, 5040.0),
    (500_031_623, 1e9, 499_968_377, 1e9),
    (499_990_000, 1e9, 500_010_000, 1.00001e9),
    (120, 1e6, 80, 2e6),
    (1_000_000_000, 1e9, 1_000_040_000, 1e9),
    (3_000_000_000, 1e9, 3_000_100_000, 1e9),
]:
    n = x1 + x0
    p = e1 / (e1 + e0)
    t = stats.binomtest(x1, n, p)
    g = stats.binomtest(x1, n, p, alternative="greater").pvalue
    le = stats.binomtest(x1, n, p, alternative="less").pvalue
    ci = t.proportion_ci(confidence_level=0.95, method="exact")
    ratio = (x1 / e1) / (x0 / e0) if x0 > 0 else float("inf")
    lo = ci.low / (1 - ci.low) * e0 / e1
    hi = ci.high / (1 - ci.high) * e0 / e1 if ci.high < 1 else float("inf")
    print(
        f"({x1}, {f(e1)}, {x0}, {f(e0)}, {f(t.pvalue)}, {f(g)}, {f(le)}, "
        f"{f(ratio)}, {f(lo)}, {f(hi)}),"
    )


def r_bh(p):
    """R's p.adjust(p, 'BH'), written out from its source."""
    n = len(p)
    o = sorted(range(n), key=lambda i: -p[i])
    out = [0.0] * n
    run = float("inf")
    for k, i in enumerate(o):
        rank = n - k
        run = min(run, n / rank * p[i])
        out[i] = min(1.0, run)
    return out


print("\n// p.adjust(BH): (p, q) by the R algorithm, checked with scipy.false_discovery_control")
for ps in [
    [0.01, 0.04, 0.03, 0.005, 0.5, 0.2],
    [0.001, 0.001, 0.02, 0.9],
    [1e-10, 0.049, 0.051, 0.3, 0.04, 0.7, 0.011],
]:
    q = r_bh(ps)
    sc = stats.false_discovery_control(ps, method="bh")
    assert np.allclose(q, sc, rtol=1e-14), (q, sc)
    print(f"(&{[float(v) for v in ps]}, &{[float(v) for v in q]}),")


def bucket(v):
    """src/histogram.rs's bucket lower bound of v."""
    if v < 256:
        return v
    m = v.bit_length() - 1
    shift = m - 7
    return (v >> shift) << shift


def lcg(seed, count, modulo, scale, offset):
    """Integer sequence that the Rust test rebuilds exactly: x <- (x * 6364136223846793005 +
    1442695040888963407) mod 2^64, value = offset + scale * ((x >> 33) % modulo)."""
    out, x = [], seed
    for _ in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(offset + scale * ((x >> 33) % modulo))
    return out


print("\n// Mann-Whitney on bucketed values: (baseline, incident, p_two, p_greater, p_less, PS)")
print("// by scipy.mannwhitneyu(incident, baseline, method='asymptotic', use_continuity=True)")
print("// small: the literal lists; lcg: (seed, count, modulo, scale, offset) for each side")
small = [
    ([5, 5, 7, 9, 9, 9, 12, 200], [6, 9, 9, 13, 14, 250, 250]),
    ([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]),
]
lcgs = [
    ((1, 300, 60000, 1, 2000), (2, 200, 60000, 3, 6000)),  # incident 3x slower
    ((3, 500, 40000, 1, 100), (4, 400, 40000, 1, 100)),  # same distribution
    ((5, 1000, 200, 1, 0), (6, 800, 190, 1, 0)),  # small values, many exact ties
    ((7, 2000, 1 << 20, 7, 1000), (8, 1500, 1 << 20, 7, 1400)),  # slight shift, wide buckets
]
for base, inc in small + [(lcg(*a), lcg(*b)) for a, b in lcgs]:
    b = [bucket(int(v)) for v in base]
    i = [bucket(int(v)) for v in inc]
    kw = dict(method="asymptotic", use_continuity=True)
    two = stats.mannwhitneyu(i, b, alternative="two-sided", **kw).pvalue
    gr = stats.mannwhitneyu(i, b, alternative="greater", **kw).pvalue
    le = stats.mannwhitneyu(i, b, alternative="less", **kw).pvalue
    u1 = stats.mannwhitneyu(i, b, **kw).statistic
    ps = u1 / (len(i) * len(b))
    print(f"({f(two)}, {f(gr)}, {f(le)}, {f(ps)}),")

print(f"\n// scipy {scipy.__version__}, mpmath {mp.__version__}")
