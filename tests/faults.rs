//! The reliability suite: inputs that broke, changed or misbehaved while bsaudit read them,
//! one test per case of issue 9 ("never lose a line silently"). Each asserts the counts, the
//! problems listed and the exit status, not only that nothing crashed.
//!
//! Where a change must land while bsaudit is reading, the tests do not guess with sleeps:
//! `bsaudit lines` writes its records as it reads, so a test reads the first records, lets
//! the pipe fill (bsaudit then blocks in the middle of a file, its input list made), changes
//! the files, and drains the rest.

// Only `bsaudit()` is used here: these tests need the raw bytes and the running child.
#[allow(dead_code)]
mod common;

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::bsaudit;
use serde_json::Value;

/// A record, varied by `i` so that compressed files are not trivially small.
fn record(i: u64) -> String {
    let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "REQ\tBLOBNODE\t{}\tGET\t/shard/get/diskid/{}/vuid/{}/bid/{}\t{{\"Host\":\"10.9.1.12:8889\"}}\t\t{}\t{{\"Blobstore-Tracer-Traceid\":\"{:016x}\"}}\t\t{}\t{}\n",
        17_640_000_000_000_000 + i * 1000,
        x % 300,
        x % 1_000_003,
        x % 9_999_991,
        if x.is_multiple_of(7) { 613 } else { 200 },
        x,
        x % 4096,
        x % 50_000,
    )
}

/// `n` records starting at number `from`.
fn records(from: u64, n: u64) -> Vec<u8> {
    (from..from + n)
        .flat_map(|i| record(i).into_bytes())
        .collect()
}

/// Writes `data` to `path` and dates it a day back, so that it counts as a closed log
/// (mapped, not live) unless it is the newest of its directory.
fn write_closed(path: &Path, data: &[u8]) {
    fs::write(path, data).expect("write");
    let f = File::options().write(true).open(path).expect("open");
    f.set_modified(SystemTime::now() - Duration::from_secs(86_400))
        .expect("mtime");
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON output ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Lines of `data` as bsaudit counts them: LF-terminated ones, plus an unterminated tail.
fn count_lines(data: &[u8]) -> u64 {
    let lf = data.iter().filter(|&&b| b == b'\n').count() as u64;
    lf + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// Runs `tool -dc` on `data` and returns what it printed, or `None` (with a note) when the
/// tool is not installed.
fn system_decode(tool: &str, data: &[u8]) -> Option<Vec<u8>> {
    let child = Command::new(tool)
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("note: `{tool}` is not installed; skipping the comparison with `{tool} -dc`");
        return None;
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let data = data.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("tool runs");
    let _ = feeder.join();
    assert!(
        !out.status.success(),
        "{tool} -dc must notice the corruption"
    );
    Some(out.stdout)
}

/// Whether the `zstd` tool runs the libzstd version bsaudit links.
fn zstd_tool_matches_library() -> bool {
    let tool = Command::new("zstd")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    tool.contains(&format!("v{}", zstd::zstd_safe::version_string()))
}

/// Damages `data` near its middle, in a way that depends on `seed`: 256 pseudo-random
/// bytes (odd seeds) or 8 inverted bytes (even seeds), at an offset that moves with it.
fn corrupt_middle(data: &[u8], seed: u32) -> Vec<u8> {
    let mut out = data.to_vec();
    let at = out.len() / 2 + (seed as usize * 131) % 8192;
    let mut x = seed;
    if seed % 2 == 1 {
        for b in &mut out[at..at + 256] {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
    } else {
        for b in &mut out[at..at + 8] {
            *b ^= 0xff;
        }
    }
    out
}

/// A corruption of `data` that the decoder notices in the middle of the stream, not only
/// by the checksum at its end (deflate often decodes garbage without a word): the first
/// seed for which the library's own reader fails before half of `text` came out.
fn corrupt_detected_mid_stream(data: &[u8], text: &[u8], gzip: bool) -> Vec<u8> {
    (1..1000)
        .map(|seed| corrupt_middle(data, seed))
        .find(|bad| {
            let mut r: Box<dyn Read> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(&bad[..]))
            } else {
                Box::new(zstd::stream::read::Decoder::new(&bad[..]).expect("zstd"))
            };
            let mut buf = vec![0u8; 1 << 16];
            let mut got = 0;
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return false,
                    Ok(k) => got += k,
                    Err(_) => return got < text.len() * 9 / 10,
                }
            }
        })
        .expect("some corruption is detected mid-stream")
}

