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

/// [`parse`] for [`super::classify`], which names a line with a NUL byte `binary` before
/// anything else: a line the fast path reads holds no control byte, NUL among them, so only a
/// line it leaves to the full parser is asked `binary` (the caller's NUL search) first.
pub fn parse_unless_binary(
    line: &[u8],
    binary: impl FnOnce() -> bool,
) -> Result<Record<'_>, Malformed> {
    let line = trim_blanks(line);
    if let Some(rec) = fast(line) {
        return Ok(rec);
    }
    if binary() {
        return Err(Malformed::Binary);
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
    let mut index = Index::new();
    // Raw control bytes, bad escapes and invalid UTF-8 make the line invalid JSON (or leave it
    // to the full parser): it says so.
    if !index.fill(line) {
        return None;
    }
    let mut c = Cursor {
        b: line,
        i: 0,
        index: &index,
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
    let req_header = c.value()?;
    c.lit(b",\"req_params\":")?;
    c.skip_value()?;
    c.lit(b",\"status_code\":")?;
    let (code, code_digits) = c.uint()?;
    c.lit(b",\"resp_header\":")?;
    let resp_header = c.value()?;
    c.lit(b",\"resp_body\":")?;
    c.skip_value()?;
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

/// Words of an index: one bit per byte of a line of at most [`FAST_MAX`] bytes.
const WORDS: usize = FAST_MAX / 64;

/// Where a line's string quotes and backslashes are, found for the whole line in one SIMD pass,
/// so that skipping a string is one bit scan, whatever escapes it holds. The same pass checks
/// every escape of the line and notes raw control bytes and non-ASCII bytes.
///
/// Escapes are found without knowing where strings are (a backslash escapes the next byte, a
/// run of them pairs up): inside a string that is exactly how JSON reads them, and outside
/// strings a backslash is not JSON at all, which the walk rejects, so the index is only
/// trusted where the walk finds strings.
struct Index {
    /// Bit i of word i / 64 is set when byte i is a `"` not escaped by a backslash.
    quotes: [std::mem::MaybeUninit<u64>; WORDS],
    /// Bit i of word i / 64 is set when byte i is a `\\`.
    backslashes: [std::mem::MaybeUninit<u64>; WORDS],
    /// Words filled (the rest are uninitialised and never read).
    len: usize,
}

/// Facts about 64 bytes of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chunk64 {
    /// Bit i set when byte i is `"`.
    quotes: u64,
    /// Bit i set when byte i is `\\`.
    backslashes: u64,
    /// Some byte is below 0x20.
    control: bool,
    /// Some byte is 0x80 or above.
    non_ascii: bool,
}

/// The portable chunk classifier; also the reference for the SIMD one.
fn chunk_scalar(chunk: &[u8; 64]) -> Chunk64 {
    let mut c = Chunk64 {
        quotes: 0,
        backslashes: 0,
        control: false,
        non_ascii: false,
    };
    for (i, &b) in chunk.iter().enumerate() {
        c.quotes |= u64::from(b == b'"') << i;
        c.backslashes |= u64::from(b == b'\\') << i;
        c.control |= b < 0x20;
        c.non_ascii |= b >= 0x80;
    }
    c
}

/// Which bytes of a chunk are escaped (follow an escaping backslash), given its backslashes and
/// whether its first byte is escaped by the previous chunk (`carry`, 0 or 1, updated for the
/// next chunk). A run of backslashes pairs up from its start; an odd run escapes the byte after
/// it. Bit arithmetic after simdjson's escape scanner: subtracting the run starts from the
/// odd-bit pattern borrows through each run and leaves the parity of every position in it.
#[inline(always)]
fn escaped_bytes(backslashes: u64, carry: &mut u64) -> u64 {
    const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    if backslashes == 0 {
        let escaped = *carry;
        *carry = 0;
        return escaped;
    }
    let potential = backslashes & !*carry;
    let maybe_escaped = potential << 1;
    let codes = (maybe_escaped | ODD_BITS).wrapping_sub(potential) ^ ODD_BITS;
    let escaped = codes ^ (backslashes | *carry);
    let escapes = codes & backslashes;
    *carry = escapes >> 63;
    escaped
}

/// The obvious escape finder, the reference for [`escaped_bytes`]: bit i of the result is set
/// when byte i follows an escaping backslash.
#[cfg(test)]
fn escaped_scalar(line: &[u8]) -> Vec<bool> {
    let mut escaped = vec![false; line.len() + 1];
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'\\' {
            escaped[i + 1] = true;
            i += 2;
        } else {
            i += 1;
        }
    }
    escaped
}

