//! Decoders for gzip and zstd streams that never throw away what they decoded before a fault.
//!
//! The library readers (`flate2::bufread::MultiGzDecoder`, `zstd::stream::read::Decoder`)
//! return an error from `read` and drop whatever that call had already decoded into the
//! caller's buffer: with 4 MiB reads, a corrupt byte in the middle of a file cost every line
//! of the read, and a file corrupt early lost everything. These readers run the decoders
//! themselves and split a fault into two results: first `Ok(n)` with every byte decoded
//! before it, then, on the next call, the error, which names the compressed byte offset where
//! the decoder stopped and how much text came out before it.
//!
//! - gzip: zlib-rs's inflate (through `flate2::Decompress` in gzip mode) writes decoded bytes
//!   straight into the output and counts them even when it fails, so nothing decoded is lost.
//!   Members follow each other until the input ends; anything after a member that is not
//!   another member is an error (trailing garbage).
//! - zstd: `ZSTD_decompressStream` forgets the output of a call that fails. Each call is
//!   therefore given only the input its last answer asked for (one block), and a call that
//!   filled the output is followed by one without input that only flushes. A failing call then
//!   holds nothing but the broken block itself, which `zstd -dc` does not print either.
//!
//! Both keep at least what `gzip -dc` and `zstd -dc` print for the same file (the fuzz target
//! `decode_corrupt` and `tests/faults.rs` check it against the system tools).

use std::io::{self, BufRead, Read};

use flate2::{Decompress, FlushDecompress, Status};
use zstd::zstd_safe::{self, DCtx, InBuffer, OutBuffer};

/// Why a compressed stream ended early: where, and what the decoder said.
#[derive(Debug)]
pub struct DecodeFault {
    /// `gzip` or `zstd`.
    pub format: &'static str,
    /// Compressed bytes consumed when the decoder stopped: the fault is at or just after this
    /// offset of the compressed input.
    pub offset: u64,
    /// Decoded bytes handed out before the fault.
    pub decoded: u64,
    /// What went wrong (`truncated`, the decoder's message, ...).
    pub reason: String,
}

impl std::fmt::Display for DecodeFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} data {} at compressed byte {}",
            self.format, self.reason, self.offset
        )
    }
}

impl std::error::Error for DecodeFault {}

/// The state shared by both decoders: counts and the error held back for the next call.
struct Progress {
    consumed: u64,
    decoded: u64,
    pending: Option<io::Error>,
    done: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            consumed: 0,
            decoded: 0,
            pending: None,
            done: false,
        }
    }

    /// At the start of a read: the held-back error, or the end.
    fn before_read(&mut self) -> Option<io::Result<usize>> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Some(Err(e));
        }
        self.done.then_some(Ok(0))
    }

    /// Ends the stream with `e`, after handing out the `written` bytes of this call first.
    fn fail(&mut self, written: usize, e: io::Error) -> io::Result<usize> {
        if written > 0 {
            self.pending = Some(e);
            Ok(written)
        } else {
            self.done = true;
            Err(e)
        }
    }

    fn fault(&self, format: &'static str, reason: impl Into<String>) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            DecodeFault {
                format,
                offset: self.consumed,
                decoded: self.decoded,
                reason: reason.into(),
            },
        )
    }
}

/// Reads `fill_buf`, retrying interrupted calls.
fn fill<R: BufRead>(inner: &mut R) -> io::Result<&[u8]> {
    loop {
        match inner.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Re-borrow through a second call: the borrow checker cannot see that the loop
            // ends with the first successful one.
            Ok(_) => return inner.fill_buf(),
            Err(e) => return Err(e),
        }
    }
}

/// Every gzip member of a stream, decoded; see the module docs.
pub struct GzipReader<R> {
    inner: R,
    member: Option<Decompress>,
    progress: Progress,
}

