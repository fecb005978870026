//! Escaping bytes from the logs before a human sees them, so that a log line cannot move the
//! cursor, change colours, retitle the window or reorder text on the user's terminal.
//!
//! [`escape_into`] is the one function that decides what is shown as an escape: every C0
//! control (including ESC, so no escape sequence survives), DEL, every C1 control (U+0080 to
//! U+009F, which some terminals obey like ESC sequences: U+009B is CSI), the Unicode bidi
//! overrides and isolates (which reorder what is displayed), and every byte that is not part
//! of valid UTF-8, shown as `\xNN`. The rest passes unchanged; a backslash is not doubled, so
//! escaping twice changes nothing. TAB and LF are escaped too, unless the caller keeps them
//! ([`Keep::Layout`]: a whole raw line or CSV document keeps its own layout).
//!
//! Every human format goes through it: table and Markdown cells ([`text`]), stderr
//! messages, `lines` raw output on a terminal and CSV on a terminal ([`terminal`]). Machine
//! formats stay exact: JSON escapes controls itself, and [`json_safe`] only rewrites the
//! raw DEL and C1 characters serde_json leaves alone into `\u` escapes, the same string to
//! any JSON reader. `lines` and CSV to a pipe or file are written byte for byte.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What whitespace to leave alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Escape TAB and LF too: one table cell, one message line.
    Nothing,
    /// Leave TAB and LF: a whole document or a raw log line, laid out by its own bytes.
    Layout,
}

/// Whether `c` must be shown escaped.
fn hostile(c: char, keep: Keep) -> bool {
    match c {
        '\t' | '\n' => keep == Keep::Nothing,
        // C0, DEL and C1.
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates, and the marks: they reorder what follows.
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// Appends `bytes` to `out` with every hostile character or invalid byte escaped.
pub fn escape_into(bytes: &[u8], keep: Keep, out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let mut plain = 0;
        for (at, c) in valid.char_indices() {
            if !hostile(c, keep) {
                continue;
            }
            out.push_str(&valid[plain..at]);
            plain = at + c.len_utf8();
            let _ = match c {
                '\t' => write!(out, "\\t"),
                '\n' => write!(out, "\\n"),
                '\r' => write!(out, "\\r"),
                c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
                c => write!(out, "\\u{{{:x}}}", c as u32),
            };
        }
        out.push_str(&valid[plain..]);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Whether anything in `bytes` would be escaped.
fn needs_escape(bytes: &[u8], keep: Keep) -> bool {
    // Every hostile character has a byte below SPACE or above `~`: most text is done here.
    bytes.iter().any(|&b| !(0x20..0x7f).contains(&b))
        && bytes
            .utf8_chunks()
            .any(|c| !c.invalid().is_empty() || c.valid().chars().any(|ch| hostile(ch, keep)))
}

/// A string for one table cell or message: everything hostile escaped, TAB and LF included.
pub fn text(s: &str) -> Cow<'_, str> {
    if !needs_escape(s.as_bytes(), Keep::Nothing) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(s.as_bytes(), Keep::Nothing, &mut out);
    Cow::Owned(out)
}

/// Output bytes made safe for a terminal, keeping their TABs and LFs: raw `lines`, CSV.
pub fn terminal(bytes: &[u8]) -> Cow<'_, [u8]> {
    if !needs_escape(bytes, Keep::Layout) {
        return Cow::Borrowed(bytes);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    escape_into(bytes, Keep::Layout, &mut out);
    Cow::Owned(out.into_bytes())
}

/// A writer that passes everything through [`terminal`]: for raw `lines` on a terminal.
/// Each `write` must hold whole characters (a whole line, say), which `write_all` of a line
/// or of a rendered document does.
pub struct TerminalWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&terminal(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Serialised JSON with the hostile characters serde_json leaves raw (DEL, C1, the bidi
/// controls; it escapes C0 itself) turned into `\uXXXX`: the same JSON value, and nothing a
/// terminal obeys. (Outside strings JSON holds only ASCII, so these can only be inside
/// strings, where the escape means the same character.)
pub fn json_safe(json: &[u8]) -> Cow<'_, [u8]> {
    // serde_json writes valid UTF-8; anything else is passed through untouched.
    let Ok(text) = std::str::from_utf8(json) else {
        return Cow::Borrowed(json);
    };
    let escaped = |c: char| c != '\n' && c != '\t' && hostile(c, Keep::Layout);
    if !needs_escape(json, Keep::Layout) || !text.chars().any(escaped) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes a hostile log line can hold: colour, cursor moves, a window title (OSC), 8-bit
    /// CSI, DEL, a bidi override, invalid UTF-8 and a lone C1 byte.
    pub const HOSTILE: &[u8] =
        b"a\x1b[31mred\x1b[2J\x1b]0;owned\x07\xc2\x9b6n\x7f\xe2\x80\xaeevil\xff\x9bz\tq\r\n";

    #[test]
    fn every_control_is_escaped() {
        let mut out = String::new();
        escape_into(HOSTILE, Keep::Nothing, &mut out);
        assert_eq!(
            out,
            "a\\x1b[31mred\\x1b[2J\\x1b]0;owned\\x07\\u{9b}6n\\x7f\\u{202e}evil\\xff\\x9bz\\tq\\r\\n"
        );
        assert!(out.bytes().all(|b| (0x20..0x7f).contains(&b)), "{out}");
    }

    #[test]
    fn layout_keeps_tab_and_lf_only() {
        let out = terminal(HOSTILE);
        let s = std::str::from_utf8(&out).expect("utf-8");
        assert!(s.ends_with("z\tq\\r\n"), "{s}");
        assert!(
            !out.iter()
                .any(|&b| b == 0x1b || b == 0x7f || (0x80..0xa0).contains(&b))
        );
    }

    #[test]
    fn clean_text_is_borrowed_and_escaping_is_idempotent() {
        for s in [
            "BLOBNODE",
            "/shard/get/diskid/12",
            "disk is broken",
            "µs ▂▃ 中文",
            "",
        ] {
            assert!(matches!(text(s), Cow::Borrowed(_)), "{s}");
        }
        let once = text("x\u{1b}[0m\u{202e}y").into_owned();
        assert_eq!(text(&once), once);
    }

    #[test]
    fn json_stays_the_same_value() {
        let value = serde_json::json!({"path": "/a\u{1b}[31m\u{7f}\u{9b}\u{202e}b", "n": 1});
        let raw = serde_json::to_vec(&value).expect("json");
        let safe = json_safe(&raw);
        assert!(
            !safe.iter().any(|&b| b == 0x1b || b == 0x7f || b == 0xc2),
            "{safe:?}"
        );
        let back: serde_json::Value = serde_json::from_slice(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
