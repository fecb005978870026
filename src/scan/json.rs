//! The JSON audit format (`log_format: json`): one object per line, keys in a fixed order.
//!
//! The fast path walks the line once in the order the CubeFS writer emits the keys, validating
//! every value it passes (strings, nested header objects, numbers) without allocating, and
//! borrows the fields it needs. Anything it does not expect (other key order, whitespace,
//! escapes in a field we keep, odd numbers) falls back to a full `serde_json` parse, which
//! decides between a record and a malformed reason. So the fast path only ever speeds up
//! lines the full parser would read the same way.

use std::borrow::Cow;

use serde_json::Value;

use super::record::{Lookup, Record, split_module, start_time_ns};
use crate::error::Malformed;

/// Deepest nesting the fast path follows before it hands the line to the full parser.
const MAX_DEPTH: u32 = 32;

/// Longest line the fast path indexes (its index lives on the stack); longer lines, rare in
/// audit logs, take the full parse.
const FAST_MAX: usize = 64 * 64;

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
    if line.len() > FAST_MAX {
        return None;
    }
    let mut index = Specials {
        words: [0; FAST_MAX / 64],
        control: false,
        ascii: true,
    };
    index.fill(line);
    // Raw control bytes and invalid UTF-8 make the line invalid JSON: the full parser says so.
    if index.control || (!index.ascii && std::str::from_utf8(line).is_err()) {
        return None;
    }
    let mut c = Cursor {
        b: line,
        i: 0,
        specials: &index,
    };
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
        // Walked only when asked for (samples, drill-down), as the full parser reads them.
        trace: Lookup::JsonObject,
        host_header: Lookup::JsonObject,
    })
}

fn null_as_empty(value: &[u8]) -> &[u8] {
    if value == b"null" { b"" } else { value }
}

/// Where a line's `"` and `\\` are, found for the whole line in one SIMD pass, so that skipping a
/// string is a bit scan rather than a search; the same pass notes raw control bytes and
/// non-ASCII bytes.
struct Specials {
    /// Bit i of word i / 64 is set when byte i is `"` or `\\`.
    words: [u64; FAST_MAX / 64],
    /// The line has a byte below 0x20.
    control: bool,
    /// The line is all ASCII.
    ascii: bool,
}

/// Facts about 64 bytes of a line.
struct Chunk64 {
    /// Bit i set when byte i is `"` or `\\`.
    specials: u64,
    /// Some byte is below 0x20.
    control: bool,
    /// Some byte is 0x80 or above.
    non_ascii: bool,
}

/// The portable chunk classifier; also the reference for the SIMD one.
fn chunk_scalar(chunk: &[u8; 64]) -> Chunk64 {
    let mut c = Chunk64 {
        specials: 0,
        control: false,
        non_ascii: false,
    };
    for (i, &b) in chunk.iter().enumerate() {
        c.specials |= u64::from(b == b'"' || b == b'\\') << i;
        c.control |= b < 0x20;
        c.non_ascii |= b >= 0x80;
    }
    c
}

