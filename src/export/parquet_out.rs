//! Rows to Apache Parquet with the low-level `parquet` writer (no arrow): columns are buffered
//! for [`ROW_GROUP_ROWS`] rows, then written as one row group, zstd-compressed, with
//! dictionaries on the low-cardinality columns.

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::{Compression, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use super::{Column, Kind, ROW_GROUP_ROWS, Row, RowWriter, Value, columns};

/// The Parquet message type of the record columns written.
pub fn message_type(with_headers: bool) -> String {
    message_type_of("bsaudit_record", columns(with_headers))
}

/// The Parquet message type `name` of `cols`.
pub fn message_type_of<'c>(name: &str, cols: impl Iterator<Item = &'c Column>) -> String {
    let mut s = format!("message {name} {{\n");
    for c in cols {
        let repetition = if c.optional { "optional" } else { "required" };
        let physical = match c.kind {
            Kind::Text => "binary",
            Kind::Int32 => "int32",
            Kind::UInt64 | Kind::TimestampNs => "int64",
        };
        let logical = match c.kind {
            Kind::Text => " (STRING)",
            Kind::Int32 => "",
            Kind::UInt64 => " (INTEGER(64,false))",
            Kind::TimestampNs => " (TIMESTAMP(NANOS,true))",
        };
        s.push_str(&format!("  {repetition} {physical} {}{logical};\n", c.name));
    }
    s.push('}');
    s
}

/// One column's buffered values and definition levels.
enum Buffer {
    Bytes(Vec<ByteArray>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

struct ColumnBuf {
    column: &'static Column,
    values: Buffer,
    defs: Vec<i16>,
}

fn to_io(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

/// Writes rows as a Parquet file.
pub struct ParquetWriter<'w> {
    file: SerializedFileWriter<Box<dyn Write + Send + 'w>>,
    buffers: Vec<ColumnBuf>,
    buffered: usize,
    rows: u64,
}

impl<'w> ParquetWriter<'w> {
    /// A writer of records over `out` (which receives the file's bytes as row groups
    /// complete).
    pub fn new(out: Box<dyn Write + Send + 'w>, with_headers: bool) -> io::Result<Self> {
        Self::with_columns(out, "bsaudit_record", columns(with_headers).collect())
    }

    /// A writer of rows of `cols` as message type `name`.
    pub fn with_columns(
        out: Box<dyn Write + Send + 'w>,
        name: &str,
        cols: Vec<&'static Column>,
    ) -> io::Result<Self> {
        let schema =
            parse_message_type(&message_type_of(name, cols.iter().copied())).map_err(to_io)?;
        let mut props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_2_0)
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("bsaudit {}", env!("CARGO_PKG_VERSION")));
        for c in &cols {
            props = props.set_column_dictionary_enabled(ColumnPath::from(c.name), c.dictionary);
        }
        let file = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(props.build()))
            .map_err(to_io)?;
        let buffers = cols
            .into_iter()
            .map(|column| ColumnBuf {
                column,
                values: match column.kind {
                    Kind::Text => Buffer::Bytes(Vec::new()),
                    Kind::Int32 => Buffer::I32(Vec::new()),
                    Kind::UInt64 | Kind::TimestampNs => Buffer::I64(Vec::new()),
                },
                defs: Vec::new(),
            })
            .collect();
        Ok(ParquetWriter {
            file,
            buffers,
            buffered: 0,
            rows: 0,
        })
    }

    fn flush_group(&mut self) -> io::Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let mut group = self.file.next_row_group().map_err(to_io)?;
        for buf in &mut self.buffers {
            let Some(mut col) = group.next_column().map_err(to_io)? else {
                return Err(io::Error::other("parquet: fewer columns than the schema"));
            };
            let defs = buf.column.optional.then_some(buf.defs.as_slice());
            match &mut buf.values {
                Buffer::Bytes(v) => {
                    col.typed::<ByteArrayType>()
                        .write_batch(v, defs, None)
                        .map_err(to_io)?;
                    v.clear();
                }
                Buffer::I32(v) => {
                    col.typed::<Int32Type>()
                        .write_batch(v, defs, None)
                        .map_err(to_io)?;
                    v.clear();
                }
                Buffer::I64(v) => {
                    col.typed::<Int64Type>()
                        .write_batch(v, defs, None)
                        .map_err(to_io)?;
                    v.clear();
                }
            }
            buf.defs.clear();
            col.close().map_err(to_io)?;
        }
        group.close().map_err(to_io)?;
        self.buffered = 0;
        Ok(())
    }
}

