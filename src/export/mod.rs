//! Record export: one typed row per kept record, for DuckDB, ClickHouse and Spark.
//!
//! The columns are defined once ([`COLUMNS`]); [`Row::of`] computes a record's values in that
//! order, and each writer lays them out: [`parquet_out::ParquetWriter`] (row groups of
//! [`ROW_GROUP_ROWS`], zstd, dictionaries on the low-cardinality columns) and
//! [`ndjson::NdjsonWriter`] (one JSON object per line). [`codes`] writes the code table for
//! joins. Computation only: the caller (`app::export`) decides where the bytes go.

pub mod codes;
pub mod ndjson;
pub mod parquet_out;

use std::borrow::Cow;
use std::io;

use crate::codes::{Class, ClassMap};
use crate::scan::Record;

/// Rows buffered before a Parquet row group is written: bounds memory (a few tens of MiB)
/// while keeping row groups large enough for column statistics to prune.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The kind of a column's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (invalid bytes replaced by U+FFFD).
    Text,
    /// A signed 32-bit integer.
    Int32,
    /// An unsigned 64-bit integer (Parquet INT64 annotated unsigned).
    UInt64,
    /// Nanoseconds since the Unix epoch, UTC.
    TimestampNs,
}

/// One column of the export.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Its name in Parquet, NDJSON and the shipped SQL.
    pub name: &'static str,
    /// Its values' kind.
    pub kind: Kind,
    /// Whether it can be null.
    pub optional: bool,
    /// Whether Parquet dictionary-encodes it (few distinct values).
    pub dictionary: bool,
    /// Only written with `--with-headers`.
    pub header: bool,
}

const fn col(name: &'static str, kind: Kind, optional: bool, dictionary: bool) -> Column {
    Column {
        name,
        kind,
        optional,
        dictionary,
        header: false,
    }
}

/// Every column, in file order. The last two are written only with `--with-headers`.
pub const COLUMNS: &[Column] = &[
    col("node", Kind::Text, false, true),
    col("service", Kind::Text, false, true),
    col("module_host", Kind::Text, true, true),
    col("time", Kind::TimestampNs, false, false),
    col("method", Kind::Text, false, true),
    col("path", Kind::Text, false, false),
    col("api", Kind::Text, false, true),
    col("code", Kind::Int32, false, true),
    col("class", Kind::Text, false, true),
    col("duration_us", Kind::UInt64, false, false),
    col("resp_len", Kind::UInt64, false, false),
    col("host", Kind::Text, true, true),
    col("remote", Kind::Text, true, true),
    col("trace_id", Kind::Text, true, false),
    col("disk", Kind::UInt64, true, true),
    col("vuid", Kind::UInt64, true, false),
    col("bid", Kind::UInt64, true, false),
    col("file", Kind::Text, false, true),
    col("line", Kind::UInt64, false, false),
    Column {
        header: true,
        ..col("req_header", Kind::Text, true, false)
    },
    Column {
        header: true,
        ..col("resp_header", Kind::Text, true, false)
    },
];

/// The columns written: all, or all but the raw headers.
pub fn columns(with_headers: bool) -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(move |c| with_headers || !c.header)
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Text.
    Text(Cow<'a, str>),
    /// A 32-bit integer.
    Int32(i32),
    /// An unsigned 64-bit integer.
    UInt64(u64),
    /// Nanoseconds since the epoch.
    Time(i64),
    /// No value.
    Null,
}

/// Where a record came from, for its `node`, `file` and `line` columns.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// The node label (`--node`, default the host name).
    pub node: &'a str,
    /// The file as shown in reports.
    pub file: &'a str,
    /// 1-based line number in that file.
    pub line: u64,
}

/// A record's values in [`COLUMNS`] order (without the headers unless asked).
#[derive(Debug, Default)]
pub struct Row<'a> {
    /// The values.
    pub values: Vec<Value<'a>>,
}

fn text(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn opt_text(b: Option<Cow<'_, [u8]>>) -> Value<'_> {
    match b {
        Some(Cow::Borrowed(b)) => Value::Text(text(b)),
        Some(Cow::Owned(v)) => Value::Text(Cow::Owned(String::from_utf8_lossy(&v).into_owned())),
        None => Value::Null,
    }
}

/// The request's client address: the `IP` key of the request header.
fn remote<'r>(rec: &'r Record<'_>) -> Option<Cow<'r, [u8]>> {
    use crate::scan::record::Lookup;
    match rec.host_header {
        Lookup::InHeader => {
            let key = b"\"IP\":\"";
            let at = memchr::memmem::find(&rec.req_header, key)? + key.len();
            let rest = rec.req_header.get(at..)?;
            let end = memchr::memchr(b'"', rest)?;
            Some(Cow::Borrowed(&rest[..end]))
        }
        _ => crate::scan::json::object_string(&rec.req_header, &[b"IP"]),
    }
    .filter(|v| !v.is_empty())
}

fn id(v: Option<u64>) -> Value<'static> {
    v.map_or(Value::Null, Value::UInt64)
}

impl<'a> Row<'a> {
    /// The row of `rec` from `origin`; `class` from the code table; `scratch` is reused for
    /// the API template.
    pub fn of(
        rec: &'a Record<'a>,
        origin: Origin<'a>,
        classes: &ClassMap,
        with_headers: bool,
        scratch: &mut Vec<u8>,
    ) -> Row<'a> {
        crate::dims::api_template(&rec.path, scratch);
        let class: Class = classes.class_of(rec.code);
        let header = |h: &'a [u8]| {
            if h.is_empty() {
                Value::Null
            } else {
                Value::Text(text(h))
            }
        };
        let mut values = vec![
            Value::Text(Cow::Borrowed(origin.node)),
            Value::Text(text(&rec.service)),
            opt_text(rec.module_host.as_deref().map(Cow::Borrowed)),
            Value::Time(rec.start_ns),
            Value::Text(text(&rec.method)),
            Value::Text(text(&rec.path)),
            Value::Text(Cow::Owned(String::from_utf8_lossy(scratch).into_owned())),
            // Codes are at most nine digits: they fit.
            Value::Int32(i32::try_from(rec.code).unwrap_or(i32::MAX)),
            Value::Text(Cow::Borrowed(class.as_str())),
            Value::UInt64(rec.duration_us),
            Value::UInt64(rec.resp_len),
            opt_text(crate::dims::host(rec)),
            opt_text(remote(rec)),
            opt_text(rec.trace_id()),
            id(crate::dims::path_id(&rec.path, b"diskid")),
            id(crate::dims::path_id(&rec.path, b"vuid")),
            id(crate::dims::path_id(&rec.path, b"bid")),
            Value::Text(Cow::Borrowed(origin.file)),
            Value::UInt64(origin.line),
        ];
        if with_headers {
            values.push(header(&rec.req_header));
            values.push(header(&rec.resp_header));
        }
        Row { values }
    }
}

