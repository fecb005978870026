//! Opening inputs and getting their bytes: memory-mapped windows, `pread` windows, or a
//! sequential stream (compressed files, live files, pipes, stdin).
//!
//! A closed plain file is read in windows so that every core can work on one big file and
//! resident memory stays bounded; a window reads its own bytes plus at most the rest of its
//! last line (up to `--max-line`), however long the lines are. A file that may change (the
//! newest of its directory, or one modified a moment ago) is never mapped but read with
//! `pread`; mappings of the others are guarded against SIGBUS ([`super::guard`]), because any
//! file can be truncated. Nothing past the length a file had when opened is read.
//!
//! A file is opened only if its path still names the file that was listed (device and
//! inode), and [`changes_after_read`] checks afterwards that it did not shrink or move, so that
//! rotation and truncation under a scan are reported, never silently counted as something
//! else. Compression is recognised by magic bytes, not by name; [`super::decode`] keeps every
//! byte decoded before a fault.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use memchr::{memchr, memrchr};
use memmap2::{Advice, MmapOptions};

use super::decode::{GzipReader, ZstdReader};
use super::discover::{FileId, InputFile, InputKind};
use super::guard::{self, GuardedMap};

/// Called with the number of raw (on-disk) bytes each time a stream reads some.
pub type OnRead = Arc<dyn Fn(u64) + Send + Sync>;

/// Files shorter than this are read with `pread` even when they could be mapped: for a small
/// file, setting up a mapping, advising it and tearing it down again (which, with worker
/// threads, means a TLB shootdown on every core) costs more than copying its bytes. Measured on
/// 10,000 files of 100 KiB (`benches/compare.sh --variants small`).
pub const MMAP_MIN: u64 = 1024 * 1024;

/// Compression of an input, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    Plain,
    /// gzip (`1f 8b`), every member decoded.
    Gzip,
    /// zstd (`28 b5 2f fd`), every frame decoded.
    Zstd,
}

/// Recognises compression by magic bytes.
pub fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::Plain
    }
}

/// How an opened input will be read.
pub enum Opened {
    /// A plain regular file: read in parallel windows.
    Windows {
        /// The open file, shared by the window tasks.
        file: Arc<File>,
        /// Its length when opened; nothing beyond is read.
        len: u64,
    },
    /// Read front to back by one reader.
    Stream {
        /// Decoded bytes.
        reader: Box<dyn Read + Send>,
        /// What the bytes were before decoding.
        compression: Compression,
        /// The open file and its length when opened (none for stdin), for the checks after
        /// reading.
        file: Option<(Arc<File>, u64)>,
    },
}

impl Opened {
    /// The open file and its length when opened, if the input is a file.
    pub fn file(&self) -> Option<(&Arc<File>, u64)> {
        match self {
            Opened::Windows { file, len, .. } => Some((file, *len)),
            Opened::Stream { file, .. } => file.as_ref().map(|(f, len)| (f, *len)),
        }
    }
}

/// Why an input could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// It was deleted after it was listed.
    Vanished,
    /// The path names another file than the one listed (renamed away and replaced, or
    /// copied over); what it names now is not read.
    Replaced(String),
    /// Any other failure.
    Io(io::Error),
}

/// Opens an input and decides how to read it. Streams report raw bytes read to `on_read`.
/// A file is opened only if it is still the file that was listed (same device and inode).
pub fn open(input: &InputFile, on_read: OnRead) -> Result<Opened, OpenError> {
    open_inner(input, on_read, None).map(|(opened, _)| opened)
}

/// [`open`], and a whole file of 1 to `below - 1` bytes (not a byte range) is read into `buf`
/// by the read that tells a compressed file from a plain one, rather than by a read of its
/// first bytes and a second of all of them. Says whether `buf` then holds the whole of a
/// plain file, as many bytes as it had when opened: for a file of 100 KiB that saves one
/// system call in eight.
pub fn open_whole(
    input: &InputFile,
    on_read: OnRead,
    below: u64,
    buf: &mut Vec<u8>,
) -> Result<(Opened, bool), OpenError> {
    open_inner(input, on_read, Some((below, buf)))
}

