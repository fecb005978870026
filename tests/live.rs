//! A report over a file that is appended to and truncated while bsaudit reads it: no crash,
//! and what is counted is a consistent prefix of the file.
//!
//! Every line has the same length, and the file is only ever truncated to a multiple of it, so
//! whatever bsaudit reads is whole valid lines plus at most one cut line at its end: any
//! malformed line would mean bytes were mixed up.

use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

const LINE: &str = "REQ\tBLOBNODE\t17640000066189256\tGET\t/shard/get/diskid/233/vuid/94489280515/bid/801788\t{\"Host\":\"10.9.1.12:8889\"}\t\t613\t{\"Blobstore-Tracer-Traceid\":\"de694f5829b84056\"}\t{\"error\":\"disk is broken\"}\t26\t8678\n";

#[test]
fn append_and_truncate_during_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("0-0");
    let lines_at_start: u64 = 400_000; // about 80 MiB
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        for _ in 0..lines_at_start {
            f.write_all(LINE.as_bytes()).expect("write");
        }
        f.flush().expect("flush");
    }
    let len = LINE.len() as u64;

    let child = Command::new(cargo_bin("bsaudit"))
        .args([
            "report",
            "--format",
            "json",
            "--all",
            "--top",
            "0",
            "--threads",
            "2",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");

    // Meddle while it runs: append whole lines, truncate to whole lines, repeat.
    let done = Arc::new(AtomicBool::new(false));
    let meddler = {
        let done = Arc::clone(&done);
        let path = path.clone();
        std::thread::spawn(move || {
            // Let bsaudit open the file first, so the changes land while it reads.
            std::thread::sleep(Duration::from_millis(100));
            let mut round = 0u64;
            while !done.load(Ordering::Relaxed) && round < 2_000 {
                let mut f = OpenOptions::new().append(true).open(&path).expect("open");
                for _ in 0..50 {
                    f.write_all(LINE.as_bytes()).expect("append");
                }
                // Shrink only (growing with set_len would write NULs), to a whole line.
                let now = f.metadata().expect("stat").len();
                let keep = (lines_at_start / 2 + (round * 997) % (lines_at_start / 2)) * len;
                f.set_len(keep.min(now / len * len)).expect("truncate");
                round += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let out = child.wait_with_output().expect("wait");
    done.store(true, Ordering::Relaxed);
    meddler.join().expect("meddler");

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 2)), "exit {code:?}: {stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let input = &r["input"];
    let n = |k: &str| input[k].as_u64().expect(k);
    assert_eq!(n("lines"), n("records") + n("incomplete_tail"), "{input}");
    assert_eq!(input["malformed"]["total"], 0, "{input}");
    assert!(n("incomplete_tail") <= 1, "{input}");
    assert!(
        n("records") <= lines_at_start,
        "appends after open are not read: {input}"
    );
    assert!(n("records") > 0, "{input}");
    // Either read in full before the first truncation, or stopped where the file shrank,
    // with the file named as shrunk and the exit status of an input error. (A file read in
    // full may still be found shorter by the check after reading: also shrunk, also 2.)
    let problems = r["input"]["problems"].as_array().expect("problems");
    if n("records") < lines_at_start {
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("shrank while being read"), "{stderr}");
    }
    assert_eq!(code == Some(2), !problems.is_empty(), "{stderr}");
    assert!(problems.iter().all(|p| p["kind"] == "shrunk"), "{stderr}");
}
