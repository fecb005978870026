//! One parsed audit record, borrowed from the bytes of its line.
//!
//! Both the text and the JSON parser produce a [`Record`]; everything downstream (filters,
//! tallies, samples, drill-down) sees only this type. Fields stay raw bytes: the scanner never
//! builds a `String` per line. Only the JSON fallback path, taken for lines the fast path cannot
//! read, owns its fields (`Cow::Owned`).

use std::borrow::Cow;

/// A parsed request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Service name: the module field up to the first `@`.
    pub service: Cow<'a, [u8]>,
    /// The `host:port` after `@` in the module field, when present.
    pub module_host: Option<Cow<'a, [u8]>>,
    /// Start time in nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// HTTP method or RPC command name.
    pub method: Cow<'a, [u8]>,
    /// URL path (ids embedded).
    pub path: Cow<'a, [u8]>,
    /// The request header as compact JSON text (may be empty).
    pub req_header: Cow<'a, [u8]>,
    /// Status code.
    pub code: u32,
    /// The response header as compact JSON text (may be empty).
    pub resp_header: Cow<'a, [u8]>,
    /// Bytes written to the client.
    pub resp_len: u64,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Where the trace id comes from.
    pub trace: Lookup<'a>,
    /// Where the request's `Host` comes from.
    pub host_header: Lookup<'a>,
}

/// How to read a value from a header: search the header's text (text lines), walk the header
/// as the JSON object it is (JSON lines: top-level keys, last duplicate wins, as a JSON parser
/// reads it), or take what the full JSON parser already found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Search the header's text.
    InHeader,
    /// The header is a validated JSON object (or empty): walk it when asked.
    JsonObject,
    /// The value the JSON parser found (or that there is none).
    Known(Option<Cow<'a, [u8]>>),
}

impl Record<'_> {
    /// The trace id from the response header (`Blobstore-Tracer-Traceid`, else the older
    /// `Traceid`), found lazily: only samples and drill-down need it.
    pub fn trace_id(&self) -> Option<Cow<'_, [u8]>> {
        match &self.trace {
            Lookup::Known(v) => v.as_deref().map(Cow::Borrowed),
            Lookup::JsonObject => super::json::object_string(
                &self.resp_header,
                &[b"Blobstore-Tracer-Traceid", b"Traceid"],
            ),
            Lookup::InHeader => json_string_value(&self.resp_header, &TRACE_KEYS[0])
                .or_else(|| json_string_value(&self.resp_header, &TRACE_KEYS[1]))
                .map(Cow::Borrowed),
        }
    }

    /// The request header's `Host` value, if any.
    pub fn req_host(&self) -> Option<Cow<'_, [u8]>> {
        match &self.host_header {
            Lookup::Known(v) => v.as_deref().map(Cow::Borrowed),
            Lookup::JsonObject => super::json::object_string(&self.req_header, &[b"Host"]),
            Lookup::InHeader => {
                json_string_value(&self.req_header, &TRACE_KEYS[2]).map(Cow::Borrowed)
            }
        }
    }
}

/// The searchers for the header keys a text record is asked for (each with the opening quote of
/// its value): the trace id's new and old names, and `Host`. Built once: `memmem::find` builds
/// its searcher on every call, which cost more than the search for every sample taken.
static TRACE_KEYS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 3]> =
    std::sync::LazyLock::new(|| {
        [
            &b"\"Blobstore-Tracer-Traceid\":\""[..],
            &b"\"Traceid\":\""[..],
            &b"\"Host\":\""[..],
        ]
        .map(memchr::memmem::Finder::new)
    });

