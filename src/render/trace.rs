//! Output of `bsaudit trace`: one waterfall per trace id (offset, a duration bar over the
//! trace's span, service@host, method, path, code and meaning, then the record's parsed
//! Trace-Log), or the model as JSON (`bsaudit.trace/v1`).

use std::io::{self, Write};

use super::{human_bytes, human_us, sanitize};
use crate::trace::{SearchInput, TraceRecord, TraceReport, TraceView};
use crate::tracelog::{PieceView, Role};

/// Columns of the duration bar.
const BAR: usize = 32;

/// Writes the report as waterfalls or JSON.
pub fn write(r: &TraceReport, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        return super::json::write(r, out);
    }
    for (i, t) in r.traces.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        waterfall(t, out)?;
    }
    Ok(())
}

/// The one-line summary for stderr.
pub fn summary_line(input: &SearchInput) -> String {
    let c = &input.counts;
    let mut s = format!(
        "bsaudit: {} file{} read ({})",
        input.files,
        if input.files == 1 { "" } else { "s" },
        human_bytes(input.bytes)
    );
    for (n, what) in [
        (input.files_skipped, "skipped"),
        (input.files_partial, "partial"),
        (input.files_vanished, "vanished"),
    ] {
        if n > 0 {
            s += &format!(", {n} {what}");
        }
    }
    s + &format!(
        "; {} lines searched, {} held an id, {} records matched",
        c.lines_searched, c.lines_with_id, c.records_matched
    )
}

fn waterfall(t: &TraceView, out: &mut dyn Write) -> io::Result<()> {
    let Some(start) = &t.start else {
        return writeln!(out, "trace {}: no records", sanitize(&t.trace_id));
    };
    writeln!(
        out,
        "trace {}: {} record{}, {} error{}, from {} over {}",
        sanitize(&t.trace_id),
        t.records.len(),
        if t.records.len() == 1 { "" } else { "s" },
        t.errors,
        if t.errors == 1 { "" } else { "s" },
        start,
        human_us(t.span_us)
    )?;
    let who: Vec<String> = t.records.iter().map(service_at).collect();
    let paths: Vec<String> = t.records.iter().map(|r| sanitize(&r.path)).collect();
    let who_w = who
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let method_w = t
        .records
        .iter()
        .map(|r| r.method.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let path_w = paths
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    writeln!(
        out,
        "{:>9}  {:>9}  {:<bar$}  {:<who_w$}  {:<method_w$}  {:<path_w$}  code",
        "offset",
        "duration",
        "waterfall",
        "service@host",
        "method",
        "path",
        bar = BAR + 2,
    )?;
    for ((rec, who), path) in t.records.iter().zip(&who).zip(&paths) {
        writeln!(
            out,
            "{:>9}  {:>9}  |{}|  {:<who_w$}  {:<method_w$}  {:<path_w$}  {}",
            format!("+{}", human_us(u64::try_from(rec.offset_us).unwrap_or(0))),
            human_us(rec.duration_us),
            bar(rec, t.span_us),
            who,
            sanitize(&rec.method),
            path,
            code(rec),
        )?;
        for line in log_lines(rec) {
            writeln!(out, "{:>22}{line}", "")?;
        }
    }
    Ok(())
}

fn service_at(r: &TraceRecord) -> String {
    match &r.host {
        Some(h) => format!("{}@{}", sanitize(&r.service), sanitize(h)),
        None => sanitize(&r.service),
    }
}

fn code(r: &TraceRecord) -> String {
    match &r.message {
        Some(m) => format!("{} {}", r.code, sanitize(m)),
        None => format!("{} ({})", r.code, r.class),
    }
}

/// The record's span within the trace's, drawn over [`BAR`] columns (at least one).
fn bar(r: &TraceRecord, span_us: u64) -> String {
    let span = span_us.max(1) as u128;
    let offset = u128::try_from(r.offset_us).unwrap_or(0);
    let from = ((offset * BAR as u128) / span).min(BAR as u128 - 1) as usize;
    let to = (((offset + u128::from(r.duration_us)) * BAR as u128).div_ceil(span))
        .clamp(from as u128 + 1, BAR as u128) as usize;
    let mut s = String::with_capacity(BAR * 3);
    for col in 0..BAR {
        s.push(if (from..to).contains(&col) {
            '█'
        } else {
            '·'
        });
    }
    s
}

/// One line per Trace-Log element: its pieces, nested calls joined with `;`.
fn log_lines(r: &TraceRecord) -> Vec<String> {
    let log = &r.trace_log;
    if log.invalid {
        return vec!["└ trace-log: unreadable".to_string()];
    }
    log.elements
        .iter()
        .filter(|e| e.iter().any(|p| p.role != Role::Empty))
        .map(|e| {
            let parts: Vec<String> = e
                .iter()
                .filter(|p| p.role != Role::Empty)
                .map(piece)
                .collect();
            format!("└ {}", parts.join(" ; "))
        })
        .collect()
}

fn piece(p: &PieceView) -> String {
    match p.role {
        Role::Stage => match p.stage {
            Some(s) => format!(
                "stages: alloc {}ms, read {}ms, write {}ms",
                s.a_ms, s.r_ms, s.w_ms
            ),
            None => "stages".to_string(),
        },
        Role::Malformed => format!("? {}", sanitize(p.raw.as_deref().unwrap_or(""))),
        Role::Empty => String::new(),
        Role::Own | Role::Hop => {
            let mut s = sanitize(p.module.as_deref().unwrap_or(""));
            if let Some(h) = &p.host {
                s += &format!("@{}", sanitize(h));
            }
            s += " ";
            let us = p.duration_us.unwrap_or(0);
            if p.under_1ms {
                s += "<1ms";
            } else if us.is_multiple_of(1000) {
                // Whole milliseconds, as Trace-Log writes them.
                s += &format!("{}ms", us / 1000);
            } else {
                s += &human_us(us);
            }
            if let Some(e) = &p.error {
                s += &format!(" ERROR: {}", sanitize(e));
            }
            if p.role == Role::Own {
                s += " (own)";
            }
            s
        }
    }
}
