//! `bsaudit top --format json` while the logs change under it: appends (one ending in half a
//! line finished later), a new chunk file, the oldest deleted, rename + create and
//! copytruncate. Every frame's line accounting must add up, no frame may count more than was
//! written, and the last frame's totals must equal the records written.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

const FIXTURE: &str = "testdata/cluster/access/auditlog/5-18e718g.log";

fn lines(n: usize, skip: usize) -> Vec<u8> {
    let text = std::fs::read(FIXTURE).expect("fixture");
    let all: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    assert!(all.len() > 10);
    (0..n)
        .flat_map(|i| all[(skip + i) % all.len()].to_vec())
        .collect()
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(bytes).expect("append");
}

/// A running `top` and its frames.
struct Top {
    child: Child,
    frames: Receiver<Value>,
    seen: Vec<Value>,
}

impl Top {
    fn start(args: &[&str]) -> Top {
        let mut child = common::bsaudit()
            .arg("top")
            .args(["--format", "json", "--interval", "100ms"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("top starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).expect("each line is JSON");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Top {
            child,
            frames: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a frame whose totals count `records`; checks every frame on the way.
    fn wait_for(&mut self, records: u64, most: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let f = self.frames.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no frame with {records} records; last: {:?}",
                    self.seen.last().map(|f| &f["totals"])
                )
            });
            check(&f, most);
            let got = f["totals"]["records"].as_u64().expect("records");
            self.seen.push(f);
            if got == records {
                return;
            }
        }
    }

    fn stop(mut self) -> Vec<Value> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen
    }
}

