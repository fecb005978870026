//! Exit statuses, in one place: what each means and how an outcome or error maps to one.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | output printed, every input read, no rule fired |
//! | 1 | output printed, but some input was skipped or only partly read, or a `--fail-on` rule fired |
//! | 2 | usage error, nothing readable, no audit records, stdout failed, or what was asked for matched nothing (output still printed) |
//!
//! A closed stdout (`| head`) is a success: the reader has what it wanted.

use std::process::ExitCode;

use crate::error::Error;

/// How a successful command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything read, no rule fired.
    Clean,
    /// Output printed, but some input was skipped or read only in part, or a `--fail-on`
    /// rule fired.
    Incomplete,
    /// Output printed, but some of what was asked for matched nothing: the filters and window
    /// kept no record, or a code is not in the table; stderr says which.
    Unmatched,
}

/// The exit status of a command's result; errors other than a closed pipe are printed first.
pub fn code(result: Result<Outcome, Error>, warn: impl Fn(&str)) -> ExitCode {
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Incomplete) => ExitCode::from(1),
        Ok(Outcome::Unmatched) => ExitCode::from(2),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("bsaudit: {e}"));
            ExitCode::from(2)
        }
    }
}
