//! The terminal report: input health, services, ranked groups, then what each code means and
//! where to look next.

use std::io::{self, Write};

use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

use super::{human_us, percent, sanitize};
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

/// The terminal table.
pub struct TableRenderer;

impl super::ReportRenderer for TableRenderer {
    fn report(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        report(r, out)
    }
}

/// Writes the report.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    writeln!(out, "Input: {}", super::input_summary(h))?;
    if let (Some(first), Some(last)) = (h.first_seen, h.last_seen) {
        writeln!(out, "Time span: {} .. {}", rfc3339(first), rfc3339(last))?;
    }
    for p in &h.problems {
        writeln!(
            out,
            "  {} {}: {}",
            p.kind,
            sanitize(&super::problem_path(p)),
            sanitize(&p.message)
        )?;
    }
    if r.services.is_empty() {
        writeln!(out, "\nNo records matched.")?;
        return Ok(());
    }

    writeln!(out, "\nServices")?;
    let mut t = new_table(
        &[
            "service",
            "requests",
            "errors",
            "error rate",
            "p50",
            "p90",
            "p99",
            "max",
        ],
        &[1, 2, 3, 4, 5, 6, 7],
    );
    for s in &r.services {
        t.add_row(vec![
            sanitize(&s.service),
            s.requests.to_string(),
            s.errors.to_string(),
            percent(s.error_rate),
            human_us(s.latency_us.p50),
            human_us(s.latency_us.p90),
            human_us(s.latency_us.p99),
            human_us(s.latency_us.max),
        ]);
    }
    writeln!(out, "{}", t.trim_fmt())?;

    if r.groups.is_empty() {
        writeln!(
            out,
            "\nNo errors: every kept record is a success or a benign code."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "\nTop groups by {} ({} of {}, by count{})",
        super::by_text(&r.by),
        r.groups.len(),
        r.groups_total,
        if r.groups_folded > 0 {
            format!("; {} records in other", r.groups_folded)
        } else {
            String::new()
        }
    )?;
    let (header, rows) = super::group_rows(r);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let right: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            matches!(
                **h,
                "#" | "code" | "count" | "share" | "p50" | "p99" | "max" | "disk" | "vuid"
            )
        })
        .map(|(i, _)| i)
        .collect();
    let mut t = new_table(&header, &right);
    for row in rows {
        t.add_row(row);
    }
    writeln!(out, "{}", t.trim_fmt())?;

    writeln!(out, "\nWhat they mean")?;
    for (i, g) in r.groups.iter().enumerate() {
        details(i + 1, r, g, out)?;
    }
    Ok(())
}

fn details(rank: usize, r: &Report, g: &GroupReport, out: &mut dyn Write) -> io::Result<()> {
    let name = super::group_name(r, g);
    match (&g.meaning, g.code) {
        (Some(m), _) => {
            writeln!(
                out,
                "{rank:>3}. {name} \"{}\" (owner {}, {})",
                sanitize(&m.message),
                sanitize(&m.owner),
                m.origin.as_str()
            )?;
            writeln!(out, "     {}", sanitize(&m.description))?;
            if !m.hint.is_empty() {
                writeln!(out, "     Check: {}", sanitize(&m.hint))?;
            }
        }
        (None, Some(_)) => writeln!(
            out,
            "{rank:>3}. {name}: not in the code table (class {} by range)",
            g.class.map(|c| c.to_string()).unwrap_or_default()
        )?,
        (None, None) => writeln!(out, "{rank:>3}. {name}")?,
    }
    if let Some(onset) = g.onset {
        writeln!(out, "     Rising since {}", rfc3339(onset))?;
    }
    for s in &g.samples {
        writeln!(
            out,
            "     trace {}  {}  {} {}  {}:{}",
            s.trace_id
                .as_deref()
                .map_or_else(|| "-".to_string(), sanitize),
            rfc3339(s.time),
            sanitize(&s.method),
            sanitize(&s.path),
            sanitize(&super::sample_file(s)),
            s.line
        )?;
    }
    Ok(())
}
