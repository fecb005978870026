//! `--fail-on` rules: thresholds that turn a report into a check for cron jobs and CI.
//!
//! Grammar (spaces allowed around the operator):
//!
//! ```text
//! RULE   = [SCOPE ":"] METRIC OP VALUE
//! SCOPE  = a service name (case-insensitive) or "*" (all services; the default)
//! METRIC = error_rate | errors | requests | p50 | p90 | p99 | max | mean | CODESPEC
//! OP     = > | >= | < | <= | = | == | !=
//! VALUE  = a number, with "%" for error_rate, errors and CODESPEC (a share of the scope's
//!          requests), or a duration unit (us, ms, s, m, h) for latencies (bare = us)
//! ```
//!
//! `CODESPEC` is `613`, `6xx` or `500-599`: the number of the scope's records with such a code.
//! `error_rate` without `%` is a fraction (`0.01`). Rules are checked against every kept
//! record, not only the groups shown.

use serde::Serialize;

use crate::filter::CodeSpec;
use std::collections::BTreeMap;

use crate::summary::ServiceTotals;

/// The totals of one scope (a service, or all of them).
pub type ScopeFacts = ServiceTotals;

/// What `--fail-on` rules measure: per service, and for all services together.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    services: BTreeMap<String, ScopeFacts>,
    all: ScopeFacts,
}

fn add_scope(into: &mut ScopeFacts, other: &ScopeFacts) {
    into.requests += other.requests;
    into.errors += other.errors;
    for (code, n) in &other.codes {
        *into.codes.entry(*code).or_default() += n;
    }
    into.latency += &other.latency;
}

impl Facts {
    /// Facts from per-service totals.
    pub fn from_services(services: impl IntoIterator<Item = (String, ScopeFacts)>) -> Facts {
        let mut facts = Facts::default();
        for (name, f) in services {
            add_scope(&mut facts.all, &f);
            add_scope(facts.services.entry(name).or_default(), &f);
        }
        facts
    }

    /// The totals of a service (case-insensitive; empty when absent), or of all.
    pub fn scope(&self, service: Option<&str>) -> std::borrow::Cow<'_, ScopeFacts> {
        match service {
            None => std::borrow::Cow::Borrowed(&self.all),
            Some(name) => {
                let mut total = ScopeFacts::default();
                for (_, f) in self
                    .services
                    .iter()
                    .filter(|(s, _)| s.eq_ignore_ascii_case(name))
                {
                    add_scope(&mut total, f);
                }
                std::borrow::Cow::Owned(total)
            }
        }
    }
}

/// What a rule measures.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Metric {
    ErrorRate,
    Errors,
    Requests,
    Codes(CodeSpec),
    /// A latency quantile in permille (p99 = 990), or max (1000 with `exact_max`).
    Latency(u32),
    Max,
    Mean,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One parsed rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    text: String,
    scope: Option<String>,
    metric: Metric,
    op: Op,
    /// The threshold: a count, a fraction (shares and rates), or microseconds.
    value: f64,
    /// The value is a share of the scope's requests.
    share: bool,
}

/// A rule and what it found.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Outcome {
    /// The rule as written.
    pub rule: String,
    /// The measured value (fraction for rates and shares, microseconds for latencies).
    pub value: f64,
    /// Whether the rule holds, i.e. the check fails.
    pub fired: bool,
    /// What kind of number `value` is, for showing it to a person (JSON keeps the raw value).
    #[serde(skip)]
    pub unit: Unit,
}

/// What kind of number a rule measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A fraction of the scope's requests (error_rate, and counts written with `%`).
    Share,
    /// A number of records.
    Count,
    /// A latency in microseconds.
    Micros,
}

impl Rule {
    /// Parses a rule; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let bad = |why: &str| format!("--fail-on {text:?}: {why}");
        let (op_at, op, op_len) =
            find_op(text).ok_or_else(|| bad("no comparison (>, >=, <, <=, =, !=)"))?;
        let left = text[..op_at].trim();
        let right = text[op_at + op_len..].trim();
        if right.starts_with(['>', '<', '=', '!']) {
            return Err(bad("one comparison only"));
        }
        let (scope, metric_text) = match left.rsplit_once(':') {
            Some((s, m)) => (Some(s.trim()), m.trim()),
            None => (None, left),
        };
        let scope = match scope {
            None | Some("*") => None,
            Some("") => return Err(bad("empty scope before ':'")),
            Some(s) => Some(s.to_string()),
        };
        let metric = match metric_text.to_ascii_lowercase().as_str() {
            "error_rate" => Metric::ErrorRate,
            "errors" => Metric::Errors,
            "requests" => Metric::Requests,
            "p50" => Metric::Latency(500),
            "p90" => Metric::Latency(900),
            "p99" => Metric::Latency(990),
            "p999" => Metric::Latency(999),
            "max" => Metric::Max,
            "mean" => Metric::Mean,
            other => Metric::Codes(CodeSpec::parse(other).map_err(|_| {
                bad("unknown metric (error_rate, errors, requests, p50, p90, p99, max, mean, or a code like 613, 5xx)")
            })?),
        };
        let (value, share) = parse_value(right, metric).map_err(|e| bad(&e))?;
        Ok(Rule {
            text: text.trim().to_string(),
            scope,
            metric,
            op,
            value,
            share,
        })
    }

    /// Measures the rule over the facts of a report.
    pub fn check(&self, facts: &Facts) -> Outcome {
        let scoped = facts.scope(self.scope.as_deref());
        let requests = scoped.requests as f64;
        let rate = |n: u64| {
            if requests > 0.0 {
                n as f64 / requests
            } else {
                0.0
            }
        };
        let value = match self.metric {
            Metric::ErrorRate => rate(scoped.errors),
            Metric::Errors if self.share => rate(scoped.errors),
            Metric::Errors => scoped.errors as f64,
            Metric::Requests => requests,
            Metric::Codes(spec) => {
                let n: u64 = scoped
                    .codes
                    .iter()
                    .filter(|(c, _)| spec.matches(**c))
                    .map(|(_, n)| n)
                    .sum();
                if self.share { rate(n) } else { n as f64 }
            }
            Metric::Latency(permille) => scoped.latency.quantile(permille) as f64,
            Metric::Max => scoped.latency.max() as f64,
            Metric::Mean => scoped.latency.mean(),
        };
        let unit = match self.metric {
            Metric::ErrorRate => Unit::Share,
            Metric::Errors | Metric::Codes(_) if self.share => Unit::Share,
            Metric::Errors | Metric::Codes(_) | Metric::Requests => Unit::Count,
            Metric::Latency(_) | Metric::Max | Metric::Mean => Unit::Micros,
        };
        Outcome {
            rule: self.text.clone(),
            value,
            fired: self.op.holds(value, self.value),
            unit,
        }
    }
}