/// Case 1: a gzip or zstd file corrupt in the middle keeps every line decoded before the
/// fault (at least what `gzip -dc` / `zstd -dc` print), as a file and on stdin, and is named
/// as partial with the compressed offset of the fault; exit 2.
#[test]
fn corrupt_compressed_files_keep_the_lines_before_the_fault() {
    let text = records(0, 20_000); // about 4 MiB of log text
    let total = count_lines(&text);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let zst = {
        let mut e = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
        e.include_checksum(true).expect("checksum");
        e.write_all(&text).expect("zstd");
        e.finish().expect("zstd")
    };
    let gz = corrupt_detected_mid_stream(&gz, &text, true);
    let zst = corrupt_detected_mid_stream(&zst, &text, false);
    for (name, bytes, tool) in [("0-0.log.gz", &gz, "gzip"), ("1-0.log.zst", &zst, "zstd")] {
        let path = dir.path().join(name);
        fs::write(&path, bytes).expect("write");
        let floor = system_decode(tool, bytes).map(|d| count_lines(&d));
        let from_file = bsaudit()
            .args(["report", "--format", "json", "--all", "-q"])
            .arg(&path)
            .output()
            .expect("runs");
        let from_stdin = bsaudit()
            .args(["report", "-", "--format", "json", "--all", "-q"])
            .stdin(File::open(&path).expect("open"))
            .output()
            .expect("runs");
        for out in [from_file, from_stdin] {
            let input = &json_of(&out)["input"];
            let lines = n(&input["lines"]);
            // Before the fix, a read that hit the fault dropped everything it had decoded.
            assert!(lines > total / 3, "{name}: kept {lines} of {total} lines");
            assert!(lines < total, "{name}: the corruption cost some lines");
            if let Some(floor) = floor {
                // A zstd tool on another libzstd may print the start of a damaged block that
                // the linked one rejects whole; only gzip and the same libzstd must agree.
                if lines < floor && tool == "zstd" && !zstd_tool_matches_library() {
                    eprintln!("note: {name}: {lines} lines, `zstd -dc` of another libzstd {floor}");
                } else {
                    assert!(
                        lines >= floor,
                        "{name}: {lines} lines, `{tool} -dc` recovers {floor}"
                    );
                }
            }
            assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
            assert_eq!(n(&input["files_partial"]), 1, "{input}");
            let p = &input["problems"][0];
            assert_eq!(p["kind"], "partial", "{input}");
            let msg = p["message"].as_str().expect("message");
            assert!(msg.contains("at compressed byte"), "{msg}");
            assert!(msg.contains(&format!("{lines} lines")), "{msg}");
            assert_eq!(
                lines,
                n(&input["records"])
                    + n(&input["malformed"]["total"])
                    + n(&input["incomplete_tail"]),
                "every line accounted: {input}"
            );
        }
    }
}

/// A running `bsaudit lines` that has printed its first record and is blocked on a full pipe
/// while reading its first file.
struct Paused {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
    first: String,
}

fn pause(args: &[&str], input: &Path) -> Paused {
    let mut child = bsaudit()
        .arg("lines")
        .args(args)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first record");
    assert!(first.starts_with("REQ\t"), "{first:?}");
    // The pipe holds 64 KiB; the first file holds far more: bsaudit is now stuck writing.
    std::thread::sleep(Duration::from_millis(300));
    Paused {
        child,
        stdout,
        first,
    }
}

impl Paused {
    /// Drains the output; returns (exit code, records printed, stderr).
    fn finish(mut self) -> (Option<i32>, u64, String) {
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).expect("drain");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).expect("stderr");
        }
        let status = self.child.wait().expect("wait");
        let printed = 1 + count_lines(&rest);
        assert!(self.first.ends_with('\n'));
        if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
            panic!("killed by signal {sig}: {err}");
        }
        (status.code(), printed, err)
    }
}

/// Case 2: rename rotation while scanning (`mv 9-0 9-0.moved; cp new 9-0`): the file listed
/// is gone from its path, and the new file there is not read in its place. It is named as
/// replaced; exit 2.
#[test]
fn a_file_replaced_after_listing_is_not_read_as_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = records(0, 20_000);
    write_closed(&dir.path().join("0-0"), &first);
    let listed = records(100_000, 4_000);
    write_closed(&dir.path().join("9-0"), &listed);
    let paused = pause(&["-j", "1"], dir.path());
    fs::rename(dir.path().join("9-0"), dir.path().join("9-0.moved")).expect("mv");
    fs::write(dir.path().join("9-0"), records(500_000, 600)).expect("new file");
    let (code, printed, err) = paused.finish();
    assert_eq!(code, Some(2), "{err}");
    // Only 0-0's records: neither the 600 of the new file nor the 4000 listed ones.
    assert_eq!(printed, 20_000, "{err}");
    assert!(err.contains("9-0: the path names another file"), "{err}");
    assert!(err.contains("(replaced)"), "{err}");
    assert!(err.contains("1 replaced"), "{err}");
}

