//! From a scan's merged [`Tally`] to a [`Summary`]: interned ids become values, chunk
//! positions become line numbers, file indices become (node, path), and the `--by` groups
//! beyond `--max-groups` are folded into `other`, choosing the kept ones by exact count.

use std::collections::BTreeMap;

use crate::input::discover::Discovery;
use crate::tally::spill::{TopK, merge_sorted};
use crate::tally::{Buckets, GroupStats, LineIndex, ProblemKind, Tally};

use super::{GroupData, Part, Problem, Sample, Scope, Source, Summary};

/// Builds the summary of one scan. `node` labels every source.
pub fn from_tally(tally: &mut Tally, discovery: &Discovery, node: &str, scope: Scope) -> Summary {
    let mut s = Summary::empty(scope);
    let source = |file: u32| Source {
        node: node.to_string(),
        path: discovery
            .files
            .get(file as usize)
            .map_or_else(|| "?".to_string(), |f| f.display.clone()),
    };
    let lines = tally.line_index();
    let data = |g: &GroupStats| group_data(g, &lines, &source);

    for ((service, code), g) in &tally.groups {
        let key = vec![
            Part::Text(String::from_utf8_lossy(tally.services.name(*service)).into_owned()),
            Part::Num(u64::from(*code)),
        ];
        s.pairs.insert(key, data(g));
    }

    let mut spill_problems = Vec::new();
    if !s.scope.is_default_pair() {
        // Every key counted exactly (in memory and in runs on disk), then the best kept:
        // most records first, ties by key, so the same groups survive however the input was
        // split, and every group kept is exact.
        let memory = tally.dim.take_sorted(&tally.services);
        let dim = &tally.dim;
        let mut top = TopK::new(s.scope.max_groups);
        if let Err(e) = merge_sorted(&dim.runs, memory, |k, g| top.offer(k, g)) {
            spill_problems.push(Problem {
                source: Source {
                    node: node.to_string(),
                    path: "(temporary files)".to_string(),
                },
                kind: "partial".to_string(),
                message: format!(
                    "grouping data written to a temporary file could not be read back: {e}"
                ),
            });
        }
        s.other_keys = top.folded_keys;
        if top.folded.count() > 0 {
            s.other += &data(&top.folded);
        }
        for (key, g) in top.into_kept() {
            s.groups.insert(key, data(&g));
        }
        if tally.dim.other.count() > 0 {
            s.other += &data(&tally.dim.other);
        }
    }

    let c = &tally.input;
    let input = &mut s.input;
    input.bytes = tally.bytes;
    input.lines = c.lines;
    input.records = c.records;
    input.filtered_out = c.filtered_out;
    input.empty_lines = c.empty_lines;
    for m in crate::error::Malformed::ALL {
        input.malformed.insert(m, c.malformed[m.index()]);
    }
    input.oversized = c.oversized;
    input.incomplete_tail = c.incomplete_tail;
    input.first_ns = (c.records > 0).then_some(c.first_ns);
    input.last_ns = (c.records > 0).then_some(c.last_ns);
    input.newest_any_ns = (c.newest_any_ns != i64::MIN).then_some(c.newest_any_ns);

    let files_with = |kinds: &[ProblemKind]| -> Vec<u32> {
        let mut files: Vec<u32> = tally
            .problems
            .iter()
            .filter(|p| kinds.contains(&p.kind))
            .map(|p| p.file)
            .collect();
        files.sort_unstable();
        files.dedup();
        files
    };
    let vanished = files_with(&[ProblemKind::Vanished]);
    let outside = files_with(&[ProblemKind::OutsideWindow]);
    let skipped = files_with(&[ProblemKind::Skipped]);
    let replaced = files_with(&[ProblemKind::Replaced]);
    let not_read = |i: u32| {
        vanished.contains(&i)
            || outside.contains(&i)
            || skipped.contains(&i)
            || replaced.contains(&i)
    };
    input.sources = (0..discovery.files.len() as u32)
        .filter(|&i| !not_read(i))
        .map(source)
        .collect();
    input.sources.sort();
    input.files = input.sources.len() as u64;
    input.files_skipped = (skipped.len() + discovery.skipped.len()) as u64;
    input.files_partial = files_with(&[ProblemKind::Partial, ProblemKind::Shrunk]).len() as u64;
    input.files_vanished = vanished.len() as u64;
    input.files_replaced = replaced.len() as u64;
    input.files_moved = files_with(&[ProblemKind::Moved]).len() as u64;
    input.files_outside_window = outside.len() as u64;
    input.files_ignored = discovery.ignored.len() as u64;
    let mut problems: Vec<Problem> = tally
        .problems
        .iter()
        .filter(|p| p.kind != ProblemKind::OutsideWindow)
        .map(|p| Problem {
            source: source(p.file),
            kind: p.kind.as_str().to_string(),
            message: p.message.clone(),
        })
        .chain(discovery.skipped.iter().map(|p| Problem {
            source: Source {
                node: node.to_string(),
                path: p.display.clone(),
            },
            kind: "skipped".to_string(),
            message: p.reason.clone(),
        }))
        .collect();
    problems.extend(spill_problems);
    problems.sort();
    problems.dedup();
    input.files_partial += problems
        .iter()
        .filter(|p| p.source.path == "(temporary files)")
        .count() as u64;
    input.problems = problems;
    s
}

fn group_data(g: &GroupStats, lines: &LineIndex, source: &dyn Fn(u32) -> Source) -> GroupData {
    GroupData {
        latency: g.latency.clone(),
        first_ns: g.first_ns,
        last_ns: g.last_ns,
        resp_bytes: g.resp_bytes,
        buckets: sorted_buckets(&g.buckets),
        samples: {
            let mut v: Vec<Sample> = g
                .samples
                .as_slice()
                .iter()
                .map(|x| Sample {
                    time_ns: x.time_ns,
                    source: source(x.pos.file),
                    line: lines.line_number(x.pos),
                    trace_id: x.trace_id.clone(),
                    method: x.method.clone(),
                    path: x.path.clone(),
                })
                .collect();
            v.sort_by(|a, b| a.order().cmp(&b.order()));
            v
        },
    }
}

fn sorted_buckets(b: &Buckets) -> Vec<(i64, u64)> {
    let mut m: BTreeMap<i64, u64> = BTreeMap::new();
    for &(bucket, n) in b.entries() {
        *m.entry(bucket).or_default() += n;
    }
    m.into_iter().filter(|e| e.1 > 0).collect()
}
