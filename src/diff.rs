//! The model of `bsaudit diff`: what changed between a baseline and an incident, built from
//! two [`Summary`]s (one per window) with the statistics of [`crate::stats`].
//!
//! Rows are every (service, code) seen in either window, plus every `--by` group when asked
//! for; each row's rate is its share of its service's requests in that window (the exposure
//! of the exact Poisson rate test), with the per-minute rate alongside for reading. All rows
//! are one Benjamini-Hochberg family. Latency rows are each service and the busiest
//! (service, code) groups, judged by the Mann-Whitney test on their histograms (a family of
//! its own). Numbers only: the renderers in `render/diff.rs` lay it out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::codes::{Class, ClassMap};
use crate::dims::Dim;
use crate::histogram::Histogram;
use crate::stats::{Counts, LatencyVerdict, Thresholds, Verdict, assess_latencies, assess_rates};
use crate::summary::{Part, Summary};
use crate::time::rfc3339;

/// The JSON schema name of [`Diff`].
pub const SCHEMA: &str = "bsaudit.diff/v1";

/// A whole diff.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The window compared against.
    pub baseline: WindowInfo,
    /// The window under suspicion.
    pub incident: WindowInfo,
    /// The `--by` dimensions of the group rows (empty: only (service, code) rows).
    pub by: Vec<String>,
    /// The guardrails the verdicts were judged under.
    pub thresholds: ThresholdsInfo,
    /// Every rate row, ranked: significant rises first by effect, then falls, then the rest.
    pub rows: Vec<RateRow>,
    /// Latency rows: services, then the busiest (service, code) groups; ranked the same way.
    pub latency: Vec<LatencyRow>,
    /// `--fail-on` rules and whether they fired.
    pub fail_on: Vec<RuleOutcome>,
}

/// One window: its bounds and what it holds.
#[derive(Clone, Debug, Serialize)]
pub struct WindowInfo {
    /// Start (inclusive), RFC 3339; `None` when open (the first record then starts it).
    pub since: Option<String>,
    /// End (exclusive); `None` when open.
    pub until: Option<String>,
    /// The window's length in minutes (open ends are closed at the first/last record), the
    /// denominator of the per-minute rates.
    pub minutes: f64,
    /// Records kept in the window.
    pub records: u64,
}

/// The guardrails, as used.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdsInfo {
    /// Largest BH q-value that is significant.
    pub alpha: f64,
    /// Least count on the side that grew.
    pub min_count: u64,
    /// Least rate ratio for a rise (its inverse for a fall).
    pub min_ratio: f64,
    /// Added to both counts for the judged ratio when one is 0.
    pub zero_correction: f64,
    /// Least p50 or p99 ratio for a latency change.
    pub latency_min_ratio: f64,
    /// Least durations per side for a latency change.
    pub latency_min_count: u64,
    /// Confidence level of the ratio intervals.
    pub conf: f64,
}

impl ThresholdsInfo {
    fn of(t: &Thresholds) -> Self {
        ThresholdsInfo {
            alpha: t.alpha,
            min_count: t.min_count,
            min_ratio: t.min_ratio,
            zero_correction: t.zero_correction,
            latency_min_ratio: t.latency_min_ratio,
            latency_min_count: t.latency_min_count,
            conf: t.conf,
        }
    }
}

/// One side of a rate row.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Side {
    /// Records of the row in the window.
    pub count: u64,
    /// The exposure: requests of the row's service in the window (all requests when the key
    /// has no service).
    pub requests: u64,
    /// count / requests (`null` when there were no requests).
    pub rate: f64,
    /// count / the window's minutes.
    pub per_minute: f64,
}

