//! The front half of every summary-based command: find the inputs, tell summary files from
//! logs, place the time window, scan the logs into a [`Summary`], bring every loaded summary
//! to the scope the command asks for (or say exactly why it cannot), and merge them all.

use std::sync::Arc;

use crate::config::{Common, Grouping};
use crate::dims::Dim;
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::filter::Filter;
use crate::input::discover::{self, Discovery, InputFile, InputKind};
use crate::render;
use crate::report::InputHealth;
use crate::summary::{self, FilterScope, Scope, Summary, build::from_tally};
use crate::tally::{Tally, TallySpec};

use super::{describe_inputs, progress_for, warn, with_pool};

/// What a command gathered: the merged summary, and the log scan's tally and file list (for
/// `--invalid-lines`, which needs raw lines only a scan has).
pub(super) struct Gathered {
    /// Everything merged.
    pub summary: Summary,
    /// The scan of the log files, if there were any.
    pub scan: Option<(Tally, Discovery)>,
}

/// Lists the inputs, warning about paths that cannot be read, and loads the summary files
/// among them.
pub(super) fn prepare(common: &Common) -> Result<(Discovery, Vec<(String, Summary)>), Error> {
    for note in &common.notes {
        warn(note);
    }
    let mut found = discover::discover(&common.inputs, common.follow_links);
    for p in &found.skipped {
        warn(&format!("{}: {}", render::sanitize(&p.display), p.reason));
    }
    let mut summaries = Vec::new();
    let mut logs = Vec::with_capacity(found.files.len());
    for f in std::mem::take(&mut found.files) {
        match summary_at(&f) {
            Some(loaded) => summaries.push((f.display.clone(), loaded?)),
            None => logs.push(f),
        }
    }
    found.files = logs;
    if found.files.is_empty() && summaries.is_empty() && common.state.is_none() {
        return Err(Error::NoInput(format!(
            "no audit log files found in {}",
            describe_inputs(&common.inputs)
        )));
    }
    Ok((found, summaries))
}

/// The summary in `f`, if `f` is a summary file: named on the command line or `*.bsum`, and
/// starting with the summary header.
fn summary_at(f: &discover::InputFile) -> Option<Result<Summary, Error>> {
    let InputKind::Path(path) = &f.kind else {
        return None;
    };
    if !(f.explicit || f.display.ends_with(summary::file::EXTENSION)) || !f.regular {
        return None;
    }
    let mut head = [0u8; 16];
    let file = std::fs::File::open(path).ok()?;
    let got = crate::input::source::read_at_full(&file, &mut head, 0).ok()?;
    if !summary::file::is_summary(&head[..got]) {
        return None;
    }
    Some(
        std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| summary::file::from_bytes(&bytes))
            .map_err(|e| Error::NoInput(format!("{}: {e}", f.display))),
    )
}

/// The scope a command asks for: its grouping and its resolved record filter.
pub(super) fn scope_of(grouping: &Grouping, filter: &Filter) -> Scope {
    Scope {
        by: grouping.dims.list().to_vec(),
        errors_only: !grouping.all,
        bucket_ns: grouping.bucket_ns,
        max_groups: grouping.max_groups,
        filter: FilterScope::of(filter),
    }
}

