//! The JSON audit format (`log_format: json`): one object per line, keys in a fixed order.
//!
//! The fast path walks the line once in the order the CubeFS writer emits the keys, validating
//! every value it passes (strings, nested header objects, numbers) without allocating, and
//! borrows the fields it needs. Anything it does not expect (other key order, whitespace,
//! escapes in a field we keep, odd numbers) falls back to a full `serde_json` parse, which
//! decides between a record and a malformed reason. So the fast path only ever speeds up
//! lines the full parser would read the same way.

use std::borrow::Cow;

use memchr::memchr2;
use serde_json::Value;

use super::record::{Record, parse_digits, split_module, start_time_ns};
use crate::error::Malformed;

/// Deepest nesting the fast path follows before it hands the line to the full parser.
const MAX_DEPTH: u32 = 32;

/// Parses a JSON line (leading blanks allowed, no LF) into a record.
pub fn parse(line: &[u8]) -> Result<Record<'_>, Malformed> {
    let line = trim_blanks(line);
    if let Some(rec) = fast(line) {
        return Ok(rec);
    }
    full(line)
}

fn trim_blanks(mut line: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = line {
        line = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = line {
        line = rest;
    }
    line
}

/// The fast path: `None` means "not sure, ask the full parser", never "malformed".
/// Whenever it returns a record, [`full`] returns the same fields for that line.
pub fn fast(line: &[u8]) -> Option<Record<'_>> {
    // Raw control bytes and invalid UTF-8 make the line invalid JSON: the full parser says so.
    if line.iter().any(|&b| b < 0x20) || std::str::from_utf8(line).is_err() {
        return None;
    }
    let mut c = Cursor { b: line, i: 0 };
    c.lit(b"{\"req_type\":\"REQ\",\"module\":")?;
    let module = c.plain_string()?;
    c.lit(b",\"start_time\":")?;
    let (start, start_digits) = c.uint()?;
    c.lit(b",\"method\":")?;
    let method = c.plain_string()?;
    c.lit(b",\"path\":")?;
    let path = c.plain_string()?;
    c.lit(b",\"req_header\":")?;
    let req_header = c.value(0)?;
    c.lit(b",\"req_params\":")?;
    c.value(0)?;
    c.lit(b",\"status_code\":")?;
    let (code, code_digits) = c.uint()?;
    c.lit(b",\"resp_header\":")?;
    let resp_header = c.value(0)?;
    c.lit(b",\"resp_body\":")?;
    c.value(0)?;
    c.lit(b",\"resp_length\":")?;
    let (resp_len, _) = c.uint()?;
    c.lit(b",\"duration\":")?;
    let (duration_us, _) = c.uint()?;
    c.lit(b"}")?;
    if c.i != line.len() || code_digits > 9 {
        return None;
    }
    let start_ns = start_time_ns(start, start_digits)?;
    let (service, host) = split_module(module);
    Some(Record {
        service: Cow::Borrowed(service),
        module_host: host.map(Cow::Borrowed),
        start_ns,
        method: Cow::Borrowed(method),
        path: Cow::Borrowed(path),
        req_header: Cow::Borrowed(null_as_empty(req_header)),
        code: code as u32,
        resp_header: Cow::Borrowed(null_as_empty(resp_header)),
        resp_len,
        duration_us,
    })
}

fn null_as_empty(value: &[u8]) -> &[u8] {
    if value == b"null" { b"" } else { value }
}

