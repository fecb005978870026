//! Writes realistic synthetic CubeFS BlobStore audit logs, for benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen-auditlog -- --size 1GiB --out DIR \
//!     [--seed N] [--json] [--gzip | --zstd] [--file-size 256MiB] [--force]
//! ```
//!
//! Layout: `DIR/<service>/auditlog/<index>-<offset>[.log][.gz|.zst]`, index and offset in
//! lowercase base 36 (Go's `strconv.FormatInt(x, 36)`), the offset being where the file starts
//! in its service's (uncompressed) stream. Files rotate at a line boundary before they would
//! exceed `--file-size`. ACCESS uses the `.log` suffix. Every finished file gets the time of
//! its last record as mtime (a day in the past), so readers see closed, rotated logs.
//!
//! Lines are byte-for-byte in the shape of the real writer (12 TAB fields, Go `encoding/json`
//! headers with sorted keys and `\u0026`), or with `--json` in the `log_format: json` shape.
//! The output is a pure function of `--seed`, `--size` and `--json`: rotation and compression
//! do not change the records. `DIR/expected.tsv` holds the exact count and maximum duration
//! of every (service, code), for checking a reader's answer.
//!
//! `--scenario incident|calm` writes the data of `bsaudit diff`'s tests: a known incident at
//! 60% of the day, or the same traffic without it, and `DIR/scenario.tsv` with the onset
//! (see `gen/diff_scenario.rs`).
//!
//! This file is self-contained (it does not use the bsaudit library) and is also compiled into
//! `benches/scan.rs` and `tests/diff_stats.rs` (`#[path]`), which use [`Generator`] and
//! [`write_tree_with`] to make their inputs.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;

#[path = "gen/diff_scenario.rs"]
mod diff_scenario;
pub use diff_scenario::Scenario;
#[path = "gen/traces.rs"]
pub mod traces;

// ---------------------------------------------------------------------------------------------
// Randomness: xoshiro256++ seeded through splitmix64. Small, fast and the same everywhere.

/// A seeded PRNG (xoshiro256++).
#[derive(Clone, Debug)]
pub struct Rng([u64; 4]);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut split = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng([split(), split(), split(), split()])
    }

    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in `0..n` (n > 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in (0, 1].
    #[inline]
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller, one of the pair).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// True with probability `per_mille`/1000.
    #[inline]
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// Picks an index by weight from cumulative weights.
#[inline]
fn pick(rng: &mut Rng, cumulative: &[u32]) -> usize {
    let total = *cumulative.last().expect("non-empty table");
    let r = rng.below(total as u64) as u32;
    cumulative.iter().position(|&c| r < c).expect("r < total")
}

