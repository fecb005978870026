//! Fuzzes line classification (text and JSON) and checks the JSON fast path against the full
//! parser: whenever the fast path reads a line, the full parser must read the same fields.

#![no_main]

use bsaudit::scan::{self, json, text, Outcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    for (tail, max_line) in [(false, 1 << 20), (true, 1 << 20), (false, 64)] {
        match scan::classify(line, tail, max_line) {
            Outcome::Oversized => assert!(line.len() > max_line),
            Outcome::IncompleteTail => assert!(tail),
            Outcome::Record(rec) => assert!(rec.code <= 999_999_999),
            Outcome::Empty | Outcome::Malformed(_) => {}
        }
    }
    if let Ok(rec) = text::parse(line) {
        assert!(line.windows(4).any(|w| w == b"REQ\t"));
        assert!(!rec.service.contains(&b'\t'));
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
});