fn open_inner(
    input: &InputFile,
    on_read: OnRead,
    whole: Option<(u64, &mut Vec<u8>)>,
) -> Result<(Opened, bool), OpenError> {
    let path = match &input.kind {
        InputKind::Stdin => {
            return stream(Counting::boxed(io::stdin(), on_read), None, None).map(|o| (o, false));
        }
        InputKind::Path(p) => p,
    };
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => OpenError::Vanished,
        _ => OpenError::Io(e),
    })?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if let Some(listed) = input.id
        && FileId::of(&meta) != listed
    {
        return Err(OpenError::Replaced(format!(
            "the path names another file than when it was listed (inode {} -> {}): renamed \
             away and replaced, or copied over",
            listed.ino,
            FileId::of(&meta).ino
        )));
    }
    if !meta.is_file() {
        // Discovery lists only regular files and stdin; anything else is refused, not read.
        return Err(OpenError::Replaced("no longer a regular file".to_string()));
    }
    let len = meta.len();
    let (compression, filled) = match whole {
        Some((below, buf)) if input.range.is_none() && (1..below).contains(&len) => {
            buf.clear();
            read_at_into(&file, buf, len as usize, 0).map_err(OpenError::Io)?;
            let compression = sniff(&buf[..buf.len().min(4)]);
            (
                compression,
                buf.len() as u64 == len && compression == Compression::Plain,
            )
        }
        _ => {
            let mut head = [0u8; 4];
            let got = read_at_full(&file, &mut head, 0).map_err(OpenError::Io)?;
            (sniff(&head[..got]), false)
        }
    };
    let file = Arc::new(file);
    if compression == Compression::Plain
        && let Some((0, end)) = input.range
    {
        // A file read from its start up to a line end: windows, as for a whole file.
        return Ok((
            Opened::Windows {
                file,
                len: end.min(len),
            },
            false,
        ));
    }
    if compression == Compression::Plain
        && let Some((start, end)) = input.range
    {
        // Only the new bytes of a file read before, as one stream; never past `end`.
        let end = end.max(start);
        let reader = Bounded {
            file: Arc::clone(&file),
            pos: start,
            remaining: end - start,
        };
        return stream(
            Counting::boxed(reader, on_read),
            Some(Compression::Plain),
            Some((file, end)),
        )
        .map(|o| (o, false));
    }
    if compression == Compression::Plain {
        return Ok((Opened::Windows { file, len }, filled));
    }
    // Compressed: one stream, never past the length at open.
    stream(
        Counting::boxed(prefix_reader(Arc::clone(&file), len), on_read),
        Some(compression),
        Some((file, len)),
    )
    .map(|o| (o, false))
}

/// What changed about a file while it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The open file is shorter than the `was` bytes it had when opened.
    Shrunk {
        /// Length when opened.
        was: u64,
        /// Length now.
        now: u64,
    },
    /// The path no longer names the file that was read: deleted, renamed away, or replaced.
    Moved(&'static str),
}

/// Checks, after reading, the open `file` (of `len` bytes when opened) against its path:
/// still as long, and still the file the path names. `len_now` is its length just after
/// reading when the caller already asked (else it is asked here). Stdin is never checked.
pub fn changes_after_read(
    input: &InputFile,
    file: &File,
    len: u64,
    len_now: Option<u64>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(now) = len_now.or_else(|| file.metadata().ok().map(|m| m.len()))
        && now < len
    {
        changes.push(Change::Shrunk { was: len, now });
    }
    if let (InputKind::Path(path), Some(id)) = (&input.kind, input.id) {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                changes.push(Change::Moved("deleted or renamed away while it was read"));
            }
            Ok(meta) if FileId::of(&meta) != id => {
                changes.push(Change::Moved("renamed away and replaced while it was read"));
            }
            _ => {}
        }
    }
    changes
}

