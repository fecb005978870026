//! The `bsaudit` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use bsaudit::app::{self, Outcome};
use bsaudit::cli::Cli;
use bsaudit::config::Config;
use bsaudit::error::Error;
use clap::Parser;

fn main() -> ExitCode {
    let result = Config::from_env(Cli::parse()).and_then(app::run);
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Incomplete) => ExitCode::from(1),
        Ok(Outcome::Unmatched) => ExitCode::from(2),
        // `| head` closed the pipe: the reader has what it wanted.
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            app::warn(&format!("bsaudit: {e}"));
            ExitCode::from(2)
        }
    }
}
