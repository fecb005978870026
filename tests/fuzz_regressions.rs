//! Inputs the fuzzers found, kept as regression tests: each runs through the same checks as
//! `fuzz/fuzz_targets/parse_line.rs` on stable Rust. Add a file to `fuzz/regressions/parse_line/`
//! and it is tested.

use bsaudit::scan::{self, Outcome, json, text};

fn check_line(data: &[u8]) {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    for (tail, max_line) in [(false, 1 << 20), (true, 1 << 20), (false, 64)] {
        match scan::classify(line, tail, max_line) {
            Outcome::Oversized => assert!(line.len() > max_line),
            Outcome::IncompleteTail => assert!(tail),
            Outcome::Record(rec) => assert!(rec.code <= 999_999_999),
            Outcome::Empty | Outcome::Malformed(_) => {}
        }
    }
    if text::parse(line).is_ok() {
        assert!(line.windows(4).any(|w| w == b"REQ\t"));
    }
    if let Some(fast) = json::fast(line) {
        let full = json::full(line).expect("the full parser reads what the fast path reads");
        assert_eq!(fast.service, full.service);
        assert_eq!(fast.module_host, full.module_host);
        assert_eq!(
            (fast.start_ns, fast.code, fast.resp_len, fast.duration_us),
            (full.start_ns, full.code, full.resp_len, full.duration_us)
        );
        assert_eq!((&fast.method, &fast.path), (&full.method, &full.path));
        assert_eq!(fast.trace_id(), full.trace_id());
        assert_eq!(fast.req_host(), full.req_host());
    }
}

#[test]
fn parse_line_regressions() {
    let mut n = 0;
    for entry in std::fs::read_dir("fuzz/regressions/parse_line").expect("regressions dir") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        check_line(&data);
        n += 1;
    }
    assert!(n >= 2, "found {n} regression inputs");
}
