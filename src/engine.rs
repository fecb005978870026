//! The scan driver: plans work over every input file and runs it on one rayon pool.
//!
//! Work items are windows of closed plain files (a big file becomes many items, so one 512 MiB
//! file keeps every core busy) and whole streams (compressed, live, stdin). A stream is read by
//! one reader, and its blocks are parsed in parallel while the reader fetches the next ones.
//! Each task fills its own tally; tallies merge at the end. Streams go first because they
//! cannot be split, then windows of the largest files.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;

use crate::input::discover::InputFile;
use crate::input::source::{self, BlockReader, OpenError, Opened, Window, WindowBytes};
use crate::scan::{LineSink, scan_block};
use crate::tally::{FileProblem, ProblemKind, Tallier, Tally, TallySpec};

/// Reports progress in bytes of input consumed (compressed bytes for compressed files).
pub type ProgressFn = source::OnRead;

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanSettings {
    /// Lines longer than this are skipped as oversized.
    pub max_line: usize,
    /// Window size for splitting closed files.
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

enum Work {
    /// A plain file, cut into windows that are scanned in parallel.
    Windows {
        file_idx: u32,
        file: Arc<File>,
        len: u64,
        live: bool,
    },
    /// A compressed file or a pipe, read front to back.
    Stream {
        file_idx: u32,
        reader: Box<dyn Read + Send>,
    },
}

impl Work {
    /// Scheduling order: streams first (they cannot be split, so they set the pace), then
    /// bigger files first.
    fn priority(&self) -> (u8, std::cmp::Reverse<u64>, u32) {
        match self {
            Work::Stream { file_idx, .. } => (0, std::cmp::Reverse(0), *file_idx),
            Work::Windows { file_idx, len, .. } => (1, std::cmp::Reverse(*len), *file_idx),
        }
    }
}

/// Scans every file for `spec`; every line of every file ends up in the returned tally.
pub fn scan(
    files: &[InputFile],
    spec: &TallySpec,
    settings: &ScanSettings,
    progress: &ProgressFn,
) -> Tally {
    let (mut work, problems) = plan(files, progress);
    work.sort_by_key(Work::priority);
    let mut tally = work
        .into_par_iter()
        .map(|item| run(item, spec, settings, progress))
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        });
    tally.problems.extend(problems);
    tally
}

/// Opens every file and cuts the work; files that cannot be opened become problems.
fn plan(files: &[InputFile], progress: &ProgressFn) -> (Vec<Work>, Vec<FileProblem>) {
    let now = SystemTime::now();
    let mut work = Vec::new();
    let mut problems = Vec::new();
    for (i, input) in files.iter().enumerate() {
        let file_idx = i as u32;
        match source::open(input, now, progress.clone()) {
            Ok(Opened::Windows { file, len, live }) => work.push(Work::Windows {
                file_idx,
                file,
                len,
                live,
            }),
            Ok(Opened::Stream { reader, .. }) => work.push(Work::Stream { file_idx, reader }),
            Err(OpenError::Vanished) => problems.push(FileProblem {
                file: file_idx,
                kind: ProblemKind::Vanished,
                message: "vanished before it could be opened".to_string(),
            }),
            Err(OpenError::Io(e)) => problems.push(FileProblem {
                file: file_idx,
                kind: ProblemKind::Skipped,
                message: crate::input::discover::io_reason(&e),
            }),
        }
    }
    (work, problems)
}

fn run(item: Work, spec: &TallySpec, settings: &ScanSettings, progress: &ProgressFn) -> Tally {
    match item {
        Work::Windows {
            file_idx,
            file,
            len,
            live,
        } => {
            let tally = scan_windows(
                file_idx,
                &file,
                len,
                !live && settings.use_mmap,
                spec,
                settings,
                progress,
            );
            if live && file.metadata().map_or(true, |m| m.len() < len) {
                // The file shrank while windows were read in parallel, so they may have seen
                // different versions of it. Count it again front to back: a consistent prefix.
                let reader = Box::new(source::prefix_reader(file, len));
                return scan_stream(file_idx, reader, spec, settings);
            }
            tally
        }
        Work::Stream { file_idx, reader } => scan_stream(file_idx, reader, spec, settings),
    }
}

/// Scans a file's windows in parallel; each task reuses one read buffer.
fn scan_windows(
    file_idx: u32,
    file: &File,
    len: u64,
    use_mmap: bool,
    spec: &TallySpec,
    settings: &ScanSettings,
    progress: &ProgressFn,
) -> Tally {
    source::windows(len, settings.chunk_size)
        .into_par_iter()
        .enumerate()
        .fold(
            || (Tallier::new(spec), Vec::new()),
            |(mut sink, mut buf), (seq, window)| {
                scan_window(
                    file_idx, file, len, window, seq as u32, use_mmap, settings, &mut sink,
                    &mut buf,
                );
                progress(window.hi - window.lo);
                (sink, buf)
            },
        )
        .map(|(sink, _)| sink.tally)
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        })
}

#[allow(clippy::too_many_arguments)]
fn scan_window(
    file_idx: u32,
    file: &File,
    len: u64,
    window: Window,
    seq: u32,
    use_mmap: bool,
    settings: &ScanSettings,
    sink: &mut Tallier<'_>,
    buf: &mut Vec<u8>,
) {
    let read =
        source::read_window(file, len, window, settings.max_line, use_mmap, buf).or_else(|_| {
            // A mapping can fail where a read works (some file systems): retry plainly.
            source::read_window(file, len, window, settings.max_line, false, buf)
        });
    match read {
        Ok(WindowBytes::Mapped(map, range)) => {
            sink.tally.bytes += range.len() as u64;
            scan_block(&map[range], file_idx, seq, 0, settings.max_line, sink);
        }
        Ok(WindowBytes::Buffered(range)) => {
            sink.tally.bytes += range.len() as u64;
            scan_block(&buf[range], file_idx, seq, 0, settings.max_line, sink);
        }
        Err(e) => {
            sink.block_done(file_idx, seq, 0);
            sink.tally.problems.push(FileProblem {
                file: file_idx,
                kind: ProblemKind::Partial,
                message: format!("read error at byte {}: {e}", window.lo),
            });
        }
    }
}

/// Reads a stream with one reader and parses its blocks in parallel.
fn scan_stream(
    file_idx: u32,
    reader: Box<dyn Read + Send>,
    spec: &TallySpec,
    settings: &ScanSettings,
) -> Tally {
    let mut blocks = BlockReader::new(reader, settings.block_size, settings.max_line);
    let mut tally = (&mut blocks)
        .par_bridge()
        .fold(
            || Tallier::new(spec),
            |mut inner, block| {
                inner.tally.bytes += block.data.len() as u64;
                scan_block(
                    &block.data,
                    file_idx,
                    block.seq,
                    block.skipped_before,
                    settings.max_line,
                    &mut inner,
                );
                inner
            },
        )
        .map(|inner| inner.tally)
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        });
    if let Some(e) = blocks.error {
        tally.problems.push(FileProblem {
            file: file_idx,
            kind: ProblemKind::Partial,
            message: format!("read stopped after {} bytes: {e}", blocks.bytes),
        });
    }
    tally
}
