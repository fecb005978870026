//! The `Trace-Log` response header: where it is in a record, and what its pieces say.
//!
//! Every BlobStore server records who it called and how long each call took in a `Trace-Log`
//! header, and nests its downstream servers' logs inside its own, so one ACCESS record holds the
//! whole chain. [`find`] locates the value in a response header (a JSON array of strings, or
//! the rpc2 transport's one string joined with `|`), [`for_each_element`] hands out its
//! elements (borrowed from the header unless a string has escapes), [`parse_piece`] reads one
//! `;`-separated piece without copying, and [`Roles`] tells which pieces are the record's own
//! element, stage timings or calls to another server. The grammar, with the port-versus-
//! milliseconds trap, is in `docs/tracelog.md`.

/// How the header carries the elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// A JSON array, one element per string (HTTP servers).
    Array,
    /// One string, elements joined with `|` (rpc2 servers).
    Joined,
}

/// The raw `Trace-Log` value of a header: the JSON text of an array of strings, or of a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a> {
    /// Array or joined string.
    pub form: Form,
    /// The value's JSON text, quotes and brackets included.
    pub text: &'a [u8],
}

/// What a response header says about its `Trace-Log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// No `Trace-Log` key (or `null`).
    Absent,
    /// The header is not a JSON object, or `Trace-Log` is neither an array of strings nor a
    /// string.
    Invalid,
    /// The value, validated.
    Value(Raw<'a>),
}

/// Deepest nesting of a header walked; deeper headers are invalid (no real header nests).
const MAX_DEPTH: u32 = 64;

/// Finds the top-level `Trace-Log` key of a response header (compact JSON text, or empty). The
/// whole header is checked as a JSON object, the way a JSON parser reads it: the last of
/// duplicate keys wins, escapes in keys count.
pub fn find(header: &[u8]) -> Found<'_> {
    if header.is_empty() || header == b"null" {
        return Found::Absent;
    }
    if std::str::from_utf8(header).is_err() {
        return Found::Invalid;
    }
    let mut c = Walker { b: header, i: 0 };
    match c.object_trace_log() {
        Some(found) if c.at_end() => found,
        _ => Found::Invalid,
    }
}

/// A position in a header being checked.
struct Walker<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Walker<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.i == self.b.len()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// The top-level object: returns what its last `Trace-Log` key holds.
    fn object_trace_log(&mut self) -> Option<Found<'a>> {
        self.eat(b'{')?;
        let mut found = Found::Absent;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(found);
        }
        loop {
            self.skip_ws();
            let (from, to, escaped) = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            let is_trace_log = if escaped {
                unescape(&self.b[from..to]).as_deref() == Some(&b"Trace-Log"[..])
            } else {
                &self.b[from..to] == b"Trace-Log"
            };
            let start = self.i;
            let kind = self.value(1)?;
            if is_trace_log {
                let text = &self.b[start..self.i];
                found = match kind {
                    Kind::Null => Found::Absent,
                    Kind::String => Found::Value(Raw {
                        form: Form::Joined,
                        text,
                    }),
                    Kind::StringArray => Found::Value(Raw {
                        form: Form::Array,
                        text,
                    }),
                    Kind::Other => Found::Invalid,
                };
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(found);
                }
                _ => return None,
            }
        }
    }

    /// A string at the cursor; returns (content start, content end, had escapes). Checks the
    /// escapes and refuses raw control bytes, as JSON does.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let from = self.i;
        let mut escaped = false;
        loop {
            let at = self.i + memchr::memchr3(b'"', b'\\', 0x1f, &self.b[self.i..])?;
            // memchr3 cannot look for every control byte at once: check the run it skipped.
            if self.b[self.i..at].iter().any(|&b| b < 0x20) {
                return None;
            }
            match self.b[at] {
                b'"' => {
                    self.i = at + 1;
                    return Some((from, at, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i = at + 1 + escape_len(&self.b[at + 1..])?;
                }
                _ => return None,
            }
        }
    }

    /// Any JSON value, checked and skipped; says what it was.
    fn value(&mut self, depth: u32) -> Option<Kind> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'"' => {
                self.string()?;
                Some(Kind::String)
            }
            b'{' => {
                self.i += 1;
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Kind::Other);
                }
                loop {
                    self.skip_ws();
                    self.string()?;
                    self.eat(b':')?;
                    self.value(depth + 1)?;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(Kind::Other);
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.skip_ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(Kind::StringArray);
                }
                let mut all_strings = true;
                loop {
                    all_strings &= self.value(depth + 1)? == Kind::String;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(if all_strings {
                                Kind::StringArray
                            } else {
                                Kind::Other
                            });
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null").map(|_| Kind::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Kind> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(Kind::Other)
        } else {
            None
        }
    }

    /// A JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<Kind> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        Some(Kind::Other)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

/// What a JSON value turned out to be, as far as `Trace-Log` cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    String,
    /// An array whose items are all strings (or none).
    StringArray,
    Other,
}