fn cumulate(weights: impl Iterator<Item = u32>) -> Vec<u32> {
    weights
        .scan(0u32, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// What the cluster looks like.

/// How a path and its reply are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    BnShardGet,
    BnShardPut,
    BnMarkDelete,
    BnDelete,
    BnChunkStat,
    BnStat,
    AcPut,
    AcGet,
    AcDelete,
    AcAlloc,
    PxVolumeAlloc,
    PxBidAlloc,
    PxDeleteMsg,
    CmVolumeGet,
    CmVolumeAlloc,
    CmDiskInfo,
    CmHeartbeat,
    CmConfigGet,
    ScTaskAcquire,
    ScInspectAcquire,
    ScTaskReport,
    SnShardGet,
    SnItemInsert,
    SnItemGet,
}

struct OpSpec {
    op: Op,
    method: &'static str,
    weight: u32,
    /// Median duration of a success, microseconds.
    median_us: f64,
}

struct ServiceSpec {
    name: &'static str,
    dir: &'static str,
    module: &'static str,
    host: &'static str,
    suffix: &'static str,
    user_agent: &'static str,
    /// Share of all records, per mille.
    weight: u32,
    ops: &'static [OpSpec],
    /// Codes other than 200, weight per 100 000 records; 200 takes the rest.
    codes: &'static [(u32, u32)],
}

const fn op(op: Op, method: &'static str, weight: u32, median_us: f64) -> OpSpec {
    OpSpec {
        op,
        method,
        weight,
        median_us,
    }
}

static SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        name: "BLOBNODE",
        dir: "blobnode",
        module: "BLOBNODE@10.9.3.17:8889",
        host: "10.9.3.17:8889",
        suffix: "",
        user_agent: "blobnode/cm_1.2.0 (linux/amd64; go1.19)",
        weight: 450,
        ops: &[
            op(Op::BnShardGet, "GET", 50, 1800.0),
            op(Op::BnShardPut, "POST", 25, 4500.0),
            op(Op::BnMarkDelete, "POST", 6, 900.0),
            op(Op::BnDelete, "POST", 4, 1100.0),
            op(Op::BnChunkStat, "GET", 8, 300.0),
            op(Op::BnStat, "GET", 7, 150.0),
        ],
        codes: &[
            (206, 3000),
            (600, 60),
            (602, 300),
            (603, 80),
            (611, 40),
            (613, 250),
            (615, 60),
            (621, 120),
            (627, 30),
            (651, 900),
            (653, 120),
            (654, 250),
            (670, 20),
            (673, 90),
            (499, 400),
            (500, 30),
            (503, 20),
        ],
    },
    ServiceSpec {
        name: "ACCESS",
        dir: "access",
        module: "ACCESS",
        host: "10.9.0.10:9500",
        suffix: ".log",
        user_agent: "blobstore-sdk/1.3.0 (linux/amd64; go1.20)",
        weight: 200,
        ops: &[
            op(Op::AcPut, "POST", 35, 25000.0),
            op(Op::AcGet, "POST", 40, 12000.0),
            op(Op::AcDelete, "POST", 10, 8000.0),
            op(Op::AcAlloc, "POST", 15, 6000.0),
        ],
        codes: &[
            (206, 1500),
            (400, 80),
            (404, 200),
            (429, 50),
            (499, 900),
            (500, 60),
            (503, 120),
            (551, 40),
            (552, 300),
            (553, 60),
        ],
    },
    ServiceSpec {
        name: "PROXY",
        dir: "proxy",
        module: "PROXY@10.9.2.5:9600",
        host: "10.9.2.5:9600",
        suffix: "",
        user_agent: "access/1.3.0 (linux/amd64; go1.20)",
        weight: 100,
        ops: &[
            op(Op::PxVolumeAlloc, "POST", 45, 800.0),
            op(Op::PxBidAlloc, "POST", 35, 500.0),
            op(Op::PxDeleteMsg, "POST", 20, 1200.0),
        ],
        codes: &[
            (206, 300),
            (499, 300),
            (500, 30),
            (503, 40),
            (801, 200),
            (802, 150),
            (803, 20),
        ],
    },
    ServiceSpec {
        name: "SCHEDULER",
        dir: "scheduler",
        module: "SCHEDULER",
        host: "10.9.1.8:9800",
        suffix: "",
        user_agent: "blobnode/cm_1.2.0 (linux/amd64; go1.19)",
        weight: 100,
        ops: &[
            op(Op::ScTaskAcquire, "POST", 55, 350.0),
            op(Op::ScInspectAcquire, "POST", 30, 300.0),
            op(Op::ScTaskReport, "POST", 15, 700.0),
        ],
        codes: &[
            (206, 500),
            (499, 100),
            (500, 50),
            (672, 150),
            (700, 35000),
            (701, 200),
        ],
    },
    ServiceSpec {
        name: "CLUSTERMGR",
        dir: "clustermgr",
        module: "CLUSTERMGR",
        host: "10.9.1.2:9998",
        suffix: "",
        user_agent: "blobnode/cm_1.2.0 (linux/amd64; go1.19)",
        weight: 80,
        ops: &[
            op(Op::CmVolumeGet, "GET", 35, 400.0),
            op(Op::CmVolumeAlloc, "POST", 15, 3000.0),
            op(Op::CmDiskInfo, "GET", 20, 250.0),
            op(Op::CmHeartbeat, "POST", 25, 600.0),
            op(Op::CmConfigGet, "GET", 5, 200.0),
        ],
        codes: &[
            (206, 500),
            (499, 150),
            (500, 20),
            (902, 40),
            (904, 250),
            (907, 60),
            (911, 40),
            (917, 120),
            (924, 30),
            (930, 20),
            (933, 10),
        ],
    },
    ServiceSpec {
        name: "SHARDNODE",
        dir: "shardnode",
        module: "SHARDNODE@10.9.2.27:9100",
        host: "10.9.2.27:9100",
        suffix: "",
        user_agent: "access/1.3.0 (linux/amd64; go1.20)",
        weight: 70,
        ops: &[
            op(Op::SnShardGet, "POST", 45, 600.0),
            op(Op::SnItemInsert, "POST", 35, 1500.0),
            op(Op::SnItemGet, "POST", 20, 500.0),
        ],
        codes: &[(206, 400), (499, 200), (500, 30), (821, 80), (830, 40)],
    },
];

/// The error string a service answers with, for the reply body.
fn error_message(code: u32) -> &'static str {
    match code {
        400 => "bad request",
        404 => "not found",
        429 => "access limited",
        499 => "context canceled",
        500 => "internal server error",
        503 => "service unavailable",
        551 => "access client service discovery disconnect",
        552 => "access limited",
        553 => "access exceed object size",
        600 => "blobnode: invalid params",
        602 => "blobnode: out of limit",
        603 => "blobnode: internal error",
        611 => "disk not found",
        613 => "disk is broken",
        615 => "disk no space",
        621 => "vuid not found",
        627 => "chunk no space",
        651 => "bid not found",
        653 => "shard must mark delete",
        654 => "shard already mark delete",
        670 => "dest replica is bad can not repair",
        672 => "illegal task",
        673 => "request limited",
        700 => "nothing to do",
        701 => "update volume cache frequently",
        801 => "this codemode has no avaliable volume",
        802 => "alloc bid from clustermgr error",
        803 => "clusterId not match",
        821 => "shard node: shard not found",
        830 => "shard node: item not found",
        902 => "lock volume not allow",
        904 => "volume not exist",
        907 => "no leader",
        911 => "disk not found",
        917 => "no available volume",
        924 => "volume unit not exist",
        930 => "dropped disk still has volume unit remain, migrate them firstly",
        933 => "reject delete system config",
        _ => "unexpected error",
    }
}

/// Start of the synthetic day: 2025-11-24T00:00:00Z, in units of 100 ns.
pub const DAY_START_100NS: u64 = 1_763_942_400 * 10_000_000;
const DAY_100NS: f64 = 86_400.0 * 1e7;

// ---------------------------------------------------------------------------------------------
// Formatting without allocation.

#[inline]
fn put(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(s);
}

#[inline]
fn put_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[inline]
fn put_hex16(buf: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0u8; 16];
    for (i, b) in tmp.iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    buf.extend_from_slice(&tmp);
}

/// Appends `s` as the inside of a JSON string (as Go's encoding/json: `"`, `\`, `<`, `>`, `&`).
fn put_json_str_body(buf: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'"' => put(buf, b"\\\""),
            b'\\' => put(buf, b"\\\\"),
            b'<' => put(buf, b"\\u003c"),
            b'>' => put(buf, b"\\u003e"),
            b'&' => put(buf, b"\\u0026"),
            _ => buf.push(b),
        }
    }
}

/// Lowercase base 36, as Go's `strconv.FormatInt(x, 36)`.
pub fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

