//! The scan driver: plans work over every input file and runs it on one rayon pool.
//!
//! A plain file is cut into windows that are scanned in parallel (so one 512 MiB file keeps
//! every core busy); a compressed file or a pipe is read by one reader whose blocks are parsed
//! in parallel while it fetches the next ones. Each task fills its own tally; tallies merge at
//! the end. Files are opened only when their turn comes, so a tree of thousands of files does
//! not run out of descriptors. [`scan_matches`] is the ordered variant for drill-down: same
//! reading, results handed over in input order.

use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use crate::input::decode::DecodeFault;
use crate::input::discover::{InputFile, InputKind};
use crate::input::source::{
    self, BlockReader, Change, OpenError, Opened, Shrank, Window, WindowBytes,
};
use crate::scan::{LinePos, LineSink, Outcome, scan_block};
use crate::tally::{FileProblem, ProblemKind, Tallier, Tally, TallySpec};

/// Reports progress in bytes of input consumed (compressed bytes for compressed files).
pub type ProgressFn = source::OnRead;

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanSettings {
    /// Lines longer than this are skipped as oversized.
    pub max_line: usize,
    /// Window size for splitting plain files.
    pub chunk_size: u64,
    /// Block size for streams.
    pub block_size: usize,
    /// Map closed files rather than `pread` them.
    pub use_mmap: bool,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            max_line: 1 << 20,
            chunk_size: 8 << 20,
            block_size: 4 << 20,
            use_mmap: true,
        }
    }
}

/// A sink that also keeps the tally of everything it saw: bytes, problems, line counts.
pub trait TallySink: LineSink + Send {
    /// The tally being filled.
    fn tally_mut(&mut self) -> &mut Tally;

    /// Scans one block of whole lines into this sink: every line is classified (see
    /// [`scan_block`]). A sink that can pass over most of a block unparsed (a substring search
    /// for a trace id) does its own walk instead, and then owns the line accounting.
    fn scan_bytes(&mut self, block: &[u8], pos: LinePos, skipped_before: u64, max_line: usize)
    where
        Self: Sized,
    {
        scan_block(block, pos.file, pos.chunk, skipped_before, max_line, self);
    }

    /// Forgets what this sink gathered besides its tally (which the engine drops itself): its
    /// input is being read again.
    fn discard(&mut self) {}
}

impl TallySink for Tallier<'_> {
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.tally
    }
}

/// Scans every file for `spec`; every line of every file read ends up in the returned tally.
/// Files last written before the window's start are not read (`OutsideWindow`).
pub fn scan(
    files: &[InputFile],
    spec: &TallySpec,
    settings: &ScanSettings,
    progress: &ProgressFn,
) -> Tally {
    scan_sinks(files, spec.filter.since_ns, settings, progress, &|| {
        Tallier::new(spec)
    })
}

/// [`scan`] with sinks made by `new_sink` (one per task); the tallies they fill are merged and
/// returned. Whatever else a sink gathers it hands over itself (see `hops` and `trace`).
pub fn scan_sinks<S: TallySink>(
    files: &[InputFile],
    since_ns: Option<i64>,
    settings: &ScanSettings,
    progress: &ProgressFn,
    new_sink: &(dyn Fn() -> S + Sync),
) -> Tally {
    let (mut order, skipped) = plan(files, since_ns);
    // Likely streams first (they cannot be split, so they set the pace), then bigger files.
    order.sort_by_key(|&i| {
        let f = &files[i as usize];
        (!looks_compressed(f), std::cmp::Reverse(f.len), i)
    });
    // Each worker keeps one sink for the small files it reads whole ([`scan_whole`]); every
    // other file gets sinks of its own, whose tallies come back to be merged.
    let mut tally = order
        .into_par_iter()
        .fold(
            || (Tally::default(), None::<S>),
            |(mut tally, mut shared), file_idx| {
                let read = scan_file(files, file_idx, new_sink, settings, progress, &mut shared);
                if let Some(file_tally) = read {
                    tally += file_tally;
                }
                (tally, shared)
            },
        )
        .map(|(mut tally, shared)| {
            if let Some(mut sink) = shared {
                tally += std::mem::take(sink.tally_mut());
            }
            tally
        })
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        });
    tally.problems.extend(skipped);
    tally
}

