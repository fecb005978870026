//! Markdown output, for pasting into an incident ticket: a summary line, the services, the
//! ranked codes, and what each means with sample trace ids.

use std::io::{self, Write};

use super::{human_us, percent};
use crate::report::Report;

/// Escapes text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    super::sanitize(s).replace('|', "\\|")
}

/// Writes the report.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    writeln!(out, "## bsaudit report\n")?;
    writeln!(out, "Input: {}.", super::input_summary(h))?;
    if let (Some(first), Some(last)) = (&h.first_seen, &h.last_seen) {
        writeln!(out, "Time span: `{first}` to `{last}`.")?;
    }
    for p in &h.problems {
        writeln!(out, "- {} `{}`: {}", p.kind, p.path, cell(&p.message))?;
    }
    writeln!(out, "\n### Services\n")?;
    writeln!(
        out,
        "| service | requests | errors | error rate | p50 | p90 | p99 | max |"
    )?;
    writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|")?;
    for s in &r.services {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&s.service),
            s.requests,
            s.errors,
            percent(s.error_rate),
            human_us(s.latency_us.p50),
            human_us(s.latency_us.p90),
            human_us(s.latency_us.p99),
            human_us(s.latency_us.max)
        )?;
    }
    writeln!(
        out,
        "\n### Top groups by {} ({} of {})\n",
        r.by.join(", "),
        r.groups.len(),
        r.groups_total
    )?;
    if r.groups.is_empty() {
        writeln!(out, "No errors.")?;
        return Ok(());
    }
    let (header, rows) = super::group_rows(r);
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(
        out,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    )?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out, "\n### What they mean\n")?;
    for (i, g) in r.groups.iter().enumerate() {
        let name = cell(&super::group_name(r, g));
        match &g.meaning {
            Some(m) => {
                writeln!(
                    out,
                    "{}. **{name}** `{}` (owner {}, {}): {}",
                    i + 1,
                    m.message,
                    m.owner,
                    m.origin.as_str(),
                    m.description
                )?;
                if !m.hint.is_empty() {
                    writeln!(out, "   - Check: {}", m.hint)?;
                }
            }
            None => writeln!(out, "{}. **{name}**", i + 1)?,
        }
        if let Some(onset) = &g.onset {
            writeln!(out, "   - Rising since {onset}")?;
        }
        for s in &g.samples {
            writeln!(
                out,
                "   - trace `{}` at {}: `{} {}` in `{}:{}`",
                s.trace_id.as_deref().unwrap_or("-"),
                s.time,
                s.method,
                s.path,
                s.file,
                s.line
            )?;
        }
    }
    Ok(())
}
