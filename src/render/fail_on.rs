//! `--fail-on` outcomes for people: one line per rule with its measured value in human units
//! (percent, µs/ms/s, counts) and whether it fired. JSON keeps the raw numbers.

use crate::fail_on::{Outcome, Unit};

/// One stderr line per rule, the rules aligned:
/// `bsaudit: --fail-on 'ACCESS:5xx>4%'  ok     value 3.28%`.
pub fn lines(outcomes: &[Outcome]) -> Vec<String> {
    let width = outcomes
        .iter()
        .map(|o| quoted(&o.rule).chars().count())
        .max()
        .unwrap_or(0);
    outcomes
        .iter()
        .map(|o| {
            format!(
                "bsaudit: --fail-on {:<width$}  {:<6} value {}",
                quoted(&o.rule),
                if o.fired { "FIRED" } else { "ok" },
                human_value(o)
            )
        })
        .collect()
}

/// The rule as a shell would take it back.
fn quoted(rule: &str) -> String {
    format!("'{}'", super::sanitize(rule).replace('\'', "'\\''"))
}

/// The measured value in the rule's unit, precise enough to compare with a threshold
/// written by hand (two decimals of a percent, four significant digits of a latency).
pub fn human_value(o: &Outcome) -> String {
    match o.unit {
        Unit::Share => format!("{:.2}%", o.value * 100.0),
        Unit::Count => format!("{}", o.value.round() as u64),
        Unit::Micros => {
            let us = o.value;
            if us < 1_000.0 {
                format!("{us:.0}µs")
            } else if us < 1_000_000.0 {
                format!("{:.2}ms", us / 1e3)
            } else {
                format!("{:.3}s", us / 1e6)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(rule: &str, value: f64, unit: Unit, fired: bool) -> Outcome {
        Outcome {
            rule: rule.to_string(),
            value,
            fired,
            unit,
        }
    }

    #[test]
    fn values_in_human_units() {
        let rules = [
            outcome("error_rate>1%", 0.169_312_3, Unit::Share, true),
            outcome("PROXY:p99>2s", 2_588_672.0, Unit::Micros, true),
            outcome("mean<1ms", 812.4, Unit::Micros, false),
            outcome("p50>5ms", 8_678.0, Unit::Micros, true),
            outcome("BLOBNODE:613>0", 129.0, Unit::Count, true),
            outcome("ACCESS:5xx>4%", 0.032_786, Unit::Share, false),
        ];
        let shown: Vec<String> = rules.iter().map(human_value).collect();
        assert_eq!(
            shown,
            ["16.93%", "2.589s", "812µs", "8.68ms", "129", "3.28%"]
        );
        let text = lines(&rules);
        assert_eq!(
            text[0],
            "bsaudit: --fail-on 'error_rate>1%'   FIRED  value 16.93%"
        );
        assert_eq!(
            text[5],
            "bsaudit: --fail-on 'ACCESS:5xx>4%'   ok     value 3.28%"
        );
    }
}
