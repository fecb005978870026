//! Output of `bsaudit diff`: the terminal table (changed rows first, then the steadiest
//! evidence up to `--top`), Markdown with the same rows, `bsaudit.diff/v1` JSON (every row)
//! and CSV (every rate row, raw numbers).

use std::io::{self, Write};

use super::table::new_table;
use super::{Format, human_us, sanitize};
use crate::diff::{Diff, LatencyRow, RateRow, WindowInfo};
use crate::stats::{LatencyVerdict, Verdict};

/// Writes `diff` in `format`; the table and Markdown show the changed rows and at most `top`
/// steady ones (0: all), JSON and CSV every row.
pub fn write(diff: &Diff, format: Format, top: usize, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => super::json::write(diff, out),
        Format::Csv => csv(diff, out),
        Format::Table => table(diff, top, out),
        Format::Markdown => markdown(diff, top, out),
        // The configuration refuses `diff --format html`; this keeps a library caller honest.
        Format::Html => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "diff has no HTML format",
        )),
    }
}

/// A ratio for people: `3.2x`, `inf`, `-`.
fn ratio(r: f64) -> String {
    if r.is_nan() {
        "-".to_string()
    } else if r.is_infinite() {
        "inf".to_string()
    } else if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

/// A rate as a percentage with enough digits for rare codes.
fn rate(r: f64) -> String {
    if r.is_nan() {
        "-".to_string()
    } else {
        let p = r * 100.0;
        if p == 0.0 {
            "0%".to_string()
        } else if p < 0.01 {
            format!("{p:.4}%")
        } else if p < 1.0 {
            format!("{p:.3}%")
        } else {
            format!("{p:.1}%")
        }
    }
}

/// Records per minute: two decimals below 10, so rare codes do not all read 0.0.
fn per_minute(x: f64) -> String {
    if x.is_nan() {
        "-".to_string()
    } else if x < 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.1}")
    }
}

/// A p- or q-value: `<1e-300`, `3.1e-12`, `0.042`.
fn pval(p: f64) -> String {
    if p.is_nan() {
        "-".to_string()
    } else if p == 0.0 {
        "<1e-300".to_string()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn window(w: &WindowInfo) -> String {
    let end = |t: &Option<String>, open: &str| t.clone().unwrap_or_else(|| open.to_string());
    format!(
        "{} .. {} ({:.1} min, {} records)",
        end(&w.since, "first record"),
        end(&w.until, "last record"),
        w.minutes,
        w.records
    )
}

/// The rate rows a human view shows: every changed row, then up to `top` steady ones.
fn shown_rates(diff: &Diff, top: usize) -> (Vec<&RateRow>, usize) {
    let changed = diff
        .rows
        .iter()
        .filter(|r| r.verdict != Verdict::Steady)
        .count();
    let keep = if top == 0 {
        diff.rows.len()
    } else {
        (changed + top).min(diff.rows.len())
    };
    (
        diff.rows.iter().take(keep).collect(),
        diff.rows.len() - keep,
    )
}

fn shown_latency(diff: &Diff, top: usize) -> (Vec<&LatencyRow>, usize) {
    let changed = diff
        .latency
        .iter()
        .filter(|r| r.verdict != LatencyVerdict::Steady)
        .count();
    let keep = if top == 0 {
        diff.latency.len()
    } else {
        (changed + top).min(diff.latency.len())
    };
    (
        diff.latency.iter().take(keep).collect(),
        diff.latency.len() - keep,
    )
}

const RATE_HEADER: [&str; 9] = [
    "verdict",
    "group",
    "baseline",
    "rate",
    "incident",
    "rate",
    "ratio [95% CI]",
    "per min",
    "q",
];

fn rate_cells(r: &RateRow) -> Vec<String> {
    let group = if r.dims == ["service", "code"] {
        r.key.join(" ")
    } else {
        r.dims
            .iter()
            .zip(&r.key)
            .map(|(d, k)| format!("{d}={k}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    vec![
        r.verdict.as_str().to_string(),
        sanitize(&group),
        r.baseline.count.to_string(),
        rate(r.baseline.rate),
        r.incident.count.to_string(),
        rate(r.incident.rate),
        format!(
            "{} [{}, {}]",
            ratio(r.ratio),
            ratio(r.ci_low),
            ratio(r.ci_high)
        ),
        format!(
            "{} -> {}",
            per_minute(r.baseline.per_minute),
            per_minute(r.incident.per_minute)
        ),
        pval(r.q_value),
    ]
}

const LATENCY_HEADER: [&str; 8] = [
    "verdict",
    "latency",
    "p50",
    "change",
    "p99",
    "change",
    "P(slower)",
    "q",
];

fn latency_cells(l: &LatencyRow) -> Vec<String> {
    let us = |n: u64, v: u64| if n == 0 { "-".to_string() } else { human_us(v) };
    let name = match l.code {
        Some(c) => format!("{} {c}", l.service),
        None => l.service.clone(),
    };
    vec![
        l.verdict.as_str().to_string(),
        sanitize(&name),
        format!(
            "{} -> {}",
            us(l.baseline_count, l.baseline_p50_us),
            us(l.incident_count, l.incident_p50_us)
        ),
        ratio(l.p50_ratio),
        format!(
            "{} -> {}",
            us(l.baseline_count, l.baseline_p99_us),
            us(l.incident_count, l.incident_p99_us)
        ),
        ratio(l.p99_ratio),
        if l.prob_superiority.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2}", l.prob_superiority)
        },
        pval(l.q_value),
    ]
}

fn table(diff: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Baseline: {}", window(&diff.baseline))?;
    writeln!(out, "Incident: {}", window(&diff.incident))?;
    let changed = diff
        .rows
        .iter()
        .filter(|r| r.verdict != Verdict::Steady)
        .count();
    writeln!(
        out,
        "{changed} of {} rows changed (q <= {}, ratio >= {}x, >= {} records)",
        diff.rows.len(),
        diff.thresholds.alpha,
        diff.thresholds.min_ratio,
        diff.thresholds.min_count
    )?;
    let (rows, hidden) = shown_rates(diff, top);
    writeln!(out, "\nRates (share of the service's requests)")?;
    let mut t = new_table(&RATE_HEADER, &[2, 3, 4, 5, 6, 7, 8]);
    for r in rows {
        t.add_row(rate_cells(r));
    }
    writeln!(out, "{t}")?;
    if hidden > 0 {
        writeln!(out, "  ... {hidden} more steady rows (--top 0 shows all)")?;
    }
    let (rows, hidden) = shown_latency(diff, top);
    writeln!(out, "\nLatency (Mann-Whitney on the histograms)")?;
    let mut t = new_table(&LATENCY_HEADER, &[2, 3, 4, 5, 6, 7]);
    for l in rows {
        t.add_row(latency_cells(l));
    }
    writeln!(out, "{t}")?;
    if hidden > 0 {
        writeln!(out, "  ... {hidden} more steady rows (--top 0 shows all)")?;
    }
    Ok(())
}

fn md_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| super::markdown::cell(c)).collect();
    format!("| {} |", cells.join(" | "))
}