/// A position in a line being walked by the fast path.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn lit(&mut self, lit: &[u8]) -> Option<()> {
        if self.b.get(self.i..)?.starts_with(lit) {
            self.i += lit.len();
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes; returns its contents.
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let (from, to, escaped) = self.string()?;
        if escaped {
            None
        } else {
            Some(&self.b[from..to])
        }
    }

    /// A string; returns (content start, content end, had escapes).
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let from = self.i + 1;
        let mut j = from;
        let mut escaped = false;
        loop {
            let at = j + memchr2(b'"', b'\\', self.b.get(j..)?)?;
            if self.b[at] == b'"' {
                self.i = at + 1;
                return Some((from, at, escaped));
            }
            escaped = true;
            j = at + escape_len(self.b.get(at + 1..)?)? + 1;
        }
    }

    /// An unsigned integer in JSON form (no leading zeros); returns (value, digit count).
    fn uint(&mut self) -> Option<(u64, usize)> {
        let rest = self.b.get(self.i..)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 1 && rest[0] == b'0' {
            return None;
        }
        let value = parse_digits(&rest[..digits], 19)?;
        self.i += digits;
        Some((value, digits))
    }

    /// Any JSON value, validated and skipped; returns its raw text.
    fn value(&mut self, depth: u32) -> Option<&'a [u8]> {
        let from = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' => self.composite(b'}', true, depth)?,
            b'[' => self.composite(b']', false, depth)?,
            b't' => self.lit(b"true")?,
            b'f' => self.lit(b"false")?,
            b'n' => self.lit(b"null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        }
        Some(&self.b[from..self.i])
    }

    /// An object (`keyed`) or array, in compact form.
    fn composite(&mut self, close: u8, keyed: bool, depth: u32) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            if keyed {
                self.string()?;
                self.lit(b":")?;
            }
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An integer (what the writer puts in headers); fractions, exponents and huge values are
    /// left to the full parser, whose range rules they touch.
    fn number(&mut self) -> Option<()> {
        let _ = self.lit(b"-");
        let int = self.run_of_digits();
        if int == 0 || int > 18 || (int > 1 && self.b[self.i - int] == b'0') {
            return None;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(())
    }

    fn run_of_digits(&mut self) -> usize {
        let n = self.b[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.i += n;
        n
    }
}

/// Length of a valid escape after its backslash (`n` -> 1, `u0026` -> 5), `None` if invalid
/// or a surrogate (pairs are rare in audit logs; the full parser checks them).
fn escape_len(after: &[u8]) -> Option<usize> {
    match after.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(1),
        b'u' => {
            let hex = after.get(1..5)?;
            let hex = std::str::from_utf8(hex).ok()?;
            let unit = u16::from_str_radix(hex, 16).ok()?;
            (!(0xd800..=0xdfff).contains(&unit)).then_some(5)
        }
        _ => None,
    }
}

