//! `bsaudit hops`: count every kept record's Trace-Log; with `--by disk`, index the
//! downstream records in a first pass.

use std::sync::Mutex;

use crate::config::HopsConfig;
use crate::engine;
use crate::error::Error;
use crate::hops::{DiskIndex, DiskIndexSink, HopSink, Hops};
use crate::render;
use crate::tally::TallySpec;

use super::gather::{logs_only, pass_summary, resolve_window, windowed};
use super::trace::worker_failed;
use super::{
    Outcome, no_records, progress_for, summary_line, warn_malformed, warn_problems, with_pool,
    write_stdout,
};

/// Runs `hops`.
pub(super) fn run(c: HopsConfig) -> Result<Outcome, Error> {
    let found = logs_only(&c.common, "hops", "Trace-Logs")?;
    let spec = |filter| TallySpec {
        filter,
        ..TallySpec::default()
    };
    let mut filter = resolve_window(&c.common, &found, &spec, None)?;
    let (bar, progress) = progress_for(&c.common, &found);
    let index = if c.by.disk {
        let all = spec(crate::filter::Filter::default());
        let index = Mutex::new(DiskIndex::default());
        with_pool(c.common.threads, || {
            engine::scan_sinks(&found.files, None, &c.common.scan, &progress, &|| {
                DiskIndexSink::new(&all, &index)
            })
        })?;
        bar.set_position(0);
        Some(index.into_inner().map_err(|_| worker_failed())?)
    } else {
        None
    };
    let (mut tally, hops) = loop {
        let full = spec(filter.clone());
        let hops = Mutex::new(Hops::default());
        let tally = with_pool(c.common.threads, || {
            engine::scan_sinks(
                &found.files,
                full.filter.since_ns,
                &c.common.scan,
                &progress,
                &|| HopSink::new(&full, c.by, index.as_ref(), &hops),
            )
        })?;
        // As `report` does: a relative window placed from a short estimate is placed again.
        let seen = Some(tally.input.newest_any_ns).filter(|&t| t != i64::MIN);
        let corrected = windowed(&c.common, seen)?;
        if !c.common.window_is_relative()
            || seen.is_none()
            || (corrected.since_ns == filter.since_ns && corrected.until_ns == filter.until_ns)
        {
            break (tally, hops.into_inner().map_err(|_| worker_failed())?);
        }
        filter = corrected;
        bar.set_position(0);
    };
    bar.finish_and_clear();
    let (_, health) = pass_summary(&mut tally, &found, &c.common, &c.common.filter);
    warn_problems(&health, &found);
    warn_malformed(&tally, &found);
    if health.records == 0 && health.filtered_out == 0 {
        return no_records(&c.common, &health);
    }
    let view = crate::hops::build(&hops, c.by, health, c.top);
    write_stdout(|out| render::hops::write(&view, c.json, out))?;
    summary_line(c.common.quiet, &view.input);
    Ok(if view.input.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}
