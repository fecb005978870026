//! Output of `bsaudit codes`: the code table, or the rows asked for, in every format.

use std::io::{self, Write};

use serde::Serialize;

use super::markdown::cell;
use super::sanitize;
use super::table::new_table;
use crate::codes::CodeInfo;

/// The JSON document for `bsaudit codes`.
#[derive(Serialize)]
struct CodesDoc<'a> {
    schema: &'static str,
    codes: &'a [&'a CodeInfo],
}

/// Output formats of `bsaudit codes`. The format alone decides the layout, however many
/// rows there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodesFormat {
    /// Each row explained in full, a few lines per code.
    Detail,
    /// One aligned line per code.
    Table,
    /// `bsaudit.codes/v1`.
    Json,
    /// A header row, then one row per code.
    Csv,
    /// A Markdown table.
    Markdown,
}

/// Writes code rows in `format`.
pub fn write(rows: &[&CodeInfo], format: CodesFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        CodesFormat::Json => super::json::write(
            &CodesDoc {
                schema: "bsaudit.codes/v1",
                codes: rows,
            },
            out,
        ),
        CodesFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "code",
                "owner",
                "class",
                "origin",
                "message",
                "description",
                "hint",
            ])
            .map_err(io::Error::from)?;
            for r in rows {
                w.write_record([
                    r.code.to_string(),
                    r.owner.clone(),
                    r.class.to_string(),
                    r.origin.as_str().to_string(),
                    r.message.clone(),
                    r.description.clone(),
                    r.hint.clone(),
                ])
                .map_err(io::Error::from)?;
            }
            w.flush()
        }
        CodesFormat::Markdown => {
            writeln!(
                out,
                "| code | owner | class | origin | message | description | hint |"
            )?;
            writeln!(out, "|--:|---|---|---|---|---|---|")?;
            for r in rows {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    r.code,
                    cell(&r.owner),
                    r.class,
                    r.origin.as_str(),
                    cell(&r.message),
                    cell(&r.description),
                    cell(&r.hint)
                )?;
            }
            Ok(())
        }
        CodesFormat::Detail => {
            for r in rows {
                writeln!(
                    out,
                    "{} {}: \"{}\"",
                    r.code,
                    sanitize(&r.owner),
                    sanitize(&r.message)
                )?;
                writeln!(out, "  class:  {} ({})", r.class, r.origin.as_str())?;
                writeln!(out, "  means:  {}", sanitize(&r.description))?;
                if !r.hint.is_empty() {
                    writeln!(out, "  check:  {}", sanitize(&r.hint))?;
                }
            }
            Ok(())
        }
        CodesFormat::Table if rows.is_empty() => Ok(()),
        CodesFormat::Table => {
            let mut t = new_table(&["code", "owner", "class", "origin", "message"], &[0]);
            for r in rows {
                t.add_row(vec![
                    r.code.to_string(),
                    sanitize(&r.owner),
                    r.class.to_string(),
                    r.origin.as_str().to_string(),
                    sanitize(&r.message),
                ]);
            }
            writeln!(out, "{}", t.trim_fmt())?;
            writeln!(
                out,
                "{} code{}; `bsaudit codes CODE` explains one.",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            )
        }
    }
}