/// Which files to read, and which to pass over as wholly before the window: a file not written
/// since `since` holds no record starting at or after it (records are written after they
/// start). The newest file of a directory is always read.
fn plan(files: &[InputFile], since_ns: Option<i64>) -> (Vec<u32>, Vec<FileProblem>) {
    let mut order = Vec::new();
    let mut skipped = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match (since_ns, modified_ns(f)) {
            (Some(since), Some(m)) if m < since && !f.newest_in_dir && f.regular => {
                skipped.push(FileProblem {
                    file: i as u32,
                    kind: ProblemKind::OutsideWindow,
                    message: "last written before the window starts".to_string(),
                });
            }
            _ => order.push(i as u32),
        }
    }
    (order, skipped)
}

/// When a file was last written, in nanoseconds since the epoch, as listed.
pub fn modified_ns(f: &InputFile) -> Option<i64> {
    f.modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
}

fn looks_compressed(f: &InputFile) -> bool {
    matches!(&f.kind, InputKind::Path(p) if p.extension().is_some_and(|e| e == "gz" || e == "zst"))
}

fn open(files: &[InputFile], file_idx: u32, progress: &ProgressFn) -> Result<Opened, FileProblem> {
    source::open(&files[file_idx as usize], progress.clone()).map_err(|e| open_problem(file_idx, e))
}

/// What a file that could not be opened is reported as.
fn open_problem(file_idx: u32, e: OpenError) -> FileProblem {
    match e {
        OpenError::Vanished => FileProblem {
            file: file_idx,
            kind: ProblemKind::Vanished,
            message: "vanished before it could be opened: not read".to_string(),
        },
        OpenError::Replaced(why) => FileProblem {
            file: file_idx,
            kind: ProblemKind::Replaced,
            message: format!("{why}; not read"),
        },
        OpenError::Io(e) => FileProblem {
            file: file_idx,
            kind: ProblemKind::Skipped,
            message: crate::input::discover::io_reason(&e),
        },
    }
}

/// Opens, reads and checks one file: a small one whole into the worker's `shared` sink ([`scan_whole`], then
/// `None`), any other into sinks of its own, whose merged tally is returned.
fn scan_file<S: TallySink>(
    files: &[InputFile],
    file_idx: u32,
    new_sink: &(dyn Fn() -> S + Sync),
    settings: &ScanSettings,
    progress: &ProgressFn,
    shared: &mut Option<S>,
) -> Option<Tally> {
    // A small plain file (one window, not mapped) is read whole by the open itself.
    let below = source::MMAP_MIN.min(settings.chunk_size.max(1));
    let opened = WINDOW_BUF.with_borrow_mut(|buf| {
        source::open_whole(&files[file_idx as usize], progress.clone(), below, buf)
    });
    let (opened, whole) = match opened {
        Ok(o) => o,
        Err(e) => {
            let mut t = Tally::default();
            t.problems.push(open_problem(file_idx, e));
            return Some(t);
        }
    };
    if whole && let Opened::Windows { file, len } = &opened {
        scan_whole(
            files,
            file_idx,
            (file, *len),
            settings,
            progress,
            shared,
            new_sink,
        );
        return None;
    }
    let checked = opened.file().map(|(f, len)| (Arc::clone(f), len));
    let (mut tally, cut, len_now) = run(file_idx, opened, new_sink, settings, progress);
    if let Some((file, len)) = checked {
        let input = &files[file_idx as usize];
        let problems = file_checks(input, file_idx, (&file, len, len_now), &tally, cut);
        tally.problems.extend(problems);
    }
    Some(tally)
}

