//! `bsaudit export` and `codes --format parquet|ndjson`: the exports go through DuckDB and chDB
//! with the shipped SQL (tests/export_sql.py) and must give `bsaudit report`'s numbers exactly;
//! every line is accounted for on stderr; files appear whole or not at all.

mod common;

use std::path::Path;
use std::process::Command;

use common::run;
use serde_json::Value;

/// Microseconds since the epoch of a report time (`2025-11-24T10:42:02.718309Z`).
fn micros(t: &str) -> i64 {
    let ts: jiff::Timestamp = t.parse().expect("report time");
    ts.as_microsecond()
}

fn export(args: &[&str]) -> String {
    let (code, _, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    err
}

/// The default report's ranking as [service, code, count, class, message, max, first, last].
fn report_rows(dir: &str) -> Vec<Value> {
    let (code, out, err) = run(&["report", "--top", "0", "--format", "json", dir]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("report json");
    doc["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            serde_json::json!([
                g["service"],
                g["code"],
                g["count"],
                g["class"],
                g["meaning"]["message"],
                g["latency_us"]["max"],
                micros(g["first_seen"].as_str().expect("first")),
                micros(g["last_seen"].as_str().expect("last")),
            ])
        })
        .collect()
}

/// Every (service, code) count of `report --all`, sorted by service then code.
fn all_counts(dir: &str) -> Vec<Value> {
    let (code, out, err) = run(&["report", "--all", "--top", "0", "--format", "json", dir]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("report json");
    let mut rows: Vec<(String, u64, u64)> = doc["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["service"].as_str().expect("service").to_string(),
                g["code"].as_u64().expect("code"),
                g["count"].as_u64().expect("count"),
            )
        })
        .collect();
    rows.sort();
    rows.into_iter()
        .map(|(s, c, n)| serde_json::json!([s, c, n]))
        .collect()
}

#[test]
fn duckdb_and_chdb_give_the_reports_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| dir.path().join(name).display().to_string();
    let (parquet, ndjson, codes) = (p("r.parquet"), p("r.ndjson"), p("codes.parquet"));
    let data = "testdata/cluster";
    for (format, out) in [("parquet", &parquet), ("ndjson", &ndjson)] {
        let err = export(&["export", "--format", format, "-o", out, data]);
        assert!(err.contains("3516 lines: 3516 records"), "{err}");
        assert!(err.contains("exported 3516 rows to"), "{err}");
    }
    export(&["codes", "--format", "parquet", "-o", &codes]);
    engines_agree(&parquet, &ndjson, &codes, data);
}

/// Runs the shipped SQL over the exports (paths or globs) in DuckDB and chDB and compares
/// with `bsaudit report` on `data`; skips outside CI when the engines are missing.
fn engines_agree(parquet: &str, ndjson: &str, codes: &str, data: &str) {
    let out = Command::new("python3")
        .args(["tests/export_sql.py", parquet, ndjson, codes])
        .output();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let out = match out {
        Ok(o) if o.status.code() == Some(3) => {
            let why = String::from_utf8_lossy(&o.stderr).into_owned();
            assert!(!ci, "CI=true and python duckdb/chdb are missing: {why}");
            eprintln!("skipped: {why} (pip install duckdb chdb)");
            return;
        }
        Ok(o) => o,
        Err(e) => {
            assert!(!ci, "CI=true and python3 cannot run: {e}");
            eprintln!("skipped: no python3 ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "export_sql.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).expect("engines' json");
    let expected = report_rows(data);
    assert!(expected.len() > 10, "{expected:?}");
    let every = all_counts(data);
    for engine in ["duckdb-parquet", "duckdb-ndjson", "chdb-parquet"] {
        assert_eq!(
            got["engines"][engine].as_array().expect(engine),
            &expected,
            "{engine}"
        );
        assert_eq!(
            got["all"][engine].as_array().expect(engine),
            &every,
            "{engine}"
        );
    }
}

#[test]
fn a_directory_gets_one_part_per_input_with_the_same_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = "testdata/cluster";
    let mut globs = Vec::new();
    for format in ["parquet", "ndjson"] {
        let out = dir.path().join(format);
        std::fs::create_dir(&out).expect("mkdir");
        let err = export(&[
            "export",
            "--format",
            format,
            "-o",
            &out.display().to_string(),
            data,
        ]);
        assert!(err.contains("exported 3516 rows to 13 files in"), "{err}");
        let names: Vec<String> = std::fs::read_dir(&out)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            13,
            "one part per input file, no temporaries: {names:?}"
        );
        assert!(
            names.iter().all(|n| n.ends_with(&format!(".{format}"))),
            "{names:?}"
        );
        if format == "ndjson" {
            let mut rows = 0;
            for name in &names {
                let text = std::fs::read_to_string(out.join(name)).expect("part");
                let files: std::collections::BTreeSet<String> = text
                    .lines()
                    .map(|l| {
                        let v: Value = serde_json::from_str(l).expect("row");
                        v["file"].as_str().expect("file").to_string()
                    })
                    .collect();
                assert_eq!(files.len(), 1, "{name} holds rows of one input: {files:?}");
                rows += text.lines().count();
            }
            assert_eq!(rows, 3516);
        }
        globs.push(out.join(format!("*.{format}")).display().to_string());
    }
    let codes = dir.path().join("codes.parquet").display().to_string();
    export(&["codes", "--format", "parquet", "-o", &codes]);
    engines_agree(&globs[0], &globs[1], &codes, data);
}

