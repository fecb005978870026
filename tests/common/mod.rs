//! Helpers shared by the CLI test files.

use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;

/// The binary under test, without inherited log settings.
pub fn bsaudit() -> Command {
    let mut cmd = Command::new(cargo_bin("bsaudit"));
    cmd.env_remove("RUST_LOG");
    cmd
}

/// Runs bsaudit with `args` and no stdin, to its end.
fn output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    bsaudit()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("bsaudit runs")
}

/// Runs bsaudit with `args` and no stdin; returns (exit code, stdout, stderr).
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = output(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs bsaudit with `args` and no stdin and returns its standard output; panics, with its
/// standard error, unless it exits 0 or 1 (a rule fired), or if the output is not UTF-8.
#[allow(dead_code)] // each test file is its own crate, and not every one uses this
pub fn stdout(args: &[&str]) -> String {
    let out = output(args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
