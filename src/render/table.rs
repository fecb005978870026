//! The terminal report: input health, services, ranked groups, then what each code means and
//! where to look next.

use std::io::{self, Write};

use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

use super::layout::{Column, Layout, fit, paint, wrap};
use super::{human_us, percent, sanitize};
use crate::dims::Dim;
use crate::report::{GroupReport, Report};
use crate::time::rfc3339;

/// No borders, one rule under the header: dense rows that still scan well.
const HOUSE_STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

/// A table in the house style, wrapped to the terminal's width when there is one.
pub fn new_table(header: &[&str], right_aligned: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_style(HOUSE_STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    for &i in right_aligned {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The terminal table, laid out for a [`Layout`] (the default: full width, no colour).
#[derive(Clone, Copy, Debug, Default)]
pub struct TableRenderer {
    /// Width, brevity and colour.
    pub layout: Layout,
}

impl super::ReportRenderer for TableRenderer {
    fn report(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        report(r, &self.layout, out)
    }
}

/// The group table's columns: which narrow terminals drop first, which may be shortened.
fn group_column(header: &str) -> Column {
    let col = |short, right, drop, shrink| Column {
        header: header.to_string(),
        short,
        right,
        drop,
        shrink,
    };
    match header {
        "#" | "count" | "p99" | "code" | "disk" | "vuid" => col(None, true, None, false),
        "trend" => col(None, false, Some(0), false),
        "onset" => col(None, false, Some(1), false),
        "first seen" => col(Some("first"), false, Some(2), false),
        "p50" => col(None, true, Some(3), false),
        "max" => col(None, true, Some(4), false),
        "class" => col(None, false, Some(5), false),
        "share" => col(None, true, Some(6), false),
        "last seen" => col(Some("last"), false, Some(7), false),
        "service" => col(None, false, None, false),
        // The message and free-text dimensions (api, host, bucket, method) may be shortened.
        _ => col(None, false, None, true),
    }
}

fn service_columns() -> Vec<Column> {
    let col = |header: &str, short, drop| Column {
        header: header.to_string(),
        short,
        right: true,
        drop,
        shrink: false,
    };
    vec![
        Column::keep("service", false),
        col("requests", None, None),
        col("errors", None, None),
        col("error rate", Some("err%"), None),
        col("p50", None, Some(1)),
        col("p90", None, Some(0)),
        col("p99", None, None),
        col("max", None, Some(2)),
    ]
}

/// Writes the report.
pub fn report(r: &Report, layout: &Layout, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    let prose = |out: &mut dyn Write, text: &str, first: &str, rest: &str| -> io::Result<()> {
        for line in wrap(text, first, rest, layout.width) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    prose(
        out,
        &format!("Input: {}", super::input_summary(h)),
        "",
        "  ",
    )?;
    if let (Some(first), Some(last)) = (h.first_seen, h.last_seen) {
        prose(
            out,
            &format!("Time span: {} .. {}", rfc3339(first), rfc3339(last)),
            "",
            "  ",
        )?;
    }
    for p in &h.problems {
        let text = format!(
            "{} {}: {}",
            p.kind,
            sanitize(&super::problem_path(p)),
            sanitize(&p.message)
        );
        prose(out, &text, "  ", "    ")?;
    }
    if r.services.is_empty() {
        writeln!(out, "\nNo records matched.")?;
        return Ok(());
    }

    writeln!(out, "\nServices")?;
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|s| {
            vec![
                sanitize(&s.service),
                s.requests.to_string(),
                s.errors.to_string(),
                percent(s.error_rate),
                human_us(s.latency_us.p50),
                human_us(s.latency_us.p90),
                human_us(s.latency_us.p99),
                human_us(s.latency_us.max),
            ]
        })
        .collect();
    for line in fit(&service_columns(), &rows, layout.fit_width()) {
        writeln!(out, "{line}")?;
    }

    if r.groups.is_empty() {
        writeln!(
            out,
            "\nNo errors: every kept record is a success or a benign code."
        )?;
        return Ok(());
    }
    let heading = format!(
        "Top groups by {} ({} of {}, by count{})",
        super::by_text(&r.by),
        r.groups.len(),
        r.groups_total,
        if r.groups_folded > 0 {
            format!("; {} records in other", r.groups_folded)
        } else {
            String::new()
        }
    );
    writeln!(out)?;
    prose(out, &heading, "", "  ")?;
    let (header, rows) = super::group_rows(r);
    let columns: Vec<Column> = header.iter().map(|h| group_column(h)).collect();
    for (i, line) in fit(&columns, &rows, layout.fit_width())
        .into_iter()
        .enumerate()
    {
        // Lines 0 and 1 are the header and its rule; then one line per group.
        let style = i
            .checked_sub(2)
            .and_then(|g| r.groups.get(g))
            .and_then(|g| layout.class_style(g.class));
        writeln!(out, "{}", paint(&line, style))?;
    }

    let has_code = r.by.contains(&Dim::Code);
    writeln!(
        out,
        "\n{}",
        if has_code {
            "What they mean"
        } else {
            "Samples"
        }
    )?;
    for (key_rows, first) in distinct_codes(r) {
        let g = &r.groups[first];
        if key_rows.len() == 1 || !has_code {
            code_lines(first + 1, r, g, layout, out, None)?;
            row_lines(g, layout, out)?;
            continue;
        }
        code_lines(first + 1, r, g, layout, out, Some(&key_rows))?;
        for &i in &key_rows {
            let row = &r.groups[i];
            let name = super::group_name(r, row);
            prose(out, &name, &format!("{:>3}. ", i + 1), "     ")?;
            row_lines(row, layout, out)?;
        }
    }
    Ok(())
}

/// The groups by distinct (service, code), in the order of their first row: each key's rows
/// and its first row. Without a code dimension every row is its own key.
fn distinct_codes(r: &Report) -> Vec<(Vec<usize>, usize)> {
    let mut keys: Vec<(Option<&str>, Option<u32>)> = Vec::new();
    let mut out: Vec<(Vec<usize>, usize)> = Vec::new();
    for (i, g) in r.groups.iter().enumerate() {
        let key = (g.service.as_deref(), g.code);
        match keys.iter().position(|k| *k == key) {
            Some(at) if g.code.is_some() => out[at].0.push(i),
            _ => {
                keys.push(key);
                out.push((vec![i], i));
            }
        }
    }
    out
}

/// What a code means: its heading (with the rows it explains when there are several), the
/// description unless brief, and the hint.
fn code_lines(
    rank: usize,
    r: &Report,
    g: &GroupReport,
    layout: &Layout,
    out: &mut dyn Write,
    rows: Option<&[usize]>,
) -> io::Result<()> {
    // Shared by several rows, the heading names the (service, code) alone; a single row keeps
    // its full name and rank.
    let (lead, name, tail) = match rows {
        Some(rows) => {
            let name = [
                g.service.as_deref().map(sanitize),
                g.code.map(|c| c.to_string()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            let list: Vec<String> = rows.iter().map(|i| (i + 1).to_string()).collect();
            (String::new(), name, format!(": rows {}", list.join(", ")))
        }
        None => (
            format!("{rank:>3}. "),
            super::group_name(r, g),
            String::new(),
        ),
    };
    let style = layout.class_style(g.class);
    let heading = match (&g.meaning, g.code) {
        (Some(m), _) => format!(
            "{name} {:?} (owner {}, {}){tail}",
            m.message,
            super::sanitize(&m.owner),
            m.origin.as_str()
        ),
        (None, Some(_)) => format!(
            "{name}: not in the code table (class {} by range){tail}",
            g.class.map(|c| c.to_string()).unwrap_or_default()
        ),
        (None, None) => name,
    };
    for line in wrap(&heading, &lead, "     ", layout.width) {
        writeln!(out, "{}", paint(&line, style))?;
    }
    if let Some(m) = &g.meaning {
        if !layout.brief {
            for line in wrap(
                &super::sanitize(&m.description),
                "     ",
                "     ",
                layout.width,
            ) {
                writeln!(out, "{line}")?;
            }
        }
        if !m.hint.is_empty() {
            for line in wrap(
                &format!("Check: {}", super::sanitize(&m.hint)),
                "     ",
                "     ",
                layout.width,
            ) {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

/// A row's own onset and samples.
fn row_lines(g: &GroupReport, layout: &Layout, out: &mut dyn Write) -> io::Result<()> {
    if let Some(onset) = g.onset {
        writeln!(out, "     Rising since {}", rfc3339(onset))?;
    }
    for s in &g.samples {
        let text = format!(
            "trace {}  {}  {} {}  {}:{}",
            s.trace_id
                .as_deref()
                .map_or_else(|| "-".to_string(), sanitize),
            rfc3339(s.time),
            sanitize(&s.method),
            sanitize(&s.path),
            sanitize(&super::sample_file(s)),
            s.line
        );
        for line in wrap(&text, "     ", "       ", layout.width) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
