//! Command-line definitions (clap derive). Only `config` reads these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const REPORT_EXAMPLES: &str = "\
Examples:
  bsaudit report /var/log/blobstore/                   rank error codes of every service
  bsaudit report --service blobnode --code 6xx         only BLOBNODE's special codes
  bsaudit report --service blobnode --code 613 --by disk   which disks are broken
  bsaudit report --last 2h DIR                         the two hours before the newest record
  bsaudit report --last 15m --now DIR                  the last 15 minutes by the clock
  bsaudit report --since 10:40 --until 10:50 DIR       times of day, on the newest record's date
  bsaudit report --since 2025-11-24T10:40:00Z DIR      from a point in time (UTC)
  bsaudit report --fail-on 'error_rate>1%' DIR         exit 1 when the rule fires (cron, CI)
  bsaudit report --all --top 0 --format json           every code, as JSON for scripts
  zcat 0-0.log.gz | bsaudit report -                   read standard input

Exit status: 0 clean; 1 a --fail-on rule fired; 2 an error: a usage error, nothing
readable, the filters and window kept no record (stderr names the values that occur
nowhere), or some input skipped, partly read, shrunk, vanished, replaced or moved while
read (the report is still printed and its input section says which).";

const TIMELINE_EXAMPLES: &str = "\
Examples:
  bsaudit timeline /var/log/blobstore/                 requests and errors per minute per service
  bsaudit timeline --by service,code --service blobnode --bucket 5m DIR
  bsaudit timeline --last 1h --format csv DIR          the raw series

Exit status as for `report`: 2 also when the filters and window kept no record.";

const LINES_EXAMPLES: &str = "\
Examples:
  bsaudit lines --service blobnode --code 613 --limit 3 DIR    three raw records
  bsaudit lines --trace de694f5829b84056 DIR                   every hop of one trace
  bsaudit lines --min-duration 2s --format json DIR            slow requests, parsed

Raw lines go to a pipe or file byte for byte; on a terminal, control bytes are shown
escaped (\\x1b) so that a log line cannot drive the terminal.

Exit status as for `report`: 2 also when the filters and window kept no record.";

const TRACE_EXAMPLES: &str = "\
Examples:
  bsaudit trace df76e80ad7256c06 /var/log/blobstore/     every hop of one request, as a waterfall
  bsaudit trace ID1 ID2 DIR --format json                 two traces, for a script
  bsaudit trace df76e80ad7256c06 DIR --service blobnode   only its BLOBNODE records

The leading arguments are trace ids, up to the first one that names an existing file or
directory (or `-`); that one and the rest are the PATHs to read. Exit status: 0 every id
found; 2 an id matched no record, some input was not read in full (skipped, partly read,
shrunk, vanished, replaced or moved), a usage error or nothing readable.";

const HOPS_EXAMPLES: &str = "\
Examples:
  bsaudit hops /var/log/blobstore/                   where the time goes, per caller and callee
  bsaudit hops --by host DIR                         per downstream host: the slow node on top
  bsaudit hops --by host,disk DIR                    down to the disk (joins records by trace id)
  bsaudit hops --service access --last 15m DIR       ACCESS's calls in the last 15 minutes
  bsaudit hops --format json --top 0 DIR             every row, for a script";

const EXPORT_EXAMPLES: &str = "\
Examples:
  bsaudit export --format parquet -o node1.parquet /var/log/blobstore/
  bsaudit export --format ndjson -o - --service blobnode --last 1h DIR | gzip > b.ndjson.gz
  bsaudit codes --format parquet -o codes.parquet            the code table, for joins
  duckdb < sql/duckdb/report.sql    the report, in DuckDB (records.parquet, codes.parquet)

The file is written to a temporary name beside FILE and renamed when complete. Lines that
are not records are not rows: they are counted on stderr as in `report`. Exit status as
for `report`.";

const CODES_EXAMPLES: &str = "\
Examples:
  bsaudit codes                       the whole table
  bsaudit codes 613 499               explain two codes
  bsaudit codes 6xx --format table    BLOBNODE's codes, one line each
  bsaudit codes --format csv          the table as CSV