/// Scans a small plain file that [`source::open_whole`] read whole into this thread's buffer
/// into `shared`: a tally per file, merged later, cost more than such a file's lines
/// (histogram pages built and added, samples copied for every group).
fn scan_whole<S: TallySink>(
    files: &[InputFile],
    file_idx: u32,
    (file, len): (&File, u64),
    settings: &ScanSettings,
    progress: &ProgressFn,
    shared: &mut Option<S>,
    new_sink: &(dyn Fn() -> S + Sync),
) {
    let max_line = settings.max_line;
    WINDOW_BUF.with_borrow_mut(|buf| {
        let sink = shared.get_or_insert_with(new_sink);
        let t = sink.tally_mut();
        let at_start = (t.input.lines, t.bytes);
        t.bytes += len;
        sink.scan_bytes(buf, block_pos(file_idx, 0), 0, max_line);
        progress(len);
        let t = sink.tally_mut();
        let this = file_part(t, file_idx, at_start);
        let input = &files[file_idx as usize];
        // One read returned every byte the file had when opened, so it was not truncated
        // while it was read (a cut during the read makes the read short, and the general
        // path then reads and reports it); what is asked after reading is only whether its
        // path still names it.
        let found = file_checks(input, file_idx, (file, len, Some(len)), &this, false);
        t.problems.extend(found);
    });
}

/// Reads an opened file or stream; also says whether a window found the file cut, and the
/// length of a windowed file right after its windows were read (one `fstat` serves both the
/// re-read decision here and the checks after reading).
fn run<S: TallySink>(
    file_idx: u32,
    opened: Opened,
    new_sink: &(dyn Fn() -> S + Sync),
    settings: &ScanSettings,
    progress: &ProgressFn,
) -> (Tally, bool, Option<u64>) {
    match opened {
        Opened::Windows { file, len } => {
            let windowed = WindowedFile::new(file_idx, &file, len, settings);
            // The sinks are kept until the file is known not to have shrunk, so that a sink
            // which hands results over by itself can be told to drop them first.
            let mut sinks: Vec<S> = source::windows(len, settings.chunk_size)
                .into_par_iter()
                .enumerate()
                .fold(new_sink, |mut sink, (seq, window)| {
                    windowed.scan(window, seq as u32, settings, &mut sink, windowed.use_mmap);
                    progress(window.hi - window.lo);
                    sink
                })
                .collect();
            let cut = windowed.was_cut();
            let len_now = file.metadata().ok().map(|m| m.len());
            if cut || len_now.is_none_or(|now| now < len) {
                // The file shrank while windows were read in parallel (a mapping read zeros,
                // a read came up short, or it is shorter now), so they may have seen different
                // versions of it. Count it again front to back without a mapping: a
                // consistent prefix, reported as shrunk where it ends.
                sinks.iter_mut().for_each(TallySink::discard);
                drop(sinks);
                let reader = Box::new(source::prefix_reader(file, len));
                return (scan_stream(file_idx, reader, new_sink, settings), cut, None);
            }
            let tally = sinks
                .iter_mut()
                .map(|sink| std::mem::take(sink.tally_mut()))
                .fold(Tally::default(), |mut a, b| {
                    a += b;
                    a
                });
            (tally, false, len_now)
        }
        Opened::Stream { reader, .. } => {
            let tally = scan_stream(file_idx, reader, new_sink, settings);
            (tally, false, None)
        }
    }
}

/// What file `file_idx` gave to a tally that also holds other files, for the messages of the
/// checks after reading it: its lines and bytes since `at_start` (the tally's lines and bytes
/// before the file was read), and its problems.
fn file_part(total: &Tally, file_idx: u32, at_start: (u64, u64)) -> Tally {
    let mut this = Tally::default();
    this.input.lines = total.input.lines - at_start.0;
    this.bytes = total.bytes - at_start.1;
    this.problems = total
        .problems
        .iter()
        .filter(|p| p.file == file_idx)
        .cloned()
        .collect();
    this
}

/// "12 lines (3.1 KiB) read": what a file gave, for problem messages.
fn read_so_far(lines: u64, bytes: u64) -> String {
    format!(
        "{lines} line{} ({}) read",
        if lines == 1 { "" } else { "s" },
        crate::render::human_bytes(bytes)
    )
}

