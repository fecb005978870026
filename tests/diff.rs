//! `bsaudit diff` end to end: on the generator's `--scenario incident` tree it flags exactly
//! BLOBNODE 613 and ACCESS 500 (rose or new) and ACCESS latency, on `--scenario calm` nothing;
//! on the demo cluster `--since 10:40 --baseline prev` finds its incident; the baseline
//! forms agree with each other; the table is snapshotted.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::run;
use serde_json::Value;

#[allow(dead_code)]
#[path = "../examples/gen-auditlog.rs"]
mod generator;

use generator::{Compress, Scenario, TreeOptions, write_tree_with};

/// A few MiB: about 14 000 records.
const SIZE: u64 = 6 << 20;

fn generate(scenario: Scenario, seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = TreeOptions {
        size: SIZE,
        seed,
        json: false,
        compress: Compress::None,
        file_size: 256 << 20,
        span_s: None,
    };
    write_tree_with(dir.path(), &opts, Some(scenario), None).expect("generate");
    dir
}

/// The onset from the tree's scenario.tsv: 60% of the generated day.
fn onset(dir: &Path) -> String {
    let tsv = std::fs::read_to_string(dir.join("scenario.tsv")).expect("scenario.tsv");
    tsv.lines()
        .find_map(|l| l.strip_prefix("onset\t"))
        .expect("onset")
        .to_string()
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--quiet"]);
    let (code, out, err) = run(&all);
    assert!(matches!(code, 0 | 1), "{code}: {err}");
    (code, serde_json::from_str(&out).expect("JSON"))
}

