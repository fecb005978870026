//! Turning command-line paths into an ordered list of input files.
//!
//! Directories are walked recursively (`walkdir`), symlinks are not followed unless asked, and
//! the same file reached twice (two paths, a hard link, a symlink) is read once, by device and
//! inode. Walked files whose names are clearly not audit logs are ignored and counted; files
//! the user named are always read. Within a directory, rotated files come in the order of their
//! base-36 rotation index, so "first seen" and drill-down follow the writer's order.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use walkdir::WalkDir;

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A file system path.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// An input file, in the order it will be reported.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// What to open.
    pub kind: InputKind,
    /// How the file is named in messages and samples.
    pub display: String,
    /// Named on the command line (rather than found by walking).
    pub explicit: bool,
    /// Size when listed.
    pub len: u64,
    /// Last modification when listed.
    pub modified: Option<SystemTime>,
    /// Whether it is a regular file (pipes and devices are streamed).
    pub regular: bool,
    /// Newest file of its directory among the inputs: possibly being appended to.
    pub newest_in_dir: bool,
    /// Which file it was when listed (none for stdin): with `len` and `modified`, what the
    /// engine checks before and after reading, so that a file replaced, renamed away or cut
    /// meanwhile is reported rather than silently read as something else.
    pub id: Option<FileId>,
    /// Read only the bytes `[start, end)` of this plain file (an incremental run's new
    /// bytes; `start` is a line start). `None` reads the whole file.
    pub range: Option<(u64, u64)>,
}

/// A file's identity on its file system: a path can come to name another file (rename
/// rotation, copy over), an identity cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A path that was passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passed {
    /// The path as shown to the user.
    pub display: String,
    /// Why it was not read.
    pub reason: String,
}

/// What discovery found.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// Files to read, in order.
    pub files: Vec<InputFile>,
    /// Walked files that are not audit logs, or second paths to a file already listed.
    pub ignored: Vec<Passed>,
    /// Paths that could not be listed (missing, unreadable directory, symlink loop).
    pub skipped: Vec<Passed>,
}

/// The decoded rotation key of a file name `<index>-<offset>[suffix]` (both base 36), or
/// `None` if the name does not follow the writer's pattern.
pub fn rotation_key(name: &str) -> Option<(u64, u64)> {
    let (index, rest) = name.split_once('-')?;
    let base36 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if !base36(index) {
        return None;
    }
    let offset_len = rest
        .find(|c: char| !c.is_ascii_digit() && !c.is_ascii_lowercase())
        .unwrap_or(rest.len());
    let (offset, suffix) = rest.split_at(offset_len);
    if !suffix.is_empty() && !suffix.starts_with('.') {
        return None;
    }
    let index = u64::from_str_radix(index, 36).ok()?;
    let offset = u64::from_str_radix(offset, 36).ok()?;
    Some((index, offset))
}

/// Extensions that mark a walked file as something other than an audit log.
const NOT_LOG_EXTENSIONS: &[&str] = &[
    "tar", "tgz", "zip", "json", "yaml", "yml", "toml", "conf", "cfg", "ini", "md", "txt", "pid",
    "lock", "swp", "tmp", "py", "sh", "rs", "html", "csv", "png", "jpg", "pdf",
];

/// Whether a walked file's name says it may hold audit lines.
pub fn looks_like_log(name: &str) -> bool {
    if name.starts_with('.') {
        return false;
    }
    let base = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(name);
    if let Some((_, ext)) = base.rsplit_once('.')
        && NOT_LOG_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    {
        return false;
    }
    rotation_key(name).is_some()
        || base.ends_with(".log")
        || name.ends_with(crate::summary::file::EXTENSION)
        || name.to_ascii_lowercase().contains("audit")
}

/// Lists the files behind `inputs` (`-` is stdin), in report order.
pub fn discover(inputs: &[InputKind], follow_links: bool) -> Discovery {
    let mut out = Discovery::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    for input in inputs {
        let path = match input {
            InputKind::Stdin => {
                out.files.push(InputFile {
                    kind: InputKind::Stdin,
                    display: "<stdin>".to_string(),
                    explicit: true,
                    len: 0,
                    modified: None,
                    regular: false,
                    newest_in_dir: false,
                    id: None,
                    range: None,
                });
                continue;
            }
            InputKind::Path(p) => p,
        };
        match std::fs::metadata(path) {
            Err(e) => out.skipped.push(Passed {
                display: path.display().to_string(),
                reason: io_reason(&e),
            }),
            Ok(meta) if meta.is_dir() => walk(path, follow_links, &mut seen, &mut out),
            Ok(meta) if !meta.is_file() => out.skipped.push(Passed {
                display: path.display().to_string(),
                reason: special_reason(&meta),
            }),
            Ok(meta) => add_file(
                path,
                &meta,
                true,
                &mut seen,
                &mut out.files,
                &mut out.ignored,
            ),
        }
    }
    mark_newest(&mut out.files);
    out
}

