//! From bytes to classified lines.
//!
//! [`scan_block`] walks a block of whole lines with `memchr`, classifies each one
//! ([`classify`]: record, empty, malformed by reason, oversized, incomplete tail) and hands it to
//! a [`LineSink`]. Sinks decide what to keep: the tally counts, drill-down prints. Nothing here
//! allocates per line.

pub mod check;
pub mod delims;
pub mod json;
pub mod record;
pub mod text;
pub mod view;

use memchr::memchr;

pub use record::Record;

use crate::error::Malformed;

/// What a line turned out to be.
// The record variant is large, but an outcome lives on the stack for one line and is passed by
// reference; boxing it would allocate per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A parsed record.
    Record(Record<'a>),
    /// Only blanks.
    Empty,
    /// Not a record, for this reason.
    Malformed(Malformed),
    /// Longer than the line limit; not parsed.
    Oversized,
    /// The unterminated last line of a stream, not a valid record: usually still being written.
    IncompleteTail,
}

/// Where a line is: file number (in input order), chunk of that file, line within the chunk.
/// Ordering positions gives input order.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct LinePos {
    /// Index of the file in the ordered input list.
    pub file: u32,
    /// Index of the chunk (or streamed block) within the file.
    pub chunk: u32,
    /// Zero-based line number within the chunk.
    pub line: u64,
}

/// Receives every line of a block, in order.
pub trait LineSink {
    /// One line (without LF) and what it is.
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>);

    /// The block (file, chunk) held `lines` lines, counted from its first line.
    fn block_done(&mut self, file: u32, chunk: u32, lines: u64);

    /// A text record the block scanner's fast path checked ([`text::Fields`]): the same line
    /// as a [`LineSink::line`] with [`Outcome::Record`], which is what the default does. A sink
    /// that only counts can read the fields and skip building the record.
    #[inline(always)]
    fn text_record(&mut self, pos: LinePos, raw: &[u8], fields: &text::Fields<'_, '_>) {
        record_line(self, pos, raw, fields);
    }
}

/// Hands a checked text record to `sink` as [`LineSink::line`] with [`Outcome::Record`].
#[inline(always)]
pub fn record_line<S: LineSink + ?Sized>(
    sink: &mut S,
    pos: LinePos,
    raw: &[u8],
    fields: &text::Fields<'_, '_>,
) {
    // Every field of the record borrows the line: dropping it frees nothing, so it is not
    // dropped (the drop glue walks every `Cow`).
    let outcome = std::mem::ManuallyDrop::new(Outcome::Record(fields.record()));
    sink.line(pos, raw, &outcome);
}

/// Classifies one line, given without its LF. `is_tail` marks the unterminated last line of a
/// stream.
pub fn classify(line: &[u8], is_tail: bool, max_line: usize) -> Outcome<'_> {
    if line.len() > max_line {
        return Outcome::Oversized;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(first) = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
    else {
        return Outcome::Empty;
    };
    let parsed = if line[first] == b'{' {
        // NUL is checked first either way; the JSON fast path makes the search unneeded for
        // the lines it reads.
        json::parse_unless_binary(&line[first..], || memchr(0, line).is_some())
    } else if memchr(0, line).is_some() {
        Err(Malformed::Binary)
    } else {
        text::parse(line)
    };
    match parsed {
        Ok(rec) => Outcome::Record(rec),
        Err(_) if is_tail => Outcome::IncompleteTail,
        Err(reason) => Outcome::Malformed(reason),
    }
}

/// Bytes handed to the line cutter at a time (extended to the next LF): the unit in which a
/// JSON writer is told from a text one.
const SUB_BLOCK: usize = 64 * 1024;

/// Scans a block of lines. Every line but the last ends with LF; a last line without LF is the
/// tail of its stream (the caller only passes one at the real end of a file or stream).
/// `skipped_before` oversized lines, dropped by a streaming reader just before this block,
/// are reported first so that line numbers stay right.
pub fn scan_block<S: LineSink>(
    block: &[u8],
    file: u32,
    chunk: u32,
    skipped_before: u64,
    max_line: usize,
    sink: &mut S,
) {
    let mut pos = LinePos {
        file,
        chunk,
        line: 0,
    };
    for _ in 0..skipped_before {
        sink.line(pos, b"", &Outcome::Oversized);
        pos.line += 1;
    }
    let mut start = 0;
    while start < block.len() {
        // A piece of about SUB_BLOCK bytes that ends at an LF (or the end of the block), so
        // no line spans two pieces.
        let nominal = (start + SUB_BLOCK).min(block.len());
        let end = match memchr(b'\n', &block[nominal..]) {
            Some(at) => nominal + at + 1,
            None => block.len(),
        };
        let piece = &block[start..end];
        if piece.first() == Some(&b'{') || u32::try_from(piece.len()).is_err() {
            // A JSON-format writer: its lines hold no raw TABs, so noting them would be work
            // for nothing; find line ends only. (Also a piece of 4 GiB or more, a line that
            // long under a raised --max-line: TAB offsets are 32 bits.)
            scan_lines(piece, max_line, &mut pos, sink);
        } else {
            scan_piece(piece, max_line, &mut pos, sink);
        }
        start = end;
    }
    sink.block_done(file, chunk, pos.line);
}