Every CODE that is in the table is printed; a CODE that is not a number or spec, or
that the table does not hold, is named on stderr (with the service that owns its
range, if any) and the exit status is 2. Exit status 0: every CODE was found.";

/// How `--since`, `--until` and `--last` read times; shown under every scanning command.
const TIMES_HELP: &str = "\
Times (--since, --until, --last):
  2025-11-24T10:42:00Z   a point in time; without a zone it is UTC (or local with --local)
  2025-11-24             that date's midnight
  10:50, 10:50:30        that time of day on the date of the newest record in the input
  90m, 2h, 1h30m         that long before the newest record (--last D = --since D)
  now-15m, now           that long before the wall clock
The window is [since, until). Plain durations and times of day count from the newest
record because logs are often read after the fact; with --now they count from the
clock instead (today's date, the current time), and --now=T pretends the clock says T.";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  bsaudit completions bash > /etc/bash_completion.d/bsaudit
  bsaudit completions zsh > \"${fpath[1]}/_bsaudit\"
  bsaudit completions fish > ~/.config/fish/completions/bsaudit.fish";

/// Reads CubeFS BlobStore audit logs and tells which services are failing, with which codes,
/// what the codes mean, since when and how slow.
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
    #[command(after_help = with_times_help(REPORT_EXAMPLES))]
    Report(ReportArgs),
    /// Requests and errors per time bucket, as a chart or raw series.
    #[command(after_help = with_times_help(TIMELINE_EXAMPLES))]
    Timeline(TimelineArgs),
    /// Print the raw records that match, in input order.
    #[command(after_help = with_times_help(LINES_EXAMPLES))]
    Lines(LinesArgs),
    /// Every record of one request across all services, in start-time order, as a waterfall.
    #[command(
        after_help = TRACE_EXAMPLES,
        override_usage = "bsaudit trace [OPTIONS] <ID>... [PATH]..."
    )]
    Trace(TraceArgs),
    /// Per caller and downstream module: calls, failures, latency, from the Trace-Log headers.
    #[command(after_help = HOPS_EXAMPLES)]
    Hops(HopsArgs),
    /// Explain status codes from the embedded code table.
    #[command(after_help = CODES_EXAMPLES)]
    Codes(CodesArgs),
    /// Export one typed row per record to Parquet or NDJSON, for DuckDB, ClickHouse, Spark.
    #[command(after_help = with_times_help(EXPORT_EXAMPLES))]
    Export(ExportArgs),
    /// Print a shell completion script to standard output.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print a manual page (roff) to standard output: `bsaudit man | man -l -`.
    Man(ManArgs),
    /// Scan audit logs into a summary file that report, timeline and merge read later.
    #[command(after_help = SUMMARIZE_EXAMPLES)]
    Summarize(SummarizeArgs),
    /// Merge summary files into one (rack -> cluster).
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// What changed between a baseline and the incident window, ranked by evidence.
    #[command(after_help = with_times_help(DIFF_EXAMPLES))]
    Diff(DiffArgs),
    /// A live view of audit-log trees as they grow: requests, errors, codes, latency.
    #[command(after_help = TOP_EXAMPLES)]
    Top(TopArgs),
}

const TOP_EXAMPLES: &str = "\
Examples:
  bsaudit top /var/log/blobstore                 follow every audit tree under it
  bsaudit top --last 15m DIR                     seed the view with the last 15 minutes
  bsaudit top --format json DIR | jq .window     one bsaudit.top/v1 object per interval
  bsaudit top --from-start --once DIR            everything so far, one frame, then exit

Keys: q (or Esc, Ctrl-C) quits; g switches the grouping (service,code -> service,api,code
-> service,host,code); a shows every code or only errors.
New chunk files are read from their start, renamed files are found again by inode,
truncated ones are read again; compressed files are read only with --from-start or --last.";

/// How `top` shows its frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TopFormatArg {
    /// The full-screen view on a terminal, JSON otherwise.
    Auto,
    /// The full-screen view (needs a terminal).
    Tui,
    /// One bsaudit.top/v1 JSON object per line and interval (NDJSON).
    Json,
}

