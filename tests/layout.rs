//! The terminal report fitted to a width (`--width` stands in for a terminal): golden outputs
//! at 80, 120 and 200 columns with no line wider and no wrapped cell, each row's onset its
//! own, descriptions left out when narrow, and colour only when asked for.

use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;
use bsaudit::render::layout::width_of;

fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(cargo_bin("bsaudit"));
    cmd.args(args).stdin(Stdio::null()).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bsaudit runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn stdout(args: &[&str]) -> String {
    run(args, &[])
}

/// The lines of the table under `heading`, up to the blank line after it.
fn table<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(heading))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// Every line fits, and each table has its header, its rule and exactly one line per row.
fn assert_fits(text: &str, width: usize, services: usize, groups: usize) {
    for line in text.lines() {
        assert!(
            width_of(line) <= width,
            "{} > {width}: {line:?}",
            width_of(line)
        );
    }
    let s = table(text, "Services");
    assert_eq!(s.len(), 2 + services, "one line per service: {s:#?}");
    let g = table(text, "Top groups");
    assert_eq!(g.len(), 2 + groups, "one line per group: {g:#?}");
    for (i, line) in g[2..].iter().enumerate() {
        let rank = line.split_whitespace().next().expect("a rank");
        assert_eq!(rank, (i + 1).to_string(), "row {i} starts a line: {line:?}");
    }
}

fn fitted(width: usize, extra: &[&str]) -> String {
    let w = width.to_string();
    let mut args = vec!["report", "testdata/cluster", "--width", &w];
    args.extend_from_slice(extra);
    let text = stdout(&args);
    assert_fits(&text, width, 6, 10);
    text
}

#[test]
fn report_at_80_120_200() {
    for w in [80, 120, 200] {
        let text = fitted(w, &[]);
        insta::assert_snapshot!(format!("report_width_{w}"), text);
    }
}

#[test]
fn report_by_api_at_80_120_200() {
    for w in [80, 120, 200] {
        let text = fitted(w, &["--by", "service,api,code"]);
        insta::assert_snapshot!(format!("report_by_api_width_{w}"), text);
    }
}

#[test]
fn narrow_drops_columns_wide_keeps_them() {
    let narrow = fitted(80, &[]);
    let header = table(&narrow, "Top groups")[0];
    for gone in ["trend", "onset", "first seen", "p50"] {
        assert!(!header.contains(gone), "{gone} dropped at 80: {header}");
    }
    let wide = stdout(&["report", "testdata/cluster", "--width", "80", "--wide"]);
    let header = table(&wide, "Top groups")[0];
    for kept in ["trend", "onset", "first seen", "p50", "class"] {
        assert!(header.contains(kept), "{kept} kept by --wide: {header}");
    }
    let piped = stdout(&["report", "testdata/cluster"]);
    assert_eq!(
        table(&piped, "Top groups")[0],
        header,
        "piped output keeps the full width"
    );
}

#[test]
fn what_they_mean_once_per_code_and_brief() {
    const DESCRIPTION: &str = "The disk is marked broken";
    let text = stdout(&[
        "report",
        "testdata/cluster",
        "--by",
        "service,api,code",
        "--top",
        "5",
    ]);
    let mean: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "What they mean")
        .collect();
    let heading = mean
        .iter()
        .find(|l| l.starts_with("BLOBNODE 613"))
        .expect("one heading for BLOBNODE 613");
    assert!(heading.ends_with(": rows 1, 2, 4"), "{heading}");
    assert_eq!(text.matches(DESCRIPTION).count(), 1, "described once");
    assert_eq!(text.matches("Check: Find disk id").count(), 1);
    for rank in [
        "  1. BLOBNODE api=shard.get 613",
        "  2. BLOBNODE api=chunk.stat 613",
    ] {
        assert!(mean.contains(&rank), "{rank} has its own samples");
    }

    let narrow = stdout(&["report", "testdata/cluster", "--width", "80"]);
    assert!(!narrow.contains(DESCRIPTION), "brief below 100 columns");
    assert!(narrow.contains("Check: Find disk id"), "hints stay");
    let brief = stdout(&["report", "testdata/cluster", "--brief"]);
    assert!(!brief.contains(DESCRIPTION));
    assert!(brief.contains("\"disk is broken\""), "messages stay");
    let wide = stdout(&["report", "testdata/cluster", "--width", "80", "--wide"]);
    assert!(wide.contains(DESCRIPTION), "--wide keeps descriptions");
}

/// The onset of a `--by service,api,code` row is that of the api's own series: the same as a
/// report over that api alone, and not the (service, code) onset.
#[test]
fn onset_of_an_api_row_is_its_own() {
    let json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&stdout(args)).expect("JSON") };
    let by_api = json(&[
        "report",
        "testdata/cluster",
        "--by",
        "service,api,code",
        "--top",
        "0",
        "--format",
        "json",
    ]);
    let row = by_api["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["service"] == "BLOBNODE" && g["api"] == "chunk.stat" && g["code"] == 613)
        .expect("a chunk.stat 613 row")
        .clone();
    let alone = json(&[
        "report",
        "testdata/cluster",
        "--service",
        "blobnode",
        "--api",
        "chunk.stat",
        "--code",
        "613",
        "--format",
        "json",
    ]);
    assert_eq!(alone["groups"].as_array().map(Vec::len), Some(1));
    assert!(row["onset"].is_string(), "{row}");
    assert_eq!(row["onset"], alone["groups"][0]["onset"]);
    // (The sparklines differ in length: the filtered report spans only chunk.stat's records.)

    let by_code = json(&["report", "testdata/cluster", "--format", "json"]);
    let code_row = by_code["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["service"] == "BLOBNODE" && g["code"] == 613)
        .expect("BLOBNODE 613")
        .clone();
    assert_ne!(
        row["onset"], code_row["onset"],
        "the api's onset is not the code's"
    );

    // The table shows the same time for that row.
    let text = stdout(&["report", "testdata/cluster", "--by", "service,api,code"]);
    let onset = row["onset"].as_str().expect("text");
    let line = table(&text, "Top groups")
        .into_iter()
        .find(|l| l.contains("chunk.stat") && l.contains(" 613 "))
        .expect("the row");
    assert!(line.contains(&onset[11..19]), "{line} shows {onset}");
}

#[test]
fn colour_only_when_on() {
    let args = ["report", "testdata/cluster", "--width", "120"];
    let with = |extra: &str, env: &[(&str, &str)]| {
        let mut a = args.to_vec();
        a.push(extra);
        run(&a, env)
    };
    let always = with("--color=always", &[]);
    assert!(always.contains("\u{1b}[31m  1   BLOBNODE"), "server red");
    assert!(always.contains("\u{1b}[33m  3   ACCESS"), "client yellow");
    let never = with("--color=never", &[]);
    assert!(!never.contains('\u{1b}'));
    let auto = with("--color=auto", &[("NO_COLOR", "1")]);
    assert!(!auto.contains('\u{1b}'), "NO_COLOR");
    let piped = with("--color=auto", &[]);
    assert!(!piped.contains('\u{1b}'), "not a terminal");
    let stripped = always.replace("\u{1b}[31m", "").replace("\u{1b}[33m", "");
    let stripped = stripped.replace("\u{1b}[2m", "").replace("\u{1b}[0m", "");
    assert_eq!(stripped, never, "colour adds nothing else");
}