/// Scans the logs and merges them with the summaries, all in the scope `grouping` asks for.
pub(super) fn gather(
    common: &Common,
    grouping: &Grouping,
    classes: &crate::codes::ClassMap,
    keep_invalid: bool,
) -> Result<Gathered, Error> {
    let (found, loaded) = prepare(common)?;
    let newest_summary = loaded
        .iter()
        .filter_map(|(_, s)| s.input.newest_any_ns)
        .max();
    let spec = |filter: Filter| TallySpec {
        filter,
        keep_invalid,
        dims: (!grouping.dims.is_default_pair()).then(|| grouping.dims.clone()),
        errors_only: !grouping.all,
        classes: classes.clone(),
        max_groups: grouping.max_groups,
        bucket_ns: grouping.bucket_ns,
        file_rank: file_rank(&found),
        spill_groups: common.spill_groups,
    };
    let (summary, scan) = if let Some(opts) = &common.state {
        let filter = windowed(common, None)?;
        let scope = scope_of(grouping, &filter);
        let s = super::state::gather_incremental(common, opts, &found, &spec, scope)?;
        (s, None)
    } else if found.files.is_empty() {
        let filter = windowed(common, newest_summary)?;
        (Summary::empty(scope_of(grouping, &filter)), None)
    } else {
        let (mut tally, filter) = scan_windowed(common, &found, &spec, newest_summary)?;
        let s = from_tally(
            &mut tally,
            &found,
            &common.node,
            scope_of(grouping, &filter),
        );
        (s, Some((tally, found)))
    };
    let mut total = summary;
    let want = total.scope.clone();
    for (name, s) in loaded {
        let s =
            project(s, &want, &common.filter).map_err(|e| Error::Usage(format!("{name}: {e}")))?;
        total
            .compatible(&s)
            .map_err(|e| Error::Usage(format!("{name}: cannot merge: {e}")))?;
        total += &s;
    }
    Ok(Gathered {
        summary: total,
        scan,
    })
}

/// Brings a loaded summary to the scope `want`, where that is exact: dropping `--by` groups
/// a report does not ask for, coarsening buckets to a multiple, narrowing services and codes.
/// Anything else is refused with what to re-summarize with.
pub(super) fn project(mut s: Summary, want: &Scope, filter: &Filter) -> Result<Summary, String> {
    let pair = [Dim::Service, Dim::Code];
    if want.by == pair {
        s.groups.clear();
        s.other = Default::default();
        s.other_keys = 0;
        s.scope.by = pair.to_vec();
        s.scope.errors_only = want.errors_only;
    } else if want.by == s.scope.by {
        if s.scope.errors_only && !want.errors_only {
            return Err(format!(
                "its --by groups hold only errors: re-summarize with --all --by {}",
                summary::dims_text(&want.by)
            ));
        }
        // Successes in groups keyed by code are dropped when ranked; without a code in the
        // key they cannot be told apart.
        if !s.scope.errors_only && want.errors_only && !want.by.contains(&Dim::Code) {
            return Err(
                "it was made with --all and its groups have no code to tell errors by: \
                 report with --all, or re-summarize without it"
                    .to_string(),
            );
        }
        s.scope.errors_only = want.errors_only;
    } else {
        return Err(format!(
            "it was grouped by {}; this needs {}: re-summarize with --by {}",
            summary::dims_text(&s.scope.by),
            summary::dims_text(&want.by),
            summary::dims_text(&want.by)
        ));
    }
    rebucket(&mut s, want.bucket_ns)?;
    let (have, need) = (&s.scope.filter, &want.filter);
    let rest_differs = FilterScope {
        services: Vec::new(),
        codes: Vec::new(),
        ..have.clone()
    } != FilterScope {
        services: Vec::new(),
        codes: Vec::new(),
        ..need.clone()
    };
    if rest_differs {
        return Err(format!(
            "a summary cannot be cut by time, API, host, trace or duration after the fact \
             (it was made with {}; this asks for {}): re-summarize with those options",
            describe_filter(have),
            describe_filter(need)
        ));
    }
    if (have.services != need.services || have.codes != need.codes)
        && (!have.services.is_empty() || !have.codes.is_empty())
    {
        return Err(format!(
            "it was made with {}; this asks for {}: re-summarize with those options",
            describe_filter(have),
            describe_filter(need)
        ));
    }
    s.restrict(&filter.services, &filter.codes)?;
    s.scope.filter = want.filter.clone();
    s.scope.max_groups = want.max_groups;
    Ok(s)
}