/// Options of `bsaudit top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// How often to look for new lines and refresh (e.g. 500ms, 2s).
    #[arg(long, value_name = "D", default_value = "2s")]
    pub interval: String,

    /// Length of the sliding window the rates, rows and latency cover.
    #[arg(long, value_name = "D", default_value = "5m")]
    pub window: String,

    /// Rows of (service, code) groups shown (0: all).
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub top: usize,

    /// Read the files from their start (and compressed ones once) instead of from their end.
    #[arg(long)]
    pub from_start: bool,

    /// The grouping of the rows at the start: service,code, service,api,code or
    /// service,host,code (the g key switches it).
    #[arg(long, value_name = "DIMS", default_value = "service,code")]
    pub by: String,

    /// Rows for every code, not only client and server errors (the a key switches it).
    #[arg(long)]
    pub all: bool,

    /// Output: the full-screen view or NDJSON frames.
    #[arg(long, value_enum, default_value_t = TopFormatArg::Auto)]
    pub format: TopFormatArg,

    /// Stop after N frames.
    #[arg(long, short = 'n', value_name = "N")]
    pub iterations: Option<u64>,

    /// One frame, then exit (the same as -n 1).
    #[arg(long, conflicts_with = "iterations")]
    pub once: bool,

    /// Look at the files every interval instead of waiting for inotify events.
    #[arg(long)]
    pub poll: bool,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,
}

const DIFF_EXAMPLES: &str = "\
Examples:
  bsaudit diff --since 10:40 --baseline prev DIR       the 20 minutes before vs the rest
  bsaudit diff --since 10:40 --baseline-since 09:40 --baseline-until 10:40 DIR
  bsaudit diff --last 1h --baseline 1d DIR             the same hour one day earlier
  bsaudit diff --baseline yesterday.bsum today.bsum    another input as the baseline
  bsaudit diff --fail-on rose:server --since 10:40 --baseline prev DIR

Verdicts: new, rose, fell, gone, steady (see the README for the test and guardrails).
Exit status: 0 diff printed; 1 a --fail-on rule fired or some input was only partly
read; 2 usage error or no records in a window.";

/// Options of `bsaudit diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// The baseline: `prev` (the window of the same length just before the incident window),
    /// a duration such as `1d` (the incident window shifted back by it), or paths (trees,
    /// files, summaries; repeatable) read with the incident's window unless
    /// --baseline-since/--baseline-until are given.
    #[arg(long, value_name = "prev|D|PATH")]
    pub baseline: Vec<String>,

    /// Start of the baseline window (same forms as --since).
    #[arg(long, value_name = "T")]
    pub baseline_since: Option<String>,

    /// End of the baseline window (same forms as --until).
    #[arg(long, value_name = "T")]
    pub baseline_until: Option<String>,

    /// Also compare these groups (comma-separated dims, e.g. service,disk,code).
    #[arg(long, value_name = "DIMS", default_value = "service,code")]
    pub by: String,

    /// Keep every code in the --by groups (the (service, code) rows always have every code).
    #[arg(long)]
    pub all: bool,

    /// Largest BH q-value that counts as significant.
    #[arg(long, value_name = "Q", default_value_t = 0.001)]
    pub alpha: f64,

    /// Least records on the side that grew for a verdict other than steady.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_count: u64,

    /// Least rate ratio for rose/new (its inverse for fell/gone).
    #[arg(long, value_name = "R", default_value_t = 2.0)]
    pub min_ratio: f64,

    /// Added to both counts for the judged ratio when one of them is 0.
    #[arg(long, value_name = "C", default_value_t = 0.5)]
    pub zero_correction: f64,

    /// Least p50 or p99 ratio for a latency change.
    #[arg(long, value_name = "R", default_value_t = 1.5)]
    pub latency_min_ratio: f64,

    /// Least durations on each side for a latency change.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub latency_min_count: u64,

    /// (service, code) groups given a latency row, busiest first (every service has one).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub latency_groups: usize,

    /// Steady rows shown in the table and Markdown after the changed ones (0: all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Most --by groups kept exactly; the rest are folded into "other".
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_groups: usize,

    /// Exit 1 when a row has this verdict: VERDICT:CLASS with VERDICT rose (or new), new,
    /// fell (or gone), gone and CLASS server, client, error, any; e.g. rose:server
    /// (repeatable).
    #[arg(long = "fail-on", value_name = "RULE")]
    pub fail_on: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,

    /// Write the output to FILE, replaced atomically (a temporary file beside it, synced,
    /// then renamed); `-` is standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

