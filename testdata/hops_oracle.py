#!/usr/bin/env python3
"""Independent reference for `bsaudit hops` and `bsaudit trace`, written from docs/tracelog.md.

    python3 testdata/hops_oracle.py PATH [FILTERS] [--by host,disk]   # hops: per (service, downstream)
    python3 testdata/hops_oracle.py PATH [FILTERS] --trace ID ...     # every record of the traces
    python3 testdata/hops_oracle.py --write-expected                  # testdata/expected/hops/*.json

Reading the input (walk order, decompression, line rules, records, filters) is the reference
counter's: this script imports testdata/oracle.py for it. Everything about Trace-Log is here,
from the format description only: where the value is, elements, pieces, the piece grammar (with
the port-versus-milliseconds rule), Go durations, own/stage/hop roles, the disk join.

Output is one JSON document. Hops are listed sorted by key (service, downstream, host, disk),
not ranked: the ranking is checked separately. Quantiles are exact nearest-rank values
(sorted index ceil(q*n) - 1); bsaudit reads them from a log-bucket histogram, within 0.8%.
"""

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import oracle  # noqa: E402  (the reference counter: walking, decoding, line rules, filters)

U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1
UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9,
           "m": 60 * 10**9, "h": 3600 * 10**9}
# Longer units first, so that "ms" is not read as "m" followed by "s".
TERM = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
ALL_DIGITS = re.compile(r"[0-9]+")
STAGE = re.compile(r"a_([0-9]{1,19})_r_([0-9]{1,19})_w_([0-9]{1,19})")
SERVICE_NAME = re.compile(r"[A-Z0-9_]+")


class Malformed(Exception):
    pass


# --------------------------------------------------------------------------- the header

def raw_resp_header(raw):
    """The response header of a record line, as ('text', str) for a text line's field 8 or
    ('obj', value) for a JSON line's resp_header."""
    stripped = raw.lstrip(b" \t")
    if stripped[:1] == b"{":
        obj = json.loads(raw.decode("utf-8"), parse_constant=oracle._no_constants)
        return "obj", obj.get("resp_header")
    i = raw.find(b"REQ\t")
    return "text", raw[i:].split(b"\t")[8]


def trace_log_value(raw):
    """('absent' | 'invalid' | 'array' | 'joined', value)."""
    kind, h = raw_resp_header(raw)
    if kind == "text":
        if h in (b"", b"null"):
            return "absent", None
        try:
            h = json.loads(h.decode("utf-8"), parse_constant=oracle._no_constants)
        except (UnicodeDecodeError, ValueError):
            return "invalid", None
    if h is None:
        return "absent", None
    if not isinstance(h, dict):
        return "invalid", None
    v = h.get("Trace-Log")
    if v is None:
        return "absent", None
    if isinstance(v, str):
        return "joined", v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "array", v
    return "invalid", None


def elements_of(kind, value):
    return value.split("|") if kind == "joined" else list(value)


# --------------------------------------------------------------------------- pieces

def is_digits(s):
    return ALL_DIGITS.fullmatch(s) is not None


def unit_duration_us(s):
    """A Go duration string, in microseconds (rounded down)."""
    if not s:
        raise Malformed(s)
    pos, total = 0, 0
    while pos < len(s):
        m = TERM.match(s, pos)
        if not m or (m.group(1) == "" and not m.group(2)):
            raise Malformed(s)
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        scale = UNIT_NS[unit]
        ns = (int(whole) if whole else 0) * scale
        frac = frac[:18]
        if frac:
            ns += int(frac) * scale // 10 ** len(frac)
        total += ns
        if total > I64_MAX:
            raise Malformed(s)
        pos = m.end()
    return total // 1000


def duration_us(s):
    """Integer milliseconds (1 to 19 digits) or a Go duration."""
    if is_digits(s):
        if len(s) > 19 or int(s) * 1000 > U64_MAX:
            raise Malformed(s)
        return int(s) * 1000
    return unit_duration_us(s)