// ---------------------------------------------------------------------------------------------
// Records.

/// Expected count and maximum duration of one (service, code).
#[derive(Clone, Copy, Debug, Default)]
pub struct Expect {
    /// Records.
    pub count: u64,
    /// Largest duration, microseconds.
    pub max_us: u64,
}

/// Makes one record line after another, deterministically for a seed.
pub struct Generator {
    rng: Rng,
    json: bool,
    /// "End of request" clock, 100 ns units.
    clock: f64,
    mean_gap: f64,
    service_cum: Vec<u32>,
    op_cum: Vec<Vec<u32>>,
    /// Per service: (code, cumulative weight), 200 first.
    code_tables: Vec<(Vec<u32>, Vec<u32>)>,
    expect: Vec<Vec<Expect>>,
    /// The max_us the last counted record replaced, for [`Generator::uncount`].
    undo_max_us: u64,
    /// The `--scenario incident` changes, if on.
    incident: diff_scenario::Incident,
    // Scratch fields, reused for every record.
    path: Vec<u8>,
    req_header: Vec<u8>,
    req_params: Vec<u8>,
    resp_header: Vec<u8>,
    resp_body: Vec<u8>,
}

/// What [`Generator::next_line`] made.
#[derive(Clone, Copy, Debug)]
pub struct Made {
    /// Index into [`service_names`].
    pub service: usize,
    /// Start time, 100 ns units.
    pub start: u64,
}

/// Service names, in [`Made::service`] order.
pub fn service_names() -> impl Iterator<Item = &'static str> {
    SERVICES.iter().map(|s| s.name)
}

impl Generator {
    /// A generator for `seed`; `expected_bytes` spreads the records over one day.
    pub fn new(seed: u64, json: bool, expected_bytes: u64) -> Self {
        let approx_line = if json { 610.0 } else { 450.0 };
        let records = (expected_bytes as f64 / approx_line).max(1.0);
        let code_tables = SERVICES
            .iter()
            .map(|s| {
                let other: u32 = s.codes.iter().map(|&(_, w)| w).sum();
                let codes: Vec<u32> = std::iter::once(200)
                    .chain(s.codes.iter().map(|&(c, _)| c))
                    .collect();
                let cum = cumulate(
                    std::iter::once(100_000 - other).chain(s.codes.iter().map(|&(_, w)| w)),
                );
                (codes, cum)
            })
            .collect::<Vec<_>>();
        let expect = code_tables
            .iter()
            .map(|(codes, _)| vec![Expect::default(); codes.len()])
            .collect();
        Generator {
            rng: Rng::new(seed),
            json,
            clock: DAY_START_100NS as f64,
            mean_gap: DAY_100NS / records,
            service_cum: cumulate(SERVICES.iter().map(|s| s.weight)),
            op_cum: SERVICES
                .iter()
                .map(|s| cumulate(s.ops.iter().map(|o| o.weight)))
                .collect(),
            code_tables,
            expect,
            undo_max_us: 0,
            incident: diff_scenario::Incident::off(),
            path: Vec::with_capacity(128),
            req_header: Vec::with_capacity(256),
            req_params: Vec::with_capacity(256),
            resp_header: Vec::with_capacity(256),
            resp_body: Vec::with_capacity(512),
        }
    }

    /// The same generator with `scenario`'s incident (see `gen/diff_scenario.rs`).
    pub fn with_scenario(mut self, scenario: Option<Scenario>, seed: u64) -> Self {
        self.incident = diff_scenario::Incident::new(scenario, seed);
        self
    }

    /// Expected (service, code, count, max) of every record made so far, sorted.
    pub fn expected(&self) -> Vec<(&'static str, u32, Expect)> {
        let mut rows = Vec::new();
        for (s, spec) in SERVICES.iter().enumerate() {
            for (i, &code) in self.code_tables[s].0.iter().enumerate() {
                let e = self.expect[s][i];
                if e.count > 0 {
                    rows.push((spec.name, code, e));
                }
            }
        }
        rows.sort_by_key(|&(name, code, _)| (name, code));
        rows
    }

    /// Undoes the counting of the last record (when the caller decides not to write it).
    fn uncount(&mut self, service: usize, code_idx: usize) {
        let e = &mut self.expect[service][code_idx];
        e.count -= 1;
        e.max_us = self.undo_max_us;
    }

    /// Counts a record made elsewhere (a traced request); its code must be in the table.
    fn count(&mut self, service: usize, code: u32, dur_us: u64) {
        let at = self.code_tables[service].0.iter().position(|&c| c == code);
        let e = &mut self.expect[service][at.expect("traced codes are in the service's table")];
        e.count += 1;
        e.max_us = e.max_us.max(dur_us);
    }

    /// Appends one record line, LF included, to `out`.
    pub fn next_line(&mut self, out: &mut Vec<u8>) -> Made {
        self.next_line_inner(out).0
    }

