//! Running a validated command: discovery, scan, report, render, and the exit status.
//!
//! This is the one place that wires the pieces to the outside world: the progress bar,
//! warnings and the summary line on stderr, the rendered output on stdout.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{CodesConfig, Config, ReportConfig};
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::input::discover::{self, Discovery, InputKind};
use crate::render;
use crate::report;
use crate::tally::Tally;

/// How a successful command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything read.
    Clean,
    /// Output printed, but some input was skipped or read only in part (exit 1).
    Incomplete,
}

/// Inputs smaller than this finish before a progress bar would help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// Runs a command.
pub fn run(config: Config) -> Result<Outcome, Error> {
    match config {
        Config::Report(c) => run_report(c),
        Config::Codes(c) => run_codes(c),
    }
}

fn run_codes(c: CodesConfig) -> Result<Outcome, Error> {
    let rows = if c.codes.is_empty() {
        c.table.rows().iter().collect()
    } else {
        let mut rows = Vec::new();
        let mut unknown = Vec::new();
        for &code in &c.codes {
            match c.table.get(code) {
                Some(r) => rows.push(r),
                None => unknown.push(code.to_string()),
            }
        }
        if !unknown.is_empty() {
            // Print what is known, then fail on the rest.
            write_stdout(|out| render::codes::write(&rows, c.format, out))?;
            return Err(Error::Usage(format!(
                "unknown status code{} {}: not in the code table (class by range: {})",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                unknown
                    .iter()
                    .filter_map(|u| u.parse::<u32>().ok())
                    .map(|u| format!("{u} {}", crate::codes::Class::by_range(u)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        rows
    };
    write_stdout(|out| render::codes::write(&rows, c.format, out))?;
    Ok(Outcome::Clean)
}

fn run_report(c: ReportConfig) -> Result<Outcome, Error> {
    let found = discover::discover(&c.inputs, c.follow_links);
    for p in &found.skipped {
        warn(&format!("{}: {}", render::sanitize(&p.display), p.reason));
    }
    if found.files.is_empty() {
        return Err(Error::NoInput(format!(
            "no audit log files found in {}",
            describe_inputs(&c.inputs)
        )));
    }

    let total: u64 = found.files.iter().map(|f| f.len).sum();
    let has_stream = found.files.iter().any(|f| !f.regular);
    let bar = progress_bar(total, has_stream, c.quiet);
    let tick = bar.clone();
    let progress: ProgressFn = Arc::new(move |n| tick.inc(n));

    let tally = with_pool(c.threads, || {
        engine::scan(&found.files, &c.spec, &c.scan, &progress)
    })?;
    bar.finish_and_clear();

    if let Some(path) = &c.invalid_lines {
        write_invalid_lines(path, &tally, &found)?;
    }
    let report = report::build(&tally, &found, &c.table, &c.report);
    for p in &report.input.problems {
        if !found.skipped.iter().any(|s| s.display == p.path) {
            warn(&format!(
                "{}: {} ({})",
                render::sanitize(&p.path),
                p.message,
                p.kind
            ));
        }
    }
    let h = &report.input;
    if h.records == 0 && h.filtered_out == 0 {
        if !c.quiet {
            warn(&render::health_line(h));
        }
        return Err(Error::NoInput(
            "no BlobStore audit records found".to_string(),
        ));
    }
    write_stdout(|out| render::report(&report, c.format, out))?;
    if !c.quiet {
        warn(&render::health_line(h));
    }
    if h.files_skipped > 0 || h.files_partial > 0 {
        Ok(Outcome::Incomplete)
    } else {
        Ok(Outcome::Clean)
    }
}

fn write_invalid_lines(path: &Path, tally: &Tally, found: &Discovery) -> Result<(), Error> {
    let fail = |e: io::Error| Error::Usage(format!("cannot write {}: {e}", path.display()));
    let file = File::create(path).map_err(fail)?;
    let mut out = BufWriter::new(file);
    render::invalid::write(tally, found, &mut out).map_err(fail)?;
    out.flush().map_err(fail)?;
    if tally.invalid.dropped > 0 {
        warn(&format!(
            "{}: {} more invalid lines not written (over {} MiB)",
            path.display(),
            tally.invalid.dropped,
            crate::tally::INVALID_BYTES_CAP >> 20
        ));
    }
    Ok(())
}

fn describe_inputs(inputs: &[InputKind]) -> String {
    inputs
        .iter()
        .map(|i| match i {
            InputKind::Stdin => "standard input".to_string(),
            InputKind::Path(p) => p.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn progress_bar(total: u64, has_stream: bool, quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() || (total < PROGRESS_MIN_BYTES && !has_stream) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} eta {eta}",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

fn with_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T, Error> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    Ok(pool.install(work))
}

/// Writes to a buffered, locked stdout; a closed pipe becomes [`Error::BrokenPipe`].
fn write_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    f(&mut out).map_err(Error::from_output)?;
    out.flush().map_err(Error::from_output)
}

/// One line on stderr. A closed stderr is ignored: there is nobody left to tell.
pub fn warn(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}