/// The operator with the longest match, leftmost.
fn find_op(text: &str) -> Option<(usize, Op, usize)> {
    let at = text.find(['>', '<', '=', '!'])?;
    let rest = &text[at..];
    let (op, len) = if rest.starts_with(">=") {
        (Op::Ge, 2)
    } else if rest.starts_with("<=") {
        (Op::Le, 2)
    } else if rest.starts_with("==") {
        (Op::Eq, 2)
    } else if rest.starts_with("!=") {
        (Op::Ne, 2)
    } else if rest.starts_with('>') {
        (Op::Gt, 1)
    } else if rest.starts_with('<') {
        (Op::Lt, 1)
    } else if rest.starts_with('=') {
        (Op::Eq, 1)
    } else {
        return None;
    };
    Some((at, op, len))
}

fn parse_value(text: &str, metric: Metric) -> Result<(f64, bool), String> {
    let number = |s: &str| -> Result<f64, String> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{s:?} is not a non-negative number"))
    };
    match metric {
        Metric::Latency(_) | Metric::Max | Metric::Mean => {
            if let Ok(v) = number(text) {
                return Ok((v, false));
            }
            let ns = crate::time::parse_duration(text)?;
            Ok((ns as f64 / 1000.0, false))
        }
        _ => match text.strip_suffix('%') {
            Some(p) if matches!(metric, Metric::Requests) => {
                Err(format!("requests cannot be a share ({p}%)"))
            }
            Some(p) => Ok((number(p)? / 100.0, true)),
            None => Ok((number(text)?, false)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut blobnode = ScopeFacts {
            requests: 1000,
            errors: 40,
            ..ScopeFacts::default()
        };
        blobnode.codes.insert(200, 960);
        blobnode.codes.insert(613, 30);
        blobnode.codes.insert(499, 10);
        for d in 1..=1000 {
            blobnode.latency.record(d * 10);
        }
        let mut access = ScopeFacts {
            requests: 500,
            errors: 3,
            ..ScopeFacts::default()
        };
        access.codes.insert(200, 497);
        access.codes.insert(503, 3);
        Facts::from_services([
            ("BLOBNODE".to_string(), blobnode),
            ("ACCESS".to_string(), access),
        ])
    }

    fn check(rule: &str) -> Outcome {
        Rule::parse(rule)
            .unwrap_or_else(|e| panic!("{e}"))
            .check(&facts())
    }

    #[test]
    fn rules_from_the_issue() {
        // 43 errors in 1500 requests: 2.87%.
        assert!(check("error_rate>1%").fired);
        assert!(!check("error_rate>3%").fired);
        assert!(check("BLOBNODE:613>0").fired);
        assert!(!check("ACCESS:613>0").fired);
        // 3 of ACCESS's 500 requests are 5xx: 0.6%.
        assert!(check("ACCESS:5xx>0.5%").fired);
        assert!(!check("ACCESS:5xx>1%").fired);
        // p99 is 9900 us, read within 1% from the histogram.
        assert!(check("blobnode:p99 >= 9.8ms").fired);
        assert!(!check("blobnode:p99>10ms").fired);
        assert!(check("*:errors>=43").fired);
        assert!(check("requests != 0").fired);
        assert!(check("error_rate > 0.02").fired);
        assert!(!check("PROXY:error_rate>0").fired, "no records: rate 0");
        let out = check("ACCESS:503>2");
        assert_eq!((out.value, out.fired, out.unit), (3.0, true, Unit::Count));
        assert_eq!(check("error_rate>1%").unit, Unit::Share);
        assert_eq!(check("error_rate>0.01").unit, Unit::Share);
        assert_eq!(check("ACCESS:5xx>0.5%").unit, Unit::Share);
        assert_eq!(check("errors>3").unit, Unit::Count);
        assert_eq!(check("p99>1s").unit, Unit::Micros);
        assert_eq!(check("mean>1s").unit, Unit::Micros);
    }

    #[test]
    fn bad_rules_say_why() {
        for bad in [
            "error_rate",
            "error_rate>>1",
            "foo>1",
            "p99>fast",
            "requests>5%",
            ":613>0",
            "613>-1",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }
}
