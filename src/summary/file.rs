//! The `bsaudit.summary/v1` file: a header line naming the schema, then the summary as JSON
//! compressed with zstd.
//!
//! Why this encoding: JSON is self-describing and already how every other bsaudit output is
//! read by scripts, so a summary can be inspected with `tail -c +20 F | zstd -dc | jq`; zstd
//! takes the repeated keys and paths down to a few percent, and both crates are dependencies
//! already. The header line is plain ASCII so that `head -1` (and the input sniffing of every
//! scanning command) tells a summary from a log, and so that a file of a later version is
//! refused by name before anything is decoded.

use std::io::{Read, Write};

use super::{SCHEMA, Summary};

/// The file name ending walks pick summaries up by (`node-a.bsum`).
pub const EXTENSION: &str = ".bsum";

/// The first bytes of every summary file, whatever its version.
pub const MAGIC_PREFIX: &[u8] = b"bsaudit.summary/";

/// The header line of the version this build writes and reads.
fn header() -> String {
    format!("{SCHEMA}\n")
}

/// Whether a file starting with `head` is a summary (of any version).
pub fn is_summary(head: &[u8]) -> bool {
    head.starts_with(MAGIC_PREFIX)
}

/// Encodes a summary: header line, then zstd-compressed JSON.
pub fn to_bytes(summary: &Summary) -> std::io::Result<Vec<u8>> {
    let mut out = header().into_bytes();
    let mut enc = zstd::Encoder::new(&mut out, 6)?;
    serde_json::to_writer(&mut enc, summary).map_err(std::io::Error::other)?;
    enc.finish()?;
    Ok(out)
}

/// Decodes a summary; an unknown version, a damaged stream or an inconsistent body is an
/// error that says which.
pub fn from_bytes(bytes: &[u8]) -> Result<Summary, String> {
    if !is_summary(bytes) {
        return Err("not a bsaudit summary (no bsaudit.summary/ header)".to_string());
    }
    let line_end = memchr::memchr(b'\n', bytes)
        .filter(|&at| at <= 64)
        .ok_or("damaged summary header")?;
    let name = String::from_utf8_lossy(&bytes[..line_end]);
    if name != SCHEMA {
        return Err(format!(
            "{name} is a summary format this bsaudit cannot read (it reads {SCHEMA}); \
             use the bsaudit that wrote it, or re-summarize the logs"
        ));
    }
    let mut json = Vec::new();
    zstd::Decoder::new(&bytes[line_end + 1..])
        .and_then(|mut d| d.read_to_end(&mut json))
        .map_err(|e| format!("damaged summary data: {e}"))?;
    let summary: Summary =
        serde_json::from_slice(&json).map_err(|e| format!("damaged summary data: {e}"))?;
    if summary.schema != SCHEMA {
        return Err(format!(
            "summary says schema {:?} inside a {SCHEMA} file",
            summary.schema
        ));
    }
    let i = &summary.input;
    if i.accounted() != i.lines {
        return Err(format!(
            "inconsistent summary: {} lines but {} accounted for",
            i.lines,
            i.accounted()
        ));
    }
    Ok(summary)
}

/// Writes a summary to `path` atomically (a temporary file in the same directory, then a
/// rename), so a reader never sees half a file; `-` writes to `out` instead.
pub fn write(
    summary: &Summary,
    path: &std::path::Path,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let bytes = to_bytes(summary)?;
    if path.as_os_str() == "-" {
        return out.write_all(&bytes);
    }
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` through a temporary file and a rename
/// ([`crate::output::write_atomic`]).
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::output::write_atomic(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{FilterScope, Scope};

    fn empty() -> Summary {
        Summary::empty(Scope {
            by: vec![crate::dims::Dim::Service, crate::dims::Dim::Code],
            errors_only: true,
            bucket_ns: 60_000_000_000,
            max_groups: 10_000,
            filter: FilterScope::default(),
        })
    }

    #[test]
    fn round_trip_and_refusals() {
        let s = empty();
        let bytes = to_bytes(&s).expect("encode");
        assert!(bytes.starts_with(b"bsaudit.summary/v1\n"));
        assert_eq!(from_bytes(&bytes).expect("decode"), s);

        let mut v2 = b"bsaudit.summary/v2\n".to_vec();
        v2.extend_from_slice(&bytes[19..]);
        let err = from_bytes(&v2).expect_err("v2 refused");
        assert!(
            err.contains("bsaudit.summary/v2") && err.contains("cannot read"),
            "{err}"
        );

        let cut = &bytes[..bytes.len() - 5];
        assert!(from_bytes(cut).expect_err("cut").contains("damaged"));
        assert!(from_bytes(b"REQ\tX").is_err());
    }

    #[test]
    fn inconsistent_counts_are_refused() {
        let mut s = empty();
        s.input.lines = 5;
        let err = from_bytes(&to_bytes(&s).expect("encode")).expect_err("refused");
        assert!(err.contains("inconsistent"), "{err}");
    }
}
