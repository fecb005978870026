//! The validated configuration of one run, built once from the command line.
//!
//! Everything that can be wrong with the arguments is found here (bad code specs, sizes,
//! times, dimensions, rules, an unreadable code table, stdin on a terminal), so the work that
//! follows never sees clap and never fails on an argument.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{
    Cli, CodesArgs, CodesFormatArg, ColorArg, CommandArgs, DiffArgs, ExportArgs, ExportFormatArg,
    FilterArgs, FormatArg, HopsArgs, InputArgs, LinesArgs, LinesFormatArg, LookArgs, ReportArgs,
    SummarizeArgs, TimelineArgs, TraceArgs, ViewFormatArg,
};
use crate::codes::CodeTable;
use crate::dims::{Dim, Dims};
use crate::engine::ScanSettings;
use crate::error::Error;
use crate::export::ExportFormat;
use crate::fail_on::Rule;
use crate::filter::{CodeSpec, Filter};
use crate::input::discover::InputKind;
use crate::output::Output;
use crate::render::Format;
use crate::render::codes::CodesFormat;
use crate::render::layout::{ColorWhen, Layout};
use crate::report::ReportOptions;
use crate::time::{Bound, Clock, parse_bound, parse_duration, parse_instant, wall_clock_ns};

/// A validated command.
pub enum Config {
    /// `bsaudit report`.
    Report(ReportConfig),
    /// `bsaudit timeline`.
    Timeline(TimelineConfig),
    /// `bsaudit lines`.
    Lines(LinesConfig),
    /// `bsaudit trace`.
    Trace(TraceConfig),
    /// `bsaudit hops`.
    Hops(HopsConfig),
    /// `bsaudit codes`.
    Codes(CodesConfig),
    /// `bsaudit export`.
    Export(ExportConfig),
    /// `bsaudit completions SHELL`.
    Completions(clap_complete::Shell),
    /// `bsaudit man [COMMAND]`: the page of a subcommand, or the top-level one.
    Man(Option<String>),
    /// `bsaudit summarize`.
    Summarize(SummarizeConfig),
    /// `bsaudit merge`.
    Merge(MergeConfig),
    /// `bsaudit diff`.
    Diff(DiffConfig),
    /// `bsaudit top`.
    Top(TopConfig),
}

/// How `top` shows its frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopFormat {
    /// The full-screen terminal view.
    Tui,
    /// One JSON object per line and interval.
    Json,
}

/// Everything `top` needs.
pub struct TopConfig {
    /// Inputs (paths only), filters, scanner settings.
    pub common: Common,
    /// Refresh period (ns).
    pub interval_ns: i64,
    /// Sliding window (ns).
    pub window_ns: i64,
    /// What the rows show at the start.
    pub view: crate::top::View,
    /// Read the files from their start.
    pub from_start: bool,
    /// Full screen or NDJSON.
    pub format: TopFormat,
    /// Stop after this many frames.
    pub iterations: Option<u64>,
    /// Never wait for inotify events.
    pub poll: bool,
    /// The code table.
    pub table: CodeTable,
}

/// Where the baseline window of `diff` lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaselineWindow {
    /// The incident's own `--since`/`--until` (for `--baseline PATH` alone).
    Same,
    /// The window of the same length just before the incident window.
    Prev,
    /// The incident window shifted back by this many ns.
    Shift(i64),
    /// `--baseline-since`/`--baseline-until`.
    Bounds(Option<Bound>, Option<Bound>),
}

/// Everything `diff` needs.
pub struct DiffConfig {
    /// Inputs, filters and the incident window.
    pub common: Common,
    /// Other inputs for the baseline (`--baseline PATH`); `None`: the same inputs.
    pub baseline_inputs: Option<Vec<InputKind>>,
    /// The baseline window.
    pub baseline_window: BaselineWindow,
    /// The `--by` dimensions (the (service, code) rows are always there).
    pub dims: Dims,
    /// `--all` for the `--by` groups.
    pub all: bool,
    /// Most groups kept exactly.
    pub max_groups: usize,
    /// The guardrails.
    pub thresholds: crate::stats::Thresholds,
    /// (service, code) groups with a latency row.
    pub latency_groups: usize,
    /// Steady rows shown by the table.
    pub top: usize,
    /// `--fail-on` rules.
    pub fail_on: Vec<crate::diff::DiffRule>,
    /// Output format.
    pub format: Format,
    /// The code table.
    pub table: CodeTable,
    /// Where to write (`-o`).
    pub output: Output,
}

/// What a scan groups by and keeps: the questions its summary can answer.
#[derive(Clone, Debug)]
pub struct Grouping {
    /// The `--by` dimensions.
    pub dims: Dims,
    /// `--all`: every code, not only errors, in the `--by` groups.
    pub all: bool,
    /// Per-group bucket size (ns).
    pub bucket_ns: i64,
    /// `--max-groups`.
    pub max_groups: usize,
}

/// Everything `summarize` needs.
pub struct SummarizeConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// What to keep.
    pub grouping: Grouping,
    /// Where to write (`-` = stdout).
    pub output: PathBuf,
    /// The code table (for classes).
    pub table: CodeTable,
}

