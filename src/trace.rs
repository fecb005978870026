//! `bsaudit trace`: every record of one request, across all services, in start-time order.
//!
//! The search runs before any parsing: [`TraceSink`] looks for the trace ids as byte strings
//! (SIMD `memmem`) in each block the engine reads, counts the lines of the block (for line
//! numbers) and parses only the lines that hold an id; a block without one costs the search
//! and a newline count. The sinks hand their hits to a shared collector when the engine is
//! done with them, and [`build`] orders the records by start time and reads their Trace-Logs
//! into the serialisable [`TraceReport`] (`bsaudit.trace/v1`).

use std::sync::Mutex;

use memchr::memmem::Finder;
use serde::Serialize;

use crate::codes::CodeTable;
use crate::engine::TallySink;
use crate::filter::Filter;
use crate::input::discover::Discovery;
use crate::report::{InputHealth, Problem};
use crate::scan::{LinePos, LineSink, Outcome, Record, classify};
use crate::tally::Tally;
use crate::time::rfc3339;
use crate::tracelog::{LogView, Roles};

/// Bytes searched at a time, extended to the next LF, so that the newline count of a piece
/// runs while it is still in cache.
const PIECE: usize = 64 * 1024;

/// The ids to look for, ready to search.
pub struct Needles {
    ids: Vec<Vec<u8>>,
    finders: Vec<Finder<'static>>,
}

impl Needles {
    /// Searchers for `ids` (non-empty byte strings).
    pub fn new(ids: &[Vec<u8>]) -> Needles {
        Needles {
            ids: ids.to_vec(),
            finders: ids.iter().map(|id| Finder::new(id).into_owned()).collect(),
        }
    }

    /// The ids, as given.
    pub fn ids(&self) -> &[Vec<u8>] {
        &self.ids
    }
}

/// A line that holds an id and is a record of that trace.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Where (chunk-relative until resolved).
    pub pos: LinePos,
    /// Index of the id in [`Needles::ids`].
    pub trace: usize,
    /// Start time, for ordering.
    pub start_ns: i64,
    /// The line (without LF), parsed again for output.
    pub raw: Vec<u8>,
    /// Whether it was the unterminated last line of its file.
    pub is_tail: bool,
}

/// How much the search read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SearchCounts {
    /// Lines searched (every line of every file read).
    pub lines_searched: u64,
    /// Lines holding one of the ids somewhere: the only ones parsed.
    pub lines_with_id: u64,
    /// Records whose trace id is one of the ids (and that the filters keep).
    pub records_matched: u64,
}

/// What the sinks found, merged.
#[derive(Debug, Default)]
pub struct Found {
    /// Every hit, in no particular order.
    pub hits: Vec<Hit>,
    /// Counts.
    pub counts: SearchCounts,
}

/// A sink that searches blocks for trace ids before parsing anything; see the module docs.
/// It hands what it found to `out` when dropped.
pub struct TraceSink<'s> {
    needles: &'s Needles,
    filter: &'s Filter,
    tally: Tally,
    found: Found,
    starts: Vec<usize>,
    api_scratch: Vec<u8>,
    out: &'s Mutex<Found>,
}

impl<'s> TraceSink<'s> {
    /// A sink for `needles`, keeping the records `filter` keeps.
    pub fn new(needles: &'s Needles, filter: &'s Filter, out: &'s Mutex<Found>) -> Self {
        TraceSink {
            needles,
            filter,
            tally: Tally::default(),
            found: Found::default(),
            starts: Vec::new(),
            api_scratch: Vec::new(),
            out,
        }
    }

    /// A line that holds an id: parse it and keep it when it is a record of that trace.
    fn candidate(&mut self, pos: LinePos, line: &[u8], is_tail: bool, max_line: usize) {
        self.found.counts.lines_with_id += 1;
        let Outcome::Record(rec) = classify(line, is_tail, max_line) else {
            return;
        };
        let Some(trace) = self.trace_of(&rec) else {
            return;
        };
        if !self.filter.keeps(&rec, &mut self.api_scratch) {
            return;
        }
        self.found.counts.records_matched += 1;
        self.found.hits.push(Hit {
            pos,
            trace,
            start_ns: rec.start_ns,
            raw: line.strip_suffix(b"\r").unwrap_or(line).to_vec(),
            is_tail,
        });
    }

