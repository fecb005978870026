//! `bsaudit lines`: the matching raw records in input order.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;

use crate::config::LinesConfig;
use crate::engine;
use crate::error::Error;
use crate::render;

use super::gather::{logs_only, ordered_spec, pass_summary};
use super::{
    Outcome, explain_unmatched, no_records, progress_for, summary_line, warn_malformed,
    warn_problems, with_pool,
};

pub(super) fn run(c: LinesConfig) -> Result<Outcome, Error> {
    let found = logs_only(&c.common, "lines", "lines")?;
    let spec = ordered_spec(&c.common, &found)?;
    // Unlocked: the writer moves to the pool's thread. Raw lines go to a pipe byte for byte;
    // on a terminal their control bytes are shown escaped (JSON escapes its own).
    let buffered = BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut out: Box<dyn Write + Send> = if io::stdout().is_terminal() && !c.json {
        Box::new(crate::escape::TerminalWriter(buffered))
    } else {
        Box::new(buffered)
    };
    let mut left = c.limit.unwrap_or(u64::MAX);
    let mut failure: Option<Error> = None;
    let progress = progress_for(&c.common, &found);
    let mut tally = with_pool(c.common.threads, || {
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
    let (summary, health) = pass_summary(&mut tally, &found, &c.common, &spec.filter);
    warn_problems(&health, &found);
    warn_malformed(&tally, &found);
    if c.limit.is_none() || left > 0 {
        // The whole input was read: an empty result means there was nothing to find.
        if health.records == 0 && health.filtered_out == 0 {
            return no_records(&c.common, &health);
        }
        summary_line(c.common.quiet, &health);
        if explain_unmatched(&c.common, &found, &summary.input)? {
            return Ok(Outcome::Unmatched);
        }
    }
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}