/// Everything `merge` needs.
pub struct MergeConfig {
    /// Summary files.
    pub inputs: Vec<PathBuf>,
    /// Where to write (`-` = stdout).
    pub output: PathBuf,
    /// No summary line.
    pub quiet: bool,
}

/// Everything `trace` needs.
pub struct TraceConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// The trace ids, in the order given.
    pub ids: Vec<Vec<u8>>,
    /// JSON instead of waterfalls.
    pub json: bool,
    /// The code table, for meanings.
    pub table: CodeTable,
}

/// Everything `hops` needs.
pub struct HopsConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// Host and disk grouping.
    pub by: crate::hops::HopBy,
    /// Rows to show; 0 is all.
    pub top: usize,
    /// JSON instead of tables.
    pub json: bool,
}

/// What every scanning command shares: inputs, filters, window, scanner settings.
pub struct Common {
    /// Inputs in command-line order.
    pub inputs: Vec<InputKind>,
    /// Follow symlinks while walking.
    pub follow_links: bool,
    /// Worker threads; `None` is one per core.
    pub threads: Option<usize>,
    /// No progress bar or summary line.
    pub quiet: bool,
    /// Scanner settings.
    pub scan: ScanSettings,
    /// Record filters (the time window is filled in once the input is known).
    pub filter: Filter,
    /// `--since`, as given.
    pub since: Option<Bound>,
    /// `--until`, as given.
    pub until: Option<Bound>,
    /// The node label of the logs read here.
    pub node: String,
    /// `--spill-groups` (hidden): 0 is the default share.
    pub spill_groups: usize,
    /// What relative bounds count from, and the zone of times without one.
    pub clock: Clock,
    /// Notes for stderr about the command line itself (an old option name).
    pub notes: Vec<String>,
    /// The command line as a shell would take it back (`bsaudit` and the arguments), for
    /// output that records how it was made (HTML); empty unless set by [`Config::from_env`].
    pub command_line: String,
    /// `--state`: read only what is new since the last run (summarize and report).
    pub state: Option<StateOpts>,
}

/// `--state FILE [--reset]`.
#[derive(Clone, Debug)]
pub struct StateOpts {
    /// The state file.
    pub path: PathBuf,
    /// Ignore what it holds and start over.
    pub reset: bool,
}

fn state_opts(args: crate::cli::StateArgs) -> Result<Option<StateOpts>, Error> {
    match (args.state, args.reset) {
        (Some(path), reset) => Ok(Some(StateOpts { path, reset })),
        (None, true) => Err(usage("--reset needs --state FILE".to_string())),
        (None, false) => Ok(None),
    }
}

impl Common {
    /// Whether the window depends on the newest record of the input.
    pub fn window_is_relative(&self) -> bool {
        let needs = |b: Option<Bound>| b.is_some_and(|b| b.needs_newest(&self.clock));
        needs(self.since) || needs(self.until)
    }

    /// The window `[since, until)` in ns, given the newest record of the input (needed only
    /// when [`Common::window_is_relative`]); an error when it is empty.
    pub fn window(&self, newest_ns: Option<i64>) -> Result<(Option<i64>, Option<i64>), String> {
        let reference = self.clock.reference(newest_ns);
        let since = self.since.map(|b| b.resolve(reference, &self.clock));
        let until = self.until.map(|b| b.resolve(reference, &self.clock));
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(format!(
                "--since ({}) must be before --until ({})",
                crate::time::rfc3339(s),
                crate::time::rfc3339(u)
            ));
        }
        Ok((since, until))
    }
}

/// Everything `report` needs.
pub struct ReportConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// Ranking options.
    pub report: ReportOptions,
    /// Grouping.
    pub dims: Dims,
    /// Bucket size (ns) for `--by bucket` and sparklines.
    pub bucket_ns: Option<i64>,
    /// Most groups kept exactly.
    pub max_groups: usize,
    /// `--fail-on` rules.
    pub fail_on: Vec<Rule>,
    /// Output format.
    pub format: Format,
    /// The code table, with the user's rows applied.
    pub table: CodeTable,
    /// Where to write invalid lines.
    pub invalid_lines: Option<PathBuf>,
    /// Width, brevity and colour of the terminal table.
    pub layout: Layout,
    /// `--format prometheus`: write the metrics view with this `--max-series` instead of a
    /// report in `format`.
    pub max_series: Option<usize>,
    /// Where to write (`-o`).
    pub output: Output,
}

/// What a timeline's series are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// One per service.
    Service,
    /// One per (service, code).
    Group,
}

/// Everything `timeline` needs.
pub struct TimelineConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// Bucket size (ns).
    pub bucket_ns: i64,
    /// Series kind.
    pub series: Series,
    /// Series to chart; 0 is all.
    pub top: usize,
    /// Output format.
    pub format: Format,
    /// The code table (for classes).
    pub table: CodeTable,
    /// Where to write (`-o`).
    pub output: Output,
}

/// Everything `lines` needs.
pub struct LinesConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// Stop after this many records.
    pub limit: Option<u64>,
    /// Print parsed JSON objects instead of raw lines.
    pub json: bool,
}