/// Every line accounted for, never more records than written, the schema named.
fn check(f: &Value, most: u64) {
    assert_eq!(f["schema"], "bsaudit.top/v1");
    let t = &f["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("{k} in {t}"));
    let malformed: u64 = t["malformed"]
        .as_object()
        .expect("malformed by reason")
        .values()
        .map(|v| v.as_u64().expect("count"))
        .sum();
    assert_eq!(
        n("lines"),
        n("records")
            + n("filtered_out")
            + n("empty_lines")
            + malformed
            + n("oversized")
            + n("incomplete_tail"),
        "every line accounted for: {t}"
    );
    assert!(n("records") <= most, "counted more than written: {t}");
    let services: u64 = f["window"]["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["total_requests"].as_u64().expect("total"))
        .sum();
    assert_eq!(services, n("records"), "services add up to the records");
}

fn run_scenario(extra: &[&str], watch: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("access").join("auditlog");
    std::fs::create_dir_all(&audit).expect("mkdir");
    let old = audit.join("audit.0.log");
    // Before top starts: not counted (top starts at the end), bar the half line.
    let mut before = lines(40, 0);
    let half = lines(1, 40);
    before.extend_from_slice(&half[..half.len() / 2]);
    append(&old, &before);

    let mut top = Top::start(&[&[dir.path().to_str().expect("utf-8 path")], extra].concat());
    top.wait_for(0, 0);
    // The half line ends: it counts (top started at its start), then 25 whole lines.
    append(&old, &half[half.len() / 2..]);
    append(&old, &lines(25, 41));
    top.wait_for(26, 26);
    // A new chunk file, read from its start.
    let chunk = audit.join("audit.log");
    append(&chunk, &lines(30, 3));
    top.wait_for(56, 56);
    // The oldest deleted: its records stay counted; the new one grows, half a line first.
    std::fs::remove_file(&old).expect("delete");
    let more = lines(12, 7);
    append(&chunk, &more[..more.len() - 100]);
    top.wait_for(67, 68);
    append(&chunk, &more[more.len() - 100..]);
    top.wait_for(68, 68);
    // logrotate's rename + create: the renamed file goes on where it was.
    let rotated = audit.join("audit.log.1");
    std::fs::rename(&chunk, &rotated).expect("rename");
    append(&rotated, &lines(5, 1));
    append(&chunk, &lines(4, 2));
    top.wait_for(77, 77);
    // copytruncate: the same file cut to nothing, then written again.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&chunk)
        .expect("truncate");
    append(&chunk, &lines(3, 9));
    top.wait_for(80, 80);
    let frames = top.stop();
    let last = frames.last().expect("frames");
    assert_eq!(last["totals"]["records"], 80);
    assert_eq!(last["files"]["followed"], 2);
    assert_eq!(last["files"]["watch"], watch);
    let events: Vec<String> = frames
        .iter()
        .flat_map(|f| f["files"]["events"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    for want in ["new: ", "gone: ", "renamed: ", "restarted: "] {
        assert!(
            events.iter().any(|e| e.starts_with(want)),
            "an event {want:?} in {events:?}"
        );
    }
    let numbers: Vec<u64> = frames
        .iter()
        .map(|f| f["frame"].as_u64().expect("frame number"))
        .collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
}

#[test]
fn follows_appends_chunks_deletes_and_rotations_with_inotify() {
    run_scenario(&[], "inotify");
}

#[test]
fn follows_appends_chunks_deletes_and_rotations_by_polling() {
    run_scenario(&["--poll"], "polling");
}

#[test]
fn once_from_the_start_equals_report() {
    let (code, out, err) = common::run(&["top", "--from-start", "--once", "testdata/cluster"]);
    assert_eq!(code, 0, "{err}");
    let frames: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    check(f, u64::MAX);
    let (code, rep, err) = common::run(&["report", "-q", "--format", "json", "testdata/cluster"]);
    assert_eq!(code, 0, "{err}");
    let rep: Value = serde_json::from_str(&rep).expect("report JSON");
    assert_eq!(f["totals"]["records"], rep["input"]["records"]);
    assert_eq!(f["totals"]["lines"], rep["input"]["lines"]);
    // Compressed files were read once: 13 files, as the report reads.
    assert_eq!(f["files"]["followed"], rep["input"]["files"]);
    // The window ends at the newest record (old logs) and its groups carry meanings.
    assert_eq!(f["window"]["seconds"], 300.0);
    let groups = f["window"]["groups"].as_array().expect("groups");
    assert!(!groups.is_empty());
    assert!(
        groups
            .iter()
            .all(|g| g["class"] == "client" || g["class"] == "server")
    );
    assert!(groups.iter().any(|g| g["meaning"].is_string()));
    // NEW: the code's first record is in the window, and its service had a window of records
    // before it. Every service of testdata/cluster starts before 10:01, so here NEW is the
    // same as "first seen in the window", which the report's first_seen tells.
    let (code, all, err) = common::run(&[
        "report",
        "-q",
        "--format",
        "json",
        "--top",
        "0",
        "testdata/cluster",
    ]);
    assert_eq!(code, 0, "{err}");
    let all: Value = serde_json::from_str(&all).expect("report JSON");
    let start = f["window"]["start"].as_str().expect("start");
    let mut new = 0;
    for g in groups {
        let row = all["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|r| r["service"] == g["service"] && r["code"] == g["code"])
            .expect("the report has the group");
        let first = row["first_seen"].as_str().expect("first_seen");
        assert_eq!(g["new"] == true, first >= start, "{g} first seen {first}");
        assert_eq!(g["total"], row["count"]);
        new += u64::from(g["new"] == true);
    }
    assert!(new > 0 && new < groups.len() as u64, "some new, some not");
    let counts: Vec<u64> = groups
        .iter()
        .map(|g| g["count"].as_u64().expect("count"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "busiest first");
}

/// `line` with field `i` (0-based) replaced.
fn with_field(line: &[u8], i: usize, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, f) in line.split(|&b| b == b'\t').enumerate() {
        if n > 0 {
            out.push(b'\t');
        }
        out.extend_from_slice(if n == i { value } else { f });
    }
    out
}

#[test]
fn a_code_a_service_had_not_returned_for_a_window_is_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("auditlog");
    std::fs::create_dir_all(&audit).expect("mkdir");
    let file = audit.join("0-0.log");
    let text = std::fs::read(FIXTURE).expect("fixture");
    let ok = text
        .split_inclusive(|&b| b == b'\n')
        .find(|l| l.split(|&b| b == b'\t').nth(7) == Some(b"200"))
        .expect("a 200 line");
    let start: i64 = std::str::from_utf8(ok.split(|&b| b == b'\t').nth(2).expect("start"))
        .expect("ascii")
        .parse()
        .expect("number");
    // 200 at t, then 599 (never seen) and 200 again 3 s later; the window is 2 s.
    let later = (start + 30_000_000).to_string();
    append(&file, ok);
    let mut top = Top::start(&[
        "--from-start",
        "--all",
        "--window",
        "2s",
        dir.path().to_str().expect("path"),
    ]);
    top.wait_for(1, 1);
    let again = with_field(ok, 2, later.as_bytes());
    append(&file, &with_field(&again, 7, b"599"));
    append(&file, &again);
    top.wait_for(3, 3);
    let frames = top.stop();
    let groups = frames.last().expect("frame")["window"]["groups"]
        .as_array()
        .cloned()
        .expect("groups");
    let new: Vec<(u64, u64, bool)> = groups
        .iter()
        .map(|g| {
            (
                g["code"].as_u64().expect("code"),
                g["count"].as_u64().expect("count"),
                g["new"] == true,
            )
        })
        .collect();
    assert_eq!(new, vec![(200, 1, false), (599, 1, true)]);
    // The 200 of 3 s ago left the 2 s window; the totals keep it.
    assert_eq!(frames.last().expect("frame")["window"]["records"], 2);
}

#[test]
fn refuses_stdin_and_until() {
    let (code, _, err) = common::run(&["top", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("follows files"), "{err}");
    let (code, _, err) = common::run(&["top", "--until", "10:00", "testdata/cluster"]);
    assert_eq!(code, 2);
    assert!(err.contains("--until"), "{err}");
    let (code, _, err) = common::run(&["top", "--format", "tui", "testdata/cluster"]);
    assert_eq!(code, 2);
    assert!(err.contains("terminal"), "{err}");
}