    fn next_line_inner(&mut self, out: &mut Vec<u8>) -> (Made, usize) {
        let rng = &mut self.rng;
        self.clock += -rng.unit().ln() * self.mean_gap;
        let s = pick(rng, &self.service_cum);
        let svc = &SERVICES[s];
        let o = &svc.ops[pick(rng, &self.op_cum[s])];
        let (codes, cum) = &self.code_tables[s];
        let code_idx = pick(rng, cum);
        let code = codes[code_idx];
        let ok = code < 300;

        // Duration: log-normal around the operation's median; failures are slower.
        let factor = match code {
            200 | 206 => 1.0,
            700 => 0.6,
            499 => 25.0,
            503 => 8.0,
            _ => 3.0,
        };
        let sigma = if ok { 0.7 } else { 1.0 };
        let dur = (o.median_us * factor * (sigma * rng.normal()).exp()).clamp(1.0, 120e6) as u64;
        // The writer logs when the request ends; the line carries its start.
        let start = (self.clock as u64).saturating_sub(dur * 10);
        // The scenario's incident may change the code, disk and duration; it draws from its
        // own stream, and the draws below stay those of the original code (`ok`), so the
        // traffic is the same with or without it.
        let hit = self.incident.at(svc.name, o.op, start);
        let code_idx = hit.code.map_or(code_idx, |c| {
            codes
                .iter()
                .position(|&k| k == c)
                .expect("scenario code in the service's table")
        });
        let code = codes[code_idx];
        let dur = hit.duration(dur);
        let e = &mut self.expect[s][code_idx];
        self.undo_max_us = e.max_us;
        e.count += 1;
        e.max_us = e.max_us.max(dur);

        // Ids and sizes.
        let disk = rng.range(1, 400);
        let disk = hit.disk.unwrap_or(disk);
        let vuid = rng.range(1 << 32, 1 << 40);
        let bid = rng.range(100_000, 99_999_999);
        let vid = rng.range(1, 60_000);
        let size = match rng.below(10) {
            0..=3 => 4096,
            4..=5 => 65_536,
            6..=7 => 1_048_576,
            _ => rng.range(1, 4 << 20),
        };

        // Path.
        self.path.clear();
        let p = &mut self.path;
        let shard_path = |p: &mut Vec<u8>, prefix: &[u8]| {
            put(p, prefix);
            put(p, b"/diskid/");
            put_u64(p, disk);
            put(p, b"/vuid/");
            put_u64(p, vuid);
            put(p, b"/bid/");
            put_u64(p, bid);
        };
        match o.op {
            Op::BnShardGet => shard_path(p, b"/shard/get"),
            Op::BnShardPut => shard_path(p, b"/shard/put"),
            Op::BnMarkDelete => shard_path(p, b"/shard/markdelete"),
            Op::BnDelete => shard_path(p, b"/shard/delete"),
            Op::BnChunkStat => {
                put(p, b"/chunk/stat/diskid/");
                put_u64(p, disk);
                put(p, b"/vuid/");
                put_u64(p, vuid);
            }
            Op::BnStat => put(p, b"/stat"),
            Op::AcPut => put(p, b"/put"),
            Op::AcGet => put(p, b"/get"),
            Op::AcDelete => put(p, b"/delete"),
            Op::AcAlloc => put(p, b"/alloc"),
            Op::PxVolumeAlloc | Op::CmVolumeAlloc => put(p, b"/volume/alloc"),
            Op::PxBidAlloc => put(p, b"/bid/alloc"),
            Op::PxDeleteMsg => put(p, b"/deletemsg"),
            Op::CmVolumeGet => put(p, b"/volume/get"),
            Op::CmDiskInfo => put(p, b"/disk/info"),
            Op::CmHeartbeat => put(p, b"/disk/heartbeat"),
            Op::CmConfigGet => put(p, b"/config/get"),
            Op::ScTaskAcquire => put(p, b"/task/acquire"),
            Op::ScInspectAcquire => put(p, b"/inspect/acquire"),
            Op::ScTaskReport => put(p, b"/task/report"),
            Op::SnShardGet => put(p, b"/shard/get"),
            Op::SnItemInsert => put(p, b"/item/insert"),
            Op::SnItemGet => put(p, b"/item/get"),
        }

        // Request params (JSON bodies up to 1 KiB, usually none).
        self.req_params.clear();
        let rp = &mut self.req_params;
        match o.op {
            Op::AcGet => {
                put(
                    rp,
                    b"{\"location\":{\"cluster_id\":1,\"code_mode\":11,\"size\":",
                );
                put_u64(rp, size);
                put(rp, b",\"blob_size\":4194304,\"crc\":");
                put_u64(rp, rng.next_u64() >> 32);
                put(rp, b",\"blobs\":[{\"min_bid\":");
                put_u64(rp, bid);
                put(rp, b",\"vid\":");
                put_u64(rp, vid);
                put(rp, b",\"count\":1}]},\"offset\":0,\"read_size\":");
                put_u64(rp, size);
                put(rp, b"}");
            }
            Op::AcDelete => {
                put(
                    rp,
                    b"{\"locations\":[{\"cluster_id\":1,\"code_mode\":11,\"size\":",
                );
                put_u64(rp, size);
                put(rp, b",\"blobs\":[{\"min_bid\":");
                put_u64(rp, bid);
                put(rp, b",\"vid\":");
                put_u64(rp, vid);
                put(rp, b",\"count\":1}]}]}");
            }
            Op::PxVolumeAlloc | Op::CmVolumeAlloc => {
                put(rp, b"{\"code_mode\":11,\"fsize\":");
                put_u64(rp, size);
                put(rp, b",\"bid_count\":1}");
            }
            Op::ScTaskReport | Op::BnMarkDelete if rng.chance(600) => {
                put(rp, b"{\"missed_shards\":null,\"task_id\":\"inspect-");
                put_u64(rp, rng.range(1, 99_999));
                put(rp, b"\"}");
            }
            Op::CmHeartbeat => {
                put(rp, b"{\"disks\":[{\"disk_id\":");
                put_u64(rp, disk);
                put(rp, b",\"free\":");
                put_u64(rp, rng.range(1 << 30, 1 << 42));
                put(rp, b",\"used_chunk_cnt\":");
                put_u64(rp, rng.range(0, 4000));
                put(rp, b"}]}");
            }
            _ => {}
        }

        // Request header: Go's encoding/json of a map, keys sorted.
        self.req_header.clear();
        let h = &mut self.req_header;
        let body_size = match o.op {
            Op::BnShardPut | Op::AcPut => size,
            _ => 0,
        };
        put(h, b"{\"BodySize\":");
        put_u64(h, body_size);
        if !self.req_params.is_empty() {
            put(h, b",\"Content-Type\":\"application/json\"");
        }
        put(h, b",\"Host\":\"");
        put(h, svc.host.as_bytes());
        put(h, b"\",\"IP\":\"10.0.");
        put_u64(h, rng.below(256));
        put(h, b".");
        put_u64(h, rng.range(1, 254));
        put(h, b"\"");
        match o.op {
            Op::AcPut => {
                put(h, b",\"RawQuery\":\"size=");
                put_u64(h, size);
                put(h, b"\\u0026hashes=4\"");
            }
            Op::CmVolumeGet => {
                put(h, b",\"RawQuery\":\"vid=");
                put_u64(h, vid);
                put(h, b"\"");
            }
            Op::CmDiskInfo => {
                put(h, b",\"RawQuery\":\"disk_id=");
                put_u64(h, disk);
                put(h, b"\"");
            }
            Op::CmConfigGet => put(h, b",\"RawQuery\":\"key=code_mode\""),
            Op::PxDeleteMsg => put(h, b",\"RawQuery\":\"flush=0\""),
            Op::BnShardGet if rng.chance(300) => {
                put(h, b",\"RawQuery\":\"iotype=0\\u0026offset=0\\u0026size=");
                put_u64(h, size);
                put(h, b"\"");
            }
            _ => {}
        }
        put(h, b",\"User-Agent\":\"");
        put(h, svc.user_agent.as_bytes());
        put(h, b"\"}");

        // Response body and length.
        self.resp_body.clear();
        let b = &mut self.resp_body;
        let mut data_len = None;
        if ok {
            match o.op {
                Op::BnShardGet | Op::AcGet => data_len = Some(size),
                Op::BnShardPut => {
                    put(b, b"{\"crc\":");
                    put_u64(b, rng.next_u64() >> 32);
                    put(b, b"}");
                }
                Op::BnChunkStat => {
                    put(b, b"{\"vuid\":");
                    put_u64(b, vuid);
                    put(b, b",\"diskid\":");
                    put_u64(b, disk);
                    put(b, b",\"chunkid\":\"");
                    put_hex16(b, rng.next_u64());
                    put_hex16(b, rng.next_u64());
                    put(b, b"\",\"size\":");
                    put_u64(b, rng.range(1 << 20, 16 << 30));
                    put(b, b",\"status\":1}");
                }
                Op::BnStat => {
                    put(b, b"{\"disk_count\":");
                    put_u64(b, rng.range(8, 36));
                    put(b, b",\"status\":\"normal\"}");
                }
                Op::AcPut | Op::AcAlloc => {
                    put(
                        b,
                        b"{\"location\":{\"cluster_id\":1,\"code_mode\":11,\"size\":",
                    );
                    put_u64(b, size);
                    put(b, b",\"blob_size\":4194304,\"crc\":");
                    put_u64(b, rng.next_u64() >> 32);
                    put(b, b",\"blobs\":[{\"min_bid\":");
                    put_u64(b, bid);
                    put(b, b",\"vid\":");
                    put_u64(b, vid);
                    put(b, b",\"count\":1}]}}");
                }
                Op::PxVolumeAlloc | Op::CmVolumeAlloc => {
                    put(b, b"[{\"vid\":");
                    put_u64(b, vid);
                    put(b, b",\"bid_start\":");
                    put_u64(b, bid);
                    put(b, b",\"bid_end\":");
                    put_u64(b, bid + 1);
                    put(b, b"}]");
                }
                Op::PxBidAlloc => {
                    put(b, b"{\"bid\":");
                    put_u64(b, bid);
                    put(b, b",\"count\":1}");
                }
                Op::CmVolumeGet => {
                    put(b, b"{\"vid\":");
                    put_u64(b, vid);
                    put(b, b",\"code_mode\":11,\"status\":2,\"total\":");
                    put_u64(b, 32u64 << 30);
                    put(b, b",\"free\":");
                    put_u64(b, rng.range(0, 32 << 30));
                    put(b, b",\"used\":");
                    put_u64(b, rng.range(0, 32 << 30));
                    put(b, b",\"units\":[");
                    for i in 0..3u64 {
                        if i > 0 {
                            put(b, b",");
                        }
                        put(b, b"{\"vuid\":");
                        put_u64(b, vuid + i);
                        put(b, b",\"disk_id\":");
                        put_u64(b, disk + i);
                        put(b, b",\"host\":\"http://10.9.3.");
                        put_u64(b, 10 + i);
                        put(b, b":8889\"}");
                    }
                    put(b, b"]}");
                }
                Op::CmDiskInfo => {
                    put(b, b"{\"disk_id\":");
                    put_u64(b, disk);
                    put(b, b",\"host\":\"http://10.9.3.17:8889\",\"idc\":\"z0\",\"status\":1,\"readonly\":false}");
                }
                Op::CmConfigGet => put(b, b"\"11\""),
                Op::ScTaskAcquire | Op::ScInspectAcquire => {
                    put(b, b"{\"task_id\":\"");
                    put(
                        b,
                        if o.op == Op::ScTaskAcquire {
                            b"balance-"
                        } else {
                            b"inspect-"
                        },
                    );
                    put_u64(b, rng.range(1, 99_999));
                    put(b, b"-");
                    put_hex16(b, rng.next_u64());
                    put(b, b"\",\"vid\":");
                    put_u64(b, vid);
                    put(b, b"}");
                }
                Op::SnShardGet | Op::SnItemGet => {
                    put(b, b"{\"item\":{\"id\":\"");
                    put_hex16(b, rng.next_u64());
                    put(b, b"\",\"fields\":[{\"id\":1,\"value\":\"");
                    put_hex16(b, rng.next_u64());
                    put(b, b"\"}]}}");
                }
                _ => {}
            }
        } else {
            put(b, b"{\"error\":\"");
            put(b, error_message(code).as_bytes());
            put(b, b"\"}");
        }
        if hit.code.is_some() && ok {
            // The draws above were for a success; the reply is the scenario's error.
            data_len = None;
            self.resp_body.clear();
            put(&mut self.resp_body, b"{\"error\":\"");
            put(&mut self.resp_body, error_message(code).as_bytes());
            put(&mut self.resp_body, b"\"}");
        }
        let resp_len = data_len.unwrap_or(self.resp_body.len() as u64);

        // Response header.
        self.resp_header.clear();
        let rh = &mut self.resp_header;
        put(rh, b"{\"Blobstore-Tracer-Traceid\":\"");
        put_hex16(rh, rng.next_u64());
        put(rh, b"\",\"Content-Length\":\"");
        put_u64(rh, resp_len);
        put(rh, b"\"");
        if resp_len > 0 {
            put(
                rh,
                if data_len.is_some() {
                    b",\"Content-Type\":\"application/octet-stream\""
                } else {
                    b",\"Content-Type\":\"application/json\""
                },
            );
        }
        put(rh, b",\"Trace-Log\":[\"");
        put(rh, svc.name.as_bytes());
        put(rh, b"\"");
        if dur >= 1000 {
            put(rh, b",\"");
            put(rh, svc.name.as_bytes());
            put(rh, b":");
            put_u64(rh, dur / 1000);
            put(rh, b"\"");
        }
        put(rh, b"],\"Trace-Tags\":[\"span.kind:server\"]}");

        if self.json {
            self.emit_json(out, svc, o, start, code, resp_len, dur);
        } else {
            self.emit_text(out, svc, o, start, code, resp_len, dur);
        }
        (Made { service: s, start }, code_idx)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_text(
        &self,
        out: &mut Vec<u8>,
        svc: &ServiceSpec,
        o: &OpSpec,
        start: u64,
        code: u32,
        resp_len: u64,
        dur: u64,
    ) {
        put(out, b"REQ\t");
        put(out, svc.module.as_bytes());
        out.push(b'\t');
        put_u64(out, start);
        out.push(b'\t');
        put(out, o.method.as_bytes());
        out.push(b'\t');
        put(out, &self.path);
        out.push(b'\t');
        put(out, &self.req_header);
        out.push(b'\t');
        put(out, &self.req_params);
        out.push(b'\t');
        put_u64(out, code as u64);
        out.push(b'\t');
        put(out, &self.resp_header);
        out.push(b'\t');
        put(out, &self.resp_body);
        out.push(b'\t');
        put_u64(out, resp_len);
        out.push(b'\t');
        put_u64(out, dur);
        out.push(b'\n');
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_json(
        &self,
        out: &mut Vec<u8>,
        svc: &ServiceSpec,
        o: &OpSpec,
        start: u64,
        code: u32,
        resp_len: u64,
        dur: u64,
    ) {
        put(out, b"{\"req_type\":\"REQ\",\"module\":\"");
        put(out, svc.module.as_bytes());
        put(out, b"\",\"start_time\":");
        put_u64(out, start);
        put(out, b",\"method\":\"");
        put(out, o.method.as_bytes());
        put(out, b"\",\"path\":\"");
        put(out, &self.path);
        put(out, b"\",\"req_header\":");
        put(out, &self.req_header);
        put(out, b",\"req_params\":\"");
        put_json_str_body(out, &self.req_params);
        put(out, b"\",\"status_code\":");
        put_u64(out, code as u64);
        put(out, b",\"resp_header\":");
        put(out, &self.resp_header);
        put(out, b",\"resp_body\":\"");
        put_json_str_body(out, &self.resp_body);
        put(out, b"\",\"resp_length\":");
        put_u64(out, resp_len);
        put(out, b",\"duration\":");
        put_u64(out, dur);
        put(out, b"}\n");
    }
}

/// About `bytes` of generated lines (whole lines, at most `bytes`), from `seed`.
pub fn lines(seed: u64, json: bool, bytes: usize) -> Vec<u8> {
    let mut g = Generator::new(seed, json, bytes as u64);
    let mut out = Vec::with_capacity(bytes + 4096);
    loop {
        let before = out.len();
        g.next_line(&mut out);
        if out.len() > bytes {
            out.truncate(before);
            return out;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files.

/// Compression of finished files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compress {
    /// Plain files.
    None,
    /// gzip, two members per file (split at the byte in the middle).
    Gzip,
    /// zstd, one frame.
    Zstd,
}

/// How to write a tree.
#[derive(Clone, Debug)]
pub struct TreeOptions {
    /// Bytes of log text in total (uncompressed), at most.
    pub size: u64,
    /// PRNG seed.
    pub seed: u64,
    /// JSON lines instead of text.
    pub json: bool,
    /// Compression of finished files.
    pub compress: Compress,
    /// Rotate before a file would exceed this many bytes.
    pub file_size: u64,
    /// Spread the records over this many seconds from the day's start instead of the whole
    /// day (a live burst rather than a day of history).
    pub span_s: Option<f64>,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Log files.
    pub files: u64,
    /// Bytes of log text (uncompressed).
    pub log_bytes: u64,
    /// Bytes on disk (compressed when compressing).
    pub disk_bytes: u64,
    /// Lines (all of them records).
    pub lines: u64,
    /// Per (service, code): count and max duration.
    pub expected: Vec<(&'static str, u32, Expect)>,
}

struct Stream {
    dir: PathBuf,
    suffix: &'static str,
    index: u64,
    /// Offset of the current file in the service's stream.
    offset: u64,
    cur_bytes: u64,
    last_start: u64,
    w: Option<(PathBuf, BufWriter<File>)>,
}

/// A finished plain file, to compress (or not).
struct Finished {
    path: PathBuf,
    mtime: SystemTime,
}

impl Stream {
    fn write(
        &mut self,
        line: &[u8],
        start: u64,
        file_size: u64,
        done: &mut Vec<Finished>,
    ) -> io::Result<()> {
        if self.cur_bytes > 0 && self.cur_bytes + line.len() as u64 > file_size {
            if let Some(f) = self.close()? {
                done.push(f);
            }
            self.index += 1;
            self.offset += self.cur_bytes;
            self.cur_bytes = 0;
        }
        if self.w.is_none() {
            let name = format!(
                "{}-{}{}",
                base36(self.index),
                base36(self.offset),
                self.suffix
            );
            let path = self.dir.join(name);
            let file = File::create(&path)?;
            self.w = Some((path, BufWriter::with_capacity(1 << 20, file)));
        }
        let (_, w) = self.w.as_mut().expect("open");
        w.write_all(line)?;
        self.cur_bytes += line.len() as u64;
        self.last_start = start;
        Ok(())
    }

    fn close(&mut self) -> io::Result<Option<Finished>> {
        let Some((path, w)) = self.w.take() else {
            return Ok(None);
        };
        let file = w.into_inner().map_err(|e| e.into_error())?;
        let mtime = time_of(self.last_start);
        file.set_modified(mtime)?;
        Ok(Some(Finished { path, mtime }))
    }
}

/// A start time (100 ns units) as a `SystemTime`, rounded up to the next second.
fn time_of(t100ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t100ns / 10_000_000 + 1)
}

/// Compresses `f` into `<path>.gz` / `.zst`, removes the plain file, keeps the mtime.
fn compress_file(f: &Finished, how: Compress) -> io::Result<()> {
    let ext = match how {
        Compress::None => return Ok(()),
        Compress::Gzip => "gz",
        Compress::Zstd => "zst",
    };
    let mut name = f.path.file_name().expect("file name").to_os_string();
    name.push(".");
    name.push(ext);
    let dest = f.path.with_file_name(name);
    let mut input = io::BufReader::with_capacity(1 << 20, File::open(&f.path)?);
    let len = fs::metadata(&f.path)?.len();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&dest)?);
    match how {
        Compress::Gzip => {
            // Two members, as `cat a.gz b.gz` or an interrupted-and-resumed compressor makes.
            let half = len / 2;
            for part in [half, len - half] {
                let mut enc =
                    flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
                io::copy(&mut (&mut input).take(part), &mut enc)?;
                enc.finish()?;
            }
        }
        Compress::Zstd => {
            zstd::stream::copy_encode(&mut input, &mut out, 3)?;
        }
        Compress::None => unreachable!(),
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.set_modified(f.mtime)?;
    drop(file);
    fs::remove_file(&f.path)
}

/// Writes the whole tree under `dir` (which must exist) and `dir/expected.tsv`.
pub fn write_tree(dir: &Path, o: &TreeOptions) -> io::Result<Summary> {
    write_tree_with(dir, o, None, None)
}

/// [`write_tree`] with a `--scenario` (which also writes `dir/scenario.tsv`) and traced
/// requests from `traces` among the records (and `dir/traces.tsv`).
pub fn write_tree_with(
    dir: &Path,
    o: &TreeOptions,
    scenario: Option<Scenario>,
    mut traces: Option<traces::Traces>,
) -> io::Result<Summary> {
    let mut streams = SERVICES
        .iter()
        .map(|s| {
            let d = dir.join(s.dir).join("auditlog");
            fs::create_dir_all(&d)?;
            Ok(Stream {
                dir: d,
                suffix: s.suffix,
                index: 0,
                offset: 0,
                cur_bytes: 0,
                last_start: DAY_START_100NS,
                w: None,
            })
        })
        .collect::<io::Result<Vec<_>>>()?;

    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = mpsc::sync_channel::<Finished>(workers * 2);
    let rx = std::sync::Mutex::new(rx);
    let compress = o.compress;
    let mut summary = Summary::default();

    std::thread::scope(|scope| -> io::Result<()> {
        let handles: Vec<_> = (0..if compress == Compress::None {
            0
        } else {
            workers
        })
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let next = rx.lock().expect("lock").recv();
                        let Ok(f) = next else { return Ok(()) };
                        compress_file(&f, compress)?;
                    }
                })
            })
            .collect();

