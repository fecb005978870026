//! Fuzzes the Trace-Log reader on any bytes, as a response header and as one element: it must
//! never panic, every call it reads writes back to a piece that reads the same, pieces borrow
//! from their element. The checks are `bsaudit::tracelog::check`, shared with the regression
//! test over `fuzz/regressions/trace_log/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bsaudit::tracelog::check(data);
});