/// One rate row.
#[derive(Clone, Debug, Serialize)]
pub struct RateRow {
    /// The dimensions of `key`: `["service", "code"]`, or the `--by` list.
    pub dims: Vec<String>,
    /// The key's values, as text.
    pub key: Vec<String>,
    /// The service, when the key has one.
    pub service: Option<String>,
    /// The code, when the key has one.
    pub code: Option<u32>,
    /// The code's class (ok, benign, client, server), when the key has a code.
    pub class: Option<Class>,
    /// The baseline window.
    pub baseline: Side,
    /// The incident window.
    pub incident: Side,
    /// Incident rate / baseline rate (`null` when undefined or infinite).
    pub ratio: f64,
    /// Lower end of its confidence interval.
    pub ci_low: f64,
    /// Upper end (`null` when unbounded: a baseline count of 0).
    pub ci_high: f64,
    /// The ratio the verdict was judged by (zero-corrected); the ranking's effect size.
    pub effect: f64,
    /// Exact two-sided p-value of "same rate".
    pub p_value: f64,
    /// Benjamini-Hochberg q-value across all rate rows.
    pub q_value: f64,
    /// new, rose, fell, gone or steady.
    pub verdict: Verdict,
}

/// One latency row.
#[derive(Clone, Debug, Serialize)]
pub struct LatencyRow {
    /// The service.
    pub service: String,
    /// The code, for a (service, code) group; `None` for the whole service.
    pub code: Option<u32>,
    /// Durations in the baseline.
    pub baseline_count: u64,
    /// Durations in the incident.
    pub incident_count: u64,
    /// Baseline p50, microseconds.
    pub baseline_p50_us: u64,
    /// Incident p50.
    pub incident_p50_us: u64,
    /// Baseline p99.
    pub baseline_p99_us: u64,
    /// Incident p99.
    pub incident_p99_us: u64,
    /// incident p50 / baseline p50.
    pub p50_ratio: f64,
    /// incident p99 / baseline p99.
    pub p99_ratio: f64,
    /// P(an incident request is slower than a baseline one), ties counting half.
    pub prob_superiority: f64,
    /// Mann-Whitney two-sided p-value.
    pub p_value: f64,
    /// BH q-value across the latency rows.
    pub q_value: f64,
    /// slower, faster or steady.
    pub verdict: LatencyVerdict,
}

/// How the diff is built.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// The guardrails.
    pub thresholds: Thresholds,
    /// (service, code) groups given a latency row, busiest first (besides every service).
    pub latency_groups: usize,
    /// The `--fail-on` rules.
    pub fail_on: Vec<DiffRule>,
}

/// A window's bounds as placed: `[since, until)` in ns, `None` when open.
pub type Bounds = (Option<i64>, Option<i64>);

fn part_text(p: &Part) -> String {
    match p {
        Part::Num(n) => n.to_string(),
        Part::Text(t) => t.clone(),
    }
}

fn window_info(s: &Summary, bounds: Bounds) -> WindowInfo {
    let since = bounds.0.or(s.input.first_ns);
    // An open end closes just after the last record started.
    let until = bounds.1.or(s.input.last_ns.map(|t| t.saturating_add(1)));
    let minutes = match (since, until) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 60e9,
        _ => 0.0,
    };
    WindowInfo {
        since: bounds.0.map(rfc3339),
        until: bounds.1.map(rfc3339),
        minutes,
        records: s.input.records,
    }
}

fn side(count: u64, requests: u64, minutes: f64) -> Side {
    Side {
        count,
        requests,
        rate: if requests > 0 {
            count as f64 / requests as f64
        } else {
            f64::NAN
        },
        per_minute: if minutes > 0.0 {
            count as f64 / minutes
        } else {
            f64::NAN
        },
    }
}

/// Requests per service, and in all.
fn requests(s: &Summary) -> (BTreeMap<String, u64>, u64) {
    let mut per = BTreeMap::new();
    let mut all = 0;
    for (key, g) in &s.pairs {
        if let Some(service) = key.first().and_then(Part::text) {
            *per.entry(service.to_string()).or_default() += g.count();
        }
        all += g.count();
    }
    (per, all)
}

/// One key's place in the ranking: rises first by effect, falls by effect, the rest by q.
fn rank_key(v: Verdict, effect: f64, q: f64) -> (u8, f64) {
    match v {
        Verdict::New | Verdict::Rose => (0, -effect),
        Verdict::Fell | Verdict::Gone => (1, effect),
        Verdict::Steady => (2, if q.is_nan() { 2.0 } else { q }),
    }
}

