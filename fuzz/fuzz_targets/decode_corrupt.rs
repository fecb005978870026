//! Fuzzes whole compressed files with injected damage: the input picks a format, a seed and a
//! size (1 to 4 MiB of log text, in one to three gzip members or zstd frames) and a list of
//! faults (bytes inverted or overwritten, the file cut short, bytes inserted). bsaudit's
//! decoders must never keep fewer lines than `gzip -dc` / `zstd -dc` print for the same file;
//! what the libraries' own streaming readers give (flate2's `MultiGzDecoder`, the zstd
//! crate's `Decoder`, read 64 KiB at a time up to their first error) must be a prefix of what
//! bsaudit decoded; every line read must be accounted for. Without the tools on PATH the
//! comparison with them is skipped (a note says so).
//!
//! Against the tools only line counts are compared, not bytes: damaged data that still
//! decodes gives garbage, and two versions of a decoder need not give the same garbage (this
//! target found `zstd` 1.5.4's CLI and the 1.5.7 library parting ways inside a damaged frame).
//! For zstd they are compared only when the tool runs the same libzstd as the one linked in:
//! an older one may print the start of a damaged block that a newer one rejects whole.
//!
//! gzip's own inflate does not check that a distance stays inside what a member has produced
//! so far (it copies from its zeroed window instead), where zlib stops with "invalid distance
//! too far back"; damage in the first 16 KiB of a member can therefore make `gzip -dc` print
//! more (garbage) than any zlib-based reader. Faults are kept out of that part of each member.
//!
//! ```text
//! cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O decode_corrupt -- -max_total_time=600 -rss_limit_mb=4096
//! ```

#![no_main]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use bsaudit::input::source::{BlockReader, decoded};
use bsaudit::scan::scan_block;
use bsaudit::tally::{Tallier, TallySpec};
use libfuzzer_sys::fuzz_target;

/// Decoded bytes past which a run is cut short: garbage can decode to a lot.
const CAP: usize = 256 << 20;

/// Part of each member or frame kept free of faults (see the module docs).
const CLEAN_HEAD: usize = 16 << 10;

/// A small PRNG (splitmix64) for the text and the overwritten bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// About `size` bytes of audit lines, text or JSON, with the odd empty or malformed line.
fn log_text(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 512);
    let mut t = 17_640_000_000_000_000u64;
    while out.len() < size {
        let x = rng.next();
        t += x % 5_000_000;
        let code = [200, 200, 200, 206, 404, 500, 613, 651][(x >> 8) as usize % 8];
        let _ = match (x >> 16) % 16 {
            0 => writeln!(out, "{{\"req_type\":\"REQ\",\"module\":\"ACCESS\",\"start_time\":{t},\"method\":\"PUT\",\"path\":\"/put\",\"status_code\":{code},\"resp_length\":{},\"duration\":{}}}", x % 9999, x % 77_777),
            1 => writeln!(out),
            2 => writeln!(out, "garbage {x:x}"),
            _ => writeln!(out, "REQ\tBLOBNODE\t{t}\tGET\t/shard/get/diskid/{}/vuid/{}/bid/{}\t{{\"Host\":\"10.9.1.{}:8889\"}}\t\t{code}\t{{\"Blobstore-Tracer-Traceid\":\"{:016x}\"}}\t\t{}\t{}", x % 300, x % 1_000_003, x % 9_999_991, x % 32, x, x % 4096, x % 50_000),
        };
    }
    out
}

/// Compresses `parts` as consecutive gzip members or zstd frames; returns the file and where
/// each member starts.
fn compress(parts: &[&[u8]], gzip: bool) -> (Vec<u8>, Vec<usize>) {
    let mut file = Vec::new();
    let mut starts = Vec::new();
    for part in parts {
        starts.push(file.len());
        if gzip {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).expect("gzip");
            file.extend(e.finish().expect("gzip"));
        } else {
            let mut e = zstd::stream::Encoder::new(Vec::new(), 1).expect("zstd");
            e.include_checksum(true).expect("zstd");
            e.write_all(part).expect("zstd");
            file.extend(e.finish().expect("zstd"));
        }
    }
    (file, starts)
}

/// Whether `at` may be damaged: not in the first CLEAN_HEAD bytes of any member.
fn allowed(at: usize, starts: &[usize]) -> bool {
    starts.iter().all(|&s| at < s || at >= s + CLEAN_HEAD)
}

/// Applies the faults the input describes, four bytes each.
fn damage(file: &mut Vec<u8>, starts: &[usize], faults: &[u8], rng: &mut Rng) {
    for f in faults.chunks_exact(4).take(8) {
        if file.is_empty() {
            return;
        }
        let at = (u16::from_le_bytes([f[0], f[1]]) as usize * file.len()) >> 16;
        if !allowed(at, starts) {
            continue;
        }
        let n = 1 + usize::from(f[3] % 64);
        match f[2] % 4 {
            0 => {
                let end = (at + n).min(file.len());
                file[at..end].iter_mut().for_each(|b| *b ^= 0xff);
            }
            1 => {
                let end = (at + n).min(file.len());
                file[at..end].iter_mut().for_each(|b| *b = rng.next() as u8);
            }
            2 => file.truncate(at),
            _ => {
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                file.splice(at..at, junk);
            }
        }
    }
}