        let mut produce = || -> io::Result<(Generator, u64, u64)> {
            let mut g = Generator::new(o.seed, o.json, o.size).with_scenario(scenario, o.seed);
            if let Some(span) = o.span_s {
                g.mean_gap *= span / 86_400.0;
            }
            let mut line = Vec::with_capacity(4096);
            let mut done = Vec::new();
            let (mut bytes, mut lines) = (0u64, 0u64);
            loop {
                line.clear();
                let (made, code_idx) = g.next_line_inner(&mut line);
                if bytes + line.len() as u64 > o.size {
                    g.uncount(made.service, code_idx);
                    break;
                }
                bytes += line.len() as u64;
                lines += 1;
                streams[made.service].write(&line, made.start, o.file_size, &mut done)?;
                if let Some(t) = traces.as_mut() {
                    let chain = t.after_record(made.start);
                    if bytes + traces::bytes_of(&chain) > o.size {
                        break;
                    }
                    for r in &chain {
                        bytes += r.line.len() as u64;
                        lines += 1;
                        streams[r.service].write(&r.line, r.start, o.file_size, &mut done)?;
                    }
                    t.keep(chain, &mut g);
                }
                for f in done.drain(..) {
                    if compress != Compress::None {
                        tx.send(f)
                            .map_err(|_| io::Error::other("compressor stopped"))?;
                    }
                }
            }
            for s in &mut streams {
                if let Some(f) = s.close()?
                    && compress != Compress::None
                {
                    tx.send(f)
                        .map_err(|_| io::Error::other("compressor stopped"))?;
                }
            }
            Ok((g, bytes, lines))
        };
        let produced = produce();
        drop(tx);
        for h in handles {
            h.join()
                .map_err(|_| io::Error::other("compressor panicked"))??;
        }
        let (g, bytes, lines) = produced?;
        summary.log_bytes = bytes;
        summary.lines = lines;
        summary.expected = g.expected();
        Ok(())
    })?;

    // Count what is on disk.
    for s in SERVICES {
        for entry in fs::read_dir(dir.join(s.dir).join("auditlog"))? {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                summary.files += 1;
                summary.disk_bytes += meta.len();
            }
        }
    }

    if let Some(t) = &traces {
        t.write_tsv(dir)?;
    }
    let mut tsv = String::from("service\tcode\tcount\tmax_us\n");
    for (name, code, e) in &summary.expected {
        tsv.push_str(&format!("{name}\t{code}\t{}\t{}\n", e.count, e.max_us));
    }
    fs::write(dir.join("expected.tsv"), tsv)?;
    if let Some(s) = scenario {
        fs::write(dir.join("scenario.tsv"), diff_scenario::describe(s))?;
    }
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Command line.