impl<R: BufRead> GzipReader<R> {
    /// A reader of the gzip stream `inner`.
    pub fn new(inner: R) -> Self {
        GzipReader {
            inner,
            member: None,
            progress: Progress::new(),
        }
    }
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(r) = self.progress.before_read() {
            return r;
        }
        let mut written = 0;
        while written < buf.len() {
            let input = match fill(&mut self.inner) {
                Ok(i) => i,
                Err(e) => return self.progress.fail(written, e),
            };
            let eof = input.is_empty();
            let z = match &mut self.member {
                Some(z) => z,
                None if eof => {
                    // The end, between members: a clean finish.
                    self.progress.done = true;
                    return Ok(written);
                }
                None if input[0] != 0x1f => {
                    let e = self
                        .progress
                        .fault("gzip", "has trailing bytes that are not gzip");
                    return self.progress.fail(written, e);
                }
                None => self.member.insert(Decompress::new_gzip(15)),
            };
            let (in0, out0) = (z.total_in(), z.total_out());
            let result = z.decompress(input, &mut buf[written..], FlushDecompress::None);
            let used = (z.total_in() - in0) as usize;
            let made = (z.total_out() - out0) as usize;
            self.inner.consume(used);
            self.progress.consumed += used as u64;
            self.progress.decoded += made as u64;
            written += made;
            match result {
                Ok(Status::StreamEnd) => self.member = None,
                Ok(_) if used == 0 && made == 0 => {
                    // No progress with room to write: the input ended inside a member (or the
                    // decoder is stuck, which must not become a hang).
                    let reason = if eof { "truncated" } else { "stalled" };
                    let e = self.progress.fault("gzip", reason);
                    return self.progress.fail(written, e);
                }
                Ok(_) => {}
                Err(err) => {
                    // zlib-rs overwrites its first message with this one when it stops.
                    let detail = err
                        .message()
                        .filter(|m| !m.contains("repeated call"))
                        .unwrap_or("invalid deflate data");
                    let e = self.progress.fault("gzip", format!("corrupt ({detail})"));
                    return self.progress.fail(written, e);
                }
            }
        }
        Ok(written)
    }
}

/// Bytes the decoder asks for at the start of a frame: the shortest frame header.
const ZSTD_FRAME_START: usize = 5;

/// Every zstd frame of a stream, decoded one block per call; see the module docs.
pub struct ZstdReader<R> {
    inner: R,
    dctx: DCtx<'static>,
    /// Input the decoder asked for last (0: a frame just ended).
    hint: usize,
    /// The last call filled the output: the next only flushes.
    flush_first: bool,
    progress: Progress,
}