def address(addr):
    """What follows '@': (host or None, duration in us or None)."""
    if addr == "":
        return None, None
    if addr.startswith("["):
        close = addr.find("]")
        if close < 0:
            raise Malformed(addr)
        tail = addr[close + 1:]
        if tail == "":
            return addr, None
        if not tail.startswith(":"):
            raise Malformed(addr)
        t = tail[1:]
        if ":" not in t:
            if is_digits(t):
                return addr, None
            return addr[:close + 1], unit_duration_us(t)
        port, rest = t.split(":", 1)
        if not is_digits(port):
            raise Malformed(addr)
        return addr[:close + 2 + len(port)], duration_us(rest)
    parts = addr.split(":")
    if len(parts) == 1:
        return addr, None
    if len(parts) == 2:
        host, last = parts
        if is_digits(last):
            return addr, None          # host:PORT, never milliseconds
        return host, unit_duration_us(last)
    if not is_digits(parts[-2]):
        raise Malformed(addr)
    return addr[:addr.rfind(":")], duration_us(parts[-1])


def piece(p):
    """One piece: ('empty',) | ('stage', a, r, w) | ('call', module, host, us or None, err or None)
    | ('malformed', p)."""
    if p == "":
        return ("empty",)
    m = STAGE.fullmatch(p)
    if m:
        return ("stage", int(m.group(1)), int(m.group(2)), int(m.group(3)))
    head, slash, err = p.partition("/")
    err = err if slash else None
    try:
        if "@" in head:
            module, _, addr = head.partition("@")
            host, dur = address(addr)
        elif ":" in head:
            module, _, d = head.rpartition(":")
            host, dur = None, duration_us(d)
        else:
            module, host, dur = head, None, None
        if module == "" or ":" in module:
            raise Malformed(p)
    except Malformed:
        return ("malformed", p)
    return ("call", module, host, dur, err)


def own_element(pieces, service, rec_host):
    calls = [x for x in pieces if x[0] != "empty"]
    if len(calls) != 1 or calls[0][0] != "call":
        return False
    _, module, host, _, _ = calls[0]
    return module == service and (host is None or rec_host is None or host == rec_host)


def roles(rec, kind, value):
    """[(element index, role, piece)] for every piece, in order."""
    service = rec["service"]
    rec_host = rec["module"].split("@", 1)[1] if "@" in rec["module"] else None
    out = []
    for i, e in enumerate(elements_of(kind, value)):
        ps = [piece(x) for x in e.split(";")]
        own = own_element(ps, service, rec_host)
        for x in ps:
            role = {"empty": "empty", "stage": "stage", "malformed": "malformed"}.get(x[0])
            if role is None:
                role = "own" if own else "hop"
            out.append((i, role, x))
    return out


# --------------------------------------------------------------------------- hops

