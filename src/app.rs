//! Running a validated command: discovery, the time window, scan, report, render, and the
//! exit status.
//!
//! This is the one place that wires the pieces to the outside world: the progress bar,
//! warnings and the summary line on stderr, the rendered output on stdout.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{CodesConfig, Common, Config, LinesConfig, ReportConfig, TimelineConfig};
use crate::diagnose;
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::input::discover::{self, Discovery, InputKind};
use crate::render;
use crate::report::{self, Grouping};
use crate::tally::{Tally, TallySpec};
use crate::timeline;

/// How a successful command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything read, no rule fired.
    Clean,
    /// Output printed, but some input was skipped or read only in part, or a `--fail-on`
    /// rule fired (exit 1).
    Incomplete,
    /// Output printed, but some of what was asked for matched nothing: the filters and window
    /// kept no record, or a code is not in the table; stderr says which (exit 2).
    Unmatched,
}

/// Inputs smaller than this finish before a progress bar would help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// Default bucket of the timeline behind report sparklines and onsets.
const SPARK_BUCKET_NS: i64 = 60_000_000_000;

/// Runs a command.
pub fn run(config: Config) -> Result<Outcome, Error> {
    match config {
        Config::Report(c) => run_report(c),
        Config::Timeline(c) => run_timeline(c),
        Config::Lines(c) => run_lines(c),
        Config::Codes(c) => run_codes(c),
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

fn run_codes(c: CodesConfig) -> Result<Outcome, Error> {
    // Every code that is known is printed; the others are named after, on stderr.
    let selection = c.table.select(&c.codes);
    write_stdout(|out| render::codes::write(&selection.rows, c.format, out))?;
    for problem in &selection.problems {
        warn(&format!("bsaudit: {problem}"));
    }
    if selection.problems.is_empty() {
        Ok(Outcome::Clean)
    } else {
        Ok(Outcome::Unmatched)
    }
}

fn run_report(c: ReportConfig) -> Result<Outcome, Error> {
    let found = prepare(&c.common)?;
    let bucket_ns = c.bucket_ns.unwrap_or(SPARK_BUCKET_NS);
    let spec = |filter| TallySpec {
        filter,
        keep_invalid: c.invalid_lines.is_some(),
        dims: (!c.dims.is_default_pair()).then(|| c.dims.clone()),
        errors_only: !c.report.all,
        classes: c.table.class_map(),
        max_groups: c.max_groups,
        bucket_ns,
        file_rank: Vec::new(),
    };
    let tally = scan_windowed(&c.common, &found, &spec)?;

    if let Some(path) = &c.invalid_lines {
        write_invalid_lines(path, &tally, &found)?;
    }
    let grouping = Grouping {
        dims: c.dims.clone(),
        bucket_ns,
        max_groups: c.max_groups,
    };
    let mut report = report::build(&tally, &found, &c.table, &c.report, &grouping);
    report.fail_on = c.fail_on.iter().map(|r| r.check(&report.facts)).collect();
    warn_problems(&report.input, &found);
    warn_malformed(&tally, &found);
    let h = &report.input;
    if h.records == 0 && h.filtered_out == 0 {
        summary(&c.common, h);
        return Err(Error::NoInput(
            "no BlobStore audit records found".to_string(),
        ));
    }
    if !report.groups_exact {
        warn(&format!(
            "bsaudit: more than {} groups: {} records went to \"other\" while counting, so \
             the counts shown may be low by up to that many (raise --max-groups)",
            c.max_groups, report.groups_folded
        ));
    }
    write_stdout(|out| render::report(&report, c.format, out))?;
    summary(&c.common, &report.input);
    let unmatched = explain_unmatched(&c.common, &found, &tally)?;
    // Every rule and its value; with --quiet only those that fired.
    let shown: Vec<_> = report
        .fail_on
        .iter()
        .filter(|o| o.fired || !c.common.quiet)
        .cloned()
        .collect();
    for line in render::fail_on::lines(&shown) {
        warn(&line);
    }
    let fired = report.fail_on.iter().any(|o| o.fired);
    let h = &report.input;
    if unmatched {
        Ok(Outcome::Unmatched)
    } else if fired || h.files_skipped > 0 || h.files_partial > 0 {
        Ok(Outcome::Incomplete)
    } else {
        Ok(Outcome::Clean)
    }
}

fn run_timeline(c: TimelineConfig) -> Result<Outcome, Error> {
    let found = prepare(&c.common)?;
    let spec = |filter| TallySpec {
        filter,
        bucket_ns: c.bucket_ns,
        ..TallySpec::default()
    };
    let tally = scan_windowed(&c.common, &found, &spec)?;
    let view = timeline::build(&tally, &c.table, c.bucket_ns, c.series, c.top);
    let health = report::input_health(&tally, &found);
    warn_problems(&health, &found);
    warn_malformed(&tally, &found);
    if health.records == 0 && health.filtered_out == 0 {
        summary(&c.common, &health);
        return Err(Error::NoInput(
            "no BlobStore audit records found".to_string(),
        ));
    }
    write_stdout(|out| render::timeline::write(&view, c.format, out))?;
    summary(&c.common, &health);
    if explain_unmatched(&c.common, &found, &tally)? {
        return Ok(Outcome::Unmatched);
    }
    Ok(incomplete_if(&health))
}

fn run_lines(c: LinesConfig) -> Result<Outcome, Error> {
    let found = prepare(&c.common)?;
    let spec = |filter| TallySpec {
        filter,
        ..TallySpec::default()
    };
    // The window must be placed before the ordered pass; a relative one costs a first pass.
    let filter = resolve_window(&c.common, &found, &spec)?;
    let spec = spec(filter);
    // Unlocked: the writer moves to the pool's thread.
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut left = c.limit.unwrap_or(u64::MAX);
    let mut failure: Option<Error> = None;
    let progress = progress_for(&c.common, &found);
    let tally = with_pool(c.common.threads, || {
        engine::scan_matches(
            &found.files,
            &spec,
            &c.common.scan,
            &progress.1,
            &mut |file, mut matches| {
                if left == 0 {
                    return ControlFlow::Break(());
                }
                matches.truncate(usize::try_from(left).unwrap_or(usize::MAX));
                left -= matches.len() as u64;
                if let Err(e) = render::lines::write(&file.display, &matches, c.json, &mut out) {
                    failure = Some(Error::from_output(e));
                    return ControlFlow::Break(());
                }
                if left == 0 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
    })?;
    progress.0.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    out.flush().map_err(Error::from_output)?;
    let health = report::input_health(&tally, &found);
    warn_problems(&health, &found);
    warn_malformed(&tally, &found);
    if c.limit.is_none() || left > 0 {
        // The whole input was read: an empty result means there was nothing to find.
        if health.records == 0 && health.filtered_out == 0 {
            summary(&c.common, &health);
            return Err(Error::NoInput(
                "no BlobStore audit records found".to_string(),
            ));
        }
        summary(&c.common, &health);
        if explain_unmatched(&c.common, &found, &tally)? {
            return Ok(Outcome::Unmatched);
        }
    }
    Ok(incomplete_if(&health))
}

fn incomplete_if(h: &report::InputHealth) -> Outcome {
    if h.files_skipped > 0 || h.files_partial > 0 {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    }
}

/// Lists the input files, warning about paths that cannot be read.
fn prepare(common: &Common) -> Result<Discovery, Error> {
    for note in &common.notes {
        warn(note);
    }
    let found = discover::discover(&common.inputs, common.follow_links);
    for p in &found.skipped {
        warn(&format!("{}: {}", render::sanitize(&p.display), p.reason));
    }
    if found.files.is_empty() {
        return Err(Error::NoInput(format!(
            "no audit log files found in {}",
            describe_inputs(&common.inputs)
        )));
    }
    Ok(found)
}

/// The filter with the time window placed. A window relative to the newest record needs that
/// record first: estimated from the ends of the plain files, or found by a first pass when
/// there are none.
fn resolve_window(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(crate::filter::Filter) -> TallySpec,
) -> Result<crate::filter::Filter, Error> {
    let newest = if common.window_is_relative() {
        match engine::newest_estimate(&found.files, common.scan.max_line) {
            Some(t) => Some(t),
            None => first_pass_newest(common, found, spec)?,
        }
    } else {
        None
    };
    windowed(common, newest)
}

/// The filter with the window placed for this newest record; an empty window is a usage
/// error (`--since 10:50 --until 10:40`).
fn windowed(common: &Common, newest: Option<i64>) -> Result<crate::filter::Filter, Error> {
    let mut filter = common.filter.clone();
    (filter.since_ns, filter.until_ns) = common.window(newest).map_err(Error::Usage)?;
    Ok(filter)
}

fn first_pass_newest(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(crate::filter::Filter) -> TallySpec,
) -> Result<Option<i64>, Error> {
    let quiet: ProgressFn = Arc::new(|_| {});
    let all = spec(crate::filter::Filter::default());
    let tally = with_pool(common.threads, || {
        engine::scan(&found.files, &all, &common.scan, &quiet)
    })?;
    let newest = tally.input.newest_any_ns;
    Ok((newest != i64::MIN).then_some(newest))
}

/// Scans with the window placed; when a relative window was placed from an estimate, checks
/// it against the newest record the scan saw and scans again if the estimate was short.
fn scan_windowed(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(crate::filter::Filter) -> TallySpec,
) -> Result<Tally, Error> {
    let mut filter = resolve_window(common, found, spec)?;
    let (bar, progress) = progress_for(common, found);
    let mut tally;
    loop {
        let full = spec(filter.clone());
        tally = with_pool(common.threads, || {
            engine::scan(&found.files, &full, &common.scan, &progress)
        })?;
        let seen = tally.input.newest_any_ns;
        let corrected = windowed(common, (seen != i64::MIN).then_some(seen))?;
        if !common.window_is_relative()
            || seen == i64::MIN
            || (corrected.since_ns == filter.since_ns && corrected.until_ns == filter.until_ns)
        {
            break;
        }
        // Records are nearly in start order, not exactly: the tails missed the newest one.
        filter = corrected;
        bar.set_position(0);
    }
    bar.finish_and_clear();
    Ok(tally)
}

fn progress_for(common: &Common, found: &Discovery) -> (ProgressBar, ProgressFn) {
    let total: u64 = found.files.iter().map(|f| f.len).sum();
    let has_stream = found.files.iter().any(|f| !f.regular);
    let bar = progress_bar(total, has_stream, common.quiet);
    let tick = bar.clone();
    (bar, Arc::new(move |n| tick.inc(n)))
}

/// When records were read but the filters and window kept none: says on stderr which filter
/// values occur nowhere (with the values that do), or that the window is empty. Returns
/// whether that was the case. Costs a second scan, on this path only.
fn explain_unmatched(common: &Common, found: &Discovery, tally: &Tally) -> Result<bool, Error> {
    let c = &tally.input;
    if c.records > 0 || c.filtered_out == 0 {
        return Ok(false);
    }
    let filter = windowed(
        common,
        (c.newest_any_ns != i64::MIN).then_some(c.newest_any_ns),
    )?;
    let spec = diagnose::seen_spec(&filter);
    let quiet: ProgressFn = Arc::new(|_| {});
    let seen_tally = with_pool(common.threads, || {
        engine::scan(&found.files, &spec, &common.scan, &quiet)
    })?;
    let seen = diagnose::Seen::from_tally(&seen_tally);
    for reason in diagnose::unmatched(&filter, &seen) {
        warn(&format!("bsaudit: {reason}"));
    }
    Ok(true)
}

/// Warns when much of the input is not audit records: the wrong directory or format.
fn warn_malformed(tally: &Tally, found: &Discovery) {
    if let Some(w) = diagnose::mostly_malformed(tally, &found.files) {
        warn(&format!("bsaudit: warning: {w}"));
    }
}

fn warn_problems(h: &report::InputHealth, found: &Discovery) {
    for p in &h.problems {
        if !found.skipped.iter().any(|s| s.display == p.path) {
            warn(&format!(
                "{}: {} ({})",
                render::sanitize(&p.path),
                p.message,
                p.kind
            ));
        }
    }
}

fn summary(common: &Common, h: &report::InputHealth) {
    if !common.quiet {
        warn(&render::health_line(h));
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
