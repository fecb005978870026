//! An owned copy of a record's fields, for the match lists of `lines` (and later exporters):
//! what outlives the block the record was parsed from.

use serde::Serialize;

use crate::scan::Record;
use crate::time::rfc3339;

/// A record's fields, owned, as `--format json` prints them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RecordView {
    /// Start time, RFC 3339.
    pub time: String,
    /// Service name.
    pub service: String,
    /// `host:port` from the module field, if any.
    pub module_host: Option<String>,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status code.
    pub code: u32,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Response length in bytes.
    pub resp_length: u64,
    /// Trace id.
    pub trace_id: Option<String>,
    /// The request's `Host` header.
    pub req_host: Option<String>,
}

impl RecordView {
    /// Copies the fields of a record.
    pub fn of(rec: &Record<'_>) -> RecordView {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        RecordView {
            time: rfc3339(rec.start_ns),
            service: text(&rec.service),
            module_host: rec.module_host.as_deref().map(text),
            method: text(&rec.method),
            path: text(&rec.path),
            code: rec.code,
            duration_us: rec.duration_us,
            resp_length: rec.resp_len,
            trace_id: rec.trace_id().as_deref().map(text),
            req_host: rec.req_host().as_deref().map(text),
        }
    }
}
