//! Traced requests for `gen-auditlog --traces`: ACCESS puts and gets that fan out to PROXY,
//! CLUSTERMGR and several BLOBNODEs, every record of a request sharing one trace id and
//! carrying the `Trace-Log` the real servers would write (see `docs/tracelog.md`).
//!
//! The cluster behind the chains: nine BLOBNODEs `10.9.3.11..19:8889`, eight disks each
//! (host i holds disks 100 + 10 i .. 107 + 10 i). A put asks PROXY for a volume (PROXY asks
//! CLUSTERMGR on a cache miss, so ACCESS's log holds the nested `CLUSTERMGR:1;PROXY@...:2`),
//! then writes six shards to six different nodes, each shard's BLOBNODE log
//! (`net.r`, `dat.w`, its own element) nested into ACCESS's; ACCESS adds its stage element
//! `a_<ms>_r_<ms>_w_<ms>` and its own element. A get may ask CLUSTERMGR for the volume, writes
//! its response header early (so its own element comes before the reads), then reads four data
//! shards; BLOBNODE answers gets with the header first, so only its own element, often `<1ms`,
//! reaches ACCESS, and half of the gets are served over rpc2 (the `|`-joined form).
//!
//! Faults: disk [`SLOW_DISK`] on [`SLOW_HOST`] is slow (writes and reads take ~400 ms); disk
//! [`BROKEN_DISK`] answers 613 `disk is broken` (the failing step `dat.w/disk is broken`);
//! a few calls to [`FLAKY_HOST`] time out after 1 s (ACCESS writes the failed call itself:
//! `BLOBNODE@...:1000/Post "http://...`, the node logs 499). Two failed shards fail the put
//! (ACCESS 500).
//!
//! Randomness comes from its own generator, so `--traces` leaves the other records as they
//! are. Every traced record is listed in `DIR/traces.tsv`.

use std::io::{self, Write};
use std::path::Path;

use super::{Generator, Rng, put, put_hex16, put_json_str_body, put_u64};

/// The node with the slow disk.
pub const SLOW_HOST: &str = "10.9.3.17:8889";
/// The slow disk (on [`SLOW_HOST`]).
pub const SLOW_DISK: u64 = 163;
/// A broken disk, on 10.9.3.15.
pub const BROKEN_DISK: u64 = 145;
/// A node some calls to which time out.
pub const FLAKY_HOST: &str = "10.9.3.13:8889";

const BLOBNODES: usize = 9;
const DISKS_PER_NODE: u64 = 8;
const PROXY_MODULE: &str = "PROXY@10.9.2.5:9600";
const PROXY_HOST: &str = "10.9.2.5:9600";
const CLUSTERMGR_HOST: &str = "10.9.1.2:9998";
const ACCESS_HOST: &str = "10.9.0.10:9500";

fn blobnode_host(i: usize) -> String {
    format!("10.9.3.{}:8889", 11 + i)
}

/// One record of a chain, ready to write.
pub struct Traced {
    /// Index of its service in the generator's table.
    pub service: usize,
    /// Start time, 100 ns units.
    pub start: u64,
    /// Status code.
    pub code: u32,
    /// Duration, microseconds.
    pub dur_us: u64,
    /// The line, LF included.
    pub line: Vec<u8>,
    trace: String,
    module: String,
    path: String,
}

/// Bytes of a chain.
pub fn bytes_of(chain: &[Traced]) -> u64 {
    chain.iter().map(|t| t.line.len() as u64).sum()
}

/// Makes chains after some of the generator's records.
pub struct Traces {
    rng: Rng,
    per_mille: u64,
    json: bool,
    /// Service indexes: ACCESS, PROXY, CLUSTERMGR, BLOBNODE.
    ids: [usize; 4],
    written: Vec<(String, String, String, u64, u64, u32, String)>,
}

/// What a record of the chain is, before it is written.
struct Rec {
    service: usize,
    module: String,
    host: String,
    start_us: u64,
    dur_us: u64,
    method: &'static str,
    path: String,
    code: u32,
    body: Vec<u8>,
    resp_len: u64,
    log: Vec<String>,
    joined: bool,
}