impl<R: BufRead> ZstdReader<R> {
    /// A reader of the zstd stream `inner`.
    pub fn new(inner: R) -> io::Result<Self> {
        let dctx =
            DCtx::try_create().ok_or_else(|| io::Error::other("cannot allocate a zstd decoder"))?;
        Ok(ZstdReader {
            inner,
            dctx,
            hint: 0,
            flush_first: false,
            progress: Progress::new(),
        })
    }
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(r) = self.progress.before_read() {
            return r;
        }
        let mut written = 0;
        while written < buf.len() {
            let input: &[u8] = if self.flush_first {
                &[]
            } else {
                match fill(&mut self.inner) {
                    Ok([]) => {
                        if self.hint == 0 {
                            self.progress.done = true;
                            return Ok(written);
                        }
                        let e = self.progress.fault("zstd", "truncated");
                        return self.progress.fail(written, e);
                    }
                    Ok(i) => {
                        let want = if self.hint == 0 {
                            ZSTD_FRAME_START
                        } else {
                            self.hint
                        };
                        &i[..want.min(i.len())]
                    }
                    Err(e) => return self.progress.fail(written, e),
                }
            };
            let room = buf.len() - written;
            let had_input = !input.is_empty();
            let mut src = InBuffer::around(input);
            let mut dst = OutBuffer::around(&mut buf[written..]);
            let result = self.dctx.decompress_stream(&mut dst, &mut src);
            let (used, made) = (src.pos(), dst.pos());
            self.inner.consume(used);
            self.progress.consumed += used as u64;
            self.progress.decoded += made as u64;
            written += made;
            match result {
                Ok(hint) => {
                    self.flush_first = made == room;
                    self.hint = hint;
                    if !self.flush_first && used == 0 && made == 0 && had_input {
                        let e = self.progress.fault("zstd", "stalled");
                        return self.progress.fail(written, e);
                    }
                }
                Err(code) => {
                    let reason = format!("corrupt ({})", zstd_safe::get_error_name(code));
                    let e = self.progress.fault("zstd", reason);
                    return self.progress.fail(written, e);
                }
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn text(lines: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..lines {
            // Varied enough that the compressor cannot fold it all into a few matches.
            let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            writeln!(
                out,
                "REQ\tBLOBNODE\t{}\tGET\t/shard/get/{x:x}\t\t\t200\t\t\t{}\t{}",
                1_764_000_000 + i,
                x % 977,
                x % 10_007
            )
            .expect("write");
        }
        out
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    /// zstd with the content checksum, as the `zstd` tool writes it.
    fn zstd_checked(data: &[u8]) -> Vec<u8> {
        let mut e = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
        e.include_checksum(true).expect("checksum");
        e.write_all(data).expect("zstd");
        e.finish().expect("zstd")
    }

    /// Reads to the end or the first error, in `step`-byte reads, keeping every byte.
    fn drain(mut r: impl Read, step: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0u8; step];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn clean_streams_decode_in_full() {
        let data = text(20_000);
        let mut two = gzip(&data[..1000]);
        two.extend(gzip(&data[1000..]));
        let z = zstd::encode_all(&data[..], 3).expect("zstd");
        for step in [1, 7, 4096, 4 << 20] {
            let (out, err) = drain(GzipReader::new(&two[..]), step);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(out, data);
            let (out, err) = drain(ZstdReader::new(&z[..]).expect("dctx"), step);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(out, data);
        }
    }

    /// A corrupt byte in the middle: everything before it comes out, then an error that says
    /// where; with the libraries' readers and big reads nothing came out.
    #[test]
    fn corruption_keeps_the_prefix() {
        let data = text(40_000);
        let mut gz = gzip(&data);
        let mut z = zstd_checked(&data);
        for bytes in [&mut gz, &mut z] {
            let mid = bytes.len() / 2;
            for b in &mut bytes[mid..mid + 8] {
                *b ^= 0xa5;
            }
        }
        let (out, err) = drain(GzipReader::new(&gz[..]), 4 << 20);
        let err = err.expect("an error");
        assert!(
            out.len() > data.len() / 3,
            "kept {} of {}",
            out.len(),
            data.len()
        );
        // Bytes decoded from the corrupt part may be garbage; everything well before it is not.
        assert_eq!(&out[..data.len() / 3], &data[..data.len() / 3]);
        let fault = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<DecodeFault>())
            .expect("fault");
        assert_eq!(fault.decoded, out.len() as u64);
        assert!(
            fault.offset > 0 && fault.offset <= gz.len() as u64,
            "{fault}"
        );

        let (out, err) = drain(ZstdReader::new(&z[..]).expect("dctx"), 4 << 20);
        assert!(err.is_some(), "the checksum at least fails");
        assert!(
            out.len() > data.len() / 3,
            "kept {} of {}",
            out.len(),
            data.len()
        );
        assert_eq!(&out[..data.len() / 3], &data[..data.len() / 3]);
    }

    #[test]
    fn truncation_and_trailing_garbage_are_errors() {
        let data = text(5_000);
        let gz = gzip(&data);
        let (out, err) = drain(GzipReader::new(&gz[..gz.len() - 100]), 65536);
        assert!(err.expect("truncated").to_string().contains("truncated"));
        assert!(data.starts_with(&out) && out.len() > data.len() / 2);
        let mut junk = gz.clone();
        junk.extend_from_slice(b"Zjunk");
        let (out, err) = drain(GzipReader::new(&junk[..]), 65536);
        assert_eq!(out, data);
        assert!(err.expect("garbage").to_string().contains("trailing"));
        let z = zstd::encode_all(&data[..], 3).expect("zstd");
        let (out, err) = drain(ZstdReader::new(&z[..z.len() - 50]).expect("dctx"), 65536);
        assert!(err.expect("truncated").to_string().contains("truncated"));
        assert!(data.starts_with(&out));
    }
}