/// What `tool -dc` prints for `file`, or `None` when the tool is missing. The file goes
/// through a temporary file rather than a pipe: a tool that stops reading early would
/// otherwise kill this process with SIGPIPE (libFuzzer's `main` does not ignore it).
fn system_decode(tool: &str, file: &[u8]) -> Option<Vec<u8>> {
    static MISSING: OnceLock<()> = OnceLock::new();
    let path = std::env::temp_dir().join(format!("bsaudit-fuzz-{}.bin", std::process::id()));
    std::fs::write(&path, file).expect("temporary file");
    let child = Command::new(tool)
        .args(["-dc", "-q"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        MISSING.get_or_init(|| {
            eprintln!("note: `{tool}` is not on PATH; only the line accounting is checked")
        });
        return None;
    };
    let mut out = Vec::new();
    let mut stdout = child.stdout.take().expect("stdout");
    let _ = (&mut stdout).take(CAP as u64 + 1).read_to_end(&mut out);
    drop(stdout);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&path);
    Some(out)
}

fn count_lines(data: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', data).count() as u64;
    lf + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let gzip = data[0] & 1 == 0;
    let members = 1 + usize::from(data[0] >> 1) % 3;
    let size = (1 << 20) + usize::from(data[1]) * (12 << 10); // 1 to 4 MiB
    let seed = u64::from_le_bytes(data[2..10].try_into().expect("8 bytes"));
    let mut rng = Rng(seed);
    let text = log_text(&mut rng, size);
    let cut: Vec<usize> = (0..=members).map(|i| i * text.len() / members).collect();
    let parts: Vec<&[u8]> = cut.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    let (mut file, starts) = compress(&parts, gzip);
    damage(&mut file, &starts, &data[10..], &mut rng);

    // bsaudit's reading, as the engine does it: decode, cut into blocks, scan.
    let open = || decoded(Box::new(std::io::Cursor::new(file.clone())), None).ok();
    let Some((reader, _)) = open() else {
        return;
    };
    let spec = TallySpec::default();
    let mut sink = Tallier::new(&spec);
    let max_line = 1 << 20;
    let mut blocks = BlockReader::new(reader, 1 << 20, max_line);
    let mut accounted = 0;
    for block in blocks.by_ref() {
        scan_block(&block.data, 0, block.seq, block.skipped_before, max_line, &mut sink);
        accounted += block.bytes;
        if accounted > CAP as u64 {
            return;
        }
    }
    let input = &sink.tally.input;
    assert_eq!(input.accounted(), input.lines);
    assert_eq!(accounted, blocks.bytes, "every byte read is in a block");
    // The decoded bytes themselves, read to the first error.
    let Some((mut reader, _)) = open() else {
        return;
    };
    let mut ours = Vec::new();
    let mut buf = vec![0u8; 4 << 20];
    while let Ok(n @ 1..) = reader.read(&mut buf) {
        ours.extend_from_slice(&buf[..n]);
    }
    assert_eq!(ours.len() as u64, blocks.bytes, "blocks hold what the decoder gave");

    let lib = library_decode(&file, gzip);
    if lib.len() <= CAP {
        assert!(
            ours.starts_with(&lib),
            "the library's reader gave {} bytes that are not a prefix of the {} decoded",
            lib.len(),
            ours.len()
        );
    }

    let tool = if gzip { "gzip" } else { "zstd" };
    let Some(theirs) = system_decode(tool, &file) else {
        return;
    };
    if theirs.len() > CAP {
        return;
    }
    // A zstd tool built on another libzstd may emit a damaged block that the linked library
    // rejects whole (found by this target: 1.5.4 printed the valid start of a block 1.5.7
    // refused); only the same version must agree. gzip has one decoder, zlib's.
    if gzip || zstd_versions_match() {
        assert!(
            input.lines >= count_lines(&theirs),
            "{} lines, `{tool} -dc` prints {}",
            input.lines,
            count_lines(&theirs)
        );
    }
});

/// Whether the `zstd` tool runs the libzstd version linked here (said once if not).
fn zstd_versions_match() -> bool {
    static MATCH: OnceLock<bool> = OnceLock::new();
    *MATCH.get_or_init(|| {
        let lib = zstd::zstd_safe::version_string();
        let tool = Command::new("zstd")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let same = tool.contains(&format!("v{lib}"));
        if !same {
            eprintln!(
                "note: the zstd tool ({}) is not libzstd {lib}: its line counts are not compared",
                tool.trim()
            );
        }
        same
    })
}

/// What the library's own streaming reader gives before its first error, in 64 KiB reads.
fn library_decode(file: &[u8], gzip: bool) -> Vec<u8> {
    let mut r: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        match zstd::stream::read::Decoder::new(file) {
            Ok(d) => Box::new(d),
            Err(_) => return Vec::new(),
        }
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    while let Ok(n @ 1..) = r.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
        if out.len() > CAP {
            break;
        }
    }
    out
}
