//! Criterion benches of the scanner, from the bottom up, on inputs generated in memory by the
//! `gen-auditlog` example (compiled in below), so `cargo bench` needs no prepared files.
//!
//! - `lines`: the floor, finding LFs with memchr over a ~16 MiB buffer;
//! - `parse`: `scan::text::parse` and `scan::json::parse` over pre-split lines (and the
//!   serde_json fallback, `json::full`, for scale);
//! - `scan_block`: classify + parse + tally of one block, text and JSON (and without the tally);
//! - `engine`: discover + `engine::scan` of a small generated directory (plain and gzip).
//!
//! All report `Throughput::Bytes` of log text. `cargo bench --bench scan -- engine` runs one
//! group.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use memchr::{memchr, memchr_iter};

use bsaudit::engine::{self, ProgressFn, ScanSettings};
use bsaudit::input::discover::{InputKind, discover};
use bsaudit::scan::{LinePos, LineSink, Outcome, json, scan_block, text};
use bsaudit::tally::{Tallier, TallySpec};

#[allow(dead_code)]
#[path = "../examples/gen-auditlog.rs"]
mod generator;

const BLOCK: usize = 16 << 20;
const SEED: u64 = 42;

/// Byte ranges of the lines of `buf` (without LF).
fn line_ranges(buf: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for at in memchr_iter(b'\n', buf) {
        out.push((start, at));
        start = at + 1;
    }
    if start < buf.len() {
        out.push((start, buf.len()));
    }
    out
}

fn lines(c: &mut Criterion) {
    let buf = generator::lines(SEED, false, BLOCK);
    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(50);
    g.bench_function("memchr_iter_count", |b| {
        b.iter(|| memchr_iter(b'\n', black_box(&buf)).count())
    });
    // The shape of scan_block's loop: one memchr per line, slicing each line out.
    g.bench_function("memchr_per_line", |b| {
        b.iter(|| {
            let buf = black_box(&buf[..]);
            let (mut start, mut n, mut bytes) = (0, 0u64, 0usize);
            while start < buf.len() {
                let end = memchr(b'\n', &buf[start..]).map_or(buf.len(), |at| start + at);
                bytes += black_box(&buf[start..end]).len();
                n += 1;
                start = end + 1;
            }
            (n, bytes)
        })
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let text_buf = generator::lines(SEED, false, BLOCK);
    let text_lines = line_ranges(&text_buf);
    let json_buf = generator::lines(SEED, true, BLOCK);
    let json_lines = line_ranges(&json_buf);

    let mut g = c.benchmark_group("parse");
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(10);

    g.throughput(Throughput::Bytes(text_buf.len() as u64));
    g.bench_function("text", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &(s, e) in &text_lines {
                if let Ok(rec) = text::parse(black_box(&text_buf[s..e])) {
                    sum += rec.code as u64 + rec.duration_us;
                }
            }
            sum
        })
    });

    g.throughput(Throughput::Bytes(json_buf.len() as u64));
    g.bench_function("json", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &(s, e) in &json_lines {
                if let Ok(rec) = json::parse(black_box(&json_buf[s..e])) {
                    sum += rec.code as u64 + rec.duration_us;
                }
            }
            sum
        })
    });

    // The serde_json path every unusual line falls back to, on the first MiB only.
    let small: Vec<_> = json_lines
        .iter()
        .copied()
        .take_while(|&(_, e)| e < 1 << 20)
        .collect();
    let small_bytes = small.last().map_or(0, |&(_, e)| e + 1);
    g.throughput(Throughput::Bytes(small_bytes as u64));
    g.bench_function("json_full_serde", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &(s, e) in &small {
                if let Ok(rec) = json::full(black_box(&json_buf[s..e])) {
                    sum += rec.code as u64 + rec.duration_us;
                }
            }
            sum
        })
    });
    g.finish();
}

/// A sink that only counts records: `scan_block` minus the tally.
#[derive(Default)]
struct CountRecords(u64);

impl LineSink for CountRecords {
    #[inline]
    fn line(&mut self, _pos: LinePos, _raw: &[u8], outcome: &Outcome<'_>) {
        if let Outcome::Record(rec) = outcome {
            self.0 += black_box(rec.code) as u64 / 1000 + 1;
        }
    }

    fn block_done(&mut self, _file: u32, _chunk: u32, _lines: u64) {}
}

fn scan_blocks(c: &mut Criterion) {
    let spec = TallySpec::default();
    let max_line = ScanSettings::default().max_line;
    let mut g = c.benchmark_group("scan_block");
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(10);
    for (name, json) in [("text", false), ("json", true)] {
        let buf = generator::lines(SEED, json, BLOCK);
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = Tallier::new(&spec);
                scan_block(black_box(&buf), 0, 0, 0, max_line, &mut sink);
                assert_eq!(sink.tally.input.records, sink.tally.input.lines);
                sink.tally.input.records
            })
        });
        // The same walk and classification into a sink that keeps nothing: the difference
        // to the bench above is the cost of the tally.
        g.bench_function(format!("{name}_no_tally"), |b| {
            b.iter(|| {
                let mut sink = CountRecords::default();
                scan_block(black_box(&buf), 0, 0, 0, max_line, &mut sink);
                sink.0
            })
        });
    }
    g.finish();
}

/// Writes a generated tree into a fresh temporary directory.
fn tree(size: u64, compress: generator::Compress) -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generator::write_tree(
        dir.path(),
        &generator::TreeOptions {
            size,
            seed: SEED,
            json: false,
            compress,
            // Several files per service, so most are closed (windowed) and a few are "live".
            file_size: 8 << 20,
            span_s: None,
        },
    )
    .expect("write tree");
    (dir, summary.log_bytes)
}

fn scan_dir(root: &Path, spec: &TallySpec, settings: &ScanSettings, progress: &ProgressFn) -> u64 {
    let found = discover(&[InputKind::Path(root.to_path_buf())], false);
    let tally = engine::scan(&found.files, spec, settings, progress);
    tally.input.records
}

fn engine_scan(c: &mut Criterion) {
    let spec = TallySpec::default();
    let settings = ScanSettings::default();
    let progress: ProgressFn = Arc::new(|_| {});
    let mut g = c.benchmark_group("engine");
    g.measurement_time(Duration::from_secs(4));
    g.sample_size(10);
    for (name, size, compress) in [
        ("dir_text_64MiB", 64 << 20, generator::Compress::None),
        ("dir_gzip_32MiB", 32 << 20, generator::Compress::Gzip),
    ] {
        let (dir, bytes) = tree(size, compress);
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(name, |b| {
            b.iter(|| scan_dir(black_box(dir.path()), &spec, &settings, &progress))
        });
    }
    g.finish();
}

criterion_group!(benches, lines, parse, scan_blocks, engine_scan);
criterion_main!(benches);