/// A sequential reader of the first `len` bytes of a file: what was there when it was opened.
/// Used for compressed files, and to re-read a live file that shrank under parallel reads.
pub fn prefix_reader(file: Arc<File>, len: u64) -> Bounded {
    Bounded {
        file,
        pos: 0,
        remaining: len,
    }
}

/// Reads exactly the length a file had when opened, with `pread` (so it shares the file with
/// window tasks): later appends are not ours, and a file that ends early was truncated while we
/// read (copytruncate rotation), which is an error so that the file counts as partial rather
/// than silently short.
pub struct Bounded {
    file: Arc<File>,
    pos: u64,
    remaining: u64,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                Shrank {
                    at: self.pos,
                    len: self.pos + self.remaining,
                },
            ));
        }
        self.pos += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A file ended before the length it had when opened: it was truncated while being read.
#[derive(Debug)]
pub struct Shrank {
    /// Where it ended.
    pub at: u64,
    /// Its length when opened.
    pub len: u64,
}

impl std::fmt::Display for Shrank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "file shrank while being read: it ended at byte {} of the {} it had when opened \
             (truncated or rotated)",
            self.at, self.len
        )
    }
}

impl std::error::Error for Shrank {}

/// Passes reads through, reporting their sizes.
struct Counting<R> {
    inner: R,
    on_read: OnRead,
}

impl<R: Read + Send + 'static> Counting<R> {
    fn boxed(inner: R, on_read: OnRead) -> Box<dyn Read + Send> {
        Box::new(Counting { inner, on_read })
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_read)(n as u64);
        Ok(n)
    }
}

fn stream(
    raw: Box<dyn Read + Send>,
    known: Option<Compression>,
    file: Option<(Arc<File>, u64)>,
) -> Result<Opened, OpenError> {
    let (reader, compression) = decoded(raw, known).map_err(OpenError::Io)?;
    Ok(Opened::Stream {
        reader,
        compression,
        file,
    })
}

/// Wraps a raw byte stream in the decoder its magic bytes call for (or `known`'s), so that
/// reading it yields log text.
pub fn decoded(
    mut raw: Box<dyn Read + Send>,
    known: Option<Compression>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let mut head = Vec::with_capacity(4);
    let compression = match known {
        Some(c) => c,
        None => {
            // A pipe may deliver the magic bytes in pieces: read exactly four (or to the end).
            (&mut raw).take(4).read_to_end(&mut head)?;
            sniff(&head)
        }
    };
    let buffered = BufReader::with_capacity(256 * 1024, io::Cursor::new(head).chain(raw));
    let reader: Box<dyn Read + Send> = match compression {
        Compression::Plain => Box::new(buffered),
        Compression::Gzip => Box::new(GzipReader::new(buffered)),
        Compression::Zstd => Box::new(ZstdReader::new(buffered)?),
    };
    Ok((reader, compression))
}

