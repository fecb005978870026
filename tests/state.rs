//! `--state` incremental runs: after any sequence of appends (whole lines, a partial line
//! finished later), new chunk files and deletions, a `--state` run reports exactly what one
//! full run over the current files and the deleted files' counted lines reports.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::run;
use proptest::prelude::*;
use serde_json::Value;

const FIXTURE: &str = "testdata/cluster/access/auditlog/5-18e718g.log";

fn pool() -> Vec<Vec<u8>> {
    std::fs::read(FIXTURE)
        .expect("fixture")
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

#[derive(Clone, Debug)]
enum Op {
    /// Append `n` whole lines to file `f` (finishing its partial line first).
    Lines(usize, usize),
    /// Append the first `cut` bytes of a line to file `f` (finishing its partial line first).
    Partial(usize, usize),
    /// Start a new chunk file with `n` lines.
    Rotate(usize),
    /// Delete file `f`.
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..8usize, 1..30usize).prop_map(|(f, n)| Op::Lines(f, n)),
        2 => (0..8usize, 1..200usize).prop_map(|(f, c)| Op::Partial(f, c)),
        2 => (1..20usize).prop_map(Op::Rotate),
        1 => (0..8usize).prop_map(Op::Delete),
    ]
}

/// The counts a report must agree on, exactly.
fn counts(report: &Value) -> Value {
    let i = &report["input"];
    let groups: Vec<Value> = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| serde_json::json!([g["service"], g["code"], g["count"]]))
        .collect();
    let services: Vec<Value> = report["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| serde_json::json!([s["service"], s["requests"], s["errors"]]))
        .collect();
    serde_json::json!({
        "lines": i["lines"], "records": i["records"], "empty": i["empty_lines"],
        "malformed": i["malformed"], "oversized": i["oversized"],
        "incomplete_tail": i["incomplete_tail"], "bytes": i["bytes"],
        "first": i["first_seen"], "last": i["last_seen"],
        "groups": groups, "services": services,
    })
}

fn report(args: &[String]) -> Value {
    let mut all: Vec<String> = ["report", "-q", "--format", "json", "--all", "--top", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(args.iter().cloned());
    let (code, stdout, stderr) = run(&all);
    assert!(code == 0 || code == 1, "{all:?}: exit {code}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"))
}

struct Tree {
    dir: PathBuf,
    grave: PathBuf,
    state: PathBuf,
    files: Vec<PathBuf>,
    /// The rest of the line each file ends in the middle of.
    pending: Vec<Vec<u8>>,
    buried: Vec<PathBuf>,
    chunks: usize,
    next_line: usize,
}

impl Tree {
    fn line(&mut self, pool: &[Vec<u8>]) -> Vec<u8> {
        let l = pool[self.next_line % pool.len()].clone();
        self.next_line += 1;
        l
    }

    fn append(&mut self, f: usize, bytes: &[u8]) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.files[f])
            .expect("open");
        let rest = std::mem::take(&mut self.pending[f]);
        file.write_all(&rest).expect("write");
        file.write_all(bytes).expect("write");
    }

    fn rotate(&mut self) -> usize {
        self.chunks += 1;
        let p = self.dir.join(format!("{}-0", self.chunks));
        std::fs::write(&p, b"").expect("create");
        self.files.push(p);
        self.pending.push(Vec::new());
        self.files.len() - 1
    }

    fn apply(&mut self, op: &Op, pool: &[Vec<u8>]) {
        let pick = |f: usize, n: usize| if n == 0 { None } else { Some(f % n) };
        match *op {
            Op::Lines(f, n) => {
                let f = pick(f, self.files.len()).unwrap_or_else(|| self.rotate());
                let text: Vec<u8> = (0..n).flat_map(|_| self.line(pool)).collect();
                self.append(f, &text);
            }
            Op::Partial(f, cut) => {
                let f = pick(f, self.files.len()).unwrap_or_else(|| self.rotate());
                let line = self.line(pool);
                let cut = cut.min(line.len() - 1);
                self.append(f, &line[..cut]);
                self.pending[f] = line[cut..].to_vec();
            }
            Op::Rotate(n) => {
                let f = self.rotate();
                let text: Vec<u8> = (0..n).flat_map(|_| self.line(pool)).collect();
                self.append(f, &text);
            }
            Op::Delete(f) => {
                let Some(f) = pick(f, self.files.len()) else {
                    return;
                };
                let path = self.files.remove(f);
                self.pending.remove(f);
                // What the state counted of it: its whole lines.
                let bytes = std::fs::read(&path).expect("read");
                let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let kept = self.grave.join(path.file_name().expect("name"));
                std::fs::write(&kept, &bytes[..whole]).expect("bury");
                self.buried.push(kept);
                std::fs::remove_file(&path).expect("delete");
            }
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let d = self.dir.display().to_string();
        let incremental = report(&[
            "--state".into(),
            self.state.display().to_string(),
            d.clone(),
        ]);
        let mut full_args = vec![d];
        full_args.extend(self.buried.iter().map(|p| p.display().to_string()));
        let full = report(&full_args);
        prop_assert_eq!(counts(&incremental), counts(&full));
        Ok(())
    }
}