    fn trace_of(&self, rec: &Record<'_>) -> Option<usize> {
        let id = rec.trace_id()?;
        self.needles.ids.iter().position(|n| n[..] == *id)
    }
}

/// Newlines in `bytes` (memchr counts with SIMD).
fn count_lf(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl LineSink for TraceSink<'_> {
    // Only reached if the engine classifies lines itself; `scan_bytes` does not.
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        self.found.counts.lines_searched += 1;
        if let Outcome::Record(rec) = outcome
            && let Some(trace) = self.trace_of(rec)
            && self.filter.keeps(rec, &mut self.api_scratch)
        {
            self.found.counts.lines_with_id += 1;
            self.found.counts.records_matched += 1;
            self.found.hits.push(Hit {
                pos,
                trace,
                start_ns: rec.start_ns,
                raw: raw.strip_suffix(b"\r").unwrap_or(raw).to_vec(),
                is_tail: false,
            });
        }
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tally.chunk_lines.push((file, chunk, lines));
    }
}

impl TallySink for TraceSink<'_> {
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.tally
    }

    fn discard(&mut self) {
        self.found = Found::default();
    }

    fn scan_bytes(&mut self, block: &[u8], pos: LinePos, skipped_before: u64, max_line: usize) {
        // Lines of the block before the current piece (the stream reader's dropped oversized
        // lines come first).
        let mut lines = skipped_before;
        let mut start = 0;
        while start < block.len() {
            let nominal = (start + PIECE).min(block.len());
            let end = match memchr::memchr(b'\n', &block[nominal..]) {
                Some(at) => nominal + at + 1,
                None => block.len(),
            };
            let piece = &block[start..end];
            let mut starts = std::mem::take(&mut self.starts);
            starts.clear();
            for finder in &self.needles.finders {
                for at in finder.find_iter(piece) {
                    starts.push(memchr::memrchr(b'\n', &piece[..at]).map_or(0, |lf| lf + 1));
                }
            }
            starts.sort_unstable();
            starts.dedup();
            let mut counted = 0;
            for &line_start in &starts {
                lines += count_lf(&piece[counted..line_start]);
                counted = line_start;
                let (line, is_tail) = match memchr::memchr(b'\n', &piece[line_start..]) {
                    Some(at) => (&piece[line_start..line_start + at], false),
                    None => (&piece[line_start..], end == block.len()),
                };
                let at = LinePos { line: lines, ..pos };
                self.candidate(at, line, is_tail, max_line);
            }
            self.starts = starts;
            lines += count_lf(&piece[counted..]);
            if piece.last() != Some(&b'\n') {
                // The unterminated last line of the stream.
                lines += 1;
            }
            start = end;
        }
        self.found.counts.lines_searched += lines;
        self.block_done(pos.file, pos.chunk, lines);
    }
}

impl Drop for TraceSink<'_> {
    // The engine merges the tallies it takes from its sinks; the hits go to the shared
    // collector here, once per rayon task.
    fn drop(&mut self) {
        let found = std::mem::take(&mut self.found);
        if let Ok(mut out) = self.out.lock() {
            out.hits.extend(found.hits);
            let (a, b) = (&mut out.counts, found.counts);
            a.lines_searched += b.lines_searched;
            a.lines_with_id += b.lines_with_id;
            a.records_matched += b.records_matched;
        }
    }
}

/// What the search read, for `trace` (lines not holding an id are not classified, so there
/// are no record or malformed counts).
#[derive(Clone, Debug, Serialize)]
pub struct SearchInput {
    /// Files read (fully or in part).
    pub files: u64,
    /// Paths that could not be read.
    pub files_skipped: u64,
    /// Files read only in part.
    pub files_partial: u64,
    /// Files deleted before they could be opened.
    pub files_vanished: u64,
    /// Files passed over by the window.
    pub files_outside_window: u64,
    /// Bytes searched (after decompression).
    pub bytes: u64,
    /// The search's counts.
    #[serde(flatten)]
    pub counts: SearchCounts,
    /// Files not read in full.
    pub problems: Vec<Problem>,
}

