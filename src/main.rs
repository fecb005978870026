//! The `bsaudit` binary: parse arguments, run, map the outcome to an exit code (see
//! `bsaudit::exit`).

use std::process::ExitCode;

use bsaudit::app;
use bsaudit::cli::Cli;
use bsaudit::config::Config;
use clap::Parser;

fn main() -> ExitCode {
    let result = Config::from_env(Cli::parse()).and_then(app::run);
    bsaudit::exit::code(result, app::warn)
}
