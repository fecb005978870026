//! Golden outputs: every format of `report` over the demo tree, and `codes`. Review changes
//! with `INSTA_UPDATE=always cargo test --test snapshots` and `git diff tests/snapshots`.

use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;

fn stdout(args: &[&str]) -> String {
    let out = Command::new(cargo_bin("bsaudit"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("bsaudit runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn report_table() {
    insta::assert_snapshot!(stdout(&["report", "testdata/cluster", "--top", "5"]));
}

#[test]
fn report_json() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--top",
        "5",
        "--format",
        "json"
    ]));
}

#[test]
fn report_csv() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--all",
        "--top",
        "0",
        "--format",
        "csv"
    ]));
}

#[test]
fn report_markdown() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--top",
        "3",
        "--format",
        "markdown"
    ]));
}

#[test]
fn report_awkward_table() {
    insta::assert_snapshot!(stdout(&["report", "testdata/awkward", "--all"]));
}

#[test]
fn codes_table() {
    insta::assert_snapshot!(stdout(&["codes"]));
}

#[test]
fn codes_explained() {
    insta::assert_snapshot!(stdout(&["codes", "613", "499", "700"]));
}

#[test]
fn codes_csv() {
    insta::assert_snapshot!(stdout(&["codes", "--format", "csv"]));
}
