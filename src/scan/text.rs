//! The text audit format: 12 (or 14) TAB-separated fields after `REQ`.
//!
//! Fields are found with `memchr` on TAB and never copied. The checks run in the order the
//! malformed reasons are listed in `docs/semantics.md`, so the first failing check names the
//! reason.

use std::borrow::Cow;

use memchr::{memchr_iter, memmem};

use super::record::{Lookup, Record, parse_digits_at, split_module, start_time_ns};
use crate::error::Malformed;

/// Most fields a record may have; one more TAB than this makes the line malformed.
const MAX_FIELDS: usize = 14;

/// Parses a text line (without LF or trailing CR) into a record.
pub fn parse(line: &[u8]) -> Result<Record<'_>, Malformed> {
    let start = if line.starts_with(b"REQ\t") {
        0
    } else {
        // A shipper may prepend a timestamp or host; the record starts at the first `REQ<TAB>`.
        memmem::find(line, b"REQ\t").ok_or(Malformed::NoReq)?
    };
    let rec = &line[start..];

    let mut tabs = [0u32; MAX_FIELDS];
    let mut n = 0;
    for tab in memchr_iter(b'\t', rec) {
        if n == MAX_FIELDS - 1 {
            return Err(Malformed::FieldCount);
        }
        tabs[n] = tab as u32;
        n += 1;
    }
    parse_fields(rec, 0, &tabs[..n])
}

/// Parses a record that starts with `REQ<TAB>` at offset 0, given the offsets of all its TABs
/// (as found by the block scanner), each `base` more than its offset in `rec`. Checks field
/// count, code and numbers.
#[inline(always)]
pub fn parse_fields<'a>(rec: &'a [u8], base: u32, tabs: &[u32]) -> Result<Record<'a>, Malformed> {
    Fields::check(rec, base, tabs).map(|f| f.record())
}

/// A text record that passed every check: its numbers parsed and its service split off, its
/// other fields still places in the line. A sink that only counts reads these; [`Fields::record`]
/// builds the whole [`Record`] for one that needs more.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a, 't> {
    rec: &'a [u8],
    base: u32,
    tabs: &'t [u32],
    /// Service name: the module field up to the first `@`.
    pub service: &'a [u8],
    /// The `host:port` after `@` in the module field, when present.
    pub module_host: Option<&'a [u8]>,
    /// Start time in nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// Status code.
    pub code: u32,
    /// Bytes written to the client.
    pub resp_len: u64,
    /// Duration in microseconds.
    pub duration_us: u64,
}

impl<'a, 't> Fields<'a, 't> {
    /// Checks a record that starts with `REQ<TAB>` at offset 0, given the offsets of all its
    /// TABs, each `base` more than its offset in `rec`: field count, code and numbers, in the
    /// order of the malformed reasons.
    #[inline(always)]
    pub fn check(rec: &'a [u8], base: u32, tabs: &'t [u32]) -> Result<Fields<'a, 't>, Malformed> {
        // A macro, not a closure: closures are not always inlined, and this runs per field.
        macro_rules! at {
            ($t:expr) => {
                ($t - base) as usize
            };
        }
        macro_rules! digits {
            ($from:expr, $to:expr, $max:expr) => {
                parse_digits_at(rec, at!($from) + 1, $to, $max)
            };
        }
        let [t0, t1, t2, _, _, _, t6, t7, _, t9, t10, rest @ ..] = tabs else {
            return Err(Malformed::FieldCount);
        };
        let last_end = match rest {
            [] => rec.len(),
            [t11, _] => at!(t11),
            _ => return Err(Malformed::FieldCount),
        };
        let code = digits!(t6, at!(t7), 9).ok_or(Malformed::BadCode)?;
        let start_len = at!(t2) - at!(t1) - 1;
        let start_ns = digits!(t1, at!(t2), 19)
            .and_then(|v| start_time_ns(v, start_len))
            .ok_or(Malformed::BadNumber)?;
        let resp_len = digits!(t9, at!(t10), 19).ok_or(Malformed::BadNumber)?;
        let duration_us = digits!(t10, last_end, 19).ok_or(Malformed::BadNumber)?;
        let (service, module_host) = split_module(&rec[at!(t0) + 1..at!(t1)]);
        Ok(Fields {
            rec,
            base,
            tabs,
            service,
            module_host,
            start_ns,
            // Codes have at most 9 digits, so they fit in u32.
            code: code as u32,
            resp_len,
            duration_us,
        })
    }

