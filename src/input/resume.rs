//! Where an earlier run stopped in a file, and whether it is still the same file.
//!
//! An incremental run (`--state`) remembers per file its device and inode, its size, a hash
//! of its first [`HEAD`] bytes and the offset up to which it consumed whole lines. This module
//! measures those things on the file system; [`crate::state`] decides what to read.

use std::fs::File;
use std::io;
use std::path::Path;

use memchr::memrchr;

use super::source::{Compression, read_at_full, sniff};

/// How many leading bytes identify a file's content.
pub const HEAD: usize = 4096;

/// What a file looks like now: enough to tell "grown", "same", "cut" and "replaced" apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Look {
    /// Size in bytes.
    pub size: u64,
    /// FNV-1a hash of the first `head_len` bytes.
    pub head_hash: u64,
    /// How many bytes were hashed: `min(size, HEAD)`.
    pub head_len: u64,
    /// Modification time (ns since the epoch), if known.
    pub mtime_ns: Option<i64>,
    /// Compressed (gzip or zstd magic).
    pub compressed: bool,
}

/// FNV-1a, 64 bits: stable across versions and machines, which a state file needs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Looks at the file at `path`.
pub fn look(path: &Path) -> io::Result<Look> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.len();
    let mut head = vec![0u8; HEAD.min(usize::try_from(size).unwrap_or(HEAD))];
    let got = read_at_full(&file, &mut head, 0)?;
    head.truncate(got);
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok());
    Ok(Look {
        size,
        head_hash: fnv1a(&head),
        head_len: got as u64,
        mtime_ns,
        compressed: sniff(&head) != Compression::Plain,
    })
}

/// The hash of the first `len` bytes of the file at `path` (fewer if it is shorter).
pub fn head_hash(path: &Path, len: u64) -> io::Result<(u64, u64)> {
    let file = File::open(path)?;
    let mut head = vec![0u8; usize::try_from(len.min(HEAD as u64)).unwrap_or(HEAD)];
    let got = read_at_full(&file, &mut head, 0)?;
    Ok((fnv1a(&head[..got]), got as u64))
}

/// The offset just past the last LF in `[start, end)` of the file at `path`, or `start` when
/// there is none: everything before it is whole lines, everything after an unterminated tail.
/// Reads backwards in blocks, so a long tail costs only its own length.
pub fn line_end(path: &Path, start: u64, end: u64) -> io::Result<u64> {
    let file = File::open(path)?;
    let mut buf = vec![0u8; 64 << 10];
    let mut hi = end;
    while hi > start {
        let lo = hi.saturating_sub(buf.len() as u64).max(start);
        let want = usize::try_from(hi - lo).unwrap_or(buf.len());
        let got = read_at_full(&file, &mut buf[..want], lo)?;
        if let Some(i) = memrchr(b'\n', &buf[..got]) {
            return Ok(lo + i as u64 + 1);
        }
        hi = lo;
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_end_finds_the_last_lf_in_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let mut text = b"a\nbb\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100_000));
        std::fs::write(&p, &text).unwrap();
        assert_eq!(line_end(&p, 0, text.len() as u64).unwrap(), 5);
        assert_eq!(line_end(&p, 0, 4).unwrap(), 2);
        assert_eq!(line_end(&p, 5, text.len() as u64).unwrap(), 5);
        assert_eq!(line_end(&p, 2, 5).unwrap(), 5);
    }

    #[test]
    fn look_hashes_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello\n").unwrap();
        let l = look(&p).unwrap();
        assert_eq!((l.size, l.head_len), (6, 6));
        assert_eq!(l.head_hash, fnv1a(b"hello\n"));
        assert_eq!(head_hash(&p, 3).unwrap(), (fnv1a(b"hel"), 3));
        assert!(!l.compressed);
    }
}
