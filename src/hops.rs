//! `bsaudit hops`: where the time of a request goes, hop by hop.
//!
//! Every kept record's `Trace-Log` (see `tracelog` and `docs/tracelog.md`) is read into
//! per-(service, downstream module) counts: calls, failed calls with their error texts, and a
//! latency histogram; ACCESS's stage pieces go into per-(service, api) stage timings. With
//! `--by host` the downstream host joins the key; with `--by disk` the downstream's disk,
//! found by joining the hop to the downstream's own record by trace id and host, which a
//! first pass ([`DiskIndexSink`]) indexes. Sinks run on the engine's pool, each filling its
//! own [`Hops`], and hand it to a shared collector when the engine is done with them;
//! [`build`] ranks the merged counts into the serialisable [`HopsReport`].

use std::sync::Mutex;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::engine::TallySink;
use crate::histogram::Histogram;
use crate::report::InputHealth;
use crate::scan::{LinePos, LineSink, Outcome, Record};
use crate::tally::{Tallier, Tally, TallySpec};
use crate::tracelog::{self, Found, Piece, Role, Roles};

/// Distinct error texts a row keeps; later ones are counted as `other`.
const MAX_ERROR_TEXTS: usize = 64;

/// Error texts shown per row.
pub const TOP_ERRORS: usize = 3;

/// A disk part of a key: no joinable record.
const DISK_NONE: u64 = u64::MAX;
/// A disk part of a key: joinable records name different disks.
const DISK_AMBIGUOUS: u64 = u64::MAX - 1;

/// What `hops` groups by besides (service, module).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HopBy {
    /// The hop's host (`-` without one).
    pub host: bool,
    /// The downstream record's disk.
    pub disk: bool,
}

impl HopBy {
    /// Parses `host`, `disk`, `host,disk` (or empty for neither).
    pub fn parse(spec: &str) -> Result<HopBy, String> {
        let mut by = HopBy::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "host" if !by.host => by.host = true,
                "disk" if !by.disk => by.disk = true,
                "host" | "disk" => return Err(format!("--by {spec:?}: {part} given twice")),
                _ => {
                    return Err(format!(
                        "--by {spec:?}: hops groups by host and/or disk (always by service and \
                         downstream module)"
                    ));
                }
            }
        }
        Ok(by)
    }

    /// The dimensions, for output.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = vec!["service", "downstream"];
        if self.host {
            v.push("host");
        }
        if self.disk {
            v.push("disk");
        }
        v
    }
}

/// Byte strings to dense ids.
#[derive(Clone, Debug, Default)]
struct Names {
    ids: FxHashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
}

impl Names {
    fn id(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }

    fn text(&self, id: u32) -> String {
        String::from_utf8_lossy(self.name(id)).into_owned()
    }
}

/// One row's key: ids into [`Hops::names`], and the disk (or a `DISK_*` marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct HopKey {
    service: u32,
    module: u32,
    /// The hop's host when grouping by host, else `u32::MAX`.
    host: u32,
    /// The downstream disk when grouping by disk, else `DISK_NONE`.
    disk: u64,
}

/// Latencies with an exact sum.
#[derive(Clone, Debug, Default)]
struct Timing {
    hist: Histogram,
    sum_us: u128,
}

impl Timing {
    fn record(&mut self, us: u64) {
        self.hist.record(us);
        self.sum_us += u128::from(us);
    }

    fn merge(&mut self, o: &Timing) {
        self.hist += &o.hist;
        self.sum_us += o.sum_us;
    }

    fn view(&self) -> Latency {
        Latency {
            p50: self.hist.quantile(500),
            p99: self.hist.quantile(990),
            max: self.hist.max(),
            sum: u64::try_from(self.sum_us).unwrap_or(u64::MAX),
            mean: (self.hist.mean() * 10.0).round() / 10.0,
        }
    }
}

/// What one row accumulates.
#[derive(Clone, Debug, Default)]
struct HopStats {
    timing: Timing,
    errors: u64,
    /// Error text id -> count, at most [`MAX_ERROR_TEXTS`] texts.
    error_texts: FxHashMap<u32, u64>,
    /// Failed calls whose text did not fit.
    other_errors: u64,
    /// Per host id, when the host is not part of the key.
    by_host: FxHashMap<u32, Timing>,
}

