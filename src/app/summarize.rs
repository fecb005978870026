//! `bsaudit summarize` and `bsaudit merge`: write summaries for later reports.

use crate::config::{MergeConfig, SummarizeConfig};
use crate::error::Error;
use crate::input::discover::Discovery;
use crate::report::InputHealth;
use crate::summary::{self, Summary};

use super::gather::{Gathered, gather};
use super::{Outcome, no_records, summary_line, warn, warn_problems, write_stdout_trusted};

pub(super) fn run(c: SummarizeConfig) -> Result<Outcome, Error> {
    let classes = c.table.class_map();
    let Gathered { summary, scan } = gather(&c.common, &c.grouping, &classes, false)?;
    let health = InputHealth::of(&summary.input, false);
    let empty = Discovery::default();
    warn_problems(&health, scan.as_ref().map_or(&empty, |s| &s.1));
    if health.records == 0 && health.filtered_out == 0 {
        return no_records(&c.common, &health);
    }
    if summary.folded() > 0 {
        warn(&format!(
            "bsaudit: more than {} groups: {} records of {} keys were folded into \"other\" \
             (raise --max-groups to keep them)",
            c.grouping.max_groups,
            summary.folded(),
            summary.other_keys
        ));
    }
    save(&summary, &c.output)?;
    summary_line(c.common.quiet, &health);
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

pub(super) fn run_merge(c: MergeConfig) -> Result<Outcome, Error> {
    let mut total: Option<Summary> = None;
    for path in &c.inputs {
        let name = path.display().to_string();
        let s = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| summary::file::from_bytes(&bytes))
            .map_err(|e| Error::NoInput(format!("{name}: {e}")))?;
        match &mut total {
            None => total = Some(s),
            Some(t) => {
                t.compatible(&s)
                    .map_err(|e| Error::Usage(format!("{name}: cannot merge: {e}")))?;
                *t += &s;
            }
        }
    }
    let Some(total) = total else {
        return Err(Error::Usage("merge needs summary files".to_string()));
    };
    let health = InputHealth::of(&total.input, false);
    save(&total, &c.output)?;
    summary_line(c.quiet, &health);
    Ok(if health.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

fn save(s: &Summary, path: &std::path::Path) -> Result<(), Error> {
    if path.as_os_str() == "-" {
        return write_stdout_trusted(|out| summary::file::write(s, path, out));
    }
    summary::file::write(s, path, &mut std::io::sink())
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}