/// The full parse, for lines the fast path declined. Owns what it returns.
pub fn full(line: &[u8]) -> Result<Record<'static>, Malformed> {
    let value: Value = serde_json::from_slice(line).map_err(|_| Malformed::BadJson)?;
    let obj = value.as_object().ok_or(Malformed::BadJson)?;
    if obj.get("req_type").and_then(Value::as_str) != Some("REQ") {
        return Err(Malformed::NoReq);
    }
    let module = obj
        .get("module")
        .and_then(Value::as_str)
        .ok_or(Malformed::BadJson)?;
    let code = obj
        .get("status_code")
        .and_then(Value::as_u64)
        .filter(|&c| c <= 999_999_999)
        .ok_or(Malformed::BadCode)?;
    let uint = |key: &str| obj.get(key).and_then(Value::as_u64);
    let start_ns = uint("start_time")
        .and_then(|v| start_time_ns(v, super::record::digit_count(v)))
        .ok_or(Malformed::BadNumber)?;
    let resp_len = uint("resp_length").ok_or(Malformed::BadNumber)?;
    let duration_us = uint("duration").ok_or(Malformed::BadNumber)?;
    let text = |key: &str| -> Cow<'static, [u8]> {
        let s = obj.get(key).and_then(Value::as_str).unwrap_or("");
        Cow::Owned(s.as_bytes().to_vec())
    };
    let header = |key: &str| -> Cow<'static, [u8]> {
        match obj.get(key) {
            Some(Value::Null) | None => Cow::Borrowed(b""),
            Some(v) => Cow::Owned(v.to_string().into_bytes()),
        }
    };
    let (service, host) = split_module(module.as_bytes());
    Ok(Record {
        service: Cow::Owned(service.to_vec()),
        module_host: host.map(|h| Cow::Owned(h.to_vec())),
        start_ns,
        method: text("method"),
        path: text("path"),
        req_header: header("req_header"),
        code: code as u32,
        resp_header: header("resp_header"),
        resp_len,
        duration_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"req_type":"REQ","module":"SHARDNODE","start_time":17640000000149988,"method":"POST","path":"/shard/get","req_header":{"Host":"10.9.2.27:9100","RawQuery":"a=1\u0026b=2"},"req_params":"","status_code":201,"resp_header":{"Blobstore-Tracer-Traceid":"361f08740fe0ceb3","Trace-Log":["SHARDNODE"]},"resp_body":"{\"location\":{\"size\":4096}}","resp_length":1048576,"duration":218}"#;

    /// What must agree between the two paths; raw header text may differ in escaping
    /// (`\u0026` against `&`), so headers are compared by the values read from them.
    pub(crate) fn same_fields<'a>(r: &'a Record<'a>) -> impl PartialEq + std::fmt::Debug + 'a {
        (
            (&r.service, &r.module_host, r.start_ns, &r.method, &r.path),
            (
                r.code,
                r.resp_len,
                r.duration_us,
                r.trace_id(),
                r.req_host(),
            ),
        )
    }

    #[test]
    fn fast_path_reads_writer_output() {
        let rec = fast(LINE.as_bytes()).expect("fast path");
        assert_eq!(&*rec.service, b"SHARDNODE");
        assert_eq!(rec.code, 201);
        assert_eq!(rec.start_ns, 1_764_000_000_014_998_800);
        assert_eq!(rec.resp_len, 1_048_576);
        assert_eq!(rec.duration_us, 218);
        assert_eq!(rec.trace_id(), Some(&b"361f08740fe0ceb3"[..]));
        assert_eq!(rec.req_host(), Some(&b"10.9.2.27:9100"[..]));
    }

    #[test]
    fn fast_and_full_agree() {
        let fast_rec = fast(LINE.as_bytes()).expect("fast path");
        let full_rec = full(LINE.as_bytes()).expect("full parse");
        assert_eq!(same_fields(&fast_rec), same_fields(&full_rec));
    }

    #[test]
    fn other_key_order_and_escapes_use_full_parse() {
        let reordered = r#"{"module":"BLOBNODE@10.0.0.1:8889","req_type":"REQ","start_time":1764000000,"status_code":613,"duration":5,"resp_length":0,"path":"/a\u0026b","resp_header":{"Traceid":"t1"}}"#;
        assert!(fast(reordered.as_bytes()).is_none());
        let rec = parse(reordered.as_bytes()).expect("full parse");
        assert_eq!(&*rec.service, b"BLOBNODE");
        assert_eq!(rec.module_host.as_deref(), Some(&b"10.0.0.1:8889"[..]));
        assert_eq!(&*rec.path, b"/a&b");
        assert_eq!(rec.trace_id(), Some(&b"t1"[..]));
        assert_eq!(rec.start_ns, 1_764_000_000_000_000_000);
    }

    #[test]
    fn leading_blanks_are_allowed() {
        let line = format!("  \t{LINE}");
        assert_eq!(parse(line.as_bytes()).map(|r| r.code), Ok(201));
    }

    #[test]
    fn reasons() {
        assert_eq!(parse(&LINE.as_bytes()[..100]), Err(Malformed::BadJson));
        assert_eq!(
            parse(format!("{LINE}xyz").as_bytes()),
            Err(Malformed::BadJson)
        );
        assert_eq!(parse(b"[1,2]"), Err(Malformed::BadJson));
        let rsp = LINE.replace("\"REQ\"", "\"RSP\"");
        assert_eq!(parse(rsp.as_bytes()), Err(Malformed::NoReq));
        let code = LINE.replace("\"status_code\":201", "\"status_code\":\"201\"");
        assert_eq!(parse(code.as_bytes()), Err(Malformed::BadCode));
        let no_dur = LINE.replace(",\"duration\":218", "");
        assert_eq!(parse(no_dur.as_bytes()), Err(Malformed::BadNumber));
        let neg = LINE.replace("\"duration\":218", "\"duration\":-3");
        assert_eq!(parse(neg.as_bytes()), Err(Malformed::BadNumber));
        let no_module = LINE.replace("\"module\":\"SHARDNODE\",", "");
        assert_eq!(parse(no_module.as_bytes()), Err(Malformed::BadJson));
    }

    #[test]
    fn fast_path_rejects_what_json_rejects() {
        for bad in [
            LINE.replace(
                "\"Trace-Log\":[\"SHARDNODE\"]",
                "\"Trace-Log\":[\"SHARDNODE\",]",
            ),
            LINE.replace("\"resp_body\":\"", "\"resp_body\":\"\\x"),
            LINE.replace("\"req_params\":\"\"", "\"req_params\":01"),
        ] {
            assert!(fast(bad.as_bytes()).is_none(), "{bad}");
            assert!(serde_json::from_str::<Value>(&bad).is_err(), "{bad}");
        }
    }
}
