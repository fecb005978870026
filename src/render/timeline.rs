//! Output of `bsaudit timeline`: a compact chart for the terminal (a traffic row, then one row
//! per series with errors, errors per bucket as a sparkline under a labelled time axis), or
//! the raw series as JSON or CSV.

use std::io::{self, Write};

use super::Format;
use super::sparkline;
use crate::report::InputHealth;
use crate::timeline::TimelineView;

/// Columns of the chart; more buckets are summed into columns of equal width.
const CHART_COLUMNS: usize = 60;

/// Series without errors named in the note under the chart; the rest are counted.
const LEFT_OUT_NAMED: usize = 6;

/// Writes the timeline in `format`; the HTML page also shows the input `health` and the
/// `command` line.
pub fn write(
    view: &TimelineView,
    health: &InputHealth,
    command: &str,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Html => super::html::timeline(view, health, command, out),
        Format::Json => super::json::write(view, out),
        Format::Csv => csv(view, out),
        Format::Table => chart(view, out),
        Format::Markdown => {
            writeln!(out, "```text")?;
            chart(view, out)?;
            writeln!(out, "```")
        }
    }
}

fn csv(view: &TimelineView, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["bucket_start", "service", "code", "requests", "errors"])
        .map_err(io::Error::from)?;
    for s in &view.series {
        for p in &s.points {
            w.write_record([
                p.t.clone(),
                s.service.clone(),
                s.code.map(|c| c.to_string()).unwrap_or_default(),
                p.requests.to_string(),
                p.errors.to_string(),
            ])
            .map_err(io::Error::from)?;
        }
    }
    w.flush()
}

/// Sums `values` into at most CHART_COLUMNS columns; returns them and the buckets per column.
fn columns(values: &[u64]) -> (Vec<u64>, usize) {
    let width = values.len().div_ceil(CHART_COLUMNS).max(1);
    (
        values.chunks(width).map(|c| c.iter().sum()).collect(),
        width,
    )
}

fn chart(view: &TimelineView, out: &mut dyn Write) -> io::Result<()> {
    let Some(start) = &view.start else {
        return writeln!(out, "No records matched.");
    };
    let (total, per_column) = columns(&view.total);
    let bucket = human_seconds(view.bucket_seconds);
    let column = human_seconds(view.bucket_seconds * per_column as f64);
    writeln!(
        out,
        "Timeline from {start}: {} buckets of {bucket}, one column = {column}",
        view.buckets
    )?;
    // The chart is of errors: a series without any would be a flat line.
    let (with_errors, without): (Vec<_>, Vec<_>) = view.series.iter().partition(|s| s.errors > 0);
    let shown: Vec<_> = if view.top == 0 {
        with_errors.clone()
    } else {
        with_errors.iter().copied().take(view.top).collect()
    };
    let label = |s: &crate::timeline::SeriesView| match s.code {
        Some(code) => format!("{} {code}", super::sanitize(&s.service)),
        None => super::sanitize(&s.service),
    };
    let width = shown
        .iter()
        .map(|s| label(s).chars().count())
        .max()
        .unwrap_or(0)
        .max(14);
    writeln!(
        out,
        "{:<width$}  {:>9}  {:>7}  per column",
        "series", "requests", "errors"
    )?;
    // Every record is in exactly one series, so the series' errors add up to all errors.
    writeln!(
        out,
        "{:<width$}  {:>9}  {:>7}  {}  peak {} requests",
        "(all requests)",
        view.total.iter().sum::<u64>(),
        view.series.iter().map(|s| s.errors).sum::<u64>(),
        sparkline(&total),
        total.iter().copied().max().unwrap_or(0)
    )?;
    for s in &shown {
        let errors: Vec<u64> = s.points.iter().map(|p| p.errors).collect();
        let (cols, _) = columns(&errors);
        let peak = cols.iter().copied().max().unwrap_or(0);
        writeln!(
            out,
            "{:<width$}  {:>9}  {:>7}  {}  peak {peak} error{}",
            label(s),
            s.requests,
            s.errors,
            sparkline(&cols),
            if peak == 1 { "" } else { "s" }
        )?;
    }
    // Time axis: start, middle and end of the chart, under their columns.
    let n = total.len();
    let pad = width + 2 + 9 + 2 + 7 + 2;
    let first_points = view
        .series
        .first()
        .map(|s| s.points.as_slice())
        .unwrap_or(&[]);
    let marks: Vec<(usize, String)> = [0, n / 2, n.saturating_sub(1)]
        .into_iter()
        .filter_map(|c| {
            let t = &first_points.get(c * per_column)?.t;
            Some((c, t.get(11..16).unwrap_or(t).to_string()))
        })
        .collect();
    // Placed first and last first, then the middle if it fits: (start, column, label).
    let mut placed: Vec<(usize, usize, String)> = Vec::new();
    let order = [0usize, 2, 1];
    for &k in order.iter().filter(|&&k| k < marks.len()) {
        let (column, label) = &marks[k];
        // The last label ends under its column.
        let start = if column + 1 == n {
            (column + 1).saturating_sub(label.len())
        } else {
            *column
        };
        let end = start + label.len();
        if placed
            .iter()
            .all(|(s, _, l)| end < *s || start > s + l.len())
        {
            placed.push((start, *column, label.clone()));
        }
    }
    placed.sort();
    let mut ticks = vec![' '; n.max(1)];
    let mut labels: Vec<char> = Vec::new();
    for (start, column, label) in placed {
        ticks[column] = '|';
        labels.resize(start, ' ');
        labels.extend(label.chars());
    }
    writeln!(out, "{:pad$}{}", "", ticks.iter().collect::<String>())?;
    writeln!(out, "{:pad$}{}", "", labels.iter().collect::<String>())?;
    if shown.len() < with_errors.len() {
        writeln!(
            out,
            "{} more series with errors (--top 0 shows all)",
            with_errors.len() - shown.len()
        )?;
    }
    if !without.is_empty() {
        let names: Vec<String> = without
            .iter()
            .take(LEFT_OUT_NAMED)
            .map(|s| label(s))
            .collect();
        let more = without.len().saturating_sub(LEFT_OUT_NAMED);
        writeln!(
            out,
            "{} series without errors not charted: {}{}; --format csv lists every series",
            without.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

fn human_seconds(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{}h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}m", s / 60.0)
    } else {
        format!("{s}s")
    }
}