/// Hands every line of `piece` to the sink through [`classify`].
fn scan_lines<S: LineSink>(piece: &[u8], max_line: usize, pos: &mut LinePos, sink: &mut S) {
    let mut start = 0;
    while start < piece.len() {
        let (line, next, is_tail) = match memchr(b'\n', &piece[start..]) {
            Some(at) => (&piece[start..start + at], start + at + 1, false),
            None => (&piece[start..], piece.len(), true),
        };
        prefetch_ahead(piece, start, next);
        sink.line(*pos, line, &classify(line, is_tail, max_line));
        pos.line += 1;
        start = next;
    }
}

/// Asks the CPU for the bytes [`delims::PREFETCH`] past `piece[from..to]`, one request per
/// 64 bytes, so that they are on their way when `memchr` reaches the line there: the JSON
/// path's counterpart of the text cutter's prefetch (1 GiB of JSON: 226 -> 213 ms).
#[inline(always)]
fn prefetch_ahead(piece: &[u8], from: usize, to: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let base = piece.as_ptr().wrapping_add(delims::PREFETCH);
        let mut at = from & !63;
        while at < to {
            // SAFETY: SSE is part of x86-64, so the instruction exists on every CPU this
            // builds for; a prefetch is a hint that never faults and reads nothing into the
            // program, so an address past the end of `piece` is harmless.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(at).cast::<i8>()) };
            at += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (piece, from, to);
}

/// Hands every line of `piece` to the sink, parsing text records from the TABs found while
/// the line was cut out ([`delims::for_each_line`]).
fn scan_piece<S: LineSink>(piece: &[u8], max_line: usize, pos: &mut LinePos, sink: &mut S) {
    delims::for_each_line(piece, |start, end, tabs| {
        let line = &piece[start..end];
        line_found(line, start, tabs, end == piece.len(), max_line, *pos, sink);
        pos.line += 1;
    });
}

/// [`classify`], shortened for the common case: a line that starts with `REQ<TAB>` and has a
/// record's number of TABs is parsed from the TABs already found (offsets in the piece; the
/// line starts at `line_start`), and handed to the sink. Everything else takes the general
/// path, which gives the same answer the long way.
#[inline(always)]
fn line_found<S: LineSink>(
    line: &[u8],
    line_start: usize,
    tabs: &delims::LineTabs,
    is_tail: bool,
    max_line: usize,
    pos: LinePos,
    sink: &mut S,
) {
    if line.len() <= max_line
        && !tabs.nul
        && (tabs.count == 11 || tabs.count == 13)
        && line.starts_with(b"REQ\t")
        && let Some(found) = tabs.kept()
    {
        // A trailing CR belongs to the last field and is not part of the record.
        let rec = line.strip_suffix(b"\r").unwrap_or(line);
        match text::Fields::check(rec, line_start as u32, found) {
            Ok(fields) => sink.text_record(pos, line, &fields),
            Err(_) if is_tail => sink.line(pos, line, &Outcome::IncompleteTail),
            Err(reason) => sink.line(pos, line, &Outcome::Malformed(reason)),
        }
        return;
    }
    sink.line(pos, line, &classify(line, is_tail, max_line));
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = "REQ\tPROXY\t17640000066189256\tPOST\t/volume/alloc\t\t\t200\t\t\t0\t12";

    #[derive(Default)]
    struct Collect(Vec<(u64, String)>, Vec<(u32, u32, u64)>);

    impl LineSink for Collect {
        fn line(&mut self, pos: LinePos, _raw: &[u8], outcome: &Outcome<'_>) {
            let what = match outcome {
                Outcome::Record(r) => format!("record {}", r.code),
                Outcome::Malformed(m) => m.as_str().to_string(),
                other => format!("{other:?}"),
            };
            self.0.push((pos.line, what));
        }
        fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
            self.1.push((file, chunk, lines));
        }
    }

    fn kinds(block: &str, max_line: usize) -> Vec<String> {
        let mut sink = Collect::default();
        scan_block(block.as_bytes(), 0, 0, 0, max_line, &mut sink);
        assert_eq!(sink.1, vec![(0, 0, sink.0.len() as u64)]);
        sink.0.into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn lines_and_tails() {
        assert_eq!(kinds("", 100), Vec::<String>::new());
        assert_eq!(kinds("\n", 100), ["Empty"]);
        assert_eq!(kinds(" \t\r\n\r\n", 100), ["Empty", "Empty"]);
        let crlf = format!("{REC}\r\n{REC}");
        assert_eq!(kinds(&crlf, 100), ["record 200", "record 200"]);
        let cut = format!("{REC}\n{}", &REC[..30]);
        assert_eq!(kinds(&cut, 100), ["record 200", "IncompleteTail"]);
        let junk = format!("junk\n{REC}\n");
        assert_eq!(kinds(&junk, 100), ["no_req", "record 200"]);
    }

    #[test]
    fn nul_and_oversized() {
        let padded = format!("\0\0\0{REC}\n\0\0\0\0\n");
        assert_eq!(kinds(&padded, 100), ["binary", "binary"]);
        let long = format!("{REC}\n{}\n{REC}\n", "x".repeat(101));
        assert_eq!(kinds(&long, 100), ["record 200", "Oversized", "record 200"]);
        // The limit is on the line without its LF: exactly max_line bytes is fine.
        let exact = format!("{}\n", "y".repeat(100));
        assert_eq!(kinds(&exact, 100), ["no_req"]);
    }

    fn arb_line() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let field = prop_oneof![
            Just(b"".to_vec()),
            Just(b"613".to_vec()),
            Just(b"17640000066189256".to_vec()),
            Just(b"x\ry".to_vec()),
            Just(b"\0".to_vec()),
            Just(b"\r".to_vec()),
            prop::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..8),
        ];
        let fields = prop::collection::vec(field, 10..16);
        prop_oneof![
            // Record-shaped: REQ + 11..15 more fields, some mutated.
            fields.prop_map(|f| {
                let mut line = b"REQ".to_vec();
                for x in f {
                    line.push(b'\t');
                    line.extend(x);
                }
                line
            }),
            Just(REC.as_bytes().to_vec()),
            Just(format!("prefix {REC}\r").into_bytes()),
            Just(format!("{REC}\r").into_bytes()),
            Just(b"  {\"req_type\":\"REQ\"}".to_vec()),
            prop::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..80),
        ]
    }

    proptest::proptest! {
        /// The block scanner's shortcut gives the same outcome as `classify` on every line.
        #[test]
        fn block_scan_agrees_with_classify(lines in proptest::collection::vec(arb_line(), 0..40),
                                           final_lf in proptest::bool::ANY, max_line in 1usize..200) {
            let mut block = lines.join(&b'\n');
            if final_lf && !lines.is_empty() {
                block.push(b'\n');
            }
            #[derive(Default)]
            struct Raw(Vec<(Vec<u8>, String)>);
            impl LineSink for Raw {
                fn line(&mut self, _: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
                    self.0.push((raw.to_vec(), format!("{outcome:?}")));
                }
                fn block_done(&mut self, _: u32, _: u32, _: u64) {}
            }
            let mut sink = Raw::default();
            scan_block(&block, 0, 0, 0, max_line, &mut sink);
            let mut expected = Vec::new();
            let mut parts: Vec<&[u8]> = block.split(|&b| b == b'\n').collect();
            let has_tail = !block.ends_with(b"\n");
            if !has_tail {
                parts.pop();
            }
            let n = parts.len();
            for (i, part) in parts.into_iter().enumerate() {
                if block.is_empty() {
                    break;
                }
                let is_tail = has_tail && i + 1 == n;
                expected.push((part.to_vec(), format!("{:?}", classify(part, is_tail, max_line))));
            }
            proptest::prop_assert_eq!(sink.0, expected);
        }
    }

    #[test]
    fn skipped_lines_come_first() {
        let mut sink = Collect::default();
        scan_block(format!("{REC}\n").as_bytes(), 2, 5, 2, 100, &mut sink);
        assert_eq!(sink.0.len(), 3);
        assert_eq!(sink.0[2], (2, "record 200".to_string()));
        assert_eq!(sink.1, vec![(2, 5, 3)]);
    }
}