impl Index {
    #[inline(always)]
    fn new() -> Index {
        Index {
            quotes: [const { std::mem::MaybeUninit::uninit() }; WORDS],
            backslashes: [const { std::mem::MaybeUninit::uninit() }; WORDS],
            len: 0,
        }
    }

    /// Indexes a line of at most [`FAST_MAX`] bytes, in place (returning the index by value
    /// cost a copy per line). False when the line has a raw control byte, an escape that is
    /// not valid JSON (or a `\u` surrogate, left to the full parser) or invalid UTF-8.
    fn fill(&mut self, line: &[u8]) -> bool {
        if line.len() > FAST_MAX {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { simd::fill_avx2(self, line) };
            }
        }
        self.fill_with(line, chunk_scalar)
    }

    /// [`Index::fill`] with the portable classifier.
    fn fill_with(&mut self, line: &[u8], classify: impl Fn(&[u8; 64]) -> Chunk64) -> bool {
        if line.len() > FAST_MAX {
            return false;
        }
        let mut carry = 0;
        let mut control = false;
        let mut non_ascii = false;
        let mut n = 0;
        for piece in line.chunks(64) {
            let c = match <&[u8; 64]>::try_from(piece) {
                Ok(full) => classify(full),
                Err(_) => {
                    let mut padded = [b' '; 64];
                    padded[..piece.len()].copy_from_slice(piece);
                    classify(&padded)
                }
            };
            control |= c.control;
            non_ascii |= c.non_ascii;
            if !self.push(line, n, c.quotes, c.backslashes, &mut carry) {
                return false;
            }
            n += 1;
        }
        self.len = n;
        carry == 0 && !control && (!non_ascii || std::str::from_utf8(line).is_ok())
    }

    /// Stores word `n` from its raw quote and backslash masks; false when an escape in it is
    /// not one the fast path accepts.
    #[inline(always)]
    fn push(
        &mut self,
        line: &[u8],
        n: usize,
        quotes: u64,
        backslashes: u64,
        carry: &mut u64,
    ) -> bool {
        let escaped = escaped_bytes(backslashes, carry);
        // `fill` takes lines of at most FAST_MAX bytes, WORDS chunks, so both words exist; a
        // checked write costs one compare per 64 bytes and keeps this function sound alone.
        let (Some(q), Some(b)) = (self.quotes.get_mut(n), self.backslashes.get_mut(n)) else {
            return false;
        };
        q.write(quotes & !escaped);
        b.write(backslashes);
        // `\"` and `\\` are the common escapes; anything else is checked byte by byte.
        let other = escaped & !quotes & !backslashes;
        other == 0 || other_escapes_ok(line, n * 64, other)
    }

    #[inline(always)]
    fn quote_word(&self, w: usize) -> Option<u64> {
        if w < self.len {
            // SAFETY: words below `len` (at most WORDS) were written by `fill`.
            Some(unsafe { self.quotes.get_unchecked(w).assume_init() })
        } else {
            None
        }
    }

    /// The first unescaped `"` at or after `from`.
    #[inline(always)]
    fn next_quote(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = self.quote_word(w)? & (u64::MAX << (from % 64));
        while bits == 0 {
            w += 1;
            bits = self.quote_word(w)?;
        }
        Some(w * 64 + bits.trailing_zeros() as usize)
    }

    /// Whether a backslash lies in `from..to` (within the indexed line).
    #[inline(always)]
    fn backslash_in(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        let (first, last) = (from / 64, (to - 1) / 64);
        if last >= self.len {
            // Past the indexed line (callers never ask): "maybe", which sends the line to
            // the full parser.
            return true;
        }
        let low = u64::MAX << (from % 64);
        let high = u64::MAX >> (63 - (to - 1) % 64);
        // SAFETY (all three reads): words below `len` were written by `fill`, and
        // `first <= last < len`.
        if first == last {
            return unsafe { self.backslashes[first].assume_init() } & low & high != 0;
        }
        if unsafe { self.backslashes[first].assume_init() } & low != 0 {
            return true;
        }
        if unsafe { self.backslashes[last].assume_init() } & high != 0 {
            return true;
        }
        (first + 1..last).any(|w| unsafe { self.backslashes[w].assume_init() } != 0)
    }
}