/// Counts per bucket of `bucket_ns`, from a summary counted in a bucket size that divides it.
fn rebucket(s: &mut Summary, bucket_ns: i64) -> Result<(), String> {
    let have = s.scope.bucket_ns;
    if have == bucket_ns {
        return Ok(());
    }
    if have <= 0 || bucket_ns % have != 0 {
        return Err(format!(
            "its buckets are {}s, which do not divide {}s: use a multiple, or re-summarize \
             with a smaller --bucket",
            have as f64 / 1e9,
            bucket_ns as f64 / 1e9
        ));
    }
    if s.scope.by.contains(&Dim::Bucket) {
        return Err("its groups are keyed by bucket: use its own --bucket".to_string());
    }
    let factor = bucket_ns / have;
    let coarse = |buckets: &mut Vec<(i64, u64)>| {
        let mut out: Vec<(i64, u64)> = Vec::with_capacity(buckets.len());
        for &(b, n) in buckets.iter() {
            let c = b.div_euclid(factor);
            match out.last_mut() {
                Some(last) if last.0 == c => last.1 += n,
                _ => out.push((c, n)),
            }
        }
        *buckets = out;
    };
    for g in s.pairs.values_mut().chain(s.groups.values_mut()) {
        coarse(&mut g.buckets);
    }
    coarse(&mut s.other.buckets);
    s.scope.bucket_ns = bucket_ns;
    Ok(())
}

fn describe_filter(f: &FilterScope) -> String {
    let mut parts = Vec::new();
    if !f.services.is_empty() {
        parts.push(format!("--service {}", f.services.join(",")));
    }
    if !f.codes.is_empty() {
        let codes: Vec<String> = f
            .codes
            .iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect();
        parts.push(format!("--code {}", codes.join(",")));
    }
    if let Some(t) = f.since_ns {
        parts.push(format!("--since {}", crate::time::rfc3339(t)));
    }
    if let Some(t) = f.until_ns {
        parts.push(format!("--until {}", crate::time::rfc3339(t)));
    }
    for (name, list) in [
        ("--api", &f.apis),
        ("--host", &f.hosts),
        ("--trace", &f.traces),
    ] {
        if !list.is_empty() {
            parts.push(format!("{name} {}", list.join(",")));
        }
    }
    if let Some(d) = f.min_duration_us {
        parts.push(format!("--min-duration {d}us"));
    }
    if parts.is_empty() {
        "no filters".to_string()
    } else {
        parts.join(" ")
    }
}

/// Lists the inputs of a command that reads records, which a summary file does not hold:
/// one among the inputs is a usage error saying what `command` needs instead.
pub(super) fn logs_only(common: &Common, command: &str, needs: &str) -> Result<Discovery, Error> {
    let (found, summaries) = prepare(common)?;
    if let Some((name, _)) = summaries.first() {
        return Err(Error::Usage(format!(
            "{name} is a summary: it holds counts, not {needs}; give `{command}` the logs"
        )));
    }
    Ok(found)
}

/// The spec of a pass that hands out records in input order (`lines`, `export`): the window
/// placed first (a relative one may cost a first pass), samples ranked by display path.
pub(super) fn ordered_spec(common: &Common, found: &Discovery) -> Result<TallySpec, Error> {
    let rank = file_rank(found);
    let spec = |filter| TallySpec {
        filter,
        file_rank: rank.clone(),
        ..TallySpec::default()
    };
    let filter = resolve_window(common, found, &spec, None)?;
    Ok(spec(filter))
}

/// The summary of a pass that handed records out rather than grouping them (`lines`,
/// `export`, `trace`, `hops`), at the default scope, and the input health read from it: what
/// those commands need for the health line and their checks.
pub(super) fn pass_summary(
    tally: &mut Tally,
    found: &Discovery,
    common: &Common,
    filter: &Filter,
) -> (Summary, InputHealth) {
    let defaults = TallySpec::default();
    let scope = Scope {
        by: crate::dims::Dims::default_pair().list().to_vec(),
        errors_only: true,
        bucket_ns: defaults.bucket_ns,
        max_groups: defaults.max_groups,
        filter: FilterScope::of(filter),
    };
    let summary = from_tally(tally, found, &common.node, scope);
    let health = InputHealth::of(&summary.input, false);
    (summary, health)
}