/// Everything `codes` needs.
pub struct CodesConfig {
    /// Codes and specs to explain, as given (checked when run, so that a bad one does not
    /// hide the others); empty lists all.
    pub codes: Vec<String>,
    /// Output format.
    pub format: CodesFormat,
    /// Rows instead of a document: Parquet or NDJSON (then `format` is unused).
    pub export: Option<ExportFormat>,
    /// Where to write (`None` or `-`: standard output).
    pub output: Option<PathBuf>,
    /// The code table.
    pub table: CodeTable,
}

/// Everything `export` needs.
pub struct ExportConfig {
    /// Inputs, filters, window.
    pub common: Common,
    /// Parquet or NDJSON.
    pub format: ExportFormat,
    /// The file to write, or `-` (NDJSON only).
    pub output: PathBuf,
    /// Also the raw headers.
    pub with_headers: bool,
    /// The code table, for the class column.
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
            CommandArgs::Timeline(args) => {
                Ok(Config::Timeline(timeline_config(args, stdin_is_terminal)?))
            }
            CommandArgs::Lines(args) => Ok(Config::Lines(lines_config(args, stdin_is_terminal)?)),
            CommandArgs::Trace(args) => Ok(Config::Trace(trace_config(args, stdin_is_terminal)?)),
            CommandArgs::Hops(args) => Ok(Config::Hops(hops_config(args, stdin_is_terminal)?)),
            CommandArgs::Codes(args) => Ok(Config::Codes(codes_config(args)?)),
            CommandArgs::Export(args) => {
                Ok(Config::Export(export_config(args, stdin_is_terminal)?))
            }
            CommandArgs::Summarize(args) => Ok(Config::Summarize(summarize_config(
                args,
                stdin_is_terminal,
            )?)),
            CommandArgs::Merge(args) => Ok(Config::Merge(MergeConfig {
                inputs: args.paths,
                output: args.output,
                quiet: args.quiet,
            })),
            CommandArgs::Diff(args) => Ok(Config::Diff(diff_config(args, stdin_is_terminal)?)),
            CommandArgs::Top(args) => Ok(Config::Top(top_config(
                args,
                std::io::stdout().is_terminal(),
            )?)),
            CommandArgs::Completions(args) => Ok(Config::Completions(args.shell)),
            CommandArgs::Man(args) => Ok(Config::Man(args.command)),
        }
    }

    /// Validates the command line of this process.
    pub fn from_env(cli: Cli) -> Result<Config, Error> {
        let mut config = Config::from_cli(cli, std::io::stdin().is_terminal())?;
        let args = std::iter::once("bsaudit".to_string()).chain(
            std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        );
        let line = crate::render::html::command_line(args);
        match &mut config {
            Config::Report(c) => c.common.command_line = line,
            Config::Timeline(c) => c.common.command_line = line,
            _ => {}
        }
        Ok(config)
    }
}

fn usage(message: String) -> Error {
    Error::Usage(message)
}