/// For a line with bytes below 0x20 or above 0x7f: true when none is a control byte and the
/// line is valid UTF-8.
#[cold]
#[inline(never)]
fn odd_bytes_ok(line: &[u8]) -> bool {
    !line.iter().any(|&b| b < 0x20) && std::str::from_utf8(line).is_ok()
}

/// Checks the escapes other than `\"` and `\\` of one word: `other` has a bit per escaped byte,
/// at `base` in the line. Only `\/ \b \f \n \r \t` and `\uXXXX` (no surrogate: pairs are rare in
/// audit logs; the full parser checks them) pass.
#[cold]
#[inline(never)]
fn other_escapes_ok(line: &[u8], base: usize, mut other: u64) -> bool {
    while other != 0 {
        let at = base + other.trailing_zeros() as usize;
        other &= other - 1;
        match line.get(at) {
            Some(b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
            Some(b'u') => {
                let Some(hex) = line.get(at + 1..at + 5) else {
                    return false;
                };
                let mut unit: u32 = 0;
                for &h in hex {
                    let d = match h {
                        b'0'..=b'9' => h - b'0',
                        b'a'..=b'f' => h - b'a' + 10,
                        b'A'..=b'F' => h - b'A' + 10,
                        _ => return false,
                    };
                    unit = unit * 16 + u32::from(d);
                }
                if (0xd800..=0xdfff).contains(&unit) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::Index;

    /// [`Index::fill`] with AVX2 compares, for a line of at most `FAST_MAX` bytes (checked by
    /// `fill`, its one caller). Written as one plain loop: through closures and
    /// a returned struct, LLVM scalarised the masks bit by bit.
    #[target_feature(enable = "avx2")]
    pub unsafe fn fill_avx2(s: &mut Index, line: &[u8]) -> bool {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let space = _mm256_set1_epi8(b' ' as i8);
        // Bytes below 0x20 as signed: control bytes and non-ASCII ones.
        let mut odd = _mm256_setzero_si256();
        let mut carry = 0;
        let len = line.len();
        let full = len / 64;
        let rem = len % 64;
        let mut n = 0;
        // Classifies the 64 bytes at `$p` as chunk n, its masks shifted down by `$shift` (for a
        // last partial chunk read from the line's last 64 bytes); false from `fill_avx2` when
        // an escape is not one the fast path takes. A macro, not a function: one loop body.
        macro_rules! chunk {
            ($p:expr, $shift:expr) => {{
                let p: *const u8 = $p;
                // SAFETY: `p` points at 64 readable bytes (in the line or the padded copy);
                // loadu has no alignment requirement.
                let (a, b) = unsafe {
                    (
                        _mm256_loadu_si256(p.cast::<__m256i>()),
                        _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                    )
                };
                let qa = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, quote)) as u32 as u64;
                let qb = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, quote)) as u32 as u64;
                let ba = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, backslash)) as u32 as u64;
                let bb = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, backslash)) as u32 as u64;
                let quotes = (qa | (qb << 32)) >> $shift;
                let backslashes = (ba | (bb << 32)) >> $shift;
                if !s.push(line, n, quotes, backslashes, &mut carry) {
                    return false;
                }
                odd = _mm256_or_si256(
                    odd,
                    _mm256_or_si256(_mm256_cmpgt_epi8(space, a), _mm256_cmpgt_epi8(space, b)),
                );
                n += 1;
            }};
        }
        while n < full {
            // SAFETY: chunk n lies in the line.
            chunk!(unsafe { line.as_ptr().add(n * 64) }, 0);
        }
        if rem != 0 {
            if len >= 64 {
                // The line's last 64 bytes, whose top `rem` are this chunk.
                // SAFETY: len >= 64.
                chunk!(unsafe { line.as_ptr().add(len - 64) }, 64 - rem);
            } else {
                let mut padded = [b' '; 64];
                padded[..len].copy_from_slice(line);
                chunk!(padded.as_ptr(), 0);
            }
        }
        s.len = n;
        carry == 0 && (_mm256_movemask_epi8(odd) == 0 || super::odd_bytes_ok(line))
    }
}

