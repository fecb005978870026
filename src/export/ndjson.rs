//! Rows as NDJSON: one JSON object per line, the columns as keys, times as RFC 3339 with
//! nanoseconds (UTC), nulls as `null`. DuckDB's `read_json` and ClickHouse's `JSONEachRow`
//! read it as is.

use std::io::{self, BufWriter, Write};

use super::{Column, Row, RowWriter, Value, columns};

/// Writes rows as NDJSON.
pub struct NdjsonWriter<'w> {
    out: BufWriter<Box<dyn Write + Send + 'w>>,
    columns: Vec<&'static Column>,
    rows: u64,
}

impl<'w> NdjsonWriter<'w> {
    /// A writer of records over `out`.
    pub fn new(out: Box<dyn Write + Send + 'w>, with_headers: bool) -> Self {
        Self::with_columns(out, columns(with_headers).collect())
    }

    /// A writer of rows of `columns`.
    pub fn with_columns(out: Box<dyn Write + Send + 'w>, columns: Vec<&'static Column>) -> Self {
        NdjsonWriter {
            out: BufWriter::with_capacity(256 * 1024, out),
            columns,
            rows: 0,
        }
    }
}

/// RFC 3339 with nine fractional digits, UTC.
pub fn rfc3339_ns(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        Err(_) => ns.to_string(),
    }
}

/// Writes one row as a JSON object followed by LF.
pub fn write_row(out: &mut dyn Write, columns: &[&Column], row: &Row<'_>) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (c, v)) in columns.iter().zip(&row.values).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "\"{}\":", c.name)?;
        match v {
            Value::Text(t) => {
                serde_json::to_writer(&mut *out, t.as_ref()).map_err(io::Error::from)?
            }
            Value::Int32(n) => write!(out, "{n}")?,
            Value::UInt64(n) => write!(out, "{n}")?,
            Value::Time(ns) => write!(out, "\"{}\"", rfc3339_ns(*ns))?,
            Value::Null => out.write_all(b"null")?,
        }
    }
    out.write_all(b"}\n")
}

impl RowWriter for NdjsonWriter<'_> {
    fn write_row(&mut self, row: &Row<'_>) -> io::Result<()> {
        if row.values.len() != self.columns.len() {
            return Err(io::Error::other("row does not match the columns"));
        }
        write_row(&mut self.out, &self.columns, row)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<u64> {
        self.out.flush()?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn a_row_is_one_json_object() {
        let cols: Vec<&Column> = columns(false).take(4).collect();
        let row = Row {
            values: vec![
                Value::Text(Cow::Borrowed("n\"1")),
                Value::Text(Cow::Borrowed("BLOBNODE")),
                Value::Null,
                Value::Time(1_764_000_006_618_925_600),
            ],
        };
        let mut out = Vec::new();
        write_row(&mut out, &cols, &row).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "{\"node\":\"n\\\"1\",\"service\":\"BLOBNODE\",\"module_host\":null,\
             \"time\":\"2025-11-24T16:00:06.618925600Z\"}\n"
        );
    }
}