impl Specials {
    /// Indexes a line of at most [`FAST_MAX`] bytes, in place (the index is 0.5 KiB: returning
    /// it by value cost a copy per line).
    fn fill(&mut self, line: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { simd::fill_avx2(self, line) };
                return;
            }
        }
        *self = Specials::build(line, chunk_scalar);
    }

    #[cfg(test)]
    fn of(line: &[u8]) -> Specials {
        let mut s = Specials {
            words: [0; FAST_MAX / 64],
            control: false,
            ascii: true,
        };
        s.fill(line);
        s
    }

    /// Runs `classify` over the line in 64-byte chunks (the last padded with spaces, which
    /// are neither special, control nor non-ASCII).
    #[inline(always)]
    fn build(line: &[u8], classify: impl Fn(&[u8; 64]) -> Chunk64) -> Specials {
        let mut s = Specials {
            words: [0; FAST_MAX / 64],
            control: false,
            ascii: true,
        };
        for (word, piece) in s.words.iter_mut().zip(line.chunks(64)) {
            let c = match <&[u8; 64]>::try_from(piece) {
                Ok(full) => classify(full),
                Err(_) => {
                    let mut padded = [b' '; 64];
                    padded[..piece.len()].copy_from_slice(piece);
                    classify(&padded)
                }
            };
            *word = c.specials;
            s.control |= c.control;
            s.ascii &= !c.non_ascii;
        }
        s
    }

    /// The first `"` or `\\` at or after `from`.
    #[inline(always)]
    fn next(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut bits = *self.words.get(word)? & (u64::MAX << (from % 64));
        while bits == 0 {
            word += 1;
            bits = *self.words.get(word)?;
        }
        Some(word * 64 + bits.trailing_zeros() as usize)
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::Specials;

    /// [`Specials::fill`] with AVX2 compares. Written as one plain loop: through closures and
    /// a returned struct, LLVM scalarised the masks bit by bit.
    #[target_feature(enable = "avx2")]
    pub unsafe fn fill_avx2(s: &mut Specials, line: &[u8]) {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let below_space = _mm256_set1_epi8(0x1f);
        let mut controls = _mm256_setzero_si256();
        let mut highs = _mm256_setzero_si256();
        let mut padded = [b' '; 64];
        for (word, piece) in s.words.iter_mut().zip(line.chunks(64)) {
            let chunk: &[u8] = if piece.len() == 64 {
                piece
            } else {
                padded[..piece.len()].copy_from_slice(piece);
                &padded
            };
            // SAFETY: `chunk` is 64 bytes (a full piece or the padded copy), so both 32-byte
            // loads are in bounds; loadu has no alignment requirement.
            let (a, b) = unsafe {
                let p = chunk.as_ptr();
                (
                    _mm256_loadu_si256(p.cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                )
            };
            let sa = _mm256_or_si256(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(a, backslash));
            let sb = _mm256_or_si256(_mm256_cmpeq_epi8(b, quote), _mm256_cmpeq_epi8(b, backslash));
            let lo = _mm256_movemask_epi8(sa) as u32 as u64;
            let hi = _mm256_movemask_epi8(sb) as u32 as u64;
            *word = lo | (hi << 32);
            // Unsigned v <= 0x1f exactly when min(v, 0x1f) == v.
            let low = _mm256_min_epu8(a, b);
            controls = _mm256_or_si256(
                controls,
                _mm256_cmpeq_epi8(_mm256_min_epu8(low, below_space), low),
            );
            highs = _mm256_or_si256(highs, _mm256_or_si256(a, b));
        }
        s.control = _mm256_movemask_epi8(controls) != 0;
        s.ascii = _mm256_movemask_epi8(highs) == 0;
    }
}

/// A position in a line being walked by the fast path.
struct Cursor<'a, 's> {
    b: &'a [u8],
    i: usize,
    specials: &'s Specials,
}

impl<'a> Cursor<'a, '_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
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
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let from = self.i + 1;
        let mut j = from;
        let mut escaped = false;
        loop {
            // Padding past the line holds no specials, so `at` is inside the line.
            let at = self.specials.next(j)?;
            if *self.b.get(at)? == b'"' {
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
        let mut value: u64 = 0;
        let mut digits = 0;
        for &b in rest {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if digits == 19 {
                // Longer than any u64 we accept: let the full parser decide.
                return None;
            }
            value = value * 10 + u64::from(d);
            digits += 1;
        }
        if digits == 0 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
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
    #[inline(always)]
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

    #[inline(always)]
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
#[inline(always)]
fn escape_len(after: &[u8]) -> Option<usize> {
    match after.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(1),
        b'u' => unicode_escape_len(after),
        _ => None,
    }
}

/// [`escape_len`] of a `\u` escape, out of line: rare next to `\"`.
#[cold]
#[inline(never)]
fn unicode_escape_len(after: &[u8]) -> Option<usize> {
    match after.first()? {
        b'u' => {
            let hex = after.get(1..5)?;
            let hex = std::str::from_utf8(hex).ok()?;
            let unit = u16::from_str_radix(hex, 16).ok()?;
            (!(0xd800..=0xdfff).contains(&unit)).then_some(5)
        }
        _ => None,
    }
}

/// The string value of the first of `keys` whose (last) top-level value in `object` is a
/// string, as a JSON parser reads the object: duplicates resolve to the last one, nested keys
/// do not count, escapes are undone. `object` is the raw text of a header the fast path
/// validated (or empty, or `null`).
pub fn object_string<'h>(object: &'h [u8], keys: &[&[u8]]) -> Option<Cow<'h, [u8]>> {
    if object.len() > FAST_MAX || object.first() != Some(&b'{') {
        return None;
    }
    let mut index = Specials {
        words: [0; FAST_MAX / 64],
        control: false,
        ascii: true,
    };
    index.fill(object);
    let mut c = Cursor {
        b: object,
        i: 1,
        specials: &index,
    };
    // Per key, the last value seen: Some(None) for a value that is not a string.
    let mut found: Vec<Option<Option<(usize, usize, bool)>>> = vec![None; keys.len()];
    if c.peek()? != b'}' {
        loop {
            let (ks, ke, key_escaped) = c.string()?;
            let key = unescape(&object[ks..ke], key_escaped)?;
            c.lit(b":")?;
            let value = if c.peek()? == b'"' {
                Some(c.string()?)
            } else {
                c.value(1)?;
                None
            };
            if let Some(at) = keys.iter().position(|k| **k == *key) {
                found[at] = Some(value);
            }
            match c.peek()? {
                b',' => c.i += 1,
                b'}' => break,
                _ => return None,
            }
        }
    }
    found
        .into_iter()
        .find_map(|v| v.flatten())
        .and_then(|(from, to, escaped)| unescape(&object[from..to], escaped))
}

