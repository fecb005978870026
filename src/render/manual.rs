//! Shell completions (`bsaudit completions SHELL`) and manual pages (`bsaudit man
//! [COMMAND]`), both generated from the clap definitions so they cannot drift from `--help`.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut command = Cli::command();
    // clap_complete panics on a failing writer; write to memory, then pass errors on.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "bsaudit", &mut script);
    out.write_all(&script)
}

/// Writes the manual page bsaudit(1), or bsaudit-COMMAND(1) for a subcommand, as roff.
/// Subcommand pages carry their options and the same examples as `--help`.
pub fn man(subcommand: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let mut command = Cli::command();
    // Built, the subcommands know their full names and their --help flags.
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("no subcommand {name:?}"),
                ));
            };
            sub.clone()
                .name(page_name(name))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    out.write_all(&roff)
}

/// The page name of a subcommand (clap wants a `&'static str` for a name).
fn page_name(subcommand: &str) -> &'static str {
    match subcommand {
        "report" => "bsaudit-report",
        "timeline" => "bsaudit-timeline",
        "lines" => "bsaudit-lines",
        "codes" => "bsaudit-codes",
        "export" => "bsaudit-export",
        "completions" => "bsaudit-completions",
        "man" => "bsaudit-man",
        _ => "bsaudit-command",
    }
}
