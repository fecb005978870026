//! The parser's invariants on one input, as assertions: the `parse_line` fuzz target and the
//! regression tests over the inputs it found both run [`line`].

use super::{Outcome, classify, json, text};

/// Checks one input line (up to its first LF) and panics when an invariant breaks: the
/// classification is consistent with the line limit and the tail flag, the text parser only
/// reads lines with `REQ<TAB>`, and whenever the JSON fast path reads a line, the full parser
/// reads the same fields from it.
pub fn line(data: &[u8]) {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    for (tail, max_line) in [(false, 1 << 20), (true, 1 << 20), (false, 64)] {
        match classify(line, tail, max_line) {
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
