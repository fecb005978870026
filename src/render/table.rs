//! The terminal report: input health, services, ranked groups, then what each code means and
//! where to look next.

use std::io::{self, Write};

use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

use super::{human_bytes, human_us, line_accounting, percent, sanitize, short_time};
use crate::report::{GroupReport, Report};

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

/// Writes the report.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    writeln!(
        out,
        "Input: {} file{}, {}; {}",
        h.files,
        if h.files == 1 { "" } else { "s" },
        human_bytes(h.bytes),
        line_accounting(h)
    )?;
    if let (Some(first), Some(last)) = (&h.first_seen, &h.last_seen) {
        writeln!(out, "Time span: {first} .. {last}")?;
    }
    for p in &h.problems {
        writeln!(
            out,
            "  {} {}: {}",
            p.kind,
            sanitize(&p.path),
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
        "\nTop codes ({} of {} groups, by count)",
        r.groups.len(),
        r.groups_total
    )?;
    let mut t = new_table(
        &[
            "#",
            "service",
            "code",
            "count",
            "share",
            "class",
            "message",
            "p50",
            "p99",
            "max",
            "first seen",
            "last seen",
        ],
        &[0, 2, 3, 4, 7, 8, 9],
    );
    for (i, g) in r.groups.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            sanitize(&g.service),
            g.code.to_string(),
            g.count.to_string(),
            percent(g.share),
            g.class.to_string(),
            g.meaning
                .as_ref()
                .map_or_else(|| "unknown".to_string(), |m| m.message.clone()),
            human_us(g.latency_us.p50),
            human_us(g.latency_us.p99),
            human_us(g.latency_us.max),
            short_time(&g.first_seen),
            short_time(&g.last_seen),
        ]);
    }
    writeln!(out, "{}", t.trim_fmt())?;

    writeln!(out, "\nWhat they mean")?;
    for (i, g) in r.groups.iter().enumerate() {
        details(i + 1, g, out)?;
    }
    Ok(())
}

fn details(rank: usize, g: &GroupReport, out: &mut dyn Write) -> io::Result<()> {
    match &g.meaning {
        Some(m) => {
            writeln!(
                out,
                "{rank:>3}. {} {} {:?} (owner {}, {})",
                sanitize(&g.service),
                g.code,
                m.message,
                m.owner,
                m.origin.as_str()
            )?;
            writeln!(out, "     {}", m.description)?;
            if !m.hint.is_empty() {
                writeln!(out, "     Check: {}", m.hint)?;
            }
        }
        None => writeln!(
            out,
            "{rank:>3}. {} {}: not in the code table (class {} by range)",
            sanitize(&g.service),
            g.code,
            g.class
        )?,
    }
    for s in &g.samples {
        writeln!(
            out,
            "     trace {}  {}  {} {}  {}:{}",
            s.trace_id
                .as_deref()
                .map_or_else(|| "-".to_string(), sanitize),
            s.time,
            sanitize(&s.method),
            sanitize(&s.path),
            sanitize(&s.file),
            s.line
        )?;
    }
    Ok(())
}