/// The checks around reading a file: shorter when opened than when listed, shorter after
/// reading than when opened (unless the read already said so), and whether its path still
/// names it. `opened` is the open file, its length when opened and, when known, its length
/// right after reading; `tally` holds what was read of it; `cut_seen` says a window read found
/// it cut.
fn file_checks(
    input: &InputFile,
    file_idx: u32,
    opened: (&File, u64, Option<u64>),
    tally: &Tally,
    cut_seen: bool,
) -> Vec<FileProblem> {
    let (file, len, len_now) = opened;
    let read = read_so_far(tally.input.lines, tally.bytes);
    let problem = |kind, message: String| FileProblem {
        file: file_idx,
        kind,
        message,
    };
    let mut out = Vec::new();
    if input.regular && len < input.len {
        out.push(problem(
            ProblemKind::Shrunk,
            format!(
                "shrank from {} to {len} bytes between listing and reading (truncated): the \
                 rest was gone before it could be read; {read}",
                input.len
            ),
        ));
    }
    let reported = tally
        .problems
        .iter()
        .any(|p| p.file == file_idx && p.kind == ProblemKind::Shrunk);
    let mut cut = cut_seen;
    for change in source::changes_after_read(input, file, len, len_now) {
        match change {
            Change::Shrunk { was, now } => {
                if !reported {
                    out.push(problem(
                        ProblemKind::Shrunk,
                        format!(
                            "shrank from {was} to {now} bytes while it was read (truncated): \
                             lines past the cut may be missing or from its new content; {read}"
                        ),
                    ));
                }
                cut = false;
            }
            Change::Moved(how) => out.push(problem(
                ProblemKind::Moved,
                format!("{how}; {read} from the open file, as it was when opened"),
            )),
        }
    }
    if cut && !reported {
        out.push(problem(
            ProblemKind::Shrunk,
            format!(
                "was cut while it was read (truncated, then written again): lines past the \
                 cut may be missing or from its new content; {read}"
            ),
        ));
    }
    out
}

/// A plain file being read in windows.
struct WindowedFile<'f> {
    file_idx: u32,
    file: &'f File,
    len: u64,
    use_mmap: bool,
    /// A window found the file shorter than when it was opened (a short read, or a mapping
    /// that faulted).
    cut: AtomicBool,
}

thread_local! {
    /// Each thread's buffer for `pread` windows: allocated and zeroed once, reused after.
    static WINDOW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<'f> WindowedFile<'f> {
    /// A file of `len` bytes, mapped window by window (the mapping guarded against truncation,
    /// see [`source::read_window`]) unless it is small ([`source::MMAP_MIN`]) or mapping is off.
    fn new(file_idx: u32, file: &'f File, len: u64, settings: &ScanSettings) -> Self {
        WindowedFile {
            file_idx,
            file,
            len,
            use_mmap: settings.use_mmap && len >= source::MMAP_MIN,
            cut: AtomicBool::new(false),
        }
    }

    /// Whether a window found the file cut short.
    fn was_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// Reads window `seq` (mapped if `mmap`) and scans the lines it owns into `sink`. Returns
    /// false when a mapping faulted because the file was truncated under it: what went into
    /// `sink` from this window is then garbage (zero pages), and the caller must throw it
    /// away and read again without a mapping.
    fn scan<S: TallySink>(
        &self,
        window: Window,
        seq: u32,
        settings: &ScanSettings,
        sink: &mut S,
        mmap: bool,
    ) -> bool {
        let (file_idx, max_line) = (self.file_idx, settings.max_line);
        WINDOW_BUF.with_borrow_mut(|buf| {
            let read = source::read_window(self.file, self.len, window, max_line, mmap, buf)
                .or_else(|_| {
                    // A mapping can fail where a read works (some file systems): retry plainly.
                    source::read_window(self.file, self.len, window, max_line, false, buf)
                });
            if read.as_ref().is_ok_and(|r| r.short) {
                self.cut.store(true, Ordering::Relaxed);
            }
            match read {
                Ok(r) => {
                    sink.tally_mut().bytes += r.counted;
                    match r.bytes {
                        WindowBytes::Mapped(map, range) => {
                            sink.scan_bytes(&map[range], block_pos(file_idx, seq), 0, max_line);
                            if map.faulted() {
                                self.cut.store(true, Ordering::Relaxed);
                                return false;
                            }
                        }
                        WindowBytes::Buffered(range) => {
                            sink.scan_bytes(&buf[range], block_pos(file_idx, seq), 0, max_line);
                        }
                    }
                }
                Err(e) => {
                    sink.block_done(file_idx, seq, 0);
                    sink.tally_mut().problems.push(FileProblem {
                        file: file_idx,
                        kind: ProblemKind::Partial,
                        message: format!("read error at byte {}: {e}", window.lo),
                    });
                }
            }
            true
        })
    }
}

/// Reads a stream with one reader and parses its blocks in parallel.
fn scan_stream<S: TallySink>(
    file_idx: u32,
    reader: Box<dyn Read + Send>,
    new_sink: &(dyn Fn() -> S + Sync),
    settings: &ScanSettings,
) -> Tally {
    let mut blocks = BlockReader::new(reader, settings.block_size, settings.max_line);
    let mut tally = (&mut blocks)
        .par_bridge()
        .fold(new_sink, |mut sink, block| {
            scan_stream_block(&block, file_idx, settings, &mut sink);
            sink
        })
        .map(|mut sink| std::mem::take(sink.tally_mut()))
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        });
    if let Some(e) = blocks.error {
        let problem = stream_problem(file_idx, tally.input.lines, blocks.bytes, &e);
        tally.problems.push(problem);
    }
    tally
}

