//! Output formats. One [`ReportRenderer`] per format, each in its own module laying out the
//! same [`Report`] model, so a new format is one new file; nothing else in the crate writes
//! to stdout. Shared helpers (human units, sparklines, escaping) live here.

pub mod codes;
pub mod csv;
pub mod diff;
pub mod fail_on;
pub mod hops;
pub mod html;
pub mod invalid;
pub mod json;
pub mod layout;
pub mod lines;
pub mod manual;
pub mod markdown;
/// Lays out `crate::metrics`, not a `Report`: it is not a [`ReportRenderer`].
pub mod prometheus;
pub mod table;
pub mod timeline;
pub mod top;
pub mod trace;

use std::fmt::Write as _;

use crate::dims::Dim;
use crate::escape;
use crate::report::{GroupReport, InputHealth, Report};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// One JSON document (`bsaudit.report/v1`).
    Json,
    /// A header row, then one row per group.
    Csv,
    /// GitHub-flavoured Markdown for an incident ticket.
    Markdown,
    /// One self-contained HTML page with inline SVG charts.
    Html,
}

/// Lays out a report in one output format.
pub trait ReportRenderer {
    /// Writes the whole report.
    fn report(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// The renderer of a format.
pub fn renderer(format: Format) -> Box<dyn ReportRenderer> {
    match format {
        Format::Table => Box::new(table::TableRenderer::default()),
        Format::Json => Box::new(json::JsonRenderer),
        Format::Csv => Box::new(csv::CsvRenderer),
        Format::Markdown => Box::new(markdown::MarkdownRenderer),
        Format::Html => Box::new(html::HtmlRenderer::default()),
    }
}

/// Writes a report in `format`.
pub fn report(
    report: &Report,
    format: Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    renderer(format).report(report, out)
}

/// Writes a report in `format`; the terminal table is laid out for `layout` (the other
/// formats ignore it: they are for programs, whatever the terminal).
pub fn report_with(
    report: &Report,
    format: Format,
    layout: &layout::Layout,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => table::report(report, layout, out),
        other => renderer(other).report(report, out),
    }
}

/// Most columns of a sparkline.
pub const SPARK_COLUMNS: usize = 40;

/// A series summed into at most [`SPARK_COLUMNS`] columns of equal width.
pub fn columns(series: &[u64]) -> Vec<u64> {
    let width = series.len().div_ceil(SPARK_COLUMNS).max(1);
    series.chunks(width).map(|c| c.iter().sum()).collect()
}

/// Block characters scaled to the largest column; an empty column is a space.
pub fn sparkline(columns: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = columns.iter().copied().max().unwrap_or(0);
    columns
        .iter()
        .map(|&n| {
            if n == 0 || max == 0 {
                ' '
            } else {
                BARS[((n * 8 - 1) / max).min(7) as usize]
            }
        })
        .collect()
}

/// A group's trend: its series as a sparkline of at most [`SPARK_COLUMNS`] columns; `None`
/// without a series.
pub fn trend(g: &GroupReport) -> Option<String> {
    (!g.series.is_empty()).then(|| sparkline(&columns(&g.series)))
}

/// The one-line input health summary for stderr.
pub fn health_line(h: &InputHealth) -> String {
    let mut s = format!(
        "bsaudit: {} file{} read",
        h.files,
        if h.files == 1 { "" } else { "s" }
    );
    for (n, what) in [
        (h.files_skipped, "skipped"),
        (h.files_partial, "partial"),
        (h.files_vanished, "vanished"),
        (h.files_replaced, "replaced"),
        (h.files_moved, "moved"),
        (h.files_ignored, "ignored"),
    ] {
        if n > 0 {
            let _ = write!(s, ", {n} {what}");
        }
    }
    let _ = write!(s, "; {}", line_accounting(h));
    s
}

/// "13 files, 1.6 MiB; 3516 lines: 3516 records, ...": what was read, in one line.
pub fn input_summary(h: &InputHealth) -> String {
    format!(
        "{} file{}, {}; {}",
        h.files,
        if h.files == 1 { "" } else { "s" },
        human_bytes(h.bytes),
        line_accounting(h)
    )
}

/// "N lines: N records, N filtered out, N empty, N malformed (reason N, ...), ..." with the
/// zero buckets left out.
pub fn line_accounting(h: &InputHealth) -> String {
    let mut s = format!("{} lines: {} records", h.lines, h.records);
    if h.filtered_out > 0 {
        let _ = write!(s, ", {} filtered out", h.filtered_out);
    }
    if h.empty_lines > 0 {
        let _ = write!(s, ", {} empty", h.empty_lines);
    }
    if h.malformed.total > 0 {
        let reasons: Vec<String> = h
            .malformed
            .by_reason
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = write!(
            s,
            ", {} malformed ({})",
            h.malformed.total,
            reasons.join(", ")
        );
    }
    if h.oversized > 0 {
        let _ = write!(s, ", {} oversized", h.oversized);
    }
    if h.incomplete_tail > 0 {
        let _ = write!(s, ", {} incomplete tail", h.incomplete_tail);
    }
    s
}

/// The ranked groups as text cells for the table and Markdown outputs: a header and one row
/// per group (rank, the dimensions, counts, meaning, latency, times, trend).
pub fn group_rows(r: &Report) -> (Vec<String>, Vec<Vec<String>>) {
    let dims: Vec<Dim> = r.by.clone();
    let has_code = dims.contains(&Dim::Code);
    let has_trend = r.groups.iter().any(|g| !g.series.is_empty());
    // Within one UTC day, times of day are enough.
    let day = |t: Option<i64>| {
        t.map(|t| crate::time::rfc3339(t)[..10.min(crate::time::rfc3339(t).len())].to_string())
    };
    let one_day =
        day(r.input.first_seen).is_some() && day(r.input.first_seen) == day(r.input.last_seen);
    let mut header = vec!["#".to_string()];
    header.extend(dims.iter().map(|d| d.as_str().to_string()));
    header.extend(["count", "share"].map(String::from));
    if has_code {
        header.extend(["class", "message"].map(String::from));
    }
    header.extend(["p50", "p99", "max", "first seen", "last seen"].map(String::from));
    if has_trend {
        header.extend(["onset", "trend"].map(String::from));
    }
    let rows = r
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| group_row(i, g, &dims, has_code, has_trend, one_day))
        .collect();
    (header, rows)
}

