//! CLI tests: the binary over `testdata/`, every output format, exit codes, pipes.
//!
//! Expected numbers come from `testdata/expected/*.json`, written by the independent reference
//! counter `testdata/oracle.py`, and from the real writer's own counts table.

mod common;

use std::io::Read;
use std::process::Stdio;

use assert_cmd::cargo::cargo_bin;
use common::{bsaudit, run};
use serde_json::Value;

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--quiet"]);
    let (code, stdout, stderr) = run(&all);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}); stderr: {stderr}\n{stdout}"));
    (code, value)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn real_writer_counts_match_its_readme() {
    let readme = std::fs::read_to_string("testdata/real-writer/README.md").expect("readme");
    let mut expected: Vec<(String, u64, u64, u64)> = readme
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            match cols[..] {
                [svc, code, count, max] if code.parse::<u64>().is_ok() => Some((
                    svc.to_string(),
                    code.parse().ok()?,
                    count.parse().ok()?,
                    max.parse().ok()?,
                )),
                _ => None,
            }
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 39);

    let (code, r) = json(&["report", "testdata/real-writer", "--all", "--top", "0"]);
    assert_eq!(code, 0);
    let mut got: Vec<(String, u64, u64, u64)> = r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["service"].as_str().unwrap_or("").to_string(),
                u(&g["code"]),
                u(&g["count"]),
                u(&g["latency_us"]["max"]),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
    let input = &r["input"];
    assert_eq!(u(&input["records"]), 1500);
    assert_eq!(u(&input["lines"]), 1500);
    assert_eq!(u(&input["malformed"]["total"]), 0);
    assert_eq!(u(&input["empty_lines"]), 0);
    assert_eq!(u(&input["files"]), 6);
}

/// Checks bsaudit's JSON against one expected file written by the reference counter.
fn check_expected(name: &str) {
    let text = std::fs::read_to_string(format!("testdata/expected/{name}.json"))
        .unwrap_or_else(|e| panic!("expected/{name}.json: {e}"));
    check_expected_text(name, &text);
}

