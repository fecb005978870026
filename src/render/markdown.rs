//! Markdown output, for pasting into an incident ticket: a summary line, the services, the
//! ranked codes, and what each means with sample trace ids.

use std::io::{self, Write};

use super::{human_us, percent, sanitize};
use crate::report::Report;
use crate::time::rfc3339;

/// Escapes text for a Markdown table cell: control bytes (see [`crate::escape`]) and `|`.
pub fn cell(s: &str) -> String {
    sanitize(s).replace('|', "\\|")
}

/// Escapes text for an inline code span: control bytes made visible, backticks (which would
/// end the span) replaced.
pub fn code(s: &str) -> String {
    sanitize(s).replace('`', "'")
}

/// Markdown for an incident ticket.
pub struct MarkdownRenderer;

impl super::ReportRenderer for MarkdownRenderer {
    fn report(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        report(r, out)
    }
}

/// Writes the report.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    writeln!(out, "## bsaudit report\n")?;
    writeln!(out, "Input: {}.", super::input_summary(h))?;
    if let (Some(first), Some(last)) = (h.first_seen, h.last_seen) {
        writeln!(
            out,
            "Time span: `{}` to `{}`.",
            rfc3339(first),
            rfc3339(last)
        )?;
    }
    for p in &h.problems {
        writeln!(
            out,
            "- {} `{}`: {}",
            p.kind,
            code(&super::problem_path(p)),
            cell(&p.message)
        )?;
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
        super::by_text(&r.by),
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
                    sanitize(&m.message),
                    sanitize(&m.owner),
                    m.origin.as_str(),
                    sanitize(&m.description)
                )?;
                if !m.hint.is_empty() {
                    writeln!(out, "   - Check: {}", sanitize(&m.hint))?;
                }
            }
            None => writeln!(out, "{}. **{name}**", i + 1)?,
        }
        if let Some(onset) = g.onset {
            writeln!(out, "   - Rising since {}", rfc3339(onset))?;
        }
        for s in &g.samples {
            writeln!(
                out,
                "   - trace `{}` at {}: `{} {}` in `{}:{}`",
                code(s.trace_id.as_deref().unwrap_or("-")),
                rfc3339(s.time),
                code(&s.method),
                code(&s.path),
                code(&super::sample_file(s)),
                s.line
            )?;
        }
    }
    Ok(())
}
