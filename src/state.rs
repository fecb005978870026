//! The `--state` file of incremental runs: what each input file looked like when it was last
//! read, how far its whole lines were consumed, and the summary of what was read of it.
//!
//! The next run reads only what is new ([`decide`]): a file with the same identity (device,
//! inode, and the hash of the head it had) that is at least as long as its consumed offset is
//! read from that offset; one that is shorter or whose head changed was truncated or replaced,
//! and is read from the start, its earlier records kept; one that is gone keeps its counted
//! records; a new one is read whole. Compressed files are read whole whenever they change. The
//! unterminated tail of a file is never committed: it is read again (and counted for that
//! run's output only) until its line ends. The file is JSON with a schema name and written
//! through a temporary file and a rename.

use serde::{Deserialize, Serialize};

use crate::input::resume::Look;
use crate::summary::{Scope, Summary};

/// The schema name and version of a state file.
pub const SCHEMA: &str = "bsaudit.state/v1";

/// Everything an incremental run remembers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The node label the summaries carry.
    pub node: String,
    /// The scope every summary in it was made with; a run with another scope is refused.
    pub scope: Scope,
    /// Files seen on the last run.
    pub files: Vec<FileState>,
    /// The records of files that are gone, truncated or replaced since they were counted.
    pub retired: Option<Summary>,
}

/// One input file as it was last read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileState {
    /// Its path then (a renamed file is found again by identity).
    pub path: String,
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Size when last read.
    pub size: u64,
    /// FNV-1a of its first `head_len` bytes.
    pub head_hash: u64,
    /// Bytes hashed.
    pub head_len: u64,
    /// Modification time (ns), for compressed files.
    pub mtime_ns: Option<i64>,
    /// Compressed: read whole when it changes.
    pub compressed: bool,
    /// Bytes consumed: every line before it is counted in `summary`.
    pub offset: u64,
    /// Bytes after `offset` when last read: an unterminated line, read again next time.
    pub tail_len: u64,
    /// What was counted of it.
    pub summary: Summary,
}

/// What to do with a file on this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Never seen: read it whole.
    New,
    /// The same file, grown or not: read from this offset.
    Append(u64),
    /// A compressed file that did not change: keep its summary.
    Keep,
    /// A compressed file that changed: read it whole, replacing its summary.
    Replace,
    /// Truncated or replaced in place: keep what was counted, read it whole again; why.
    Restart(String),
}

impl State {
    /// An empty state for `scope`.
    pub fn new(node: &str, scope: Scope) -> State {
        State {
            schema: SCHEMA.to_string(),
            node: node.to_string(),
            scope,
            files: Vec::new(),
            retired: None,
        }
    }

    /// Reads a state file; a file of another kind or version is an error saying so.
    pub fn from_bytes(bytes: &[u8]) -> Result<State, String> {
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| format!("not a bsaudit state file ({e})"))?;
        match head.schema.as_deref() {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(format!(
                    "state file of schema {other:?}, this bsaudit reads {SCHEMA:?}"
                ));
            }
            None => return Err("not a bsaudit state file (no schema)".to_string()),
        }
        serde_json::from_slice(bytes).map_err(|e| format!("corrupt state file ({e})"))
    }

    /// The state as JSON.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut out = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        out.push(b'\n');
        Ok(out)
    }

    /// Adds the records of a file that no longer counts as itself.
    pub fn retire(&mut self, summary: &Summary) {
        match &mut self.retired {
            Some(r) => *r += summary,
            None => self.retired = Some(summary.clone()),
        }
    }
}

/// Decides what to read of a file that looks like `now`, given what it was (`prev`, found by
/// device and inode) and the hash of its current first `prev.head_len` bytes.
pub fn decide(prev: Option<&FileState>, now: &Look, head_now: Option<u64>) -> Action {
    let Some(prev) = prev else {
        return Action::New;
    };
    let same_head = head_now == Some(prev.head_hash);
    if prev.compressed || now.compressed {
        return if same_head && now.size == prev.size && now.mtime_ns == prev.mtime_ns {
            Action::Keep
        } else {
            Action::Replace
        };
    }
    if now.size < prev.offset {
        return Action::Restart(format!(
            "truncated ({} bytes, {} were read): read again from the start, the records \
             counted before are kept",
            now.size, prev.offset
        ));
    }
    if !same_head {
        return Action::Restart(
            "its first bytes changed (replaced in place): read again from the start, the \
             records counted before are kept"
                .to_string(),
        );
    }
    Action::Append(prev.offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::Dim;
    use crate::summary::FilterScope;

    fn scope() -> Scope {
        Scope {
            by: vec![Dim::Service, Dim::Code],
            errors_only: true,
            bucket_ns: 60_000_000_000,
            max_groups: 10,
            filter: FilterScope::default(),
        }
    }

    fn prev(size: u64, offset: u64, compressed: bool) -> FileState {
        FileState {
            path: "a".to_string(),
            dev: 1,
            ino: 2,
            size,
            head_hash: 7,
            head_len: 10,
            mtime_ns: Some(5),
            compressed,
            offset,
            tail_len: size - offset,
            summary: Summary::empty(scope()),
        }
    }

    fn look(size: u64, compressed: bool) -> Look {
        Look {
            size,
            head_hash: 0,
            head_len: 10,
            mtime_ns: Some(5),
            compressed,
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(None, &look(5, false), None), Action::New);
        let p = prev(100, 90, false);
        assert_eq!(
            decide(Some(&p), &look(120, false), Some(7)),
            Action::Append(90)
        );
        assert_eq!(
            decide(Some(&p), &look(90, false), Some(7)),
            Action::Append(90)
        );
        assert!(matches!(
            decide(Some(&p), &look(50, false), Some(7)),
            Action::Restart(_)
        ));
        assert!(matches!(
            decide(Some(&p), &look(120, false), Some(8)),
            Action::Restart(_)
        ));
        let z = prev(100, 100, true);
        assert_eq!(decide(Some(&z), &look(100, true), Some(7)), Action::Keep);
        assert_eq!(decide(Some(&z), &look(101, true), Some(7)), Action::Replace);
    }

    #[test]
    fn round_trip_and_foreign_files() {
        let mut s = State::new("n", scope());
        s.files.push(prev(3, 2, false));
        let back = State::from_bytes(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(back.files.len(), 1);
        assert_eq!(back.files[0].offset, 2);
        assert!(State::from_bytes(b"garbage").is_err());
        let other = br#"{"schema":"bsaudit.state/v9"}"#;
        assert!(State::from_bytes(other).unwrap_err().contains("v9"));
        assert!(
            State::from_bytes(br#"{"schema":"bsaudit.state/v1"}"#)
                .unwrap_err()
                .contains("corrupt")
        );
    }
}
