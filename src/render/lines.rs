//! Output of `bsaudit lines`: the raw records as they are in the logs, or one JSON object per
//! record with its place and parsed fields.

use std::io::{self, Write};

use serde::Serialize;

use crate::engine::LineMatch;

pub use crate::scan::view::RecordView;

/// One line of `--format json`.
#[derive(Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    line: u64,
    #[serde(flatten)]
    record: &'a RecordView,
}

/// Writes matches: raw lines byte for byte, or JSON lines.
pub fn write(file: &str, matches: &[LineMatch], json: bool, out: &mut dyn Write) -> io::Result<()> {
    for m in matches {
        if json {
            let line = JsonLine {
                file,
                line: m.line,
                record: &m.record,
            };
            let json = serde_json::to_vec(&line).map_err(io::Error::from)?;
            out.write_all(&crate::escape::json_safe(&json))?;
        } else {
            out.write_all(&m.raw)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}