/// Each file's place in the order of display paths, for sample ties.
pub(super) fn file_rank(found: &Discovery) -> Vec<u32> {
    let mut order: Vec<u32> = (0..found.files.len() as u32).collect();
    order.sort_by(|&a, &b| {
        found.files[a as usize]
            .display
            .cmp(&found.files[b as usize].display)
    });
    let mut rank = vec![0; order.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// The filter with the time window placed. A window relative to the newest record needs that
/// record first: estimated from the ends of the plain files (and the summaries), or found by a
/// first pass when there are none.
pub(super) fn resolve_window(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(Filter) -> TallySpec,
    newest_summary: Option<i64>,
) -> Result<Filter, Error> {
    let newest = if common.window_is_relative() {
        match engine::newest_estimate(&found.files, common.scan.max_line).max(newest_summary) {
            Some(t) => Some(t),
            None => first_pass_newest(common, found, spec)?,
        }
    } else {
        None
    };
    windowed(common, newest)
}

/// The filter with the window placed for this newest record; an empty window is a usage
/// error (`--since 10:50 --until 10:40`).
pub(super) fn windowed(common: &Common, newest: Option<i64>) -> Result<Filter, Error> {
    let mut filter = common.filter.clone();
    (filter.since_ns, filter.until_ns) = common.window(newest).map_err(Error::Usage)?;
    Ok(filter)
}

fn first_pass_newest(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(Filter) -> TallySpec,
) -> Result<Option<i64>, Error> {
    let quiet: ProgressFn = Arc::new(|_| {});
    let all = spec(Filter::default());
    let newest_of = |files: &[InputFile]| -> Result<Option<i64>, Error> {
        if files.is_empty() {
            return Ok(None);
        }
        let tally = with_pool(common.threads, || {
            engine::scan(files, &all, &common.scan, &quiet)
        })?;
        let newest = tally.input.newest_any_ns;
        Ok((newest != i64::MIN).then_some(newest))
    };
    // The newest file of each directory first; then only the files written at or after the
    // newest record those hold (a record is written after it starts, so an older file cannot
    // hold a newer one): on a tree of compressed archives, one file per directory is decoded
    // rather than all of them.
    let (first, rest): (Vec<InputFile>, Vec<InputFile>) =
        found.files.iter().cloned().partition(|f| f.newest_in_dir);
    let so_far = newest_of(&first)?;
    let later: Vec<InputFile> = rest
        .into_iter()
        .filter(|f| match (so_far, engine::modified_ns(f)) {
            (Some(best), Some(m)) => m >= best,
            _ => true,
        })
        .collect();
    Ok(so_far.max(newest_of(&later)?))
}

/// Scans with the window placed; when a relative window was placed from an estimate, checks
/// it against the newest record the scan saw and scans again if the estimate was short.
pub(super) fn scan_windowed(
    common: &Common,
    found: &Discovery,
    spec: &dyn Fn(Filter) -> TallySpec,
    newest_summary: Option<i64>,
) -> Result<(Tally, Filter), Error> {
    let mut filter = resolve_window(common, found, spec, newest_summary)?;
    let (bar, progress) = progress_for(common, found);
    let mut tally;
    loop {
        let full = spec(filter.clone());
        tally = with_pool(common.threads, || {
            engine::scan(&found.files, &full, &common.scan, &progress)
        })?;
        let seen = Some(tally.input.newest_any_ns)
            .filter(|&t| t != i64::MIN)
            .max(newest_summary);
        let corrected = windowed(common, seen)?;
        if !common.window_is_relative()
            || seen.is_none()
            || (corrected.since_ns == filter.since_ns && corrected.until_ns == filter.until_ns)
        {
            break;
        }
        // Records are nearly in start order, not exactly: the tails missed the newest one.
        filter = corrected;
        bar.set_position(0);
    }
    bar.finish_and_clear();
    Ok((tally, filter))
}