#[test]
fn lines_that_are_not_records_are_counted_not_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("a.ndjson");
    let out = out.to_str().expect("utf-8");
    let data = "testdata/awkward";
    let (_, _, report_err) = run(&["report", "--format", "json", data]);
    let (code, _, err) = run(&["export", "--format", "ndjson", "-o", out, data]);
    // The same accounting line as report's (malformed by reason, oversized, tails).
    let accounting = |s: &str| {
        s.lines()
            .find(|l| l.contains(" lines: "))
            .map(str::to_string)
            .expect("accounting line")
    };
    assert_eq!(accounting(&err), accounting(&report_err));
    let (_, json, _) = run(&["report", "--format", "json", data]);
    let records = serde_json::from_str::<Value>(&json).expect("json")["input"]["records"]
        .as_u64()
        .expect("records");
    let text = std::fs::read_to_string(out).expect("export");
    assert_eq!(text.lines().count() as u64, records, "{err}");
    assert!(err.contains(&format!("exported {records} rows")), "{err}");
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(v["line"].as_u64().is_some_and(|n| n > 0), "{line}");
        assert!(
            v["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
    }
    assert!(matches!(code, 0 | 2), "{err}");
}

#[test]
fn rows_name_their_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.ndjson");
    let out = out.to_str().expect("utf-8");
    export(&[
        "export",
        "--format",
        "ndjson",
        "--with-headers",
        "--node",
        "n7",
        "-o",
        out,
        "--service",
        "blobnode",
        "--code",
        "613",
        "testdata/cluster",
    ]);
    let text = std::fs::read_to_string(out).expect("export");
    let (_, lines, _) = run(&[
        "lines",
        "--service",
        "blobnode",
        "--code",
        "613",
        "testdata/cluster",
    ]);
    assert_eq!(text.lines().count(), 129);
    assert_eq!(lines.lines().count(), 129);
    let first: Value = serde_json::from_str(text.lines().next().expect("row")).expect("json");
    assert_eq!(first["node"], "n7");
    assert_eq!(first["code"], 613);
    assert_eq!(first["class"], "server");
    assert_eq!(first["disk"], 233);
    assert_eq!(first["trace_id"], "df76e80ad7256c06");
    assert_eq!(first["line"], 431);
    assert!(
        first["resp_header"]
            .as_str()
            .is_some_and(|h| h.contains("df76e80ad7256c06"))
    );
    // The raw line at that place is the record.
    let file = first["file"].as_str().expect("file");
    assert!(file.ends_with("a-2gse2gw.zst"), "{file}");
    assert!(
        lines
            .lines()
            .next()
            .is_some_and(|l| l.contains("df76e80ad7256c06"))
    );
}

#[test]
fn parquet_needs_a_file_and_failures_leave_nothing() {
    let (code, _, err) = run(&[
        "export",
        "--format",
        "parquet",
        "-o",
        "-",
        "testdata/cluster",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be streamed"), "{err}");
    let (code, _, err) = run(&["codes", "--format", "parquet"]);
    assert_eq!(code, 2, "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("none.parquet");
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "junk\n").expect("write");
    let (code, _, _) = run(&[
        "export",
        "--format",
        "parquet",
        "-o",
        out.to_str().expect("utf-8"),
        empty.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("empty.log")]);
    assert!(!Path::new(&out).exists());
}

#[test]
fn codes_export_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("codes.csv");
    export(&[
        "codes",
        "--format",
        "csv",
        "-o",
        csv.to_str().expect("utf-8"),
    ]);
    let (_, stdout_csv, _) = run(&["codes", "--format", "csv"]);
    assert_eq!(std::fs::read_to_string(&csv).expect("csv"), stdout_csv);
    let (code, ndjson, _) = run(&["codes", "--format", "ndjson", "6xx"]);
    assert_eq!(code, 0);
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        rows.len(),
        stdout_csv.lines().filter(|l| l.starts_with('6')).count()
    );
    assert!(rows.iter().all(|r| r["owner"] == "BLOBNODE"));
}