/// Parses 4096, 64KiB, 256MiB, 1GiB (K/M/G, KB/MB/GB and KiB/MiB/GiB all binary).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size {text:?} (examples: 4096, 64MiB, 1GiB)"
            ));
        }
    };
    n.checked_mul(scale)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("invalid size {text:?}"))
}

/// Writes synthetic CubeFS BlobStore audit logs.
#[derive(Debug, Parser)]
#[command(name = "gen-auditlog")]
struct Cli {
    /// Total bytes of log text (uncompressed), e.g. 64MiB, 1GiB.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    size: u64,
    /// Output directory (created; must be empty unless --force).
    #[arg(long)]
    out: PathBuf,
    /// PRNG seed: the same seed, size and format give the same records.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the `log_format: json` lines instead of text.
    #[arg(long)]
    json: bool,
    /// gzip every finished file (two members per file) as `<name>.gz`.
    #[arg(long, conflicts_with = "zstd")]
    gzip: bool,
    /// zstd every finished file as `<name>.zst`.
    #[arg(long)]
    zstd: bool,
    /// Rotate files before they exceed this size.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    file_size: u64,
    /// Replace the service directories and expected.tsv in a non-empty --out.
    #[arg(long)]
    force: bool,
    /// Data for `bsaudit diff`: `incident` (BLOBNODE 613 on one disk, ACCESS 500 and ACCESS
    /// latency x3 from 2025-11-24T14:24:00Z, 60% of the day) or `calm` (the same traffic
    /// without it); writes DIR/scenario.tsv with the onset.
    #[arg(long, value_enum)]
    scenario: Option<Scenario>,