/// Finds `key` (which includes the opening quote of the value) in compact JSON text and returns
/// the string value up to the closing quote. Values with escapes are returned raw; header values
/// such as trace ids and host names have none.
fn json_string_value<'h>(json: &'h [u8], key: &memchr::memmem::Finder<'_>) -> Option<&'h [u8]> {
    let at = key.find(json)? + key.needle().len();
    let rest = json.get(at..)?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Splits a module field into service and optional `host:port`.
#[inline(always)]
pub fn split_module(module: &[u8]) -> (&[u8], Option<&[u8]>) {
    match find_at_sign(module) {
        Some(at) => (&module[..at], Some(&module[at + 1..])),
        None => (module, None),
    }
}

/// The first `@` of a module field. Module fields are a few dozen bytes with the `@` within
/// the first eight or so, where a `memchr` call costs more in its set-up than in its search:
/// look eight bytes at a time in a word (SWAR), and leave long fields to `memchr`.
#[inline(always)]
fn find_at_sign(module: &[u8]) -> Option<usize> {
    const AT: u64 = 0x4040_4040_4040_4040;
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    if module.len() > 64 {
        return memchr::memchr(b'@', module);
    }
    let mut n = 0;
    while let Some(Ok(word)) = module.get(n..n + 8).map(<[u8; 8]>::try_from) {
        // A zero byte of x is an `@`; the lowest flagged byte is the first zero (a borrow
        // only flags bytes above a real zero).
        let x = u64::from_le_bytes(word) ^ AT;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(n + (zero.trailing_zeros() / 8) as usize);
        }
        n += 8;
    }
    module[n..].iter().position(|&b| b == b'@').map(|at| n + at)
}

/// Parses 1 to `max_digits` (at most 19) ASCII digits into a number; anything else is
/// `None`. Long numbers (start times have 17 digits) go eight digits at a time.
#[inline(always)]
pub fn parse_digits(bytes: &[u8], max_digits: usize) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > max_digits.min(19) {
        return None;
    }
    let head = bytes.len() % 8;
    let mut value = parse_short(&bytes[..head])?;
    for chunk in bytes[head..].chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        // At most 19 digits in all, so this cannot overflow.
        value = value * 100_000_000 + u64::from(parse_eight(word)?);
    }
    Some(value)
}

/// [`parse_digits`] of `buf[from..to]`, reading the bytes of `buf` around the field so that a
/// field costs a fixed handful of instructions rather than a step per digit: on x86-64, the 16
/// bytes that end where the field ends, the ones before the field replaced by `'0'`, are
/// checked and combined in SSE2 registers ([`sixteen_digits`]); elsewhere, or for a field that
/// ends within the first 16 bytes of `buf`, in words of eight ([`parse_digits_words`]).
#[inline(always)]
pub fn parse_digits_at(buf: &[u8], from: usize, to: usize, max_digits: usize) -> Option<u64> {
    let len = to.wrapping_sub(from);
    // One compare for both "empty" and "too long" (and `to < from`).
    if len.wrapping_sub(1) >= max_digits.min(19) || to > buf.len() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(at) = to.checked_sub(16)
        && let Ok(window) = <&[u8; 16]>::try_from(&buf[at..to])
    {
        if len <= 16 {
            return sixteen_digits(window, len);
        }
        // 17 to 19 digits (start times have 17): the first one to three one at a time.
        let head = parse_short(&buf[from..at])?;
        return Some(head * 10_000_000_000_000_000 + sixteen_digits(window, 16)?);
    }
    parse_digits_words(buf, from, to, max_digits)
}

/// The value of the last `len` (1 to 16) bytes of `window` as decimal digits, `None` unless they
/// are all digits. SSE2: the bytes before the digits become zeros, every byte is checked to be
/// at most 9, and digits combine pairwise (x10), then in fours (x100), then in eights (x10^4)
/// with the multiply-add instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sixteen_digits(window: &[u8; 16], len: usize) -> Option<u64> {
    use std::arch::x86_64::*;
    /// 16 bytes of 0xFF then 16 of zero: the 16 bytes from `len` mask the 16 - len bytes
    /// before a field of `len` digits.
    const BEFORE: [u8; 32] = {
        let mut t = [0u8; 32];
        let mut i = 0;
        while i < 16 {
            t[i] = 0xFF;
            i += 1;
        }
        t
    };
    let before = BEFORE.get(len..len + 16)?;
    // SAFETY: SSE2 is part of x86-64; both loads read 16 bytes from 16-byte slices and loadu
    // has no alignment requirement.
    unsafe {
        let raw = _mm_loadu_si128(window.as_ptr().cast::<__m128i>());
        let before = _mm_loadu_si128(before.as_ptr().cast::<__m128i>());
        // Bytes before the field become '0'; subtracting '0' makes digits 0 to 9 and sends
        // every other byte above 9 (wrapping), which the unsigned minimum then shows.
        let text = _mm_or_si128(
            _mm_andnot_si128(before, raw),
            _mm_and_si128(before, _mm_set1_epi8(b'0' as i8)),
        );
        let d = _mm_sub_epi8(text, _mm_set1_epi8(b'0' as i8));
        let nine = _mm_set1_epi8(9);
        if _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d)) != 0xFFFF {
            return None;
        }
        // Byte i is digit i (the most significant first). Pairs: 10 * d[2k] + d[2k+1].
        let zero = _mm_setzero_si128();
        let tens = _mm_set1_epi32(0x0001_000A);
        let pairs_lo = _mm_madd_epi16(_mm_unpacklo_epi8(d, zero), tens);
        let pairs_hi = _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), tens);
        // Fours: 100 * pair[2k] + pair[2k+1] (pairs are at most 99, so packing keeps them).
        let fours = _mm_madd_epi16(
            _mm_packs_epi32(pairs_lo, pairs_hi),
            _mm_set1_epi32(0x0001_0064),
        );
        // Eights: 10^4 * four[2k] + four[2k+1] (fours are at most 9999).
        let eights = _mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_set1_epi32(0x0001_2710));
        let high = _mm_cvtsi128_si32(eights) as u32;
        let low = _mm_cvtsi128_si32(_mm_srli_si128::<4>(eights)) as u32;
        Some(u64::from(high) * 100_000_000 + u64::from(low))
    }
}