fn common(input: InputArgs, filter: FilterArgs, stdin_is_terminal: bool) -> Result<Common, Error> {
    let inputs = if input.paths.is_empty() {
        if stdin_is_terminal {
            return Err(usage(
                "no PATH given and standard input is a terminal; name files or directories, \
                 or pipe logs in (use `-` for stdin)"
                    .to_string(),
            ));
        }
        vec![InputKind::Stdin]
    } else {
        input
            .paths
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
    let stdin_count = inputs.iter().filter(|i| **i == InputKind::Stdin).count();
    if stdin_count > 1 {
        return Err(usage(
            "standard input (`-`) can be read only once".to_string(),
        ));
    }
    if input.threads == Some(0) {
        return Err(usage("--threads must be at least 1".to_string()));
    }
    let node = match input.node {
        Some(n) if n.trim().is_empty() => return Err(usage("--node needs a name".to_string())),
        Some(n) => n,
        None => host_name(),
    };
    let max_line = parse_size(&input.max_line, "--max-line")?;
    let chunk_size = parse_size(&input.chunk_size, "--chunk-size")?;

    let codes = filter
        .codes
        .iter()
        .map(|s| CodeSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let bytes = |list: &[String]| -> Vec<Vec<u8>> {
        list.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec())
            .collect()
    };
    let bound = |text: &Option<String>, what: &str| -> Result<Option<Bound>, Error> {
        text.as_deref()
            .map(|t| parse_bound(t, filter.local).map_err(|e| usage(format!("{what}: {e}"))))
            .transpose()
    };
    let since = match &filter.last {
        Some(d) => Some(Bound::BeforeReference(
            parse_duration(d).map_err(|e| usage(format!("--last: {e}")))?,
        )),
        None => bound(&filter.since, "--since")?,
    };
    let until = bound(&filter.until, "--until")?;
    let clock = clock(filter.now.as_deref(), filter.local)?;
    let min_duration_us = filter
        .min_duration
        .as_deref()
        .map(|d| {
            parse_duration(d)
                .map(|ns| (ns / 1000) as u64)
                .map_err(|e| usage(format!("--min-duration: {e}")))
        })
        .transpose()?;
    let common = Common {
        inputs,
        follow_links: input.follow_links || input.follow,
        threads: input.threads,
        quiet: input.quiet,
        scan: ScanSettings {
            max_line: usize::try_from(max_line).unwrap_or(usize::MAX),
            chunk_size,
            use_mmap: !input.no_mmap,
            ..ScanSettings::default()
        },
        filter: Filter {
            services: bytes(&filter.services),
            codes,
            since_ns: None,
            until_ns: None,
            apis: bytes(&filter.apis),
            hosts: bytes(&filter.hosts),
            traces: bytes(&filter.traces),
            min_duration_us,
        },
        since,
        until,
        node,
        spill_groups: input.spill_groups,
        clock,
        notes: if input.follow {
            vec![
                "bsaudit: note: --follow is now -L/--follow-links; the old name goes away in \
                 the next release"
                    .to_string(),
            ]
        } else {
            Vec::new()
        },
        command_line: String::new(),
        state: None,
    };
    if !common.window_is_relative() {
        // Nothing waits for the input: an empty window is a usage error now.
        common.window(None).map_err(usage)?;
    }
    if stdin_count > 0 && common.window_is_relative() {
        return Err(usage(
            "a window relative to the newest record (--last, a duration or a time of day in \
             --since/--until) needs files: standard input cannot be read twice; give an \
             absolute time, or --now to count from the clock"
                .to_string(),
        ));
    }
    Ok(common)
}

fn report_config(args: ReportArgs, stdin_is_terminal: bool) -> Result<ReportConfig, Error> {
    let prometheus = args.format == FormatArg::Prometheus;
    let mut dims = Dims::parse(&args.by).map_err(usage)?;
    let max_series = match (prometheus, args.max_series) {
        (false, Some(_)) => {
            return Err(usage(
                "--max-series applies to --format prometheus only".to_string(),
            ));
        }
        (true, Some(0)) => return Err(usage("--max-series must be at least 1".to_string())),
        (true, n) => Some(n.unwrap_or(crate::metrics::DEFAULT_MAX_SERIES)),
        (false, None) => None,
    };
    if prometheus {
        if !dims.is_default_pair() {
            return Err(usage(
                "--format prometheus groups by service, cubefs_api, method, code itself: \
                 leave --by out"
                    .to_string(),
            ));
        }
        dims = Dims::from_list(&crate::metrics::DIMS).map_err(usage)?;
    }
    let bucket_ns = args.bucket.as_deref().map(parse_bucket).transpose()?;
    if args.max_groups == 0 {
        return Err(usage("--max-groups must be at least 1".to_string()));
    }
    let fail_on = args
        .fail_on
        .iter()
        .map(|r| Rule::parse(r).map_err(usage))
        .collect::<Result<Vec<_>, _>>()?;
    let mut c = common(args.input, args.filter, stdin_is_terminal)?;
    c.state = state_opts(args.state)?;
    Ok(ReportConfig {
        common: c,
        report: ReportOptions {
            top: if prometheus { 0 } else { args.top },
            all: args.all || prometheus,
            by: dims.list().to_vec(),
            max_groups: args.max_groups,
            bucket_ns: bucket_ns.unwrap_or(crate::tally::DEFAULT_BUCKET_NS),
        },
        dims,
        bucket_ns,
        max_groups: args.max_groups,
        fail_on,
        // The metrics are not a report layout; the table format is never used with them.
        format: if prometheus {
            Format::Table
        } else {
            format(args.format, "report")?
        },
        max_series,
        output: Output::from_arg(args.output.as_deref()),
        table: load_table(args.code_table)?,
        invalid_lines: args.invalid_lines,
        layout: layout(&args.look)?,
    })
}

/// The terminal report's layout: `--width`, else (on a terminal only) `COLUMNS`, else the
/// terminal's own width; colour by `--color`, `NO_COLOR` and `TERM`.
fn layout(look: &LookArgs) -> Result<Layout, Error> {
    use std::io::IsTerminal;
    if look.width == Some(0) {
        return Err(usage("--width must be at least 1".to_string()));
    }
    let is_terminal = std::io::stdout().is_terminal();
    let env_width = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    };
    let term_width = || terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
    let width = look.width.or_else(|| {
        is_terminal
            .then(|| env_width().or_else(term_width))
            .flatten()
    });
    let color = match look.color {
        ColorArg::Auto => ColorWhen::Auto,
        ColorArg::Always => ColorWhen::Always,
        ColorArg::Never => ColorWhen::Never,
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    Ok(Layout::decide(
        width,
        look.wide,
        look.brief,
        color,
        is_terminal,
        no_color,
        dumb,
    ))
}

fn diff_config(args: DiffArgs, stdin_is_terminal: bool) -> Result<DiffConfig, Error> {
    let local = args.filter.local;
    let common = common(args.input, args.filter, stdin_is_terminal)?;
    let bound = |text: &Option<String>, what: &str| -> Result<Option<Bound>, Error> {
        text.as_deref()
            .map(|t| parse_bound(t, local).map_err(|e| usage(format!("{what}: {e}"))))
            .transpose()
    };
    let bounds = (
        bound(&args.baseline_since, "--baseline-since")?,
        bound(&args.baseline_until, "--baseline-until")?,
    );
    // `prev` and durations name windows; anything else names inputs. A path called `prev`
    // or `1d` can still be given as `./prev`.
    let mut windows = Vec::new();
    let mut paths = Vec::new();
    for b in &args.baseline {
        let t = b.trim();
        if t.eq_ignore_ascii_case("prev") {
            windows.push(BaselineWindow::Prev);
        } else if let (Ok(d), false) = (parse_duration(t), std::path::Path::new(t).exists()) {
            if d <= 0 {
                return Err(usage(format!("--baseline {t:?}: a shift must be positive")));
            }
            windows.push(BaselineWindow::Shift(d));
        } else if t == "-" {
            return Err(usage(
                "--baseline cannot read standard input: name files or directories".to_string(),
            ));
        } else {
            paths.push(InputKind::Path(PathBuf::from(b)));
        }
    }
    let has_bounds = bounds.0.is_some() || bounds.1.is_some();
    if windows.len() > 1 || (windows.len() == 1 && has_bounds) {
        return Err(usage(
            "give one baseline window: --baseline prev, --baseline D, or \
             --baseline-since/--baseline-until"
                .to_string(),
        ));
    }
    let window = windows.pop();
    let baseline_window = match window {
        Some(w) => w,
        None if has_bounds => BaselineWindow::Bounds(bounds.0, bounds.1),
        None if !paths.is_empty() => BaselineWindow::Same,
        None => {
            return Err(usage(
                "diff needs a baseline: --baseline prev, --baseline 1d, --baseline PATH, or \
                 --baseline-since/--baseline-until"
                    .to_string(),
            ));
        }
    };
    let same_inputs = paths.is_empty();
    if same_inputs && common.inputs.contains(&InputKind::Stdin) {
        return Err(usage(
            "a baseline window of the same input reads it twice, which standard input cannot \
             be: name files or directories"
                .to_string(),
        ));
    }
    if args.max_groups == 0 {
        return Err(usage("--max-groups must be at least 1".to_string()));
    }
    let positive = |x: f64, what: &str| {
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(usage(format!("{what} must be a positive number")))
        }
    };
    let alpha = positive(args.alpha, "--alpha")?;
    if alpha >= 1.0 {
        return Err(usage("--alpha must be below 1".to_string()));
    }
    let min_ratio = positive(args.min_ratio, "--min-ratio")?;
    let latency_min_ratio = positive(args.latency_min_ratio, "--latency-min-ratio")?;
    if min_ratio < 1.0 || latency_min_ratio < 1.0 {
        return Err(usage(
            "--min-ratio and --latency-min-ratio must be at least 1".to_string(),
        ));
    }
    if !(args.zero_correction.is_finite() && args.zero_correction >= 0.0) {
        return Err(usage("--zero-correction must be 0 or more".to_string()));
    }
    let fail_on = args
        .fail_on
        .iter()
        .map(|r| crate::diff::DiffRule::parse(r).map_err(usage))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiffConfig {
        common,
        baseline_inputs: (!same_inputs).then_some(paths),
        baseline_window,
        dims: Dims::parse(&args.by).map_err(usage)?,
        all: args.all,
        max_groups: args.max_groups,
        thresholds: crate::stats::Thresholds {
            alpha,
            min_count: args.min_count,
            min_ratio,
            zero_correction: args.zero_correction,
            latency_min_ratio,
            latency_min_count: args.latency_min_count,
            conf: 0.95,
        },
        latency_groups: args.latency_groups,
        top: args.top,
        fail_on,
        format: format(args.format, "diff")?,
        table: load_table(args.code_table)?,
        output: Output::from_arg(args.output.as_deref()),
    })
}

