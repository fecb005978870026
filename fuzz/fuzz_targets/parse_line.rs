//! Fuzzes line classification (text and JSON) and checks the JSON fast path against the full
//! parser: whenever the fast path reads a line, the full parser must read the same fields.
//! The checks themselves are `bsaudit::scan::check::line`, shared with the regression tests.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bsaudit::scan::check::line(data);
});