/// Stage timings of one (service, api).
#[derive(Clone, Debug, Default)]
struct StageStats {
    a: Timing,
    r: Timing,
    w: Timing,
}

/// How the Trace-Logs of the kept records read, piece by piece.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogCounts {
    /// Kept records with a Trace-Log.
    pub records_with_log: u64,
    /// Kept records without one.
    pub records_without_log: u64,
    /// Kept records whose header or Trace-Log could not be read.
    pub records_invalid_log: u64,
    /// Elements read.
    pub elements: u64,
    /// Own elements' pieces (the record's own time to first header).
    pub own_pieces: u64,
    /// Calls to another module: the hops counted below.
    pub hop_pieces: u64,
    /// Stage pieces.
    pub stage_pieces: u64,
    /// Pieces outside the grammar.
    pub malformed_pieces: u64,
    /// Empty pieces.
    pub empty_pieces: u64,
}

impl LogCounts {
    fn merge(&mut self, o: &LogCounts) {
        self.records_with_log += o.records_with_log;
        self.records_without_log += o.records_without_log;
        self.records_invalid_log += o.records_invalid_log;
        self.elements += o.elements;
        self.own_pieces += o.own_pieces;
        self.hop_pieces += o.hop_pieces;
        self.stage_pieces += o.stage_pieces;
        self.malformed_pieces += o.malformed_pieces;
        self.empty_pieces += o.empty_pieces;
    }
}

/// Everything `hops` counts; merges with [`Hops::merge`].
#[derive(Clone, Debug, Default)]
pub struct Hops {
    names: Names,
    rows: FxHashMap<HopKey, HopStats>,
    stages: FxHashMap<(u32, u32), StageStats>,
    /// Piece counts.
    pub counts: LogCounts,
}

impl Hops {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Hops) {
        let remap: Vec<u32> = other.names.names.iter().map(|n| self.names.id(n)).collect();
        let map = |id: u32| {
            if id == u32::MAX {
                u32::MAX
            } else {
                remap[id as usize]
            }
        };
        for (key, stats) in other.rows {
            let key = HopKey {
                service: map(key.service),
                module: map(key.module),
                host: map(key.host),
                disk: key.disk,
            };
            let mine = self.rows.entry(key).or_default();
            mine.timing.merge(&stats.timing);
            mine.errors += stats.errors;
            mine.other_errors += stats.other_errors;
            for (text, n) in stats.error_texts {
                let text = map(text);
                if mine.error_texts.len() < MAX_ERROR_TEXTS || mine.error_texts.contains_key(&text)
                {
                    *mine.error_texts.entry(text).or_default() += n;
                } else {
                    mine.other_errors += n;
                }
            }
            for (host, timing) in stats.by_host {
                mine.by_host.entry(map(host)).or_default().merge(&timing);
            }
        }
        for ((service, api), stats) in other.stages {
            let mine = self.stages.entry((map(service), map(api))).or_default();
            mine.a.merge(&stats.a);
            mine.r.merge(&stats.r);
            mine.w.merge(&stats.w);
        }
        self.counts.merge(&other.counts);
    }

    /// Counts one kept record's Trace-Log.
    fn add(
        &mut self,
        rec: &Record<'_>,
        by: HopBy,
        index: Option<&DiskIndex>,
        scratch: &mut Scratch,
    ) {
        let raw = match tracelog::find(&rec.resp_header) {
            Found::Absent => {
                self.counts.records_without_log += 1;
                return;
            }
            Found::Invalid => {
                self.counts.records_invalid_log += 1;
                return;
            }
            Found::Value(raw) => raw,
        };
        self.counts.records_with_log += 1;
        let roles = Roles {
            service: &rec.service,
            host: rec.module_host.as_deref(),
        };
        let service = self.names.id(&rec.service);
        let trace = if by.disk { rec.trace_id() } else { None };
        let mut elements = 0usize;
        let Scratch { unescape, api } = scratch;
        let mut api_id = None;
        roles.visit(raw, unescape, |index_of_element, role, piece| {
            elements = elements.max(index_of_element + 1);
            let c = &mut self.counts;
            match (role, piece) {
                (Role::Empty, _) => c.empty_pieces += 1,
                (Role::Malformed, _) => c.malformed_pieces += 1,
                (Role::Own, _) => c.own_pieces += 1,
                (Role::Stage, Piece::Stage(stage)) => {
                    c.stage_pieces += 1;
                    let api_id = *api_id.get_or_insert_with(|| {
                        crate::dims::api_template(&rec.path, api);
                        self.names.id(api)
                    });
                    let s = self.stages.entry((service, api_id)).or_default();
                    s.a.record(stage.a_ms.saturating_mul(1000));
                    s.r.record(stage.r_ms.saturating_mul(1000));
                    s.w.record(stage.w_ms.saturating_mul(1000));
                }
                (Role::Hop, Piece::Call(call)) => {
                    c.hop_pieces += 1;
                    let module = self.names.id(call.module);
                    let host = self.names.id(call.host.unwrap_or(b"-"));
                    let disk = match (index, &trace) {
                        (Some(index), Some(trace)) => {
                            index.disk_of(trace, call.module, call.host, call.us())
                        }
                        _ => DISK_NONE,
                    };
                    let key = HopKey {
                        service,
                        module,
                        host: if by.host { host } else { u32::MAX },
                        disk: if by.disk { disk } else { DISK_NONE },
                    };
                    let row = self.rows.entry(key).or_default();
                    row.timing.record(call.us());
                    if !by.host && call.host.is_some() {
                        row.by_host.entry(host).or_default().record(call.us());
                    }
                    if let Some(err) = call.err {
                        row.errors += 1;
                        let text = self.names.id(err);
                        if row.error_texts.len() < MAX_ERROR_TEXTS
                            || row.error_texts.contains_key(&text)
                        {
                            *row.error_texts.entry(text).or_default() += 1;
                        } else {
                            row.other_errors += 1;
                        }
                    }
                }
                // Roles follow pieces: a stage role is a stage piece, a hop a call.
                (Role::Stage | Role::Hop, _) => c.malformed_pieces += 1,
            }
        });
        self.counts.elements += elements as u64;
    }
}