fn summarize_config(
    args: SummarizeArgs,
    stdin_is_terminal: bool,
) -> Result<SummarizeConfig, Error> {
    if args.max_groups == 0 {
        return Err(usage("--max-groups must be at least 1".to_string()));
    }
    let mut c = common(args.input, args.filter, stdin_is_terminal)?;
    c.state = state_opts(args.state)?;
    Ok(SummarizeConfig {
        common: c,
        grouping: Grouping {
            dims: Dims::parse(&args.by).map_err(usage)?,
            all: args.all,
            bucket_ns: parse_bucket(&args.bucket)?,
            max_groups: args.max_groups,
        },
        output: args.output,
        table: load_table(None)?,
    })
}

fn top_config(args: crate::cli::TopArgs, stdout_is_terminal: bool) -> Result<TopConfig, Error> {
    use crate::cli::TopFormatArg;
    if args.input.paths.is_empty() || args.input.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(usage(
            "top follows files: name the audit-log directories or files (not `-`)".to_string(),
        ));
    }
    if args.filter.until.is_some() {
        return Err(usage(
            "top follows the logs as they grow: --until has no place here".to_string(),
        ));
    }
    let positive = |text: &str, what: &str| -> Result<i64, Error> {
        let ns = parse_duration(text).map_err(|e| usage(format!("{what}: {e}")))?;
        if ns < 10_000_000 {
            return Err(usage(format!("{what} {text:?}: at least 10ms")));
        }
        Ok(ns)
    };
    let interval_ns = positive(&args.interval, "--interval")?;
    let window_ns = positive(&args.window, "--window")?;
    if window_ns < 1_000_000_000 {
        return Err(usage(format!("--window {:?}: at least 1s", args.window)));
    }
    let grouping = match args.by.replace(' ', "").as_str() {
        "service,code" => crate::top::Grouping::ServiceCode,
        "service,api,code" => crate::top::Grouping::ServiceApiCode,
        "service,host,code" => crate::top::Grouping::ServiceHostCode,
        other => {
            return Err(usage(format!(
                "--by {other:?}: top groups by service,code, service,api,code or \
                 service,host,code"
            )));
        }
    };
    let format = match args.format {
        TopFormatArg::Json => TopFormat::Json,
        TopFormatArg::Tui if !stdout_is_terminal => {
            return Err(usage(
                "--format tui needs a terminal on standard output (use --format json)".to_string(),
            ));
        }
        TopFormatArg::Tui => TopFormat::Tui,
        TopFormatArg::Auto if stdout_is_terminal => TopFormat::Tui,
        TopFormatArg::Auto => TopFormat::Json,
    };
    let iterations = if args.once { Some(1) } else { args.iterations };
    if iterations == Some(0) {
        return Err(usage("--iterations must be at least 1".to_string()));
    }
    let from_start = args.from_start || args.filter.last.is_some() || args.filter.since.is_some();
    let common = common(args.input, args.filter, false)?;
    Ok(TopConfig {
        common,
        interval_ns,
        window_ns,
        view: crate::top::View {
            grouping,
            all_codes: args.all,
            top: args.top,
        },
        from_start,
        format,
        iterations,
        poll: args.poll,
        table: load_table(args.code_table)?,
    })
}

