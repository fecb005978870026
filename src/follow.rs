//! Following audit-log trees as they grow: which bytes of which files are new since the last
//! look, by file identity rather than by name.
//!
//! A [`Follower`] keeps one cursor per file (device and inode): where its whole lines end,
//! and a hash of its head. Each [`Follower::poll`] lists the trees again and returns the byte
//! ranges to read: whole lines only, so a line being written is read once it ends. The writer
//! of BlobStore starts a new `<index>-<offset>` chunk every so often and deletes the oldest;
//! an external logrotate may rename and create, or copy and truncate. A new file is read from
//! its start, a renamed one is found again by inode and goes on where it was, a truncated one
//! or one whose head changed is read again from its start, a vanished one is forgotten (its
//! records stay counted). Compressed files are the rotated copies of files already followed:
//! they are read only when the run starts from the beginning, and only once.

use std::collections::HashMap;
use std::path::Path;

use crate::input::discover::{self, FileId, InputFile, InputKind, Passed};
use crate::input::resume;

/// Where a followed file stands.
#[derive(Clone, Debug)]
struct Cursor {
    /// The name it had on the last look.
    display: String,
    /// Every line before this offset has been handed out.
    offset: u64,
    /// Hash of its first `head_len` bytes.
    head_hash: u64,
    /// How many bytes the hash covers (grows with the file up to [`resume::HEAD`]).
    head_len: u64,
    /// A compressed file: never read again.
    compressed: bool,
}

/// Something the user may want to know about the files followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A file appeared (or was there at the start).
    New(String),
    /// A file was renamed: from, to.
    Renamed(String, String),
    /// A file was cut or replaced in place and is read again from its start; why.
    Restarted(String, String),
    /// A file is gone; its records stay counted.
    Gone(String),
    /// A compressed file that is not read: a rotated copy of one followed.
    PassedCompressed(String),
    /// A file or tree that could not be looked at; why.
    Unreadable(String, String),
}

/// What one look found.
#[derive(Debug, Default)]
pub struct Poll {
    /// Files to read, each with the byte range of its new whole lines (or none: read whole).
    pub reads: Vec<InputFile>,
    /// What changed.
    pub events: Vec<Event>,
    /// Files followed now.
    pub files: usize,
    /// Bytes after the last LF of the files: lines still being written.
    pub pending_bytes: u64,
}

/// Follows the audit-log trees under some paths.
pub struct Follower {
    inputs: Vec<InputKind>,
    follow_links: bool,
    /// At the first look, read from the start of every file (else from its end).
    from_start: bool,
    /// Whether the first look was made.
    started: bool,
    cursors: HashMap<FileId, Cursor>,
}

impl Follower {
    /// A follower of `inputs`; the first poll starts at the end of every file unless
    /// `from_start`.
    pub fn new(inputs: Vec<InputKind>, follow_links: bool, from_start: bool) -> Follower {
        Follower {
            inputs,
            follow_links,
            from_start,
            started: false,
            cursors: HashMap::new(),
        }
    }

    /// Lists the trees and says what to read now; the cursors move past what it returns.
    pub fn poll(&mut self) -> Poll {
        let first = !self.started;
        self.started = true;
        let found = discover::discover(&self.inputs, self.follow_links);
        let mut out = Poll::default();
        for Passed { display, reason } in found.skipped {
            out.events.push(Event::Unreadable(display, reason));
        }
        let mut seen: HashMap<FileId, Cursor> = HashMap::with_capacity(self.cursors.len());
        for f in found.files {
            let (InputKind::Path(path), Some(id)) = (&f.kind, f.id) else {
                continue;
            };
            let path = path.clone();
            match self.look_at(&f, &path, id, first, &mut out) {
                Ok(Some(c)) => {
                    seen.insert(id, c);
                }
                Ok(None) => {}
                Err(e) => out.events.push(Event::Unreadable(
                    f.display.clone(),
                    discover::io_reason(&e),
                )),
            }
        }
        let mut gone: Vec<String> = self
            .cursors
            .iter()
            .filter(|(id, _)| !seen.contains_key(id))
            .map(|(_, c)| c.display.clone())
            .collect();
        gone.sort();
        out.events.extend(gone.into_iter().map(Event::Gone));
        out.files = seen.len();
        self.cursors = seen;
        out
    }

