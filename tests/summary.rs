//! Summaries end to end: `report` over the summaries of any partition of a tree equals `report`
//! over the tree; `merge` is hierarchical; what a summary cannot answer is refused with a
//! reason; capped grouping does not depend on threads or merge order.

mod common;

use std::path::{Path, PathBuf};

use common::run;
use serde_json::Value;

/// Every log file of the cluster fixture, in a stable order.
fn cluster_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for service in std::fs::read_dir("testdata/cluster").expect("cluster") {
        let dir = service.expect("entry").path().join("auditlog");
        for f in std::fs::read_dir(&dir).expect("auditlog") {
            files.push(f.expect("entry").path());
        }
    }
    files.sort();
    files
}

fn report_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "-q", "--node", "n1"]);
    let (code, stdout, stderr) = run(&all);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Summarizes `paths` into `out` with extra options; panics unless it succeeds.
fn summarize(paths: &[&Path], out: &Path, extra: &[&str]) {
    let mut args: Vec<String> = vec![
        "summarize".into(),
        "-q".into(),
        "--node".into(),
        "n1".into(),
    ];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["-o".into(), out.display().to_string()]);
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 0, "summarize {args:?}: {stderr}");
}

fn strs(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

/// The partitions the issue names: one summary per service, and one per file.
fn partitions() -> Vec<Vec<Vec<PathBuf>>> {
    let files = cluster_files();
    let mut per_service: Vec<Vec<PathBuf>> = Vec::new();
    for f in &files {
        let service = f.components().nth(2).map(|c| c.as_os_str().to_owned());
        match per_service.last_mut() {
            Some(group)
                if group[0]
                    .components()
                    .nth(2)
                    .map(|c| c.as_os_str().to_owned())
                    == service =>
            {
                group.push(f.clone())
            }
            _ => per_service.push(vec![f.clone()]),
        }
    }
    let per_file = files.iter().map(|f| vec![f.clone()]).collect();
    // An uneven split that cuts across services.
    let (a, b) = files.split_at(5);
    vec![per_service, per_file, vec![a.to_vec(), b.to_vec()]]
}

#[test]
fn report_over_summaries_of_any_partition_equals_report_over_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [&[&str]; 4] = [
        &[],
        &["--all", "--top", "0"],
        &["--by", "service,disk,code", "--top", "0"],
        &["--by", "api,code", "--all", "--top", "0", "--bucket", "5m"],
    ];
    for (c, opts) in cases.iter().enumerate() {
        let files = strs(&cluster_files());
        let mut direct_args: Vec<&str> = vec!["report"];
        direct_args.extend(files.iter().map(String::as_str));
        direct_args.extend(opts.iter());
        let direct = report_json(&direct_args);
        // summarize takes the grouping options; report repeats them.
        let grouping: Vec<&str> = opts
            .iter()
            .copied()
            .scan(false, |skip, a| {
                let keep = !*skip && a != "--top";
                *skip = a == "--top";
                Some(if keep { Some(a) } else { None })
            })
            .flatten()
            .collect();
        for (p, parts) in partitions().into_iter().enumerate() {
            let mut bsums = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let out = dir.path().join(format!("c{c}-p{p}-{i}.bsum"));
                let refs: Vec<&Path> = part.iter().map(PathBuf::as_path).collect();
                summarize(&refs, &out, &grouping);
                bsums.push(out.display().to_string());
            }
            let mut args: Vec<&str> = vec!["report"];
            args.extend(bsums.iter().map(String::as_str));
            args.extend(opts.iter());
            let merged = report_json(&args);
            assert_eq!(merged, direct, "case {opts:?}, partition {p}");

            // Hierarchical: merge the halves first, then report over the one file.
            let one = dir.path().join(format!("c{c}-p{p}-all.bsum"));
            let mut margs = vec!["merge".to_string(), "-q".into()];
            margs.extend(bsums.iter().cloned());
            margs.extend(["-o".into(), one.display().to_string()]);
            let (code, _, stderr) = run(&margs);
            assert_eq!(code, 0, "{stderr}");
            let mut args: Vec<&str> = vec!["report"];
            let one_s = one.display().to_string();
            args.push(&one_s);
            args.extend(opts.iter());
            assert_eq!(
                report_json(&args),
                direct,
                "merged file, case {opts:?}, partition {p}"
            );
        }
    }
}

#[test]
fn summaries_mix_with_logs_and_narrow_by_service_and_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bsum = dir.path().join("blobnode.bsum");
    summarize(&[Path::new("testdata/cluster/blobnode")], &bsum, &[]);
    let rest: Vec<String> = ["access", "clustermgr", "proxy", "scheduler", "shardnode"]
        .iter()
        .map(|s| format!("testdata/cluster/{s}"))
        .collect();
    let mut args: Vec<&str> = vec!["report"];
    let b = bsum.display().to_string();
    args.push(&b);
    args.extend(rest.iter().map(String::as_str));
    args.extend(["--service", "blobnode,access", "--code", "5xx,6xx"]);
    let mixed = report_json(&args);
    let direct = report_json(&[
        "report",
        "testdata/cluster",
        "--service",
        "blobnode,access",
        "--code",
        "5xx,6xx",
    ]);
    assert_eq!(mixed, direct);
    let records = mixed["input"]["records"].as_u64().expect("records");
    assert!(records > 0 && records < 3516, "narrowed: {records}");

    // Timelines over summaries coarsen their buckets to any multiple.
    let t = |inputs: &[&str]| {
        let mut a = vec!["timeline"];
        a.extend(inputs);
        a.extend(["--bucket", "10m", "--by", "service,code"]);
        report_json(&a)
    };
    let mut inputs = vec![b.as_str()];
    inputs.extend(rest.iter().map(String::as_str));
    assert_eq!(t(&inputs), t(&["testdata/cluster"]));
}

