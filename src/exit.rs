//! Exit statuses, in one place: what each means and how an outcome or error maps to one.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | output printed, every input read, no rule fired |
//! | 1 | output printed, every input read, and a `--fail-on` rule fired |
//! | 2 | an error: usage, nothing readable, no audit records, stdout failed; or, with the output still printed, some input not read in full (skipped, partial, shrunk, vanished, replaced, moved) or what was asked for matched nothing |
//!
//! A closed stdout (`| head`) is a success: the reader has what it wanted.

use std::process::ExitCode;

use crate::error::Error;

/// How a successful command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything read, no rule fired.
    Clean,
    /// Everything read, and a `--fail-on` rule fired: a finding, not an error.
    RuleFired,
    /// Output printed, but some input was not read in full: skipped, partial, shrunk,
    /// vanished, replaced or moved while read; the input health says which. Wins over a
    /// fired rule, whose numbers are then incomplete.
    Incomplete,
    /// Output printed, but some of what was asked for matched nothing: the filters and window
    /// kept no record, or a code is not in the table; stderr says which.
    Unmatched,
}

/// The exit status of a command's result; errors other than a closed pipe are printed first.
pub fn code(result: Result<Outcome, Error>, warn: impl Fn(&str)) -> ExitCode {
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::RuleFired) => ExitCode::from(1),
        Ok(Outcome::Incomplete) => ExitCode::from(2),
        Ok(Outcome::Unmatched) => ExitCode::from(2),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("bsaudit: {e}"));
            ExitCode::from(2)
        }
    }
}
