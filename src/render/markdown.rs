//! Markdown output, for pasting into an incident ticket: a summary line, the services, the
//! ranked codes, and what each means with sample trace ids.

use std::io::{self, Write};

use super::{human_bytes, human_us, line_accounting, percent};
use crate::report::Report;

/// Escapes text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    super::sanitize(s).replace('|', "\\|")
}

/// Writes the report.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.input;
    writeln!(out, "## bsaudit report\n")?;
    writeln!(
        out,
        "Input: {} file{}, {}; {}.",
        h.files,
        if h.files == 1 { "" } else { "s" },
        human_bytes(h.bytes),
        line_accounting(h)
    )?;
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
        "\n### Top codes ({} of {} groups)\n",
        r.groups.len(),
        r.groups_total
    )?;
    if r.groups.is_empty() {
        writeln!(out, "No errors.")?;
        return Ok(());
    }
    writeln!(
        out,
        "| # | service | code | count | share | class | message | p50 | p99 | max | first seen | last seen |"
    )?;
    writeln!(out, "|--:|---|--:|--:|--:|---|---|--:|--:|--:|---|---|")?;
    for (i, g) in r.groups.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            cell(&g.service),
            g.code,
            g.count,
            percent(g.share),
            g.class,
            g.meaning
                .as_ref()
                .map_or_else(|| "unknown".to_string(), |m| cell(&m.message)),
            human_us(g.latency_us.p50),
            human_us(g.latency_us.p99),
            human_us(g.latency_us.max),
            g.first_seen,
            g.last_seen
        )?;
    }
    writeln!(out, "\n### What they mean\n")?;
    for (i, g) in r.groups.iter().enumerate() {
        match &g.meaning {
            Some(m) => {
                writeln!(
                    out,
                    "{}. **{} {}** `{}` (owner {}, {}): {}",
                    i + 1,
                    cell(&g.service),
                    g.code,
                    m.message,
                    m.owner,
                    m.origin.as_str(),
                    m.description
                )?;
                if !m.hint.is_empty() {
                    writeln!(out, "   - Check: {}", m.hint)?;
                }
            }
            None => writeln!(
                out,
                "{}. **{} {}**: not in the code table (class {} by range)",
                i + 1,
                cell(&g.service),
                g.code,
                g.class
            )?,
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