impl Traces {
    /// Chains after `per_mille` of every 1000 records, from `seed`.
    pub fn new(seed: u64, per_mille: u32, json: bool) -> Traces {
        let index = |name: &str| {
            super::service_names()
                .position(|n| n == name)
                .expect("service in the table")
        };
        Traces {
            rng: Rng::new(seed ^ 0x7472_6163_6573),
            per_mille: u64::from(per_mille.min(1000)),
            json,
            ids: [
                index("ACCESS"),
                index("PROXY"),
                index("CLUSTERMGR"),
                index("BLOBNODE"),
            ],
            written: Vec::new(),
        }
    }

    /// Maybe a chain starting at `start` (100 ns units), its records in end-time order (the
    /// order the servers log them).
    pub fn after_record(&mut self, start: u64) -> Vec<Traced> {
        if self.per_mille == 0 || !self.rng.chance(self.per_mille) {
            return Vec::new();
        }
        let t0_us = start / 10;
        let mut trace = Vec::with_capacity(16);
        put_hex16(&mut trace, self.rng.next_u64());
        let trace = String::from_utf8(trace).expect("hex");
        let mut recs = if self.rng.chance(500) {
            self.put(t0_us)
        } else {
            self.get(t0_us)
        };
        recs.sort_by_key(|r| (r.start_us + r.dur_us, r.start_us));
        recs.into_iter()
            .map(|r| {
                let mut line = Vec::with_capacity(1024);
                self.emit(&r, &trace, &mut line);
                Traced {
                    service: r.service,
                    start: r.start_us * 10,
                    code: r.code,
                    dur_us: r.dur_us,
                    line,
                    trace: trace.clone(),
                    module: r.module,
                    path: r.path,
                }
            })
            .collect()
    }

    /// Counts a written chain into the generator's expectations and the traces list.
    pub fn keep(&mut self, chain: Vec<Traced>, g: &mut Generator) {
        for t in chain {
            g.count(t.service, t.code, t.dur_us);
            let service = super::service_names().nth(t.service).unwrap_or("?");
            self.written.push((
                t.trace,
                service.to_string(),
                t.module,
                t.start,
                t.dur_us,
                t.code,
                t.path,
            ));
        }
    }

    /// Writes `DIR/traces.tsv`: the faults, then every traced record.
    pub fn write_tsv(&self, dir: &Path) -> io::Result<()> {
        let mut out = io::BufWriter::new(std::fs::File::create(dir.join("traces.tsv"))?);
        writeln!(out, "# slow disk {SLOW_DISK} on BLOBNODE@{SLOW_HOST}")?;
        writeln!(
            out,
            "# broken disk {BROKEN_DISK} (613); timeouts to BLOBNODE@{FLAKY_HOST}"
        )?;
        writeln!(
            out,
            "trace_id\tservice\tmodule\tstart\tduration_us\tcode\tpath"
        )?;
        for (trace, service, module, start, dur, code, path) in &self.written {
            writeln!(
                out,
                "{trace}\t{service}\t{module}\t{start}\t{dur}\t{code}\t{path}"
            )?;
        }
        out.flush()
    }

    /// Log-normal around `median_us`.
    fn lognormal(&mut self, median_us: f64, sigma: f64) -> u64 {
        (median_us * (sigma * self.rng.normal()).exp()).clamp(20.0, 60e6) as u64
    }