/// Compares a baseline summary with an incident summary of the same scope.
pub fn build(
    base: &Summary,
    inc: &Summary,
    windows: (Bounds, Bounds),
    classes: &ClassMap,
    opts: &DiffOptions,
) -> Diff {
    let t = &opts.thresholds;
    let (bw, iw) = (window_info(base, windows.0), window_info(inc, windows.1));
    let (b_req, b_all) = requests(base);
    let (i_req, i_all) = requests(inc);
    let by: Vec<Dim> = if inc.scope.is_default_pair() {
        Vec::new()
    } else {
        inc.scope.by.clone()
    };

    // Every key of either window: the (service, code) pairs, then the --by groups.
    struct Pending {
        dims: Vec<Dim>,
        key: Vec<Part>,
        b: u64,
        i: u64,
    }
    let mut pending = Vec::new();
    let tables: [(&[Dim], _, _); 2] = [
        (&[Dim::Service, Dim::Code], &base.pairs, &inc.pairs),
        (&by, &base.groups, &inc.groups),
    ];
    for (dims, bt, it) in tables {
        if dims.is_empty() {
            continue;
        }
        let keys: BTreeSet<&Vec<Part>> = bt.keys().chain(it.keys()).collect();
        for key in keys {
            pending.push(Pending {
                dims: dims.to_vec(),
                key: key.clone(),
                b: bt.get(key).map_or(0, |g| g.count()),
                i: it.get(key).map_or(0, |g| g.count()),
            });
        }
    }
    let exposure = |p: &Pending, per: &BTreeMap<String, u64>, all: u64| -> u64 {
        match p.dims.iter().position(|&d| d == Dim::Service) {
            Some(at) => p.key[at]
                .text()
                .and_then(|s| per.get(s).copied())
                .unwrap_or(0),
            None => all,
        }
    };
    let counts: Vec<(Counts, Counts, u64, u64)> = pending
        .iter()
        .map(|p| {
            let (be, ie) = (exposure(p, &b_req, b_all), exposure(p, &i_req, i_all));
            (
                Counts::new(p.b, be as f64),
                Counts::new(p.i, ie as f64),
                be,
                ie,
            )
        })
        .collect();
    let pairs: Vec<(Counts, Counts)> = counts.iter().map(|c| (c.0, c.1)).collect();
    let assessed = assess_rates(&pairs, t);
    let mut rows: Vec<RateRow> = pending
        .iter()
        .zip(&counts)
        .zip(assessed)
        .map(|((p, c), a)| {
            let at = |d: Dim| p.dims.iter().position(|&x| x == d);
            let service = at(Dim::Service).and_then(|i| p.key[i].text().map(str::to_string));
            let code = at(Dim::Code)
                .and_then(|i| p.key[i].num())
                .and_then(|n| u32::try_from(n).ok());
            RateRow {
                dims: p.dims.iter().map(|d| d.as_str().to_string()).collect(),
                key: p.key.iter().map(part_text).collect(),
                service,
                code,
                class: code.map(|c| classes.class_of(c)),
                baseline: side(p.b, c.2, bw.minutes),
                incident: side(p.i, c.3, iw.minutes),
                ratio: a.test.ratio,
                ci_low: a.test.ci_low,
                ci_high: a.test.ci_high,
                effect: a.effect,
                p_value: a.test.p_value,
                q_value: a.q,
                verdict: a.verdict,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let (ra, rb) = (
            rank_key(a.verdict, a.effect, a.q_value),
            rank_key(b.verdict, b.effect, b.q_value),
        );
        ra.0.cmp(&rb.0)
            .then(ra.1.total_cmp(&rb.1))
            .then(b.incident.count.cmp(&a.incident.count))
            .then(a.dims.len().cmp(&b.dims.len()))
            .then(a.key.cmp(&b.key))
    });

    let latency = latency_rows(base, inc, classes, opts);
    let mut diff = Diff {
        schema: SCHEMA,
        baseline: bw,
        incident: iw,
        by: by.iter().map(|d| d.as_str().to_string()).collect(),
        thresholds: ThresholdsInfo::of(t),
        rows,
        latency,
        fail_on: Vec::new(),
    };
    diff.fail_on = opts.fail_on.iter().map(|r| r.check(&diff)).collect();
    diff
}

fn latency_rows(
    base: &Summary,
    inc: &Summary,
    classes: &ClassMap,
    opts: &DiffOptions,
) -> Vec<LatencyRow> {
    let (bs, is) = (base.services(classes), inc.services(classes));
    let empty = Histogram::default();
    let mut names: Vec<(String, Option<u32>)> = Vec::new();
    let mut hists: Vec<(&Histogram, &Histogram)> = Vec::new();
    let services: BTreeSet<&String> = bs.keys().chain(is.keys()).collect();
    for s in services {
        names.push((s.clone(), None));
        hists.push((
            bs.get(s).map_or(&empty, |t| &t.latency),
            is.get(s).map_or(&empty, |t| &t.latency),
        ));
    }
    // The busiest groups of both windows together.
    let mut groups: Vec<(&Vec<Part>, u64)> = inc
        .pairs
        .keys()
        .chain(base.pairs.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|k| {
            let n = inc.pairs.get(k).map_or(0, |g| g.count())
                + base.pairs.get(k).map_or(0, |g| g.count());
            (k, n)
        })
        .collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (key, _) in groups.into_iter().take(opts.latency_groups) {
        let (Some(s), Some(c)) = (
            key.first().and_then(Part::text),
            key.get(1).and_then(Part::num),
        ) else {
            continue;
        };
        names.push((s.to_string(), u32::try_from(c).ok()));
        hists.push((
            base.pairs.get(key).map_or(&empty, |g| &g.latency),
            inc.pairs.get(key).map_or(&empty, |g| &g.latency),
        ));
    }
    let assessed = assess_latencies(&hists, &opts.thresholds);
    let mut rows: Vec<LatencyRow> = names
        .into_iter()
        .zip(assessed)
        .map(|((service, code), a)| LatencyRow {
            service,
            code,
            baseline_count: a.test.baseline_count,
            incident_count: a.test.incident_count,
            baseline_p50_us: a.test.baseline_p50,
            incident_p50_us: a.test.incident_p50,
            baseline_p99_us: a.test.baseline_p99,
            incident_p99_us: a.test.incident_p99,
            p50_ratio: a.test.p50_ratio,
            p99_ratio: a.test.p99_ratio,
            prob_superiority: a.test.prob_superiority,
            p_value: a.test.p_value,
            q_value: a.q,
            verdict: a.verdict,
        })
        .collect();
    let order = |v: LatencyVerdict| match v {
        LatencyVerdict::Slower => 0,
        LatencyVerdict::Faster => 1,
        LatencyVerdict::Steady => 2,
    };
    // Changed rows by effect (the probability of superiority, furthest from 1/2 first), then
    // services before their groups.
    let effect = |l: &LatencyRow| match l.verdict {
        LatencyVerdict::Steady => 0.0,
        _ => (l.prob_superiority - 0.5).abs(),
    };
    rows.sort_by(|a, b| {
        order(a.verdict)
            .cmp(&order(b.verdict))
            .then(effect(b).total_cmp(&effect(a)))
            .then(a.code.is_some().cmp(&b.code.is_some()))
            .then(a.service.cmp(&b.service))
            .then(a.code.cmp(&b.code))
    });
    rows
}

// ---------------------------------------------------------------------------------------------
// --fail-on for diff.

/// Which verdicts a rule asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleVerdict {
    /// `rose`: rose or new.
    Rose,
    /// `new`: new only.
    New,
    /// `fell`: fell or gone.
    Fell,
    /// `gone`: gone only.
    Gone,
}