/// Length of a valid escape after its backslash (`n` is 1, `u0026` is 5, a surrogate pair
/// `ud83d\ude00` is 11); `None` when invalid or a lone surrogate.
fn escape_len(after: &[u8]) -> Option<usize> {
    match after.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(1),
        b'u' => {
            let unit = hex4(after.get(1..5)?)?;
            match unit {
                0xd800..=0xdbff => {
                    let low = after.get(5..11)?;
                    if !low.starts_with(b"\\u") {
                        return None;
                    }
                    let low = hex4(&low[2..])?;
                    (0xdc00..=0xdfff).contains(&low).then_some(11)
                }
                0xdc00..=0xdfff => None,
                _ => Some(5),
            }
        }
        _ => None,
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(bytes).ok()?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// The content of a JSON string (between its quotes, escapes checked by the walker), with its
/// escapes undone.
fn unescape(content: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(content.len());
    unescape_into(content, &mut out)?;
    Some(out)
}

fn unescape_into(content: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &content[i..]) {
        out.extend_from_slice(&content[i..i + at]);
        let esc = i + at + 1;
        let c = match *content.get(esc)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(content.get(esc + 1..esc + 5)?)?;
                if (0xd800..=0xdbff).contains(&unit) {
                    let low = hex4(content.get(esc + 7..esc + 11)?)?;
                    i = esc + 11;
                    let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(char::from_u32(code)?.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                i = esc + 5;
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from_u32(unit)?.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return None,
        };
        out.push(c as u8);
        i = esc + 1;
    }
    out.extend_from_slice(&content[i..]);
    Some(())
}

/// Calls `f` with every element of a validated value, in order: a string of the array, or a
/// `|`-separated part of the joined string. Strings without escapes are handed out borrowed
/// from the header; the others are unescaped into `scratch` first.
pub fn for_each_element(raw: Raw<'_>, scratch: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    match raw.form {
        Form::Joined => {
            let content = &raw.text[1..raw.text.len().saturating_sub(1)];
            let joined: &[u8] = if memchr::memchr(b'\\', content).is_some() {
                scratch.clear();
                if unescape_into(content, scratch).is_none() {
                    return;
                }
                scratch
            } else {
                content
            };
            for part in joined.split(|&b| b == b'|') {
                f(part);
            }
        }
        Form::Array => {
            let mut w = Walker { b: raw.text, i: 1 };
            loop {
                w.skip_ws();
                match w.peek() {
                    Some(b'"') => {}
                    _ => return,
                }
                let Some((from, to, escaped)) = w.string() else {
                    return;
                };
                let content = &raw.text[from..to];
                if escaped {
                    scratch.clear();
                    if unescape_into(content, scratch).is_some() {
                        f(scratch);
                    }
                } else {
                    f(content);
                }
                w.skip_ws();
                if w.peek() != Some(b',') {
                    return;
                }
                w.i += 1;
            }
        }
    }
}

/// ACCESS's stage timings, milliseconds: buffer allocation, reading, writing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stage {
    /// Allocating buffers.
    pub a_ms: u64,
    /// Reading: from the client on put, from blobnodes on get.
    pub r_ms: u64,
    /// Writing: to blobnodes on put, to the client on get.
    pub w_ms: u64,
}

/// One call: `MODULE[@host:port][:ms][/err]`, borrowed from its element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call<'a> {
    /// The module called (before `@`, `:` or `/`).
    pub module: &'a [u8],
    /// `host[:port]` after `@`, if any.
    pub host: Option<&'a [u8]>,
    /// Duration in microseconds; `None` when left out (less than 1 ms).
    pub dur_us: Option<u64>,
    /// Error text after `/` (possibly empty), when the call failed.
    pub err: Option<&'a [u8]>,
}

impl Call<'_> {
    /// Duration in microseconds, 0 when left out.
    pub fn us(&self) -> u64 {
        self.dur_us.unwrap_or(0)
    }
}

/// One `;`-separated piece of an element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Nothing between two separators.
    Empty,
    /// ACCESS's `a_<ms>_r_<ms>_w_<ms>`.
    Stage(Stage),
    /// A call to a module.
    Call(Call<'a>),
    /// Not in the grammar; the raw bytes.
    Malformed(&'a [u8]),
}

/// The pieces of one element, in order.
pub fn pieces(element: &[u8]) -> impl Iterator<Item = Piece<'_>> {
    element.split(|&b| b == b';').map(parse_piece)
}

/// Reads one piece (no `;` in it). See `docs/tracelog.md` for the grammar.
pub fn parse_piece(piece: &[u8]) -> Piece<'_> {
    if piece.is_empty() {
        return Piece::Empty;
    }
    if let Some(stage) = parse_stage(piece) {
        return Piece::Stage(stage);
    }
    match parse_call(piece) {
        Some(call) => Piece::Call(call),
        None => Piece::Malformed(piece),
    }
}

fn parse_stage(piece: &[u8]) -> Option<Stage> {
    let rest = piece.strip_prefix(b"a_")?;
    let (a, rest) = split_digits(rest)?;
    let rest = rest.strip_prefix(b"_r_")?;
    let (r, rest) = split_digits(rest)?;
    let rest = rest.strip_prefix(b"_w_")?;
    let (w, rest) = split_digits(rest)?;
    rest.is_empty().then_some(Stage {
        a_ms: a,
        r_ms: r,
        w_ms: w,
    })
}

/// Leading digits (1 to 19) as a number, and what follows.
fn split_digits(b: &[u8]) -> Option<(u64, &[u8])> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = crate::scan::record::parse_digits(&b[..n], 19)?;
    Some((value, &b[n..]))
}

fn all_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