/// A position in a line being walked by the fast path.
struct Cursor<'a, 's> {
    b: &'a [u8],
    i: usize,
    index: &'s Index,
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
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let (from, to) = self.string()?;
        if self.index.backslash_in(from, to) {
            None
        } else {
            Some(&self.b[from..to])
        }
    }

    /// A string (its escapes were checked by the index); returns (content start, content end).
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize)> {
        if self.peek()? != b'"' {
            return None;
        }
        let from = self.i + 1;
        let at = self.index.next_quote(from)?;
        self.i = at + 1;
        Some((from, at))
    }

    /// An unsigned integer in JSON form (no leading zeros, at most 19 digits); returns (value,
    /// digit count). Eight digits at a time in a word (SWAR) while eight bytes are left.
    #[inline(always)]
    fn uint(&mut self) -> Option<(u64, usize)> {
        let rest = self.b.get(self.i..)?;
        let mut value: u64 = 0;
        let mut digits = 0;
        loop {
            let Some(Ok(word)) = rest.get(digits..digits + 8).map(<[u8; 8]>::try_from) else {
                // Fewer than eight bytes left: one at a time.
                while let Some(&b) = rest.get(digits) {
                    let d = b.wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    value = value.wrapping_mul(10).wrapping_add(u64::from(d));
                    digits += 1;
                }
                break;
            };
            let (n, v) = leading_digits(u64::from_le_bytes(word));
            value = value.wrapping_mul(POW10[n]).wrapping_add(v);
            digits += n;
            if n < 8 || digits > 19 {
                break;
            }
        }
        // Longer than any u64 we accept: let the full parser decide.
        if digits == 0 || digits > 19 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        self.i += digits;
        Some((value, digits))
    }

    /// Any JSON value in compact form, validated and skipped; returns its raw text. One loop
    /// rather than a recursion: open containers are bits on a stack (set for an object), at
    /// most [`MAX_DEPTH`] deep.
    fn value(&mut self) -> Option<&'a [u8]> {
        let b = self.b;
        let from = self.i;
        let mut i = self.i;
        let mut objects: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            // A value starts at i.
            match *b.get(i)? {
                b'"' => i = self.index.next_quote(i + 1)? + 1,
                b'{' if *b.get(i + 1)? == b'}' => i += 2,
                b'[' if *b.get(i + 1)? == b']' => i += 2,
                open @ (b'{' | b'[') => {
                    if depth >= MAX_DEPTH {
                        return None;
                    }
                    let object = open == b'{';
                    objects = (objects & !(1 << depth)) | (u64::from(object) << depth);
                    depth += 1;
                    i += 1;
                    if object {
                        i = self.key(i)?;
                    }
                    continue;
                }
                b't' => i = literal(b, i, b"true")?,
                b'f' => i = literal(b, i, b"false")?,
                b'n' => i = literal(b, i, b"null")?,
                b'-' | b'0'..=b'9' => i = number(b, i)?,
                _ => return None,
            }
            // A value ends at i: close containers, until a comma starts the next value.
            loop {
                if depth == 0 {
                    self.i = i;
                    return Some(&b[from..i]);
                }
                let object = (objects >> (depth - 1)) & 1 == 1;
                match *b.get(i)? {
                    b',' => {
                        i += 1;
                        if object {
                            i = self.key(i)?;
                            // The common member, a string: taken here, straight to what follows.
                            if b.get(i) == Some(&b'"') {
                                i = self.index.next_quote(i + 1)? + 1;
                                continue;
                            }
                        }
                        break;
                    }
                    b'}' if object => {
                        depth -= 1;
                        i += 1;
                    }
                    b']' if !object => {
                        depth -= 1;
                        i += 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// An object key and its colon at `i`; returns where its value starts.
    #[inline(always)]
    fn key(&self, i: usize) -> Option<usize> {
        if *self.b.get(i)? != b'"' {
            return None;
        }
        let end = self.index.next_quote(i + 1)?;
        if *self.b.get(end + 1)? != b':' {
            return None;
        }
        Some(end + 2)
    }

    /// A value that is usually a string (`req_params`, `resp_body`), validated and skipped.
    #[inline(always)]
    fn skip_value(&mut self) -> Option<()> {
        if self.peek()? == b'"' {
            self.string()?;
        } else {
            self.value()?;
        }
        Some(())
    }
}

/// Powers of ten up to 10^8.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The ASCII digits at the start of eight bytes (a little-endian word, first byte lowest):
/// how many (0 to 8) and their value.
#[inline(always)]
fn leading_digits(word: u64) -> (usize, u64) {
    // A byte is a digit when it is 0..=9 after subtracting '0': neither wrapped below zero (high
    // bit set) nor 10 or more (high bit set once 0x76 is added). Borrows and carries only move
    // upwards, past the first non-digit, so the lowest flagged byte is the first non-digit.
    let x = word.wrapping_sub(0x3030_3030_3030_3030);
    let flags = (x | x.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
    let n = if flags == 0 {
        8
    } else {
        (flags.trailing_zeros() / 8) as usize
    };
    if n == 0 {
        return (0, 0);
    }
    // The n digits moved to the top bytes, zeros (leading zero digits) below them.
    let x = x << (8 * (8 - n));
    // Lemire's eight-digit parse: pairs, then quads, then the whole.
    let x = x.wrapping_mul(10).wrapping_add(x >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = ((x & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((x >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32;
    (n, v)
}

/// `true`, `false` or `null` at `i`; returns where it ends.
#[inline(always)]
fn literal(b: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    (b.get(i..i + lit.len())? == lit).then_some(i + lit.len())
}

/// An integer at `i` (what the writer puts in headers); returns where it ends. Fractions,
/// exponents and huge values are left to the full parser, whose range rules they touch.
#[inline(always)]
fn number(b: &[u8], i: usize) -> Option<usize> {
    let start = i + usize::from(b[i] == b'-');
    let mut j = start;
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    let int = j - start;
    if int == 0 || int > 18 || (int > 1 && b[start] == b'0') {
        return None;
    }
    if matches!(b.get(j), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    Some(j)
}

/// The string value of the first of `keys` whose (last) top-level value in `object` is a
/// string, as a JSON parser reads the object: duplicates resolve to the last one, nested keys
/// do not count, escapes are undone. `object` is the raw text of a header the fast path
/// validated (or empty, or `null`).
pub fn object_string<'h>(object: &'h [u8], keys: &[&[u8]]) -> Option<Cow<'h, [u8]>> {
    if object.len() > FAST_MAX || object.first() != Some(&b'{') {
        return None;
    }
    let mut index = Index::new();
    if !index.fill(object) {
        return None;
    }
    let mut c = Cursor {
        b: object,
        i: 1,
        index: &index,
    };
    // Per key, the last value seen: Some(None) for a value that is not a string.
    let mut found: Vec<Option<Option<(usize, usize, bool)>>> = vec![None; keys.len()];
    if c.peek()? != b'}' {
        loop {
            let (ks, ke) = c.string()?;
            let key = unescape(&object[ks..ke], index.backslash_in(ks, ke))?;
            c.lit(b":")?;
            let value = if c.peek()? == b'"' {
                let (from, to) = c.string()?;
                Some((from, to, index.backslash_in(from, to)))
            } else {
                c.value()?;
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

    /// Lines as gen-auditlog writes them (seed 1), besides [`LINE`].
    const WRITER_LINES: [&str; 3] = [
        r#"{"req_type":"REQ","module":"ACCESS","start_time":17639424212914802,"method":"POST","path":"/put","req_header":{"BodySize":4096,"Host":"10.9.0.10:9500","IP":"10.0.160.201","RawQuery":"size=4096\u0026hashes=4","User-Agent":"blobstore-sdk/1.3.0 (linux/amd64; go1.20)"},"req_params":"","status_code":200,"resp_header":{"Blobstore-Tracer-Traceid":"33c2564f75f474f3","Content-Length":"146","Content-Type":"application/json","Trace-Log":["ACCESS","ACCESS:17"],"Trace-Tags":["span.kind:server"]},"resp_body":"{\"location\":{\"cluster_id\":1,\"code_mode\":11,\"size\":4096,\"blob_size\":4194304,\"crc\":4177569886,\"blobs\":[{\"min_bid\":87595214,\"vid\":33764,\"count\":1}]}}","resp_length":146,"duration":17920}"#,
        r#"{"req_type":"REQ","module":"CLUSTERMGR","start_time":17639426336948402,"method":"GET","path":"/volume/get","req_header":{"BodySize":0,"Host":"10.9.1.2:9998","IP":"10.0.137.244","RawQuery":"vid=37143","User-Agent":"blobnode/cm_1.2.0 (linux/amd64; go1.19)"},"req_params":"","status_code":200,"resp_header":{"Blobstore-Tracer-Traceid":"cb165719077f6183","Content-Length":"308","Content-Type":"application/json","Trace-Log":["CLUSTERMGR"],"Trace-Tags":["span.kind:server"]},"resp_body":"{\"vid\":37143,\"code_mode\":11,\"status\":2,\"total\":34359738368,\"free\":12928032593,\"used\":20910514512,\"units\":[{\"vuid\":717548214609,\"disk_id\":358,\"host\":\"http://10.9.3.10:8889\"},{\"vuid\":717548214610,\"disk_id\":359,\"host\":\"http://10.9.3.11:8889\"}]}","resp_length":308,"duration":178}"#,
        r#"{"req_type":"REQ","module":"SCHEDULER@10.9.1.8:9800","start_time":17639424704076622,"method":"POST","path":"/task/report","req_header":{"BodySize":0,"Host":"10.9.1.8:9800","IP":"10.0.92.122","User-Agent":"blobnode/cm_1.2.0 (linux/amd64; go1.19)"},"req_params":"","status_code":200,"resp_header":{"Blobstore-Tracer-Traceid":"8949179d2870ee22","Content-Length":"0","Trace-Log":["SCHEDULER"],"Trace-Tags":["span.kind:server"]},"resp_body":"","resp_length":0,"duration":838}"#,
    ];

    /// Bytes that matter to the index and the walk, for mutations and random lines.
    fn interesting_byte() -> impl proptest::strategy::Strategy<Value = u8> {
        proptest::prop_oneof![
            proptest::sample::select(
                &b"\"\\{}[]:,0123456789-.eEutrfalsnbdDAF/ \t\x1f\x7f\xc3\xa9\xff"[..]
            ),
            proptest::prelude::any::<u8>(),
        ]
    }

    /// What the index should say of a line: `None` when `fill` must refuse it, else for each
    /// byte whether it is a `"` no backslash escapes.
    fn index_reference(line: &[u8]) -> Option<Vec<bool>> {
        if line.iter().any(|&b| b < 0x20) || std::str::from_utf8(line).is_err() {
            return None;
        }
        let escaped = escaped_scalar(line);
        for (i, &e) in escaped.iter().enumerate() {
            if !e {
                continue;
            }
            match line.get(i)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex = std::str::from_utf8(line.get(i + 1..i + 5)?).ok()?;
                    if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                        return None;
                    }
                    let unit = u16::from_str_radix(hex, 16).ok()?;
                    if (0xd800..=0xdfff).contains(&unit) {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        Some(
            line.iter()
                .enumerate()
                .map(|(i, &b)| b == b'"' && !escaped[i])
                .collect(),
        )
    }

    /// `parse` and `full` agree on a line: the same record fields, or the same reason.
    fn assert_parse_is_full(line: &[u8]) -> Result<(), proptest::test_runner::TestCaseError> {
        let trimmed = trim_blanks(line);
        match (parse(line), full(trimmed)) {
            (Ok(p), Ok(f)) => proptest::prop_assert_eq!(same_fields(&p), same_fields(&f)),
            (p, f) => proptest::prop_assert_eq!(p.map(|_| ()), f.map(|_| ())),
        }
        crate::scan::check::line(line);
        Ok(())
    }

    #[derive(Clone, Debug)]
    enum Edit {
        Set(usize, u8),
        Insert(usize, u8),
        Delete(usize),
        /// Replaces the i-th (modulo their count) of the bytes `{}[]:,"` in the focus.
        Structural(usize, u8),
    }

    /// The bytes of JSON's grammar, for [`Edit::Structural`].
    const STRUCTURAL: &[u8] = b"{}[]:,\"";

    fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Edit::Set(i, b)),
            (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
            any::<usize>().prop_map(Edit::Delete),
            (any::<usize>(), proptest::sample::select(STRUCTURAL))
                .prop_map(|(i, b)| Edit::Structural(i, b)),
        ]
    }

    /// Applies edits at positions drawn in `focus` (a byte range of the line) when `focused`.
    fn mutate(base: &str, edits: &[Edit], focus: Option<(usize, usize)>) -> Vec<u8> {
        let mut line = base.as_bytes().to_vec();
        for e in edits {
            let len = line.len().max(1);
            let at = |i: usize| match focus {
                Some((from, to)) if to > from && to <= line.len() => from + i % (to - from),
                _ => i % len,
            };
            match *e {
                Edit::Set(i, b) => {
                    let i = at(i);
                    if i < line.len() {
                        line[i] = b;
                    }
                }
                Edit::Insert(i, b) => {
                    let i = at(i).min(line.len());
                    line.insert(i, b);
                }
                Edit::Delete(i) => {
                    let i = at(i);
                    if i < line.len() {
                        line.remove(i);
                    }
                }
                Edit::Structural(i, b) => {
                    let (from, to) = match focus {
                        Some((from, to)) if to > from && to <= line.len() => (from, to),
                        _ => (0, line.len()),
                    };
                    let spots: Vec<usize> = (from..to)
                        .filter(|&j| STRUCTURAL.contains(&line[j]))
                        .collect();
                    if !spots.is_empty() {
                        line[spots[i % spots.len()]] = b;
                    }
                }
            }
        }
        line
    }

    /// The byte range of a header object (`"key":{...}` value) in a writer line.
    fn header_range(line: &str, key: &str) -> Option<(usize, usize)> {
        let from = line.find(&format!("\"{key}\":"))? + key.len() + 3;
        let to = line[from..].find(&format!(",\"{}", next_key(key)))? + from;
        Some((from, to))
    }

    fn next_key(key: &str) -> &'static str {
        match key {
            "req_header" => "req_params",
            "req_params" => "status_code",
            "resp_header" => "resp_body",
            _ => "resp_length",
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn escapes_match_the_obvious(line in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'\\'), proptest::strategy::Just(b'\\'),
                proptest::strategy::Just(b'"'), proptest::strategy::Just(b'a')], 0..300)) {
            let reference = escaped_scalar(&line);
            let mut carry = 0;
            for (w, piece) in line.chunks(64).enumerate() {
                let backslashes = piece
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, &b)| m | (u64::from(b == b'\\') << i));
                let escaped = escaped_bytes(backslashes, &mut carry);
                for i in 0..piece.len() {
                    proptest::prop_assert_eq!(escaped >> i & 1 == 1, reference[w * 64 + i], "byte {}", w * 64 + i);
                }
            }
            if line.len() % 64 == 0 {
                proptest::prop_assert_eq!(carry == 1, reference[line.len()]);
            }
        }

        #[test]
        fn leading_digits_match_the_obvious(bytes in proptest::collection::vec(
            proptest::prop_oneof![
                4 => proptest::sample::select(&b"0123456789"[..]),
                1 => proptest::prelude::any::<u8>()], 8)) {
            let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let v = bytes[..n].iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            let word = u64::from_le_bytes(bytes.as_slice().try_into().expect("8 bytes"));
            proptest::prop_assert_eq!(leading_digits(word), (n, v));
        }

        #[test]
        fn uint_matches_the_obvious(digits in "[0-9]{0,24}", tail in "[,}x.0-9]{0,10}") {
            let text = format!("{digits}{tail}");
            let n = text.bytes().take_while(u8::is_ascii_digit).count();
            let expected = (n > 0 && n <= 19 && !(n > 1 && text.starts_with('0')))
                .then(|| (text[..n].parse::<u64>().expect("u64"), n));
            let index = Index::new();
            let mut c = Cursor { b: text.as_bytes(), i: 0, index: &index };
            proptest::prop_assert_eq!(c.uint(), expected);
            proptest::prop_assert_eq!(c.i, expected.map_or(0, |(_, n)| n));
        }

        #[test]
        fn index_matches_the_obvious(line in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'"'), proptest::strategy::Just(b'\\'),
                proptest::strategy::Just(b'a'), proptest::strategy::Just(b'u'),
                proptest::strategy::Just(b'0'), proptest::strategy::Just(b'd'),
                interesting_byte()], 0..300),
            ranges in proptest::collection::vec((0usize..300, 0usize..300), 8)) {
            let reference = index_reference(&line);
            let mut simd = Index::new();
            let mut portable = Index::new();
            let simd_ok = simd.fill(&line);
            proptest::prop_assert_eq!(portable.fill_with(&line, chunk_scalar), simd_ok);
            proptest::prop_assert_eq!(simd_ok, reference.is_some());
            if let Some(quotes) = reference {
                for index in [&simd, &portable] {
                    for i in 0..line.len() {
                        let expected = quotes[i..].iter().position(|&q| q).map(|p| p + i);
                        proptest::prop_assert_eq!(index.next_quote(i), expected);
                    }
                    for &(a, b) in &ranges {
                        let (from, to) = (a.min(b).min(line.len()), a.max(b).min(line.len()));
                        proptest::prop_assert_eq!(
                            index.backslash_in(from, to),
                            line[from..to].contains(&b'\\')
                        );
                    }
                }
            }
        }

        #[test]
        fn mutated_writer_lines_parse_as_the_full_parser_does(
            base in 0usize..4,
            target in 0usize..5,
            edits in proptest::collection::vec(edit(), 1..4)) {
            let base = if base == 0 { LINE } else { WRITER_LINES[base - 1] };
            let focus = match target {
                0 => header_range(base, "req_header"),
                1 => header_range(base, "resp_header"),
                2 => header_range(base, "req_params"),
                3 => header_range(base, "resp_body"),
                _ => None,
            };
            assert_parse_is_full(&mutate(base, &edits, focus))?;
        }

        #[test]
        fn random_header_objects_parse_as_the_full_parser_does(
            base in 0usize..4,
            header in proptest::collection::vec(
                proptest::sample::select(&[
                    "{", "}", "[", "]", ":", ",", "\"", "\"k\"", "\"Host\"", "\"Traceid\"",
                    "\"v\"", "\"a\\\"b\"", "\"\\u0026\"", "\"\\ud800\"", "\\", "0", "12", "-3",
                    "01", "1.5", "1e3", "true", "false", "null", "nul", " ", "\"\u{e9}\"",
                ][..]), 0..24)) {
            let base = if base == 0 { LINE } else { WRITER_LINES[base - 1] };
            let (from, to) = header_range(base, "resp_header").expect("resp_header");
            let line = format!("{}{}{}", &base[..from], header.concat(), &base[to..]);
            assert_parse_is_full(line.as_bytes())?;
        }
    }

    #[test]
    fn writer_lines_take_the_fast_path() {
        for line in std::iter::once(LINE).chain(WRITER_LINES) {
            let fast_rec = fast(line.as_bytes()).expect("fast path");
            let full_rec = full(line.as_bytes()).expect("full parse");
            assert_eq!(same_fields(&fast_rec), same_fields(&full_rec));
        }
    }

    #[test]
    fn escapes_the_full_parser_rejects_are_not_read() {
        // `\u+123` parses as hex with a sign in u16::from_str_radix, not in JSON.
        for bad in ["\\u+123", "\\u12", "\\x", "\\ud800", "\\U0026"] {
            let line = LINE.replace("size", &format!("size{bad}"));
            assert!(fast(line.as_bytes()).is_none(), "{line}");
            assert_eq!(
                parse(line.as_bytes()).map(|_| ()),
                Err(Malformed::BadJson),
                "{line}"
            );
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
            // Each bracket closes only its own kind.
            LINE.replace(
                "\"Trace-Log\":[\"SHARDNODE\"]}",
                "\"Trace-Log\":[\"SHARDNODE\"]]",
            ),
            LINE.replace(
                "\"Trace-Log\":[\"SHARDNODE\"]",
                "\"Trace-Log\":[\"SHARDNODE\"}",
            ),
            LINE.replace("{\"Host\":", "[\"Host\":"),
            LINE.replace(
                "\"Host\":\"10.9.2.27:9100\",",
                "\"Host\",\"10.9.2.27:9100\":",
            ),
        ] {
            assert!(fast(bad.as_bytes()).is_none(), "{bad}");
            assert!(serde_json::from_str::<Value>(&bad).is_err(), "{bad}");
        }
    }
}