/// This machine's name, the default `--node`: the kernel's host name, else `$HOSTNAME`, else
/// `localhost`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn timeline_config(args: TimelineArgs, stdin_is_terminal: bool) -> Result<TimelineConfig, Error> {
    let dims = Dims::parse(&args.by).map_err(usage)?;
    let series = match dims.list() {
        [Dim::Service] => Series::Service,
        [Dim::Service, Dim::Code] => Series::Group,
        _ => {
            return Err(usage(
                "timeline --by takes `service` or `service,code`".to_string(),
            ));
        }
    };
    Ok(TimelineConfig {
        common: common(args.input, args.filter, stdin_is_terminal)?,
        bucket_ns: parse_bucket(&args.bucket)?,
        series,
        top: args.top,
        format: format(args.format, "timeline")?,
        table: load_table(args.code_table)?,
        output: Output::from_arg(args.output.as_deref()),
    })
}

fn lines_config(args: LinesArgs, stdin_is_terminal: bool) -> Result<LinesConfig, Error> {
    Ok(LinesConfig {
        common: common(args.input, args.filter, stdin_is_terminal)?,
        limit: args.limit,
        json: args.format == LinesFormatArg::Json,
    })
}

fn trace_config(mut args: TraceArgs, stdin_is_terminal: bool) -> Result<TraceConfig, Error> {
    let (mut ids, paths) = split_trace_args(std::mem::take(&mut args.input.paths));
    if ids.iter().any(|id| id.trim().is_empty()) {
        return Err(usage("a trace id cannot be empty".to_string()));
    }
    // An id given twice is shown once, where it came first.
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Err(usage(
            "trace needs at least one trace id before the paths (an argument that names an \
             existing file or directory starts the paths)"
                .to_string(),
        ));
    }
    if paths.is_empty() && stdin_is_terminal {
        return Err(usage(format!(
            "no PATH given and standard input is a terminal; the arguments {} were read as \
             trace ids because no file or directory has that name",
            ids.join(" ")
        )));
    }
    args.input.paths = paths;
    Ok(TraceConfig {
        common: common(args.input, args.filter, stdin_is_terminal)?,
        ids: ids.into_iter().map(String::into_bytes).collect(),
        json: args.format == ViewFormatArg::Json,
        table: load_table(None)?,
    })
}

/// Splits `trace`'s positional arguments: trace ids up to the first argument that names an
/// existing file or directory (or is `-`), paths from there on.
fn split_trace_args(args: Vec<PathBuf>) -> (Vec<String>, Vec<PathBuf>) {
    let mut ids = Vec::new();
    let mut rest = args.into_iter().peekable();
    while let Some(arg) =
        rest.next_if(|a| a.as_os_str() != "-" && std::fs::symlink_metadata(a).is_err())
    {
        ids.push(arg.to_string_lossy().into_owned());
    }
    (ids, rest.collect())
}

fn hops_config(args: HopsArgs, stdin_is_terminal: bool) -> Result<HopsConfig, Error> {
    let by = crate::hops::HopBy::parse(&args.by).map_err(usage)?;
    let common = common(args.input, args.filter, stdin_is_terminal)?;
    if by.disk && common.inputs.contains(&InputKind::Stdin) {
        return Err(usage(
            "--by disk reads the input twice (to join hops to the downstream records): \
             give files, not standard input"
                .to_string(),
        ));
    }
    Ok(HopsConfig {
        common,
        by,
        top: args.top,
        json: args.format == ViewFormatArg::Json,
    })
}

fn export_format(arg: ExportFormatArg) -> ExportFormat {
    match arg {
        ExportFormatArg::Parquet => ExportFormat::Parquet,
        ExportFormatArg::Ndjson => ExportFormat::Ndjson,
    }
}