    /// `count` distinct nodes.
    fn nodes(&mut self, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..BLOBNODES).collect();
        for i in 0..count {
            let j = i + self.rng.below((BLOBNODES - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(count);
        all
    }

    fn disk_of(&mut self, node: usize) -> u64 {
        100 + 10 * node as u64 + self.rng.below(DISKS_PER_NODE)
    }

    fn base(&self, service: usize, module: &str, host: &str, start_us: u64) -> Rec {
        Rec {
            service,
            module: module.to_string(),
            host: host.to_string(),
            start_us,
            dur_us: 0,
            method: "POST",
            path: String::new(),
            code: 200,
            body: Vec::new(),
            resp_len: 0,
            log: Vec::new(),
            joined: false,
        }
    }

    /// PROXY's volume allocation (and CLUSTERMGR's, on a cache miss); returns the records and
    /// PROXY's Trace-Log as the caller sees it.
    fn proxy_alloc(&mut self, start_us: u64) -> (Vec<Rec>, String) {
        let [_, proxy, cm, _] = self.ids;
        let mut px = self.base(proxy, PROXY_MODULE, PROXY_HOST, start_us);
        px.path = "/volume/alloc".to_string();
        let mut out = Vec::new();
        let mut elapsed = self.lognormal(300.0, 0.5);
        if self.rng.chance(300) {
            let mut c = self.base(cm, "CLUSTERMGR", CLUSTERMGR_HOST, start_us + elapsed);
            c.path = "/volume/alloc".to_string();
            c.dur_us = self.lognormal(1800.0, 0.6);
            c.log = vec![own("CLUSTERMGR", c.dur_us)];
            px.log.push(c.log.join(";"));
            elapsed += c.dur_us + 100;
            out.push(c);
        }
        elapsed += self.lognormal(200.0, 0.5);
        px.dur_us = elapsed;
        px.body = b"[{\"vid\":1,\"bid_start\":1,\"bid_end\":2}]".to_vec();
        px.resp_len = px.body.len() as u64;
        px.log.push(own(PROXY_MODULE, px.dur_us));
        let seen = px.log.join(";");
        out.push(px);
        (out, seen)
    }

    fn put(&mut self, t0: u64) -> Vec<Rec> {
        let [access, _, _, blobnode] = self.ids;
        let mut recs = Vec::new();
        let mut ac = self.base(access, "ACCESS", ACCESS_HOST, t0);
        ac.path = "/put".to_string();
        let alloc_ms = self.rng.below(2);
        let read_us = self.lognormal(3000.0, 0.6);
        let (px, px_log) = self.proxy_alloc(t0 + 150);
        let px_end = px.iter().map(|r| r.start_us + r.dur_us).max().unwrap_or(t0);
        recs.extend(px);
        ac.log.push(px_log);
        let shards_at = px_end.max(t0 + read_us) + 100;
        let mut failed = 0;
        let mut write_end = shards_at;
        for node in self.nodes(6) {
            let host = blobnode_host(node);
            let disk = self.disk_of(node);
            let start = shards_at + self.rng.range(30, 300);
            let mut bn = self.base(blobnode, &format!("BLOBNODE@{host}"), &host, start);
            bn.path = format!(
                "/shard/put/diskid/{disk}/vuid/{}/bid/{}",
                self.rng.range(1 << 32, 1 << 40),
                self.rng.range(100_000, 99_999_999)
            );
            let net_r = self.lognormal(900.0, 0.5);
            let elem;
            if host == FLAKY_HOST && self.rng.chance(8) {
                // No answer within the client's timeout: ACCESS records the failed call itself.
                bn.dur_us = 1_000_000 + self.rng.range(100, 900);
                bn.code = 499;
                bn.body = b"{\"error\":\"context canceled\"}".to_vec();
                bn.log = vec![
                    format!("net.r:{}/context canceled", bn.dur_us / 1000),
                    own(&bn.module, bn.dur_us),
                ];
                // span.go cuts error texts to 32 bytes.
                let mut err = format!("Post \"http://{host}/shard/put/diskid/{disk}");
                err.truncate(32);
                elem = format!("{}:1000/{err}", bn.module);
                failed += 1;
                write_end = write_end.max(start + 1_000_000);
            } else if disk == BROKEN_DISK {
                bn.dur_us = net_r + self.lognormal(150.0, 0.3);
                bn.code = 613;
                bn.body = b"{\"error\":\"disk is broken\"}".to_vec();
                bn.log = vec![
                    own("net.r", net_r),
                    "dat.w/disk is broken".to_string(),
                    own(&bn.module, bn.dur_us),
                ];
                elem = bn.log.join(";");
                failed += 1;
                write_end = write_end.max(start + bn.dur_us);
            } else {
                let dat_w = if disk == SLOW_DISK && host == SLOW_HOST {
                    self.lognormal(400_000.0, 0.3)
                } else {
                    self.lognormal(2500.0, 0.6)
                };
                bn.dur_us = net_r + dat_w + self.lognormal(200.0, 0.3);
                bn.body = format!("{{\"crc\":{}}}", self.rng.next_u64() >> 32).into_bytes();
                bn.log = vec![
                    own("net.r", net_r),
                    own("dat.w", dat_w),
                    own(&bn.module, bn.dur_us),
                ];
                elem = bn.log.join(";");
                write_end = write_end.max(start + bn.dur_us);
            }
            bn.resp_len = bn.body.len() as u64;
            ac.log.push(elem);
            recs.push(bn);
        }
        let end = write_end + self.lognormal(300.0, 0.4);
        ac.dur_us = end - t0;
        ac.log.push(format!(
            "a_{alloc_ms}_r_{}_w_{}",
            read_us / 1000,
            (write_end - shards_at) / 1000
        ));
        ac.log.push(own("ACCESS", ac.dur_us));
        if failed >= 2 {
            ac.code = 500;
            ac.body = b"{\"error\":\"internal server error\"}".to_vec();
        } else {
            ac.body = b"{\"location\":{\"cluster_id\":1,\"code_mode\":11,\"size\":4194304,\"blob_size\":4194304,\"crc\":0,\"blobs\":[{\"min_bid\":1,\"vid\":1,\"count\":1}]}}".to_vec();
        }
        ac.resp_len = ac.body.len() as u64;
        recs.push(ac);
        recs
    }

    fn get(&mut self, t0: u64) -> Vec<Rec> {
        let [access, _, cm, blobnode] = self.ids;
        let mut recs = Vec::new();
        let mut ac = self.base(access, "ACCESS", ACCESS_HOST, t0);
        ac.path = "/get".to_string();
        let mut at = t0 + 100;
        if self.rng.chance(400) {
            let mut c = self.base(cm, "CLUSTERMGR", CLUSTERMGR_HOST, at + 80);
            c.method = "GET";
            c.path = "/volume/get".to_string();
            c.dur_us = self.lognormal(600.0, 0.6);
            c.body = b"{\"vid\":1,\"code_mode\":11,\"status\":2}".to_vec();
            c.resp_len = c.body.len() as u64;
            c.log = vec![own("CLUSTERMGR", c.dur_us)];
            ac.log.push(c.log.join(";"));
            at += c.dur_us + 160;
            recs.push(c);
        }
        // The response header goes out before the data: ACCESS's own element comes here.
        let header_us = at + self.lognormal(200.0, 0.4) - t0;
        ac.log.push(own("ACCESS", header_us));
        let size = 4u64 << 20;
        let mut read_end = at;
        for node in self.nodes(4) {
            let host = blobnode_host(node);
            let disk = self.disk_of(node);
            let start = at + self.rng.range(30, 300);
            let mut bn = self.base(blobnode, &format!("BLOBNODE@{host}"), &host, start);
            bn.method = "GET";
            bn.path = format!(
                "/shard/get/diskid/{disk}/vuid/{}/bid/{}",
                self.rng.range(1 << 32, 1 << 40),
                self.rng.range(100_000, 99_999_999)
            );
            let header = self.lognormal(400.0, 0.5);
            if disk == BROKEN_DISK {
                bn.dur_us = header;
                bn.code = 613;
                bn.body = b"{\"error\":\"disk is broken\"}".to_vec();
                bn.resp_len = bn.body.len() as u64;
                bn.log = vec![own(&bn.module, header)];
                ac.log.push(format!("{}/disk is broken", bn.log[0]));
            } else {
                let dat_r = if disk == SLOW_DISK && host == SLOW_HOST {
                    self.lognormal(400_000.0, 0.3)
                } else {
                    self.lognormal(1800.0, 0.6)
                };
                let net_w = self.lognormal(700.0, 0.5);
                bn.dur_us = header + dat_r + net_w;
                bn.resp_len = size / 4;
                // The header carries only the own element; the steps come after it.
                bn.log = vec![
                    own(&bn.module, header),
                    own("net.w", net_w),
                    own("dat.r", dat_r),
                ];
                ac.log.push(bn.log[0].clone());
            }
            bn.joined = self.rng.chance(500);
            read_end = read_end.max(start + bn.dur_us);
            recs.push(bn);
        }
        let write_us = self.lognormal(2000.0, 0.5);
        ac.dur_us = read_end - t0 + write_us;
        ac.resp_len = size;
        ac.log.push(format!(
            "a_{}_r_{}_w_{}",
            self.rng.below(2),
            (read_end - at) / 1000,
            write_us / 1000
        ));
        recs.push(ac);
        recs
    }

    /// Writes one record as a text or JSON line.
    fn emit(&mut self, r: &Rec, trace: &str, out: &mut Vec<u8>) {
        let mut req = Vec::with_capacity(160);
        put(&mut req, b"{\"BodySize\":");
        put_u64(
            &mut req,
            if r.path.starts_with("/shard/put") || r.path == "/put" {
                1 << 20
            } else {
                0
            },
        );
        put(&mut req, b",\"Host\":\"");
        put(&mut req, r.host.as_bytes());
        put(&mut req, b"\",\"IP\":\"10.0.");
        put_u64(&mut req, self.rng.below(256));
        put(&mut req, b".");
        put_u64(&mut req, self.rng.range(1, 254));
        put(
            &mut req,
            b"\",\"User-Agent\":\"blobstore-sdk/1.3.0 (linux/amd64; go1.20)\"}",
        );

        let mut resp = Vec::with_capacity(256);
        put(&mut resp, b"{\"Blobstore-Tracer-Traceid\":\"");
        put(&mut resp, trace.as_bytes());
        put(&mut resp, b"\",\"Content-Length\":\"");
        put_u64(&mut resp, r.resp_len);
        put(
            &mut resp,
            b"\",\"Content-Type\":\"application/json\",\"Trace-Log\":",
        );
        let log_str = |resp: &mut Vec<u8>, s: &str| {
            put(resp, b"\"");
            put_json_str_body(resp, s.as_bytes());
            put(resp, b"\"");
        };
        if r.joined {
            log_str(&mut resp, &r.log.join("|"));
        } else {
            put(&mut resp, b"[");
            for (i, e) in r.log.iter().enumerate() {
                if i > 0 {
                    put(&mut resp, b",");
                }
                log_str(&mut resp, e);
            }
            put(&mut resp, b"]");
        }
        put(&mut resp, b",\"Trace-Tags\":[\"span.kind:server\"]}");

        let start = r.start_us * 10;
        if self.json {
            put(out, b"{\"req_type\":\"REQ\",\"module\":\"");
            put(out, r.module.as_bytes());
            put(out, b"\",\"start_time\":");
            put_u64(out, start);
            put(out, b",\"method\":\"");
            put(out, r.method.as_bytes());
            put(out, b"\",\"path\":\"");
            put(out, r.path.as_bytes());
            put(out, b"\",\"req_header\":");
            put(out, &req);
            put(out, b",\"req_params\":\"\",\"status_code\":");
            put_u64(out, u64::from(r.code));
            put(out, b",\"resp_header\":");
            put(out, &resp);
            put(out, b",\"resp_body\":\"");
            put_json_str_body(out, &r.body);
            put(out, b"\",\"resp_length\":");
            put_u64(out, r.resp_len);
            put(out, b",\"duration\":");
            put_u64(out, r.dur_us);
            put(out, b"}\n");
        } else {
            for (i, field) in [
                b"REQ".as_slice(),
                r.module.as_bytes(),
                start.to_string().as_bytes(),
                r.method.as_bytes(),
                r.path.as_bytes(),
                &req,
                b"",
                r.code.to_string().as_bytes(),
                &resp,
                &r.body,
                r.resp_len.to_string().as_bytes(),
                r.dur_us.to_string().as_bytes(),
            ]
            .iter()
            .enumerate()
            {
                if i > 0 {
                    out.push(b'\t');
                }
                put(out, field);
            }
            out.push(b'\n');
        }
    }
}

/// A server's own element or step: `MODULE:ms`, or `MODULE` below 1 ms (span.go leaves out a
/// zero).
fn own(module: &str, dur_us: u64) -> String {
    if dur_us < 1000 {
        module.to_string()
    } else {
        format!("{module}:{}", dur_us / 1000)
    }
}
