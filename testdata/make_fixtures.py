#!/usr/bin/env python3
"""Generate the bsaudit test fixtures under testdata/.

Deterministic: stdlib only, one fixed seed, gzip written with mtime 0, zstd via the
`zstd` CLI at a fixed level. Run from anywhere:

    python3 testdata/make_fixtures.py

It (re)writes testdata/cluster, testdata/awkward, testdata/broken and testdata/real-writer.
It does not touch testdata/expected (see oracle.py --write-expected).
"""

import gzip
import io
import json
import math
import random
import shutil
import subprocess
import tarfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REAL_WRITER_SRC = Path("/work/shared/samples/real-writer")
SEED = 20251124

T0 = 1763978400                 # 2025-11-24T10:00:00Z in seconds
HOUR = 3600
TICK = 10_000_000               # start times are in units of 100 ns
CHUNK_BITS = 29                 # default auditlog chunkbits (512 MiB per file)
UA = "blobnode/cm_1.2.0 (linux/amd64; go1.19)"
UA_SDK = "access/sdk_1.2.0 (linux/amd64; go1.19)"
UA_SCHED = "scheduler/1.2.0 (linux/amd64; go1.19)"

INCIDENT_T = T0 + 42 * 60       # 10:42:00, BLOBNODE@10.9.3.17:8889 disk 233 starts answering 613
INCIDENT_HOST = "10.9.3.17"
INCIDENT_DISK = 233


# --------------------------------------------------------------------------- helpers

def b36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


def rot_name(idx, suffix=""):
    """Name of rotated file `idx` when every rotation was a restart (rotate_new):
    start offset = idx << chunkbits, both in base 36, as largefile.encodeFileName writes."""
    return f"{b36(idx)}-{b36(idx << CHUNK_BITS)}{suffix}"


def go_escape(s):
    # Go's encoding/json HTML-escapes these three.
    return s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def gojson(obj):
    """Compact JSON like Go's encoding/json of a map: keys sorted, HTML escaped."""
    return go_escape(json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False))


def sorted_dict(d):
    if d is None:
        return None
    return {k: d[k] for k in sorted(d)}


def text_line(r):
    fields = [
        "REQ", r["module"], str(r["st"]), r["method"], r["path"],
        gojson(r["reqh"]) if r["reqh"] else "",
        r.get("params", ""),
        str(r["code"]),
        gojson(r["resph"]) if r["resph"] else "",
        r.get("body", ""),
        str(r["rlen"]), str(r["dur"]),
    ]
    return "\t".join(fields)