/// Buffers a sink reuses for every record.
#[derive(Default)]
struct Scratch {
    unescape: Vec<u8>,
    api: Vec<u8>,
}

/// One downstream record: its own element's duration (us), and its disk.
type Downstream = (Option<u64>, u64);

/// The downstream records of every trace, for `--by disk`: (trace id, service, host) -> the
/// disks those records name, with their own element's duration.
#[derive(Debug, Default)]
pub struct DiskIndex {
    map: FxHashMap<Box<[u8]>, Vec<Downstream>>,
}

impl DiskIndex {
    fn key(trace: &[u8], service: &[u8], host: Option<&[u8]>) -> Vec<u8> {
        let mut key = Vec::with_capacity(trace.len() + service.len() + 24);
        key.extend_from_slice(trace);
        key.push(0);
        key.extend_from_slice(service);
        key.push(0);
        key.extend_from_slice(host.unwrap_or(b"-"));
        key
    }

    fn add(&mut self, rec: &Record<'_>, scratch: &mut Vec<u8>) {
        let Some(disk) = crate::dims::path_id(&rec.path, b"diskid") else {
            return;
        };
        let Some(trace) = rec.trace_id() else {
            return;
        };
        let host = crate::dims::host(rec);
        let mut own = None;
        if let Found::Value(raw) = tracelog::find(&rec.resp_header) {
            let roles = Roles {
                service: &rec.service,
                host: rec.module_host.as_deref(),
            };
            roles.visit(raw, scratch, |_, role, piece| {
                if let (Role::Own, Piece::Call(c), None) = (role, piece, own) {
                    own = Some(c.us());
                }
            });
        }
        let key = DiskIndex::key(&trace, &rec.service, host.as_deref());
        self.map
            .entry(key.into_boxed_slice())
            .or_default()
            .push((own, disk));
    }

    fn merge(&mut self, other: DiskIndex) {
        for (key, mut entries) in other.map {
            self.map.entry(key).or_default().append(&mut entries);
        }
    }

    /// The disk of a hop to `module` at `host` taking `us`, in trace `trace`.
    fn disk_of(&self, trace: &[u8], module: &[u8], host: Option<&[u8]>, us: u64) -> u64 {
        let Some(entries) = self.map.get(&DiskIndex::key(trace, module, host)[..]) else {
            return DISK_NONE;
        };
        if let Some(d) = single(entries.iter().map(|e| e.1)) {
            return d;
        }
        single(entries.iter().filter(|e| e.0 == Some(us)).map(|e| e.1)).unwrap_or(DISK_AMBIGUOUS)
    }

