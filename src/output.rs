//! Where a command's output goes: standard output, or a file written atomically.
//!
//! A file is written to a temporary file in the same directory, flushed, `fsync`ed and renamed
//! over the target, so a reader (node_exporter's textfile collector, a browser) sees the old
//! file or the whole new one, never half of it. On any error the temporary file is removed
//! and the old file is left as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where to write: `-` (or no `-o`) is standard output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// Standard output.
    #[default]
    Stdout,
    /// A file, replaced atomically.
    File(PathBuf),
}

impl Output {
    /// The output `-o` names: `-` is standard output.
    pub fn from_arg(arg: Option<&Path>) -> Output {
        match arg {
            None => Output::Stdout,
            Some(p) if p.as_os_str() == "-" => Output::Stdout,
            Some(p) => Output::File(p.to_path_buf()),
        }
    }
}

/// Makes temporary names unique within the process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically with `f`: a temporary file beside it, flushed and synced, then
/// renamed over it (and the directory synced, where the system allows). When `f`, the write,
/// the sync or the rename fails, the temporary file is removed and `path` is untouched.
pub fn write_atomic(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let file = AtomicFile::create(path)?;
    let mut out = BufWriter::with_capacity(64 * 1024, file.file());
    f(&mut out)?;
    out.flush()?;
    drop(out);
    file.commit().map(|_| ())
}

/// A file being written under a temporary name beside its target, for output that is made
/// a piece at a time (an export): [`AtomicFile::commit`] syncs it and renames it into place;
/// dropped uncommitted (an error on the way), it is removed and the target is untouched.
pub struct AtomicFile {
    temp: PathBuf,
    file: File,
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file in `path`'s directory.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let (temp, file) = create_temp(&dir, &name.to_string_lossy())?;
        Ok(AtomicFile {
            temp,
            file,
            target: path.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// The temporary file, to write through (`&File` is `Write`; `try_clone` gives an owned
    /// handle).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The path it will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the file, renames it over the target and syncs the directory where the system
    /// allows; returns the file's size.
    pub fn commit(mut self) -> io::Result<u64> {
        self.file.sync_all()?;
        let size = self.file.metadata()?.len();
        fs::rename(&self.temp, &self.target)?;
        self.committed = true;
        // Makes the rename itself durable; not every file system can open a directory.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(size)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A new file `.NAME.tmp.PID.N` in `dir`, never one that exists already. It starts with a
/// dot so that collectors reading `*.prom` do not pick it up.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    loop {
        let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp.{}.{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp."))
            .collect()
    }

    #[test]
    fn replaces_the_file_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.prom");
        fs::write(&path, "old\n").expect("seed");
        write_atomic(&path, |w| w.write_all(b"new\n")).expect("write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.prom");
        fs::write(&path, "old\n").expect("seed");
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("renderer failed"))
        })
        .expect_err("must fail");
        assert_eq!(err.to_string(), "renderer failed");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old\n");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn a_failed_rename_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("sub");
        fs::create_dir(&target).expect("dir");
        fs::write(target.join("keep"), "x").expect("seed");
        assert!(write_atomic(&target, |w| w.write_all(b"new")).is_err());
        assert!(target.join("keep").exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no/such/a.prom");
        assert!(write_atomic(&path, |w| w.write_all(b"x")).is_err());
    }

    #[test]
    fn dash_is_stdout() {
        assert_eq!(Output::from_arg(Some(Path::new("-"))), Output::Stdout);
        assert_eq!(Output::from_arg(None), Output::Stdout);
        assert_eq!(
            Output::from_arg(Some(Path::new("x.prom"))),
            Output::File(PathBuf::from("x.prom"))
        );
    }
}