fn scan_stream_block<S: TallySink>(
    block: &source::Block,
    file_idx: u32,
    settings: &ScanSettings,
    sink: &mut S,
) {
    sink.tally_mut().bytes += block.bytes;
    sink.scan_bytes(
        &block.data,
        block_pos(file_idx, block.seq),
        block.skipped_before,
        settings.max_line,
    );
}

/// The position of a block's first line.
fn block_pos(file: u32, chunk: u32) -> LinePos {
    LinePos {
        file,
        chunk,
        line: 0,
    }
}

/// The problem of a stream that ended with `e` after `lines` lines and `bytes` bytes of text:
/// a corrupt or truncated compressed stream, a file that shrank, or a read error.
fn stream_problem(file_idx: u32, lines: u64, bytes: u64, e: &std::io::Error) -> FileProblem {
    let read = read_so_far(lines, bytes);
    let inner = e.get_ref();
    let (kind, message) = if let Some(cut) = inner.and_then(|i| i.downcast_ref::<Shrank>()) {
        (ProblemKind::Shrunk, format!("{cut}; {read} up to there"))
    } else if let Some(fault) = inner.and_then(|i| i.downcast_ref::<DecodeFault>()) {
        (ProblemKind::Partial, format!("{fault}; {read} before it"))
    } else {
        (
            ProblemKind::Partial,
            format!("read error after {bytes} bytes: {e}; {read}"),
        )
    };
    FileProblem {
        file: file_idx,
        kind,
        message,
    }
}

/// The newest record start time found in the last bytes of the plain files: a cheap estimate
/// of the newest record of the input (records are written in about start order), used to
/// place a relative window before the scan. The scan then checks it.
///
/// Not every file's tail is read: a record is written after it starts, so a file last written
/// before the estimate so far cannot hold a newer start. The newest file of each directory is
/// read first; of the rest, only those written at or after what those gave (or of unknown
/// time). On rotated logs that is one tail per directory, where reading every tail had cost
/// more than the scan itself on a tree of many small files.
pub fn newest_estimate(files: &[InputFile], max_line: usize) -> Option<i64> {
    let plain = |f: &&InputFile| matches!(f.kind, InputKind::Path(_)) && !looks_compressed(f);
    let (first, rest): (Vec<&InputFile>, Vec<&InputFile>) =
        files.iter().filter(plain).partition(|f| f.newest_in_dir);
    let newest_of = |batch: &[&InputFile]| -> Option<i64> {
        batch
            .par_iter()
            .filter_map(|f| newest_in_tail(f, max_line))
            .max()
    };
    let so_far = newest_of(&first);
    let later: Vec<&InputFile> = rest
        .into_iter()
        .filter(|f| match (so_far, modified_ns(f)) {
            (Some(best), Some(m)) => m >= best,
            _ => true,
        })
        .collect();
    so_far.max(newest_of(&later))
}