    /// Number of (trace, service, host) keys indexed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was indexed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The one value all of `values` have, if any.
fn single(mut values: impl Iterator<Item = u64>) -> Option<u64> {
    let first = values.next()?;
    values.all(|d| d == first).then_some(first)
}

/// A sink that counts lines like [`Tallier`] and the Trace-Log of every kept record.
/// It hands its counts to `out` when dropped, that is when the engine is done with it.
pub struct HopSink<'s> {
    tallier: Tallier<'s>,
    by: HopBy,
    index: Option<&'s DiskIndex>,
    hops: Hops,
    scratch: Scratch,
    out: &'s Mutex<Hops>,
}

impl<'s> HopSink<'s> {
    /// A sink for records kept by `spec`, grouping by `by`, joining disks from `index`.
    pub fn new(
        spec: &'s TallySpec,
        by: HopBy,
        index: Option<&'s DiskIndex>,
        out: &'s Mutex<Hops>,
    ) -> Self {
        HopSink {
            tallier: Tallier::new(spec),
            by,
            index,
            hops: Hops::default(),
            scratch: Scratch::default(),
            out,
        }
    }
}

impl LineSink for HopSink<'_> {
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        if let (true, Outcome::Record(rec)) = (self.tallier.line_kept(pos, raw, outcome), outcome) {
            self.hops.add(rec, self.by, self.index, &mut self.scratch);
        }
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tallier.block_done(file, chunk, lines);
    }
}

impl TallySink for HopSink<'_> {
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.tallier.tally
    }

    fn discard(&mut self) {
        self.hops = Hops::default();
    }
}

impl Drop for HopSink<'_> {
    // The engine merges the tallies it takes from its sinks; the hop counts go to the shared
    // collector here, once per rayon task, so the hot path stays lock-free.
    fn drop(&mut self) {
        let hops = std::mem::take(&mut self.hops);
        if let Ok(mut out) = self.out.lock() {
            out.merge(hops);
        }
    }
}

/// The first pass of `--by disk`: indexes every record that names a disk, kept or not.
pub struct DiskIndexSink<'s> {
    tallier: Tallier<'s>,
    index: DiskIndex,
    scratch: Vec<u8>,
    out: &'s Mutex<DiskIndex>,
}

impl<'s> DiskIndexSink<'s> {
    /// A sink counting with `spec` (whose filter should keep everything).
    pub fn new(spec: &'s TallySpec, out: &'s Mutex<DiskIndex>) -> Self {
        DiskIndexSink {
            tallier: Tallier::new(spec),
            index: DiskIndex::default(),
            scratch: Vec::new(),
            out,
        }
    }
}

impl LineSink for DiskIndexSink<'_> {
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        self.tallier.line_kept(pos, raw, outcome);
        if let Outcome::Record(rec) = outcome {
            self.index.add(rec, &mut self.scratch);
        }
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tallier.block_done(file, chunk, lines);
    }
}

impl TallySink for DiskIndexSink<'_> {
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.tallier.tally
    }

    fn discard(&mut self) {
        self.index = DiskIndex::default();
    }
}

impl Drop for DiskIndexSink<'_> {
    // As for HopSink: hand the index over once per task.
    fn drop(&mut self) {
        let index = std::mem::take(&mut self.index);
        if let Ok(mut out) = self.out.lock() {
            out.merge(index);
        }
    }
}

/// Latencies of a row, microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median (nearest rank, within 0.8%).
    pub p50: u64,
    /// 99th percentile (nearest rank, within 0.8%).
    pub p99: u64,
    /// Exact maximum.
    pub max: u64,
    /// Exact sum: the time spent in the hop.
    pub sum: u64,
    /// Exact mean, one decimal.
    pub mean: f64,
}

/// An error text and how often it came.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorText {
    /// The text after `/` (at most 32 bytes in CubeFS).
    pub text: String,
    /// Failed calls with it.
    pub count: u64,
}

/// The host under a row where the row spends the most time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopHost {
    /// `host:port`.
    pub host: String,
    /// Calls to it in this row.
    pub calls: u64,
    /// Time spent in calls to it, microseconds.
    pub sum_us: u64,
    /// Its p99, microseconds.
    pub p99_us: u64,
    /// Its max, microseconds.
    pub max_us: u64,
}