fn parse_call(piece: &[u8]) -> Option<Call<'_>> {
    let (head, err) = match memchr::memchr(b'/', piece) {
        Some(at) => (&piece[..at], Some(&piece[at + 1..])),
        None => (piece, None),
    };
    let (module, host, dur) = match memchr::memchr(b'@', head) {
        Some(at) => {
            let (host, dur) = parse_address(&head[at + 1..])?;
            (&head[..at], host, dur)
        }
        None => match memchr::memrchr(b':', head) {
            Some(at) => (&head[..at], None, Some(parse_duration(&head[at + 1..])?)),
            None => (head, None, None),
        },
    };
    if module.is_empty() || memchr::memchr(b':', module).is_some() {
        return None;
    }
    Some(Call {
        module,
        host,
        dur_us: dur,
        err,
    })
}

/// What follows `@`: (host with its port, duration).
fn parse_address(addr: &[u8]) -> Option<(Option<&[u8]>, Option<u64>)> {
    if addr.is_empty() {
        return Some((None, None));
    }
    if addr[0] == b'[' {
        let close = memchr::memchr(b']', addr)?;
        let tail = &addr[close + 1..];
        if tail.is_empty() {
            return Some((Some(addr), None));
        }
        let tail = tail.strip_prefix(b":")?;
        return match memchr::memchr(b':', tail) {
            None if all_digits(tail) => Some((Some(addr), None)),
            None => Some((Some(&addr[..=close]), Some(parse_unit_duration(tail)?))),
            Some(at) if all_digits(&tail[..at]) => {
                let host_end = close + 2 + at;
                Some((
                    Some(&addr[..host_end]),
                    Some(parse_duration(&tail[at + 1..])?),
                ))
            }
            _ => None,
        };
    }
    let Some(last) = memchr::memrchr(b':', addr) else {
        return Some((Some(addr), None));
    };
    let after = &addr[last + 1..];
    match memchr::memrchr(b':', &addr[..last]) {
        // `host:N`: N all digits is the port, never milliseconds.
        None if all_digits(after) => Some((Some(addr), None)),
        None => Some((Some(&addr[..last]), Some(parse_unit_duration(after)?))),
        Some(prev) if all_digits(&addr[prev + 1..last]) => {
            Some((Some(&addr[..last]), Some(parse_duration(after)?)))
        }
        Some(_) => None,
    }
}

/// A duration: integer milliseconds, or a Go duration string with units; in microseconds.
pub fn parse_duration(text: &[u8]) -> Option<u64> {
    if all_digits(text) {
        let ms = crate::scan::record::parse_digits(text, 19)?;
        return ms.checked_mul(1000);
    }
    parse_unit_duration(text)
}

/// A Go duration string (`1.5ms`, `2m3.25s`, `350µs`), in microseconds, rounded down. Each
/// term is summed exactly in nanoseconds.
fn parse_unit_duration(text: &[u8]) -> Option<u64> {
    const UNITS: [(&[u8], u128); 8] = [
        (b"ns", 1),
        (b"us", 1_000),
        ("µs".as_bytes(), 1_000),
        ("μs".as_bytes(), 1_000),
        (b"ms", 1_000_000),
        (b"s", 1_000_000_000),
        (b"m", 60_000_000_000),
        (b"h", 3_600_000_000_000),
    ];
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let whole = &rest[..whole_len];
        rest = &rest[whole_len..];
        let mut frac: &[u8] = b"";
        if let Some(after) = rest.strip_prefix(b".") {
            let n = after.iter().take_while(|c| c.is_ascii_digit()).count();
            frac = &after[..n];
            rest = &after[n..];
        }
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        // The longest unit that matches: `ms` before `m`.
        let (unit_len, scale) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .map(|(u, s)| (u.len(), *s))
            .max_by_key(|&(len, _)| len)?;
        rest = &rest[unit_len..];
        let whole = if whole.is_empty() {
            0
        } else {
            big_digits(whole)?
        };
        let mut ns = whole.checked_mul(scale)?;
        if !frac.is_empty() {
            // Fraction digits after the 18th are ignored (docs/tracelog.md), so the product
            // stays exact in u128.
            let frac = &frac[..frac.len().min(18)];
            let value = big_digits(frac)?;
            let den = 10u128.checked_pow(frac.len() as u32)?;
            ns = ns.checked_add(value.checked_mul(scale)? / den)?;
        }
        total = total.checked_add(ns)?;
        if total > i64::MAX as u128 {
            return None;
        }
    }
    u64::try_from(total / 1000).ok()
}

/// Digits as a number; `None` above 38 significant digits (far beyond any duration kept).
fn big_digits(b: &[u8]) -> Option<u128> {
    let b = &b[b.iter().take_while(|&&d| d == b'0').count()..];
    if b.len() > 38 {
        return None;
    }
    b.iter().try_fold(0u128, |v, &d| {
        v.checked_mul(10)?.checked_add(u128::from(d - b'0'))
    })
}

/// What a piece is to the record that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The record's own element (time to first header).
    Own,
    /// A call to another module.
    Hop,
    /// ACCESS's stage timings.
    Stage,
    /// Not in the grammar.
    Malformed,
    /// An empty piece.
    Empty,
}

/// Who a record is, to tell its own element from its calls.
#[derive(Clone, Copy, Debug)]
pub struct Roles<'r> {
    /// The record's service.
    pub service: &'r [u8],
    /// The record's module host, if any.
    pub host: Option<&'r [u8]>,
}