    /// One listed file: its new cursor, and what of it to read (pushed onto `out`).
    fn look_at(
        &self,
        f: &InputFile,
        path: &Path,
        id: FileId,
        first: bool,
        out: &mut Poll,
    ) -> std::io::Result<Option<Cursor>> {
        let now = resume::look(path)?;
        let prev = self.cursors.get(&id);
        if now.compressed {
            let read = prev.is_none() && first && self.from_start;
            if read {
                let mut whole = f.clone();
                whole.range = None;
                out.reads.push(whole);
            }
            if prev.is_none() {
                out.events.push(if read || first {
                    Event::New(f.display.clone())
                } else {
                    Event::PassedCompressed(f.display.clone())
                });
            }
            return Ok(Some(Cursor {
                display: f.display.clone(),
                offset: now.size,
                head_hash: now.head_hash,
                head_len: now.head_len,
                compressed: true,
            }));
        }
        let start = match prev {
            Some(c) if c.compressed => {
                // The same inode, no longer compressed: something rewrote it in place.
                out.events.push(Event::Restarted(
                    f.display.clone(),
                    "was compressed, now is not: read from its start".to_string(),
                ));
                0
            }
            Some(c) => {
                if c.display != f.display {
                    out.events
                        .push(Event::Renamed(c.display.clone(), f.display.clone()));
                }
                // `look` hashed the head it has now; only a file that was shorter than HEAD
                // needs its old prefix read again to be compared.
                let (hash, len) = if now.head_len == c.head_len {
                    (now.head_hash, now.head_len)
                } else {
                    resume::head_hash(path, c.head_len)?
                };
                if now.size < c.offset {
                    out.events.push(Event::Restarted(
                        f.display.clone(),
                        format!(
                            "truncated to {} bytes ({} were read): read from its start",
                            now.size, c.offset
                        ),
                    ));
                    0
                } else if len != c.head_len || hash != c.head_hash {
                    out.events.push(Event::Restarted(
                        f.display.clone(),
                        "its first bytes changed (replaced in place): read from its start"
                            .to_string(),
                    ));
                    0
                } else {
                    c.offset
                }
            }
            None => {
                out.events.push(Event::New(f.display.clone()));
                if first && !self.from_start {
                    // Start at the end, but at a line start: a line being written is read
                    // whole once it ends.
                    resume::line_end(path, 0, now.size)?
                } else {
                    0
                }
            }
        };
        let cut = if start < now.size {
            resume::line_end(path, start, now.size)?
        } else {
            start
        };
        if cut > start {
            let mut part = f.clone();
            part.len = cut;
            part.range = Some((start, cut));
            // Growing: read by pread, never mapped.
            part.newest_in_dir = true;
            out.reads.push(part);
        }
        out.pending_bytes += now.size.saturating_sub(cut);
        // The head hash covers what the file has now (up to HEAD), so a later copytruncate
        // and refill is told from growth.
        Ok(Some(Cursor {
            display: f.display.clone(),
            offset: cut,
            head_hash: now.head_hash,
            head_len: now.head_len,
            compressed: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ranges(p: &Poll) -> Vec<(String, Option<(u64, u64)>)> {
        let mut v: Vec<_> = p
            .reads
            .iter()
            .map(|f| {
                let name = f.display.rsplit('/').next().unwrap_or("").to_string();
                (name, f.range)
            })
            .collect();
        v.sort();
        v
    }

    fn append(path: &std::path::Path, text: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        f.write_all(text).unwrap();
    }

    #[test]
    fn starts_at_the_end_then_hands_out_whole_new_lines() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("audit.log");
        append(&a, b"one\ntwo\npart");
        let mut fol = Follower::new(vec![InputKind::Path(dir.path().into())], false, false);
        let p = fol.poll();
        assert!(p.reads.is_empty());
        assert_eq!(p.pending_bytes, 4);
        append(&a, b"ial\nthree");
        let p = fol.poll();
        assert_eq!(ranges(&p), vec![("audit.log".to_string(), Some((8, 16)))]);
        assert_eq!(p.pending_bytes, 5);
        let p = fol.poll();
        assert!(p.reads.is_empty());
    }

    #[test]
    fn from_start_reads_everything_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("audit.log");
        append(&a, b"one\ntwo\n");
        let mut fol = Follower::new(vec![InputKind::Path(dir.path().into())], false, true);
        assert_eq!(
            ranges(&fol.poll()),
            vec![("audit.log".to_string(), Some((0, 8)))]
        );
        assert!(fol.poll().reads.is_empty());
    }

    #[test]
    fn new_chunks_rename_truncate_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("audit.log");
        append(&a, b"one\n");
        let mut fol = Follower::new(vec![InputKind::Path(dir.path().into())], false, true);
        fol.poll();
        // rename + create: the old inode goes on where it was, the new file from 0.
        let moved = dir.path().join("audit.log.1");
        std::fs::rename(&a, &moved).unwrap();
        append(&moved, b"two\n");
        append(&a, b"three\n");
        let p = fol.poll();
        assert_eq!(
            ranges(&p),
            vec![
                ("audit.log".to_string(), Some((0, 6))),
                ("audit.log.1".to_string(), Some((4, 8))),
            ]
        );
        assert!(p.events.iter().any(|e| matches!(e, Event::Renamed(..))));
        // copytruncate: the same inode, shorter: read again from its start.
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&a)
            .unwrap();
        append(&a, b"4\n");
        let p = fol.poll();
        assert_eq!(ranges(&p), vec![("audit.log".to_string(), Some((0, 2)))]);
        assert!(p.events.iter().any(|e| matches!(e, Event::Restarted(..))));
        // deletion: forgotten, nothing to read.
        std::fs::remove_file(&moved).unwrap();
        let p = fol.poll();
        assert!(p.reads.is_empty());
        assert_eq!(p.files, 1);
        assert!(p.events.iter().any(|e| matches!(e, Event::Gone(_))));
    }

    #[test]
    fn compressed_files_are_read_once_and_only_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("audit.log.1.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"one\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let mut fol = Follower::new(vec![InputKind::Path(dir.path().into())], false, true);
        assert_eq!(
            ranges(&fol.poll()),
            vec![("audit.log.1.gz".to_string(), None)]
        );
        assert!(fol.poll().reads.is_empty());
        // One that appears later is a rotated copy of lines already read.
        let later = dir.path().join("audit.log.2.gz");
        std::fs::copy(&gz, &later).unwrap();
        let p = fol.poll();
        assert!(p.reads.is_empty());
        assert!(
            p.events
                .iter()
                .any(|e| matches!(e, Event::PassedCompressed(_)))
        );
    }
}
