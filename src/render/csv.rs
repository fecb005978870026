//! CSV output: a header row, then one row per ranked group. The columns are the rank, the
//! `--by` dimensions (service, code by default), then a fixed list; input health goes to
//! stderr.

use std::io::{self, Write};

use crate::dims::Dim;
use crate::report::Report;
use crate::time::rfc3339;

/// The columns after the dimensions.
pub const REPORT_COLUMNS: [&str; 17] = [
    "count",
    "share",
    "class",
    "owner",
    "message",
    "origin",
    "p50_us",
    "p90_us",
    "p99_us",
    "max_us",
    "mean_us",
    "first_seen",
    "last_seen",
    "resp_bytes",
    "service_requests",
    "sample_trace_ids",
    "onset",
];

/// CSV, one row per ranked group.
pub struct CsvRenderer;

impl crate::render::ReportRenderer for CsvRenderer {
    fn report(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        report(r, out)
    }
}

/// Writes the ranked groups.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let dims: Vec<Dim> = r.by.clone();
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["rank"];
    header.extend(dims.iter().map(|d| d.as_str()));
    header.extend(REPORT_COLUMNS);
    w.write_record(&header).map_err(io::Error::from)?;
    for (i, g) in r.groups.iter().enumerate() {
        let requests = g
            .service
            .as_ref()
            .and_then(|name| r.services.iter().find(|s| &s.service == name))
            .map(|s| s.requests.to_string())
            .unwrap_or_default();
        let (owner, message, origin) = match (&g.meaning, g.code) {
            (Some(m), _) => (m.owner.as_str(), m.message.as_str(), m.origin.as_str()),
            (None, Some(_)) => ("", "unknown", ""),
            (None, None) => ("", "", ""),
        };
        let traces: Vec<&str> = g
            .samples
            .iter()
            .filter_map(|s| s.trace_id.as_deref())
            .collect();
        let mut row = vec![(i + 1).to_string()];
        row.extend(dims.iter().map(|&d| g.value(d)));
        row.extend([
            g.count.to_string(),
            format!("{:.6}", g.share),
            g.class.map(|c| c.to_string()).unwrap_or_default(),
            owner.to_string(),
            message.to_string(),
            origin.to_string(),
            g.latency_us.p50.to_string(),
            g.latency_us.p90.to_string(),
            g.latency_us.p99.to_string(),
            g.latency_us.max.to_string(),
            format!("{:.1}", g.latency_us.mean),
            rfc3339(g.first_seen),
            rfc3339(g.last_seen),
            g.resp_bytes.to_string(),
            requests,
            traces.join(" "),
            g.onset.map(rfc3339).unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(io::Error::from)?;
    }
    w.flush()
}