/// The newest record start in the last 256 KiB of a plain file, if any.
fn newest_in_tail(f: &InputFile, max_line: usize) -> Option<i64> {
    const TAIL: u64 = 256 * 1024;
    let InputKind::Path(path) = &f.kind else {
        return None;
    };
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = [0u8; 4];
    let got = source::read_at_full(&file, &mut head, 0).ok()?;
    if source::sniff(&head[..got]) != source::Compression::Plain {
        return None;
    }
    let from = len.saturating_sub(TAIL);
    let mut buf = vec![0u8; (len - from) as usize];
    let got = source::read_at_full(&file, &mut buf, from).ok()?;
    buf.truncate(got);
    // Skip the first, probably cut, line unless the tail is the whole file.
    let start = if from == 0 {
        0
    } else {
        memchr::memchr(b'\n', &buf).map_or(buf.len(), |at| at + 1)
    };
    buf[start..]
        .split(|&b| b == b'\n')
        .filter_map(|line| match crate::scan::classify(line, false, max_line) {
            Outcome::Record(rec) => Some(rec.start_ns),
            _ => None,
        })
        .max()
}

/// A kept record, for drill-down: where it is, its text, and its fields.
#[derive(Clone, Debug)]
pub struct LineMatch {
    /// Position (chunk-relative until resolved by [`scan_matches`]).
    pub pos: LinePos,
    /// 1-based line number in its file (set by [`scan_matches`]).
    pub line: u64,
    /// The line as read, without LF and trailing CR.
    pub raw: Vec<u8>,
    /// The parsed record, owned.
    pub record: crate::scan::view::RecordView,
}

/// A sink that tallies like [`Tallier`] and also keeps every kept record.
struct MatchSink<'s> {
    tallier: Tallier<'s>,
    matches: Vec<LineMatch>,
}

impl LineSink for MatchSink<'_> {
    fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
        let kept = self.tallier.line_kept(pos, raw, outcome);
        if let (true, Outcome::Record(rec)) = (kept, outcome) {
            self.matches.push(LineMatch {
                pos,
                line: 0,
                raw: raw.strip_suffix(b"\r").unwrap_or(raw).to_vec(),
                record: crate::scan::view::RecordView::of(rec),
            });
        }
    }

    fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
        self.tallier.block_done(file, chunk, lines);
    }
}

impl TallySink for MatchSink<'_> {
    fn tally_mut(&mut self) -> &mut Tally {
        &mut self.tallier.tally
    }
}

/// Pieces scanned at a time per thread in [`scan_matches`]: enough to keep every core busy,
/// few enough that matches held before printing stay bounded.
const BATCH_PER_THREAD: usize = 2;

