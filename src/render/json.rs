//! JSON output: the `serde` form of the data model, pretty-printed, one document per run.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` as indented JSON followed by a newline.
pub fn write<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}
