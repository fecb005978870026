//! CSV output: a header row, then one row per ranked group. Columns are stable for scripts;
//! input health goes to stderr.

use std::io::{self, Write};

use crate::report::Report;

/// The header row.
pub const REPORT_COLUMNS: [&str; 19] = [
    "rank",
    "service",
    "code",
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
];

/// Writes the ranked groups.
pub fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(REPORT_COLUMNS).map_err(io::Error::from)?;
    for (i, g) in r.groups.iter().enumerate() {
        let requests = r
            .services
            .iter()
            .find(|s| s.service == g.service)
            .map_or(0, |s| s.requests);
        let (owner, message, origin) = match &g.meaning {
            Some(m) => (m.owner.as_str(), m.message.as_str(), m.origin.as_str()),
            None => ("", "unknown", ""),
        };
        let traces: Vec<&str> = g
            .samples
            .iter()
            .filter_map(|s| s.trace_id.as_deref())
            .collect();
        w.write_record([
            (i + 1).to_string(),
            g.service.clone(),
            g.code.to_string(),
            g.count.to_string(),
            format!("{:.6}", g.share),
            g.class.to_string(),
            owner.to_string(),
            message.to_string(),
            origin.to_string(),
            g.latency_us.p50.to_string(),
            g.latency_us.p90.to_string(),
            g.latency_us.p99.to_string(),
            g.latency_us.max.to_string(),
            format!("{:.1}", g.latency_us.mean),
            g.first_seen.clone(),
            g.last_seen.clone(),
            g.resp_bytes.to_string(),
            requests.to_string(),
            traces.join(" "),
        ])
        .map_err(io::Error::from)?;
    }
    w.flush()
}