/// Case 3: truncating a file while it is read, in every way: mapped and not the newest
/// (SIGBUS before the fix), with `--no-mmap`, and the newest file (mapped too). No crash;
/// the file is named as shrunk, nothing past the cut is counted as garbage; exit 2.
#[test]
fn truncation_while_reading_is_reported_and_never_kills() {
    for (label, args, newest) in [
        ("mapped", vec![], false),
        ("pread", vec!["--no-mmap"], false),
        ("newest", vec![], true),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let big = records(0, 40_000);
        write_closed(&dir.path().join("0-0"), &big);
        if !newest {
            fs::write(dir.path().join("1-0"), record(99)).expect("newest");
        }
        let mut all = vec!["-j", "1", "--chunk-size", "64KiB"];
        all.extend(&args);
        let paused = pause(&all, dir.path());
        let keep = big.len() as u64 / 4;
        File::options()
            .write(true)
            .open(dir.path().join("0-0"))
            .expect("open")
            .set_len(keep)
            .expect("truncate");
        let (code, printed, err) = paused.finish();
        assert_eq!(code, Some(2), "{label}: {err}");
        assert!(err.contains("(shrunk)"), "{label}: {err}");
        assert!(err.contains("1 partial"), "{label}: {err}");
        // Zero pages or a half-read window must never show up as lines.
        assert!(!err.contains("malformed"), "{label}: {err}");
        assert!(printed < 40_000, "{label}: printed {printed}");
        assert!(
            printed as f64 > 40_000.0 * 0.2,
            "{label}: printed {printed}"
        );
    }
}

