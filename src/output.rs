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
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let (tmp, file) = create_temp(&dir, &name.to_string_lossy())?;
    let result = fill(file, f).and_then(|()| fs::rename(&tmp, path));
    match result {
        Ok(()) => {
            // Makes the rename itself durable; not every file system can open a directory.
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn fill(file: File, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, file);
    f(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
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
