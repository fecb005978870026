//! The validated configuration of one run, built once from the command line.
//!
//! Everything that can be wrong with the arguments is found here (bad code specs, sizes, an
//! unreadable code table, stdin on a terminal), so the work that follows never sees clap and
//! never fails on an argument.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Cli, CodesArgs, CommandArgs, FormatArg, ReportArgs};
use crate::codes::CodeTable;
use crate::engine::ScanSettings;
use crate::error::Error;
use crate::filter::{CodeSpec, Filter};
use crate::input::discover::InputKind;
use crate::render::Format;
use crate::report::ReportOptions;
use crate::tally::TallySpec;

/// A validated command.
pub enum Config {
    /// `bsaudit report`.
    Report(ReportConfig),
    /// `bsaudit codes`.
    Codes(CodesConfig),
}

/// Everything `report` needs.
pub struct ReportConfig {
    /// Inputs in command-line order.
    pub inputs: Vec<InputKind>,
    /// Follow symlinks while walking.
    pub follow_links: bool,
    /// Which records to keep, and what else to collect.
    pub spec: TallySpec,
    /// Where to write invalid lines.
    pub invalid_lines: Option<PathBuf>,
    /// Ranking options.
    pub report: ReportOptions,
    /// Output format.
    pub format: Format,
    /// Worker threads; `None` is one per core.
    pub threads: Option<usize>,
    /// No progress bar or summary line.
    pub quiet: bool,
    /// The code table, with the user's rows applied.
    pub table: CodeTable,
    /// Scanner settings.
    pub scan: ScanSettings,
}

/// Everything `codes` needs.
pub struct CodesConfig {
    /// Codes to explain; empty lists all.
    pub codes: Vec<u32>,
    /// Output format.
    pub format: Format,
    /// The code table.
    pub table: CodeTable,
}

impl Config {
    /// Validates the command line. `stdin_is_terminal` decides whether a missing PATH means
    /// stdin or a usage error.
    pub fn from_cli(cli: Cli, stdin_is_terminal: bool) -> Result<Config, Error> {
        match cli.command {
            CommandArgs::Report(args) => {
                Ok(Config::Report(report_config(args, stdin_is_terminal)?))
            }
            CommandArgs::Codes(args) => Ok(Config::Codes(codes_config(args)?)),
        }
    }

    /// Validates the command line of this process.
    pub fn from_env(cli: Cli) -> Result<Config, Error> {
        Config::from_cli(cli, std::io::stdin().is_terminal())
    }
}

fn report_config(args: ReportArgs, stdin_is_terminal: bool) -> Result<ReportConfig, Error> {
    let inputs = if args.paths.is_empty() {
        if stdin_is_terminal {
            return Err(Error::Usage(
                "no PATH given and standard input is a terminal; name files or directories, \
                 or pipe logs in (use `-` for stdin)"
                    .to_string(),
            ));
        }
        vec![InputKind::Stdin]
    } else {
        args.paths
            .into_iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    InputKind::Stdin
                } else {
                    InputKind::Path(p)
                }
            })
            .collect()
    };
    if inputs.iter().filter(|i| **i == InputKind::Stdin).count() > 1 {
        return Err(Error::Usage(
            "standard input (`-`) can be read only once".to_string(),
        ));
    }
    let codes = args
        .codes
        .iter()
        .map(|s| CodeSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let services = args
        .services
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.as_bytes().to_vec())
        .collect();
    if args.threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".to_string()));
    }
    let max_line = parse_size(&args.max_line, "--max-line")?;
    let chunk_size = parse_size(&args.chunk_size, "--chunk-size")?;
    Ok(ReportConfig {
        inputs,
        follow_links: args.follow,
        spec: TallySpec {
            filter: Filter {
                services,
                codes,
                since_ns: None,
                until_ns: None,
            },
            keep_invalid: args.invalid_lines.is_some(),
        },
        invalid_lines: args.invalid_lines,
        report: ReportOptions {
            top: args.top,
            all: args.all,
        },
        format: format(args.format),
        threads: args.threads,
        quiet: args.quiet,
        table: load_table(args.code_table)?,
        scan: ScanSettings {
            max_line: usize::try_from(max_line).unwrap_or(usize::MAX),
            chunk_size,
            use_mmap: !args.no_mmap,
            ..ScanSettings::default()
        },
    })
}

fn codes_config(args: CodesArgs) -> Result<CodesConfig, Error> {
    let codes = args
        .codes
        .iter()
        .map(|c| {
            c.trim()
                .parse::<u32>()
                .map_err(|_| Error::Usage(format!("{c:?} is not a status code")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CodesConfig {
        codes,
        format: format(args.format),
        table: load_table(args.code_table)?,
    })
}

fn format(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Csv => Format::Csv,
        FormatArg::Markdown => Format::Markdown,
    }
}

fn load_table(extra: Option<PathBuf>) -> Result<CodeTable, Error> {
    let mut table = CodeTable::builtin().map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(path) = extra {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Usage(format!("cannot read code table {}: {e}", path.display())))?;
        table
            .extend_from(&text, &path.display().to_string())
            .map_err(|e| Error::Usage(format!("bad code table {e}")))?;
    }
    Ok(table)
}

/// Parses a size: a number of bytes with an optional K, M or G suffix (also KiB, MiB, GiB;
/// all binary), at least 1.
pub fn parse_size(text: &str, what: &str) -> Result<u64, Error> {
    let bad = || {
        Error::Usage(format!(
            "{what}: invalid size {text:?} (examples: 4096, 64KiB, 1MiB)"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    match n.checked_mul(scale) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096", "x").ok(), Some(4096));
        assert_eq!(parse_size("64KiB", "x").ok(), Some(65536));
        assert_eq!(parse_size("1M", "x").ok(), Some(1 << 20));
        assert_eq!(parse_size("2g", "x").ok(), Some(2 << 30));
        for bad in ["", "0", "1.5M", "12Q", "M", "-1"] {
            assert!(parse_size(bad, "x").is_err(), "{bad}");
        }
    }

    fn parse(args: &[&str], tty: bool) -> Result<Config, Error> {
        Config::from_cli(Cli::try_parse_from(args).expect("clap accepts"), tty)
    }

    #[test]
    fn stdin_rules() {
        assert!(matches!(
            parse(&["bsaudit", "report"], true),
            Err(Error::Usage(_))
        ));
        let Ok(Config::Report(c)) = parse(&["bsaudit", "report"], false) else {
            panic!("piped stdin is an input");
        };
        assert_eq!(c.inputs, vec![InputKind::Stdin]);
        assert!(matches!(
            parse(&["bsaudit", "report", "-", "-"], false),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn filters_are_validated() {
        let Ok(Config::Report(c)) = parse(
            &[
                "bsaudit",
                "report",
                "x",
                "--service",
                "blobnode,access",
                "--code",
                "6xx",
                "--code",
                "499",
            ],
            true,
        ) else {
            panic!("valid");
        };
        assert_eq!(c.spec.filter.services.len(), 2);
        assert_eq!(c.spec.filter.codes.len(), 2);
        assert!(matches!(
            parse(&["bsaudit", "report", "x", "--code", "6x5"], true),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            parse(&["bsaudit", "report", "x", "--threads", "0"], true),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            parse(&["bsaudit", "codes", "abc"], true),
            Err(Error::Usage(_))
        ));
    }
}
