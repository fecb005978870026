//! Inputs the fuzzers found, kept as regression tests: each runs through the same checks as
//! the `parse_line` fuzz target (`bsaudit::scan::check::line`) on stable Rust. Add a file to
//! `fuzz/regressions/parse_line/` and it is tested.

#[test]
fn parse_line_regressions() {
    let mut n = 0;
    for entry in std::fs::read_dir("fuzz/regressions/parse_line").expect("regressions dir") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        bsaudit::scan::check::line(&data);
        n += 1;
    }
    assert!(n >= 2, "found {n} regression inputs");
}
