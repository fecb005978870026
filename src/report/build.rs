//! Building the report from a summary: services, ranked groups, their own series and onsets,
//! meanings from the code table.

use std::collections::BTreeMap;

use crate::codes::CodeTable;
use crate::dims::Dim;
use crate::summary::{GroupData, Key, Part, Summary};
use crate::time::rfc3339;

use super::trend::onset;
use super::{
    GroupReport, InputHealth, Latency, Meaning, Report, SCHEMA, SampleReport, ServiceSummary, Span,
    ratio,
};

/// What to rank and how much to show.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Groups to show; 0 shows all.
    pub top: usize,
    /// Rank every code, successes and benign ones included.
    pub all: bool,
    /// The dimensions to rank by: service, code, or the summary's own `--by`.
    pub by: Vec<Dim>,
    /// Most groups ranked; the rest are counted as folded.
    pub max_groups: usize,
    /// Bucket size of the per-row series (ns): a multiple of the summary's.
    pub bucket_ns: i64,
}

/// Builds the report. `opts.by` must be `[service, code]` or the summary's own dimensions
/// (the caller checks; see `app`).
pub fn build(summary: &Summary, table: &CodeTable, opts: &ReportOptions) -> Report {
    let classes = table.class_map();
    let totals = summary.services(&classes);
    let mut services: Vec<ServiceSummary> = totals
        .iter()
        .map(|(name, t)| ServiceSummary {
            service: name.clone(),
            requests: t.requests,
            errors: t.errors,
            error_rate: ratio(t.errors, t.requests),
            latency_us: Latency::of(&t.latency),
        })
        .collect();
    services.sort_by(|a, b| {
        b.errors
            .cmp(&a.errors)
            .then(b.requests.cmp(&a.requests))
            .then(a.service.cmp(&b.service))
    });

    let pair = opts.by == [Dim::Service, Dim::Code];
    let (table_of, dims): (&BTreeMap<Key, GroupData>, &[Dim]) = if pair {
        (&summary.pairs, &opts.by)
    } else {
        (&summary.groups, &summary.scope.by)
    };
    let code_at = dims.iter().position(|&d| d == Dim::Code);
    let mut ranked: Vec<(&Key, &GroupData)> = table_of
        .iter()
        .filter(|(key, _)| {
            // Without --all, only errors are ranked; the --by table holds only errors already
            // unless it was made with --all.
            opts.all
                || code_at
                    .and_then(|i| key[i].num())
                    .is_none_or(|c| classes.class_of(c as u32).is_error())
        })
        .collect();
    // Most first; ties by the dimension values (numbers as numbers), so output is stable.
    ranked.sort_by(|a, b| b.1.count().cmp(&a.1.count()).then_with(|| a.0.cmp(b.0)));
    let mut folded = summary.folded();
    if ranked.len() > opts.max_groups {
        folded += ranked[opts.max_groups..]
            .iter()
            .map(|g| g.1.count())
            .sum::<u64>();
        ranked.truncate(opts.max_groups);
    }
    let groups_total = ranked.len();
    if opts.top > 0 {
        ranked.truncate(opts.top);
    }

    let nodes: std::collections::BTreeSet<&str> = summary
        .input
        .sources
        .iter()
        .map(|s| s.node.as_str())
        .chain(
            summary
                .input
                .problems
                .iter()
                .map(|p| p.source.node.as_str()),
        )
        .collect();
    let multi_node = nodes.len() > 1;
    let span = Span::of(
        summary.input.first_ns,
        summary.input.last_ns,
        opts.bucket_ns,
    );
    let ctx = Ctx {
        summary,
        table,
        totals: &totals,
        dims,
        span,
        multi_node,
    };
    Report {
        schema: SCHEMA,
        input: InputHealth::of(&summary.input, multi_node),
        services,
        by: dims.to_vec(),
        groups_total,
        groups_folded: folded,
        groups_exact: summary.exact,
        groups: ranked.into_iter().map(|(k, g)| ctx.group(k, g)).collect(),
        fail_on: Vec::new(),
        span,
        multi_node,
    }
}

struct Ctx<'a> {
    summary: &'a Summary,
    table: &'a CodeTable,
    totals: &'a BTreeMap<String, crate::summary::ServiceTotals>,
    dims: &'a [Dim],
    span: Option<Span>,
    multi_node: bool,
}

impl Ctx<'_> {
    fn group(&self, key: &Key, g: &GroupData) -> GroupReport {
        let mut r = GroupReport {
            service: None,
            code: None,
            values: BTreeMap::new(),
            count: g.count(),
            share: 0.0,
            class: None,
            meaning: None,
            latency_us: Latency::of(&g.latency),
            histogram: g.latency.clone(),
            first_seen: g.first_ns,
            last_seen: g.last_ns,
            resp_bytes: g.resp_bytes,
            series: Vec::new(),
            onset: None,
            samples: g
                .samples
                .iter()
                .map(|s| SampleReport {
                    trace_id: s.trace_id.clone(),
                    time: s.time_ns,
                    method: s.method.clone(),
                    path: s.path.clone(),
                    node: self.multi_node.then(|| s.source.node.clone()),
                    file: s.source.path.clone(),
                    line: s.line,
                })
                .collect(),
        };
        for (&dim, part) in self.dims.iter().zip(key) {
            match (dim, part) {
                (Dim::Service, p) => r.service = Some(part_text(p)),
                (Dim::Code, Part::Num(c)) => r.code = Some(*c as u32),
                (Dim::Bucket, Part::Num(b)) => {
                    let start = (*b as i64).saturating_mul(self.summary.scope.bucket_ns);
                    r.values.insert(dim.as_str(), rfc3339(start));
                }
                (_, p) => {
                    r.values.insert(dim.as_str(), part_text(p));
                }
            }
        }
        if let Some(code) = r.code {
            r.class = Some(self.table.class_of(code));
            r.meaning = self.table.get(code).map(Meaning::from);
        }
        let whole = match &r.service {
            Some(name) => self.totals.get(name).map_or(0, |t| t.requests),
            None => self.summary.input.records,
        };
        r.share = ratio(r.count, whole);
        if let Some(span) = &self.span {
            r.series = span.series(&g.buckets, self.summary.scope.bucket_ns);
            r.onset = onset(&r.series).map(|i| span.start_ns(i));
        }
        r
    }
}

fn part_text(p: &Part) -> String {
    match p {
        Part::Num(n) => n.to_string(),
        Part::Text(t) => t.clone(),
    }
}