/// One ranked row: calls from `service` to `downstream`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HopRow {
    /// 1-based rank.
    pub rank: usize,
    /// The calling service (the record's).
    pub service: String,
    /// The module called.
    pub downstream: String,
    /// `service` (a server) or `step` (an internal step of one).
    pub downstream_kind: &'static str,
    /// The hop's host, with `--by host` (`-` without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The downstream disk, with `--by disk` (`-` not joinable, `?` ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    /// Calls.
    pub calls: u64,
    /// Failed calls (pieces with `/`).
    pub errors: u64,
    /// errors / calls.
    pub error_rate: f64,
    /// The most common error texts.
    pub top_errors: Vec<ErrorText>,
    /// Failed calls whose text was not kept (more than 64 distinct texts).
    pub other_errors: u64,
    /// Hop latencies, microseconds.
    pub latency_us: Latency,
    /// Without `host` in `--by`: the host where the row spends the most time (the largest
    /// sum; ties by max, then name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_host: Option<TopHost>,
}

/// Stage timings of one ACCESS api.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageRow {
    /// The service (ACCESS).
    pub service: String,
    /// The api template (`put`, `get`).
    pub api: String,
    /// Stage pieces counted.
    pub count: u64,
    /// Buffer allocation, microseconds.
    pub alloc_us: Latency,
    /// Reading (client on put, blobnodes on get), microseconds.
    pub read_us: Latency,
    /// Writing (blobnodes on put, client on get), microseconds.
    pub write_us: Latency,
}

/// The result of `bsaudit hops` (`bsaudit.hops/v1`).
#[derive(Clone, Debug, Serialize)]
pub struct HopsReport {
    /// Schema name and version.
    pub schema: &'static str,
    /// What was read.
    pub input: InputHealth,
    /// Key dimensions.
    pub by: Vec<&'static str>,
    /// How the Trace-Logs read.
    pub trace_logs: LogCounts,
    /// Rows before `--top`.
    pub hops_total: usize,
    /// Ranked rows.
    pub hops: Vec<HopRow>,
    /// Stage timings per (service, api), by service then api.
    pub stages: Vec<StageRow>,
}