impl Roles<'_> {
    /// Calls `f(element index, role, piece)` for every piece of every element of `raw`.
    pub fn visit(
        &self,
        raw: Raw<'_>,
        scratch: &mut Vec<u8>,
        mut f: impl FnMut(usize, Role, &Piece<'_>),
    ) {
        let mut index = 0;
        for_each_element(raw, scratch, |element| {
            let own = self.is_own(element);
            for piece in pieces(element) {
                let role = match piece {
                    Piece::Empty => Role::Empty,
                    Piece::Stage(_) => Role::Stage,
                    Piece::Malformed(_) => Role::Malformed,
                    Piece::Call(_) if own => Role::Own,
                    Piece::Call(_) => Role::Hop,
                };
                f(index, role, &piece);
            }
            index += 1;
        });
    }

    /// Whether an element is the record's own: exactly one non-empty piece, a call to the
    /// record's service at the record's host (or without a host on either side).
    pub fn is_own(&self, element: &[u8]) -> bool {
        let mut calls = pieces(element).filter(|p| *p != Piece::Empty);
        match (calls.next(), calls.next()) {
            (Some(Piece::Call(c)), None) => {
                c.module == self.service
                    && match (c.host, self.host) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            }
            _ => false,
        }
    }
}

/// Whether a module name is a server's (`BLOBNODE`, `PROXY`), not an internal step (`dat.w`).
pub fn is_service_name(module: &[u8]) -> bool {
    !module.is_empty()
        && module
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Writes a call in the form CubeFS writes it, the one [`parse_call`] reads back: a duration
/// that is whole milliseconds as digits, other durations (and any duration after a host
/// without a port, where digits would read as the port) in microseconds with a unit; a bare
/// module named like a stage gets an empty `@`.
pub fn format_call(call: &Call<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(call.module);
    let mut port_less_host = false;
    if let Some(host) = call.host {
        out.push(b'@');
        out.extend_from_slice(host);
        port_less_host = !host_has_port(host);
    }
    if let Some(us) = call.dur_us {
        out.push(b':');
        if us.is_multiple_of(1000) && !port_less_host {
            out.extend_from_slice((us / 1000).to_string().as_bytes());
        } else {
            out.extend_from_slice(format!("{us}us").as_bytes());
        }
    }
    if let Some(err) = call.err {
        out.push(b'/');
        out.extend_from_slice(err);
    } else if call.host.is_none() && call.dur_us.is_none() && parse_stage(call.module).is_some() {
        // A module named like a stage would read back as the stage; an empty `@` keeps it a
        // call (a fuzz finding).
        out.push(b'@');
    }
}

/// Whether `host` ends in `:PORT` (after the `]` of a bracketed address).
fn host_has_port(host: &[u8]) -> bool {
    let tail = match memchr::memrchr(b']', host) {
        Some(at) => &host[at + 1..],
        None => host,
    };
    memchr::memrchr(b':', tail).is_some_and(|at| all_digits(&tail[at + 1..]))
}

/// A parsed Trace-Log, owned, for showing one record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogView {
    /// Array or joined string; `None` without a Trace-Log.
    pub form: Option<Form>,
    /// Whether the header or its Trace-Log could not be read.
    pub invalid: bool,
    /// Elements, each a list of pieces.
    pub elements: Vec<Vec<PieceView>>,
}

/// One piece, owned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PieceView {
    /// What the piece is to its record.
    pub role: Role,
    /// Module called (calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Host with port (calls with `@` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Duration in microseconds (calls only; 0 when left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<u64>,
    /// Whether the duration was left out (less than 1 ms).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub under_1ms: bool,
    /// Error text, when the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Stage timings (stage pieces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The piece as written (malformed pieces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl LogView {
    /// Parses the Trace-Log of a response header for a record of `roles`.
    pub fn of(header: &[u8], roles: Roles<'_>) -> LogView {
        let raw = match find(header) {
            Found::Absent => {
                return LogView {
                    form: None,
                    invalid: false,
                    elements: Vec::new(),
                };
            }
            Found::Invalid => {
                return LogView {
                    form: None,
                    invalid: true,
                    elements: Vec::new(),
                };
            }
            Found::Value(raw) => raw,
        };
        let mut elements: Vec<Vec<PieceView>> = Vec::new();
        let mut scratch = Vec::new();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        roles.visit(raw, &mut scratch, |index, role, piece| {
            if elements.len() <= index {
                elements.resize_with(index + 1, Vec::new);
            }
            let mut view = PieceView {
                role,
                module: None,
                host: None,
                duration_us: None,
                under_1ms: false,
                error: None,
                stage: None,
                raw: None,
            };
            match piece {
                Piece::Empty => {}
                Piece::Stage(s) => view.stage = Some(*s),
                Piece::Malformed(m) => view.raw = Some(text(m)),
                Piece::Call(c) => {
                    view.module = Some(text(c.module));
                    view.host = c.host.map(text);
                    view.duration_us = Some(c.us());
                    view.under_1ms = c.dur_us.is_none();
                    view.error = c.err.map(text);
                }
            }
            elements[index].push(view);
        });
        LogView {
            form: Some(raw.form),
            invalid: false,
            elements,
        }
    }
}

/// The parser's invariants on one input, as assertions (the `trace_log` fuzz target and the
/// regression tests run this): finding never panics on any header; every call piece parsed
/// has a module without the separators, writes back ([`format_call`]) to a piece that reads
/// as the same call; elements hold no separator of their form.
pub fn check(data: &[u8]) {
    let mut scratch = Vec::new();
    if let Found::Value(raw) = find(data) {
        assert!(raw.text.len() >= 2);
        for_each_element(raw, &mut scratch, |element| {
            if raw.form == Form::Joined {
                assert!(!element.contains(&b'|'));
            }
            check_element(element);
        });
    }
    // The same bytes as one element, as the rpc2 string would hold them.
    for part in data.split(|&b| b == b'|') {
        check_element(part);
    }
}

