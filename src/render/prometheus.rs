//! `--format prometheus`: the [`Metrics`] view in the Prometheus text exposition format 0.0.4,
//! the one node_exporter's textfile collector reads (it does not read OpenMetrics).
//!
//! Every family has `# HELP` and `# TYPE`; units are seconds and bytes; no sample carries a
//! timestamp (the collector refuses them). Label values are escaped as the format asks
//! (`\\`, `\"`, `\n`). Every value is a snapshot of the window this run scanned, so all are
//! gauges but the duration histogram (see the README for why).

use std::io::{self, Write};

use crate::metrics::{BUCKETS_MS, Metrics};

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// Escapes HELP text: backslash and line feed.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn head(out: &mut dyn Write, name: &str, kind: &str, help: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {}", escape_help(help))?;
    writeln!(out, "# TYPE {name} {kind}")
}

/// Seconds from ns, as Prometheus reads floats.
fn seconds_ns(ns: i64) -> String {
    format!("{}", ns as f64 / 1e9)
}

/// Writes the metrics.
pub fn write(m: &Metrics, out: &mut dyn Write) -> io::Result<()> {
    let code_labels = |l: &crate::metrics::RequestLabels, class: &str, code: &str| {
        labels(&[
            ("service", &l.service),
            ("api", &l.api),
            ("method", &l.method),
            ("code", code),
            ("class", class),
        ])
    };
    head(
        out,
        "bsaudit_requests",
        "gauge",
        "Requests in the scanned window by service, CubeFS api, method, status code and class.",
    )?;
    for (l, v) in &m.requests {
        let code = l.code.to_string();
        writeln!(
            out,
            "bsaudit_requests{} {}",
            code_labels(l, &v.class, &code),
            v.requests
        )?;
    }
    head(
        out,
        "bsaudit_response_bytes",
        "gauge",
        "Response bytes written to clients in the scanned window.",
    )?;
    for (l, v) in &m.requests {
        let code = l.code.to_string();
        writeln!(
            out,
            "bsaudit_response_bytes{} {}",
            code_labels(l, &v.class, &code),
            v.resp_bytes
        )?;
    }
    head(
        out,
        "bsaudit_request_duration_seconds",
        "histogram",
        "Request durations in the scanned window by service and CubeFS api, every code, in \
         CubeFS's buckets.",
    )?;
    for ((service, api), b) in &m.durations {
        for (n, ms) in b.le.iter().zip(BUCKETS_MS) {
            let le = format!("{}", ms as f64 / 1000.0);
            writeln!(
                out,
                "bsaudit_request_duration_seconds_bucket{} {n}",
                labels(&[("service", service), ("api", api), ("le", &le)])
            )?;
        }
        let base = labels(&[("service", service), ("api", api)]);
        let inf = labels(&[("service", service), ("api", api), ("le", "+Inf")]);
        writeln!(
            out,
            "bsaudit_request_duration_seconds_bucket{inf} {}",
            b.count
        )?;
        writeln!(
            out,
            "bsaudit_request_duration_seconds_sum{base} {}",
            b.sum_us as f64 / 1e6
        )?;
        writeln!(
            out,
            "bsaudit_request_duration_seconds_count{base} {}",
            b.count
        )?;
    }
    head(
        out,
        "bsaudit_malformed_lines",
        "gauge",
        "Lines that are not audit records, by reason.",
    )?;
    for (reason, n) in &m.malformed {
        writeln!(
            out,
            "bsaudit_malformed_lines{} {n}",
            labels(&[("reason", reason)])
        )?;
    }
    head(
        out,
        "bsaudit_input_lines",
        "gauge",
        "Lines read, by what they were.",
    )?;
    for (outcome, n) in &m.lines {
        writeln!(
            out,
            "bsaudit_input_lines{} {n}",
            labels(&[("outcome", outcome)])
        )?;
    }
    head(
        out,
        "bsaudit_input_files",
        "gauge",
        "Input files by state: read (fully or in part), skipped, partial, vanished, replaced, \
         moved, outside_window, ignored.",
    )?;
    for (state, n) in &m.files {
        writeln!(
            out,
            "bsaudit_input_files{} {n}",
            labels(&[("state", state)])
        )?;
    }
    head(
        out,
        "bsaudit_input_bytes",
        "gauge",
        "Bytes of log text scanned.",
    )?;
    writeln!(out, "bsaudit_input_bytes {}", m.bytes)?;
    for (name, help, value) in [
        (
            "bsaudit_oldest_record_timestamp_seconds",
            "Start time of the oldest record kept, Unix seconds.",
            m.first_ns,
        ),
        (
            "bsaudit_newest_record_timestamp_seconds",
            "Start time of the newest record read, kept by the filters or not, Unix seconds.",
            m.newest_ns,
        ),
        (
            "bsaudit_window_start_timestamp_seconds",
            "Start of the window scanned (--since, else the oldest record), Unix seconds.",
            m.window_start_ns,
        ),
        (
            "bsaudit_window_end_timestamp_seconds",
            "End of the window scanned (--until, else the newest record), Unix seconds.",
            m.window_end_ns,
        ),
    ] {
        head(out, name, "gauge", help)?;
        if let Some(ns) = value {
            writeln!(out, "{name} {}", seconds_ns(ns))?;
        }
    }
    head(
        out,
        "bsaudit_series_limit",
        "gauge",
        "Most (service, api, method, code) label sets written (--max-series).",
    )?;
    writeln!(out, "bsaudit_series_limit {}", m.max_series)?;
    head(
        out,
        "bsaudit_folded_label_sets",
        "gauge",
        "Label sets over the limit, counted under api=\"other\",method=\"other\".",
    )?;
    writeln!(out, "bsaudit_folded_label_sets {}", m.folded_sets)?;
    head(
        out,
        "bsaudit_folded_requests",
        "gauge",
        "Requests of the folded label sets.",
    )?;
    writeln!(out, "bsaudit_folded_requests {}", m.folded_requests)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::metrics::{Buckets, RequestLabels, RequestValue};

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(labels(&[("k", "x\"y")]), "{k=\"x\\\"y\"}");
    }

    #[test]
    fn families_have_help_type_and_no_timestamps() {
        let mut requests = BTreeMap::new();
        requests.insert(
            RequestLabels {
                service: "EVIL\"\n".to_string(),
                api: "evil.x".to_string(),
                method: "GET".to_string(),
                code: 613,
            },
            RequestValue {
                class: "server".to_string(),
                requests: 3,
                resp_bytes: 10,
            },
        );
        let mut durations = BTreeMap::new();
        durations.insert(
            ("EVIL\"\n".to_string(), "evil.x".to_string()),
            Buckets {
                le: [1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3],
                count: 3,
                sum_us: 2_500_000,
            },
        );
        let m = Metrics {
            requests,
            durations,
            malformed: vec![("too_few_fields".to_string(), 0)],
            lines: vec![("record", 3)],
            files: vec![("read", 1)],
            bytes: 300,
            first_ns: Some(1_764_000_000_000_000_000),
            newest_ns: Some(1_764_000_000_500_000_000),
            window_start_ns: None,
            window_end_ns: None,
            max_series: 10,
            folded_sets: 0,
            folded_requests: 0,
        };
        let mut out = Vec::new();
        write(&m, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(
            "bsaudit_requests{service=\"EVIL\\\"\\n\",api=\"evil.x\",method=\"GET\",code=\"613\",class=\"server\"} 3\n"
        ), "{text}");
        assert!(text.contains("le=\"0.001\"} 1\n"), "{text}");
        assert!(text.contains("le=\"2.5\"} 3\n"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains(
            "bsaudit_request_duration_seconds_sum{service=\"EVIL\\\"\\n\",api=\"evil.x\"} 2.5\n"
        ));
        assert!(text.contains("bsaudit_newest_record_timestamp_seconds 1764000000.5\n"));
        // Each sample line is `name{labels} value`: two fields once labels are taken out.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let tail = line.rsplit('}').next().unwrap_or(line);
            assert_eq!(
                tail.split_whitespace().count(),
                if line.contains('}') { 1 } else { 2 },
                "{line}"
            );
        }
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .collect();
        for n in &names {
            assert!(text.contains(&format!("# HELP {}", n.split(' ').next().unwrap_or(""))));
        }
    }
}