const SUMMARIZE_EXAMPLES: &str = "\
Examples:
  bsaudit summarize /var/log/blobstore -o $(hostname).bsum     one node's summary
  bsaudit summarize --by service,disk,code DIR -o node.bsum    keep per-disk groups too
  bsaudit report node-*.bsum                                   one report for every node
  bsaudit summarize DIR -o - | ssh central 'cat > n1.bsum'     write to stdout

A summary records what it can answer: its --by, --all, --bucket and record filters.
Reports over summaries may narrow --service and --code; anything else needs a new summary.";

const MERGE_EXAMPLES: &str = "\
Examples:
  bsaudit merge rack1/*.bsum -o rack1.bsum
  bsaudit merge rack*.bsum -o cluster.bsum && bsaudit report cluster.bsum";

/// Options of `bsaudit summarize`.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Keep every code in the --by groups, successes and benign codes included.
    #[arg(long)]
    pub all: bool,

    /// Group by these as well as by (service, code): service, code, method, api, host, disk,
    /// vuid, bucket, cubefs_api.
    #[arg(long, value_name = "DIMS", default_value = "service,code")]
    pub by: String,

    /// Size of the per-group time buckets (e.g. 1m, 10m): the finest timeline and sparkline
    /// the summary can answer.
    #[arg(long, value_name = "D", default_value = "1m")]
    pub bucket: String,

    /// Most --by groups kept exactly; the rest are folded into "other" (and said so).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_groups: usize,

    /// Where to write the summary (`-` for standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// Incremental runs: `--state FILE` and `--reset`.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// Read only what is new since the last run with this state file (per file: identity,
    /// offset read, summary so far), and update it. Renamed files are found by inode;
    /// truncated or replaced ones are read again; deleted ones keep their counts.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Forget what the --state file holds and read everything again.
    #[arg(long)]
    pub reset: bool,
}

/// Options of `bsaudit merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Summary files to merge.
    #[arg(value_name = "SUMMARY", required = true)]
    pub paths: Vec<PathBuf>,

    /// Where to write the merged summary (`-` for standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// No summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `bsaudit man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page of this subcommand (bsaudit-report(1), ...); none prints bsaudit(1).
    #[arg(value_parser = ["report", "timeline", "lines", "codes", "export", "summarize", "merge", "diff", "completions", "man"])]
    pub command: Option<String>,
}

/// The examples of a scanning command followed by the rules for times.
fn with_times_help(examples: &'static str) -> String {
    format!("{examples}\n\n{TIMES_HELP}")
}

/// Options of `bsaudit completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Output formats of `trace` and `hops`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ViewFormatArg {
    /// Aligned text for a terminal.
    Table,
    /// JSON (schemas bsaudit.trace/v1, bsaudit.hops/v1).
    Json,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned text for a terminal.
    Table,
    /// JSON with a versioned schema (bsaudit.report/v1, bsaudit.timeline/v1).
    Json,
    /// CSV with a header row.
    Csv,
    /// Markdown, for an incident ticket.
    Markdown,
    /// One self-contained HTML page with SVG charts (report and timeline).
    Html,
    /// Prometheus text exposition format 0.0.4 for node_exporter's textfile collector
    /// (report only).
    Prometheus,
}

/// Output formats of `codes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CodesFormatArg {
    /// Each code explained in full: message, class, meaning, what to check.
    Detail,
    /// One aligned line per code.
    Table,
    /// JSON (schema bsaudit.codes/v1).
    Json,
    /// CSV with a header row.
    Csv,
    /// Markdown table.
    Markdown,
    /// Apache Parquet (needs -o FILE).
    Parquet,
    /// One JSON object per line.
    Ndjson,
}

/// Output formats of `lines`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LinesFormatArg {
    /// The lines as they are in the logs.
    Raw,
    /// One parsed JSON object per line.
    Json,
}

/// Where to read and how.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or directories (walked recursively); `-` reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar and no summary line on stderr (warnings still appear).
    #[arg(long, short)]
    pub quiet: bool,

    /// Lines longer than this are skipped and counted as oversized (e.g. 4096, 64KiB, 1MiB).
    #[arg(long, value_name = "SIZE", default_value = "1MiB")]
    pub max_line: String,

    /// Follow symbolic links while walking directories (loops are reported and skipped).
    #[arg(long = "follow-links", short = 'L')]
    pub follow_links: bool,

    /// The old name of --follow-links, kept for one release (prints a note).
    #[arg(long, hide = true)]
    pub follow: bool,

    /// Memory-map closed files (the default); see --no-mmap.
    #[arg(long, overrides_with = "no_mmap")]
    pub mmap: bool,

    /// Read closed files with pread into buffers instead of mapping them.
    #[arg(long, overrides_with = "mmap")]
    pub no_mmap: bool,

    /// Label for the logs read here, stored with every sample and problem so that reports
    /// over several nodes' summaries say where (default: the host name).
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,

    /// Most --by groups a worker holds in memory before writing them to a temporary file
    /// (0: 256 Ki shared among the threads). For tests of the spill path.
    #[arg(long, value_name = "N", default_value_t = 0, hide = true)]
    pub spill_groups: usize,

    /// Size of the pieces big files are split into for parallel scanning.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", hide = true)]
    pub chunk_size: String,
}

/// Which records to keep.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Keep only this service (case-insensitive; repeatable, or comma-separated).
    #[arg(long = "service", value_name = "NAME", value_delimiter = ',')]
    pub services: Vec<String>,

    /// Keep only these codes: 613, 6xx or 500-599 (repeatable, or comma-separated).
    #[arg(long = "code", value_name = "SPEC", value_delimiter = ',')]
    pub codes: Vec<String>,

    /// Keep records starting at or after T: RFC 3339 (2025-11-24T10:42:00Z; no zone = UTC
    /// unless --local), a date (2025-11-24), a time of day on the newest record's date
    /// (10:50), a duration before the newest record (90m), or before the clock (now-15m).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Keep records starting before T (same forms as --since; the window is [since, until)).
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// Keep the last D before the newest record (same as --since D), e.g. 2h; with --now,
    /// the last D before the clock.
    #[arg(long, value_name = "D", conflicts_with = "since")]
    pub last: Option<String>,

    /// Count durations and times of day from the wall clock instead of the newest record
    /// (for live logs); --now=T pretends the clock says T (RFC 3339 or a date).
    #[arg(
        long,
        value_name = "T",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "now"
    )]
    pub now: Option<String>,

    /// Read times without a zone in the system's time zone instead of UTC.
    #[arg(long)]
    pub local: bool,

    /// Keep only this API (path template such as shard.get; repeatable).
    #[arg(long = "api", value_name = "API")]
    pub apis: Vec<String>,

    /// Keep only requests served by this host:port (repeatable).
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Keep only this trace id (repeatable).
    #[arg(long = "trace", value_name = "ID")]
    pub traces: Vec<String>,

    /// Keep only requests that took at least D (e.g. 500ms, 2s).
    #[arg(long, value_name = "D")]
    pub min_duration: Option<String>,
}

/// Options of `bsaudit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Ranked groups to show (0 shows all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Rank every code, successes and benign codes included (default: errors only).
    #[arg(long)]
    pub all: bool,

    /// Group by these (comma-separated): service, code, method, api, host, disk, vuid, bucket,
    /// cubefs_api.
    #[arg(long, value_name = "DIMS", default_value = "service,code")]
    pub by: String,

    /// Bucket size for --by bucket and the sparklines (e.g. 1m, 10m, 1h).
    #[arg(long, value_name = "D")]
    pub bucket: Option<String>,

    /// Most groups kept exactly; the rest are folded into "other" (and said so).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_groups: usize,

    /// Exit 1 when a rule holds, e.g. 'error_rate>1%', 'BLOBNODE:613>0', 'ACCESS:5xx>0.5%',
    /// 'PROXY:p99>2s' (repeatable; see the README for the grammar).
    #[arg(long = "fail-on", value_name = "RULE")]
    pub fail_on: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,

    /// Write every malformed line (and incomplete tail) to FILE as `path:line: reason: text`.
    #[arg(long, value_name = "FILE")]
    pub invalid_lines: Option<PathBuf>,

    /// With --format prometheus: most (service, api, method, code) label sets written; the
    /// records of the rest are counted per (service, code) under api="other",method="other".
    #[arg(long, value_name = "N")]
    pub max_series: Option<usize>,

    /// Write the output to FILE, replaced atomically (a temporary file beside it, synced,
    /// then renamed); `-` is standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub look: LookArgs,
}

/// How the terminal report looks: width, brevity, colour.
#[derive(Debug, Args)]
pub struct LookArgs {
    /// Keep every column and the codes' descriptions, however narrow the terminal (by
    /// default a terminal narrower than the table drops trend, onset, first seen, p50, max,
    /// class, share and last seen, in that order, and shortens messages with `…`).
    #[arg(long)]
    pub wide: bool,

    /// Leave the codes' descriptions out of "What they mean" (messages and what to check
    /// stay); the default on terminals narrower than 100 columns.
    #[arg(long)]
    pub brief: bool,

    /// Colour rows by class (red server errors, yellow client errors, dim benign codes):
    /// auto colours a terminal unless NO_COLOR is set or TERM=dumb.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Lay out for N columns as if on a terminal that wide (default: the terminal's width,
    /// COLUMNS overriding it; output that is not a terminal is not fitted).
    #[arg(long, value_name = "N", hide = true)]
    pub width: Option<usize>,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour when writing to a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Options of `bsaudit timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Bucket size (e.g. 30s, 1m, 10m, 1h).
    #[arg(long, value_name = "D", default_value = "1m")]
    pub bucket: String,

    /// One series per service, or per (service, code) group: `service` or `service,code`.
    #[arg(long, value_name = "DIMS", default_value = "service")]
    pub by: String,

    /// Series to chart (the busiest in errors, then requests; 0 shows all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,

    /// Write the output to FILE, replaced atomically (a temporary file beside it, synced,
    /// then renamed); `-` is standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `bsaudit lines`.
#[derive(Debug, Args)]
pub struct LinesArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Stop after N records.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// `raw` lines as in the logs, or `json`, one parsed object per line.
    #[arg(long, value_enum, default_value_t = LinesFormatArg::Raw)]
    pub format: LinesFormatArg,
}

/// Options of `bsaudit trace`. The trace ids come first among the positional arguments (in
/// `input.paths`, split by `config`).
#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormatArg::Table)]
    pub format: ViewFormatArg,
}

/// Options of `bsaudit hops`.
#[derive(Debug, Args)]
pub struct HopsArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Also group by the downstream's host and/or disk: `host`, `disk`, `host,disk` (disk joins
    /// each hop to the downstream's own record by trace id: a second pass over the input).
    #[arg(long, value_name = "DIMS", default_value = "")]
    pub by: String,

    /// Ranked rows to show (0 shows all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ViewFormatArg::Table)]
    pub format: ViewFormatArg,
}

/// Formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// Apache Parquet, zstd-compressed, typed columns.
    Parquet,
    /// One JSON object per line.
    Ndjson,
}

/// Options of `bsaudit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormatArg,

    /// Where to write: a file (`-` is standard output, NDJSON only), or an existing directory
    /// for one file per input file (named after its path) that engines can read in parallel.
    #[arg(long, short = 'o', value_name = "FILE|DIR")]
    pub output: PathBuf,

    /// Also write the raw request and response headers (req_header, resp_header).
    #[arg(long)]
    pub with_headers: bool,

    /// Extra or overriding code-table rows, for the class column.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,
}

/// Options of `bsaudit codes`.
#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Codes to explain (613), or specs (6xx, 610-619); none lists the whole table.
    #[arg(value_name = "CODE")]
    pub codes: Vec<String>,

    /// Output format [default: detail when CODEs are given, table for the whole table].
    #[arg(long, value_enum)]
    pub format: Option<CodesFormatArg>,

    /// Write to FILE (temporary name, then renamed) instead of standard output; needed for
    /// parquet.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Extra or overriding code-table rows, in the embedded table's TSV format.
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,
}
