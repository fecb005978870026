//! `bsaudit codes`: explain status codes from the table.

use crate::config::CodesConfig;
use crate::error::Error;
use crate::render;

use super::{Outcome, warn, write_stdout};

pub(super) fn run(c: CodesConfig) -> Result<Outcome, Error> {
    // Every code that is known is printed; the others are named after, on stderr.
    let selection = c.table.select(&c.codes);
    if c.export.is_some() || c.output.is_some() {
        super::export::write_codes(&c, &selection.rows)?;
    } else {
        write_stdout(|out| render::codes::write(&selection.rows, c.format, out))?;
    }
    for problem in &selection.problems {
        warn(&format!("bsaudit: {problem}"));
    }
    if selection.problems.is_empty() {
        Ok(Outcome::Clean)
    } else {
        Ok(Outcome::Unmatched)
    }
}