def json_line(r):
    obj = {
        "req_type": "REQ",
        "module": r["module"],
        "start_time": r["st"],
        "method": r["method"],
        "path": r["path"],
        "req_header": sorted_dict(r["reqh"]),
        "req_params": r.get("params", ""),
        "status_code": r["code"],
        "resp_header": sorted_dict(r["resph"]),
        "resp_body": r.get("body", ""),
        "resp_length": r["rlen"],
        "duration": r["dur"],
    }
    return go_escape(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def zst(data):
    return subprocess.run(["zstd", "-q", "-c", "-19", "--no-progress"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)


def lines_bytes(lines, final_lf=True):
    s = "\n".join(lines)
    if final_lf and lines:
        s += "\n"
    return s.encode()


ERRMSG = {
    "ACCESS": {400: "bad request", 404: "blob not found", 499: "context canceled",
               500: "access: get data from blobnode failed", 551: "access client service discovery disconnect",
               552: "access limited", 553: "access exceed object size"},
    "BLOBNODE": {499: "context canceled", 602: "blobnode: out of limit", 611: "disk not found",
                 613: "disk is broken", 621: "vuid not found", 627: "chunk no space", 651: "bid not found"},
    "CLUSTERMGR": {499: "context canceled", 904: "volume not exist", 907: "no leader", 917: "no available volume"},
    "PROXY": {499: "context canceled", 801: "this codemode has no avaliable volume",
              802: "alloc bid from clustermgr error"},
    "SCHEDULER": {499: "context canceled", 700: "nothing to do"},
    "SHARDNODE": {404: "item not found", 499: "context canceled"},
}


class Gen:
    """Builds realistic records; all randomness comes from one seeded Random."""

    def __init__(self, rng):
        self.rng = rng
        self.bid = 84_125_000

    def tid(self):
        return "%016x" % self.rng.getrandbits(64)

    def dur(self, median_us, sigma):
        return max(1, int(round(self.rng.lognormvariate(math.log(median_us), sigma))))

    def client_ip(self):
        return "10.0.%d.%d" % (self.rng.randint(0, 255), self.rng.randint(1, 254))

    def next_bid(self):
        self.bid += self.rng.randint(1, 40)
        return self.bid

    def reqh(self, host, ip, body_size=0, ctype=None, raw=None, ua=UA, extra=None):
        d = {"BodySize": body_size, "Host": host, "IP": ip, "User-Agent": ua}
        if ctype:
            d["Content-Type"] = ctype
        if raw:
            d["RawQuery"] = raw
        if extra:
            d.update(extra)
        return d

    def respond(self, rec, svc, code, ok_body="", ok_len=None, ok_ctype="application/json",
                old_trace=False, trace_log=None):
        """Fill code, resph, body, rlen. Errors carry {"error": msg}."""
        if code >= 400:
            body = gojson({"error": ERRMSG.get(svc, {}).get(code, "error %d" % code)})
            rlen = len(body)
            ctype = "application/json"
        else:
            body = ok_body
            rlen = len(ok_body.encode()) if ok_len is None else ok_len
            ctype = ok_ctype
        resph = {
            ("Traceid" if old_trace else "Blobstore-Tracer-Traceid"): self.tid(),
            "Content-Length": str(rlen),
            "Content-Type": ctype,
            "Trace-Log": trace_log or [svc],
            "Trace-Tags": ["span.kind:server"],
        }
        rec.update(code=code, resph=resph, body=body, rlen=rlen)
        return rec


def poisson(rng, rate_per_s, t_from=T0, t_to=T0 + HOUR):
    """Arrival times (in 100 ns ticks) of a Poisson process."""
    out = []
    t = t_from * TICK
    end = t_to * TICK
    while True:
        t += max(1, int(rng.expovariate(rate_per_s) * TICK))
        if t >= end:
            return out
        out.append(t)


def ramp(t_tick, t_from, minutes, lo, hi):
    """Linear ramp from lo (at t_from) to hi (minutes later), clamped."""
    x = (t_tick / TICK - t_from) / (minutes * 60)
    return lo + (hi - lo) * min(1.0, max(0.0, x))


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for v, w in weighted:
        x -= w
        if x < 0:
            return v
    return weighted[-1][0]


def vuid(vid, idx, epoch):
    return (vid << 32) | (idx << 24) | epoch


# --------------------------------------------------------------------------- cluster

BN_HOSTS = {
    # host: (module field, old release writing `Traceid`, disks, share of traffic)
    "10.9.3.15": ("BLOBNODE@10.9.3.15:8889", False, [211, 212, 213, 214], 0.30),
    "10.9.3.16": ("BLOBNODE", True, [221, 222, 223, 224], 0.10),
    "10.9.3.17": ("BLOBNODE@10.9.3.17:8889", False, [231, 232, 233, 234], 0.32),
    "10.9.3.18": ("BLOBNODE", False, [241, 242, 243, 244], 0.28),
}
ACCESS_HOSTS = ["10.9.1.2", "10.9.1.3"]


def gen_blobnode(g):
    rng = g.rng
    disk_vuids = {}
    for host in BN_HOSTS:
        for d in BN_HOSTS[host][2]:
            disk_vuids[d] = [vuid(rng.randint(40, 320), rng.randint(0, 11), rng.randint(1, 3)) for _ in range(6)]
    recs = []
    arrivals = [(t, False) for t in poisson(rng, 0.29)]
    # Extra traffic that hits the broken disk after the incident starts (access retries, scheduler
    # inspection), at a rising rate: thinning of a Poisson process of rate 0.2/s.
    for t in poisson(rng, 0.2, INCIDENT_T, T0 + HOUR):
        if rng.random() < ramp(t, INCIDENT_T, 18, 0.04, 1.0):
            arrivals.append((t, True))
    arrivals.append((INCIDENT_T * TICK + 27_183_093, True))     # the first failure: 10:42:02.7183093
    arrivals.sort()
    for st, incident_extra in arrivals:
        if incident_extra:
            host = INCIDENT_HOST
        else:
            host = pick(rng, [(h, BN_HOSTS[h][3]) for h in BN_HOSTS])
        module, old, disks, _ = BN_HOSTS[host]
        disk = INCIDENT_DISK if incident_extra else rng.choice(disks)
        vu = rng.choice(disk_vuids[disk])
        kind = pick(rng, [("get", 55), ("put", 20), ("del", 6), ("chunk", 8), ("disk", 6), ("stat", 5)])
        if incident_extra:
            kind = pick(rng, [("get", 80), ("put", 10), ("chunk", 10)])
        caller = rng.choice(ACCESS_HOSTS) if kind in ("get", "put", "del") else "10.9.4.1"
        r = {"module": module, "st": st}
        hostport = f"{host}:8889"
        size = rng.choice([4096, 16384, 65536, 65536, 131072, 1048576])
        if kind == "get":
            bid = rng.randint(80_000_000, g.bid)
            r.update(method="GET", path=f"/shard/get/diskid/{disk}/vuid/{vu}/bid/{bid}")
            ranged = rng.random() < 0.05
            extra = {"Range": "bytes=0-%d" % (min(size, 4096) - 1)} if ranged else None
            r["reqh"] = g.reqh(hostport, caller, raw="iotype=0", extra=extra)
            ok_code, ok_len = (206, min(size, 4096)) if ranged else (200, size)
            code = pick(rng, [(ok_code, 985), (651, 6), (621, 2), (499, 5), (602, 2)])
            r["dur"] = g.dur(1800 if size < 1 << 20 else 9000, 0.7)
            g.respond(r, "BLOBNODE", code, ok_len=ok_len, ok_ctype="application/octet-stream", old_trace=old)
        elif kind == "put":
            bid = g.next_bid()
            r.update(method="POST", path=f"/shard/put/diskid/{disk}/vuid/{vu}/bid/{bid}")
            r["reqh"] = g.reqh(hostport, caller, body_size=size, ctype="application/octet-stream",
                               raw=f"size={size}&iotype=0")
            code = pick(rng, [(200, 990), (627, 3), (602, 4), (499, 3)])
            r["dur"] = g.dur(2500 if size < 1 << 20 else 14000, 0.7)
            g.respond(r, "BLOBNODE", code, ok_body=gojson({"crc": rng.getrandbits(32)}), old_trace=old)
        elif kind == "del":
            bid = rng.randint(80_000_000, g.bid)
            op = rng.choice(["markdelete", "delete"])
            r.update(method="POST", path=f"/shard/{op}/diskid/{disk}/vuid/{vu}/bid/{bid}")
            r["reqh"] = g.reqh(hostport, caller, ctype="application/json")
            code = pick(rng, [(200, 985), (651, 15)])
            r["dur"] = g.dur(900, 0.6)
            g.respond(r, "BLOBNODE", code, old_trace=old)
        elif kind == "chunk":
            r.update(method="GET", path=f"/chunk/stat/diskid/{disk}/vuid/{vu}")
            r["reqh"] = g.reqh(hostport, caller, ua=UA_SCHED)
            body = gojson({"chunkid": "%016x-%016x" % (rng.getrandbits(64), rng.getrandbits(64)), "diskid": disk,
                           "vuid": vu, "size": rng.randint(1 << 28, 1 << 34), "status": 0})
            code = pick(rng, [(200, 995), (621, 5)])
            r["dur"] = g.dur(300, 0.5)
            g.respond(r, "BLOBNODE", code, ok_body=body, old_trace=old)
        elif kind == "disk":
            r.update(method="GET", path=f"/disk/stat/diskid/{disk}")
            r["reqh"] = g.reqh(hostport, caller, ua=UA_SCHED)
            body = gojson({"disk_id": disk, "host": f"http://{hostport}", "path": f"/home/service/disks/data{disk % 10}",
                           "status": 1, "free": rng.randint(1 << 40, 1 << 42), "size": 8 << 40, "used_chunk_cnt": rng.randint(100, 900)})
            r["dur"] = g.dur(250, 0.5)
            g.respond(r, "BLOBNODE", 200, ok_body=body, old_trace=old)
        else:
            r.update(method="GET", path="/stat")
            r["reqh"] = g.reqh(hostport, "10.9.0.2")
            r["dur"] = g.dur(150, 0.5)
            g.respond(r, "BLOBNODE", 200, ok_body=gojson({"status": "ok"}), old_trace=old)
        # The incident: every kind of request to disk 233 on 10.9.3.17 may fail with 613, rising fast.
        if host == INCIDENT_HOST and disk == INCIDENT_DISK and st >= INCIDENT_T * TICK \
                and r["path"] != "/stat" \
                and (incident_extra or rng.random() < ramp(st, INCIDENT_T, 8, 0.35, 1.0)):
            r["dur"] = g.dur(60000, 0.8)
            g.respond(r, "BLOBNODE", 613, old_trace=old)
        recs.append(r)
    first = min(r["st"] for r in recs if r["code"] == 613)
    assert first == INCIDENT_T * TICK + 27_183_093
    return recs


def gen_access(g):
    rng = g.rng
    recs = []
    for st in poisson(rng, 0.19):
        host = rng.choice(ACCESS_HOSTS)
        r = {"module": "ACCESS", "st": st}
        kind = pick(rng, [("put", 25), ("get", 55), ("delete", 10), ("alloc", 10)])
        size = rng.choice([4096, 65536, 65536, 524288, 1048576, 4194304])
        hp = f"{host}:9500"
        err_p = ramp(st, INCIDENT_T, 12, 0.05, 0.40) if st >= INCIDENT_T * TICK + 30_000_000 else 0.0
        vid = rng.randint(40, 320)
        loc = {"location": {"blob_size": 4194304, "blobs": [{"count": 1, "min_bid": g.next_bid(), "vid": vid}],
                            "cluster_id": 1, "code_mode": 11, "crc": rng.getrandbits(32), "size": size}}
        if kind == "put":
            r.update(method="PUT", path="/put")
            r["reqh"] = g.reqh(hp, g.client_ip(), body_size=size, ctype="application/octet-stream",
                               raw=f"size={size}&hashes=4", ua=UA_SDK)
            code = pick(rng, [(200, 985), (499, 5), (552, 4), (553, 3), (551, 2), (400, 1)])
            if err_p and rng.random() < err_p / 3:
                code = pick(rng, [(500, 2), (499, 1)])
            r["dur"] = g.dur(9000 if size <= 65536 else 60000, 0.8)
            g.respond(r, "ACCESS", code, ok_body=gojson(loc))
        elif kind == "get":
            r.update(method="POST", path="/get")
            r["reqh"] = g.reqh(hp, g.client_ip(), body_size=0, ctype="application/json", ua=UA_SDK)
            r["params"] = gojson({"location": loc["location"], "offset": 0, "read_size": size})
            ranged = rng.random() < 0.04
            code = pick(rng, [(206 if ranged else 200, 985), (404, 4), (499, 6), (552, 3), (551, 2)])
            if err_p and rng.random() < err_p:
                code = pick(rng, [(500, 3), (499, 2)])
            r["dur"] = g.dur(4000 if size <= 65536 else 35000, 0.8)
            g.respond(r, "ACCESS", code, ok_len=size if not ranged else 4096, ok_ctype="application/octet-stream")
        elif kind == "delete":
            r.update(method="POST", path="/delete")
            r["reqh"] = g.reqh(hp, g.client_ip(), ctype="application/json", ua=UA_SDK)
            r["params"] = gojson({"locations": [loc["location"]]})
            code = pick(rng, [(200, 990), (404, 10)])
            r["dur"] = g.dur(3000, 0.7)
            g.respond(r, "ACCESS", code, ok_body=gojson({"failed_locations": None}))
        else:
            r.update(method="POST", path="/alloc")
            r["reqh"] = g.reqh(hp, g.client_ip(), ctype="application/json", ua=UA_SDK)
            r["params"] = gojson({"size": size, "blob_size": 4194304, "code_mode": 11})
            code = pick(rng, [(200, 990), (552, 6), (551, 4)])
            r["dur"] = g.dur(1500, 0.6)
            g.respond(r, "ACCESS", code, ok_body=gojson(loc))
        if r["code"] == 500:
            r["dur"] = g.dur(2_500_000, 0.6)
        elif r["code"] == 499:
            r["dur"] = g.dur(8_000_000, 0.4)
        recs.append(r)
    return recs


def gen_clustermgr(g):
    rng = g.rng
    recs = []
    cm_hosts = [("10.9.0.1", 0.6), ("10.9.0.2", 0.2), ("10.9.0.3", 0.2)]
    for st in poisson(rng, 0.10):
        host = pick(rng, cm_hosts)
        hp = f"{host}:9998"
        r = {"module": "CLUSTERMGR", "st": st}
        kind = pick(rng, [("hb", 30), ("vget", 25), ("valloc", 12), ("dinfo", 12), ("svc", 8), ("cfg", 5),
                          ("vlist", 4), ("report", 4)])
        bn_ip = rng.choice(list(BN_HOSTS))
        if kind == "hb":
            r.update(method="POST", path="/disk/heartbeat")
            r["reqh"] = g.reqh(hp, bn_ip, body_size=rng.randint(600, 900), ctype="application/json")
            code = pick(rng, [(200, 995), (907, 5)])
            r["dur"] = g.dur(2200, 0.6)
            g.respond(r, "CLUSTERMGR", code, ok_body=gojson({"disks": [{"disk_id": rng.randint(211, 244), "status": 1}]}))
        elif kind == "vget":
            vid = rng.randint(40, 330)
            r.update(method="GET", path="/volume/get")
            r["reqh"] = g.reqh(hp, rng.choice(ACCESS_HOSTS), raw=f"vid={vid}")
            code = pick(rng, [(200, 985), (904, 15)])
            r["dur"] = g.dur(700, 0.6)
            body = gojson({"code_mode": 11, "vid": vid, "status": 1, "free": rng.randint(1 << 30, 1 << 35),
                           "units": [{"vuid": vuid(vid, i, 1), "disk_id": 211 + i, "host": "http://10.9.3.15:8889"} for i in range(2)]})
            g.respond(r, "CLUSTERMGR", code, ok_body=body)
        elif kind == "valloc":
            r.update(method="POST", path="/volume/alloc")
            r["reqh"] = g.reqh(hp, "10.9.2.5", ctype="application/json")
            r["params"] = gojson({"code_mode": 11, "count": 1, "is_init": False})
            code = pick(rng, [(200, 980), (917, 20)])
            r["dur"] = g.dur(5000, 0.7)
            g.respond(r, "CLUSTERMGR", code, ok_body=gojson({"alloc_volume_infos": [{"vid": rng.randint(40, 330), "expire_time": 1763985600}]}))
        elif kind == "dinfo":
            d = rng.choice([211, 212, 221, 231, 232, 233, 234, 241])
            r.update(method="GET", path="/disk/info")
            r["reqh"] = g.reqh(hp, "10.9.4.1", raw=f"disk_id={d}", ua=UA_SCHED)
            r["dur"] = g.dur(500, 0.5)
            g.respond(r, "CLUSTERMGR", 200, ok_body=gojson({"disk_id": d, "status": 1, "readonly": False}))
        elif kind == "svc":
            name = rng.choice(["PROXY", "SCHEDULER", "BLOBNODE"])
            r.update(method="GET", path="/service/get")
            r["reqh"] = g.reqh(hp, rng.choice(ACCESS_HOSTS), raw=f"name={name}")
            r["dur"] = g.dur(400, 0.5)
            g.respond(r, "CLUSTERMGR", 200, ok_body=gojson({"nodes": [{"cluster_id": 1, "name": name, "host": "http://10.9.2.5:9600", "idc": "z0"}]}))
        elif kind == "cfg":
            key = rng.choice(["code_mode", "balance", "disk_repair", "volume_inspect"])
            r.update(method="GET", path="/config/get")
            r["reqh"] = g.reqh(hp, "10.9.4.1", raw=f"key={key}", ua=UA_SCHED)
            r["dur"] = g.dur(350, 0.5)
            g.respond(r, "CLUSTERMGR", 200, ok_body=gojson({"value": "true"}))
        elif kind == "vlist":
            marker = rng.randint(0, 200)
            r.update(method="GET", path="/volume/list")
            r["reqh"] = g.reqh(hp, "10.9.4.1", raw=f"marker={marker}&count=10", ua=UA_SCHED)
            r["dur"] = g.dur(3000, 0.6)
            g.respond(r, "CLUSTERMGR", 200, ok_body=gojson({"marker": marker + 10, "volumes": [{"vid": marker + i, "status": 1} for i in range(1, 4)]}))
        else:
            r.update(method="POST", path="/chunk/report")
            r["reqh"] = g.reqh(hp, bn_ip, body_size=rng.randint(200, 400), ctype="application/json")
            r["dur"] = g.dur(1500, 0.6)
            g.respond(r, "CLUSTERMGR", 200)
        recs.append(r)
    # The operator marks disk 233 broken at 10:51:13.
    st = (T0 + 51 * 60 + 13) * TICK + 4207315
    r = {"module": "CLUSTERMGR", "st": st, "method": "POST", "path": "/disk/set", "dur": 18422,
         "reqh": g.reqh("10.9.0.1:9998", "10.9.0.250", ctype="application/json", ua="blobstore-cli/1.2.0"),
         "params": gojson({"disk_id": INCIDENT_DISK, "status": 2})}
    g.respond(r, "CLUSTERMGR", 200)
    recs.append(r)
    return recs


def gen_proxy(g):
    rng = g.rng
    recs = []
    for st in poisson(rng, 0.085):
        r = {"module": "PROXY", "st": st}
        hp = "10.9.2.5:9600"
        kind = pick(rng, [("valloc", 45), ("balloc", 30), ("delmsg", 20), ("cache", 5)])
        caller = rng.choice(ACCESS_HOSTS)
        if kind == "valloc":
            r.update(method="POST", path="/volume/alloc")
            r["reqh"] = g.reqh(hp, caller, ctype="application/json", ua=UA_SDK)
            fsize = rng.choice([65536, 1048576, 4194304])
            r["params"] = gojson({"bid_count": 1, "code_mode": 11, "fsize": fsize, "host": f"http://{caller}:9500"})
            code = pick(rng, [(200, 985), (801, 8), (499, 7)])
            r["dur"] = g.dur(1200, 0.7)
            g.respond(r, "PROXY", code, ok_body=gojson([{"vid": rng.randint(40, 330), "min_bid": g.next_bid(), "count": 1}]))
        elif kind == "balloc":
            r.update(method="POST", path="/bid/alloc")
            r["reqh"] = g.reqh(hp, caller, ctype="application/json", ua=UA_SDK)
            r["params"] = gojson({"count": rng.choice([1, 1, 2, 4])})
            code = pick(rng, [(200, 990), (802, 10)])
            r["dur"] = g.dur(800, 0.6)
            g.respond(r, "PROXY", code, ok_body=gojson({"bid": g.next_bid(), "count": 1}))
        elif kind == "delmsg":
            r.update(method="POST", path="/deletemsg")
            r["reqh"] = g.reqh(hp, caller, ctype="application/json", ua=UA_SDK)
            r["params"] = gojson({"cluster_id": 1, "delete_blobs": [{"bid": rng.randint(80_000_000, g.bid), "vid": rng.randint(40, 330)}]})
            r["dur"] = g.dur(2000, 0.6)
            g.respond(r, "PROXY", 200)
        else:
            vid = rng.randint(40, 330)
            r.update(method="GET", path=f"/cache/volume/{vid}")
            r["reqh"] = g.reqh(hp, caller, raw="flush=false", ua=UA_SDK)
            r["dur"] = g.dur(200, 0.5)
            g.respond(r, "PROXY", 200, ok_body=gojson({"vid": vid, "code_mode": 11}))
        recs.append(r)
    return recs


def gen_scheduler(g):
    rng = g.rng
    recs = []
    hp = "10.9.4.1:9800"
    repair_from = (T0 + 51 * 60 + 40) * TICK   # disk repair tasks exist once disk 233 is marked broken
    events = []
    for i, host in enumerate(BN_HOSTS):
        for path, period in (("/task/acquire", 34.0), ("/inspect/acquire", 61.0)):
            t = (T0 + rng.uniform(0, period)) * TICK
            while t < (T0 + HOUR) * TICK:
                events.append((int(t), path, host))
                t += (period + rng.uniform(-3.0, 3.0)) * TICK
    events.sort()
    for st, path, host in events:
        r = {"module": "SCHEDULER", "st": st, "method": "POST", "path": path}
        r["reqh"] = g.reqh(hp, host, ctype="application/json")
        if path == "/task/acquire":
            p_task = 0.08 if st < repair_from else 0.55
            if rng.random() < p_task:
                ttype = "disk_repair" if st >= repair_from and rng.random() < 0.8 else "balance"
                task_id = "%s-%d-%016x" % (ttype, INCIDENT_DISK if ttype == "disk_repair" else rng.randint(211, 244), rng.getrandbits(64))
                r["dur"] = g.dur(2500, 0.6)
                g.respond(r, "SCHEDULER", 200, ok_body=gojson({"task_id": task_id, "task_type": ttype}))
                recs.append(r)
                # the worker reports back a few seconds later
                r2 = {"module": "SCHEDULER", "st": st + rng.randint(20, 90) * TICK, "method": "POST",
                      "path": rng.choice(["/task/report", "/task/renewal"]),
                      "reqh": g.reqh(hp, host, ctype="application/json"),
                      "params": gojson({"task_id": task_id, "task_type": ttype})}
                r2["dur"] = g.dur(1800, 0.6)
                g.respond(r2, "SCHEDULER", pick(rng, [(200, 97), (499, 3)]))
                if r2["st"] < (T0 + HOUR) * TICK:
                    recs.append(r2)
                continue
            r["dur"] = g.dur(260, 0.4)
            g.respond(r, "SCHEDULER", 700)
        else:
            if rng.random() < 0.2:
                task_id = "inspect-%d-%016x" % (rng.randint(40, 330), rng.getrandbits(64))
                r["dur"] = g.dur(1800, 0.6)
                g.respond(r, "SCHEDULER", 200, ok_body=gojson({"task_id": task_id, "mode": 11}))
            else:
                r["dur"] = g.dur(240, 0.4)
                g.respond(r, "SCHEDULER", 700)
        recs.append(r)
    recs.sort(key=lambda x: x["st"])
    return recs


def gen_shardnode(g):
    rng = g.rng
    recs = []
    for st in poisson(rng, 0.085):
        r = {"module": "SHARDNODE", "st": st, "method": "POST"}
        hp = "10.9.2.27:9100"
        path = pick(rng, [("/shard/get", 30), ("/item/insert", 25), ("/item/get", 25), ("/item/delete", 10),
                          ("/item/list", 5), ("/shard/stats", 5)])
        r["path"] = path
        r["reqh"] = g.reqh(hp, rng.choice(ACCESS_HOSTS), body_size=rng.randint(40, 300) if path.startswith("/item") else 0,
                           ctype="application/json", ua=UA_SDK)
        if path == "/item/get":
            code = pick(rng, [(200, 960), (404, 30), (499, 10)])
        elif path == "/shard/get":
            code = pick(rng, [(200, 940), (206, 50), (499, 10)])
        else:
            code = pick(rng, [(200, 995), (499, 5)])
        r["dur"] = g.dur(450, 0.7) if code != 499 else g.dur(3_000_000, 0.4)
        g.respond(r, "SHARDNODE", code, ok_body=gojson({"location": {"size": 4096}}) if path != "/item/delete" else "")
        recs.append(r)
    return recs


def split_by_time(recs, cut_times):
    """Split time-ordered records into len(cut_times)+1 parts at the given unix seconds."""
    parts, cur, ci = [], [], 0
    for r in recs:
        while ci < len(cut_times) and r["st"] >= cut_times[ci] * TICK:
            parts.append(cur)
            cur, ci = [], ci + 1
        cur.append(r)
    parts.append(cur)
    while len(parts) < len(cut_times) + 1:
        parts.append([])
    return parts


def mid_line_cut(data, frac):
    """A byte position near `frac` of data that falls inside a line (not at a line start)."""
    pos = int(len(data) * frac)
    while data[pos - 1:pos] == b"\n" or data[pos:pos + 1] == b"\n":
        pos += 1
    return pos


def line_cut(data, frac):
    """A byte position near `frac` of data right after a LF."""
    return data.index(b"\n", int(len(data) * frac)) + 1


def two_member_gz(data, frac, mid_line):
    cut = mid_line_cut(data, frac) if mid_line else line_cut(data, frac)
    return gz(data[:cut]) + gz(data[cut:])


def two_frame_zst(data, frac, mid_line):
    cut = mid_line_cut(data, frac) if mid_line else line_cut(data, frac)
    return zst(data[:cut]) + zst(data[cut:])


def make_cluster(g):
    root = HERE / "cluster"
    # (service dir, generator, json?, suffix, [(index, compression, mid_line_split)], cut times)
    m = lambda h, mi: T0 + h * 3600 + mi * 60  # noqa: E731
    layout = [
        ("access", gen_access, False, ".log", [(4, "gz2", False), (5, "plain", None)], [m(0, 27)]),
        ("blobnode", gen_blobnode, False, "", [(9, "gz2", True), (10, "zst2", False), (36, "plain", None)],
         [m(0, 18), m(0, 46) + 17]),
        ("clustermgr", gen_clustermgr, False, "", [(1, "zst2", True), (2, "plain", None)], [m(0, 35)]),
        ("proxy", gen_proxy, False, "", [(2, "gz1", None), (3, "plain", None)], [m(0, 22)]),
        ("scheduler", gen_scheduler, False, "", [(0, "gz2", False), (1, "plain", None)], [m(0, 31)]),
        ("shardnode", gen_shardnode, True, "", [(6, "zst2", True), (7, "plain", None)], [m(0, 40)]),
    ]
    summary = {}
    # blobnode first: ACCESS's follow-on errors start after the first 613
    for svc, fn, is_json, suffix, files, cuts in sorted(layout, key=lambda x: x[0] != "blobnode"):
        recs = fn(g)
        recs.sort(key=lambda r: r["st"])
        for r in recs:      # a client that went away waited a long time first
            if r["code"] == 499 and r["dur"] < 1_000_000:
                r["dur"] = g.dur(3_000_000, 0.5)
        parts = split_by_time(recs, cuts)
        for (idx, comp, mid), part in zip(files, parts):
            data = lines_bytes([json_line(r) if is_json else text_line(r) for r in part])
            name = rot_name(idx, suffix)
            if comp == "gz2":
                blob, name = two_member_gz(data, 0.55, mid), name + ".gz"
            elif comp == "gz1":
                blob, name = gz(data), name + ".gz"
            elif comp == "zst2":
                blob, name = two_frame_zst(data, 0.5, mid), name + ".zst"
            else:
                blob = data
            write(root / svc / "auditlog" / name, blob)
        summary[svc] = recs
    return summary


# --------------------------------------------------------------------------- awkward

def simple(g, module, st, code, dur, *, svc=None, method="GET", path=None, rlen=None, host="10.9.3.15:8889",
           old=False, params="", body=None):
    """One realistic record as a dict (text or JSON rendering left to the caller)."""
    svc = svc or module.split("@")[0]
    if path is None:
        path = "/shard/get/diskid/212/vuid/%d/bid/%d" % (vuid(98, 3, 1), g.next_bid())
    r = {"module": module, "st": st, "method": method, "path": path, "params": params,
         "reqh": g.reqh(host, "10.9.1.2", raw="iotype=0" if path.startswith("/shard/get/") else None)}
    if body is not None:
        g.respond(r, svc, code, ok_body=body, old_trace=old)
    else:
        g.respond(r, svc, code, ok_len=65536 if rlen is None else rlen, ok_ctype="application/octet-stream",
                  old_trace=old)
    r["dur"] = dur
    return r


def st_at(sec, frac_ticks=0):
    return (T0 + sec) * TICK + frac_ticks


def tl(g, *a, **kw):
    return text_line(simple(g, *a, **kw))


def with_field(line, idx, value):
    f = line.split("\t")
    f[idx] = value
    return "\t".join(f)


def make_awkward(g):
    root = HERE / "awkward"
    rec = lambda sec, code=200, dur=1834, module="BLOBNODE@10.9.3.15:8889", **kw: tl(  # noqa: E731
        g, module, st_at(sec, g.rng.randint(0, TICK - 1)), code, dur, **kw)

    # crlf.log: CRLF endings; a CRLF-only line; a line ending CR CR LF (only one CR is removed, so the
    # duration is "...\r" -> bad_number); the last line is a record + CR with no LF (a valid tail).
    crlf = [rec(1) + "\r\n", rec(2, 206, 912) + "\r\n", "\r\n", rec(3, 651, 2210) + "\r\n",
            rec(4) + "\r\r\n", rec(5, 200, 15) + "\r\n", rec(6, 200, 77) + "\r"]
    write(root / "crlf.log", "".join(crlf))

    # prefix.log: shipper prefixes before REQ\t.
    prefix = [
        "2025-11-24T10:00:01Z host1 " + rec(1),
        "2025-11-24T10:00:01.5Z\tbn-15\t" + rec(2, 200, 410),          # prefix containing TABs
        "<14>Nov 24 10:00:02 bn-15 auditlog: " + rec(3, 613, 55021),    # syslog style
        "[shipper]" + rec(4, 200, 3001),                                 # prefix glued to REQ
        rec(5).replace("\t", " "),                                       # spaces instead of tabs -> no_req
        "REQUEST\t" + rec(6)[4:],                                        # REQUEST\t is not REQ\t -> no_req
        "tag=REQ\tx " + rec(7),                                          # first REQ\t is in the prefix -> 13 fields
        "   " + rec(8, 200, 999),                                        # leading spaces, text -> record
    ]
    write(root / "prefix.log", lines_bytes(prefix))

    # malformed.log: every reason, check order, blanks, 14-field lines.
    base = rec(10)
    f12 = base.split("\t")
    mal = [
        rec(9),                                                        # record
        "hello world",                                                 # no_req
        "10.0.4.4 - - [24/Nov/2025:10:00:11 +0000] \"GET /shard/get HTTP/1.1\" 200 4096",  # no_req
        "REQ",                                                         # no_req (no TAB after REQ)
        "req\t" + base[4:],                                            # no_req (lower case)
        "",                                                            # empty
        "   ",                                                         # empty (spaces)
        "\t\t",                                                        # empty (tabs)
        " \t \t",                                                      # empty (mixed)
        "\t".join(f12[:9] + f12[10:]),                                 # field_count: 11 (body dropped)
        base + "\t",                                                   # field_count: 13 (trailing TAB)
        base + "\t0\tdefault\t1",                                      # field_count: 15
        "REQ\t",                                                       # field_count: 2
        "\t".join(f12[:9] + f12[10:]).replace("\t200\t", "\tOK\t"),   # 11 fields and bad code -> field_count
        with_field(base, 7, "OK"),                                     # bad_code: letters
        with_field(base, 7, ""),                                       # bad_code: empty
        with_field(base, 7, "2OO"),                                    # bad_code: letter O
        with_field(base, 7, "1234567890"),                             # bad_code: 10 digits
        with_field(base, 7, "-1"),                                     # bad_code: sign
        with_field(base, 7, " 200"),                                   # bad_code: space
        with_field(base, 7, "\uff12\uff10\uff10"),                     # bad_code: full-width digits
        with_field(with_field(base, 7, "2xx"), 11, "-5"),              # bad code and bad duration -> bad_code
        with_field(base, 2, "1763978411x234567"),                      # bad_number: start time with a letter
        with_field(base, 2, ""),                                       # bad_number: empty start time
        with_field(base, 2, "17639784110000000000"),                   # bad_number: start time 20 digits
        with_field(base, 11, "-5"),                                    # bad_number: negative duration
        with_field(base, 11, ""),                                      # bad_number: empty duration
        with_field(base, 11, "12345678901234567890"),                  # bad_number: duration 20 digits
        with_field(base, 10, "abc"),                                   # bad_number: response length
        with_field(base, 11, "1834 "),                                 # bad_number: trailing space
        base + "\t0\tdefault",                                         # 14 fields: record
        rec(12, 206, 733) + "\t\t",                                    # 14 fields (two empty extras): record
        with_field(rec(13, 200, 1), 7, "123456789"),                   # 9-digit code: record
        with_field(rec(14, 200, 2), 11, "1000000000000000000"),        # 19-digit duration: record
        with_field(rec(15, 200, 3), 10, "0"),                          # zero length: record
        "",                                                            # empty
        rec(16, 200, 1618),                                            # record
    ]
    write(root / "malformed.log", lines_bytes(mal))

    # units.log: start times in every unit; RPC module, one status code per digit count.
    def urec(st_str, code):
        line = tl(g, "RPC", 0, code, 100 + code, host="127.0.0.1:9999", path="/ping", rlen=0)
        return with_field(line, 2, st_str)
    units = [
        urec("1763978401", 201),            # 10 digits: seconds
        urec("17639784011", 202),           # 11 digits: milliseconds (1970)
        urec("1763978401123", 203),         # 13 digits: milliseconds
        urec("17639784011234", 204),        # 14 digits: microseconds (1970)
        urec("1763978401123456", 205),      # 16 digits: microseconds
        urec("17639784011234567", 206),     # 17 digits: 100 ns
        urec("17639784029999999", 206),     # 17 digits: truncated, not rounded
        urec("176397840112345678", 207),    # 18 digits: nanoseconds (1975)
        urec("1763978401123456789", 208),   # 19 digits: nanoseconds
        urec("1763978403999999999", 208),   # 19 digits: truncated, not rounded
    ]
    write(root / "units.log", lines_bytes(units))

    # nul.log: NUL bytes make a line `binary`; high bytes without NUL are just no_req.
    junk = bytes(g.rng.randint(0x80, 0xFF) for _ in range(120))
    nul = (rec(20).encode() + b"\n"
           + b"\x00" * 37 + rec(21).encode() + b"\n"      # NUL padding before REQ -> binary
           + b"\x00" * 64 + b"\n"                           # NULs alone -> binary
           + junk + b"\n"                                   # 0x80-0xff junk -> no_req
           + rec(22, 200, 512).encode() + b"\n"
           + with_field(rec(23), 6, "{\"a\":\"\x00\"}").encode() + b"\n"  # valid record with a NUL inside -> binary
           + rec(24, 200, 640).encode() + b"\n")
    write(root / "nul.log", nul)

    # nul-tail.log: a crashed writer's NUL padding at the very end, no LF -> incomplete_tail.
    write(root / "nul-tail.log", rec(25).encode() + b"\n" + rec(26, 200, 700).encode() + b"\n" + b"\x00" * 4096)

    # json-mixed.log: text and JSON records, every JSON failure.
    def jrec(sec, code=200, dur=431, **kw):
        return simple(g, "SHARDNODE", st_at(sec, g.rng.randint(0, TICK - 1)), code, dur, method="POST",
                      path="/shard/get", host="10.9.2.27:9100", body=gojson({"location": {"size": 4096}}), **kw)
    good = json_line(jrec(40))
    jm = [
        rec(39, module="ACCESS", svc="ACCESS", path="/get", method="POST", host="10.9.1.2:9500"),  # text record
        good,                                                                   # JSON record
        json_line(jrec(41))[:97],                                               # truncated object -> bad_json
        json_line(jrec(42)) + " xyz",                                           # trailing garbage -> bad_json
        json_line(jrec(43)).replace('"status_code":200', '"status_code":"200"'),   # string code -> bad_code
        json_line(jrec(44)).replace('"req_type":"REQ"', '"req_type":"RSP"'),       # RSP -> no_req
        json_line(jrec(45)).rsplit(',"duration"', 1)[0] + "}",                    # no duration -> bad_number
        "    " + json_line(jrec(46, 206, 388)),                                  # leading spaces -> record
        "\t" + json_line(jrec(47, 404, 1290)),                                   # leading TAB -> record
        json_line(jrec(48)).replace('"module":"SHARDNODE"', '"module":7'),       # module not a string -> bad_json
        json_line(jrec(49)).replace('"status_code":200', '"status_code":-1'),    # negative code -> bad_code
        json_line(jrec(50)).replace('"status_code":200', '"status_code":1234567890'),  # 10 digits -> bad_code
        json_line(jrec(51)).replace('"status_code":200', '"status_code":200.0'),  # float code -> bad_code
        json_line(jrec(52)).replace('"status_code":200', '"status_code":true'),  # bool code -> bad_code
        None,                                                                    # float start_time, set below
        json_line(jrec(54)).replace('"duration":431', '"duration":null'),      # null duration -> bad_number
        json_line(jrec(55)).replace('"resp_length":26', '"resp_length":"26"'),  # string length -> bad_number
        "[1,2,3]",                                                               # not { -> text -> no_req
        "{}",                                                                    # no req_type -> no_req
        json_line(jrec(56)).replace('"req_type":"REQ"', '"req_type":"RSP"').replace('"status_code":200', '"status_code":"x"'),  # RSP + bad code -> no_req
        "{shipper} " + rec(57),                                                  # starts with { -> bad_json
        json_line(jrec(58, old=True)),                                           # Traceid key -> record
        json_line(jrec(59)).replace('"resp_header":{', '"resp_header":null,"x":{'),  # resp_header null -> record
        json_line(jrec(60)).replace('"status_code":200', '"status_code":499'),   # record 499
        rec(61, 200, 810),                                                       # text record
    ]
    # line 15: start_time as a float -> bad_number
    r = jrec(53)
    jm[14] = json_line(r).replace('"start_time":%d' % r["st"], '"start_time":%d.5' % r["st"])
    # sanity: every replace above really changed the line
    assert '"status_code":"200"' in jm[4] and '"req_type":"RSP"' in jm[5] and '"duration"' not in jm[6]
    assert '"module":7' in jm[9] and '"status_code":-1' in jm[10] and '"status_code":1234567890' in jm[11]
    assert '"status_code":200.0' in jm[12] and '"status_code":true' in jm[13] and '.5,' in jm[14]
    assert '"duration":null' in jm[15] and '"resp_length":"26"' in jm[16] and '"status_code":"x"' in jm[19]
    assert '"resp_header":null' in jm[22] and '"status_code":499' in jm[23]
    write(root / "json-mixed.log", lines_bytes(jm))

    # tail-incomplete.log: the writer is in the middle of a line.
    tail = [rec(70 + i, 200, 900 + i) for i in range(5)]
    cut = rec(76, 613, 40122)
    write(root / "tail-incomplete.log", lines_bytes(tail) + cut[: len(cut) * 2 // 3].encode())

    # tail-complete.log: last line is a whole record without LF.
    tail2 = [rec(80 + i, 200, 700 + i) for i in range(5)]
    write(root / "tail-complete.log", lines_bytes(tail2) + rec(86, 206, 321).encode())

    # oversized.log: long records (truncated big response bodies of /volume/list) of 5000, 4097 and
    # exactly 4096 bytes (without the LF) among normal ones.
    def long_line(sec, total):
        vols = ",".join(gojson({"code_mode": 11, "free": 30064771072 - v * 977, "status": 1, "total": 34359738368,
                                "used": 4294967296 + v * 977, "vid": v}) for v in range(1, 80))
        body_full = '{"marker":80,"volumes":[' + vols + "]}"
        r = simple(g, "CLUSTERMGR", st_at(sec, 3141592), 200, 41877, path="/volume/list", host="10.9.0.1:9998",
                   method="GET", rlen=len(body_full))
        r["reqh"]["RawQuery"] = "marker=0&count=79"
        r["resph"]["Content-Type"] = "application/json"
        r["body"] = ""
        empty_len = len(text_line(r).encode())
        r["body"] = body_full[: total - empty_len]      # the writer keeps only a prefix of big bodies
        line = text_line(r)
        assert len(line.encode()) == total, (len(line), total)
        return line
    ov = [rec(90), rec(91, 200, 402), long_line(92, 5000), rec(93, 651, 3377), long_line(94, 4097),
          long_line(95, 4096), rec(96, 200, 1200)]
    write(root / "oversized.log", lines_bytes(ov))

    # module-host.log: the module field with and without @host:port.
    mh = [
        rec(100, 613, 88120, module="BLOBNODE@10.9.3.17:8889", host="10.9.3.17:8889"),
        rec(101, 200, 1620, module="BLOBNODE@10.9.3.18:8889", host="10.9.3.18:8889"),
        rec(102, 200, 1710, module="BLOBNODE", host="10.9.3.16:8889", old=True),
        rec(103, 200, 1540, module="BLOBNODE@10.9.3.17:8889", host="10.9.3.17:8889"),
        rec(104, 200, 5120, module="ACCESS@127.0.0.2:9500", svc="ACCESS", method="POST", path="/get",
            host="127.0.0.2:9500"),
        rec(105, 200, 810, module="PROXY@[fd00::12]:9600", svc="PROXY", method="POST", path="/volume/alloc",
            host="[fd00::12]:9600"),
        rec(106, 200, 1320, module="Blobnode@10.9.3.15:8889", svc="BLOBNODE"),   # case matters: own service
        rec(107, 700, 201, module="SCHEDULER@10.9.4.1:9800@x", svc="SCHEDULER", method="POST",
            path="/task/acquire", host="10.9.4.1:9800"),                          # up to the FIRST @
        rec(108, 200, 1490, module="BLOBNODE@", host="10.9.3.18:8889"),           # empty host part
        rec(109, 200, 90, module="RPC", svc="BLOBNODE", path="/ping", host="127.0.0.1:9999"),
    ]
    write(root / "module-host.log", lines_bytes(mh))

    # split-member.log.gz: two gzip members split inside a line; the stream ends without LF
    # (the tail is a whole record, so 4 records).
    sm = lines_bytes([rec(110 + i, 200, 1000 + i) for i in range(3)]) + rec(114, 200, 1004).encode()
    cut = mid_line_cut(sm, 0.5)
    write(root / "split-member.log.gz", gz(sm[:cut]) + gz(sm[cut:]))

    # magic-gzip.log: gzip content without a .gz name (detect by magic bytes).
    write(root / "magic-gzip.log", gz(lines_bytes([rec(120 + i, 200, 2000 + i) for i in range(3)])))

    # plain-named.gz: plain text despite the .gz name (no gzip magic -> read as text).
    write(root / "plain-named.gz", lines_bytes([rec(130 + i, 200, 3000 + i) for i in range(2)]))

    # zero.log: an empty file (0 lines).
    write(root / "zero.log", b"")


# --------------------------------------------------------------------------- broken

def make_broken(g):
    root = HERE / "broken"
    rec = lambda sec, code=200, dur=1500: tl(  # noqa: E731
        g, "BLOBNODE@10.9.3.18:8889", st_at(sec, g.rng.randint(0, TICK - 1)), code, dur, host="10.9.3.18:8889")

    # trunc.log.gz: two members, the second cut in the middle of its compressed data.
    a = lines_bytes([rec(200 + i, 200, 1200 + 13 * i) for i in range(12)])
    b = lines_bytes([rec(220 + i, 200, 1300 + 17 * i) for i in range(12)])
    m2 = gz(b)
    cut = len(m2) * 3 // 4
    while True:
        # Keep the cut where the decodable output ends well inside a line (>= 60 bytes from either end),
        # so any decoder that keeps its output up to the error sees the same complete lines.
        d = zlib.decompressobj(31)
        out = d.decompress(m2[:cut])
        last = out[out.rfind(b"\n") + 1:]
        full = b.split(b"\n")[out.count(b"\n")]
        if out.count(b"\n") >= 3 and 60 <= len(last) <= len(full) - 60:
            break
        cut += 1
    write(root / "trunc.log.gz", gz(a) + m2[:cut])

    # trailing-garbage.log.gz: one valid member, then 100 junk bytes (not a gzip header).
    c = lines_bytes([rec(240 + i, 200, 1100 + 7 * i) for i in range(10)])
    junk = bytes([0x5A]) + bytes(g.rng.randint(0, 255) for _ in range(99))
    write(root / "trailing-garbage.log.gz", gz(c) + junk)

    # empty.log.gz: 0 bytes.
    write(root / "empty.log.gz", b"")

    # corrupt.log.zst: two frames; bytes flipped in the middle of the file, at the first block header
    # of the second frame (block type set to the reserved value 3), so decoding stops there.
    # The first frame ends inside a line.
    d = lines_bytes([rec(260 + i, 200, 900 + 11 * i) for i in range(16)])
    cut = mid_line_cut(d, 0.5)
    f1, f2 = zst(d[:cut]), zst(d[cut:])
    fhd = f2[4]
    fcs_flag, single, dict_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
    hdr_len = 4 + 1 + (0 if single else 1) + [0, 1, 2, 4][dict_flag] + \
        ([1 if single else 0, 2, 4, 8][fcs_flag])
    f2 = bytearray(f2)
    f2[hdr_len] |= 0b110            # block type 3 (reserved): "corrupted block"
    f2[hdr_len + 5] ^= 0xFF         # and a couple more flipped bytes after it
    f2[hdr_len + 9] ^= 0xFF
    write(root / "corrupt.log.zst", f1 + bytes(f2))

    # Not logs: a directory walk must skip them.
    notes = ("Incident 2025-11-24, disk 233 on 10.9.3.17\n"
             "- 10:42 first 613 seen by ops, disk marked broken at 10:51\n"
             "- TODO: attach smartctl output\n").encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        ti = tarfile.TarInfo("notes/incident.txt")
        ti.size, ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = len(notes), 1764000000, 0o644, 0, 0, "", ""
        tf.addfile(ti, io.BytesIO(notes))
    write(root / "notes.tar", buf.getvalue())
    cfg = {
        "bind_addr": ":8889",
        "cluster_id": 1,
        "auditlog": {"logdir": "/var/log/blobstore/blobnode/auditlog", "chunkbits": 29, "rotate_new": True,
                     "log_file_suffix": "", "backup": 10, "log_format": "text"},
        "disks": [{"path": "/home/service/disks/data3", "auto_format": True}],
    }
    write(root / "config.json", json.dumps(cfg, indent=2) + "\n")


# --------------------------------------------------------------------------- real writer copy

def copy_real_writer():
    dst = HERE / "real-writer"
    for src in sorted(REAL_WRITER_SRC.rglob("*")):
        if src.is_file():
            out = dst / src.relative_to(REAL_WRITER_SRC)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)   # content only; the source is read-only


def main():
    for d in ("cluster", "awkward", "broken", "real-writer"):
        shutil.rmtree(HERE / d, ignore_errors=True)
    rng = random.Random(SEED)
    g = Gen(rng)
    make_cluster(g)
    make_awkward(g)
    make_broken(g)
    copy_real_writer()
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(f"testdata written, {total} bytes")


if __name__ == "__main__":
    main()