fn export_config(args: ExportArgs, stdin_is_terminal: bool) -> Result<ExportConfig, Error> {
    let format = export_format(args.format);
    if format == ExportFormat::Parquet && args.output.as_os_str() == "-" {
        return Err(usage(
            "parquet cannot be streamed to standard output (its footer is written last): \
             give -o FILE, or use --format ndjson"
                .to_string(),
        ));
    }
    Ok(ExportConfig {
        common: common(args.input, args.filter, stdin_is_terminal)?,
        format,
        output: args.output,
        with_headers: args.with_headers,
        table: load_table(args.code_table)?,
    })
}

fn codes_config(args: CodesArgs) -> Result<CodesConfig, Error> {
    let export = match args.format {
        Some(CodesFormatArg::Parquet) => Some(ExportFormat::Parquet),
        Some(CodesFormatArg::Ndjson) => Some(ExportFormat::Ndjson),
        _ => None,
    };
    let to_stdout = args.output.as_ref().is_none_or(|o| o.as_os_str() == "-");
    if export == Some(ExportFormat::Parquet) && to_stdout {
        return Err(usage("codes --format parquet needs -o FILE".to_string()));
    }
    // Named codes are explained; the whole table is one line per code.
    let format = match args.format {
        Some(CodesFormatArg::Parquet | CodesFormatArg::Ndjson) => CodesFormat::Csv,
        Some(CodesFormatArg::Detail) => CodesFormat::Detail,
        Some(CodesFormatArg::Table) => CodesFormat::Table,
        Some(CodesFormatArg::Json) => CodesFormat::Json,
        Some(CodesFormatArg::Csv) => CodesFormat::Csv,
        Some(CodesFormatArg::Markdown) => CodesFormat::Markdown,
        None if args.codes.is_empty() => CodesFormat::Table,
        None => CodesFormat::Detail,
    };
    Ok(CodesConfig {
        codes: args.codes,
        format,
        export,
        output: args.output,
        table: load_table(args.code_table)?,
    })
}

/// The clock of relative bounds: `--now` (the wall clock) or `--now=T` make it the
/// reference; without it the newest record is, and `now-D` still reads the wall clock.
fn clock(now: Option<&str>, local: bool) -> Result<Clock, Error> {
    let zone = if local {
        jiff::tz::TimeZone::system()
    } else {
        jiff::tz::TimeZone::UTC
    };
    let (now_ns, reference_is_now) = match now {
        None => (wall_clock_ns(), false),
        Some(t) if t.trim().eq_ignore_ascii_case("now") => (wall_clock_ns(), true),
        Some(t) => (
            parse_instant(t, local).map_err(|e| usage(format!("--now: {e}")))?,
            true,
        ),
    };
    Ok(Clock {
        now_ns,
        reference_is_now,
        zone,
    })
}

/// A bucket size: a duration of at least one second.
fn parse_bucket(text: &str) -> Result<i64, Error> {
    let ns = parse_duration(text).map_err(|e| usage(format!("--bucket: {e}")))?;
    if ns < 1_000_000_000 {
        return Err(usage(format!("--bucket {text:?}: at least 1s")));
    }
    Ok(ns)
}

/// The format of a view other than the report's metrics; `prometheus` is the report's only.
fn format(arg: FormatArg, command: &str) -> Result<Format, Error> {
    Ok(match arg {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Csv => Format::Csv,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Html if command == "diff" => {
            return Err(usage(
                "diff has no --format html (report and timeline do)".to_string(),
            ));
        }
        FormatArg::Html => Format::Html,
        FormatArg::Prometheus => {
            return Err(usage(format!(
                "--format prometheus is written by `report`, not `{command}`"
            )));
        }
    })
}

fn load_table(extra: Option<PathBuf>) -> Result<CodeTable, Error> {
    let mut table = CodeTable::builtin().map_err(|e| usage(e.to_string()))?;
    if let Some(path) = extra {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| usage(format!("cannot read code table {}: {e}", path.display())))?;
        table
            .extend_from(&text, &path.display().to_string())
            .map_err(|e| usage(format!("bad code table {e}")))?;
    }
    Ok(table)
}