/// Case 3 again, for `report` and `timeline` (windows read in parallel, then a consistent
/// re-read): a closed, mapped file truncated and rewritten over and over while they run.
#[test]
fn report_and_timeline_survive_truncation_of_a_mapped_file() {
    for command in ["report", "timeline"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0-0");
        let line = record(1);
        let lines_at_start = 200_000u64;
        write_closed(&path, line.repeat(lines_at_start as usize).as_bytes());
        fs::write(dir.path().join("1-0"), record(2)).expect("newest");
        let child = bsaudit()
            .args([
                command,
                "--format",
                "json",
                "-j",
                "2",
                "--chunk-size",
                "256KiB",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let meddler = {
            let (done, path, len) = (done.clone(), path.clone(), line.len() as u64);
            std::thread::spawn(move || {
                // Let bsaudit open and map the file first, then cut it under the mapping.
                std::thread::sleep(Duration::from_millis(150));
                let mut round = 0u64;
                while !done.load(std::sync::atomic::Ordering::Relaxed) && round < 5_000 {
                    // Cut to a whole line, leave it cut a moment, grow it back (with NULs).
                    let f = File::options().write(true).open(&path).expect("open");
                    f.set_len((lines_at_start / 8 + round % 1000 * 7) * len)
                        .expect("truncate");
                    std::thread::sleep(Duration::from_millis(2));
                    f.set_len(lines_at_start * len).ok();
                    round += 1;
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        };
        let out = child.wait_with_output().expect("wait");
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        meddler.join().expect("meddler");
        let err = stderr(&out);
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            None,
            "{command}: killed: {err}"
        );
        assert!(matches!(out.status.code(), Some(0 | 2)), "{command}: {err}");
        assert!(!err.contains("panicked"), "{command}: {err}");
        if command == "report" {
            let input = &json_of(&out)["input"];
            // The file was regrown with set_len, so the tail is NULs: binary, never mixed up.
            let mixed = n(&input["malformed"]["by_reason"]["no_req"])
                + n(&input["malformed"]["by_reason"]["field_count"]);
            assert_eq!(mixed, 0, "{input}");
            assert_eq!(
                out.status.code() == Some(2),
                !input["problems"].as_array().expect("problems").is_empty(),
                "{err}"
            );
        }
    }
}

/// Case 4: control bytes from log lines never reach a terminal raw, in any format; machine
/// formats to a pipe stay exact.
#[test]
fn control_bytes_from_logs_are_escaped_for_humans() {
    let dir = tempfile::tempdir().expect("tempdir");
    // ESC sequences (colour, clear screen, window title), 8-bit CSI, DEL, a bidi override,
    // in the service, method, path, trace id, and in the file name.
    let hostile = "REQ\tBLOB\x1b[31mNODE\t17640000066189256\tGE\x1b]0;owned\x07T\t/shard/\x1b[2J\u{9b}6n\x7f\u{202e}get/diskid/233\t{\"Host\":\"10.9.1.12:8889\"}\t\t613\t{\"Blobstore-Tracer-Traceid\":\"de\x1b[5m694f\"}\t\t26\t8678\n";
    let path = dir.path().join("evil\x1b[7m.log");
    fs::write(&path, hostile.repeat(3)).expect("write");
    // A code table row with an ESC, for `codes` and the report's meanings.
    let table = dir.path().join("codes.tsv");
    fs::write(
        &table,
        "code\towner\tclass\torigin\tmessage\tdescription\thint\n\
         613\tBLOB\x1b[1mNODE\tserver\tuser\tdisk \x1b[31mbroken\tThe \x1b[0mdisk.\tCheck \x1b[2Jit.\n",
    )
    .expect("table");
    let p = path.to_str().expect("utf-8");
    let t = table.to_str().expect("utf-8");
    // Anything a terminal would obey: a control character other than LF and TAB (C0 with
    // ESC and BEL, DEL, C1 as characters or as lone bytes) or a bidi override.
    let raw = |b: &[u8]| {
        b.utf8_chunks().any(|c| {
            c.invalid().iter().any(|x| (0x80..0xa0).contains(x))
                || c.valid()
                    .chars()
                    .any(|ch| (ch.is_control() && !matches!(ch, '\n' | '\t')) || ch == '\u{202e}')
        })
    };
    let human: Vec<Vec<&str>> = vec![
        vec!["report", p, "--code-table", t],
        vec!["report", p, "--code-table", t, "--format", "markdown"],
        vec![
            "report",
            p,
            "--by",
            "method,api,host,disk",
            "--format",
            "markdown",
        ],
        vec!["report", p, "--by", "service,method", "--all"],
        vec!["timeline", p],
        vec!["timeline", p, "--format", "markdown"],
        vec!["codes", "613", "--code-table", t],
        vec!["codes", "--code-table", t, "--format", "markdown"],
        vec!["codes", "--code-table", t],
    ];
    for args in &human {
        let out = bsaudit().args(args).output().expect("runs");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            !raw(&out.stdout),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!raw(&out.stderr), "{args:?}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\\x1b"), "{args:?}: shown escaped: {text}");
    }
    // JSON: the same strings, exact, as escapes; never a raw control byte.
    for args in [
        vec!["report", p, "--format", "json"],
        vec!["timeline", p, "--format", "json"],
        vec!["lines", p, "--format", "json"],
        vec!["codes", "--code-table", t, "--format", "json"],
    ] {
        let out = bsaudit().args(&args).output().expect("runs");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!raw(&out.stdout), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for doc in text.lines().filter(|l| args[0] == "lines" && !l.is_empty()) {
            let v: Value = serde_json::from_str(doc).expect("JSON line");
            assert_eq!(v["method"], "GE\x1b]0;owned\x07T");
            assert_eq!(
                v["path"],
                "/shard/\x1b[2J\u{9b}6n\x7f\u{202e}get/diskid/233"
            );
        }
        if args[0] == "report" {
            let v: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(v["groups"][0]["service"], "BLOB\x1b[31mNODE");
        }
    }
    // Messages on stderr: a damaged file with a hostile name.
    let bad = dir.path().join("bad\x1b[2J.log.gz");
    fs::write(&bad, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).expect("write");
    let out = bsaudit()
        .arg("report")
        .arg(&bad)
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!raw(&out.stderr), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("bad\\x1b[2J.log.gz"),
        "{}",
        stderr(&out)
    );

    // To a pipe, raw lines and CSV are byte for byte what the log holds.
    let out = bsaudit().args(["lines", p]).output().expect("runs");
    assert_eq!(out.stdout, hostile.repeat(3).as_bytes());
    let out = bsaudit()
        .args(["report", p, "--format", "csv"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("BLOB\x1b[31mNODE"));
    let out = bsaudit()
        .args(["timeline", p, "--format", "csv"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("BLOB\x1b[31mNODE"));

    // On a terminal, raw lines and CSV are escaped too.
    for (args, shown_as) in [
        (vec!["lines", p], "BLOB\\x1b[31mNODE"),
        (vec!["report", p, "--format", "csv"], "BLOB\\x1b[31mNODE"),
        (vec!["timeline", p, "--format", "csv"], "BLOB\\x1b[31mNODE"),
        (vec!["report", p, "--format", "json"], "BLOB\\u001b[31mNODE"),
    ] {
        let Some(shown) = on_a_terminal(&args) else {
            return;
        };
        assert!(
            !raw(&shown),
            "{args:?}: {}",
            String::from_utf8_lossy(&shown)
        );
        assert!(
            String::from_utf8_lossy(&shown).contains(shown_as),
            "{args:?}"
        );
    }
}

/// Runs bsaudit with a pseudo-terminal as stdout and returns what it wrote, or `None` (with a
/// note) when no pseudo-terminal can be had.
fn on_a_terminal(args: &[&str]) -> Option<Vec<u8>> {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the integers passed; the other arguments
    // may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc != 0 {
        eprintln!("note: no pseudo-terminal available; skipping the terminal checks");
        return None;
    }
    // SAFETY: both descriptors were just opened by openpty and are owned here alone.
    let (mut master, slave) = unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) };
    let mut child = bsaudit()
        .args(args)
        .stdout(Stdio::from(slave))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading the master fails with EIO once every slave descriptor is closed.
        while let Ok(k) = master.read(&mut buf) {
            if k == 0 {
                break;
            }
            shown.extend_from_slice(&buf[..k]);
        }
        shown
    });
    child.wait().expect("wait");
    // The terminal turns each LF into CR LF; undo that, so only bsaudit's bytes are judged.
    let shown = reader.join().expect("reader");
    let mut out = Vec::with_capacity(shown.len());
    for (i, &b) in shown.iter().enumerate() {
        if !(b == b'\r' && shown.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    Some(out)
}

/// Case 5: files deleted after listing, many of them: each is named as vanished, the summary
/// counts them, and the exit status says the input was not read in full.
#[test]
fn files_vanishing_mid_run_change_the_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_closed(&dir.path().join("0-0"), &records(0, 20_000));
    for i in 1..=300u64 {
        write_closed(&dir.path().join(format!("{i:x}-0")), &records(i * 10, 2));
    }
    let paused = pause(&["-j", "1"], dir.path());
    for i in 1..=300u64 {
        fs::remove_file(dir.path().join(format!("{i:x}-0"))).expect("rm");
    }
    let (code, printed, err) = paused.finish();
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(printed, 20_000);
    assert!(err.contains("300 vanished"), "{err}");
    assert_eq!(err.matches("(vanished)").count(), 300, "{err}");
}