impl SearchInput {
    /// From the merged tally's file facts and the search counts.
    pub fn of(health: &InputHealth, counts: SearchCounts) -> SearchInput {
        SearchInput {
            files: health.files,
            files_skipped: health.files_skipped,
            files_partial: health.files_partial,
            files_vanished: health.files_vanished,
            files_outside_window: health.files_outside_window,
            bytes: health.bytes,
            counts,
            problems: health.problems.clone(),
        }
    }
}

/// One record of a trace.
#[derive(Clone, Debug, Serialize)]
pub struct TraceRecord {
    /// Microseconds after the first record's start.
    pub offset_us: i64,
    /// Start time, RFC 3339.
    pub time: String,
    /// Duration, microseconds.
    pub duration_us: u64,
    /// Service.
    pub service: String,
    /// Serving host: module host, else the `Host` request header.
    pub host: Option<String>,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status code.
    pub code: u32,
    /// Its class.
    pub class: &'static str,
    /// What the code means (the code table's message), when known.
    pub message: Option<String>,
    /// Response length, bytes.
    pub resp_length: u64,
    /// File (as named on the command line or walked).
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The parsed Trace-Log.
    pub trace_log: LogView,
}

/// One trace.
#[derive(Clone, Debug, Serialize)]
pub struct TraceView {
    /// The id.
    pub trace_id: String,
    /// Start of the first record, RFC 3339 (`None` without records).
    pub start: Option<String>,
    /// From the first start to the last end, microseconds.
    pub span_us: u64,
    /// Records with a client or server error code.
    pub errors: u64,
    /// The records, by start time (ties in input order).
    pub records: Vec<TraceRecord>,
}

/// The result of `bsaudit trace`.
#[derive(Clone, Debug, Serialize)]
pub struct TraceReport {
    /// Schema name and version.
    pub schema: &'static str,
    /// What was searched.
    pub input: SearchInput,
    /// One per id, in the order given.
    pub traces: Vec<TraceView>,
}