/// Scans files in input order and hands the kept records to `emit` in that order, with their
/// line numbers. Pieces of a file are scanned in parallel, a batch at a time. Stops early when
/// `emit` breaks. Returns the tally of what was read.
pub fn scan_matches(
    files: &[InputFile],
    spec: &TallySpec,
    settings: &ScanSettings,
    progress: &ProgressFn,
    emit: &mut dyn FnMut(&InputFile, Vec<LineMatch>) -> ControlFlow<()>,
) -> Tally {
    let (order, skipped) = plan(files, spec.filter.since_ns);
    let mut total = Tally::default();
    total.problems.extend(skipped);
    let batch = rayon::current_num_threads().max(1) * BATCH_PER_THREAD;
    for file_idx in order {
        let input = &files[file_idx as usize];
        let opened = match open(files, file_idx, progress) {
            Ok(o) => o,
            Err(problem) => {
                total.problems.push(problem);
                continue;
            }
        };
        let checked = opened.file().map(|(f, len)| (Arc::clone(f), len));
        let (lines_at_start, bytes_at_start) = (total.input.lines, total.bytes);
        let mut cut_seen = false;
        let mut lines_before = 0u64;
        let mut deliver = |mut sinks: Vec<MatchSink<'_>>, total: &mut Tally| -> ControlFlow<()> {
            let mut flow = ControlFlow::Continue(());
            for sink in &mut sinks {
                let lines: u64 = sink.tallier.tally.chunk_lines.iter().map(|c| c.2).sum();
                let mut matches = std::mem::take(&mut sink.matches);
                for m in &mut matches {
                    m.line = lines_before + m.pos.line + 1;
                }
                lines_before += lines;
                if flow.is_continue() && !matches.is_empty() {
                    flow = emit(input, matches);
                }
            }
            for sink in sinks {
                *total += sink.tallier.tally;
            }
            flow
        };
        let flow = match opened {
            Opened::Windows { file, len } => {
                let windowed = WindowedFile::new(file_idx, &file, len, settings);
                let windows = source::windows(len, settings.chunk_size);
                let mut flow = ControlFlow::Continue(());
                for (n, group) in windows.chunks(batch).enumerate() {
                    let sinks: Vec<MatchSink<'_>> = group
                        .par_iter()
                        .enumerate()
                        .map(|(k, &window)| {
                            let new_sink = || MatchSink {
                                tallier: Tallier::new(spec),
                                matches: Vec::new(),
                            };
                            let mut sink = new_sink();
                            let seq = (n * batch + k) as u32;
                            if !windowed.scan(window, seq, settings, &mut sink, windowed.use_mmap) {
                                // Truncated under the mapping: what it gave is garbage. Read
                                // the window again; the short read shows where the file ends.
                                sink = new_sink();
                                windowed.scan(window, seq, settings, &mut sink, false);
                            }
                            progress(window.hi - window.lo);
                            sink
                        })
                        .collect();
                    flow = deliver(sinks, &mut total);
                    if flow.is_break() {
                        break;
                    }
                }
                cut_seen = windowed.was_cut();
                flow
            }
            Opened::Stream { reader, .. } => {
                let mut blocks = BlockReader::new(reader, settings.block_size, settings.max_line);
                let mut flow = ControlFlow::Continue(());
                loop {
                    let group: Vec<_> = blocks.by_ref().take(batch).collect();
                    if group.is_empty() {
                        break;
                    }
                    let sinks: Vec<MatchSink<'_>> = group
                        .par_iter()
                        .map(|block| {
                            let mut sink = MatchSink {
                                tallier: Tallier::new(spec),
                                matches: Vec::new(),
                            };
                            scan_stream_block(block, file_idx, settings, &mut sink);
                            sink
                        })
                        .collect();
                    flow = deliver(sinks, &mut total);
                    if flow.is_break() {
                        break;
                    }
                }
                if let Some(e) = &blocks.error {
                    let lines = total.input.lines - lines_at_start;
                    let problem = stream_problem(file_idx, lines, blocks.bytes, e);
                    total.problems.push(problem);
                }
                flow
            }
        };
        if flow.is_break() {
            // Stopped early (--limit): the file was not read to its end, nothing to check.
            break;
        }
        if let Some((file, len)) = checked {
            let this = file_part(&total, file_idx, (lines_at_start, bytes_at_start));
            let problems = file_checks(input, file_idx, (&file, len, None), &this, cut_seen);
            total.problems.extend(problems);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover::{InputKind, discover};
    use std::time::SystemTime;

    #[test]
    fn files_written_before_the_window_are_passed_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let line = "REQ\tPROXY\t17640000066189256\tPOST\t/volume/alloc\t\t\t200\t\t\t0\t12\n";
        for name in ["0-0", "1-0", "2-0"] {
            std::fs::write(dir.path().join(name), line).expect("write");
        }
        let old = SystemTime::now() - std::time::Duration::from_secs(7200);
        for name in ["0-0", "1-0"] {
            let f = File::options()
                .write(true)
                .open(dir.path().join(name))
                .expect("open");
            f.set_modified(old).expect("mtime");
        }
        let found = discover(&[InputKind::Path(dir.path().to_path_buf())], false);
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        let since = hour_ago
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .ok();
        let (order, skipped) = plan(&found.files, since);
        // 0-0 and 1-0 were last written two hours ago; 2-0 is the newest and always read.
        assert_eq!(order, vec![2]);
        assert_eq!(skipped.len(), 2);
        let (order, skipped) = plan(&found.files, None);
        assert_eq!((order.len(), skipped.len()), (3, 0));
    }

    /// A sink that hands a line count over by itself when dropped, like `hops` and `trace`.
    struct Handing<'s> {
        tallier: Tallier<'s>,
        records: u64,
        out: &'s std::sync::Mutex<u64>,
    }

    impl LineSink for Handing<'_> {
        fn line(&mut self, pos: LinePos, raw: &[u8], outcome: &Outcome<'_>) {
            self.records += u64::from(self.tallier.line_kept(pos, raw, outcome));
        }
        fn block_done(&mut self, file: u32, chunk: u32, lines: u64) {
            self.tallier.block_done(file, chunk, lines);
        }
    }

    impl TallySink for Handing<'_> {
        fn tally_mut(&mut self) -> &mut Tally {
            &mut self.tallier.tally
        }
        fn discard(&mut self) {
            self.records = 0;
        }
    }

    impl Drop for Handing<'_> {
        fn drop(&mut self) {
            if let Ok(mut out) = self.out.lock() {
                *out += self.records;
            }
        }
    }

    #[test]
    fn a_file_that_shrank_is_counted_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0-0");
        let line = "REQ\tPROXY\t17640000066189256\tPOST\t/volume/alloc\t\t\t200\t\t\t0\t12\n";
        std::fs::write(&path, line.repeat(100)).expect("write");
        let file = std::sync::Arc::new(File::open(&path).expect("open"));
        // Opened as longer than it is now: it "shrank" while its windows were read, so it is
        // read again front to back, and what the windows' sinks gathered must not count.
        let len = (line.len() * 150) as u64;
        let settings = ScanSettings {
            chunk_size: 512,
            ..ScanSettings::default()
        };
        let spec = TallySpec::default();
        let out = std::sync::Mutex::new(0);
        let progress: ProgressFn = std::sync::Arc::new(|_| {});
        let opened = Opened::Windows { file, len };
        let new_sink = || Handing {
            tallier: Tallier::new(&spec),
            records: 0,
            out: &out,
        };
        let (tally, _, _) = run(0, opened, &new_sink, &settings, &progress);
        assert_eq!(tally.input.records, 100);
        assert_eq!(out.into_inner().expect("lock"), 100);
    }

    /// A file last written before the estimate from the newest files is not read: a record
    /// is written after it starts, so such a file cannot hold a newer one. (This one does, to
    /// show it was passed over; real files cannot.)
    #[test]
    fn newest_estimate_passes_over_files_written_before_it() {
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().expect("tempdir");
        let rec = |t: u64| format!("REQ\tPROXY\t{t}\tPOST\t/v\t\t\t200\t\t\t0\t12\n");
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let write = |name: &str, text: String, modified: SystemTime| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            let f = File::options().write(true).open(&path).expect("open");
            f.set_modified(modified).expect("set mtime");
        };
        write("0-0", rec(1_764_000_900), at(1_764_000_050));
        write("1-0", rec(1_764_000_300), at(1_764_000_400));
        write("2-0", rec(1_764_000_200), at(1_764_000_500));
        let found = discover(&[InputKind::Path(dir.path().to_path_buf())], false);
        // 2-0 is the newest (200); 1-0 was written at 400, after that, so it is read (300);
        // 0-0 was written at 50, before both, so its 900 is never seen.
        assert_eq!(
            newest_estimate(&found.files, 1 << 20),
            Some(1_764_000_300_000_000_000)
        );
    }

    #[test]
    fn newest_estimate_reads_tails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rec = |t: u64| format!("REQ\tPROXY\t{t}\tPOST\t/v\t\t\t200\t\t\t0\t12\n");
        std::fs::write(
            dir.path().join("0-0"),
            rec(1_764_000_000) + &rec(1_764_000_500),
        )
        .expect("write");
        std::fs::write(dir.path().join("1-0"), rec(1_764_000_100)).expect("write");
        let found = discover(&[InputKind::Path(dir.path().to_path_buf())], false);
        assert_eq!(
            newest_estimate(&found.files, 1 << 20),
            Some(1_764_000_500_000_000_000)
        );
    }
}
