//! The code table as rows, for joins in DuckDB and ClickHouse: `bsaudit codes --format
//! parquet|ndjson` (CSV is laid out by `render::codes`).

use std::borrow::Cow;
use std::io::{self, Write};

use super::ndjson::NdjsonWriter;
use super::parquet_out::ParquetWriter;
use super::{Column, ExportFormat, Kind, Row, RowWriter, Value};
use crate::codes::CodeInfo;

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        optional: false,
        dictionary: true,
        header: false,
    }
}

/// The columns of the code table, as in its CSV.
pub const CODE_COLUMNS: &[Column] = &[
    Column {
        name: "code",
        kind: Kind::Int32,
        optional: false,
        dictionary: false,
        header: false,
    },
    text("owner"),
    text("class"),
    text("origin"),
    text("message"),
    text("description"),
    text("hint"),
];

fn row(r: &CodeInfo) -> Row<'_> {
    Row {
        values: vec![
            Value::Int32(i32::try_from(r.code).unwrap_or(i32::MAX)),
            Value::Text(Cow::Borrowed(&r.owner)),
            Value::Text(Cow::Borrowed(r.class.as_str())),
            Value::Text(Cow::Borrowed(r.origin.as_str())),
            Value::Text(Cow::Borrowed(&r.message)),
            Value::Text(Cow::Borrowed(&r.description)),
            Value::Text(Cow::Borrowed(&r.hint)),
        ],
    }
}

/// Writes `rows` of the code table in `format` to `out`.
pub fn write(
    rows: &[&CodeInfo],
    format: ExportFormat,
    out: Box<dyn Write + Send + '_>,
) -> io::Result<u64> {
    let cols: Vec<&'static Column> = CODE_COLUMNS.iter().collect();
    let mut w: Box<dyn RowWriter + Send + '_> = match format {
        ExportFormat::Parquet => Box::new(ParquetWriter::with_columns(out, "bsaudit_code", cols)?),
        ExportFormat::Ndjson => Box::new(NdjsonWriter::with_columns(out, cols)),
    };
    for r in rows {
        w.write_row(&row(r))?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_as_ndjson_has_every_row() {
        let table = crate::codes::CodeTable::builtin().expect("table");
        let rows: Vec<&CodeInfo> = table.rows().iter().collect();
        let mut out = Vec::new();
        let n = write(&rows, ExportFormat::Ndjson, Box::new(&mut out)).expect("write");
        assert_eq!(n as usize, rows.len());
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text.lines().count(), rows.len());
        let line = text
            .lines()
            .find(|l| l.starts_with("{\"code\":613,"))
            .expect("613");
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(v["message"], "disk is broken");
        assert_eq!(v["class"], "server");
    }
}