fn walk(root: &Path, follow_links: bool, seen: &mut HashSet<(u64, u64)>, out: &mut Discovery) {
    let mut found: Vec<(PathBuf, Metadata)> = Vec::new();
    let walker = WalkDir::new(root).follow_links(follow_links);
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let display = e.path().unwrap_or(root).display().to_string();
                let reason = match (e.loop_ancestor(), e.io_error()) {
                    (Some(anc), _) => format!("symlink loop back to {}", anc.display()),
                    (None, Some(io)) => io_reason(io),
                    (None, None) => e.to_string(),
                };
                out.skipped.push(Passed { display, reason });
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let display = entry.path().display().to_string();
        if entry.path_is_symlink() && !follow_links {
            out.ignored.push(Passed {
                display,
                reason: "symlink (use --follow to read through links)".to_string(),
            });
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file() && !entry.path_is_symlink() {
            out.ignored.push(Passed {
                display,
                reason: "not a regular file".to_string(),
            });
            continue;
        }
        if !looks_like_log(&name) {
            out.ignored.push(Passed {
                display,
                reason: "not an audit log file name".to_string(),
            });
            continue;
        }
        match entry.metadata() {
            Ok(meta) if meta.is_file() => found.push((entry.into_path(), meta)),
            Ok(_) => out.ignored.push(Passed {
                display,
                reason: "not a regular file".to_string(),
            }),
            Err(e) => out.skipped.push(Passed {
                display,
                reason: e.io_error().map_or_else(|| e.to_string(), io_reason),
            }),
        }
    }
    // Writer order: directory, then rotation index and offset, then name for the rest.
    found.sort_by_cached_key(|(path, _)| order_key(path));
    for (path, meta) in found {
        add_file(&path, &meta, false, seen, &mut out.files, &mut out.ignored);
    }
}

fn order_key(path: &Path) -> (PathBuf, (u64, u64), String) {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rotation = rotation_key(&name).unwrap_or((u64::MAX, u64::MAX));
    (dir, rotation, name)
}

fn add_file(
    path: &Path,
    meta: &Metadata,
    explicit: bool,
    seen: &mut HashSet<(u64, u64)>,
    files: &mut Vec<InputFile>,
    ignored: &mut Vec<Passed>,
) {
    let display = path.display().to_string();
    if meta.is_file() && !seen.insert((meta.dev(), meta.ino())) {
        ignored.push(Passed {
            display,
            reason: "same file as an earlier input (hard link or second path)".to_string(),
        });
        return;
    }
    files.push(InputFile {
        kind: InputKind::Path(path.to_path_buf()),
        display,
        explicit,
        len: meta.len(),
        modified: meta.modified().ok(),
        regular: meta.is_file(),
        newest_in_dir: false,
        id: Some(FileId::of(meta)),
        range: None,
    });
}

/// Why a path that is neither a regular file nor a directory is not read. A device can be
/// endless (`/dev/zero`) and a FIFO or socket blocks until someone writes; a pipe belongs on
/// standard input, where it is read as a stream.
fn special_reason(meta: &Metadata) -> String {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    format!(
        "{what}: only regular files and directories are read; pipe data to standard input \
         instead (`... | bsaudit report -`)"
    )
}

/// Marks, per directory, the most recently modified regular file: the one a writer may still
/// be appending to.
fn mark_newest(files: &mut [InputFile]) {
    let mut newest: std::collections::HashMap<PathBuf, usize> = Default::default();
    for (i, f) in files.iter().enumerate() {
        let InputKind::Path(p) = &f.kind else {
            continue;
        };
        if !f.regular {
            continue;
        }
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let entry = newest.entry(dir).or_insert(i);
        let best = &files[*entry];
        if (f.modified, rotation_of(f)) > (best.modified, rotation_of(best)) {
            *entry = i;
        }
    }
    for i in newest.into_values() {
        files[i].newest_in_dir = true;
    }
}

fn rotation_of(f: &InputFile) -> Option<(u64, u64)> {
    match &f.kind {
        InputKind::Path(p) => p
            .file_name()
            .and_then(|n| rotation_key(&n.to_string_lossy())),
        InputKind::Stdin => None,
    }
}

/// A short reason for an I/O error, without the path (the caller prints it).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names_decode_base36() {
        assert_eq!(rotation_key("0-0"), Some((0, 0)));
        assert_eq!(
            rotation_key("a-5000000000.log"),
            Some((10, 5 * 36u64.pow(9)))
        );
        assert_eq!(rotation_key("10-20000000"), Some((36, 2 * 36u64.pow(7))));
        assert_eq!(rotation_key("1-0.log.gz"), Some((1, 0)));
        assert_eq!(rotation_key("config.json"), None);
        assert_eq!(rotation_key("0-0-old"), None);
        assert_eq!(rotation_key("A-0"), None);
    }

    #[test]
    fn log_names() {
        for yes in [
            "0-0",
            "9-5.log",
            "a-1.log.gz",
            "1-0.zst",
            "access.log",
            "audit-2025.gz",
        ] {
            assert!(looks_like_log(yes), "{yes}");
        }
        for no in [
            "config.json",
            "notes.tar",
            "README.md",
            ".0-0.swp",
            "0-0.tar",
            "run.pid",
            "x.bin",
        ] {
            assert!(!looks_like_log(no), "{no}");
        }
    }
}