/// Parses a size: a number of bytes with an optional K, M or G suffix (also KiB, MiB, GiB;
/// all binary), at least 1.
pub fn parse_size(text: &str, what: &str) -> Result<u64, Error> {
    let bad = || {
        usage(format!(
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

    fn report(args: &[&str]) -> ReportConfig {
        match parse(args, true) {
            Ok(Config::Report(c)) => c,
            Ok(_) => panic!("not a report"),
            Err(e) => panic!("{e}"),
        }
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
        assert_eq!(c.common.inputs, vec![InputKind::Stdin]);
        assert!(matches!(
            parse(&["bsaudit", "report", "-", "-"], false),
            Err(Error::Usage(_))
        ));
        // A relative window needs the newest record before the scan: not from a pipe.
        assert!(matches!(
            parse(&["bsaudit", "report", "--last", "1h"], false),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn filters_are_validated() {
        let c = report(&[
            "bsaudit",
            "report",
            "x",
            "--service",
            "blobnode,access",
            "--code",
            "6xx",
            "--code",
            "499",
            "--api",
            "shard.get",
            "--min-duration",
            "500ms",
            "--trace",
            "abc",
        ]);
        assert_eq!(c.common.filter.services.len(), 2);
        assert_eq!(c.common.filter.codes.len(), 2);
        assert_eq!(c.common.filter.min_duration_us, Some(500_000));
        for bad in [
            &["--code", "6x1"][..],
            &["--threads", "0"],
            &["--since", "soon"],
            &["--by", "rack"],
            &["--bucket", "10ms"],
            &["--fail-on", "error_rate>>1"],
            &[
                "--since",
                "2025-11-24T11:00:00Z",
                "--until",
                "2025-11-24T10:00:00Z",
            ],
        ] {
            let mut args = vec!["bsaudit", "report", "x"];
            args.extend_from_slice(bad);
            assert!(
                matches!(parse(&args, true), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
        // A bad code is reported when run, next to the good ones.
        assert!(matches!(
            parse(&["bsaudit", "codes", "abc"], true),
            Ok(Config::Codes(_))
        ));
        assert!(matches!(
            parse(&["bsaudit", "timeline", "x", "--by", "disk"], true),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn trace_arguments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("0-0");
        std::fs::write(&log, "").expect("write");
        let log = log.to_string_lossy().into_owned();
        let trace = |args: &[&str]| {
            let mut all = vec!["bsaudit", "trace"];
            all.extend_from_slice(args);
            parse(&all, true)
        };
        let Ok(Config::Trace(c)) = trace(&["b", "a", "b", &log, "-j", "1"]) else {
            panic!("ids then a path");
        };
        assert_eq!(c.ids, vec![b"b".to_vec(), b"a".to_vec()]);
        assert_eq!(c.common.inputs, vec![InputKind::Path(log.clone().into())]);
        // The path starts at the first argument that exists; everything after it is a path.
        let Ok(Config::Trace(c)) = trace(&["a", &log, "not-there"]) else {
            panic!("a path, then another");
        };
        assert_eq!(c.common.inputs.len(), 2);
        for bad in [&[&log[..]][..], &[" "], &["a"]] {
            assert!(matches!(trace(bad), Err(Error::Usage(_))), "{bad:?}");
        }
        let Ok(Config::Trace(c)) = parse(&["bsaudit", "trace", "a"], false) else {
            panic!("an id and piped stdin");
        };
        assert_eq!(c.common.inputs, vec![InputKind::Stdin]);
        assert!(matches!(
            parse(&["bsaudit", "hops", "-", "--by", "disk"], false),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn windows() {
        let c = report(&["bsaudit", "report", "x", "--last", "2h"]);
        assert_eq!(
            c.common.since,
            Some(Bound::BeforeReference(7_200_000_000_000))
        );
        assert!(c.common.window_is_relative());
        let c = report(&[
            "bsaudit",
            "report",
            "x",
            "--since",
            "2025-11-24",
            "--until",
            "2025-11-25",
        ]);
        assert!(!c.common.window_is_relative());
    }

    #[test]
    fn relative_times_and_now() {
        // A time of day needs the newest record, unless --now makes the clock the reference.
        let c = report(&["bsaudit", "report", "x", "--until", "10:50"]);
        assert!(c.common.window_is_relative());
        let c = report(&["bsaudit", "report", "x", "--until", "10:50", "--now"]);
        assert!(!c.common.window_is_relative());
        assert!(c.common.clock.reference_is_now);
        // now-D reads the clock whatever the reference.
        let c = report(&["bsaudit", "report", "x", "--since", "now-15m"]);
        assert!(!c.common.window_is_relative());
        // --now=T pretends it is T.
        let c = report(&[
            "bsaudit",
            "report",
            "x",
            "--now=2025-11-24T11:00:00Z",
            "--last",
            "30m",
        ]);
        assert_eq!(
            c.common.window(None),
            Ok((Some(1_763_980_200_000_000_000), None))
        );
        // Relative bounds from a pipe are fine once they do not need the newest record.
        assert!(matches!(
            parse(&["bsaudit", "report", "--last", "1h", "--now"], false),
            Ok(Config::Report(_))
        ));
        for bad in [
            &["--now=10:50"][..],
            &["--now=soon"],
            &["--since", "now+5m"],
            // Known without the input: an empty window.
            &[
                "--now=2025-11-24T11:00:00Z",
                "--since",
                "10:50",
                "--until",
                "10:40",
            ],
            &["--since", "now", "--until", "now-1h"],
        ] {
            let mut args = vec!["bsaudit", "report", "x"];
            args.extend_from_slice(bad);
            assert!(
                matches!(parse(&args, true), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn follow_links_and_its_old_name() {
        let c = report(&["bsaudit", "report", "x", "-L"]);
        assert!(c.common.follow_links && c.common.notes.is_empty());
        let c = report(&["bsaudit", "report", "x", "--follow-links"]);
        assert!(c.common.follow_links);
        let c = report(&["bsaudit", "report", "x", "--follow"]);
        assert!(c.common.follow_links);
        assert!(
            c.common.notes[0].contains("--follow-links"),
            "{:?}",
            c.common.notes
        );
    }
}
