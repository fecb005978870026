//! `bsaudit export`: one typed row per kept record to Parquet or NDJSON, and the code table
//! as rows (`codes --format parquet|ndjson`). Files are written under a temporary name beside
//! the target and renamed when complete, so a reader never sees half a file.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::config::{CodesConfig, ExportConfig};
use crate::engine;
use crate::error::Error;
use crate::export::{self, Origin, Row};
use crate::report::InputHealth;
use crate::scan::{Outcome as Line, classify};
use crate::summary::build::from_tally;
use crate::summary::{FilterScope, Scope};
use crate::tally::TallySpec;

use super::gather::{file_rank, prepare, resolve_window};
use super::{
    Outcome, explain_unmatched, no_records, progress_for, summary_line, warn, warn_malformed,
    warn_problems, with_pool,
};

/// A file being written under a temporary name in its directory.
struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    fn create(target: &Path) -> Result<AtomicFile, Error> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".bsaudit-export-")
            // As a plainly created file would be (the umask applies), not tempfile's 0600.
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|e| Error::Io(format!("cannot create a file in {}: {e}", dir.display())))?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
        })
    }

    /// A second handle to write through (the temporary file stays owned here).
    fn writer(&self) -> Result<std::fs::File, Error> {
        self.temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", self.target.display())))
    }

    /// Renames the finished file to its target; returns its size.
    fn commit(self) -> Result<u64, Error> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::Io(format!("cannot write {}: {e}", self.target.display()))
        };
        self.temp.as_file().sync_all().map_err(|e| fail(&e))?;
        let size = self.temp.as_file().metadata().map_err(|e| fail(&e))?.len();
        let target = self.target.clone();
        self.temp.persist(&target).map_err(|e| fail(&e.error))?;
        Ok(size)
    }
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

pub(super) fn run(c: ExportConfig) -> Result<Outcome, Error> {
    let (found, summaries) = prepare(&c.common)?;
    if let Some((name, _)) = summaries.first() {
        return Err(Error::Usage(format!(
            "{name} is a summary: it holds counts, not records; give `export` the logs"
        )));
    }
    let rank = file_rank(&found);
    let spec = |filter| TallySpec {
        filter,
        file_rank: rank.clone(),
        ..TallySpec::default()
    };
    let filter = resolve_window(&c.common, &found, &spec, None)?;
    let spec = spec(filter);
    let file = if is_stdout(&c.output) {
        None
    } else {
        Some(AtomicFile::create(&c.output)?)
    };
    let out: Box<dyn Write + Send> = match &file {
        Some(f) => Box::new(f.writer()?),
        None => Box::new(io::stdout()),
    };
    let mut rows = export::writer(c.format, out, c.with_headers).map_err(Error::from_output)?;
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
                    if let Err(e) = rows.write_row(&row) {
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
    let written = rows.finish().map_err(Error::from_output)?;
    let scope = Scope {
        by: crate::dims::Dims::default_pair().list().to_vec(),
        errors_only: true,
        bucket_ns: spec.bucket_ns,
        max_groups: spec.max_groups,
        filter: FilterScope::of(&spec.filter),
    };
    let summary = from_tally(&mut tally, &found, &c.common.node, scope);
    let health = InputHealth::of(&summary.input, false);
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
    let size = file.map(AtomicFile::commit).transpose()?;
    summary_line(c.common.quiet, &health);
    if !c.common.quiet {
        let place = match size {
            Some(bytes) => format!(
                "{} ({})",
                c.output.display(),
                crate::render::human_bytes(bytes)
            ),
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
    let file = target.map(AtomicFile::create).transpose()?;
    let out: Box<dyn Write + Send> = match &file {
        Some(f) => Box::new(io::BufWriter::new(f.writer()?)),
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
        f.commit()?;
    }
    Ok(())
}