/// `pread` until `buf` is full or the file ends; returns the bytes read.
pub fn read_at_full(file: &File, buf: &mut [u8], mut offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads `file` from `offset` into `buf` until it holds `need` bytes (byte `i` of `buf` being
/// byte `offset + i` of the file) or the file ends. The bytes go straight into the vector's
/// spare capacity: nothing is zeroed first.
fn read_at_into(file: &File, buf: &mut Vec<u8>, need: usize, offset: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    buf.reserve(need.saturating_sub(buf.len()));
    while buf.len() < need {
        let have = buf.len();
        let spare = &mut buf.spare_capacity_mut()[..need - have];
        let at = libc::off_t::try_from(offset + have as u64)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `spare` is memory the vector owns and nothing else refers to; `pread` writes
        // at most `spare.len()` bytes into it and reads nothing from it.
        let n =
            unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        match n {
            0 => break,
            n if n > 0 => {
                // SAFETY: the kernel initialised the `n <= spare.len()` bytes after `have`.
                unsafe { buf.set_len(have + n as usize) };
            }
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// The part of a file a window task owns: lines that start in `[lo, hi)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First byte offset owned.
    pub lo: u64,
    /// One past the last byte offset owned.
    pub hi: u64,
}

/// Splits `[0, len)` into windows of about `size` bytes.
pub fn windows(len: u64, size: u64) -> Vec<Window> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut lo = 0;
    while lo < len {
        let hi = (lo + size).min(len);
        out.push(Window { lo, hi });
        lo = hi;
    }
    out
}

/// The bytes of the lines a window owns, read from a mapping or into a buffer.
pub enum WindowBytes {
    /// A guarded mapping and the owned range inside it. If the mapping faulted (the file was
    /// truncated under it), what was read from it is garbage.
    Mapped(GuardedMap, std::ops::Range<usize>),
    /// The owned range inside the caller's buffer (which may be longer than what was read).
    Buffered(std::ops::Range<usize>),
}

/// What reading a window gave.
pub struct WindowRead {
    /// Where the owned lines are.
    pub bytes: WindowBytes,
    /// Bytes of the file in `[lo, hi)` that were there to read: every byte of the file is in
    /// exactly one window, so these sum to what was read of it, oversized lines included.
    pub counted: u64,
    /// The file ended before the length it had when opened: it shrank.
    pub short: bool,
}

/// Read past a window's end before looking for the end of its last line; extended (doubling)
/// only while that line has no LF and is not yet over the limit.
const OVERHANG: u64 = 64 * 1024;

/// Reads what window `w` of a file of length `len` owns: the lines that start in it. The last
/// one is read to its LF, or until it is longer than `max_line`: it then comes back as an
/// unterminated last line longer than the limit, which the scanner counts as oversized. So
/// no window reads more than about its size plus `max_line`, and the search for line
/// boundaries never leaves the window except for that one line. Returns the owned range
/// (possibly empty).
pub fn read_window(
    file: &File,
    len: u64,
    w: Window,
    max_line: usize,
    use_mmap: bool,
    buf: &mut Vec<u8>,
) -> io::Result<WindowRead> {
    let from = w.lo.saturating_sub(1);
    let (lo, hi) = (w.lo - from, w.hi - from);
    // The furthest a line owned by this window can need, to be known as oversized.
    let cap = (w.hi + max_line as u64 + 1).min(len);
    if use_mmap {
        // SAFETY: the mapping is registered with the SIGBUS guard before anything reads it,
        // so a truncation while it is read (an operator, or `copytruncate` on the file being
        // written) turns into zero pages and a flag the engine checks, not a crash, and the
        // engine then reads the file again with `pread`. Appends land past the mapped range,
        // which ends at the length the file had when opened. Deleting a mapped file (the
        // writer's `backup` setting) is harmless: the mapping keeps the inode.
        let map = unsafe {
            MmapOptions::new()
                .offset(from)
                .len((cap - from) as usize)
                .map(file)?
        };
        let _ = map.advise(Advice::Sequential);
        if let Some(map) = guard::protect(map) {
            let range = owned_range(&map, lo, hi).0;
            return Ok(WindowRead {
                bytes: WindowBytes::Mapped(map, range),
                counted: w.hi - w.lo,
                short: false,
            });
        }
        // No guard to be had: read it instead.
    }
    // The buffer is reused from window to window: its memory is kept, and `pread` writes into
    // its spare capacity, so it is never zeroed (which cost a pass over 9 MiB per thread).
    let mut to = (w.hi + OVERHANG).min(cap);
    buf.clear();
    loop {
        let need = (to - from) as usize;
        read_at_into(file, buf, need, from)?;
        let got = buf.len();
        let (range, complete) = owned_range(&buf[..got], lo, hi);
        let short = got < need;
        // The last line's end is not in what was read: read on, unless the file ends there or
        // the line is already known to be over the limit.
        let over = !complete && {
            let line =
                memrchr(b'\n', &buf[range.clone()]).map_or(range.start, |at| range.start + at + 1);
            got - line > max_line
        };
        if complete || short || to == cap || over {
            return Ok(WindowRead {
                bytes: WindowBytes::Buffered(range),
                counted: (from + got as u64).min(w.hi).saturating_sub(w.lo),
                short,
            });
        }
        to = (from + 2 * (to - from)).min(cap);
    }
}

/// Within `data` (which starts one byte before the window, unless the window starts the file),
/// the range from the first line starting at or after `lo` to the end of the last line
/// starting before `hi`, and whether that end is an LF (rather than the end of `data`).
/// Line starts are looked for only inside the window, so a window that lies inside one long
/// line costs its own length, not the line's.
fn owned_range(data: &[u8], lo: u64, hi: u64) -> (std::ops::Range<usize>, bool) {
    let (lo, hi) = (lo as usize, (hi as usize).min(data.len()));
    let start = if lo == 0 {
        0
    } else if lo > hi {
        return (hi..hi, true);
    } else {
        // data[lo - 1] is the byte before the window: a line starts at lo only after an LF,
        // and a line starting in the window follows an LF at lo - 1 ..= hi - 2.
        match memchr(b'\n', &data[lo - 1..hi.saturating_sub(1).max(lo - 1)]) {
            Some(at) => lo + at,
            None => return (hi..hi, true),
        }
    };
    if start >= hi {
        return (start..start, true);
    }
    // The last owned line is the one holding byte hi - 1; it ends at the next LF. `data`
    // reaches at most `max_line + 1` bytes past the window, so this search is bounded too.
    match memchr(b'\n', &data[hi - 1..]) {
        Some(at) => (start..hi + at, true),
        None => (start..data.len(), false),
    }
}

/// A block of whole lines from a stream.
pub struct Block {
    /// The bytes: whole lines, the last possibly unterminated at the end of the stream.
    pub data: Vec<u8>,
    /// Number of the block within its stream.
    pub seq: u32,
    /// Oversized lines skipped just before this block.
    pub skipped_before: u64,
    /// Stream bytes this block accounts for: its data and the oversized lines skipped before
    /// it, minus what it passes on to the next block. Summed over the blocks of a stream, every
    /// byte read.
    pub bytes: u64,
}

/// Cuts a byte stream into blocks of whole lines, skipping lines over the limit without
/// buffering them: at most about `block_size + max_line` bytes are held, however long a line
/// is. Read errors end the stream; [`BlockReader::error`] keeps the first one.
pub struct BlockReader<R> {
    inner: R,
    block_size: usize,
    max_line: usize,
    /// The unterminated line left over from the last block.
    carry: Vec<u8>,
    /// Dropping bytes up to the next LF: the rest of an oversized line.
    skipping: bool,
    /// Oversized lines to report before the next block.
    skipped: u64,
    seq: u32,
    done: bool,
    /// Bytes of [`BlockReader::bytes`] already handed out in blocks (or held in `carry`).
    attributed: u64,
    /// Bytes read so far (decoded), skipped ones included.
    pub bytes: u64,
    /// The error that ended the stream early, if any.
    pub error: Option<io::Error>,
}

impl<R: Read> BlockReader<R> {
    /// A reader emitting blocks of about `block_size` bytes.
    pub fn new(inner: R, block_size: usize, max_line: usize) -> Self {
        BlockReader {
            inner,
            block_size: block_size.max(1),
            max_line,
            carry: Vec::new(),
            skipping: false,
            skipped: 0,
            seq: 0,
            done: false,
            attributed: 0,
            bytes: 0,
            error: None,
        }
    }

    /// Reads once into `buf`'s spare room; returns bytes read, 0 at the end.
    fn read_some(&mut self, buf: &mut Vec<u8>, want: usize) -> usize {
        let old = buf.len();
        buf.resize(old + want, 0);
        loop {
            match self.inner.read(&mut buf[old..]) {
                Ok(n) => {
                    buf.truncate(old + n);
                    self.bytes += n as u64;
                    return n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(old);
                    self.error = Some(e);
                    return 0;
                }
            }
        }
    }

    /// Hands out `data` with the oversized lines skipped before it; `carry` holds the bytes
    /// read but passed on to the next block.
    fn emit(&mut self, data: Vec<u8>) -> Block {
        let held = self.carry.len() as u64;
        let bytes = self.bytes - self.attributed - held;
        self.attributed += bytes;
        let block = Block {
            data,
            seq: self.seq,
            skipped_before: std::mem::take(&mut self.skipped),
            bytes,
        };
        self.seq += 1;
        block
    }

    /// The next block, or `None` at the end of the stream.
    pub fn next_block(&mut self) -> Option<Block> {
        if self.done {
            return None;
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.reserve(self.block_size);
        // The carry holds no LF: the unterminated line starts at 0, and all of it was searched.
        let mut line_start = 0;
        loop {
            let room = self.block_size.saturating_sub(buf.len()).max(64 * 1024);
            let mut scan_from = buf.len();
            let n = self.read_some(&mut buf, room);
            if self.skipping {
                // Only the rest of an oversized line is in the buffer: drop it up to its LF.
                match memchr(b'\n', &buf[scan_from..]) {
                    Some(at) => {
                        buf.drain(..scan_from + at + 1);
                        self.skipping = false;
                        scan_from = 0;
                        line_start = 0;
                    }
                    None => buf.clear(),
                }
            }
            if n == 0 {
                self.done = true;
                if buf.is_empty() && self.skipped == 0 && self.bytes == self.attributed {
                    return None;
                }
                return Some(self.emit(buf));
            }
            if self.skipping {
                continue;
            }
            // Only the new bytes are searched, so a long line costs one pass, not one per read.
            if let Some(at) = memrchr(b'\n', &buf[scan_from..]) {
                line_start = scan_from + at + 1;
            }
            if buf.len() - line_start > self.max_line {
                // The unterminated line is already over the limit: drop it, and skip the rest
                // of it as it arrives. The whole lines before it go out now, so that the
                // oversized line is counted after them.
                buf.truncate(line_start);
                self.skipping = true;
                if line_start > 0 {
                    let block = self.emit(buf);
                    self.skipped = 1;
                    return Some(block);
                }
                self.skipped += 1;
                continue;
            }
            if buf.len() >= self.block_size && line_start > 0 {
                self.carry = buf[line_start..].to_vec();
                buf.truncate(line_start);
                return Some(self.emit(buf));
            }
        }
    }
}

impl<R: Read> Iterator for BlockReader<R> {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        self.next_block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(sniff(b"REQ\t"), Compression::Plain);
        assert_eq!(sniff(b""), Compression::Plain);
    }

    /// `open_whole` reads a small plain file whole in the read that sniffs it, and leaves
    /// compressed files, byte ranges and files at or above the bound to the general path.
    #[test]
    fn open_whole_reads_only_small_plain_files_whole() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        let text = b"REQ\tPROXY\t1764000000\tPOST\t/v\t\t\t200\t\t\t0\t12\n".repeat(10);
        let plain = dir.path().join("0-0");
        std::fs::write(&plain, &text).expect("write");
        let gz = dir.path().join("1-0.gz");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&gz).expect("create"),
            flate2::Compression::fast(),
        );
        enc.write_all(&text).expect("compress");
        enc.finish().expect("finish");
        let found = crate::input::discover::discover(&[InputKind::Path(dir.path().into())], false);
        let input = |name: &str| {
            let f = found.files.iter().find(|f| f.display.ends_with(name));
            f.expect("listed").clone()
        };
        let quiet: OnRead = Arc::new(|_| {});
        let mut buf = Vec::new();
        let mut open_it = |input: &InputFile, below: u64| {
            let (opened, whole) = open_whole(input, quiet.clone(), below, &mut buf).expect("opens");
            let read = whole.then(|| buf.clone());
            (
                matches!(opened, Opened::Windows { .. }),
                read.is_some_and(|b| b == text),
            )
        };
        assert_eq!(open_it(&input("0-0"), 1 << 20), (true, true));
        // At or above the bound, the file is left to windows.
        let len = text.len() as u64;
        assert_eq!(open_it(&input("0-0"), len), (true, false));
        assert_eq!(open_it(&input("0-0"), len + 1), (true, true));
        // Compressed: a stream, not taken as text.
        assert_eq!(open_it(&input("1-0.gz"), 1 << 20), (false, false));
        // A byte range (an incremental run's new bytes) is never read whole here.
        let mut ranged = input("0-0");
        ranged.range = Some((0, len / 2));
        assert_eq!(open_it(&ranged, 1 << 20), (true, false));
    }

    #[test]
    fn windows_cover_the_file() {
        assert_eq!(windows(0, 10), vec![]);
        assert_eq!(
            windows(25, 10),
            vec![
                Window { lo: 0, hi: 10 },
                Window { lo: 10, hi: 20 },
                Window { lo: 20, hi: 25 }
            ]
        );
    }

    /// Owned ranges of consecutive windows tile the data exactly, at line starts.
    #[test]
    fn owned_ranges_tile_lines() {
        let data = b"aaa\nbb\n\ncccccc\nd\neeeee";
        for size in 1..=data.len() as u64 + 1 {
            let mut joined = Vec::new();
            for w in windows(data.len() as u64, size) {
                let from = w.lo.saturating_sub(1) as usize;
                let r = owned_range(&data[from..], w.lo - from as u64, w.hi - from as u64).0;
                joined.extend_from_slice(&data[from + r.start..from + r.end]);
            }
            assert_eq!(&joined[..], &data[..], "window size {size}");
        }
    }

    /// Hands out at most `step` bytes per read, like a decoder or a pipe.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Lines as the scanner would see them: (short lines in order, oversized count).
    fn lines_seen(input: &[u8], block: usize, step: usize, max_line: usize) -> (Vec<String>, u64) {
        let mut short = Vec::new();
        let mut oversized = 0;
        let mut bytes = 0;
        let mut reader = BlockReader::new(Trickle(input, step), block, max_line);
        for (seq, b) in reader.by_ref().enumerate() {
            assert_eq!(b.seq as usize, seq);
            // Never much more than a block and a line in memory, however long the line.
            assert!(
                b.data.len() <= block + max_line + (64 << 10),
                "{}",
                b.data.len()
            );
            bytes += b.bytes;
            oversized += b.skipped_before;
            if b.data.is_empty() {
                continue;
            }
            let body = b.data.strip_suffix(b"\n").unwrap_or(&b.data);
            for line in body.split(|&c| c == b'\n') {
                if line.len() > max_line {
                    oversized += 1;
                } else {
                    short.push(String::from_utf8_lossy(line).into_owned());
                }
            }
        }
        assert_eq!(
            bytes,
            input.len() as u64,
            "every byte is accounted to a block"
        );
        assert_eq!(reader.bytes, input.len() as u64);
        (short, oversized)
    }

    #[test]
    fn block_reader_keeps_every_line() {
        let input = b"one\ntwo\nthree\n\nfour\nfive";
        let expected: Vec<String> = ["one", "two", "three", "", "four", "five"]
            .map(String::from)
            .into();
        for block in [1, 2, 5, 9, 64, 1 << 16] {
            for step in [1, 3, 7, 1000] {
                assert_eq!(
                    lines_seen(input, block, step, 100),
                    (expected.clone(), 0),
                    "{block}/{step}"
                );
            }
        }
    }

    #[test]
    fn block_reader_counts_oversized_lines_once() {
        let long = "x".repeat(300);
        let input = format!("ok\n{long}\nfine\n{long}\n{long}");
        let expected: Vec<String> = ["ok", "fine"].map(String::from).into();
        for block in [1, 16, 64, 250, 1000] {
            for step in [1, 13, 64, 5000] {
                assert_eq!(
                    lines_seen(input.as_bytes(), block, step, 100),
                    (expected.clone(), 3),
                    "{block}/{step}"
                );
            }
        }
    }
}
