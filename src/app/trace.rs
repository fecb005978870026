//! `bsaudit trace`: search every file for the ids, then order and show their records.

use std::sync::Mutex;

use crate::config::TraceConfig;
use crate::engine;
use crate::error::Error;
use crate::render;
use crate::tally::TallySpec;
use crate::trace::{Found, Needles, TraceSink};

use super::gather::{logs_only, pass_summary, resolve_window};
use super::{Outcome, progress_for, warn, warn_problems, with_pool, write_stdout};

/// Runs `trace`. A relative window is placed from the newest record estimated from the files'
/// ends: the search does not parse every line, so it cannot check the estimate.
pub(super) fn run(c: TraceConfig) -> Result<Outcome, Error> {
    let found = logs_only(&c.common, "trace", "records")?;
    let spec = |filter| TallySpec {
        filter,
        ..TallySpec::default()
    };
    let filter = resolve_window(&c.common, &found, &spec, None)?;
    let needles = Needles::new(&c.ids);
    let hits = Mutex::new(Found::default());
    let (bar, progress) = progress_for(&c.common, &found);
    let mut tally = with_pool(c.common.threads, || {
        engine::scan_sinks(
            &found.files,
            filter.since_ns,
            &c.common.scan,
            &progress,
            &|| TraceSink::new(&needles, &filter, &hits),
        )
    })?;
    bar.finish_and_clear();
    let hits = hits.into_inner().map_err(|_| worker_failed())?;
    let (_, health) = pass_summary(&mut tally, &found, &c.common, &c.common.filter);
    warn_problems(&health, &found);
    let view = crate::trace::build(&needles, hits, &tally, &found, &c.table, &health);
    write_stdout(|out| render::trace::write(&view, c.json, out))?;
    if !c.common.quiet {
        warn(&render::trace::summary_line(&view.input));
    }
    let missing: Vec<&str> = view
        .traces
        .iter()
        .filter(|t| t.records.is_empty())
        .map(|t| t.trace_id.as_str())
        .collect();
    if !missing.is_empty() {
        warn(&format!(
            "bsaudit: no record has trace id {}",
            render::sanitize(&missing.join(", "))
        ));
        return Ok(Outcome::Unmatched);
    }
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// A collector's lock was poisoned: a scanning thread panicked.
pub(super) fn worker_failed() -> Error {
    Error::NoInput("a worker thread failed while scanning".to_string())
}