/// A JSON string's content, unescaped when it has escapes.
fn unescape(content: &[u8], escaped: bool) -> Option<Cow<'_, [u8]>> {
    if !escaped {
        return Some(Cow::Borrowed(content));
    }
    let mut quoted = Vec::with_capacity(content.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(content);
    quoted.push(b'"');
    let s: String = serde_json::from_slice(&quoted).ok()?;
    Some(Cow::Owned(s.into_bytes()))
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
    let field_of = |header: &str, key: &str| -> Option<Cow<'static, [u8]>> {
        let value = obj.get(header)?.as_object()?.get(key)?.as_str()?;
        Some(Cow::Owned(value.as_bytes().to_vec()))
    };
    let trace = field_of("resp_header", "Blobstore-Tracer-Traceid")
        .or_else(|| field_of("resp_header", "Traceid"));
    let host_header = field_of("req_header", "Host");
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
        trace: Lookup::Known(trace),
        host_header: Lookup::Known(host_header),
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

    proptest::proptest! {
        #[test]
        fn specials_index_matches_the_obvious(line in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'"'), proptest::strategy::Just(b'\\'),
                proptest::strategy::Just(b'a'), proptest::strategy::Just(0x1fu8),
                proptest::prelude::any::<u8>()], 0..300)) {
            let s = Specials::of(&line);
            for i in 0..line.len() {
                let expected = line[i..].iter().position(|&b| b == b'"' || b == b'\\').map(|p| p + i);
                proptest::prop_assert_eq!(s.next(i), expected);
            }
            proptest::prop_assert_eq!(s.control, line.iter().any(|&b| b < 0x20));
            proptest::prop_assert_eq!(s.ascii, line.iter().all(u8::is_ascii));
        }
    }

    #[test]
    fn fast_path_reads_writer_output() {
        let rec = fast(LINE.as_bytes()).expect("fast path");
        assert_eq!(&*rec.service, b"SHARDNODE");
        assert_eq!(rec.code, 201);
        assert_eq!(rec.start_ns, 1_764_000_000_014_998_800);
        assert_eq!(rec.resp_len, 1_048_576);
        assert_eq!(rec.duration_us, 218);
        assert_eq!(rec.trace_id().as_deref(), Some(&b"361f08740fe0ceb3"[..]));
        assert_eq!(rec.req_host().as_deref(), Some(&b"10.9.2.27:9100"[..]));
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
        assert_eq!(rec.trace_id().as_deref(), Some(&b"t1"[..]));
        assert_eq!(rec.start_ns, 1_764_000_000_000_000_000);
    }

    #[test]
    fn header_values_follow_json_semantics() {
        // Duplicate keys: the last wins, as in the full parser; nested keys do not count.
        let dup = LINE.replace(
            "\"resp_header\":{\"Blobstore-Tracer-Traceid\":\"361f08740fe0ceb3\"",
            "\"resp_header\":{\"x\":{\"Traceid\":\"nested\"},\"Blobstore-Tracer-Traceid\":\"first\",\"Blobstore-Tracer-Traceid\":\"last\"",
        );
        let fast_rec = fast(dup.as_bytes()).expect("fast path");
        let full_rec = full(dup.as_bytes()).expect("full parse");
        assert_eq!(fast_rec.trace_id().as_deref(), Some(&b"last"[..]));
        assert_eq!(full_rec.trace_id().as_deref(), Some(&b"last"[..]));
        // A non-string trace id falls back to the older key, in both.
        let num = LINE.replace(
            "\"Blobstore-Tracer-Traceid\":\"361f08740fe0ceb3\"",
            "\"Blobstore-Tracer-Traceid\":5,\"Traceid\":\"old\"",
        );
        assert_eq!(
            fast(num.as_bytes()).expect("fast").trace_id().as_deref(),
            Some(&b"old"[..])
        );
        assert_eq!(
            full(num.as_bytes()).expect("full").trace_id().as_deref(),
            Some(&b"old"[..])
        );
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