fn tree(root: &Path) -> Tree {
    let dir = root.join("auditlog");
    let grave = root.join("grave");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::create_dir(&grave).expect("grave");
    Tree {
        dir,
        grave,
        state: root.join("state.json"),
        files: Vec::new(),
        pending: Vec::new(),
        buried: Vec::new(),
        chunks: 0,
        next_line: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn incremental_runs_equal_one_full_run(ops in prop::collection::vec(op(), 1..8)) {
        let pool = pool();
        let root = tempfile::tempdir().expect("tempdir");
        let mut t = tree(root.path());
        t.apply(&Op::Rotate(3), &pool);
        t.check()?;
        for op in &ops {
            t.apply(op, &pool);
            t.check()?;
        }
    }
}

#[test]
fn truncation_and_reset_are_said_and_counted() {
    let pool = pool();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("auditlog");
    std::fs::create_dir(&dir).expect("dir");
    let file = dir.join("1-0");
    let state = root.path().join("st");
    let lines = |r: std::ops::Range<usize>| -> Vec<u8> { pool[r].concat() };
    std::fs::write(&file, lines(0..20)).expect("write");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec!["--state".to_string(), state.display().to_string()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push(dir.display().to_string());
        a
    };
    let records = |v: &Value| v["input"]["records"].as_u64().expect("records");
    let first = records(&report(&args(&[])));
    // copytruncate: cut to nothing, then new lines. The 20 counted lines stay counted.
    std::fs::write(&file, lines(20..25)).expect("truncate");
    let mut all = vec![
        "report".to_string(),
        "--format".into(),
        "json".into(),
        "--all".into(),
    ];
    all.extend(args(&[]));
    let (code, stdout, stderr) = run(&all);
    assert!(code == 0 || code == 1, "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let only_new = records(&report(&[dir.display().to_string()]));
    assert_eq!(records(&v), first + only_new);
    // --reset forgets it all.
    assert_eq!(records(&report(&args(&["--reset"]))), only_new);
    // A foreign state file is a clear error.
    std::fs::write(&state, b"{\"schema\":\"other/v1\"}").expect("write");
    let mut all = vec!["report".to_string()];
    all.extend(args(&[]));
    let (code, _, stderr) = run(&all);
    assert_eq!(code, 2);
    assert!(stderr.contains("--reset"), "{stderr}");
}

#[test]
fn rename_rotation_is_followed_by_inode_and_summarize_takes_state_too() {
    let pool = pool();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("auditlog");
    std::fs::create_dir(&dir).expect("dir");
    let state = root.path().join("st");
    let out = root.path().join("s.bsum");
    std::fs::write(dir.join("1-0"), pool[0..10].concat()).expect("write");
    let summarize = || {
        let (code, _, stderr) = run(&[
            "summarize",
            "-q",
            "--state",
            &state.display().to_string(),
            "-o",
            &out.display().to_string(),
            &dir.display().to_string(),
        ]);
        assert!(code == 0 || code == 1, "{stderr}");
        let v = report(&[out.display().to_string()]);
        (v, stderr)
    };
    let (first, _) = summarize();
    // logrotate's rename + create: the old file keeps its inode under a new name.
    std::fs::rename(dir.join("1-0"), dir.join("2-0")).expect("rename");
    let mut old = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("2-0"))
        .expect("open");
    old.write_all(&pool[10..12].concat()).expect("append");
    std::fs::write(dir.join("3-0"), pool[12..17].concat()).expect("create");
    let (second, stderr) = summarize();
    assert!(
        !stderr.contains("truncated") && !stderr.contains("gone"),
        "{stderr}"
    );
    let full = report(&[dir.display().to_string()]);
    assert_eq!(counts(&second), counts(&full));
    assert!(
        second["input"]["records"].as_u64() > first["input"]["records"].as_u64(),
        "{second}"
    );
}

#[test]
fn compressed_files_are_kept_until_they_change_then_read_whole() {
    use flate2::{Compression, write::GzEncoder};
    let pool = pool();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("auditlog");
    std::fs::create_dir(&dir).expect("dir");
    let gz = |lines: std::ops::Range<usize>| -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(&pool[lines].concat()).expect("gzip");
        e.finish().expect("gzip")
    };
    std::fs::write(dir.join("1-0.gz"), gz(0..30)).expect("write");
    let state = root.path().join("st");
    let run_state = || {
        let mut all = vec![
            "report".to_string(),
            "--format".into(),
            "json".into(),
            "--all".into(),
            "--top".into(),
            "0".into(),
            "--state".into(),
            state.display().to_string(),
            dir.display().to_string(),
        ];
        all.insert(1, "-q".into());
        let (code, stdout, stderr) = run(&all);
        assert!(code == 0 || code == 1, "{stderr}");
        let v: Value = serde_json::from_str(&stdout).expect("json");
        (v, stderr)
    };
    let full = || report(&[dir.display().to_string()]);
    let (a, _) = run_state();
    assert_eq!(counts(&a), counts(&full()));
    let (b, stderr) = run_state();
    assert!(!stderr.contains("changed"), "{stderr}");
    assert_eq!(counts(&b), counts(&full()));
    // Rewritten with more lines: read whole again, not added to what it held.
    std::fs::write(dir.join("1-0.gz"), gz(0..45)).expect("write");
    let (c, _) = run_state();
    assert_eq!(counts(&c), counts(&full()));
    assert_eq!(
        c["input"]["records"].as_u64(),
        full()["input"]["records"].as_u64()
    );
}