/// Runs `cmd` and returns its output and its peak RSS in KiB, read from `VmHWM` in
/// `/proc/PID/status` while it runs. (The child's `ru_maxrss` would not do: a child started
/// with vfork inherits the test process's own peak, which other tests drive up.)
fn run_measured(mut cmd: Command) -> (Output, u64) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let outs = std::thread::spawn(move || {
        let mut o = Vec::new();
        out_pipe.read_to_end(&mut o).expect("stdout");
        o
    });
    let errs = std::thread::spawn(move || {
        let mut e = Vec::new();
        err_pipe.read_to_end(&mut e).expect("stderr");
        e
    });
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        // The high-water mark only grows: the last reading before the exit is the peak of
        // all but the last few milliseconds.
        if let Ok(text) = fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = Output {
        status,
        stdout: outs.join().expect("stdout"),
        stderr: errs.join().expect("stderr"),
    };
    assert!(peak > 0, "no reading of {status_file}");
    (output, peak)
}

/// Case 6: `--max-line` bounds memory. A raised limit does not make every window buffer that
/// much (before the fix each `pread` window read up to the limit past its end, and the peak
/// RSS grew with the file); a line longer than the limit is counted and skipped without being
/// buffered whole, in files and in streams; `input.bytes` counts every byte read, skipped
/// ones included.
#[test]
fn max_line_bounds_memory_and_bytes_count_skipped_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 64 MiB of ordinary lines, read in 512 KiB windows under a 1 GiB limit.
    let plain = dir.path().join("0-0");
    {
        let mut f = std::io::BufWriter::new(File::create(&plain).expect("create"));
        let mut i = 0;
        while f.get_ref().metadata().map(|m| m.len()).unwrap_or(0) < 64 << 20 {
            f.write_all(&records(i, 1000)).expect("write");
            i += 1000;
        }
        f.flush().expect("flush");
    }
    let len = fs::metadata(&plain).expect("stat").len();
    let mut cmd = bsaudit();
    cmd.args(["report", "--format", "json", "-q", "--no-mmap", "-j", "2"])
        .args(["--max-line", "1GiB", "--chunk-size", "512KiB"])
        .arg(&plain);
    let (out, rss_kib) = run_measured(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let input = &json_of(&out)["input"];
    assert_eq!(n(&input["bytes"]), len);
    assert_eq!(n(&input["malformed"]["total"]), 0);
    assert!(
        rss_kib < 48 << 10,
        "peak RSS {rss_kib} KiB for a {len}-byte file"
    );

    // One 24 MiB line between records, under the default 1 MiB limit: as a file (mapped and
    // read) and as a gzip stream.
    let mut text = records(0, 1000);
    text.extend(std::iter::repeat_n(b'x', 24 << 20));
    text.push(b'\n');
    text.extend(records(1000, 1000));
    let long = dir.path().join("long.log");
    fs::write(&long, &text).expect("write");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).expect("gzip");
    let gz_path = dir.path().join("long.log.gz");
    fs::write(&gz_path, gz.finish().expect("gzip")).expect("write");
    for (path, extra) in [(&long, None), (&long, Some("--no-mmap")), (&gz_path, None)] {
        let mut cmd = bsaudit();
        cmd.args(["report", "--format", "json", "-q", "--all"])
            .args(extra)
            .arg(path);
        let (out, rss_kib) = run_measured(cmd);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let input = &json_of(&out)["input"];
        assert_eq!(n(&input["records"]), 2000, "{path:?} {extra:?}: {input}");
        assert_eq!(n(&input["oversized"]), 1, "{path:?} {extra:?}: {input}");
        assert_eq!(n(&input["lines"]), 2001, "{path:?} {extra:?}: {input}");
        assert_eq!(
            n(&input["bytes"]),
            text.len() as u64,
            "{path:?} {extra:?}: {input}"
        );
        // Mapped pages of the file count in RSS too, so this bound is loose; buffering the
        // line would add 24 MiB and more.
        if extra.is_some() || path == &gz_path {
            assert!(
                rss_kib < 40 << 10,
                "{path:?} {extra:?}: peak RSS {rss_kib} KiB"
            );
        }
    }
}