fn check_expected_text(name: &str, text: &str) {
    let exp: Value = serde_json::from_str(text).expect("expected JSON");
    let path = exp["path"].as_str().expect("path").to_string();
    let max_line = exp["max_line"].to_string();
    if exp["input"]["records"] == 0 {
        // Nothing to report: bsaudit says so and fails.
        let (code, _, err) = run(&["report", &path, "--max-line", &max_line]);
        assert_eq!(code, 2, "{name}");
        assert!(
            err.contains("no BlobStore audit records found"),
            "{name}: {err}"
        );
        return;
    }
    let (_, r) = json(&[
        "report",
        &path,
        "--all",
        "--top",
        "0",
        "--max-line",
        &max_line,
    ]);
    let (ei, gi) = (&exp["input"], &r["input"]);
    for key in [
        "lines",
        "records",
        "empty_lines",
        "oversized",
        "incomplete_tail",
    ] {
        assert_eq!(gi[key], ei[key], "{name}: input.{key}");
    }
    assert_eq!(
        gi["malformed"]["total"], ei["malformed"]["total"],
        "{name}: malformed"
    );
    for (reason, n) in ei["malformed"]["by_reason"].as_object().expect("reasons") {
        assert_eq!(
            &gi["malformed"]["by_reason"][reason], n,
            "{name}: malformed {reason}"
        );
    }
    assert_eq!(gi["first_seen"], ei["first_seen"], "{name}: first_seen");
    assert_eq!(gi["last_seen"], ei["last_seen"], "{name}: last_seen");
    let partial = ei["partial_files"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(u(&gi["files_partial"]), partial, "{name}: partial files");
    // Every line is accounted for.
    let sum: u64 = [
        "records",
        "filtered_out",
        "empty_lines",
        "oversized",
        "incomplete_tail",
    ]
    .iter()
    .map(|k| u(&gi[*k]))
    .sum::<u64>()
        + u(&gi["malformed"]["total"]);
    assert_eq!(sum, u(&gi["lines"]), "{name}: lines add up");

    let groups = r["groups"].as_array().expect("groups");
    let exp_groups = exp["groups"].as_array().expect("expected groups");
    assert_eq!(groups.len(), exp_groups.len(), "{name}: number of groups");
    for e in exp_groups {
        let g = groups
            .iter()
            .find(|g| g["service"] == e["service"] && g["code"] == e["code"])
            .unwrap_or_else(|| panic!("{name}: group {} {} missing", e["service"], e["code"]));
        let what = format!("{name}: {} {}", e["service"], e["code"]);
        assert_eq!(g["count"], e["count"], "{what} count");
        assert_eq!(g["latency_us"]["max"], e["max_us"], "{what} max");
        assert_eq!(g["resp_bytes"], e["resp_bytes"], "{what} resp_bytes");
        assert_eq!(g["first_seen"], e["first_seen"], "{what} first_seen");
        assert_eq!(g["last_seen"], e["last_seen"], "{what} last_seen");
        let mean = u(&e["sum_us"]) as f64 / u(&e["count"]) as f64;
        let got_mean = g["latency_us"]["mean"].as_f64().expect("mean");
        // Rounded to 0.1 us, and as exact as an f64 can be for huge durations.
        let tolerance = 0.05 + mean * 1e-15;
        assert!(
            (got_mean - mean).abs() <= tolerance,
            "{what} mean {got_mean} vs {mean}"
        );
        for q in ["p50", "p90", "p99"] {
            let exact = u(&e[format!("{q}_us").as_str()]);
            let got = u(&g["latency_us"][q]);
            assert!(
                got <= exact && (exact - got) as f64 <= exact as f64 / 100.0,
                "{what} {q}: {got} vs exact {exact}"
            );
        }
    }
}

#[test]
fn cluster_matches_reference_counter() {
    check_expected("cluster");
}

#[test]
fn awkward_matches_reference_counter() {
    check_expected("awkward");
}

#[test]
fn awkward_oversized_matches_reference_counter() {
    check_expected("awkward-oversized");
}

#[test]
fn broken_matches_reference_counter() {
    check_expected("broken");
}

#[test]
fn each_awkward_file_matches_reference_counter() {
    let mut n = 0;
    for entry in std::fs::read_dir("testdata/expected/awkward-files").expect("dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        check_expected_text(&path.display().to_string(), &text);
        n += 1;
    }
    assert!(n >= 10, "only {n} expected files");
}

#[test]
fn real_writer_matches_reference_counter() {
    check_expected("real-writer");
}

#[test]
fn results_do_not_depend_on_threads_chunks_or_mmap() {
    let base = json(&["report", "testdata/cluster", "--all", "--top", "0"]).1;
    for extra in [
        &["--threads", "1"][..],
        &["--threads", "2", "--chunk-size", "1KiB"][..],
        &["--threads", "3", "--chunk-size", "777", "--no-mmap"][..],
    ] {
        let mut args = vec!["report", "testdata/cluster", "--all", "--top", "0"];
        args.extend_from_slice(extra);
        assert_eq!(json(&args).1, base, "{extra:?}");
    }
}

#[test]
fn filters_narrow_every_count() {
    let (_, all) = json(&["report", "testdata/cluster", "--all", "--top", "0"]);
    let (_, only) = json(&[
        "report",
        "testdata/cluster",
        "--service",
        "blobnode",
        "--code",
        "6xx",
        "--top",
        "0",
    ]);
    let expected: u64 = all["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["service"] == "BLOBNODE" && (600..700).contains(&u(&g["code"])))
        .map(|g| u(&g["count"]))
        .sum();
    assert!(expected > 0);
    assert_eq!(u(&only["input"]["records"]), expected);
    assert_eq!(
        u(&only["input"]["records"]) + u(&only["input"]["filtered_out"]),
        u(&all["input"]["records"])
    );
    assert!(
        only["services"]
            .as_array()
            .expect("services")
            .iter()
            .all(|s| s["service"] == "BLOBNODE")
    );
}

#[test]
fn codes_explains_and_rejects() {
    let (code, out, _) = run(&["codes", "613", "700"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("disk is broken") && out.contains("nothing to do"),
        "{out}"
    );
    let (code, _, err) = run(&["codes", "613", "12345"]);
    assert_eq!(code, 2);
    assert!(err.contains("12345"), "{err}");
    let (code, out, _) = run(&["codes", "--format", "json"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert!(doc["codes"].as_array().expect("codes").len() >= 71 + 25);
}

#[test]
fn exit_codes() {
    // Usage errors.
    assert_eq!(run(&["report", "testdata/cluster", "--code", "6x1"]).0, 2);
    assert_eq!(
        run(&["report", "testdata/cluster", "--format", "yaml"]).0,
        2
    );
    assert_eq!(run(&["bogus"]).0, 2);
    // Nothing readable.
    assert_eq!(run(&["report", "testdata/does-not-exist"]).0, 2);
    let (code, _, err) = run(&["report", "testdata/README.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("no BlobStore audit records found"), "{err}");
    // Partial input: report printed, exit 2 (an error, not a finding).
    let (code, out, err) = run(&["report", "testdata/broken"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("Services"), "{out}");
    assert!(err.contains("trunc.log.gz"), "{err}");
    // Clean input.
    assert_eq!(run(&["report", "testdata/cluster"]).0, 0);
}

#[test]
fn failing_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // Not on every system.
    };
    let out = bsaudit()
        .args(["report", "testdata/cluster"])
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn closed_pipe_ends_quietly() {
    let mut child = bsaudit()
        .args(["codes", "--format", "markdown"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stdin_is_streamed_and_sniffed() {
    let plain = std::fs::read("testdata/real-writer/blobnode/auditlog/0-0").expect("sample");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).expect("gzip");
    let gz = gz.finish().expect("gzip");
    for input in [plain.clone(), gz] {
        let out = assert_cmd::Command::new(cargo_bin("bsaudit"))
            .args(["report", "-", "--format", "json", "--all", "--top", "0"])
            .write_stdin(input)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        let r: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(u(&r["input"]["records"]), 655);
        assert_eq!(r["groups"][0]["samples"][0]["file"], "<stdin>");
    }
}

#[test]
fn links_are_read_once_and_loops_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("blobnode/auditlog");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::copy(
        "testdata/real-writer/blobnode/auditlog/0-0",
        logs.join("0-0"),
    )
    .expect("copy");
    std::fs::hard_link(logs.join("0-0"), logs.join("1-0")).expect("hard link");
    std::os::unix::fs::symlink(logs.join("0-0"), logs.join("2-0")).expect("file symlink");
    std::os::unix::fs::symlink(dir.path(), logs.join("loop")).expect("dir symlink");
    let root = dir.path().to_str().expect("utf-8 temp path");

    // Without --follow-links: the hard link is a second path to one file, the symlinks are passed over.
    let (code, r) = json(&["report", root, "--all", "--top", "0"]);
    assert_eq!(code, 0);
    assert_eq!(u(&r["input"]["records"]), 655);
    assert_eq!(u(&r["input"]["files"]), 1);
    assert_eq!(u(&r["input"]["files_ignored"]), 3);

    // With --follow-links: still one file; the loop is reported and skipped.
    let (code, r) = json(&["report", root, "--all", "--top", "0", "--follow-links"]);
    assert_eq!(code, 2, "a skipped path is an input error");
    assert_eq!(u(&r["input"]["records"]), 655);
    assert_eq!(u(&r["input"]["files"]), 1);
    assert_eq!(u(&r["input"]["files_skipped"]), 1);
    let problems = r["input"]["problems"].to_string();
    assert!(problems.contains("symlink loop"), "{problems}");

    // A file named explicitly is read even through a link, and only once.
    let link = logs.join("2-0");
    let (code, r) = json(&["report", link.to_str().expect("path"), root, "--top", "0"]);
    assert_eq!(code, 0);
    assert_eq!(u(&r["input"]["records"]), 655);
}

#[test]
fn invalid_lines_are_written_with_their_places() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("invalid.txt");
    let (code, _, _) = run(&[
        "report",
        "testdata/awkward/malformed.log",
        "--invalid-lines",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, 0);
    let text = std::fs::read(&out).expect("written");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let exp: Value = serde_json::from_str(
        &std::fs::read_to_string("testdata/expected/awkward-files/malformed.log.json")
            .expect("expected"),
    )
    .expect("json");
    let expected = u(&exp["input"]["malformed"]["total"]) + u(&exp["input"]["incomplete_tail"]);
    assert_eq!(lines.len() as u64, expected);
    let first = String::from_utf8_lossy(lines[0]);
    assert!(
        first.starts_with("testdata/awkward/malformed.log:"),
        "{first}"
    );
    // In input order: line numbers increase.
    let numbers: Vec<u64> = lines
        .iter()
        .map(|l| {
            let s = String::from_utf8_lossy(l);
            s.split(':')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .expect("line number")
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
}