impl RowWriter for ParquetWriter<'_> {
    fn write_row(&mut self, row: &Row<'_>) -> io::Result<()> {
        if row.values.len() != self.buffers.len() {
            return Err(io::Error::other("row does not match the schema"));
        }
        for (buf, value) in self.buffers.iter_mut().zip(&row.values) {
            let present = !matches!(value, Value::Null);
            if buf.column.optional {
                buf.defs.push(i16::from(present));
            } else if !present {
                return Err(io::Error::other(format!(
                    "column {} cannot be null",
                    buf.column.name
                )));
            }
            match (&mut buf.values, value) {
                (_, Value::Null) => {}
                (Buffer::Bytes(v), Value::Text(t)) => v.push(ByteArray::from(t.as_bytes())),
                (Buffer::I32(v), &Value::Int32(i)) => v.push(i),
                // Unsigned columns store the bits; readers see UINT64.
                (Buffer::I64(v), &Value::UInt64(i)) => v.push(i as i64),
                (Buffer::I64(v), &Value::Time(t)) => v.push(t),
                _ => {
                    return Err(io::Error::other(format!(
                        "column {}: value of the wrong kind",
                        buf.column.name
                    )));
                }
            }
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROW_GROUP_ROWS {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<u64> {
        self.flush_group()?;
        let rows = self.rows;
        let mut inner = self.file.into_inner().map_err(to_io)?;
        inner.flush()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn the_schema_parses_and_has_every_column() {
        for headers in [false, true] {
            let t = parse_message_type(&message_type(headers)).expect("schema");
            assert_eq!(t.get_fields().len(), columns(headers).count());
        }
        let m = message_type(false);
        assert!(
            m.contains("required int64 time (TIMESTAMP(NANOS,true));"),
            "{m}"
        );
        assert!(m.contains("optional binary trace_id (STRING);"), "{m}");
    }

    #[test]
    fn rows_round_trip_through_the_reader() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let file = tempfile::tempfile().expect("tempfile");
        let out = file.try_clone().expect("clone");
        let mut w: Box<dyn RowWriter> =
            Box::new(ParquetWriter::new(Box::new(out), false).expect("writer"));
        let n = ROW_GROUP_ROWS + 5;
        for i in 0..n {
            let mut values: Vec<Value<'_>> = columns(false)
                .map(|c| match c.kind {
                    Kind::Text if c.optional && i % 2 == 0 => Value::Null,
                    Kind::Text => Value::Text(Cow::Owned(format!("{}{}", c.name, i % 3))),
                    Kind::Int32 => Value::Int32(613),
                    Kind::UInt64 if c.optional => Value::Null,
                    Kind::UInt64 => Value::UInt64(u64::MAX - i as u64),
                    Kind::TimestampNs => Value::Time(i as i64),
                })
                .collect();
            values.truncate(columns(false).count());
            w.write_row(&Row { values }).expect("row");
        }
        assert_eq!(w.finish().expect("finish"), n as u64);
        let reader = SerializedFileReader::new(file).expect("reader");
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows(), n as i64);
        assert_eq!(meta.num_row_groups(), 2);
        let first = reader
            .get_row_iter(None)
            .expect("rows")
            .next()
            .expect("row");
        let first = first.expect("row");
        let text = format!("{first}");
        assert!(text.contains("service: \"service0\""), "{text}");
        assert!(text.contains("trace_id: null"), "{text}");
        assert!(text.contains(&format!("resp_len: {}", u64::MAX)), "{text}");
    }

    #[test]
    fn a_null_in_a_required_column_is_an_error() {
        let mut w = ParquetWriter::new(Box::new(io::sink()), false).expect("writer");
        let values = columns(false).map(|_| Value::Null).collect();
        assert!(w.write_row(&Row { values }).is_err());
    }
}
