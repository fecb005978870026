//! `bsaudit diff`: gather the incident window, place the baseline window (before it, shifted,
//! explicit, or the same bounds over other inputs), gather that, compare, render.

use crate::config::{BaselineWindow, Common, DiffConfig, Grouping};
use crate::diff::{self, Bounds, DiffOptions};
use crate::error::Error;
use crate::input::discover::Discovery;
use crate::render;
use crate::report::InputHealth;
use crate::summary::Summary;
use crate::time::Bound;

use super::gather::{Gathered, gather};
use super::{Outcome, warn, warn_malformed, warn_problems, write_output};

/// A copy of `common` reading `inputs` over `[since, until)`.
fn with_window(
    common: &Common,
    inputs: Option<&[crate::input::discover::InputKind]>,
    since: Option<Bound>,
    until: Option<Bound>,
) -> Common {
    Common {
        inputs: inputs.map_or_else(|| common.inputs.clone(), <[_]>::to_vec),
        follow_links: common.follow_links,
        threads: common.threads,
        quiet: common.quiet,
        scan: common.scan.clone(),
        filter: common.filter.clone(),
        since,
        until,
        node: common.node.clone(),
        spill_groups: common.spill_groups,
        clock: common.clock.clone(),
        // Already printed for the incident.
        notes: Vec::new(),
    }
}

/// The incident window as placed, with an open end closed at its last record.
fn closed_window(s: &Summary, what: &str) -> Result<(i64, i64), Error> {
    let f = &s.scope.filter;
    let since = f.since_ns.ok_or_else(|| {
        Error::Usage(format!(
            "--baseline {what} needs the incident window's start: give --since or --last"
        ))
    })?;
    let until = match f.until_ns.or(s.input.last_ns.map(|t| t.saturating_add(1))) {
        Some(u) if u > since => u,
        _ => {
            return Err(Error::NoInput(
                "no records in the incident window".to_string(),
            ));
        }
    };
    Ok((since, until))
}

/// Warnings of one window's read; returns its health.
fn report_health(what: &str, g: &Gathered, quiet: bool) -> InputHealth {
    let health = InputHealth::of(&g.summary.input, false);
    let empty = Discovery::default();
    let found = g.scan.as_ref().map_or(&empty, |s| &s.1);
    warn_problems(&health, found);
    if let Some((tally, found)) = &g.scan {
        warn_malformed(tally, found);
    }
    if !quiet {
        warn(&format!("{what}: {}", render::health_line(&health)));
    }
    health
}

pub(super) fn run(c: DiffConfig) -> Result<Outcome, Error> {
    let grouping = Grouping {
        dims: c.dims.clone(),
        all: c.all,
        bucket_ns: crate::tally::DEFAULT_BUCKET_NS,
        max_groups: c.max_groups,
    };
    let classes = c.table.class_map();
    let incident = gather(&c.common, &grouping, &classes, false)?;
    let (since, until) = match c.baseline_window {
        BaselineWindow::Same => (c.common.since, c.common.until),
        BaselineWindow::Bounds(s, u) => (s, u),
        BaselineWindow::Prev => {
            let (s, u) = closed_window(&incident.summary, "prev")?;
            (Some(Bound::At(s - (u - s))), Some(Bound::At(s)))
        }
        BaselineWindow::Shift(d) => {
            let (s, u) = closed_window(&incident.summary, "D")?;
            (
                Some(Bound::At(s.saturating_sub(d))),
                Some(Bound::At(u.saturating_sub(d))),
            )
        }
    };
    let base_common = with_window(&c.common, c.baseline_inputs.as_deref(), since, until);
    if !base_common.window_is_relative() {
        base_common
            .window(None)
            .map_err(|e| Error::Usage(format!("baseline: {e}")))?;
    }
    let baseline = gather(&base_common, &grouping, &classes, false)?;
    let bh = report_health("baseline", &baseline, c.common.quiet);
    let ih = report_health("incident", &incident, c.common.quiet);
    for (what, h) in [("baseline", &bh), ("incident", &ih)] {
        if h.records == 0 {
            return Err(Error::NoInput(format!(
                "no BlobStore audit records in the {what} window"
            )));
        }
    }
    let bounds = |s: &Summary| -> Bounds { (s.scope.filter.since_ns, s.scope.filter.until_ns) };
    let opts = DiffOptions {
        thresholds: c.thresholds,
        latency_groups: c.latency_groups,
        fail_on: c.fail_on.clone(),
    };
    let d = diff::build(
        &baseline.summary,
        &incident.summary,
        (bounds(&baseline.summary), bounds(&incident.summary)),
        &classes,
        &opts,
    );
    write_output(&c.output, true, |out| {
        render::diff::write(&d, c.format, c.top, out)
    })?;
    for o in &d.fail_on {
        if o.fired || !c.common.quiet {
            warn(&format!(
                "bsaudit: --fail-on {}: {} ({} row{})",
                o.rule,
                if o.fired { "FIRED" } else { "ok" },
                o.rows,
                if o.rows == 1 { "" } else { "s" }
            ));
        }
    }
    let fired = d.fail_on.iter().any(|o| o.fired);
    Ok(if bh.incomplete() || ih.incomplete() {
        Outcome::Incomplete
    } else if fired {
        Outcome::RuleFired
    } else {
        Outcome::Clean
    })
}