fn check_element(element: &[u8]) {
    let roles = Roles {
        service: b"BLOBNODE",
        host: None,
    };
    let _ = roles.is_own(element);
    let mut out = Vec::new();
    for piece in pieces(element) {
        match piece {
            Piece::Call(call) => {
                assert!(!call.module.is_empty());
                for sep in [b';', b'/', b'@', b':'] {
                    assert!(!call.module.contains(&sep));
                }
                if let Some(err) = call.err {
                    assert!(!err.contains(&b';'));
                }
                out.clear();
                format_call(&call, &mut out);
                assert_eq!(parse_piece(&out), Piece::Call(call), "{out:?}");
            }
            Piece::Stage(_) | Piece::Empty | Piece::Malformed(_) => {}
        }
    }
    // Borrowed, not copied: the pieces are sub-slices of the element.
    let range = element.as_ptr_range();
    for piece in pieces(element) {
        if let Piece::Call(c) = piece {
            assert!(range.contains(&c.module.as_ptr()) || c.module.is_empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(piece: &str) -> Call<'_> {
        match parse_piece(piece.as_bytes()) {
            Piece::Call(c) => c,
            other => panic!("{piece}: {other:?}"),
        }
    }

    fn s(b: Option<&[u8]>) -> Option<&str> {
        b.map(|b| std::str::from_utf8(b).expect("utf-8"))
    }

    #[test]
    fn module_alone_is_under_one_millisecond() {
        let c = call("BLOBNODE");
        assert_eq!(c.module, b"BLOBNODE");
        assert_eq!((c.host, c.dur_us, c.err), (None, None, None));
        assert_eq!(c.us(), 0);
    }

    #[test]
    fn module_and_milliseconds() {
        let c = call("BLOBNODE:45");
        assert_eq!((c.module, c.dur_us), (&b"BLOBNODE"[..], Some(45_000)));
        assert_eq!(call("dat.w:0").dur_us, Some(0));
    }

    #[test]
    fn host_port_is_not_milliseconds() {
        // The trap: the last `:N` after `@host` is the port...
        let c = call("CLUSTERMGR@10.7.0.1:9998");
        assert_eq!(s(c.host), Some("10.7.0.1:9998"));
        assert_eq!(c.dur_us, None);
        // ...unless another `:ms` follows.
        let c = call("CLUSTERMGR@10.7.0.1:9998:1");
        assert_eq!(s(c.host), Some("10.7.0.1:9998"));
        assert_eq!(c.dur_us, Some(1000));
        let c = call("PROXY@proxy-0.example:9600:2/no leader");
        assert_eq!(s(c.host), Some("proxy-0.example:9600"));
        assert_eq!((c.dur_us, s(c.err)), (Some(2000), Some("no leader")));
    }

    #[test]
    fn hosts_without_ports_and_ipv6() {
        let c = call("ACCESS@access-1");
        assert_eq!((s(c.host), c.dur_us), (Some("access-1"), None));
        let c = call("ACCESS@access-1:1.5ms");
        assert_eq!((s(c.host), c.dur_us), (Some("access-1"), Some(1500)));
        let c = call("PROXY@[fd00::12]:9600:7");
        assert_eq!((s(c.host), c.dur_us), (Some("[fd00::12]:9600"), Some(7000)));
        let c = call("PROXY@[fd00::12]:9600");
        assert_eq!((s(c.host), c.dur_us), (Some("[fd00::12]:9600"), None));
        let c = call("PROXY@[fd00::12]");
        assert_eq!((s(c.host), c.dur_us), (Some("[fd00::12]"), None));
        assert_eq!(call("X@").host, None);
        for bad in [
            "PROXY@[fd00::12",
            "PROXY@[fd00::12]x",
            "PROXY@[fd00::12]:96a0",
            "X@h:p:5",
            "X@h:12:ab",
            "X@h:abc",
            "@h:1",
            ":5",
            "X:5:6",
            "X:1@h",
            "X:abc",
            "X:5:6:",
        ] {
            assert!(
                matches!(parse_piece(bad.as_bytes()), Piece::Malformed(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn errors_may_hold_colons_and_slashes() {
        let c = call("BLOBNODE@10.9.3.17:8889:3/Post \"http://10.9.3.17:8889/shar");
        assert_eq!(s(c.host), Some("10.9.3.17:8889"));
        assert_eq!(c.dur_us, Some(3000));
        assert_eq!(s(c.err), Some("Post \"http://10.9.3.17:8889/shar"));
        let c = call("BLOBNODE/disk is broken");
        assert_eq!((c.dur_us, s(c.err)), (None, Some("disk is broken")));
        // A slash with nothing after it still marks a failed call.
        assert_eq!(call("PROXY:4/").err, Some(&b""[..]));
        // 32 bytes of error text, cut mid-word, as span.go leaves it.
        let err = "dial tcp 10.9.3.17:8889: i/o tim";
        assert_eq!(err.len(), 32);
        assert_eq!(s(call(&format!("BLOBNODE:9/{err}")).err), Some(err));
    }

    #[test]
    fn go_durations_with_units() {
        assert_eq!(call("s.g:1.5ms").dur_us, Some(1500));
        assert_eq!(call("s.g:350µs").dur_us, Some(350));
        assert_eq!(call("s.g:350μs").dur_us, Some(350));
        assert_eq!(call("s.g:2m3.25s").dur_us, Some(123_250_000));
        assert_eq!(call("s.g:1h").dur_us, Some(3_600_000_000));
        assert_eq!(call("s.g:999ns").dur_us, Some(0));
        assert_eq!(call("s.g:0s").dur_us, Some(0));
        assert_eq!(call("s.g:.5s").dur_us, Some(500_000));
        assert_eq!(call("e.w:12ms").dur_us, Some(12_000));
        assert_eq!(call("x:1.0000009ms").dur_us, Some(1000));
        // Leading zeros are digits like others; fraction digits after the 18th are ignored.
        let zeros = format!("x:{}1ns", "0".repeat(45));
        assert_eq!(call(&zeros).dur_us, Some(0));
        assert_eq!(call("x:0.0000000000000000019999h").dur_us, Some(0));
        assert_eq!(
            call("x:1.999999999999999999999h").dur_us,
            Some(7_199_999_999)
        );
        for bad in [
            "x:1.5",
            "x:ms",
            "x:1.5xs",
            "x:-1ms",
            "x:.ms",
            "x:99999999999h",
        ] {
            assert!(
                matches!(parse_piece(bad.as_bytes()), Piece::Malformed(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn stage_element() {
        assert_eq!(
            parse_piece(b"a_0_r_12_w_250"),
            Piece::Stage(Stage {
                a_ms: 0,
                r_ms: 12,
                w_ms: 250
            })
        );
        // Not quite a stage: read as a module name.
        assert!(matches!(parse_piece(b"a_1_r_2"), Piece::Call(_)));
        assert!(matches!(parse_piece(b"a_1_r_2_w_3x"), Piece::Call(_)));
        // With an empty host it is a call, and writes back as one.
        let Piece::Call(c) = parse_piece(b"a_1_r_2_w_3@") else {
            panic!("call")
        };
        let mut out = Vec::new();
        format_call(&c, &mut out);
        assert_eq!(parse_piece(&out), Piece::Call(c));
        assert_eq!(parse_piece(b""), Piece::Empty);
    }

    #[test]
    fn nested_downstream_logs() {
        let got: Vec<Piece<'_>> =
            pieces(b"CLUSTERMGR@10.7.0.1:9998:1;PROXY@10.7.0.1:9600:2").collect();
        assert_eq!(got.len(), 2);
        let Piece::Call(cm) = got[0] else {
            panic!("call")
        };
        let Piece::Call(px) = got[1] else {
            panic!("call")
        };
        assert_eq!((cm.module, cm.dur_us), (&b"CLUSTERMGR"[..], Some(1000)));
        assert_eq!((px.module, px.dur_us), (&b"PROXY"[..], Some(2000)));
        assert_eq!(pieces(b"a;;b").filter(|p| *p == Piece::Empty).count(), 1);
    }

    fn elements(header: &str) -> (Form, Vec<String>) {
        let Found::Value(raw) = find(header.as_bytes()) else {
            panic!("{header}: {:?}", find(header.as_bytes()));
        };
        let mut out = Vec::new();
        for_each_element(raw, &mut Vec::new(), |e| {
            out.push(String::from_utf8(e.to_vec()).expect("utf-8"));
        });
        (raw.form, out)
    }

    #[test]
    fn header_array_and_joined_forms() {
        let h = r#"{"Blobstore-Tracer-Traceid":"de694f5829b84056","Content-Length":"225","Trace-Log":["BLOBNODE","BLOBNODE:45"],"Trace-Tags":["span.kind:server"]}"#;
        assert_eq!(
            elements(h),
            (Form::Array, vec!["BLOBNODE".into(), "BLOBNODE:45".into()])
        );
        let rpc2 = r#"{"Trace-Log":"net.r:1|dat.w:4|BLOBNODE@10.9.3.17:8889:5","Trace-Tags":"span.kind:server"}"#;
        assert_eq!(
            elements(rpc2),
            (
                Form::Joined,
                vec![
                    "net.r:1".into(),
                    "dat.w:4".into(),
                    "BLOBNODE@10.9.3.17:8889:5".into()
                ]
            )
        );
        // Escapes are undone (Go writes & as \u0026).
        let esc = r#"{"Trace-Log":["X/a\u0026b \"q\"","Y"]}"#;
        assert_eq!(
            elements(esc),
            (Form::Array, vec!["X/a&b \"q\"".into(), "Y".into()])
        );
        // The last duplicate wins; nested keys do not count; escaped keys do.
        let dup = r#"{"x":{"Trace-Log":["N"]},"Trace-Log":["A"],"Trace\u002dLog":["B"]}"#;
        assert_eq!(elements(dup), (Form::Array, vec!["B".into()]));
        assert_eq!(elements(r#"{"Trace-Log":[]}"#), (Form::Array, vec![]));
    }

    #[test]
    fn absent_and_invalid_headers() {
        assert_eq!(find(b""), Found::Absent);
        assert_eq!(find(b"null"), Found::Absent);
        assert_eq!(find(b"{}"), Found::Absent);
        assert_eq!(find(br#"{"Trace-Log":null}"#), Found::Absent);
        assert_eq!(find(br#"{"Content-Length":"3"}"#), Found::Absent);
        for bad in [
            r#"{"Trace-Log":["A",1]}"#,
            r#"{"Trace-Log":5}"#,
            r#"{"Trace-Log":{"a":"b"}}"#,
            r#"{"Trace-Log":["A"]"#,
            r#"{"Trace-Log":["A"]} x"#,
            r#"{"Trace-Log":["A\x"]}"#,
            r#"{"Trace-Log":["\ud800"]}"#,
            "{\"Trace-Log\":[\"a\tb\"]}",
            r#"{"a":01,"Trace-Log":["A"]}"#,
            r#"["Trace-Log"]"#,
            "not json",
        ] {
            assert_eq!(find(bad.as_bytes()), Found::Invalid, "{bad}");
        }
        // Valid JSON elsewhere in the header does not matter.
        let h = r#"{"a":-1.5e3,"b":[true,false,null,{}],"Trace-Log":["A"]}"#;
        assert_eq!(elements(h).1, vec!["A".to_string()]);
        assert_eq!(
            elements(r#"{"Trace-Log":["\ud83d\ude00"]}"#).1,
            vec!["😀".to_string()]
        );
    }

    #[test]
    fn own_element_and_roles() {
        let roles = Roles {
            service: b"ACCESS",
            host: Some(b"10.9.0.10:9500"),
        };
        assert!(roles.is_own(b"ACCESS:25"));
        assert!(roles.is_own(b"ACCESS@10.9.0.10:9500:25"));
        assert!(!roles.is_own(b"ACCESS@10.9.0.11:9500:25"));
        assert!(!roles.is_own(b"PROXY:2"));
        assert!(!roles.is_own(b"dat.w:1;ACCESS:2"));
        let h = r#"{"Trace-Log":["PROXY@10.9.2.5:9600:2;CLUSTERMGR:1","BLOBNODE@10.9.3.17:8889:5/disk is broken","a_0_r_3_w_40","ACCESS:48","bad:x",""]}"#;
        let Found::Value(raw) = find(h.as_bytes()) else {
            panic!("value")
        };
        let mut seen = Vec::new();
        roles.visit(raw, &mut Vec::new(), |i, role, _| seen.push((i, role)));
        assert_eq!(
            seen,
            vec![
                (0, Role::Hop),
                (0, Role::Hop),
                (1, Role::Hop),
                (2, Role::Stage),
                (3, Role::Own),
                (4, Role::Malformed),
                (5, Role::Empty)
            ]
        );
        let view = LogView::of(h.as_bytes(), roles);
        assert_eq!(view.elements.len(), 6);
        assert_eq!(view.elements[1][0].error.as_deref(), Some("disk is broken"));
        assert!(is_service_name(b"BLOBNODE") && !is_service_name(b"dat.w"));
    }

    /// Generated calls, and how to write them: a formatter written for the test, independent
    /// of [`format_call`].
    mod arb {
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        pub enum Dur {
            Omitted,
            Ms(u64),
            /// Text with a unit, and its value in microseconds.
            Unit(String, u64),
        }

        #[derive(Clone, Debug)]
        pub enum Host {
            None,
            Name(String),
            Port(String, u16),
            V6(String, Option<u16>),
        }

        #[derive(Clone, Debug)]
        pub enum Gen {
            Call {
                module: String,
                host: Host,
                dur: Dur,
                err: Option<String>,
            },
            Stage(u64, u64, u64),
        }

        impl Gen {
            pub fn text(&self) -> String {
                match self {
                    Gen::Stage(a, r, w) => format!("a_{a}_r_{r}_w_{w}"),
                    Gen::Call {
                        module,
                        host,
                        dur,
                        err,
                    } => {
                        let mut s = module.clone();
                        let port_less = match host {
                            Host::None => false,
                            Host::Name(h) => {
                                s += &format!("@{h}");
                                true
                            }
                            Host::Port(h, p) => {
                                s += &format!("@{h}:{p}");
                                false
                            }
                            Host::V6(h, None) => {
                                s += &format!("@[{h}]");
                                true
                            }
                            Host::V6(h, Some(p)) => {
                                s += &format!("@[{h}]:{p}");
                                false
                            }
                        };
                        match dur {
                            Dur::Omitted => {}
                            // Whole milliseconds after a port-less host need a unit.
                            Dur::Ms(ms) if port_less => s += &format!(":{ms}ms"),
                            Dur::Ms(ms) => s += &format!(":{ms}"),
                            Dur::Unit(t, _) => s += &format!(":{t}"),
                        }
                        if let Some(e) = err {
                            s += &format!("/{e}");
                        }
                        s
                    }
                }
            }
        }

        fn module() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(vec!["BLOBNODE", "PROXY", "CLUSTERMGR", "ACCESS"])
                    .prop_map(String::from),
                "[a-z]{1,4}\\.[a-z]{1,3}",
                "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
            ]
            .prop_filter("not a stage", |m| !m.starts_with("a_"))
        }

        fn host() -> impl Strategy<Value = Host> {
            prop_oneof![
                Just(Host::None),
                "[a-z][a-z0-9.-]{0,12}".prop_map(Host::Name),
                (
                    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
                    any::<u16>()
                )
                    .prop_map(|(h, p)| Host::Port(h, p)),
                ("fd00::[0-9a-f]{1,4}", proptest::option::of(any::<u16>()))
                    .prop_map(|(h, p)| Host::V6(h, p)),
            ]
        }

        fn dur() -> impl Strategy<Value = Dur> {
            let units = prop::sample::select(vec![
                ("ns", 1u64),
                ("us", 1_000),
                ("µs", 1_000),
                ("ms", 1_000_000),
                ("s", 1_000_000_000),
                ("m", 60_000_000_000),
            ]);
            prop_oneof![
                Just(Dur::Omitted),
                (0u64..10_000_000).prop_map(Dur::Ms),
                (0u64..100_000, 0u64..1000, units).prop_map(|(whole, milli, (unit, ns))| {
                    let total_ns = whole * ns + milli * ns / 1000;
                    Dur::Unit(format!("{whole}.{milli:03}{unit}"), total_ns / 1000)
                }),
            ]
        }

        pub fn piece() -> impl Strategy<Value = Gen> {
            prop_oneof![
                8 => (module(), host(), dur(), proptest::option::of("[a-zA-Z0-9 :/\"\\\\@\\[\\]&<>.-]{0,32}"))
                    .prop_map(|(module, host, dur, err)| Gen::Call { module, host, dur, err }),
                1 => (0u64..100_000, 0u64..100_000, 0u64..100_000).prop_map(|(a, r, w)| Gen::Stage(a, r, w)),
            ]
        }
    }

    /// A JSON string literal of `s`, as Go's encoding/json writes it.
    fn go_json_string(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out += "\\\"",
                '\\' => out += "\\\\",
                '<' => out += "\\u003c",
                '>' => out += "\\u003e",
                '&' => out += "\\u0026",
                c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
                c => out.push(c),
            }
        }
        out + "\""
    }

    fn matches_arb(got: &Piece<'_>, want: &arb::Gen) -> bool {
        use arb::{Dur, Gen, Host};
        match (got, want) {
            (Piece::Stage(s), Gen::Stage(a, r, w)) => (s.a_ms, s.r_ms, s.w_ms) == (*a, *r, *w),
            (
                Piece::Call(c),
                Gen::Call {
                    module,
                    host,
                    dur,
                    err,
                },
            ) => {
                let host_text = match host {
                    Host::None => None,
                    Host::Name(h) => Some(h.clone()),
                    Host::Port(h, p) => Some(format!("{h}:{p}")),
                    Host::V6(h, None) => Some(format!("[{h}]")),
                    Host::V6(h, Some(p)) => Some(format!("[{h}]:{p}")),
                };
                let us = match dur {
                    Dur::Omitted => None,
                    Dur::Ms(ms) => Some(ms * 1000),
                    Dur::Unit(_, us) => Some(*us),
                };
                c.module == module.as_bytes()
                    && c.host.map(|h| h.to_vec()) == host_text.map(String::into_bytes)
                    && c.dur_us == us
                    && c.err.map(|e| e.to_vec()) == err.clone().map(String::into_bytes)
            }
            _ => false,
        }
    }

    proptest::proptest! {
        /// Any list of elements, written into a header in either form, reads back piece for
        /// piece.
        #[test]
        fn generated_logs_round_trip(
            log in proptest::collection::vec(proptest::collection::vec(arb::piece(), 1..4), 0..8),
            joined in proptest::bool::ANY,
        ) {
            let element_texts: Vec<String> = log
                .iter()
                .map(|e| e.iter().map(arb::Gen::text).collect::<Vec<_>>().join(";"))
                .collect();
            // The rpc2 form cannot carry `|` inside an error text: leave such logs to the array.
            let joined = joined && !element_texts.iter().any(|t| t.contains('|'));
            let value = if joined {
                go_json_string(&element_texts.join("|"))
            } else {
                let items: Vec<String> = element_texts.iter().map(|t| go_json_string(t)).collect();
                format!("[{}]", items.join(","))
            };
            let header = format!(
                r#"{{"Blobstore-Tracer-Traceid":"abc","Content-Length":"0","Trace-Log":{value},"Trace-Tags":["span.kind:server"]}}"#
            );
            let Found::Value(raw) = find(header.as_bytes()) else {
                panic!("not found in {header}");
            };
            proptest::prop_assert_eq!(raw.form, if joined { Form::Joined } else { Form::Array });
            let mut got: Vec<Vec<String>> = Vec::new();
            let mut ok = true;
            let mut i = 0;
            for_each_element(raw, &mut Vec::new(), |element| {
                let parsed: Vec<Piece<'_>> = pieces(element).collect();
                match log.get(i) {
                    Some(want) if want.len() == parsed.len() => {
                        for (p, w) in parsed.iter().zip(want) {
                            ok &= matches_arb(p, w);
                        }
                    }
                    _ => ok = false,
                }
                got.push(vec![String::from_utf8_lossy(element).into_owned()]);
                i += 1;
            });
            // An empty joined string is one empty element; an empty array has none.
            let expected_elements = if joined && log.is_empty() { 1 } else { log.len() };
            proptest::prop_assert_eq!(got.len(), expected_elements, "{}", header);
            proptest::prop_assert!(ok || (joined && log.is_empty()), "{}", header);
        }

        /// Writing a parsed call and reading it again gives the same call.
        #[test]
        fn format_call_reads_back(piece in arb::piece()) {
            let text = piece.text();
            if let Piece::Call(c) = parse_piece(text.as_bytes()) {
                let mut out = Vec::new();
                format_call(&c, &mut out);
                proptest::prop_assert_eq!(parse_piece(&out), Piece::Call(c));
            }
        }

        /// Arbitrary bytes never break the parser's invariants.
        #[test]
        fn invariants_hold_on_any_bytes(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            check(&data);
        }
    }
}