/// Which codes a rule asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleClass {
    /// 5xx and the special codes.
    Server,
    /// 4xx.
    Client,
    /// Server or client.
    Error,
    /// Any code, successes included.
    Any,
}

/// A `--fail-on` rule of `diff`: `VERDICT:CLASS`, e.g. `rose:server`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRule {
    /// The rule as given.
    pub text: String,
    /// The verdicts.
    pub verdict: RuleVerdict,
    /// The codes.
    pub class: RuleClass,
}

/// Whether a rule fired, and on how many rows.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOutcome {
    /// The rule as given.
    pub rule: String,
    /// Whether any row matched.
    pub fired: bool,
    /// Rows that matched.
    pub rows: u64,
}

impl DiffRule {
    /// Parses `VERDICT:CLASS` (verdict rose, new, fell or gone; class server, client, error
    /// or any; case-insensitive).
    pub fn parse(text: &str) -> Result<DiffRule, String> {
        let bad = || {
            format!(
                "--fail-on {text:?}: expected VERDICT:CLASS, VERDICT one of rose, new, fell, \
                 gone and CLASS one of server, client, error, any (e.g. rose:server)"
            )
        };
        let (v, c) = text.split_once(':').ok_or_else(bad)?;
        let verdict = match v.trim().to_ascii_lowercase().as_str() {
            "rose" => RuleVerdict::Rose,
            "new" => RuleVerdict::New,
            "fell" => RuleVerdict::Fell,
            "gone" => RuleVerdict::Gone,
            _ => return Err(bad()),
        };
        let class = match c.trim().to_ascii_lowercase().as_str() {
            "server" => RuleClass::Server,
            "client" => RuleClass::Client,
            "error" => RuleClass::Error,
            "any" | "*" => RuleClass::Any,
            _ => return Err(bad()),
        };
        Ok(DiffRule {
            text: text.to_string(),
            verdict,
            class,
        })
    }