    /// Also write traced requests (ACCESS fanning out to PROXY, CLUSTERMGR, BLOBNODEs) after
    /// PER_MILLE of every 1000 records (default 30), listed in traces.tsv.
    #[arg(long, value_name = "PER_MILLE", num_args = 0..=1, default_missing_value = "30")]
    traces: Option<u32>,

    /// Spread the records over this many seconds from 2025-11-24T00:00:00Z instead of the
    /// whole day, as a burst from a busy cluster (the records are the same, closer together).
    #[arg(long, value_name = "SECONDS")]
    span: Option<f64>,
}

fn main() -> io::Result<()> {
    let cli = Cli::parse();
    fs::create_dir_all(&cli.out)?;
    let nonempty = fs::read_dir(&cli.out)?.next().is_some();
    if nonempty {
        if !cli.force {
            eprintln!(
                "gen-auditlog: {} is not empty (use --force to replace its service directories)",
                cli.out.display()
            );
            std::process::exit(2);
        }
        for s in SERVICES {
            let d = cli.out.join(s.dir);
            if d.exists() {
                fs::remove_dir_all(d)?;
            }
        }
        let _ = fs::remove_file(cli.out.join("expected.tsv"));
        let _ = fs::remove_file(cli.out.join("scenario.tsv"));
        let _ = fs::remove_file(cli.out.join("traces.tsv"));
    }
    let opts = TreeOptions {
        size: cli.size,
        seed: cli.seed,
        json: cli.json,
        compress: if cli.gzip {
            Compress::Gzip
        } else if cli.zstd {
            Compress::Zstd
        } else {
            Compress::None
        },
        file_size: cli.file_size,
        span_s: cli.span,
    };
    let began = Instant::now();
    let traces = cli
        .traces
        .map(|n| traces::Traces::new(cli.seed, n, cli.json));
    let s = write_tree_with(&cli.out, &opts, cli.scenario, traces)?;
    let secs = began.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    writeln!(out, "files\t{}", s.files)?;
    writeln!(out, "bytes\t{}", s.log_bytes)?;
    writeln!(out, "disk_bytes\t{}", s.disk_bytes)?;
    writeln!(out, "lines\t{}", s.lines)?;
    writeln!(
        out,
        "seconds\t{secs:.2}\t({:.0} MiB/s of log text)",
        s.log_bytes as f64 / secs / (1 << 20) as f64
    )?;
    writeln!(out, "expected\t{}", cli.out.join("expected.tsv").display())?;
    if cli.scenario.is_some() {
        writeln!(out, "scenario\t{}", cli.out.join("scenario.tsv").display())?;
    }
    writeln!(out)?;
    out.write_all(&fs::read(cli.out.join("expected.tsv"))?)?;
    Ok(())
}
