//! The command line as an on-call engineer meets it (issue 10): times of day and `now-D`,
//! filters that match nothing, mostly malformed input, `codes` with bad arguments,
//! `--fail-on` in human units, the timeline chart's rows, `-L/--follow-links`, and the
//! generated completions and manual pages.

mod common;

use common::run;
use serde_json::Value;

/// Runs a `report --format json -q` and returns (exit code, records kept, stderr).
fn records(args: &[&str]) -> (i32, u64, String) {
    let mut all = vec![
        "report",
        "testdata/cluster",
        "--all",
        "--format",
        "json",
        "-q",
    ];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let n = r["input"]["records"].as_u64().expect("records");
    (code, n, err)
}

/// The reference counter's count for `--since 2025-11-24T10:42:00Z --until 10:50:00Z`.
fn oracle_window_abs() -> u64 {
    let text = std::fs::read_to_string("testdata/expected/triage/window-abs.json").expect("case");
    let case: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        case["args"],
        serde_json::json!([
            "--since",
            "2025-11-24T10:42:00Z",
            "--until",
            "2025-11-24T10:50:00Z"
        ])
    );
    case["input"]["records"].as_u64().expect("records")
}

#[test]
fn times_of_day_are_on_the_newest_records_date() {
    // testdata/cluster holds 2025-11-24 10:00..10:59Z: 10:50 means 2025-11-24T10:50Z.
    let (code, until, _) = records(&["--until", "10:50"]);
    assert_eq!(code, 0);
    assert_eq!(until, records(&["--until", "2025-11-24T10:50:00Z"]).1);
    assert!(until > 0 && until < 3516, "{until}");
    let (_, both, _) = records(&["--since", "10:42", "--until", "10:50:00"]);
    assert_eq!(both, oracle_window_abs());
    assert_eq!(
        records(&["--since", "10:50:30"]).1,
        records(&["--since", "2025-11-24T10:50:30Z"]).1
    );
    // In the system's zone with --local: 18:50 in UTC+8 is 10:50Z.
    let (code, out, err) = common::bsaudit()
        .args([
            "report",
            "testdata/cluster",
            "--all",
            "--format",
            "json",
            "-q",
            "--local",
            "--until",
            "18:50",
        ])
        .env("TZ", "Asia/Shanghai")
        .output()
        .map(|o| {
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .expect("runs");
    assert_eq!(code, Some(0), "{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["input"]["records"].as_u64(), Some(until));
}

#[test]
fn now_counts_from_the_clock() {
    // --now=T pretends the clock says T: now-D, durations and times of day count from it.
    let now = "--now=2025-11-24T11:00:00Z";
    assert_eq!(
        records(&[now, "--since", "now-18m", "--until", "now-10m"]).1,
        oracle_window_abs()
    );
    assert_eq!(
        records(&[now, "--last", "30m"]).1,
        records(&["--since", "2025-11-24T10:30:00Z"]).1
    );
    assert_eq!(
        records(&[now, "--since", "10:42", "--until", "10:50"]).1,
        oracle_window_abs()
    );
    // Without --now, a plain duration counts from the newest record (10:59:59.559313Z) and
    // matches the reference counter's --last 15m; with --now set to that record, the same.
    let text = std::fs::read_to_string("testdata/expected/triage/window-last.json").expect("case");
    let last: Value = serde_json::from_str(&text).expect("json");
    let expected = last["input"]["records"].as_u64().expect("records");
    assert_eq!(records(&["--last", "15m"]).1, expected);
    assert_eq!(
        records(&["--now=2025-11-24T10:59:59.559313Z", "--last", "15m"]).1,
        expected
    );
    // The real clock is long after these logs: nothing in the window, said so, status 2.
    for args in [&["--since", "now-15m"][..], &["--now", "--last", "15m"]] {
        let (code, n, err) = records(args);
        assert_eq!((code, n), (2, 0), "{args:?}: {err}");
        assert!(err.contains("no record in the window ["), "{err}");
        assert!(
            err.contains("the newest record read is at 2025-11-24T"),
            "{err}"
        );
    }
    // An empty window is an argument error, found before reading when it can be.
    let (code, _, err) = run(&[
        "report",
        "testdata/cluster",
        now,
        "--since",
        "10:50",
        "--until",
        "10:40",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("must be before --until"), "{err}");
    let (code, _, err) = run(&[
        "report",
        "testdata/cluster",
        "--since",
        "10:50",
        "--until",
        "10:40",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("2025-11-24T10:50:00.000000Z"), "{err}");
}

#[test]
fn filters_that_match_nothing_name_what_exists() {
    let (code, out, err) = run(&["report", "testdata/cluster", "--service", "NOSUCH", "-q"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("No records matched."), "{out}");
    assert!(
        err.contains(
            "bsaudit: no service NOSUCH; seen: ACCESS, BLOBNODE, CLUSTERMGR, PROXY, SCHEDULER, \
             SHARDNODE"
        ),
        "{err}"
    );
    // One good value and one bad: only the bad one is named.
    let (code, _, err) = run(&[
        "report",
        "testdata/cluster",
        "--service",
        "blobnode",
        "--code",
        "999",
        "-q",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("bsaudit: no code 999; seen: "), "{err}");
    assert!(!err.contains("no service"), "{err}");
    // Every command says so, for the other filters too.
    let (code, _, err) = run(&[
        "timeline",
        "testdata/cluster",
        "--api",
        "shard.gett",
        "--host",
        "10.9.3.17:9999",
        "-q",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no api shard.gett; seen: shard.get, "),
        "{err}"
    );
    assert!(err.contains("no host 10.9.3.17:9999; seen: "), "{err}");
    assert!(err.contains("10.9.3.17:8889"), "{err}");
    let (code, out, err) = run(&["lines", "testdata/cluster", "--min-duration", "30s", "-q"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("no request took at least 30.00s; the slowest took 24.67s"),
        "{err}"
    );
    // Values that each occur but never together.
    let (code, _, err) = run(&[
        "report",
        "testdata/cluster",
        "--service",
        "proxy",
        "--code",
        "613",
        "-q",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no record matches all the filters together"),
        "{err}"
    );
    // Values looked for within the window.
    let (code, _, err) = run(&[
        "report",
        "testdata/cluster",
        "--until",
        "10:01",
        "--code",
        "613",
        "-q",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no code 613 in the window; seen: "), "{err}");
    // A filter that matches keeps the old status.
    assert_eq!(
        run(&["report", "testdata/cluster", "--service", "blobnode", "-q"]).0,
        0
    );
}

#[test]
fn mostly_malformed_input_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("0-0");
    let good =
        std::fs::read_to_string("testdata/real-writer/blobnode/auditlog/0-0").expect("sample");
    let good: Vec<&str> = good.lines().take(30).collect();
    // 30 records, then 10 lines of another format: 25% malformed, the first at line 31.
    let mut text = good.join("\n");
    text.push('\n');
    for i in 0..10 {
        text.push_str(&format!("2025-11-24 10:00:{i:02} INFO something else\n"));
    }
    std::fs::write(&path, text).expect("write");
    let p = path.to_str().expect("utf-8 path");
    let (code, _, err) = run(&["report", p, "-q"]);
    assert_eq!(code, 0, "a warning, not a failure: {err}");
    assert!(
        err.contains(&format!(
            "bsaudit: warning: 25.0% of the lines (10 of 40) are not audit records; most are \
             no_req (10), first at {p}:31."
        )),
        "{err}"
    );
    // Under the threshold: quiet.
    let (_, _, err) = run(&["report", "testdata/cluster", "-q"]);
    assert!(!err.contains("warning"), "{err}");
    // The awkward fixtures are 37% malformed; timeline and lines warn as well.
    for cmd in ["report", "timeline", "lines"] {
        let (_, _, err) = run(&[cmd, "testdata/awkward", "-q"]);
        assert!(
            err.contains("37.0% of the lines (50 of 135) are not audit records"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn codes_explains_the_good_and_names_the_bad() {
    let (code, out, err) = run(&["codes", "613", "abc", "999", "467"]);
    assert_eq!(code, 2);
    assert!(out.starts_with("613 BLOBNODE: \"disk is broken\""), "{out}");
    assert!(
        out.contains("467 ACCESS: \"access call shard node fail\""),
        "{out}"
    );
    assert!(
        err.contains("bsaudit: \"abc\" is not a status code"),
        "{err}"
    );
    assert!(
        err.contains(
            "bsaudit: 999: not in the code table; CLUSTERMGR range (900-999), class server"
        ),
        "{err}"
    );
    assert_eq!(run(&["codes", "613", "468"]).0, 0);
    // --format decides, however many codes: detail for two, a table for one.
    let (_, out, _) = run(&["codes", "613", "--format", "table"]);
    assert!(out.contains("code") && out.contains("1 code;"), "{out}");
    let (_, out, _) = run(&["codes", "--format", "detail"]);
    assert!(out.contains("  means:  "), "whole table in detail");
    let (_, out, _) = run(&["codes", "6xx"]);
    assert_eq!(out.matches("\n  means:  ").count(), 39, "{out}");
    // The JSON schema the help names is the one printed.
    let (_, help, _) = run(&["codes", "--help"]);
    assert!(help.contains("bsaudit.codes/v1"), "{help}");
    assert!(!help.contains("bsaudit.report/v1"), "{help}");
    let (_, out, _) = run(&["codes", "404", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["schema"], "bsaudit.codes/v1");
    assert!(
        doc["codes"][0]["description"]
            .as_str()
            .expect("description")
            .contains("\"shard not found\"")
    );
}

#[test]
fn fail_on_prints_every_rule_in_human_units() {
    let (code, out, err) = run(&[
        "report",
        "testdata/cluster",
        "--format",
        "json",
        "--fail-on",
        "BLOBNODE:613>0",
        "--fail-on",
        "ACCESS:5xx>4%",
        "--fail-on",
        "PROXY:p99>1s",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bsaudit: --fail-on 'BLOBNODE:613>0'  FIRED  value 129\n"),
        "{err}"
    );
    assert!(
        err.contains("--fail-on 'ACCESS:5xx>4%'   ok     value 3.58%\n"),
        "{err}"
    );
    assert!(
        err.contains("--fail-on 'PROXY:p99>1s'    FIRED  value 2.589s\n"),
        "{err}"
    );
    // JSON keeps the raw numbers.
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["fail_on"][0]["value"], 129.0);
    assert!((r["fail_on"][1]["value"].as_f64().expect("value") - 0.0358).abs() < 0.0001);
    assert_eq!(r["fail_on"][2]["value"], 2_588_672.0);
    // --quiet leaves out the rules that did not fire.
    let (_, _, err) = run(&[
        "report",
        "testdata/cluster",
        "-q",
        "--fail-on",
        "ACCESS:5xx>4%",
        "--fail-on",
        "BLOBNODE:613>0",
    ]);
    assert!(!err.contains("ACCESS:5xx"), "{err}");
    assert!(err.contains("BLOBNODE:613>0"), "{err}");
}

#[test]
fn timeline_charts_errors_and_labels_the_traffic_row() {
    let (code, out, _) = run(&["timeline", "testdata/cluster", "--by", "service,code", "-q"]);
    assert_eq!(code, 0);
    assert!(!out.contains("peak 0"), "{out}");
    assert!(!out.contains("errors per column"), "{out}");
    let traffic = out
        .lines()
        .find(|l| l.starts_with("(all requests)"))
        .expect("traffic row");
    assert!(traffic.ends_with(" requests"), "{traffic}");
    assert!(
        traffic.contains(" 3516 ") && traffic.contains(" 202 "),
        "{traffic}"
    );
    // The series without errors are counted under the chart; CSV still has them all.
    let note = out
        .lines()
        .find(|l| l.contains("series without errors not charted"))
        .expect("note");
    let (_, csv, _) = run(&[
        "timeline",
        "testdata/cluster",
        "--by",
        "service,code",
        "--format",
        "csv",
        "-q",
    ]);
    let mut all: Vec<(String, String)> = Vec::new();
    let mut erring: Vec<(String, String)> = Vec::new();
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        let key = (f[1].to_string(), f[2].to_string());
        if !all.contains(&key) {
            all.push(key.clone());
        }
        if f[4] != "0" && !erring.contains(&key) {
            erring.push(key);
        }
    }
    let left_out = all.len() - erring.len();
    assert!(left_out > 0);
    assert!(
        note.starts_with(&format!("{left_out} series without errors")),
        "{note}"
    );
}

#[test]
fn follow_links_has_a_short_name_and_the_old_one_warns() {
    let (code, _, err) = run(&["report", "testdata/cluster", "-L", "-q"]);
    assert_eq!(code, 0);
    assert!(!err.contains("note"), "{err}");
    let (code, _, err) = run(&["report", "testdata/cluster", "--follow", "-q"]);
    assert_eq!(code, 0);
    assert!(err.contains("--follow is now -L/--follow-links"), "{err}");
    let (_, help, _) = run(&["report", "--help"]);
    assert!(help.contains("-L, --follow-links"), "{help}");
    assert!(
        !help.contains("--follow "),
        "the old name is hidden: {help}"
    );
    assert!(help.contains("now-15m"), "times are explained: {help}");
}

#[test]
fn completions_and_manual_pages_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["report", "timeline", "follow-links"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH bsaudit 1"), "{out}");
    assert!(out.contains("bsaudit\\-report(1)"), "{out}");
    let (code, out, _) = run(&["man", "report"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH bsaudit-report 1"), "{out}");
    assert!(out.contains("bsaudit-report 0.1.0") || out.contains(env!("CARGO_PKG_VERSION")));
    assert!(out.contains("follow\\-links"), "{out}");
    assert!(out.contains("now\\-15m"), "{out}");
    assert_eq!(run(&["man", "bogus"]).0, 2);
}

/// `--last` over compressed archives only (no plain tail to estimate the newest record from):
/// the first pass decodes the newest file of the directory, then only files written after the
/// newest record it found (`engine::newest_estimate`'s rule, unit-tested there). The count
/// matches the same window given as an absolute time.
#[test]
fn last_over_archives_counts_from_their_newest_record() {
    use std::io::Write;
    use std::time::{Duration, SystemTime};
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = |name: &str, starts: &[u64], written: u64| {
        let path = dir.path().join(name);
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).expect("create"),
            flate2::Compression::fast(),
        );
        for t in starts {
            writeln!(enc, "REQ\tPROXY\t{t}\tPOST\t/v\t\t\t200\t\t\t0\t12").expect("write");
        }
        enc.finish().expect("finish");
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(written))
            .expect("mtime");
    };
    let base = 1_764_000_000;
    gz("0-0.gz", &[base, base + 200, base + 400], base + 500);
    gz(
        "1-0.gz",
        &(0..60).map(|i| base + 1_000 + i * 10).collect::<Vec<_>>(),
        base + 1_600,
    );
    let path = dir.path().to_str().expect("utf-8 path");
    let kept = |extra: &[&str]| {
        let mut args = vec!["report", path, "--all", "--format", "json", "-q"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (code, r["input"]["records"].as_u64().expect("records"))
    };
    // The newest record of 1-0.gz is base+1590; the last 100 s are base+1490.. : 11 records.
    assert_eq!(kept(&["--last", "100s"]), (0, 11));
    let since = jiff::Timestamp::from_second(base as i64 + 1_490).expect("time");
    assert_eq!(kept(&["--since", &since.to_string()]), (0, 11));
    assert_eq!(kept(&[]), (0, 63));
}