fn markdown(diff: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## bsaudit diff\n")?;
    writeln!(out, "- Baseline: {}", window(&diff.baseline))?;
    writeln!(out, "- Incident: {}", window(&diff.incident))?;
    let (rows, hidden) = shown_rates(diff, top);
    writeln!(out, "\n### Rates\n")?;
    writeln!(out, "| {} |", RATE_HEADER.join(" | "))?;
    writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|")?;
    for r in rows {
        writeln!(out, "{}", md_row(&rate_cells(r)))?;
    }
    if hidden > 0 {
        writeln!(out, "\n{hidden} more steady rows.")?;
    }
    let (rows, hidden) = shown_latency(diff, top);
    writeln!(out, "\n### Latency\n")?;
    writeln!(out, "| {} |", LATENCY_HEADER.join(" | "))?;
    writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|")?;
    for l in rows {
        writeln!(out, "{}", md_row(&latency_cells(l)))?;
    }
    if hidden > 0 {
        writeln!(out, "\n{hidden} more steady rows.")?;
    }
    Ok(())
}

/// A float for CSV: empty when undefined, `inf` when infinite.
fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x.is_infinite() {
        "inf".to_string()
    } else {
        // Debug is the shortest text that reads back to the same f64, in exponent form for
        // tiny p-values (Display would print 34 zeros).
        format!("{x:?}")
    }
}

fn csv(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "kind",
        "dims",
        "key",
        "verdict",
        "baseline_count",
        "baseline_requests",
        "baseline_rate",
        "baseline_per_minute",
        "incident_count",
        "incident_requests",
        "incident_rate",
        "incident_per_minute",
        "ratio",
        "ci_low",
        "ci_high",
        "effect",
        "p_value",
        "q_value",
    ])
    .map_err(io::Error::from)?;
    for r in &diff.rows {
        w.write_record([
            "rate".to_string(),
            r.dims.join(","),
            r.key.join(","),
            r.verdict.as_str().to_string(),
            r.baseline.count.to_string(),
            r.baseline.requests.to_string(),
            num(r.baseline.rate),
            num(r.baseline.per_minute),
            r.incident.count.to_string(),
            r.incident.requests.to_string(),
            num(r.incident.rate),
            num(r.incident.per_minute),
            num(r.ratio),
            num(r.ci_low),
            num(r.ci_high),
            num(r.effect),
            num(r.p_value),
            num(r.q_value),
        ])
        .map_err(io::Error::from)?;
    }
    w.flush()
}
