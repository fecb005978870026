//! `bsaudit export`: one typed row per kept record to Parquet or NDJSON, and the code table
//! as rows (`codes --format parquet|ndjson`). Files are written under a temporary name beside
//! the target and renamed when complete, so a reader never sees half a file.

use std::collections::HashSet;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::config::{CodesConfig, ExportConfig};
use crate::engine;
use crate::error::Error;
use crate::export::{self, Origin, Row};
use crate::output::AtomicFile;
use crate::scan::{Outcome as Line, classify};

use super::gather::{logs_only, ordered_spec, pass_summary};
use super::{
    Outcome, explain_unmatched, no_records, progress_for, summary_line, warn, warn_malformed,
    warn_problems, with_pool,
};

/// Creates `target`'s temporary file, with the error said as the export says it.
fn create_file(target: &Path) -> Result<AtomicFile, Error> {
    AtomicFile::create(target).map_err(|e| {
        Error::Io(format!(
            "cannot create a file for {}: {e}",
            target.display()
        ))
    })
}

/// A second handle to write through (the temporary file stays owned by `file`).
fn write_handle(file: &AtomicFile) -> Result<std::fs::File, Error> {
    file.file()
        .try_clone()
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", file.target().display())))
}

/// Renames the finished file to its target; returns its size.
fn commit_file(file: AtomicFile) -> Result<u64, Error> {
    let target = file.target().to_path_buf();
    file.commit()
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", target.display())))
}

/// One output file being filled: the input it holds (`-o DIR`) and its row writer.
struct Part {
    input: String,
    file: Option<AtomicFile>,
    rows: Box<dyn export::RowWriter + Send>,
}

/// Where rows go: one file (or stdout), or with `-o DIR` one file per input file, so that
/// Spark, ClickHouse or DuckDB can read the parts in parallel.
struct Target {
    dir: Option<PathBuf>,
    names: HashSet<String>,
    current: Option<Part>,
    /// Rows in the parts already renamed into place.
    written: u64,
    /// The parts written, with their sizes.
    files: Vec<(PathBuf, u64)>,
}

impl Target {
    /// With `-o DIR`, finishes the part of the previous input and starts one for `input`
    /// (an input with no rows gets no file).
    fn switch_to(&mut self, c: &ExportConfig, input: &str, empty: bool) -> Result<(), Error> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        if self.current.as_ref().is_some_and(|p| p.input == input) {
            return Ok(());
        }
        self.finish_current()?;
        if empty {
            return Ok(());
        }
        let name = part_name(input, c.format, &mut self.names);
        self.current = Some(open_part(c, input.to_string(), &dir.join(name))?);
        Ok(())
    }

    /// Writes the footer of the current part and renames it into place.
    fn finish_current(&mut self) -> Result<(), Error> {
        if let Some(part) = self.current.take() {
            let rows = part.rows.finish().map_err(Error::from_output)?;
            if let Some(file) = part.file {
                let path = file.target().to_path_buf();
                let size = commit_file(file)?;
                self.files.push((path, size));
            }
            self.written += rows;
        }
        Ok(())
    }
}

/// Opens a part at `path` (`-` is standard output).
fn open_part(c: &ExportConfig, input: String, path: &Path) -> Result<Part, Error> {
    let file = if is_stdout(path) {
        None
    } else {
        Some(create_file(path)?)
    };
    let out: Box<dyn Write + Send> = match &file {
        Some(f) => Box::new(write_handle(f)?),
        None => Box::new(io::stdout()),
    };
    let rows = export::writer(c.format, out, c.with_headers).map_err(Error::from_output)?;
    Ok(Part { input, file, rows })
}

