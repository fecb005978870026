//! The true floor for a scan of audit logs: count LF in every input file on all threads.
//!
//! ```text
//! cargo run --release --example floor -- [--pread] [--threads N] [--chunk 8MiB] PATH...
//! ```
//!
//! Every regular file under the paths (directories are walked) is split into chunks of
//! `--chunk` bytes (the same size as bsaudit's windows), and rayon counts the LF of every chunk
//! with `memchr` (its AVX2 counting loop). By default each file is mapped once and the chunks
//! are slices of the map; `--pread` reads every chunk with `pread` into a per-thread buffer of
//! 256 KiB (about the size of L2), which is what a reader pays when it must not map a live file.
//! Prints `lines` and `bytes` (and `files`), tab-separated, so a benchmark can check its data.
//! Nothing here parses a line: no reader of these files can be faster than this.

use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use rayon::prelude::*;

/// Bytes of one `pread`: a buffer that stays in L2 between the read and the count.
const PREAD_BUF: usize = 256 * 1024;

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

struct Args {
    pread: bool,
    threads: Option<usize>,
    chunk: u64,
    paths: Vec<PathBuf>,
}

fn parse_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale).filter(|&v| v > 0)
}

fn usage() -> ! {
    eprintln!("usage: floor [--pread] [--threads N] [--chunk 8MiB] PATH...");
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        pread: false,
        threads: None,
        chunk: 8 << 20,
        paths: Vec::new(),
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--pread") => a.pread = true,
            Some("--threads" | "-j") => {
                let n = it.next().and_then(|v| v.to_str()?.parse().ok());
                a.threads = Some(n.filter(|&n| n > 0).unwrap_or_else(|| usage()));
            }
            Some("--chunk") => {
                let n = it.next().and_then(|v| parse_size(v.to_str()?));
                a.chunk = n.unwrap_or_else(|| usage());
            }
            Some("-h" | "--help") => usage(),
            _ => a.paths.push(PathBuf::from(arg)),
        }
    }
    if a.paths.is_empty() {
        usage();
    }
    a
}

/// Every regular file under `paths`, in walk order.
fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        for entry in walkdir::WalkDir::new(p).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() => out.push(e.into_path()),
                Ok(_) => {}
                Err(e) => eprintln!("floor: {e}"),
            }
        }
    }
    out
}

/// LF in `bytes`.
fn count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// (lines, bytes) of one chunk, read with `pread`.
fn pread_chunk(file: &File, lo: u64, hi: u64) -> std::io::Result<(u64, u64)> {
    BUF.with_borrow_mut(|buf| {
        buf.resize(PREAD_BUF, 0);
        let (mut at, mut lines) = (lo, 0);
        while at < hi {
            let want = (hi - at).min(PREAD_BUF as u64) as usize;
            let got = file.read_at(&mut buf[..want], at)?;
            if got == 0 {
                break;
            }
            lines += count(&buf[..got]);
            at += got as u64;
        }
        Ok((lines, at - lo))
    })
}

/// (lines, bytes) of one file: its chunks counted in parallel.
fn count_file(path: &PathBuf, chunk: u64, pread: bool) -> std::io::Result<(u64, u64)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let chunks: Vec<(u64, u64)> = (0..len.div_ceil(chunk))
        .map(|i| (i * chunk, ((i + 1) * chunk).min(len)))
        .collect();
    if pread {
        return chunks
            .into_par_iter()
            .map(|(lo, hi)| pread_chunk(&file, lo, hi))
            .try_reduce(|| (0, 0), |a, b| Ok((a.0 + b.0, a.1 + b.1)));
    }
    if len == 0 {
        return Ok((0, 0));
    }
    // SAFETY: the benchmark's files are not written while it runs; a truncation would end
    // this program with SIGBUS, which for a measurement tool is an acceptable outcome.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let lines = chunks
        .into_par_iter()
        .map(|(lo, hi)| count(&map[lo as usize..hi as usize]))
        .sum();
    Ok((lines, len))
}

fn main() {
    let a = args();
    if let Some(n) = a.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
    {
        eprintln!("floor: {e}");
    }
    let files = files(&a.paths);
    let (lines, bytes) = files
        .par_iter()
        .map(|p| match count_file(p, a.chunk, a.pread) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("floor: {}: {e}", p.display());
                (0, 0)
            }
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("lines\t{lines}\nbytes\t{bytes}\nfiles\t{}", files.len());
}
