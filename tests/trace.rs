//! `bsaudit trace` and `bsaudit hops` against the independent reference
//! (`testdata/hops_oracle.py`, answers in `testdata/expected/hops/` and
//! `testdata/expected/traces/`), against the generator's own list of the chains it wrote (on
//! the checked-in fixtures and on a tree generated here), golden outputs, and exit codes.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use common::{bsaudit, run};
use serde_json::Value;

#[allow(dead_code)]
#[path = "../examples/gen-auditlog.rs"]
mod generator;

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn json_of(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert!(matches!(code, 0 | 1), "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// A row's key: service, downstream, and host and disk when grouped by them.
fn key(h: &Value) -> Vec<String> {
    ["service", "downstream", "host", "disk"]
        .iter()
        .filter_map(|k| h.get(*k).and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn check_hops(name: &str, case: &Value) {
    let path = case["path"].as_str().expect("path");
    let mut args = vec!["hops", path, "--format", "json", "--top", "0", "-q"];
    let extra: Vec<&str> = case["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("arg"))
        .collect();
    args.extend(&extra);
    let r = json_of(&args);
    assert_eq!(r["schema"], "bsaudit.hops/v1");
    for k in ["lines", "records", "filtered_out"] {
        assert_eq!(r["input"][k], case["input"][k], "{name}: input.{k}");
    }
    assert_eq!(
        u(&r["input"]["malformed"]["total"]),
        u(&case["input"]["malformed"]),
        "{name}: malformed"
    );
    assert_eq!(r["trace_logs"], case["trace_logs"], "{name}: trace_logs");
    let got: BTreeMap<Vec<String>, &Value> = r["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| (key(h), h))
        .collect();
    let want = case["hops"].as_array().expect("expected hops");
    assert_eq!(got.len(), want.len(), "{name}: rows");
    assert_eq!(u(&r["hops_total"]), want.len() as u64, "{name}: hops_total");
    for e in want {
        let k = key(e);
        let g = got
            .get(&k)
            .unwrap_or_else(|| panic!("{name}: row {k:?} missing"));
        let what = format!("{name} {k:?}");
        assert_eq!(g["calls"], e["calls"], "{what} calls");
        assert_eq!(g["errors"], e["errors"], "{what} errors");
        assert_eq!(g["downstream_kind"], e["downstream_kind"], "{what} kind");
        for q in ["sum", "max"] {
            assert_eq!(g["latency_us"][q], e["latency_us"][q], "{what} {q}");
        }
        for q in ["p50", "p99"] {
            let (got, exact) = (u(&g["latency_us"][q]), u(&e["latency_us"][q]));
            assert!(
                got <= exact && (exact - got) as f64 <= exact as f64 / 100.0,
                "{what} {q}: {got} vs {exact}"
            );
        }
        // The top three error texts: by count, then text.
        let mut texts: Vec<(String, u64)> = e["error_texts"]
            .as_object()
            .expect("error texts")
            .iter()
            .map(|(t, n)| (t.clone(), u(n)))
            .collect();
        texts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        texts.truncate(3);
        let shown: Vec<(String, u64)> = g["top_errors"]
            .as_array()
            .expect("top errors")
            .iter()
            .map(|t| {
                (
                    t["text"].as_str().expect("text").to_string(),
                    u(&t["count"]),
                )
            })
            .collect();
        assert_eq!(shown, texts, "{what} top errors");
        assert_eq!(
            g.get("top_host")
                .map(|t| (&t["host"], &t["calls"], &t["sum_us"])),
            e.get("top_host")
                .map(|t| (&t["host"], &t["calls"], &t["sum_us"])),
            "{what} top host"
        );
    }
    let stages = r["stages"].as_array().expect("stages");
    let want = case["stages"].as_array().expect("expected stages");
    assert_eq!(stages.len(), want.len(), "{name}: stage rows");
    for (g, e) in stages.iter().zip(want) {
        assert_eq!((&g["service"], &g["api"]), (&e["service"], &e["api"]));
        assert_eq!(g["count"], e["count"], "{name}: stage count");
        for part in ["alloc_us", "read_us", "write_us"] {
            for q in ["sum", "max"] {
                assert_eq!(g[part][q], e[part][q], "{name}: {part} {q}");
            }
        }
    }
}

#[test]
fn hops_match_the_reference() {
    let mut n = 0;
    for entry in std::fs::read_dir("testdata/expected/hops").expect("expected/hops") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        check_hops(&name, &read_json(&path.to_string_lossy()));
        n += 1;
    }
    assert!(n >= 7, "only {n} hop cases");
}

/// (file, line) of every record of each trace, as bsaudit lists them.
fn traced_places(path: &str, ids: &[&str], extra: &[&str]) -> Vec<(String, Vec<(String, u64)>)> {
    let mut args = vec!["trace"];
    args.extend(ids);
    args.extend([path, "--format", "json", "-q"]);
    args.extend(extra);
    let r = json_of(&args);
    assert_eq!(r["schema"], "bsaudit.trace/v1");
    r["traces"]
        .as_array()
        .expect("traces")
        .iter()
        .map(|t| {
            let places = t["records"]
                .as_array()
                .expect("records")
                .iter()
                .map(|rec| {
                    (
                        rec["file"].as_str().expect("file").to_string(),
                        u(&rec["line"]),
                    )
                })
                .collect();
            (t["trace_id"].as_str().expect("id").to_string(), places)
        })
        .collect()
}

#[test]
fn trace_returns_exactly_each_chain_in_time_order() {
    for name in ["cluster", "json"] {
        let expected = read_json(&format!("testdata/expected/traces/{name}.json"));
        let path = expected["path"].as_str().expect("path");
        let want: Vec<(String, Vec<(String, u64)>)> = expected["traces"]
            .as_array()
            .expect("traces")
            .iter()
            .map(|t| {
                let places = t["records"]
                    .as_array()
                    .expect("records")
                    .iter()
                    .map(|r| (r["file"].as_str().expect("file").to_string(), u(&r["line"])))
                    .collect();
                (t["trace_id"].as_str().expect("id").to_string(), places)
            })
            .collect();
        assert!(want.len() > 50, "{name}: {} traces", want.len());
        let ids: Vec<&str> = want.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(traced_places(path, &ids, &[]), want, "{name}");
        // The generator's own list: the same number of records per trace.
        let listed = generator_list(&format!("testdata/expected/traces/{name}.traces.tsv"));
        for (id, places) in &want {
            assert_eq!(places.len(), listed[id].len(), "{name} {id}");
        }
    }
}

/// trace id -> (start, service, path) of each record the generator wrote, in start order.
fn generator_list(path: &str) -> BTreeMap<String, Vec<(u64, String, String)>> {
    let mut out: BTreeMap<String, Vec<(u64, String, String)>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).expect("traces.tsv").lines() {
        if line.starts_with('#') || line.starts_with("trace_id") {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let start: u64 = f[3].parse().expect("start");
        out.entry(f[0].to_string())
            .or_default()
            .push((start, f[1].to_string(), f[6].to_string()));
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// The fault the generator names in its list: (host, disk) of the slow disk.
fn slow_disk(path: &str) -> (String, String) {
    let text = std::fs::read_to_string(path).expect("traces.tsv");
    let line = text.lines().next().expect("first line");
    // "# slow disk 163 on BLOBNODE@10.9.3.17:8889"
    let words: Vec<&str> = line.split_whitespace().collect();
    let host = words[5].trim_start_matches("BLOBNODE@").to_string();
    (host, words[3].to_string())
}

fn first_row(path: &str, by: &[&str]) -> Value {
    let mut args = vec!["hops", path, "--format", "json", "-q"];
    args.extend(by);
    let r = json_of(&args);
    r["hops"][0].clone()
}

/// ACCESS is slow because one BLOBNODE disk is: the first line says so at every grouping.
fn assert_slow_disk_on_top(path: &str, slow: &(String, String)) {
    let top = first_row(path, &[]);
    assert_eq!(
        (&top["service"], &top["downstream"]),
        (&"ACCESS".into(), &"BLOBNODE".into())
    );
    assert_eq!(top["top_host"]["host"], slow.0.as_str(), "{path}");
    let top = first_row(path, &["--by", "host"]);
    assert_eq!(top["host"], slow.0.as_str(), "{path} --by host");
    let top = first_row(path, &["--by", "host,disk"]);
    assert_eq!(
        (
            &top["service"],
            &top["downstream"],
            &top["host"],
            &top["disk"]
        ),
        (
            &"ACCESS".into(),
            &"BLOBNODE".into(),
            &slow.0.as_str().into(),
            &slow.1.as_str().into()
        ),
        "{path} --by host,disk"
    );
}

#[test]
fn the_slow_disk_is_the_first_line() {
    for name in ["cluster", "json"] {
        let slow = slow_disk(&format!("testdata/expected/traces/{name}.traces.tsv"));
        assert_slow_disk_on_top(&format!("testdata/traces/{name}"), &slow);
    }
    let (code, out, _) = run(&["hops", "testdata/traces/cluster", "--by", "host,disk", "-q"]);
    assert_eq!(code, 0);
    let headline = out
        .lines()
        .find(|l| l.starts_with("Most time:"))
        .expect("headline");
    assert!(
        headline.starts_with("Most time: ACCESS → BLOBNODE@10.9.3.17:8889 disk 163,"),
        "{headline}"
    );
}

/// A tree made here, with a seed and size no fixture uses: every chain the generator wrote
/// comes back whole and in start order, and the slow disk is on top.
#[test]
fn fresh_generated_traces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = generator::TreeOptions {
        size: 3 << 20,
        seed: 99,
        json: false,
        compress: generator::Compress::None,
        file_size: 1 << 20,
        span_s: None,
    };
    let traces = generator::traces::Traces::new(99, 150, false);
    generator::write_tree_with(dir.path(), &opts, None, Some(traces)).expect("generate");
    let root = dir.path().to_string_lossy().into_owned();
    let listed = generator_list(&format!("{root}/traces.tsv"));
    assert!(listed.len() > 100, "{} traces", listed.len());
    let ids: Vec<&str> = listed.keys().map(String::as_str).collect();
    let mut args = vec!["trace"];
    args.extend(&ids);
    args.extend([root.as_str(), "--format", "json", "-q"]);
    let r = json_of(&args);
    for t in r["traces"].as_array().expect("traces") {
        let id = t["trace_id"].as_str().expect("id");
        // Records that start in the same microsecond come in input order; compare them as
        // sets by sorting both sides within a start time.
        let mut got: Vec<(i64, String, String)> = t["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|rec| {
                (
                    rec["offset_us"].as_i64().expect("offset"),
                    rec["service"].as_str().expect("service").to_string(),
                    rec["path"].as_str().expect("path").to_string(),
                )
            })
            .collect();
        got.sort();
        let first = listed[id][0].0;
        let want: Vec<(i64, String, String)> = listed[id]
            .iter()
            .map(|(start, s, p)| (((start - first) / 10) as i64, s.clone(), p.clone()))
            .collect();
        assert_eq!(got, want, "trace {id}");
        let offsets: Vec<i64> = t["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|rec| rec["offset_us"].as_i64().expect("offset"))
            .collect();
        assert!(offsets.is_sorted() && offsets[0] == 0, "{id}: {offsets:?}");
    }
    // expected.tsv stays exact with the traced records in it.
    let report = json_of(&[
        "report", &root, "--all", "--top", "0", "--format", "json", "-q",
    ]);
    let groups: BTreeMap<(String, u64), (u64, u64)> = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                (g["service"].as_str().expect("s").to_string(), u(&g["code"])),
                (u(&g["count"]), u(&g["latency_us"]["max"])),
            )
        })
        .collect();
    let expected = std::fs::read_to_string(format!("{root}/expected.tsv")).expect("expected");
    let mut rows = 0;
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let k = (f[0].to_string(), f[1].parse().expect("code"));
        let v = (f[2].parse().expect("count"), f[3].parse().expect("max"));
        assert_eq!(groups.get(&k), Some(&v), "{k:?}");
        rows += 1;
    }
    assert_eq!(rows, groups.len());
    assert_slow_disk_on_top(
        &root,
        &(
            generator::traces::SLOW_HOST.to_string(),
            generator::traces::SLOW_DISK.to_string(),
        ),
    );
}

#[test]
fn trace_reads_pipes_and_says_what_it_searched() {
    let data = std::fs::read("testdata/traces/forms.log").expect("forms");
    let mut child = bsaudit()
        .args([
            "trace",
            "f00000000000000a",
            "f000000000000001",
            "-",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&data)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let counts: Vec<usize> = r["traces"]
        .as_array()
        .expect("traces")
        .iter()
        .map(|t| t["records"].as_array().expect("records").len())
        .collect();
    // Trace ...a: ACCESS and three BLOBNODEs. Trace ...1: ACCESS, PROXY, three BLOBNODEs;
    // the junk line holding its id is searched, parsed, and not a record.
    assert_eq!(counts, [4, 5]);
    assert_eq!(u(&r["input"]["lines_searched"]), 25);
    assert_eq!(u(&r["input"]["lines_with_id"]), 10);
    assert_eq!(u(&r["input"]["records_matched"]), 9);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("25 lines searched, 10 held an id, 9 records matched"),
        "{stderr}"
    );
    // The first record of each is at offset 0, the others after it.
    let first = &r["traces"][1]["records"];
    assert_eq!(first[0]["service"], "ACCESS");
    assert_eq!(first[0]["offset_us"], 0);
    assert_eq!(
        first[0]["trace_log"]["elements"][0][0]["host"],
        "10.9.1.2:9998"
    );
    assert_eq!(first[0]["trace_log"]["elements"][0][0]["under_1ms"], true);
}

#[test]
fn trace_exit_codes() {
    // An id that matches nothing: the (empty) answer, a warning, exit 2 (nothing matched).
    let (code, out, err) = run(&["trace", "0000000000000000", "testdata/traces/forms.log"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("no records"), "{out}");
    assert!(
        err.contains("no record has trace id 0000000000000000"),
        "{err}"
    );
    // No id before the paths: a usage error.
    let (code, _, err) = run(&["trace", "testdata/traces/forms.log"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("trace id"), "{err}");
    // Filters narrow the records.
    let places = traced_places(
        "testdata/traces/forms.log",
        &["f000000000000001"],
        &["--service", "blobnode"],
    );
    assert_eq!(places[0].1.len(), 3);
}

#[test]
fn hops_usage_errors() {
    for args in [
        &["hops", "testdata/traces/forms.log", "--by", "api"][..],
        &["hops", "testdata/traces/forms.log", "--by", "host,host"],
        &["hops", "-", "--by", "disk"],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    let (code, out, _) = run(&["hops", "testdata/cluster", "-q"]);
    assert_eq!(code, 0);
    assert!(out.contains("No calls to other modules"), "{out}");
}

#[test]
fn trace_log_fuzz_regressions() {
    let mut n = 0;
    for entry in std::fs::read_dir("fuzz/regressions/trace_log").expect("regressions dir") {
        let path = entry.expect("entry").path();
        bsaudit::tracelog::check(&std::fs::read(&path).expect("read"));
        n += 1;
    }
    assert!(n >= 4, "found {n} regression inputs");
}

fn stdout(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert!(matches!(code, 0 | 1), "{args:?}: {err}");
    out
}

#[test]
fn trace_waterfall() {
    insta::assert_snapshot!(stdout(&[
        "trace",
        "f000000000000001",
        "f00000000000000a",
        "testdata/traces/forms.log",
        "-q"
    ]));
}

#[test]
fn trace_json() {
    insta::assert_snapshot!(stdout(&[
        "trace",
        "f000000000000003",
        "testdata/traces/forms.log",
        "--format",
        "json",
        "-q"
    ]));
}

#[test]
fn trace_generated_put() {
    let expected = read_json("testdata/expected/traces/cluster.json");
    // The first traced put in the fixture.
    let id = expected["traces"]
        .as_array()
        .expect("traces")
        .iter()
        .find(|t| t["records"].as_array().is_some_and(|r| r.len() > 6))
        .and_then(|t| t["trace_id"].as_str())
        .expect("a put")
        .to_string();
    insta::assert_snapshot!(stdout(&["trace", &id, "testdata/traces/cluster", "-q"]));
}

#[test]
fn hops_table() {
    insta::assert_snapshot!(stdout(&["hops", "testdata/traces/cluster", "-q"]));
}

#[test]
fn hops_by_host_disk_table() {
    insta::assert_snapshot!(stdout(&[
        "hops",
        "testdata/traces/cluster",
        "--by",
        "host,disk",
        "--top",
        "8",
        "-q"
    ]));
}

#[test]
fn hops_forms_json() {
    insta::assert_snapshot!(stdout(&[
        "hops",
        "testdata/traces/forms.log",
        "--by",
        "host",
        "--top",
        "6",
        "--format",
        "json",
        "-q"
    ]));
}