/// Waits for a child at most `limit`; kills it after that. Returns its output and whether it
/// finished on its own.
fn wait_at_most(mut child: Child, limit: Duration) -> (Output, bool) {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return (child.wait_with_output().expect("output"), true);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            return (child.wait_with_output().expect("output"), false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Case 7: devices, FIFOs and sockets named as inputs are refused with a clear message
/// instead of being read forever (or blocking); `-` still reads standard input.
#[test]
fn special_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("c string");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    assert!(fs::metadata(&fifo).expect("stat").file_type().is_fifo());
    let socket = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    let log = dir.path().join("0-0");
    fs::write(&log, records(0, 10)).expect("write");
    let cases: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from("/dev/zero"), "a character device"),
        (fifo, "a FIFO"),
        (socket, "a socket"),
    ];
    for (path, what) in cases {
        // Alone: nothing readable, exit 2 at once.
        let child = bsaudit()
            .args(["report", "-q"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (out, finished) = wait_at_most(child, Duration::from_secs(20));
        assert!(finished, "{path:?} was read instead of refused");
        assert_eq!(out.status.code(), Some(2), "{path:?}");
        let err = stderr(&out);
        assert!(
            err.contains(what) && err.contains("standard input"),
            "{err}"
        );
        // Next to a real log: the log is read, the special file is a problem, exit 2.
        let child = bsaudit()
            .args(["report", "--format", "json", "-q"])
            .arg(&path)
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (out, finished) = wait_at_most(child, Duration::from_secs(20));
        assert!(finished, "{path:?} was read instead of refused");
        assert_eq!(out.status.code(), Some(2), "{path:?}");
        let input = &json_of(&out)["input"];
        assert_eq!(n(&input["records"]), 10);
        assert_eq!(n(&input["files_skipped"]), 1);
        assert_eq!(input["problems"][0]["kind"], "skipped");
    }
    // Standard input is still a stream.
    let out = bsaudit()
        .args(["report", "-", "--format", "json", "-q"])
        .stdin(File::open(&log).expect("open"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(n(&json_of(&out)["input"]["records"]), 10);
}