/// Orders the hits of each id by start time and reads them for output.
pub fn build(
    needles: &Needles,
    mut found: Found,
    tally: &Tally,
    discovery: &Discovery,
    table: &CodeTable,
    health: &InputHealth,
) -> TraceReport {
    let index = tally.line_index();
    found.hits.sort_by_key(|h| (h.trace, h.start_ns, h.pos));
    let mut traces: Vec<TraceView> = needles
        .ids
        .iter()
        .map(|id| TraceView {
            trace_id: String::from_utf8_lossy(id).into_owned(),
            start: None,
            span_us: 0,
            errors: 0,
            records: Vec::new(),
        })
        .collect();
    let mut first_ns = vec![None::<i64>; traces.len()];
    let mut end_ns = vec![i64::MIN; traces.len()];
    for hit in &found.hits {
        let Outcome::Record(rec) = classify(&hit.raw, hit.is_tail, usize::MAX) else {
            continue;
        };
        let first = *first_ns[hit.trace].get_or_insert(rec.start_ns);
        let end = rec.start_ns.saturating_add(
            i64::try_from(rec.duration_us.saturating_mul(1000)).unwrap_or(i64::MAX),
        );
        end_ns[hit.trace] = end_ns[hit.trace].max(end);
        let class = table.class_of(rec.code);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let view = &mut traces[hit.trace];
        view.errors += u64::from(class.is_error());
        view.records.push(TraceRecord {
            offset_us: (rec.start_ns - first) / 1000,
            time: rfc3339(rec.start_ns),
            duration_us: rec.duration_us,
            service: text(&rec.service),
            host: crate::dims::host(&rec).as_deref().map(text),
            method: text(&rec.method),
            path: text(&rec.path),
            code: rec.code,
            class: class.as_str(),
            message: table.get(rec.code).map(|r| r.message.clone()),
            resp_length: rec.resp_len,
            file: discovery
                .files
                .get(hit.pos.file as usize)
                .map_or_else(|| "?".to_string(), |f| f.display.clone()),
            line: index.line_number(hit.pos),
            trace_log: LogView::of(
                &rec.resp_header,
                Roles {
                    service: &rec.service,
                    host: rec.module_host.as_deref(),
                },
            ),
        });
    }
    for (i, view) in traces.iter_mut().enumerate() {
        if let Some(first) = first_ns[i] {
            view.start = Some(rfc3339(first));
            view.span_us = u64::try_from((end_ns[i] - first) / 1000).unwrap_or(0);
        }
    }
    TraceReport {
        schema: "bsaudit.trace/v1",
        input: SearchInput::of(health, found.counts),
        traces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_block;

    fn rec(trace: &str, start: u64, path: &str) -> String {
        format!(
            "REQ\tBLOBNODE@10.9.3.17:8889\t{start}\tGET\t{path}\t{{}}\t\t200\t{{\"Blobstore-Tracer-Traceid\":\"{trace}\",\"Trace-Log\":[\"BLOBNODE:3\"]}}\t\t0\t3000\n"
        )
    }

    /// Runs the sink's own walk over `block` and the plain line scan, and returns both.
    fn both(block: &[u8], ids: &[&str], skipped_before: u64) -> ((Found, Tally), (Found, Tally)) {
        let ids: Vec<Vec<u8>> = ids.iter().map(|i| i.as_bytes().to_vec()).collect();
        let needles = Needles::new(&ids);
        let filter = Filter::default();
        let run = |fast: bool| {
            let out = Mutex::new(Found::default());
            let tally = {
                let mut sink = TraceSink::new(&needles, &filter, &out);
                let pos = LinePos {
                    file: 0,
                    chunk: 3,
                    line: 0,
                };
                if fast {
                    sink.scan_bytes(block, pos, skipped_before, 1 << 20);
                } else {
                    scan_block(block, 0, 3, skipped_before, 1 << 20, &mut sink);
                }
                std::mem::take(&mut sink.tally)
            };
            (out.into_inner().expect("lock"), tally)
        };
        (run(true), run(false))
    }

    fn places(f: &Found) -> Vec<(LinePos, usize)> {
        let mut v: Vec<_> = f.hits.iter().map(|h| (h.pos, h.trace)).collect();
        v.sort();
        v
    }

    #[test]
    fn search_finds_what_parsing_finds() {
        let mut block = String::new();
        block += &rec("aaaa", 17640000066189256, "/a");
        block += "junk with bbbb inside\n";
        block += &rec("bbbb", 17640000066189257, "/path/aaaa/in/path");
        block += "\n";
        block += &rec("aaaab", 17640000066189258, "/longer-id");
        block += &rec("aaaa", 17640000066189259, "/b");
        let tail = rec("bbbb", 17640000066189260, "/tail");
        block += tail.trim_end();
        let ((fast, fast_tally), (slow, slow_tally)) = both(block.as_bytes(), &["aaaa", "bbbb"], 2);
        assert_eq!(places(&fast), places(&slow));
        assert_eq!(fast.counts.records_matched, 4);
        assert_eq!(fast.counts.lines_searched, slow.counts.lines_searched);
        assert_eq!(fast.counts.lines_searched, 9);
        // Lines with an id: 6 hold one (the junk line and the longer id included).
        assert_eq!(fast.counts.lines_with_id, 6);
        assert_eq!(fast_tally.chunk_lines, slow_tally.chunk_lines);
        assert!(fast.hits.iter().any(|h| h.is_tail));
    }

    proptest::proptest! {
        /// On any mix of records, junk and blank lines, the search keeps the same records at
        /// the same places as parsing every line.
        #[test]
        fn search_equals_full_scan(lines in proptest::collection::vec(0u8..6, 0..200), tail in proptest::bool::ANY) {
            let mut block = String::new();
            for (i, kind) in lines.iter().enumerate() {
                block += &match kind {
                    0 => rec("id1", 17640000066189256 + i as u64, "/x"),
                    1 => rec("id2", 17640000066189256 + i as u64, "/x"),
                    2 => rec("other", 17640000066189256 + i as u64, "/id1"),
                    3 => "\n".to_string(),
                    4 => "id2 but not a record\n".to_string(),
                    _ => "x".repeat(i % 7) + "\n",
                };
            }
            if tail {
                block += "REQ\tcut id1";
            }
            let ((fast, ft), (slow, st)) = both(block.as_bytes(), &["id1", "id2"], 0);
            proptest::prop_assert_eq!(places(&fast), places(&slow));
            proptest::prop_assert_eq!(fast.counts.lines_searched, slow.counts.lines_searched);
            proptest::prop_assert_eq!(ft.chunk_lines, st.chunk_lines);
        }
    }
}