#[test]
fn what_a_summary_cannot_answer_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bsum = dir.path().join("a.bsum");
    summarize(&[Path::new("testdata/cluster")], &bsum, &[]);
    let b = bsum.display().to_string();
    for (args, says) in [
        (
            vec!["report", &b, "--by", "disk"],
            "re-summarize with --by disk",
        ),
        (
            vec!["report", &b, "--since", "2025-11-24T10:30:00Z"],
            "cannot be cut by time",
        ),
        (vec!["report", &b, "--api", "shard.get"], "re-summarize"),
        (vec!["report", &b, "--bucket", "90s"], "do not divide"),
        (
            vec!["lines", &b],
            "holds counts, not lines; give `lines` the logs",
        ),
        (
            vec!["trace", "abc", &b],
            "holds counts, not records; give `trace` the logs",
        ),
        (
            vec!["hops", &b],
            "holds counts, not Trace-Logs; give `hops` the logs",
        ),
        (
            vec!["export", "--format", "ndjson", "--output", "-", &b],
            "holds counts, not records; give `export` the logs",
        ),
    ] {
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    // Summaries made with different groupings do not merge.
    let disk = dir.path().join("disk.bsum");
    summarize(
        &[Path::new("testdata/cluster")],
        &disk,
        &["--by", "service,disk,code"],
    );
    let (code, _, stderr) = run(&["merge", &b, &disk.display().to_string(), "-o", "-"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot merge: grouped by"), "{stderr}");

    // A later version is refused by name; a damaged file says so.
    let bytes = std::fs::read(&bsum).expect("read");
    let v9 = dir.path().join("v9.bsum");
    let mut changed = b"bsaudit.summary/v9\n".to_vec();
    changed.extend_from_slice(&bytes[19..]);
    std::fs::write(&v9, changed).expect("write");
    let (code, _, stderr) = run(&["report", &v9.display().to_string()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bsaudit.summary/v9 is a summary format this bsaudit cannot read"),
        "{stderr}"
    );
    let cut = dir.path().join("cut.bsum");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let (code, _, stderr) = run(&["report", &cut.display().to_string()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("damaged summary data"), "{stderr}");
}

#[test]
fn samples_name_their_node_only_when_there_are_several() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.bsum");
    let b = dir.path().join("b.bsum");
    let run_node = |node: &str, path: &str, out: &Path| {
        let (code, _, stderr) = run(&[
            "summarize",
            "-q",
            "--node",
            node,
            path,
            "-o",
            &out.display().to_string(),
        ]);
        assert_eq!(code, 0, "{stderr}");
    };
    run_node("rack1-a", "testdata/cluster/blobnode", &a);
    run_node("rack1-b", "testdata/cluster/access", &b);
    let (code, stdout, _) = run(&[
        "report",
        &a.display().to_string(),
        &b.display().to_string(),
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let nodes: Vec<&str> = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["samples"].as_array().expect("samples").iter())
        .map(|s| s["node"].as_str().expect("node named"))
        .collect();
    assert!(
        nodes.contains(&"rack1-a") && nodes.contains(&"rack1-b"),
        "{nodes:?}"
    );
}

/// Counts of every vuid group, uncapped.
fn vuid_counts(extra: &[&str]) -> (Vec<(String, u64)>, u64, bool) {
    let mut args = vec![
        "report",
        "testdata/cluster",
        "--all",
        "--by",
        "vuid",
        "--top",
        "0",
    ];
    args.extend(extra);
    let v = report_json(&args);
    let groups = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["vuid"].as_str().expect("vuid").to_string(),
                g["count"].as_u64().expect("count"),
            )
        })
        .collect();
    (
        groups,
        v["groups_folded"].as_u64().expect("folded"),
        v["groups_exact"].as_bool().expect("exact"),
    )
}

#[test]
fn capped_grouping_is_exact_and_independent_of_threads() {
    let (truth, folded, exact) = vuid_counts(&["--max-groups", "1000000"]);
    assert_eq!((folded, exact), (0, true));
    assert!(
        truth.len() > 50,
        "many more groups than kept: {}",
        truth.len()
    );
    // Spilling everything gives the same full table.
    assert_eq!(
        vuid_counts(&["--max-groups", "1000000", "--spill-groups", "5"]).0,
        truth
    );
    let true_count: std::collections::HashMap<&str, u64> =
        truth.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let mut seen = None;
    for threads in ["1", "2", "3", "8"] {
        for (chunk, spill) in [("8MiB", "0"), ("4096", "0"), ("8MiB", "16"), ("4096", "7")] {
            // Small --spill-groups: most groups go through runs on disk and back.
            let got = vuid_counts(&[
                "--max-groups",
                "20",
                "-j",
                threads,
                "--chunk-size",
                chunk,
                "--spill-groups",
                spill,
            ]);
            // The top 20 of the true ranking, exactly.
            assert_eq!(
                got.0,
                truth[..20].to_vec(),
                "-j{threads} chunk {chunk} spill {spill}"
            );
            let rest: u64 = truth[20..].iter().map(|g| g.1).sum();
            assert_eq!(got.1, rest, "folded = the records of every other key");
            for (k, n) in &got.0 {
                assert!(*n <= true_count[k.as_str()] && true_count[k.as_str()] <= n + got.1);
            }
            if let Some(prev) = &seen {
                assert_eq!(prev, &got);
            }
            seen = Some(got);
        }
    }
}