/// Non-steady rate rows as "SERVICE CODE" -> verdict.
fn flagged_rates(d: &Value) -> BTreeMap<String, String> {
    d["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["verdict"] != "steady")
        .map(|r| {
            let key: Vec<&str> = r["key"]
                .as_array()
                .expect("key")
                .iter()
                .map(|k| k.as_str().expect("text"))
                .collect();
            (key.join(" "), r["verdict"].as_str().expect("v").to_string())
        })
        .collect()
}

/// Non-steady latency rows as "SERVICE" or "SERVICE CODE" -> verdict.
fn flagged_latency(d: &Value) -> BTreeMap<String, String> {
    d["latency"]
        .as_array()
        .expect("latency")
        .iter()
        .filter(|r| r["verdict"] != "steady")
        .map(|r| {
            let name = match r["code"].as_u64() {
                Some(c) => format!("{} {c}", r["service"].as_str().expect("s")),
                None => r["service"].as_str().expect("s").to_string(),
            };
            (name, r["verdict"].as_str().expect("v").to_string())
        })
        .collect()
}

/// The diff of a generated tree between the first 60% of its day and the rest.
fn split_diff(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let at = onset(dir);
    let path = dir.to_str().expect("utf-8 path");
    let mut args = vec!["diff", "--since", &at, "--baseline-until", &at, path];
    args.extend(extra);
    json(&args)
}

#[test]
fn incident_is_flagged_exactly() {
    for seed in [1, 2] {
        let dir = generate(Scenario::Incident, seed);
        let (code, d) = split_diff(dir.path(), &["--fail-on", "rose:server"]);
        assert_eq!(d["schema"], "bsaudit.diff/v1");
        let rates = flagged_rates(&d);
        assert_eq!(
            rates.keys().collect::<Vec<_>>(),
            ["ACCESS 500", "BLOBNODE 613"],
            "seed {seed}: {rates:?}"
        );
        assert!(
            rates.values().all(|v| v == "rose" || v == "new"),
            "{rates:?}"
        );
        // Ranked first, by effect.
        let first: Vec<&Value> = d["rows"].as_array().expect("rows")[..2].iter().collect();
        assert!(first.iter().all(|r| r["verdict"] != "steady"));
        assert!(first[0]["effect"].as_f64() >= first[1]["effect"].as_f64());
        let lat = flagged_latency(&d);
        assert_eq!(lat.get("ACCESS").map(String::as_str), Some("slower"));
        assert!(
            lat.iter()
                .all(|(k, v)| k.starts_with("ACCESS") && v == "slower"),
            "{lat:?}"
        );
        // A server error rose: the rule fires.
        assert_eq!(code, 1, "seed {seed}");
        assert_eq!(d["fail_on"][0]["fired"], true);
        assert_eq!(d["fail_on"][0]["rows"], 2);
        // No client error did.
        let (code, _) = split_diff(dir.path(), &["--fail-on", "rose:client"]);
        assert_eq!(code, 0);
    }
}

#[test]
fn incident_by_disk_names_the_broken_disk() {
    let dir = generate(Scenario::Incident, 1);
    let (_, d) = split_diff(dir.path(), &["--by", "service,disk,code"]);
    let rates = flagged_rates(&d);
    assert!(
        matches!(
            rates.get("BLOBNODE 233 613").map(String::as_str),
            Some("rose" | "new")
        ),
        "{rates:?}"
    );
    assert!(
        rates
            .keys()
            .all(|k| k.starts_with("BLOBNODE") || k.starts_with("ACCESS")),
        "{rates:?}"
    );
}

#[test]
fn calm_flags_nothing_at_the_defaults() {
    for seed in [1, 2, 3] {
        let dir = generate(Scenario::Calm, seed);
        let (code, d) = split_diff(
            dir.path(),
            &["--fail-on", "rose:any", "--fail-on", "fell:any"],
        );
        assert!(flagged_rates(&d).is_empty(), "seed {seed}: {d}");
        assert!(flagged_latency(&d).is_empty(), "seed {seed}");
        assert_eq!(code, 0);
    }
}

#[test]
fn cluster_since_1040_against_the_window_before() {
    let (code, d) = json(&[
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "prev",
        "--fail-on",
        "new:any",
    ]);
    assert_eq!(code, 1);
    assert_eq!(d["incident"]["since"], "2025-11-24T10:40:00.000000Z");
    assert_eq!(d["baseline"]["until"], "2025-11-24T10:40:00.000000Z");
    // The same length as the incident window, closed at its last record.
    let (b, i) = (
        d["baseline"]["minutes"].as_f64().expect("minutes"),
        d["incident"]["minutes"].as_f64().expect("minutes"),
    );
    assert!((b - i).abs() < 1e-9, "{b} {i}");
    let rates = flagged_rates(&d);
    assert_eq!(rates.get("BLOBNODE 613").map(String::as_str), Some("new"));
    assert_eq!(d["rows"][0]["key"][0], "BLOBNODE");
    // Every record of both windows is in exactly one row per window.
    for (side, window) in [("baseline", "baseline"), ("incident", "incident")] {
        let sum: u64 = d["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r[side]["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(sum, d[window]["records"].as_u64().expect("records"));
    }
}

#[test]
fn baseline_forms_agree() {
    let rows = |args: &[&str]| {
        let mut all = vec![
            "diff",
            "testdata/cluster",
            "--since",
            "10:40",
            "--until",
            "10:50",
        ];
        all.extend(args);
        let (_, d) = json(&all);
        (d["baseline"].clone(), d["rows"].clone())
    };
    let prev = rows(&["--baseline", "prev"]);
    let explicit = rows(&["--baseline-since", "10:30", "--baseline-until", "10:40"]);
    let other_input = rows(&[
        "--baseline",
        "testdata/cluster",
        "--baseline-since",
        "10:30",
        "--baseline-until",
        "10:40",
    ]);
    assert_eq!(prev, explicit);
    assert_eq!(prev, other_input);
    assert_eq!(prev.0["since"], "2025-11-24T10:30:00.000000Z");
}

#[test]
fn a_baseline_without_records_or_without_a_start_is_an_error() {
    let (code, _, err) = run(&[
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "1d",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no BlobStore audit records in the baseline window"),
        "{err}"
    );
    let (code, _, err) = run(&["diff", "testdata/cluster", "--baseline", "prev"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since"), "{err}");
    let (code, _, err) = run(&["diff", "testdata/cluster"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a baseline"), "{err}");
    let (code, _, err) = run(&[
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "prev",
        "--fail-on",
        "up:server",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("VERDICT:CLASS"), "{err}");
}

#[test]
fn every_format_renders() {
    let base = [
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "prev",
    ];
    for (format, head) in [
        ("csv", "kind,dims,key,verdict,"),
        ("markdown", "## bsaudit diff"),
        ("table", "Baseline: "),
    ] {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(head), "{format}: {out}");
        assert!(out.contains("BLOBNODE") && out.contains("613"), "{format}");
    }
}

#[test]
fn snapshot_table_on_the_cluster() {
    let (code, out, err) = run(&[
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "prev",
        "--top",
        "5",
    ]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn csv_numbers_read_back_as_the_json_ones() {
    let base = [
        "diff",
        "testdata/cluster",
        "--since",
        "10:40",
        "--baseline",
        "prev",
    ];
    let (_, d) = json(&base);
    let mut args = base.to_vec();
    args.extend(["--format", "csv", "-q"]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + d["rows"].as_array().expect("rows").len());
    // The first row: BLOBNODE 613, with a q-value far below what Display would keep.
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let first = rdr.records().next().expect("a row").expect("csv");
    assert_eq!(&first[2], "BLOBNODE,613");
    let q: f64 = first[17].parse().expect("q as f64");
    assert_eq!(Some(q), d["rows"][0]["q_value"].as_f64());
}

#[test]
fn one_baseline_window_at_a_time() {
    for extra in [
        &["--baseline", "prev", "--baseline", "1h"][..],
        &["--baseline", "prev", "--baseline-until", "10:40"][..],
    ] {
        let mut args = vec!["diff", "testdata/cluster", "--since", "10:40"];
        args.extend(extra);
        let (code, _, err) = run(&args);
        assert_eq!(code, 2);
        assert!(err.contains("give one baseline window"), "{err}");
    }
}
