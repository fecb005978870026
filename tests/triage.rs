//! Triage features against the reference counter: `--by` dimensions, time windows,
//! `timeline`, `lines`; and `--fail-on` exit codes. Expected values are in
//! `testdata/expected/triage/*.json`, written by `testdata/oracle.py`.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::{bsaudit, run};
use serde_json::Value;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// Every expected case, by name.
fn cases() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir("testdata/expected/triage").expect("triage dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        out.insert(name, serde_json::from_str(&text).expect("json"));
    }
    assert!(out.len() >= 15, "only {} triage cases", out.len());
    out
}

/// The case's arguments, in bsaudit's spelling.
fn args_of(case: &Value) -> Vec<String> {
    let mut args: Vec<String> = case["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect();
    // The oracle says --series service|group; bsaudit's timeline says --by.
    if let Some(at) = args.iter().position(|a| a == "--series") {
        let by = match args[at + 1].as_str() {
            "group" => "service,code",
            _ => "service",
        };
        args[at] = "--by".to_string();
        args[at + 1] = by.to_string();
    }
    args
}

fn check_report(name: &str, case: &Value) {
    let mut args = strings(&["report", case["path"].as_str().expect("path")]);
    args.extend(args_of(case));
    args.extend(strings(&[
        "--all", "--top", "0", "--format", "json", "--quiet",
    ]));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{name}: {err}");
    let r: Value = serde_json::from_str(&out).expect("report json");
    for key in [
        "lines",
        "records",
        "filtered_out",
        "empty_lines",
        "oversized",
        "incomplete_tail",
    ] {
        assert_eq!(r["input"][key], case["input"][key], "{name}: input.{key}");
    }
    assert_eq!(
        r["input"]["first_seen"], case["input"]["first_seen"],
        "{name}: first_seen"
    );
    assert_eq!(
        r["input"]["last_seen"], case["input"]["last_seen"],
        "{name}: last_seen"
    );
    let dims: Vec<String> = r["by"]
        .as_array()
        .expect("by")
        .iter()
        .map(|d| d.as_str().expect("dim").to_string())
        .collect();
    let key = |g: &Value| -> Vec<String> {
        dims.iter()
            .map(|d| match &g[d.as_str()] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    let got: BTreeMap<Vec<String>, &Value> = r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (key(g), g))
        .collect();
    let expected = case["groups"].as_array().expect("expected groups");
    assert_eq!(got.len(), expected.len(), "{name}: number of groups");
    for e in expected {
        let k = key(e);
        let g = got
            .get(&k)
            .unwrap_or_else(|| panic!("{name}: group {k:?} missing"));
        let what = format!("{name} {k:?}");
        assert_eq!(g["count"], e["count"], "{what} count");
        assert_eq!(g["latency_us"]["max"], e["max_us"], "{what} max");
        assert_eq!(g["resp_bytes"], e["resp_bytes"], "{what} resp_bytes");
        assert_eq!(g["first_seen"], e["first_seen"], "{what} first_seen");
        assert_eq!(g["last_seen"], e["last_seen"], "{what} last_seen");
        for q in ["p50", "p90", "p99"] {
            let exact = u(&e[format!("{q}_us").as_str()]);
            let got = u(&g["latency_us"][q]);
            assert!(
                got <= exact && (exact - got) as f64 <= exact as f64 / 100.0,
                "{what} {q}"
            );
        }
    }
}

fn check_timeline(name: &str, case: &Value) {
    let mut args = strings(&["timeline", case["path"].as_str().expect("path")]);
    args.extend(args_of(case));
    args.extend(strings(&["--format", "json", "--quiet"]));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{name}: {err}");
    let t: Value = serde_json::from_str(&out).expect("timeline json");
    assert_eq!(
        t["bucket_seconds"].as_f64(),
        case["bucket_seconds"].as_f64(),
        "{name}: bucket"
    );
    let key = |s: &Value| (s["service"].to_string(), s["code"].to_string());
    let got: BTreeMap<_, _> = t["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| (key(s), s))
        .collect();
    let expected = case["series"].as_array().expect("expected series");
    assert_eq!(got.len(), expected.len(), "{name}: number of series");
    for e in expected {
        let g = got
            .get(&key(e))
            .unwrap_or_else(|| panic!("{name}: series {:?} missing", key(e)));
        assert_eq!(g["points"], e["points"], "{name}: points of {:?}", key(e));
    }
}

fn check_lines(name: &str, case: &Value) {
    let path = case["path"].as_str().expect("path");
    let expected = case["lines"].as_array().expect("lines");
    let mut args = strings(&["lines", path]);
    args.extend(args_of(case));
    args.extend(strings(&["--format", "json", "--quiet"]));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{name}: {err}");
    let got: Vec<(String, u64)> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json line");
            (v["file"].as_str().expect("file").to_string(), u(&v["line"]))
        })
        .collect();
    let want: Vec<(String, u64)> = expected
        .iter()
        .map(|e| (e["file"].as_str().expect("file").to_string(), u(&e["line"])))
        .collect();
    assert_eq!(got, want, "{name}: places, in input order");

    // Raw output is the lines themselves, in the same order.
    let mut args = strings(&["lines", path]);
    args.extend(args_of(case));
    args.push("--quiet".to_string());
    let (_, raw, _) = run(&args);
    let want: Vec<&str> = expected
        .iter()
        .map(|e| e["raw"].as_str().expect("raw"))
        .collect();
    assert_eq!(raw.lines().collect::<Vec<_>>(), want, "{name}: raw lines");
}

#[test]
fn every_triage_case_matches_the_reference_counter() {
    for (name, case) in cases() {
        match case["mode"].as_str().expect("mode") {
            "report" => check_report(&name, &case),
            "timeline" => check_timeline(&name, &case),
            "lines" => check_lines(&name, &case),
            other => panic!("{name}: unknown mode {other}"),
        }
    }
}

#[test]
fn a_record_exactly_at_until_is_excluded() {
    let count = |window: &[&str]| {
        let mut args = strings(&[
            "report",
            "testdata/windows/edge.log",
            "--all",
            "--format",
            "json",
            "-q",
        ]);
        args.extend(strings(window));
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        let r: Value = serde_json::from_str(&out).expect("json");
        u(&r["input"]["records"])
    };
    let before = count(&["--until", "2025-11-24T10:42:00Z"]);
    let after = count(&["--since", "2025-11-24T10:42:00Z"]);
    let all = count(&[]);
    assert_eq!(before + after, all, "the two halves partition the records");
    // The record at exactly 10:42:00 is in --since, not --until.
    let at = count(&[
        "--since",
        "2025-11-24T10:42:00Z",
        "--until",
        "2025-11-24T10:42:00.0000001Z",
    ]);
    assert_eq!(at, 1);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let base = strings(&["report", "testdata/cluster", "-q", "--format", "json"]);
    let with = |rules: &[&str]| {
        let mut args = base.clone();
        for r in rules {
            args.push("--fail-on".to_string());
            args.push(r.to_string());
        }
        run(&args)
    };
    // BLOBNODE answered 613 129 times; ACCESS 5xx: 22 of 671 requests (3.3%).
    let (code, out, err) = with(&["BLOBNODE:613>0"]);
    assert_eq!(code, 1);
    assert!(err.contains("BLOBNODE:613>0"), "{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["fail_on"][0]["fired"], true);
    assert_eq!(r["fail_on"][0]["value"], 129.0);
    assert_eq!(with(&["ACCESS:5xx>3%"]).0, 1);
    assert_eq!(with(&["ACCESS:5xx>4%"]).0, 0);
    assert_eq!(with(&["CLUSTERMGR:613>0", "error_rate>50%"]).0, 0);
    assert_eq!(with(&["error_rate>1%"]).0, 1);
    assert_eq!(with(&["PROXY:p99>1s"]).0, 1);
    let (code, _, err) = with(&["nonsense"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn lines_limit_and_closed_pipe() {
    let (code, out, _) = run(&strings(&[
        "lines",
        "testdata/cluster",
        "--code",
        "2xx",
        "--limit",
        "3",
        "-q",
    ]));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
    // A reader that goes away early: quiet success.
    let mut child = bsaudit()
        .args(["lines", "testdata/cluster"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