fn group_row(
    i: usize,
    g: &GroupReport,
    dims: &[Dim],
    has_code: bool,
    has_trend: bool,
    one_day: bool,
) -> Vec<String> {
    let time = |t: i64| {
        let short = short_time(&crate::time::rfc3339(t));
        if one_day {
            short.get(11..).unwrap_or(&short).to_string()
        } else {
            short
        }
    };
    let mut row = vec![(i + 1).to_string()];
    row.extend(dims.iter().map(|&d| sanitize(&g.value(d))));
    row.push(g.count.to_string());
    row.push(percent(g.share));
    if has_code {
        row.push(g.class.map(|c| c.to_string()).unwrap_or_default());
        row.push(
            g.meaning
                .as_ref()
                .map_or_else(|| "unknown".to_string(), |m| sanitize(&m.message)),
        );
    }
    row.push(human_us(g.latency_us.p50));
    row.push(human_us(g.latency_us.p99));
    row.push(human_us(g.latency_us.max));
    row.push(time(g.first_seen));
    row.push(time(g.last_seen));
    if has_trend {
        row.push(g.onset.map(time).unwrap_or_else(|| "-".to_string()));
        row.push(trend(g).unwrap_or_default());
    }
    row
}

/// `service, code` for headings.
pub fn by_text(by: &[Dim]) -> String {
    by.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
}

