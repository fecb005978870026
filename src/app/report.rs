//! `bsaudit report` and `bsaudit timeline`: gather a summary, build the view, render it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::config::{Grouping, ReportConfig, TimelineConfig};
use crate::dims::Dims;
use crate::error::Error;
use crate::fail_on::Facts;
use crate::input::discover::Discovery;
use crate::metrics;
use crate::render;
use crate::report::{self, InputHealth};
use crate::tally::Tally;
use crate::timeline;

use super::gather::{Gathered, gather};
use super::{
    Outcome, explain_unmatched, no_records, print_rules, summary_line, warn, warn_malformed,
    warn_problems, write_output,
};

pub(super) fn run_report(c: ReportConfig) -> Result<Outcome, Error> {
    let grouping = Grouping {
        dims: c.dims.clone(),
        all: c.report.all,
        bucket_ns: c.report.bucket_ns,
        max_groups: c.max_groups,
    };
    let classes = c.table.class_map();
    let Gathered { summary, scan } =
        gather(&c.common, &grouping, &classes, c.invalid_lines.is_some())?;
    if let (Some(path), Some((tally, found))) = (&c.invalid_lines, &scan) {
        write_invalid_lines(path, tally, found)?;
    }
    let mut report = report::build(&summary, &c.table, &c.report);
    let facts = Facts::from_services(summary.services(&classes));
    report.fail_on = c.fail_on.iter().map(|r| r.check(&facts)).collect();
    let empty = Discovery::default();
    let found = scan.as_ref().map_or(&empty, |s| &s.1);
    warn_problems(&report.input, found);
    if let Some((tally, found)) = &scan {
        warn_malformed(tally, found);
    }
    let h = &report.input;
    if h.records == 0 && h.filtered_out == 0 {
        return no_records(&c.common, h);
    }
    if !report.groups_exact {
        warn(&format!(
            "bsaudit: the summaries merged here folded different groups into \"other\", so a \
             count shown may be low by up to {} (re-summarize with a higher --max-groups)",
            report.groups_folded
        ));
    } else if report.groups_folded > 0 {
        warn(&format!(
            "bsaudit: more than {} groups: the {} records of the smaller ones are counted as \
             \"other\" (raise --max-groups to see them)",
            c.max_groups, report.groups_folded
        ));
    }
    if let Some(max_series) = c.max_series {
        let m = metrics::build(&summary, &c.table, max_series).map_err(Error::Usage)?;
        if m.folded_sets > 0 {
            warn(&format!(
                "bsaudit: {} label sets over --max-series {max_series}: their {} requests are \
                 counted under api=\"other\",method=\"other\"",
                m.folded_sets, m.folded_requests
            ));
        }
        // Label values are escaped as the format asks; other bytes stay, exact for a parser.
        write_output(&c.output, false, |out| render::prometheus::write(&m, out))?;
    } else {
        let render = |out: &mut dyn Write| render::report_with(&report, c.format, &c.layout, out);
        // The table and Markdown escape every byte from the logs themselves, and the table
        // may be coloured: no terminal pass for them.
        let check = !matches!(c.format, render::Format::Table | render::Format::Markdown);
        write_output(&c.output, check, render)?;
    }
    summary_line(c.common.quiet, &report.input);
    let unmatched = explain_unmatched(&c.common, found, &summary.input)?;
    print_rules(&report.fail_on, c.common.quiet);
    let fired = report.fail_on.iter().any(|o| o.fired);
    // Input not read in full wins over a fired rule: the numbers it fired on are incomplete.
    if unmatched {
        Ok(Outcome::Unmatched)
    } else if report.input.incomplete() {
        Ok(Outcome::Incomplete)
    } else if fired {
        Ok(Outcome::RuleFired)
    } else {
        Ok(Outcome::Clean)
    }
}

pub(super) fn run_timeline(c: TimelineConfig) -> Result<Outcome, Error> {
    let grouping = Grouping {
        dims: Dims::default_pair(),
        all: true,
        bucket_ns: c.bucket_ns,
        max_groups: crate::tally::DEFAULT_MAX_GROUPS,
    };
    let Gathered { summary, scan } = gather(&c.common, &grouping, &c.table.class_map(), false)?;
    let view = timeline::build(&summary, &c.table, c.bucket_ns, c.series, c.top);
    let health = InputHealth::of(&summary.input, false);
    let empty = Discovery::default();
    let found = scan.as_ref().map_or(&empty, |s| &s.1);
    warn_problems(&health, found);
    if let Some((tally, found)) = &scan {
        warn_malformed(tally, found);
    }
    if health.records == 0 && health.filtered_out == 0 {
        return no_records(&c.common, &health);
    }
    write_output(&c.output, true, |out| {
        render::timeline::write(&view, c.format, out)
    })?;
    summary_line(c.common.quiet, &health);
    if explain_unmatched(&c.common, found, &summary.input)? {
        return Ok(Outcome::Unmatched);
    }
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

fn write_invalid_lines(path: &Path, tally: &Tally, found: &Discovery) -> Result<(), Error> {
    let fail = |e: io::Error| Error::Io(format!("cannot write {}: {e}", path.display()));
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
