//! Output of `bsaudit hops`: a headline naming where the time goes, the ranked hops, and
//! ACCESS's stage timings; or the whole model as JSON (`bsaudit.hops/v1`).

use std::io::{self, Write};

use super::table::new_table;
use super::{human_us, percent, sanitize};
use crate::hops::{HopRow, HopsReport};

/// Writes the report as a table or JSON.
pub fn write(r: &HopsReport, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        return super::json::write(r, out);
    }
    let c = &r.trace_logs;
    writeln!(out, "Input: {}", super::input_summary(&r.input))?;
    writeln!(
        out,
        "Trace-Log: {} records with one ({} without, {} unreadable); {} calls, {} own elements, \
         {} stage pieces, {} malformed, {} empty",
        c.records_with_log,
        c.records_without_log,
        c.records_invalid_log,
        c.hop_pieces,
        c.own_pieces,
        c.stage_pieces,
        c.malformed_pieces,
        c.empty_pieces
    )?;
    for p in &r.input.problems {
        writeln!(
            out,
            "  {} {}: {}",
            p.kind,
            sanitize(&p.path),
            sanitize(&p.message)
        )?;
    }
    let Some(first) = r.hops.first() else {
        return writeln!(out, "\nNo calls to other modules in the kept records.");
    };
    writeln!(out, "\n{}", headline(first))?;

    let by_host = r.by.contains(&"host");
    let by_disk = r.by.contains(&"disk");
    let mut header = vec!["#", "service", "downstream"];
    if by_host {
        header.push("host");
    }
    if by_disk {
        header.push("disk");
    }
    let first_number = header.len();
    header.extend(["calls", "errors", "err%", "p50", "p99", "max", "total"]);
    if !by_host {
        header.push("most time at host (total, p99)");
    }
    header.push("top errors");
    let right: Vec<usize> = (first_number..first_number + 7).chain([0]).collect();
    let mut t = new_table(&header, &right);
    for h in &r.hops {
        let mut row = vec![
            h.rank.to_string(),
            sanitize(&h.service),
            format!(
                "→ {}{}",
                sanitize(&h.downstream),
                if h.downstream_kind == "step" {
                    " (step)"
                } else {
                    ""
                }
            ),
        ];
        if let Some(host) = &h.host {
            row.push(sanitize(host));
        }
        if let Some(disk) = &h.disk {
            row.push(disk.clone());
        }
        row.extend([
            h.calls.to_string(),
            h.errors.to_string(),
            percent(h.error_rate),
            ms(h.latency_us.p50),
            ms(h.latency_us.p99),
            ms(h.latency_us.max),
            human_us(h.latency_us.sum),
        ]);
        if !by_host {
            row.push(match &h.top_host {
                Some(t) => format!(
                    "{} ({}, {})",
                    sanitize(&t.host),
                    human_us(t.sum_us),
                    ms(t.p99_us)
                ),
                None => "-".to_string(),
            });
        }
        row.push(top_errors(h));
        t.add_row(row);
    }
    writeln!(out, "{}", t.trim_fmt())?;
    if r.hops_total > r.hops.len() {
        writeln!(
            out,
            "{} more rows (--top 0 shows all)",
            r.hops_total - r.hops.len()
        )?;
    }

    if !r.stages.is_empty() {
        writeln!(
            out,
            "\nStages (a: buffer allocation, r: reading, w: writing)"
        )?;
        let mut t = new_table(
            &[
                "service", "api", "count", "a p50", "a p99", "a total", "r p50", "r p99",
                "r total", "w p50", "w p99", "w total",
            ],
            &[2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        );
        for s in &r.stages {
            t.add_row(vec![
                sanitize(&s.service),
                sanitize(&s.api),
                s.count.to_string(),
                ms(s.alloc_us.p50),
                ms(s.alloc_us.p99),
                human_us(s.alloc_us.sum),
                ms(s.read_us.p50),
                ms(s.read_us.p99),
                human_us(s.read_us.sum),
                ms(s.write_us.p50),
                ms(s.write_us.p99),
                human_us(s.write_us.sum),
            ]);
        }
        writeln!(out, "{}", t.trim_fmt())?;
    }
    Ok(())
}

/// The first row in words: where most of the time goes, and at which host.
fn headline(h: &HopRow) -> String {
    let mut s = format!(
        "Most time: {} → {}",
        sanitize(&h.service),
        sanitize(&h.downstream)
    );
    if let Some(host) = &h.host {
        s += &format!("@{}", sanitize(host));
    }
    if let Some(disk) = h.disk.as_deref().filter(|d| *d != "-") {
        s += &format!(" disk {disk}");
    }
    s += &format!(
        ", {} over {} call{} (p99 {}, max {})",
        human_us(h.latency_us.sum),
        h.calls,
        if h.calls == 1 { "" } else { "s" },
        ms(h.latency_us.p99),
        ms(h.latency_us.max)
    );
    if let Some(t) = &h.top_host {
        s += &format!(
            "; most of it at {}: {} over {} calls (p99 {})",
            sanitize(&t.host),
            human_us(t.sum_us),
            t.calls,
            ms(t.p99_us)
        );
    }
    if h.errors > 0 {
        s += &format!("; {} failed", h.errors);
    }
    s + "."
}

fn top_errors(h: &HopRow) -> String {
    let mut parts: Vec<String> = h
        .top_errors
        .iter()
        .map(|e| {
            let text = if e.text.is_empty() {
                "(no text)".to_string()
            } else {
                sanitize(&e.text)
            };
            format!("{text} ×{}", e.count)
        })
        .collect();
    if h.errors > h.top_errors.iter().map(|e| e.count).sum::<u64>() {
        parts.push("…".to_string());
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

/// Microseconds as milliseconds, the unit Trace-Log speaks: `<1ms` below one, else one decimal
/// under 100 ms.
fn ms(us: u64) -> String {
    match us {
        0..=999 => "<1ms".to_string(),
        1_000..=99_999 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{}ms", us / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds() {
        assert_eq!(ms(0), "<1ms");
        assert_eq!(ms(1500), "1.5ms");
        assert_eq!(ms(412_000), "412ms");
    }
}
