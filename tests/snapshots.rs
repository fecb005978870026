//! Golden outputs: every format of `report` over the demo tree, and `codes`. Review changes
//! with `INSTA_UPDATE=always cargo test --test snapshots` and `git diff tests/snapshots`.

// Only `stdout` is used here.
#[allow(dead_code)]
mod common;

use common::stdout;

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

#[test]
fn report_by_disk_and_host() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--service",
        "blobnode",
        "--code",
        "613",
        "--by",
        "disk,host"
    ]));
}

#[test]
fn report_by_api_markdown() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--by",
        "service,api",
        "--top",
        "5",
        "--format",
        "markdown"
    ]));
}

#[test]
fn report_by_bucket_csv() {
    insta::assert_snapshot!(stdout(&[
        "report",
        "testdata/cluster",
        "--code",
        "613",
        "--by",
        "bucket",
        "--bucket",
        "5m",
        "--format",
        "csv"
    ]));
}

#[test]
fn timeline_services() {
    insta::assert_snapshot!(stdout(&["timeline", "testdata/cluster"]));
}

#[test]
fn timeline_blobnode_codes() {
    insta::assert_snapshot!(stdout(&[
        "timeline",
        "testdata/cluster",
        "--by",
        "service,code",
        "--service",
        "blobnode",
        "--bucket",
        "5m"
    ]));
}

#[test]
fn lines_json() {
    insta::assert_snapshot!(stdout(&[
        "lines",
        "testdata/cluster",
        "--service",
        "blobnode",
        "--code",
        "613",
        "--limit",
        "3",
        "--format",
        "json"
    ]));
}