    /// The whole record.
    #[inline(always)]
    pub fn record(&self) -> Record<'a> {
        let span = |from: usize, to: usize| {
            let at = |i: usize| (self.tabs[i] - self.base) as usize;
            Cow::Borrowed(&self.rec[at(from) + 1..at(to)])
        };
        Record {
            service: Cow::Borrowed(self.service),
            module_host: self.module_host.map(Cow::Borrowed),
            start_ns: self.start_ns,
            method: span(2, 3),
            path: span(3, 4),
            req_header: span(4, 5),
            code: self.code,
            resp_header: span(7, 8),
            resp_len: self.resp_len,
            duration_us: self.duration_us,
            trace: Lookup::InHeader,
            host_header: Lookup::InHeader,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = b"REQ\tBLOBNODE@10.9.3.17:8889\t17640000066189256\tGET\t/shard/get/diskid/233/vuid/94489280515/bid/801788\t{\"Host\":\"10.9.1.12:8889\"}\t\t613\t{\"Blobstore-Tracer-Traceid\":\"de694f5829b84056\"}\t{\"error\":\"disk is broken\"}\t26\t8678";

    fn with_field(i: usize, value: &str) -> Vec<u8> {
        let mut fields: Vec<&[u8]> = LINE.split(|&b| b == b'\t').collect();
        fields[i] = value.as_bytes();
        fields.join(&b'\t')
    }

    #[test]
    fn extracts_every_field() {
        let rec = parse(LINE).expect("valid line");
        assert_eq!(&*rec.service, b"BLOBNODE");
        assert_eq!(rec.module_host.as_deref(), Some(&b"10.9.3.17:8889"[..]));
        assert_eq!(rec.start_ns, 1_764_000_006_618_925_600);
        assert_eq!(&*rec.method, b"GET");
        assert_eq!(
            &*rec.path,
            b"/shard/get/diskid/233/vuid/94489280515/bid/801788"
        );
        assert_eq!(rec.code, 613);
        assert_eq!(rec.resp_len, 26);
        assert_eq!(rec.duration_us, 8678);
        assert_eq!(rec.trace_id().as_deref(), Some(&b"de694f5829b84056"[..]));
        assert_eq!(rec.req_host().as_deref(), Some(&b"10.9.1.12:8889"[..]));
    }

    #[test]
    fn prefix_before_req_is_ignored() {
        let mut line = b"2025-11-24T10:00:01Z host1\tREQ\t".to_vec();
        line.extend_from_slice(&LINE[4..]);
        assert_eq!(parse(&line).expect("prefixed line").code, 613);
    }

    #[test]
    fn fourteen_fields_are_accepted() {
        let mut line = LINE.to_vec();
        line.extend_from_slice(b"\textra\tmore");
        let rec = parse(&line).expect("14 fields");
        assert_eq!(rec.duration_us, 8678);
    }

    #[test]
    fn reasons_follow_check_order() {
        assert_eq!(parse(b"hello world"), Err(Malformed::NoReq));
        assert_eq!(parse(b"REQ BLOBNODE 1 2"), Err(Malformed::NoReq));
        assert_eq!(parse(&LINE[..LINE.len() - 5]), Err(Malformed::FieldCount));
        let mut thirteen = LINE.to_vec();
        thirteen.extend_from_slice(b"\tx");
        assert_eq!(parse(&thirteen), Err(Malformed::FieldCount));
        let mut fifteen = LINE.to_vec();
        fifteen.extend_from_slice(b"\tx\ty\tz");
        assert_eq!(parse(&fifteen), Err(Malformed::FieldCount));
        for bad in ["", "2OO", "abc", "1234567890", "-1"] {
            assert_eq!(parse(&with_field(7, bad)), Err(Malformed::BadCode), "{bad}");
        }
        // A bad code wins over a bad number: codes are checked first.
        let mut both = with_field(7, "x");
        both = String::from_utf8_lossy(&both)
            .replace("8678", "y")
            .into_bytes();
        assert_eq!(parse(&both), Err(Malformed::BadCode));
        for (i, bad) in [(2, "1764x"), (2, ""), (11, "-5"), (11, ""), (10, "abc")] {
            assert_eq!(
                parse(&with_field(i, bad)),
                Err(Malformed::BadNumber),
                "{i}:{bad}"
            );
        }
    }
}