/// The file name of an input's part: its path with `/` as `_`, the format's extension, and a
/// number when two inputs would give the same name.
fn part_name(input: &str, format: export::ExportFormat, taken: &mut HashSet<String>) -> String {
    let ext = match format {
        export::ExportFormat::Parquet => "parquet",
        export::ExportFormat::Ndjson => "ndjson",
    };
    let stem: String = input
        .trim_start_matches("./")
        .trim_start_matches('/')
        .chars()
        .map(|ch| {
            if ch == '/' || ch.is_control() {
                '_'
            } else {
                ch
            }
        })
        .collect();
    let mut name = format!("{stem}.{ext}");
    let mut n = 1;
    while !taken.insert(name.clone()) {
        n += 1;
        name = format!("{stem}-{n}.{ext}");
    }
    name
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

pub(super) fn run(c: ExportConfig) -> Result<Outcome, Error> {
    let found = logs_only(&c.common, "export", "records")?;
    let spec = ordered_spec(&c.common, &found)?;
    let per_file = c.output.is_dir();
    let mut target = Target {
        dir: per_file.then(|| c.output.clone()),
        names: HashSet::new(),
        current: None,
        written: 0,
        files: Vec::new(),
    };
    if !per_file {
        target.current = Some(open_part(&c, String::new(), &c.output)?);
    }
    let classes = c.table.class_map();
    let node = c.common.node.as_str();
    let mut failure: Option<Error> = None;
    let mut scratch = Vec::new();
    let progress = progress_for(&c.common, &found);
    let mut tally = with_pool(c.common.threads, || {
        engine::scan_matches(
            &found.files,
            &spec,
            &c.common.scan,
            &progress.1,
            &mut |input, matches| {
                if let Err(e) = target.switch_to(&c, &input.display, matches.is_empty()) {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
                let Some(part) = target.current.as_mut() else {
                    return ControlFlow::Continue(());
                };
                for m in &matches {
                    // The line was a kept record when scanned; parsing it again gives the
                    // borrowed record with every field (the match keeps a few, as text).
                    let Line::Record(rec) = classify(&m.raw, false, usize::MAX) else {
                        failure = Some(Error::Io(format!(
                            "{}:{}: a record no longer parses",
                            input.display, m.line
                        )));
                        return ControlFlow::Break(());
                    };
                    let origin = Origin {
                        node,
                        file: &input.display,
                        line: m.line,
                    };
                    let row = Row::of(&rec, origin, &classes, c.with_headers, &mut scratch);
                    if let Err(e) = part.rows.write_row(&row) {
                        failure = Some(Error::from_output(e));
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            },
        )
    })?;
    progress.0.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    // In a directory every part is renamed into place as it is finished; one file waits for
    // the count check below.
    let single = if per_file {
        target.finish_current()?;
        None
    } else {
        target.current.take()
    };
    let (single_file, single_rows) = match single {
        Some(part) => (part.file, part.rows.finish().map_err(Error::from_output)?),
        None => (None, 0),
    };
    let written = target.written + single_rows;
    let (summary, health) = pass_summary(&mut tally, &found, &c.common, &spec.filter);
    warn_problems(&health, &found);
    warn_malformed(&tally, &found);
    if health.records == 0 && health.filtered_out == 0 {
        // Nothing to export: the temporary file is removed, no empty file is left.
        return no_records(&c.common, &health);
    }
    if written != health.records {
        return Err(Error::Io(format!(
            "wrote {written} rows for {} records: not written",
            health.records
        )));
    }
    let size = single_file.map(commit_file).transpose()?;
    summary_line(c.common.quiet, &health);
    if !c.common.quiet {
        let place = match size {
            Some(bytes) => format!(
                "{} ({})",
                c.output.display(),
                crate::render::human_bytes(bytes)
            ),
            None if per_file => {
                let bytes: u64 = target.files.iter().map(|(_, b)| b).sum();
                format!(
                    "{} files in {} ({})",
                    target.files.len(),
                    c.output.display(),
                    crate::render::human_bytes(bytes)
                )
            }
            None => "standard output".to_string(),
        };
        warn(&format!("bsaudit: exported {written} rows to {place}"));
    }
    if explain_unmatched(&c.common, &found, &summary.input)? {
        return Ok(Outcome::Unmatched);
    }
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// `codes` with `-o FILE` or `--format parquet|ndjson`: writes the selected rows.
pub(super) fn write_codes(c: &CodesConfig, rows: &[&crate::codes::CodeInfo]) -> Result<(), Error> {
    let target = c.output.as_deref().filter(|p| !is_stdout(p));
    let file = target.map(create_file).transpose()?;
    let out: Box<dyn Write + Send> = match &file {
        Some(f) => Box::new(io::BufWriter::new(write_handle(f)?)),
        None => Box::new(io::stdout()),
    };
    match c.export {
        Some(format) => {
            export::codes::write(rows, format, out).map_err(Error::from_output)?;
        }
        None => {
            let mut out = out;
            crate::render::codes::write(rows, c.format, &mut out).map_err(Error::from_output)?;
            out.flush().map_err(Error::from_output)?;
        }
    }
    if let Some(f) = file {
        commit_file(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_flatten_paths_and_never_collide() {
        let mut taken = HashSet::new();
        let f = export::ExportFormat::Parquet;
        assert_eq!(part_name("./a/b/c.gz", f, &mut taken), "a_b_c.gz.parquet");
        assert_eq!(part_name("/a/b/c.gz", f, &mut taken), "a_b_c.gz-2.parquet");
        assert_eq!(part_name("a_b/c.gz", f, &mut taken), "a_b_c.gz-3.parquet");
        assert_eq!(
            part_name("x", export::ExportFormat::Ndjson, &mut taken),
            "x.ndjson"
        );
    }
}