/// Where a sample is: `node:path` when the report covers several nodes, else the path.
pub fn sample_file(s: &crate::report::SampleReport) -> String {
    match &s.node {
        Some(node) => format!("{node}:{}", s.file),
        None => s.file.clone(),
    }
}

/// Where a problem is: `node:path` when the report covers several nodes, else the path.
pub fn problem_path(p: &crate::report::Problem) -> String {
    match &p.node {
        Some(node) => format!("{node}:{}", p.path),
        None => p.path.clone(),
    }
}

/// How a group is named in prose: its dimension values joined by spaces.
pub fn group_name(r: &Report, g: &GroupReport) -> String {
    r.by.iter()
        .map(|&d| match d {
            Dim::Service | Dim::Code => sanitize(&g.value(d)),
            _ => format!("{}={}", d.as_str(), sanitize(&g.value(d))),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A duration in microseconds, in the largest unit that keeps it readable: `850µs`, `8.7ms`,
/// `1.25s`.
pub fn human_us(us: u64) -> String {
    match us {
        0..=999 => format!("{us}µs"),
        1_000..=999_999 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

/// A byte count: `512 B`, `1.2 KiB`, `3.4 MiB`, `1.1 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A ratio as a percentage with one decimal (two below 1%).
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p > 0.0 && p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Text from the logs for human output, with control bytes shown as escapes: the `String`
/// form of [`crate::escape::text`], the one escaper (see there for what it escapes).
pub fn sanitize(s: &str) -> String {
    escape::text(s).into_owned()
}

/// `2025-11-24T10:42:00.123456Z` -> `2025-11-24 10:42:00` for narrow table columns.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) => head.replacen('T', " ", 1),
        None => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[0, 0]), "  ");
        assert_eq!(sparkline(&[3]), "█");
        assert_eq!(columns(&[1; 81]), [3; 27]);
    }

    #[test]
    fn humans() {
        assert_eq!(human_us(850), "850µs");
        assert_eq!(human_us(8_678), "8.7ms");
        assert_eq!(human_us(1_250_000), "1.25s");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(percent(0.0012), "0.12%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(
            short_time("2025-11-24T10:42:00.123456Z"),
            "2025-11-24 10:42:00"
        );
    }
}

#[cfg(test)]
mod renderer_tests {
    //! Every renderer on a hand-built model: hostile bytes from a log stay inert, numbers and
    //! times come out in each format's form.

    use std::collections::BTreeMap;

    use super::*;
    use crate::codes::Class;
    use crate::histogram::Histogram;
    use crate::report::{
        GroupReport, InputHealth, Latency, MalformedCounts, Report, SampleReport, ServiceSummary,
        Span,
    };

    const T0: i64 = 1_764_000_000_000_000_000;

    fn model() -> Report {
        let mut h = Histogram::default();
        for v in [1_000, 2_000, 50_000] {
            h.record(v);
        }
        let hostile = "/x/\u{1b}[2J`|pwn`";
        Report {
            schema: crate::report::SCHEMA,
            input: InputHealth {
                files: 1,
                files_skipped: 0,
                files_partial: 0,
                files_vanished: 0,
                files_replaced: 0,
                files_moved: 0,
                files_outside_window: 0,
                files_ignored: 0,
                bytes: 300,
                lines: 4,
                records: 4,
                filtered_out: 0,
                empty_lines: 0,
                malformed: MalformedCounts {
                    total: 0,
                    by_reason: BTreeMap::new(),
                },
                oversized: 0,
                incomplete_tail: 0,
                first_seen: Some(T0),
                last_seen: Some(T0 + 120_000_000_000),
                problems: Vec::new(),
            },
            services: vec![ServiceSummary {
                service: "EVIL\u{1b}]0;x\u{7}".to_string(),
                requests: 4,
                errors: 3,
                error_rate: 0.75,
                latency_us: Latency::of(&h),
            }],
            by: vec![crate::dims::Dim::Service, crate::dims::Dim::Code],
            groups_total: 1,
            groups_folded: 0,
            groups_exact: true,
            groups: vec![GroupReport {
                service: Some("EVIL\u{1b}]0;x\u{7}".to_string()),
                code: Some(613),
                values: BTreeMap::new(),
                count: 3,
                share: 0.75,
                class: Some(Class::Server),
                meaning: None,
                latency_us: Latency::of(&h),
                histogram: h.clone(),
                first_seen: T0,
                last_seen: T0 + 120_000_000_000,
                resp_bytes: 10,
                series: vec![0, 1, 2],
                onset: Some(T0 + 60_000_000_000),
                samples: vec![SampleReport {
                    trace_id: Some("t\u{1b}[1m".to_string()),
                    time: T0,
                    method: "GET".to_string(),
                    path: hostile.to_string(),
                    node: None,
                    file: "a|b.log".to_string(),
                    line: 7,
                }],
            }],
            fail_on: Vec::new(),
            span: Some(Span {
                bucket_ns: 60_000_000_000,
                first: T0 / 60_000_000_000,
                len: 3,
            }),
            multi_node: false,
        }
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        report(&model(), format, &mut out).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn table_and_markdown_never_carry_control_bytes() {
        for format in [Format::Table, Format::Markdown] {
            let text = render(format);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{format:?}: {text:?}"
            );
            assert!(text.contains("613"), "{format:?}");
            assert!(text.contains(" ▄█"), "{format:?}: the row's own trend");
        }
        let md = render(Format::Markdown);
        // Inline code spans stay closed: no backtick from the log inside them.
        for line in md.lines() {
            assert_eq!(line.matches('`').count() % 2, 0, "{line}");
        }
        assert!(
            md.contains("Rising since 2025-11-24T16:01:00.000000Z"),
            "{md}"
        );
    }

    #[test]
    fn html_shows_hostile_bytes_as_text() {
        let html = render(Format::Html);
        assert!(!html.chars().any(|c| c.is_control() && c != '\n'), "{html}");
        assert!(html.contains("<td>EVIL\\x1b]0;x\\x07</td>"), "{html}");
        assert!(html.contains("/x/\\x1b[2J`|pwn`"));
        assert!(html.contains("<tr class=\"group\" id=\"group-row-1\">"));
        assert_eq!(html.matches("<polyline").count(), 1, "one charted group");
        assert_eq!(html.matches("class=\"onset\"").count(), 1);
    }

    #[test]
    fn csv_is_exact_and_json_is_the_v1_schema() {
        let csv_text = render(Format::Csv);
        let mut rows = ::csv::Reader::from_reader(csv_text.as_bytes());
        let header = rows.headers().expect("header").clone();
        assert_eq!(&header[0], "rank");
        assert_eq!(&header[1], "service");
        let row = rows.records().next().expect("one row").expect("row");
        assert_eq!(&row[2], "613");
        assert_eq!(&row[3], "3");

        let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).expect("json");
        assert_eq!(v["schema"], "bsaudit.report/v1");
        let g = &v["groups"][0];
        assert_eq!(g["sparkline"], " ▄█");
        assert_eq!(g["first_seen"], "2025-11-24T16:00:00.000000Z");
        assert_eq!(g["onset"], "2025-11-24T16:01:00.000000Z");
        assert_eq!(
            g["samples"][0]["path"], "/x/\u{1b}[2J`|pwn`",
            "JSON keeps the bytes"
        );
        assert_eq!(v["by"], serde_json::json!(["service", "code"]));
        let keys: Vec<&str> = g
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let at = |k: &str| keys.iter().position(|x| *x == k).expect(k);
        assert_eq!(at("sparkline"), at("resp_bytes") + 1, "v1 order: {keys:?}");
    }
}