def nearest(vals, permille):
    """The value at sorted index ceil(permille/1000 * n) - 1 (exact integers)."""
    if not vals:
        return 0
    rank = max(1, -(-permille * len(vals) // 1000))
    return sorted(vals)[rank - 1]


def latency(vals):
    return {"p50": nearest(vals, 500), "p99": nearest(vals, 990), "max": max(vals, default=0),
            "sum": sum(vals), "count": len(vals)}


def disk_index(path):
    """(trace, service, host) -> [(own us or None, disk)] over every record of the input."""
    _, _, _, kept = oracle.scan(path, filters=oracle.Filters())
    index = {}
    for _, _, raw, rec in kept:
        disk = oracle.dim_value(rec, "disk", 60 * 10**9)[1]
        tid = oracle.trace_id(rec)
        if disk == "-" or tid is None:
            continue
        own = None
        kind, value = trace_log_value(raw)
        if kind in ("array", "joined"):
            for _, role, x in roles(rec, kind, value):
                if role == "own" and own is None:
                    own = x[3] or 0
        index.setdefault((tid, rec["service"], oracle.dim_host(rec)), []).append((own, disk))
    return index


def join_disk(index, tid, module, host, us):
    entries = index.get((tid, module, "-" if host is None else host))
    if not entries:
        return "-"
    disks = {d for _, d in entries}
    if len(disks) == 1:
        return disks.pop()
    same = {d for o, d in entries if o == us}
    return same.pop() if len(same) == 1 else "?"


def hops(path, filters=None, by=()):
    c, by_reason, partial, kept = oracle.scan(path, filters=filters or oracle.Filters())
    index = disk_index(path) if "disk" in by else None
    counts = {k: 0 for k in ("records_with_log", "records_without_log", "records_invalid_log",
                             "elements", "own_pieces", "hop_pieces", "stage_pieces",
                             "malformed_pieces", "empty_pieces")}
    rows, stages = {}, {}
    for _, _, raw, rec in kept:
        kind, value = trace_log_value(raw)
        if kind == "absent":
            counts["records_without_log"] += 1
            continue
        if kind == "invalid":
            counts["records_invalid_log"] += 1
            continue
        counts["records_with_log"] += 1
        counts["elements"] += len(elements_of(kind, value))
        tid = oracle.trace_id(rec)
        for _, role, x in roles(rec, kind, value):
            counts[role + "_pieces"] += 1
            if role == "stage":
                s = stages.setdefault((rec["service"], oracle.dim_api(rec)), ([], [], []))
                for lst, ms in zip(s, x[1:]):
                    lst.append(ms * 1000)
            elif role == "hop":
                _, module, host, dur, err = x
                us = dur or 0
                key = [rec["service"], module]
                if "host" in by:
                    key.append("-" if host is None else host)
                if "disk" in by:
                    key.append(join_disk(index, tid, module, host, us) if tid is not None else "-")
                row = rows.setdefault(tuple(key), {"us": [], "errors": {}, "hosts": {}})
                row["us"].append(us)
                if err is not None:
                    row["errors"][err] = row["errors"].get(err, 0) + 1
                if "host" not in by and host is not None:
                    row["hosts"].setdefault(host, []).append(us)
    out_rows = []
    for key in sorted(rows, key=lambda k: [p.encode() for p in k]):
        row = rows[key]
        d = {"service": key[0], "downstream": key[1]}
        rest = list(key[2:])
        if "host" in by:
            d["host"] = rest.pop(0)
        if "disk" in by:
            d["disk"] = rest.pop(0)
        d["calls"] = len(row["us"])
        d["errors"] = sum(row["errors"].values())
        d["error_texts"] = dict(sorted(row["errors"].items()))
        d["latency_us"] = latency(row["us"])
        if row["hosts"]:
            # The host with the largest sum, ties by max then name (smallest first).
            best = max(row["hosts"].items(), key=lambda kv: (sum(kv[1]), max(kv[1]), _neg(kv[0])))
            d["top_host"] = {"host": best[0], "calls": len(best[1]), "sum_us": sum(best[1])}
        d["downstream_kind"] = ("service" if SERVICE_NAME.fullmatch(key[1]) or row["hosts"]
                                or ("host" in by and d["host"] != "-") else "step")
        out_rows.append(d)
    out_stages = []
    for (svc, api) in sorted(stages, key=lambda k: (k[0].encode(), k[1].encode())):
        a, r, w = stages[(svc, api)]
        out_stages.append({"service": svc, "api": api, "count": len(a),
                           "alloc_us": latency(a), "read_us": latency(r), "write_us": latency(w)})
    return {
        "input": {**c, "malformed": sum(by_reason.values()), "partial_files": partial},
        "by": list(by),
        "trace_logs": counts,
        "hops": out_rows,
        "stages": out_stages,
    }


class _neg:
    """Reverses string order inside a max() key."""

    def __init__(self, s):
        self.b = s.encode()

    def __lt__(self, o):
        return self.b > o.b

    def __eq__(self, o):
        return self.b == o.b


# --------------------------------------------------------------------------- traces

def traces(path, ids, display=None, filters=None):
    """Per id, its records by start time (ties in input order)."""
    _, _, _, kept = oracle.scan(path, filters=filters or oracle.Filters(), display=display)
    out = {i: [] for i in ids}
    for order, (fname, line, raw, rec) in enumerate(kept):
        tid = oracle.trace_id(rec)
        if tid in out:
            out[tid].append((rec["start_ns"], order, fname, line, rec))
    result = []
    for tid in ids:
        recs = sorted(out[tid], key=lambda x: (x[0], x[1]))
        result.append({"trace_id": tid, "records": [
            {"file": f, "line": n, "time": oracle.rfc3339_ns(r["start_ns"]), "service": r["service"],
             "code": r["code"], "duration_us": r["dur"]}
            for _, _, f, n, r in recs]})
    return result


# --------------------------------------------------------------------------- CLI

# expected/hops/<name>.json: name, path, bsaudit-style arguments
CASES = [
    ("cluster", "testdata/traces/cluster", []),
    ("cluster-by-host", "testdata/traces/cluster", ["--by", "host"]),
    ("cluster-by-host-disk", "testdata/traces/cluster", ["--by", "host,disk"]),
    ("cluster-access", "testdata/traces/cluster", ["--service", "access", "--by", "host"]),
    ("json", "testdata/traces/json", ["--by", "host,disk"]),
    ("forms", "testdata/traces/forms.log", ["--by", "host,disk"]),
    ("demo", "testdata/cluster", []),
]


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?")
    ap.add_argument("--service", action="append")
    ap.add_argument("--code", action="append")
    ap.add_argument("--since")
    ap.add_argument("--until")
    ap.add_argument("--last")
    ap.add_argument("--api", action="append")
    ap.add_argument("--host", action="append")
    ap.add_argument("--min-duration")
    ap.add_argument("--by", default="")
    ap.add_argument("--trace", nargs="+", help="list the records of these trace ids instead")
    ap.add_argument("--write-expected", action="store_true")
    return ap


def filters_of(a):
    sl = oracle.split_list
    return oracle.Filters(sl(a.service), sl(a.code), a.since or a.last, a.until, sl(a.api), sl(a.host),
                          (), a.min_duration)


def by_of(text):
    by = tuple(d.strip().lower() for d in text.split(",") if d.strip())
    if any(d not in ("host", "disk") for d in by) or len(set(by)) != len(by):
        raise SystemExit(f"bad --by: {text!r}")
    return tuple(d for d in ("host", "disk") if d in by)


def write_expected():
    repo = HERE.parent
    outdir = HERE / "expected" / "hops"
    outdir.mkdir(parents=True, exist_ok=True)
    for name, rel, args in CASES:
        a = build_parser().parse_args([str(repo / rel)] + args)
        res = hops(a.path, filters_of(a), by_of(a.by))
        doc = {"path": rel, "args": args, **res}
        (outdir / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        top = max(res["hops"], key=lambda h: (h["downstream_kind"] == "service", h["latency_us"]["sum"]),
                  default=None)
        print(f"hops/{name}: {res['input']['records']} records, {len(res['hops'])} rows, "
              f"{res['trace_logs']['hop_pieces']} calls; most time: "
              f"{top and (top['service'], top['downstream'], top.get('host'), top.get('disk'))}")
    # every traced request of the generated fixtures, from the generator's list
    tdir = HERE / "expected" / "traces"
    for name in ("cluster", "json"):
        listed = tdir / f"{name}.traces.tsv"
        ids = []
        for line in listed.read_text().splitlines():
            if line.startswith("#") or line.startswith("trace_id"):
                continue
            tid = line.split("\t", 1)[0]
            if tid not in ids:
                ids.append(tid)
        rel = f"testdata/traces/{name}"
        res = traces(repo / rel, ids, display=rel)
        # One trace per line: the file stays reviewable without growing by the indentation.
        body = ",\n".join(json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in res)
        (tdir / f"{name}.json").write_text(f'{{"path": {json.dumps(rel)}, "traces": [\n{body}\n]}}\n')
        print(f"traces/{name}: {len(ids)} traces, {sum(len(t['records']) for t in res)} records")


def main():
    ap = build_parser()
    a = ap.parse_args()
    if a.write_expected:
        write_expected()
        return
    if not a.path:
        ap.error("PATH is required")
    if a.trace:
        res = traces(a.path, a.trace, filters=filters_of(a))
    else:
        res = hops(a.path, filters_of(a), by_of(a.by))
    sys.stdout.write(json.dumps(res, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