/// [`parse_digits`] of `buf[from..to]` (whose length the caller checked) in words of eight:
/// the first `len % 8` digits come from the word that ends where they end, its bytes before
/// the field replaced by `'0'`. Takes the byte loop for a field in the first 8 bytes of `buf`.
#[inline(always)]
fn parse_digits_words(buf: &[u8], from: usize, to: usize, max_digits: usize) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let len = to - from;
    // The first `head` digits (1 to 8) end at `head_end`; the word that ends there has
    // 8 - head bytes before the field, which become leading zeros.
    let head = (len - 1) % 8 + 1;
    let head_end = from + head;
    let Some(word) = head_end
        .checked_sub(8)
        .and_then(|at| buf.get(at..head_end))
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    else {
        return parse_digits(&buf[from..to], max_digits);
    };
    let keep = u64::MAX << (8 * (8 - head));
    let mut value = u64::from(parse_eight(
        (u64::from_le_bytes(word) & keep) | (ZEROS & !keep),
    )?);
    let mut at = head_end;
    while at < to {
        let word = u64::from_le_bytes(buf[at..at + 8].try_into().ok()?);
        // At most 19 digits in all, so this cannot overflow.
        value = value * 100_000_000 + u64::from(parse_eight(word)?);
        at += 8;
    }
    Some(value)
}

/// Up to 7 digits, one at a time (empty is 0).
#[inline(always)]
fn parse_short(bytes: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    Some(value)
}

/// Eight ASCII digits, read as one little-endian word, to their value; `None` unless all
/// eight are digits. SWAR: check every byte at once, then combine digit pairs, quads, halves.
#[inline(always)]
fn parse_eight(word: u64) -> Option<u32> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // Every byte is 0x30..0x3F, and adding 6 to its low nibble does not reach the next
    // sixteen (so the low nibble is at most 9).
    if ((word & HIGH) ^ ZEROS) | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ ZEROS) != 0 {
        return None;
    }
    let mut v = word - ZEROS;
    // Byte i holds digit i (the first character is the lowest byte).
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    v = ((v & MASK).wrapping_mul(MUL1)).wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2)) >> 32;
    Some(v as u32)
}

/// Converts a start time to nanoseconds, taking the unit from its digit count
/// (<=10 s, 11-13 ms, 14-16 us, 17 100 ns, 18-19 ns). `None` when out of range.
#[inline(always)]
pub fn start_time_ns(value: u64, digits: usize) -> Option<i64> {
    let scale: u64 = match digits {
        0 => return None,
        1..=10 => 1_000_000_000,
        11..=13 => 1_000_000,
        14..=16 => 1_000,
        17 => 100,
        18 | 19 => 1,
        _ => return None,
    };
    let ns = value.checked_mul(scale)?;
    i64::try_from(ns).ok()
}

