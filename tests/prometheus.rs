//! `report --format prometheus` and `-o FILE`: the exposition text over the demo tree (golden),
//! `promtool check metrics` on every test tree, request counts that add up to the records,
//! the cardinality cap, and atomic replacement of the output file.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::cargo_bin;

fn run(args: &[&str]) -> Output {
    Command::new(cargo_bin("bsaudit"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("bsaudit runs")
}

fn metrics(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        matches!(out.status.code(), Some(0..=2)) && !out.stdout.is_empty(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The value of every sample of `name` (exact name, labels aside).
fn samples<'a>(text: &'a str, name: &str) -> Vec<(&'a str, u64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .map(|l| {
            let (labels, value) = l.rsplit_once(' ').expect("name value");
            (labels, value.parse().expect("an integer"))
        })
        .collect()
}

/// Records kept, from the JSON report's input health.
fn records_of(tree: &str) -> u64 {
    let text = metrics(&["report", tree, "--format", "json", "-q"]);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["input"]["records"].as_u64().expect("records")
}

#[test]
fn golden_cluster() {
    insta::assert_snapshot!(metrics(&[
        "report",
        "testdata/cluster",
        "--format",
        "prometheus",
        "-q"
    ]));
}

#[test]
fn request_counts_add_up_to_the_records() {
    for tree in ["testdata/cluster", "testdata/awkward", "testdata/windows"] {
        let text = metrics(&["report", tree, "--format", "prometheus", "-q"]);
        let total: u64 = samples(&text, "bsaudit_requests").iter().map(|s| s.1).sum();
        let records = records_of(tree);
        assert_eq!(total, records, "{tree}");
        let counted: u64 = samples(&text, "bsaudit_request_duration_seconds_count")
            .iter()
            .map(|s| s.1)
            .sum();
        assert_eq!(counted, records, "{tree}: histogram counts");
        let kept = samples(&text, "bsaudit_input_lines")
            .into_iter()
            .find(|(l, _)| l.contains("outcome=\"record\""))
            .expect("record line")
            .1;
        assert_eq!(kept, records, "{tree}");
    }
}

#[test]
fn the_cap_folds_into_other_and_keeps_the_sums() {
    let text = metrics(&[
        "report",
        "testdata/cluster",
        "--format",
        "prometheus",
        "--max-series",
        "5",
        "-q",
    ]);
    let rows = samples(&text, "bsaudit_requests");
    let named = rows
        .iter()
        .filter(|r| !r.0.contains("api=\"other\""))
        .count();
    assert_eq!(named, 5, "{text}");
    let folded: u64 = rows
        .iter()
        .filter(|r| r.0.contains("api=\"other\",method=\"other\""))
        .map(|r| r.1)
        .sum();
    assert!(folded > 0);
    assert_eq!(
        samples(&text, "bsaudit_folded_requests"),
        [("bsaudit_folded_requests", folded)]
    );
    let total: u64 = rows.iter().map(|r| r.1).sum();
    assert_eq!(total, 3516);
    let full = metrics(&["report", "testdata/cluster", "--format", "prometheus", "-q"]);
    let sets = samples(&full, "bsaudit_requests").len() as u64 - 5;
    assert_eq!(
        samples(&text, "bsaudit_folded_label_sets"),
        [("bsaudit_folded_label_sets", sets)]
    );
    // Every histogram stays cumulative and ends at its count.
    let counted: u64 = samples(&text, "bsaudit_request_duration_seconds_count")
        .iter()
        .map(|s| s.1)
        .sum();
    assert_eq!(counted, 3516);
}

fn promtool() -> Option<&'static str> {
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("promtool");
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "promtool is missing under CI: .ci/run installs the Debian package prometheus"
    );
    eprintln!("promtool not found: skipping `promtool check metrics` (apt install prometheus)");
    None
}

#[test]
fn promtool_finds_nothing_on_any_test_tree() {
    let Some(tool) = promtool() else { return };
    for tree in [
        "testdata/cluster",
        "testdata/awkward",
        "testdata/broken",
        "testdata/windows",
        "testdata/real-writer",
    ] {
        for extra in [&[][..], &["--max-series", "3"][..]] {
            let mut args = vec!["report", tree, "--format", "prometheus", "-q"];
            args.extend_from_slice(extra);
            let text = metrics(&args);
            let mut child = Command::new(tool)
                .args(["check", "metrics"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("promtool runs");
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
            let out = child.wait_with_output().expect("promtool ends");
            assert!(
                out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
                "{tree} {extra:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

#[test]
fn output_file_is_what_stdout_would_be() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bsaudit.prom");
    std::fs::write(&path, "old\n").expect("seed");
    let p = path.to_str().expect("utf-8 path");
    let out = run(&[
        "report",
        "testdata/cluster",
        "--format",
        "prometheus",
        "-q",
        "-o",
        p,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let stdout = metrics(&["report", "testdata/cluster", "--format", "prometheus", "-q"]);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), stdout);
    assert_eq!(
        metrics(&[
            "report",
            "testdata/cluster",
            "--format",
            "prometheus",
            "-q",
            "-o",
            "-"
        ]),
        stdout
    );
    for cmd in [
        &["timeline", "testdata/cluster", "--format", "csv", "-q"][..],
        &["report", "testdata/cluster", "--format", "json", "-q"][..],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["-o", p]);
        assert_eq!(run(&args).status.code(), Some(0));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            metrics(cmd),
            "{cmd:?}"
        );
    }
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_failed_output_keeps_the_old_file_and_no_temp() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory cannot be replaced by a file: the rename fails after the write.
    let target = dir.path().join("busy");
    std::fs::create_dir(&target).expect("dir");
    std::fs::write(target.join("keep"), "old").expect("seed");
    let out = run(&[
        "report",
        "testdata/cluster",
        "--format",
        "prometheus",
        "-q",
        "-o",
        target.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("keep")).expect("kept"),
        "old"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn prometheus_is_for_report_only() {
    for args in [
        &["timeline", "testdata/cluster", "--format", "prometheus"][..],
        &["report", "testdata/cluster", "--max-series", "5"][..],
        &[
            "report",
            "testdata/cluster",
            "--format",
            "prometheus",
            "--by",
            "service,disk",
        ][..],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
}