/// A destination of rows: Parquet or NDJSON.
pub trait RowWriter {
    /// Adds one row (values in [`columns`] order).
    fn write_row(&mut self, row: &Row<'_>) -> io::Result<()>;
    /// Writes what is buffered and the file's footer; returns the rows written.
    fn finish(self: Box<Self>) -> io::Result<u64>;
}

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// One JSON object per line.
    Ndjson,
}

/// A writer of `format` over `out`.
pub fn writer<'w>(
    format: ExportFormat,
    out: Box<dyn io::Write + Send + 'w>,
    with_headers: bool,
) -> io::Result<Box<dyn RowWriter + Send + 'w>> {
    Ok(match format {
        ExportFormat::Parquet => Box::new(parquet_out::ParquetWriter::new(out, with_headers)?),
        ExportFormat::Ndjson => Box::new(ndjson::NdjsonWriter::new(out, with_headers)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Outcome, classify};

    const LINE: &str = "REQ\tBLOBNODE@10.0.0.5:8889\t17640000066189256\tGET\t/shard/get/diskid/233/vuid/94489280515/bid/801788\t{\"Host\":\"10.9.1.12:8889\",\"IP\":\"10.0.143.204\"}\t\t613\t{\"Blobstore-Tracer-Traceid\":\"de694f5829b84056\"}\t{\"error\":\"disk is broken\"}\t26\t8678";

    fn row_of(line: &str, with_headers: bool) -> Vec<Value<'static>> {
        let Outcome::Record(rec) = classify(line.as_bytes(), false, 1 << 20) else {
            panic!("not a record");
        };
        let classes = crate::codes::CodeTable::builtin()
            .expect("table")
            .class_map();
        let origin = Origin {
            node: "n1",
            file: "f",
            line: 7,
        };
        let mut scratch = Vec::new();
        let row = Row::of(&rec, origin, &classes, with_headers, &mut scratch);
        row.values
            .into_iter()
            .map(|v| match v {
                Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
                Value::Int32(i) => Value::Int32(i),
                Value::UInt64(i) => Value::UInt64(i),
                Value::Time(t) => Value::Time(t),
                Value::Null => Value::Null,
            })
            .collect()
    }

    #[test]
    fn a_record_becomes_typed_values_in_column_order() {
        let v = row_of(LINE, false);
        assert_eq!(v.len(), columns(false).count());
        let t = |s: &str| Value::Text(Cow::Owned(s.to_string()));
        assert_eq!(
            v,
            vec![
                t("n1"),
                t("BLOBNODE"),
                t("10.0.0.5:8889"),
                Value::Time(1_764_000_006_618_925_600),
                t("GET"),
                t("/shard/get/diskid/233/vuid/94489280515/bid/801788"),
                t("shard.get"),
                Value::Int32(613),
                t("server"),
                Value::UInt64(8678),
                Value::UInt64(26),
                t("10.0.0.5:8889"),
                t("10.0.143.204"),
                t("de694f5829b84056"),
                Value::UInt64(233),
                Value::UInt64(94_489_280_515),
                Value::UInt64(801_788),
                t("f"),
                Value::UInt64(7),
            ]
        );
        let with = row_of(LINE, true);
        assert_eq!(with.len(), COLUMNS.len());
        assert_eq!(
            with[19],
            t("{\"Host\":\"10.9.1.12:8889\",\"IP\":\"10.0.143.204\"}")
        );
    }

    #[test]
    fn missing_values_are_null_and_json_lines_give_the_same_row() {
        let bare = "REQ\tPROXY\t17640000066189256\tPOST\t/volume/alloc\t\t\t200\t\t\t0\t12";
        let v = row_of(bare, true);
        for name in [
            "module_host",
            "host",
            "remote",
            "trace_id",
            "disk",
            "vuid",
            "bid",
            "req_header",
            "resp_header",
        ] {
            let at = COLUMNS.iter().position(|c| c.name == name).expect("column");
            assert_eq!(v[at], Value::Null, "{name}");
        }
        let json = r#"{"req_type":"REQ","module":"BLOBNODE@10.0.0.5:8889","start_time":17640000066189256,"method":"GET","path":"/shard/get/diskid/233/vuid/94489280515/bid/801788","req_header":{"Host":"10.9.1.12:8889","IP":"10.0.143.204"},"req_params":"","status_code":613,"resp_header":{"Blobstore-Tracer-Traceid":"de694f5829b84056"},"resp_body":"{\"error\":\"disk is broken\"}","resp_length":26,"duration":8678}"#;
        assert_eq!(row_of(json, false), row_of(LINE, false));
    }
}