    /// Whether `row` is one this rule counts.
    pub fn matches(&self, row: &RateRow) -> bool {
        let verdict = match self.verdict {
            RuleVerdict::Rose => matches!(row.verdict, Verdict::Rose | Verdict::New),
            RuleVerdict::New => row.verdict == Verdict::New,
            RuleVerdict::Fell => matches!(row.verdict, Verdict::Fell | Verdict::Gone),
            RuleVerdict::Gone => row.verdict == Verdict::Gone,
        };
        let class = match (self.class, row.class) {
            (RuleClass::Any, _) => true,
            (RuleClass::Server, Some(c)) => c == Class::Server,
            (RuleClass::Client, Some(c)) => c == Class::Client,
            (RuleClass::Error, Some(c)) => c.is_error(),
            (_, None) => false,
        };
        verdict && class
    }

    /// The rule over a diff's rows.
    pub fn check(&self, diff: &Diff) -> RuleOutcome {
        let rows = diff.rows.iter().filter(|r| self.matches(r)).count() as u64;
        RuleOutcome {
            rule: self.text.clone(),
            fired: rows > 0,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Scope;
    use proptest::prelude::*;

    fn scope() -> Scope {
        Scope {
            by: vec![Dim::Service, Dim::Code],
            errors_only: true,
            bucket_ns: 60_000_000_000,
            max_groups: 10_000,
            filter: Default::default(),
        }
    }

    /// A summary with these (service, code, count, duration) records.
    fn summary(rows: &[(&str, u64, u64, u64)]) -> Summary {
        let mut s = Summary::empty(scope());
        for &(svc, code, n, dur) in rows {
            let g = s
                .pairs
                .entry(vec![Part::Text(svc.to_string()), Part::Num(code)])
                .or_default();
            for _ in 0..n {
                g.latency.record(dur);
            }
            s.input.records += n;
        }
        s
    }

    fn opts() -> DiffOptions {
        DiffOptions {
            thresholds: Thresholds::default(),
            latency_groups: 10,
            fail_on: vec![
                DiffRule::parse("rose:server").expect("rule"),
                DiffRule::parse("fell:any").expect("rule"),
            ],
        }
    }

    fn classes() -> ClassMap {
        crate::codes::CodeTable::builtin()
            .expect("table")
            .class_map()
    }

    fn verdicts(d: &Diff) -> BTreeMap<String, Verdict> {
        d.rows
            .iter()
            .map(|r| (r.key.join(" "), r.verdict))
            .collect()
    }

    const W: (Bounds, Bounds) = (
        (Some(0), Some(600_000_000_000)),
        (Some(600_000_000_000), Some(1_200_000_000_000)),
    );

    #[test]
    fn a_rising_code_is_ranked_first_and_fires_the_rule() {
        let base = summary(&[("ACCESS", 200, 10_000, 1000), ("ACCESS", 500, 5, 1000)]);
        let inc = summary(&[
            ("ACCESS", 200, 10_000, 3000),
            ("ACCESS", 500, 300, 3000),
            ("BLOBNODE", 613, 40, 100),
            ("BLOBNODE", 200, 1000, 100),
        ]);
        let d = build(&base, &inc, W, &classes(), &opts());
        assert_eq!(d.rows[0].key, ["ACCESS", "500"]);
        assert_eq!(d.rows[0].verdict, Verdict::Rose);
        // BLOBNODE has no baseline requests: nothing to compare its rates with.
        assert_eq!(verdicts(&d)["BLOBNODE 613"], Verdict::Steady);
        assert_eq!(d.rows[0].baseline.requests, 10_005);
        assert!((d.rows[0].incident.per_minute - 30.0).abs() < 1e-9);
        assert!(d.fail_on[0].fired && d.fail_on[0].rows == 1);
        assert!(!d.fail_on[1].fired);
        let access = d
            .latency
            .iter()
            .find(|l| l.service == "ACCESS" && l.code.is_none())
            .expect("ACCESS latency");
        assert_eq!(access.verdict, LatencyVerdict::Slower);
    }

    #[test]
    fn rules_parse_or_say_why() {
        assert_eq!(
            DiffRule::parse("NEW:Any").map(|r| (r.verdict, r.class)),
            Ok((RuleVerdict::New, RuleClass::Any))
        );
        for bad in ["rose", "up:server", "rose:5xx", ""] {
            assert!(DiffRule::parse(bad).is_err(), "{bad}");
        }
    }

    fn arb_rows() -> impl Strategy<Value = Vec<(usize, u64, u64, u64)>> {
        prop::collection::vec((0usize..3, 0u64..4, 0u64..400, 1u64..5000), 1..12)
    }

    fn to_summary(rows: &[(usize, u64, u64, u64)]) -> Summary {
        const SVC: [&str; 3] = ["ACCESS", "BLOBNODE", "PROXY"];
        const CODES: [u64; 4] = [200, 404, 500, 613];
        let named: Vec<(&str, u64, u64, u64)> = rows
            .iter()
            .map(|&(s, c, n, d)| (SVC[s], CODES[c as usize], n, d))
            .collect();
        summary(&named)
    }

    proptest! {
        #[test]
        fn swapping_windows_swaps_rose_and_fell(a in arb_rows(), b in arb_rows()) {
            let (sa, sb) = (to_summary(&a), to_summary(&b));
            let swapped = (W.1, W.0);
            let ab = verdicts(&build(&sa, &sb, W, &classes(), &opts()));
            let ba = verdicts(&build(&sb, &sa, swapped, &classes(), &opts()));
            prop_assert_eq!(ab.len(), ba.len());
            for (k, v) in &ab {
                let mirror = match v {
                    Verdict::New => Verdict::Gone,
                    Verdict::Rose => Verdict::Fell,
                    Verdict::Fell => Verdict::Rose,
                    Verdict::Gone => Verdict::New,
                    Verdict::Steady => Verdict::Steady,
                };
                prop_assert_eq!(ba[k], mirror, "{}", k);
            }
        }

        #[test]
        fn identical_windows_are_all_steady(a in arb_rows()) {
            let s = to_summary(&a);
            let d = build(&s, &s, W, &classes(), &opts());
            prop_assert!(d.rows.iter().all(|r| r.verdict == Verdict::Steady));
            prop_assert!(d.latency.iter().all(|l| l.verdict == LatencyVerdict::Steady));
            prop_assert!(d.fail_on.iter().all(|o| !o.fired));
        }
    }
}
