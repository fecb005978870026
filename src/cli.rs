//! Command-line definitions (clap derive). Only `config` reads these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const REPORT_EXAMPLES: &str = "\
Examples:
  bsaudit report /var/log/blobstore/            rank error codes of every service
  bsaudit report --service blobnode --code 6xx  only BLOBNODE's special codes
  bsaudit report --all --top 0 --format json    every code, as JSON for scripts
  zcat 0-0.log.gz | bsaudit report -            read standard input

Exit status: 0 report printed, 1 report printed but some input was skipped or
only partly read, 2 usage error or nothing readable.";

const CODES_EXAMPLES: &str = "\
Examples:
  bsaudit codes                 the whole table
  bsaudit codes 613 499         explain two codes
  bsaudit codes --format csv    the table as CSV";

/// Reads CubeFS BlobStore audit logs and tells which services fail, with which codes, what
/// the codes mean and how slow the requests were.
#[derive(Debug, Parser)]
#[command(name = "bsaudit", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: CommandArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Scan audit logs and rank status codes per service, with their meanings.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Explain status codes from the embedded code table.
    #[command(after_help = CODES_EXAMPLES)]
    Codes(CodesArgs),
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned text for a terminal.
    Table,
    /// JSON (schema bsaudit.report/v1).
    Json,
    /// CSV with a header row.
    Csv,
    /// Markdown, for an incident ticket.
    Markdown,
}

/// Options of `bsaudit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files or directories (walked recursively); `-` reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Ranked groups to show (0 shows all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Rank every code, successes and benign codes included (default: errors only).
    #[arg(long)]
    pub all: bool,

    /// Keep only this service (case-insensitive; repeatable, or comma-separated).
    #[arg(long = "service", value_name = "NAME", value_delimiter = ',')]
    pub services: Vec<String>,

    /// Keep only these codes: 613, 6xx or 500-599 (repeatable, or comma-separated).
    #[arg(long = "code", value_name = "SPEC", value_delimiter = ',')]
    pub codes: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar and no summary line on stderr (warnings still appear).
    #[arg(long, short)]
    pub quiet: bool,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,

    /// Lines longer than this are skipped and counted as oversized (e.g. 4096, 64KiB, 1MiB).
    #[arg(long, value_name = "SIZE", default_value = "1MiB")]
    pub max_line: String,

    /// Write every malformed line (and incomplete tail) to FILE as `path:line: reason: text`.
    #[arg(long, value_name = "FILE")]
    pub invalid_lines: Option<PathBuf>,

    /// Follow symbolic links while walking directories (loops are reported and skipped).
    #[arg(long)]
    pub follow: bool,

    /// Memory-map closed files (the default); see --no-mmap.
    #[arg(long, overrides_with = "no_mmap")]
    pub mmap: bool,

    /// Read closed files with pread into buffers instead of mapping them.
    #[arg(long, overrides_with = "mmap")]
    pub no_mmap: bool,

    /// Size of the pieces big files are split into for parallel scanning.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", hide = true)]
    pub chunk_size: String,
}

/// Options of `bsaudit codes`.
#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Codes to explain; none lists the whole table.
    #[arg(value_name = "CODE")]
    pub codes: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,
}
