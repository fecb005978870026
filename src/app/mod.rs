//! Running a validated command: discovery, the time window, scan, summaries, report, render,
//! and the exit status.
//!
//! This is the one place that wires the pieces to the outside world: the progress bar,
//! warnings and the summary line on stderr, the rendered output on stdout. One file per
//! command; [`gather`] is the shared front half (inputs to one merged [`Summary`]).

mod codes;
mod diff;
mod export;
mod gather;
mod hops;
mod lines;
mod report;
mod state;
mod summarize;
mod top;
mod trace;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{Common, Config};
use crate::diagnose;
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::input::discover::{Discovery, InputKind};
use crate::render;
use crate::report::InputHealth;

pub use crate::exit::Outcome;

/// Inputs smaller than this finish before a progress bar would help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// Runs a command.
pub fn run(config: Config) -> Result<Outcome, Error> {
    match config {
        Config::Report(c) => report::run_report(c),
        Config::Timeline(c) => report::run_timeline(c),
        Config::Lines(c) => lines::run(c),
        Config::Trace(c) => trace::run(c),
        Config::Hops(c) => hops::run(c),
        Config::Codes(c) => codes::run(c),
        Config::Export(c) => export::run(c),
        Config::Summarize(c) => summarize::run(c),
        Config::Merge(c) => summarize::run_merge(c),
        Config::Diff(c) => diff::run(c),
        Config::Top(c) => top::run(c),
        Config::Completions(shell) => {
            write_stdout(|out| render::manual::completions(shell, out))?;
            Ok(Outcome::Clean)
        }
        Config::Man(command) => {
            write_stdout(|out| render::manual::man(command.as_deref(), out))?;
            Ok(Outcome::Clean)
        }
    }
}

fn no_records(common: &Common, h: &InputHealth) -> Result<Outcome, Error> {
    summary_line(common.quiet, h);
    Err(Error::NoInput(
        "no BlobStore audit records found".to_string(),
    ))
}

/// When records were read but the filters and window kept none: says on stderr which filter
/// values occur nowhere (with the values that do), or that the window is empty. Returns
/// whether that was the case. Costs a second scan of the logs, on this path only.
fn explain_unmatched(
    common: &Common,
    found: &Discovery,
    input: &crate::summary::InputSummary,
) -> Result<bool, Error> {
    if input.records > 0 || input.filtered_out == 0 {
        return Ok(false);
    }
    let filter = gather::windowed(common, input.newest_any_ns)?;
    if !found.files.is_empty() {
        let spec = diagnose::seen_spec(&filter);
        let quiet: ProgressFn = Arc::new(|_| {});
        let seen_tally = with_pool(common.threads, || {
            engine::scan(&found.files, &spec, &common.scan, &quiet)
        })?;
        let seen = diagnose::Seen::from_tally(&seen_tally);
        for reason in diagnose::unmatched(&filter, &seen) {
            warn(&format!("bsaudit: {reason}"));
        }
    } else {
        warn("bsaudit: the filters and window keep no record of these summaries");
    }
    Ok(true)
}

/// Warns when much of the input is not audit records: the wrong directory or format.
fn warn_malformed(tally: &crate::tally::Tally, found: &Discovery) {
    if let Some(w) = diagnose::mostly_malformed(tally, &found.files) {
        warn(&format!("bsaudit: warning: {w}"));
    }
}

/// Every `--fail-on` rule and its value on stderr; with `--quiet` only those that fired.
fn print_rules(outcomes: &[crate::fail_on::Outcome], quiet: bool) {
    let shown: Vec<_> = outcomes
        .iter()
        .filter(|o| o.fired || !quiet)
        .cloned()
        .collect();
    for line in render::fail_on::lines(&shown) {
        warn(&line);
    }
}

fn progress_for(common: &Common, found: &Discovery) -> (ProgressBar, ProgressFn) {
    let total: u64 = found.files.iter().map(|f| f.len).sum();
    let has_stream = found.files.iter().any(|f| !f.regular);
    let bar = progress_bar(total, has_stream, common.quiet);
    let tick = bar.clone();
    (bar, Arc::new(move |n| tick.inc(n)))
}

fn warn_problems(h: &InputHealth, found: &Discovery) {
    for p in &h.problems {
        if !found.skipped.iter().any(|s| s.display == p.path) {
            warn(&format!(
                "{}: {} ({})",
                render::sanitize(&render::problem_path(p)),
                p.message,
                p.kind
            ));
        }
    }
}

fn summary_line(quiet: bool, h: &InputHealth) {
    if !quiet {
        warn(&render::health_line(h));
    }
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
        .map_err(|e| Error::Io(format!("cannot start worker threads: {e}")))?;
    Ok(pool.install(work))
}

/// Writes to a buffered, locked stdout; a closed pipe becomes [`Error::BrokenPipe`].
fn write_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    write_stdout_checked(true, f)
}

/// [`write_stdout`] for output that escaped every log byte itself and may carry its own
/// colour codes (the terminal table, Markdown) or is binary (a summary to `-`): the terminal
/// pass would print those codes as text.
fn write_stdout_trusted(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    write_stdout_checked(false, f)
}

fn write_stdout_checked(
    check: bool,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let stdout = io::stdout();
    // On a terminal the output is checked once more for control bytes: CSV carries log bytes
    // as they are (exact to a pipe), the other formats have escaped them already.
    let terminal = check && stdout.is_terminal();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    if terminal {
        let mut doc = Vec::new();
        f(&mut doc).map_err(Error::from_output)?;
        out.write_all(&crate::escape::terminal(&doc))
            .map_err(Error::from_output)?;
    } else {
        f(&mut out).map_err(Error::from_output)?;
    }
    out.flush().map_err(Error::from_output)
}

/// Writes to `output`: standard output as [`write_stdout_checked`] does (`check`: the
/// terminal pass), or a file replaced atomically ([`crate::output::write_atomic`]).
fn write_output(
    output: &crate::output::Output,
    check: bool,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    match output {
        crate::output::Output::Stdout => write_stdout_checked(check, f),
        crate::output::Output::File(path) => crate::output::write_atomic(path, f)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display()))),
    }
}

/// One line on stderr, with any control bytes escaped. A closed stderr is ignored: there is
/// nobody left to tell.
pub fn warn(line: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "{}",
        String::from_utf8_lossy(&crate::escape::terminal(line.as_bytes()))
    );
}