/// Number of decimal digits of `value` (at least 1).
pub fn digit_count(mut value: u64) -> usize {
    let mut digits = 1;
    while value >= 10 {
        value /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_parse_strictly() {
        assert_eq!(parse_digits(b"613", 9), Some(613));
        assert_eq!(parse_digits(b"", 9), None);
        assert_eq!(parse_digits(b"2OO", 9), None);
        assert_eq!(parse_digits(b"-5", 19), None);
        assert_eq!(parse_digits(b"1234567890", 9), None);
        assert_eq!(
            parse_digits(b"9999999999999999999", 19),
            Some(9_999_999_999_999_999_999)
        );
    }

    proptest::proptest! {
        #[test]
        fn digits_match_the_obvious_parse(bytes in proptest::collection::vec(
            proptest::prop_oneof![b'0'..=b'9', proptest::prelude::any::<u8>()], 0..22)) {
            let naive = if bytes.is_empty() || bytes.len() > 19 || !bytes.iter().all(u8::is_ascii_digit) {
                None
            } else {
                std::str::from_utf8(&bytes).ok().and_then(|s| s.parse::<u64>().ok())
            };
            proptest::prop_assert_eq!(parse_digits(&bytes, 19), naive);
        }
    }

    proptest::proptest! {
        /// Reading digits in words from the surrounding buffer gives what the slice parse gives.
        #[test]
        fn digits_at_match_the_slice_parse(buf in proptest::collection::vec(
            proptest::prop_oneof![3 => b'0'..=b'9', 1 => proptest::prelude::any::<u8>()], 0..48),
            from in 0usize..48, len in 0usize..22, max in 1usize..21) {
            let from = from.min(buf.len());
            let to = (from + len).min(buf.len());
            let slice = parse_digits(&buf[from..to], max);
            proptest::prop_assert_eq!(parse_digits_at(&buf, from, to, max), slice);
            if to > from && to - from <= max.min(19) {
                proptest::prop_assert_eq!(parse_digits_words(&buf, from, to, max), slice);
            }
        }
    }

    #[test]
    fn start_time_unit_follows_digit_count() {
        let second = 1_764_000_000i64 * 1_000_000_000;
        assert_eq!(start_time_ns(1_764_000_000, 10), Some(second));
        assert_eq!(start_time_ns(1_764_000_000_000, 13), Some(second));
        assert_eq!(start_time_ns(1_764_000_000_000_000, 16), Some(second));
        assert_eq!(start_time_ns(17_640_000_000_000_000, 17), Some(second));
        assert_eq!(start_time_ns(1_764_000_000_000_000_000, 19), Some(second));
        assert_eq!(start_time_ns(9_999_999_999_999_999_999, 19), None);
        assert_eq!(start_time_ns(1, 20), None);
    }

    proptest::proptest! {
        #[test]
        fn at_sign_found_like_memchr(module in proptest::collection::vec(
            proptest::prop_oneof![proptest::strategy::Just(b'@'), proptest::strategy::Just(b'A'),
                proptest::strategy::Just(0x3fu8), proptest::strategy::Just(0x41u8),
                proptest::prelude::any::<u8>()], 0..90)) {
            proptest::prop_assert_eq!(find_at_sign(&module), memchr::memchr(b'@', &module));
        }
    }

    #[test]
    fn module_splits_at_first_at() {
        assert_eq!(split_module(b"BLOBNODE"), (&b"BLOBNODE"[..], None));
        assert_eq!(
            split_module(b"BLOBNODE@10.0.0.5:8889"),
            (&b"BLOBNODE"[..], Some(&b"10.0.0.5:8889"[..]))
        );
    }

    #[test]
    fn trace_id_prefers_new_key() {
        let mut rec = Record {
            service: Cow::Borrowed(b"X"),
            module_host: None,
            start_ns: 0,
            method: Cow::Borrowed(b"GET"),
            path: Cow::Borrowed(b"/"),
            req_header: Cow::Borrowed(b"{\"Host\":\"10.9.1.2:8889\"}"),
            code: 200,
            resp_header: Cow::Borrowed(
                b"{\"Blobstore-Tracer-Traceid\":\"abc\",\"Traceid\":\"old\"}",
            ),
            resp_len: 0,
            duration_us: 1,
            trace: Lookup::InHeader,
            host_header: Lookup::InHeader,
        };
        assert_eq!(rec.trace_id().as_deref(), Some(&b"abc"[..]));
        assert_eq!(rec.req_host().as_deref(), Some(&b"10.9.1.2:8889"[..]));
        rec.resp_header = Cow::Borrowed(b"{\"Traceid\":\"old\"}");
        assert_eq!(rec.trace_id().as_deref(), Some(&b"old"[..]));
        rec.resp_header = Cow::Borrowed(b"");
        assert_eq!(rec.trace_id(), None);
    }
}