/// Ranks the counts: server hops before internal steps, then by time spent (sum), max,
/// calls, and the key's names. `top` rows are kept (0 keeps all).
pub fn build(hops: &Hops, by: HopBy, input: InputHealth, top: usize) -> HopsReport {
    let n = &hops.names;
    let mut rows: Vec<(HopRow, Vec<u8>)> = hops
        .rows
        .iter()
        .map(|(key, stats)| {
            let module = n.name(key.module);
            let has_host = key.host != u32::MAX && n.name(key.host) != b"-";
            let kind = if has_host
                || tracelog::is_service_name(module)
                || stats.by_host.keys().any(|&h| n.name(h) != b"-")
            {
                "service"
            } else {
                "step"
            };
            let calls = stats.timing.hist.count();
            let mut texts: Vec<(&u32, &u64)> = stats.error_texts.iter().collect();
            texts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| n.name(*a.0).cmp(n.name(*b.0))));
            let top_host = (!by.host)
                .then(|| {
                    stats
                        .by_host
                        .iter()
                        .max_by(|(ha, a), (hb, b)| {
                            (a.sum_us, a.hist.max())
                                .cmp(&(b.sum_us, b.hist.max()))
                                .then_with(|| n.name(**hb).cmp(n.name(**ha)))
                        })
                        .map(|(&host, t)| TopHost {
                            host: n.text(host),
                            calls: t.hist.count(),
                            sum_us: u64::try_from(t.sum_us).unwrap_or(u64::MAX),
                            p99_us: t.hist.quantile(990),
                            max_us: t.hist.max(),
                        })
                })
                .flatten();
            let row = HopRow {
                rank: 0,
                service: n.text(key.service),
                downstream: n.text(key.module),
                downstream_kind: kind,
                host: by.host.then(|| n.text(key.host)),
                disk: by.disk.then(|| match key.disk {
                    DISK_NONE => "-".to_string(),
                    DISK_AMBIGUOUS => "?".to_string(),
                    d => d.to_string(),
                }),
                calls,
                errors: stats.errors,
                error_rate: if calls == 0 {
                    0.0
                } else {
                    stats.errors as f64 / calls as f64
                },
                top_errors: texts
                    .into_iter()
                    .take(TOP_ERRORS)
                    .map(|(&t, &count)| ErrorText {
                        text: n.text(t),
                        count,
                    })
                    .collect(),
                other_errors: stats.other_errors,
                latency_us: stats.timing.view(),
                top_host,
            };
            // Sort by bytes, not lossy text, so the order is total.
            let mut sort_key = n.name(key.service).to_vec();
            sort_key.push(0);
            sort_key.extend_from_slice(module);
            sort_key.push(0);
            if key.host != u32::MAX {
                sort_key.extend_from_slice(n.name(key.host));
            }
            sort_key.push(0);
            sort_key.extend_from_slice(&key.disk.to_be_bytes());
            (row, sort_key)
        })
        .collect();
    rows.sort_by(|(a, ka), (b, kb)| {
        (a.downstream_kind != "service")
            .cmp(&(b.downstream_kind != "service"))
            .then(b.latency_us.sum.cmp(&a.latency_us.sum))
            .then(b.latency_us.max.cmp(&a.latency_us.max))
            .then(b.calls.cmp(&a.calls))
            .then_with(|| ka.cmp(kb))
    });
    let total = rows.len();
    let keep = if top == 0 { total } else { top.min(total) };
    let hops_rows = rows
        .into_iter()
        .take(keep)
        .enumerate()
        .map(|(i, (mut row, _))| {
            row.rank = i + 1;
            row
        })
        .collect();
    let mut stages: Vec<(Vec<u8>, Vec<u8>, StageRow)> = hops
        .stages
        .iter()
        .map(|(&(service, api), s)| {
            (
                n.name(service).to_vec(),
                n.name(api).to_vec(),
                StageRow {
                    service: n.text(service),
                    api: n.text(api),
                    count: s.a.hist.count(),
                    alloc_us: s.a.view(),
                    read_us: s.r.view(),
                    write_us: s.w.view(),
                },
            )
        })
        .collect();
    stages.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    HopsReport {
        schema: "bsaudit.hops/v1",
        input,
        by: by.names(),
        trace_logs: hops.counts,
        hops_total: total,
        hops: hops_rows,
        stages: stages.into_iter().map(|(_, _, r)| r).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_block;

    fn line(module: &str, trace: &str, path: &str, log: &str, dur: u64) -> String {
        format!(
            "REQ\t{module}\t17640000066189256\tPOST\t{path}\t{{}}\t\t200\t{{\"Blobstore-Tracer-Traceid\":\"{trace}\",\"Trace-Log\":{log}}}\t\t0\t{dur}\n"
        )
    }

    fn hops_of(text: &str, by: HopBy, index: Option<&DiskIndex>) -> Hops {
        let spec = TallySpec::default();
        let out = Mutex::new(Hops::default());
        {
            let mut sink = HopSink::new(&spec, by, index, &out);
            scan_block(text.as_bytes(), 0, 0, 0, 1 << 20, &mut sink);
        }
        out.into_inner().expect("lock")
    }

    fn access_log() -> String {
        line(
            "ACCESS",
            "t1",
            "/put",
            r#"["PROXY@10.9.2.5:9600:2;CLUSTERMGR@10.9.1.2:9998:1","BLOBNODE@10.9.3.17:8889:40/disk is broken","net.r:1;BLOBNODE@10.9.3.15:8889:5","a_0_r_3_w_45","ACCESS:48"]"#,
            48_000,
        ) + &line(
            "BLOBNODE@10.9.3.17:8889",
            "t1",
            "/shard/put/diskid/233/vuid/1/bid/2",
            r#"["BLOBNODE@10.9.3.17:8889:40"]"#,
            40_000,
        ) + &line(
            "BLOBNODE@10.9.3.15:8889",
            "t1",
            "/shard/put/diskid/12/vuid/1/bid/2",
            r#"["net.r:1","BLOBNODE@10.9.3.15:8889:5"]"#,
            5_000,
        )
    }

    #[test]
    fn counts_every_piece_of_every_record() {
        let hops = hops_of(&access_log(), HopBy::default(), None);
        let c = hops.counts;
        assert_eq!(
            (
                c.records_with_log,
                c.elements,
                c.hop_pieces,
                c.own_pieces,
                c.stage_pieces
            ),
            (3, 8, 6, 3, 1)
        );
        let r = build(&hops, HopBy::default(), empty_health(), 0);
        let row = |svc: &str, down: &str| {
            r.hops
                .iter()
                .find(|h| h.service == svc && h.downstream == down)
                .unwrap_or_else(|| panic!("{svc} -> {down}"))
        };
        let bn = row("ACCESS", "BLOBNODE");
        assert_eq!(
            (bn.calls, bn.errors, bn.latency_us.sum, bn.latency_us.max),
            (2, 1, 45_000, 40_000)
        );
        assert_eq!(bn.top_errors[0].text, "disk is broken");
        assert_eq!(
            bn.top_host.as_ref().map(|s| s.host.as_str()),
            Some("10.9.3.17:8889")
        );
        assert_eq!(bn.rank, 1);
        assert_eq!(row("ACCESS", "CLUSTERMGR").latency_us.sum, 1000);
        assert_eq!(row("BLOBNODE", "net.r").downstream_kind, "step");
        // Steps rank after every server hop.
        let last_service = r.hops.iter().rposition(|h| h.downstream_kind == "service");
        let first_step = r.hops.iter().position(|h| h.downstream_kind == "step");
        assert!(last_service < first_step);
        assert_eq!(r.stages.len(), 1);
        assert_eq!(
            (r.stages[0].api.as_str(), r.stages[0].write_us.sum),
            ("put", 45_000)
        );
    }

    #[test]
    fn by_host_and_disk_join() {
        let text = access_log();
        let spec = TallySpec::default();
        let out = Mutex::new(DiskIndex::default());
        {
            let mut sink = DiskIndexSink::new(&spec, &out);
            scan_block(text.as_bytes(), 0, 0, 0, 1 << 20, &mut sink);
        }
        let index = out.into_inner().expect("lock");
        assert_eq!(index.len(), 2);
        let by = HopBy {
            host: true,
            disk: true,
        };
        let r = build(&hops_of(&text, by, Some(&index)), by, empty_health(), 0);
        let first = &r.hops[0];
        assert_eq!(
            (
                first.downstream.as_str(),
                first.host.as_deref(),
                first.disk.as_deref()
            ),
            ("BLOBNODE", Some("10.9.3.17:8889"), Some("233"))
        );
        assert!(r.hops.iter().any(|h| h.disk.as_deref() == Some("12")));
        assert!(
            r.hops
                .iter()
                .any(|h| h.downstream == "PROXY" && h.disk.as_deref() == Some("-"))
        );
    }

    #[test]
    fn disk_join_rules() {
        let mut index = DiskIndex::default();
        let key = DiskIndex::key(b"t", b"BLOBNODE", Some(b"h:1"));
        index.map.insert(
            key.into_boxed_slice(),
            vec![(Some(5000), 7), (Some(9000), 8)],
        );
        assert_eq!(index.disk_of(b"t", b"BLOBNODE", Some(b"h:1"), 9000), 8);
        assert_eq!(
            index.disk_of(b"t", b"BLOBNODE", Some(b"h:1"), 1000),
            DISK_AMBIGUOUS
        );
        assert_eq!(
            index.disk_of(b"t", b"BLOBNODE", Some(b"h:2"), 9000),
            DISK_NONE
        );
        assert_eq!(
            index.disk_of(b"u", b"BLOBNODE", Some(b"h:1"), 9000),
            DISK_NONE
        );
    }

    #[test]
    fn merge_equals_one_pass() {
        let text = access_log();
        let whole = build(
            &hops_of(&text, HopBy::default(), None),
            HopBy::default(),
            empty_health(),
            0,
        );
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut merged = hops_of(lines[0], HopBy::default(), None);
        merged.merge(hops_of(&lines[1..].concat(), HopBy::default(), None));
        let parts = build(&merged, HopBy::default(), empty_health(), 0);
        assert_eq!(whole.hops, parts.hops);
        assert_eq!(whole.trace_logs, parts.trace_logs);
    }

    #[test]
    fn by_parses() {
        assert_eq!(HopBy::parse("").ok(), Some(HopBy::default()));
        assert_eq!(
            HopBy::parse("disk, HOST").ok(),
            Some(HopBy {
                host: true,
                disk: true
            })
        );
        assert!(HopBy::parse("host,host").is_err());
        assert!(HopBy::parse("api").is_err());
    }

    fn empty_health() -> InputHealth {
        InputHealth::of(&crate::summary::InputSummary::default(), false)
    }
}
