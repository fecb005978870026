//! Property tests over whole files: the same log text gives the same tally whether it is plain,
//! gzip (one or many members), zstd (one or many frames), CRLF or LF, read by one thread or
//! many, in big chunks or tiny ones, mapped or read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bsaudit::engine::{self, ProgressFn, ScanSettings};
use bsaudit::input::discover::{self, InputKind};
use bsaudit::tally::{Tally, TallySpec};
use proptest::prelude::*;

/// (service, code, count, max, resp bytes, first, last) of one group.
type GroupDigest = (String, u32, u64, u64, u64, i64, i64);

/// A comparable digest of a tally: input counts and per-group numbers by service name.
fn digest(t: &Tally) -> (String, Vec<GroupDigest>) {
    let mut groups: Vec<_> = t
        .groups
        .iter()
        .map(|(&(s, c), g)| {
            (
                String::from_utf8_lossy(t.services.name(s)).into_owned(),
                c,
                g.count(),
                g.latency.max(),
                g.resp_bytes,
                g.first_ns,
                g.last_ns,
            )
        })
        .collect();
    groups.sort();
    (format!("{:?}", t.input), groups)
}

fn scan_path(path: &Path, settings: &ScanSettings, threads: usize) -> Tally {
    let found = discover::discover(&[InputKind::Path(path.to_path_buf())], false);
    let progress: ProgressFn = Arc::new(|_| {});
    let spec = TallySpec::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let tally = pool.install(|| engine::scan(&found.files, &spec, settings, &progress));
    assert!(tally.problems.is_empty(), "{:?}", tally.problems);
    tally
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(part).expect("gzip");
        out.extend(enc.finish().expect("gzip"));
    }
    out
}

fn zstd_frames(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend(zstd::encode_all(*part, 1).expect("zstd"));
    }
    out
}

fn arb_line() -> impl Strategy<Value = String> {
    let service = prop::sample::select(vec![
        "BLOBNODE",
        "ACCESS@10.0.0.2:9500",
        "SCHEDULER",
        "PROXY",
    ]);
    let code = prop::sample::select(vec![200u32, 206, 499, 613, 700, 902, 12]);
    prop_oneof![
        10 => (service.clone(), code.clone(), 17_640_000_000_000_000u64..17_650_000_000_000_000, 0u64..2_000_000)
            .prop_map(|(s, c, t, d)| format!(
                "REQ\t{s}\t{t}\tGET\t/shard/get/diskid/1/vuid/2/bid/3\t{{\"Host\":\"h\"}}\t\t{c}\t{{\"Blobstore-Tracer-Traceid\":\"{t:x}\"}}\t\t7\t{d}"
            )),
        3 => (service, code, 1_764_000_000u64..1_765_000_000, 0u64..5000).prop_map(|(s, c, t, d)| format!(
            "{{\"req_type\":\"REQ\",\"module\":\"{s}\",\"start_time\":{t},\"method\":\"POST\",\"path\":\"/x\",\"req_header\":{{}},\"req_params\":\"\",\"status_code\":{c},\"resp_header\":{{}},\"resp_body\":\"\",\"resp_length\":1,\"duration\":{d}}}"
        )),
        1 => Just(String::new()),
        1 => Just("garbage".to_string()),
        1 => Just("REQ\tX\t1\tGET".to_string()),
        1 => Just("{\"req_type\":".to_string()),
    ]
}

fn arb_log() -> impl Strategy<Value = (Vec<String>, bool)> {
    (prop::collection::vec(arb_line(), 0..120), any::<bool>())
}

fn join(lines: &[String], eol: &str, final_eol: bool) -> Vec<u8> {
    let mut s = lines.join(eol);
    if final_eol && !lines.is_empty() {
        s.push_str(eol);
    }
    s.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn encodings_and_line_endings_agree((lines, final_eol) in arb_log(), cut in 0usize..200) {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = join(&lines, "\n", final_eol);
        let crlf = join(&lines, "\r\n", final_eol);
        let at = cut.min(text.len());
        let (a, b) = text.split_at(at);
        let settings = ScanSettings::default();
        let reference = digest(&scan_path(&write(dir.path(), "plain.log", &text), &settings, 2));
        let variants = [
            ("crlf.log", crlf.clone()),
            ("one.log.gz", gzip_members(&[&text])),
            ("many.log.gz", gzip_members(&[a, b])),
            ("one.log.zst", zstd_frames(&[&text])),
            ("many.log.zst", zstd_frames(&[a, b])),
        ];
        for (name, bytes) in variants {
            let got = digest(&scan_path(&write(dir.path(), name, &bytes), &settings, 2));
            prop_assert_eq!(&got, &reference, "{}", name);
        }
    }

    #[test]
    fn threads_chunks_and_mmap_agree((lines, final_eol) in arb_log(), chunk in 1u64..600, block in 1usize..600) {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = join(&lines, "\n", final_eol);
        // Two files: the older is read in windows, the newer (live) as a stream.
        let old = write(dir.path(), "0-0", &text);
        let file = std::fs::File::options().write(true).open(&old).expect("open");
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600)).expect("mtime");
        write(dir.path(), "1-0", &text);
        let reference = digest(&scan_path(dir.path(), &ScanSettings::default(), 1));
        for (threads, use_mmap) in [(1, true), (2, false), (4, true)] {
            let settings = ScanSettings { chunk_size: chunk, block_size: block, use_mmap, ..ScanSettings::default() };
            let got = digest(&scan_path(dir.path(), &settings, threads));
            prop_assert_eq!(&got, &reference, "threads {} chunk {} block {} mmap {}", threads, chunk, block, use_mmap);
        }
    }
}
