#!/usr/bin/env python3
"""Independent reference counter for bsaudit, written from docs/semantics.md only.

    python3 testdata/oracle.py PATH [--max-line N] [FILTERS] [--by DIMS] [--bucket D]
    python3 testdata/oracle.py PATH [FILTERS] --timeline [--bucket D] [--series service|group]
    python3 testdata/oracle.py PATH [FILTERS] --lines [--limit N]
    python3 testdata/oracle.py --write-expected      # regenerate testdata/expected/**.json

FILTERS: --service S (case-insensitive), --code SPEC (613, 6xx, 500-599), --since T, --until T,
--last D, --api A, --host H, --trace ID, --min-duration D. Every option that takes a list is
repeatable and comma-separated.

PATH is a file or a directory (walked recursively; `*.md`, `*.py`, `*.json`, `*.tar` and any
directory named `expected` are skipped). Files come in bsaudit's input order: by directory path,
then within a directory rotated names `<index>-<offset>[.suffix]` (base 36) in rotation order,
then the other names by name. Compression is detected by magic bytes: gzip (1f 8b, every member
decoded, output kept up to the first error) and zstd (28 b5 2f fd, `zstd -dc`, stdout kept even
when it fails). Prints one JSON document on stdout.
"""

import argparse
import datetime
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MAX_LINE = 1 << 20
REASONS = ("no_req", "field_count", "bad_code", "bad_number", "bad_json", "binary")
SKIP_SUFFIXES = (".md", ".py", ".json", ".tar")
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DIGITS = frozenset(b"0123456789")
BLANK = frozenset(b" \t\r")
DIMENSIONS = ("service", "code", "method", "api", "host", "disk", "vuid", "bucket")
DEFAULT_BY = ("service", "code")
NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
      "h": 3600 * 10**9, "d": 86400 * 10**9}


# --------------------------------------------------------------------------- input

def gunzip_all(data):
    """Decode every gzip member. Returns (bytes, partial). Input is fed one byte at a time so
    that all output produced before an error is kept."""
    out = []
    partial = False
    rest = data
    while rest:
        if rest[:2] != GZIP_MAGIC:
            partial = True          # garbage after a member (or not gzip at all)
            break
        d = zlib.decompressobj(wbits=31)
        failed = False
        i = -1
        for i in range(len(rest)):
            try:
                out.append(d.decompress(rest[i:i + 1]))
            except zlib.error:
                failed = True
                break
            if d.eof:
                break
        if failed or not d.eof:
            try:
                out.append(d.flush())
            except zlib.error:
                pass
            partial = True          # corrupt or truncated member
            break
        rest = d.unused_data + rest[i + 1:]
    return b"".join(out), partial


def unzstd(data):
    p = subprocess.run(["zstd", "-dc", "-q"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.stdout, p.returncode != 0


def read_stream(path):
    """Returns (decoded bytes, partial)."""
    data = path.read_bytes()
    if not data:
        return b"", False
    if data[:2] == GZIP_MAGIC:
        return gunzip_all(data)
    if data[:4] == ZSTD_MAGIC:
        return unzstd(data)
    return data, False


ROTATED = re.compile(r"^([0-9a-z]+)-([0-9a-z]+)(\..*)?$", re.S)


def input_order_key(rel):
    """bsaudit's input order: directory path (string order); within a directory, names matching
    `<index>-<offset>` (+ nothing or a `.suffix`) by (index, offset) decoded as base 36, then
    the other names by name."""
    d, _, name = rel.rpartition("/")
    m = ROTATED.match(name)
    if m:
        return (d.encode("utf-8", "surrogateescape"), 0, int(m.group(1), 36), int(m.group(2), 36),
                name.encode("utf-8", "surrogateescape"))
    return (d.encode("utf-8", "surrogateescape"), 1, 0, 0, name.encode("utf-8", "surrogateescape"))


def walk(root):
    """[(relative name, path)] in bsaudit's input order (see input_order_key)."""
    if root.is_file():
        return [(root.name, root)]
    files = []
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(root)
        if any(part == "expected" for part in rel.parts[:-1]):
            continue
        if p.name.endswith(SKIP_SUFFIXES):
            continue
        files.append((rel.as_posix(), p))
    files.sort(key=lambda x: input_order_key(x[0]))
    return files


# --------------------------------------------------------------------------- lines

def split_lines(data):
    """Lines without their LF, and whether the last one is a tail (no LF)."""
    if not data:
        return [], False
    parts = data.split(b"\n")
    if parts[-1] == b"":
        return parts[:-1], False
    return parts, True


def is_digits(b, lo, hi):
    return lo <= len(b) <= hi and all(c in DIGITS for c in b)


def to_nanos(st, ndigits):
    """Start time in nanoseconds by digit count (semantics.md, Text records)."""
    if ndigits <= 10:
        return st * 1_000_000_000
    if ndigits <= 13:
        return st * 1_000_000
    if ndigits <= 16:
        return st * 1_000
    if ndigits == 17:
        return st * 100
    return st                   # 18-19 digits: nanoseconds


def to_micros(st, ndigits):
    """Start time in microseconds (truncated) by digit count."""
    return to_nanos(st, ndigits) // 1_000


def _json_object(b):
    """A text header field parsed as a JSON object, else None."""
    if not b:
        return None
    try:
        v = json.loads(b.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError):
        return None
    return v if isinstance(v, dict) else None


def _dec(b):
    return b.decode("utf-8", "surrogateescape")


def parse_text(line):
    """Returns ('rec', record dict) or ('bad', reason)."""
    i = line.find(b"REQ\t")
    if i < 0:
        return "bad", "no_req"
    f = line[i:].split(b"\t")
    if len(f) not in (12, 14):
        return "bad", "field_count"
    if not is_digits(f[7], 1, 9):
        return "bad", "bad_code"
    if not (is_digits(f[2], 1, 19) and is_digits(f[10], 1, 19) and is_digits(f[11], 1, 19)):
        return "bad", "bad_number"
    module = _dec(f[1])
    return "rec", {
        "module": module, "service": module.split("@", 1)[0], "code": int(f[7]),
        "start_ns": to_nanos(int(f[2]), len(f[2])), "dur": int(f[11]), "rlen": int(f[10]),
        "method": _dec(f[3]), "path": _dec(f[4]),
        "reqh": _json_object(f[5]), "resph": _json_object(f[8]),
    }


def _no_constants(name):
    raise ValueError("not JSON: " + name)


def is_uint(v, max_digits=None):
    if type(v) is not int or v < 0:     # bool is not an int here; floats are not integers
        return False
    return max_digits is None or len(str(v)) <= max_digits


def parse_json(line):
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError):
        return "bad", "bad_json"
    if not isinstance(obj, dict):
        return "bad", "bad_json"
    if obj.get("req_type") != "REQ":
        return "bad", "no_req"
    module = obj.get("module")
    if not isinstance(module, str):
        return "bad", "bad_json"
    if not is_uint(obj.get("status_code"), 9):
        return "bad", "bad_code"
    st, dur, rlen = obj.get("start_time"), obj.get("duration"), obj.get("resp_length")
    # Text allows at most 19 digits; the same bound is applied here (a 20-digit u64 start time has no unit).
    if not (is_uint(st, 19) and is_uint(dur, 19) and is_uint(rlen, 19)):
        return "bad", "bad_number"

    def opt(key, typ):
        v = obj.get(key)
        return v if isinstance(v, typ) else None
    return "rec", {
        "module": module, "service": module.split("@", 1)[0], "code": obj["status_code"],
        "start_ns": to_nanos(st, len(str(st))), "dur": dur, "rlen": rlen,
        "method": opt("method", str), "path": opt("path", str),
        "reqh": opt("req_header", dict), "resph": opt("resp_header", dict),
    }


def classify(line, max_line, is_tail):
    """One bucket per line: ('oversized'|'empty'|'incomplete_tail'|'rec'|'bad', detail)."""
    if len(line) > max_line:                 # length without the LF (a CR still counts)
        return "oversized", None
    if line.endswith(b"\r"):
        line = line[:-1]
    if all(c in BLANK for c in line):
        return "empty", None
    if 0 in line:
        kind, detail = "bad", "binary"
    else:
        stripped = line.lstrip(b" \t")
        if stripped[:1] == b"{":
            kind, detail = parse_json(line)
        else:
            kind, detail = parse_text(line)
    if kind == "bad" and is_tail:
        return "incomplete_tail", detail
    return kind, detail


# --------------------------------------------------------------------------- dimensions

def _is_num(seg):
    return seg != "" and all(c in "0123456789" for c in seg)


def _segments(path):
    # Empty segments (the leading `/`, `//`, a trailing `/`) are dropped.
    return [s for s in (path or "").split("/") if s != ""]


def dim_api(rec):
    segs = _segments(rec["path"])
    out = []
    for i, s in enumerate(segs):
        if _is_num(s) or (i + 1 < len(segs) and _is_num(segs[i + 1])):
            break
        out.append(s)
    out = out[:4]
    return ".".join(out) if out else "-"


def _after(rec, name):
    segs = _segments(rec["path"])
    for i, s in enumerate(segs[:-1]):
        if s == name and _is_num(segs[i + 1]):
            return segs[i + 1]
    return "-"


def dim_host(rec):
    _, at, host = rec["module"].partition("@")
    if at and host:
        return host
    h = (rec["reqh"] or {}).get("Host")
    return h if isinstance(h, str) and h else "-"


def dim_method(rec):
    return rec["method"] if rec["method"] else "-"


def trace_id(rec):
    h = rec["resph"] or {}
    for k in ("Blobstore-Tracer-Traceid", "Traceid"):
        v = h.get(k)
        if isinstance(v, str):
            return v
    return None


def dim_value(rec, dim, bucket_ns):
    """(sort key, JSON value) of one dimension."""
    if dim == "code":
        return rec["code"], rec["code"]
    if dim == "bucket":
        b = rec["start_ns"] // bucket_ns * bucket_ns
        return b, rfc3339_ns(b)
    if dim == "service":
        v = rec["service"]
    elif dim == "method":
        v = dim_method(rec)
    elif dim == "api":
        v = dim_api(rec)
    elif dim == "host":
        v = dim_host(rec)
    elif dim == "disk":
        v = _after(rec, "diskid")
    elif dim == "vuid":
        v = _after(rec, "vuid")
    else:
        raise ValueError(dim)
    return v.encode("utf-8", "surrogateescape"), v


def error_class(code):
    """Class from the code alone: 700 is benign whatever the service."""
    if code == 700:
        return "benign"
    if code < 400:
        return "ok"
    if code < 500:
        return "client"
    return "server"


# --------------------------------------------------------------------------- option values

DUR_RE = re.compile(r"(\d+)(ms|us|µs|ns|d|h|m|s)")


def parse_duration(s):
    """`90m`, `1h30m`, `2d`, `500ms`, `1500us` -> nanoseconds. None when s is not a duration."""
    pos, total = 0, 0
    if not s:
        return None
    while pos < len(s):
        m = DUR_RE.match(s, pos)
        if not m:
            return None
        total += int(m.group(1)) * NS[m.group(2)]
        pos = m.end()
    return total


ABS_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
                    r"([Zz]|[+-]\d{2}:\d{2})?)?$")


def parse_time(s, newest_ns):
    """--since/--until value -> nanoseconds since the epoch (UTC)."""
    d = parse_duration(s)
    if d is not None:
        if newest_ns is None:
            return None
        return newest_ns - d
    m = ABS_RE.match(s)
    if not m:
        raise ValueError(f"bad time: {s!r}")
    y, mo, dd, hh, mi, ss, frac, zone = m.groups()
    days = datetime.date(int(y), int(mo), int(dd)).toordinal() - datetime.date(1970, 1, 1).toordinal()
    secs = days * 86400 + int(hh or 0) * 3600 + int(mi or 0) * 60 + int(ss or 0)
    if zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 10**9 + (int(frac.ljust(9, "0")) if frac else 0)


CODE_RE = re.compile(r"^(?:(\d)xx|(\d+)-(\d+)|(\d+))$", re.I)


def parse_codes(specs):
    """`613`, `6xx`, `500-599` -> [(lo, hi)]."""
    out = []
    for s in specs:
        m = CODE_RE.match(s.strip())
        if not m:
            raise ValueError(f"bad code spec: {s!r}")
        if m.group(1):
            out.append((int(m.group(1)) * 100, int(m.group(1)) * 100 + 99))
        elif m.group(2):
            out.append((int(m.group(2)), int(m.group(3))))
        else:
            out.append((int(m.group(4)), int(m.group(4))))
    return out


def split_list(values):
    out = []
    for v in values or ():
        out.extend(x for x in str(v).split(",") if x != "")
    return out


# --------------------------------------------------------------------------- report

def rfc3339(us):
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_ns(ns):
    return rfc3339(ns // 1_000)


def nearest_rank(sorted_vals, pct):
    """Smallest d such that at least ceil(pct/100 * n) values are <= d (exact integer ceil)."""
    n = len(sorted_vals)
    rank = max(1, -(-pct * n // 100))
    return sorted_vals[rank - 1]


class Filters:
    """All record filters. Empty lists mean "no filter". since/until are strings (resolved
    against the newest record of the whole input)."""

    def __init__(self, services=(), codes=(), since=None, until=None, apis=(), hosts=(), traces=(),
                 min_duration=None):
        self.services = {s.encode("utf-8", "surrogateescape").lower() for s in services}
        self.codes = parse_codes(codes)
        self.since, self.until = since, until
        self.apis, self.hosts, self.traces = set(apis), set(hosts), set(traces)
        self.min_dur_us = None
        if min_duration is not None:
            d = parse_duration(min_duration)
            if d is None:
                raise ValueError(f"bad duration: {min_duration!r}")
            self.min_dur_us = -(-d // 1_000)     # duration_us >= D (D rounded up to whole µs)

    def resolve(self, newest_ns):
        self.since_ns = parse_time(self.since, newest_ns) if self.since else None
        self.until_ns = parse_time(self.until, newest_ns) if self.until else None

    def keep(self, r):
        if self.services and r["service"].encode("utf-8", "surrogateescape").lower() not in self.services:
            return False
        if self.codes and not any(lo <= r["code"] <= hi for lo, hi in self.codes):
            return False
        if self.since_ns is not None and r["start_ns"] < self.since_ns:
            return False
        if self.until_ns is not None and r["start_ns"] >= self.until_ns:
            return False
        if self.apis and dim_api(r) not in self.apis:
            return False
        if self.hosts and dim_host(r) not in self.hosts:
            return False
        if self.traces and trace_id(r) not in self.traces:
            return False
        if self.min_dur_us is not None and r["dur"] < self.min_dur_us:
            return False
        return True


def scan(path, max_line=DEFAULT_MAX_LINE, filters=None, display=None):
    """Reads PATH in input order. Returns (counters, by_reason, partial_files, kept) where kept is
    [(file, line number, line bytes without LF and CR, record)] in input order. `display` is how
    PATH is named in `file` (default: PATH as given)."""
    root = Path(path)
    display = str(path) if display is None else display
    filters = filters or Filters()
    c = {"lines": 0, "records": 0, "filtered_out": 0, "empty_lines": 0, "oversized": 0, "incomplete_tail": 0}
    by_reason = {r: 0 for r in REASONS}
    partial_files = []
    recs = []
    for rel, p in walk(root):
        fname = display if root.is_file() else display.rstrip("/") + "/" + rel
        data, partial = read_stream(p)
        if partial:
            partial_files.append(rel)
        lines, has_tail = split_lines(data)
        last = len(lines) - 1
        for i, line in enumerate(lines):
            c["lines"] += 1
            kind, detail = classify(line, max_line, has_tail and i == last)
            if kind == "oversized":
                c["oversized"] += 1
            elif kind == "empty":
                c["empty_lines"] += 1
            elif kind == "incomplete_tail":
                c["incomplete_tail"] += 1
            elif kind == "bad":
                by_reason[detail] += 1
            else:
                raw = line[:-1] if line.endswith(b"\r") else line
                recs.append((fname, i + 1, raw, detail))
    newest = max((r["start_ns"] for _, _, _, r in recs), default=None)
    filters.resolve(newest)
    kept = []
    for item in recs:
        if filters.keep(item[3]):
            kept.append(item)
            c["records"] += 1
        else:
            c["filtered_out"] += 1
    malformed_total = sum(by_reason.values())
    identity = (c["records"] + c["filtered_out"] + c["empty_lines"] + malformed_total + c["oversized"]
                + c["incomplete_tail"])
    assert c["lines"] == identity, (c, by_reason)
    # partial_files keep the relative-path order of the first oracle (an unordered set in effect).
    partial_files.sort(key=lambda r: r.encode("utf-8", "surrogateescape"))
    return c, by_reason, partial_files, kept


def run(path, max_line=DEFAULT_MAX_LINE, services=None, codes=None, filters=None, by=None,
        bucket_ns=60 * 10**9):
    """The report: input counters and groups keyed by `by` (default service,code)."""
    if filters is None:
        filters = Filters(services or (), [str(x) for x in (codes or ())])
    by = tuple(by or DEFAULT_BY)
    c, by_reason, partial_files, kept = scan(path, max_line, filters)
    groups = {}
    for _, _, _, r in kept:
        dims = [dim_value(r, d, bucket_ns) for d in by]
        key = tuple(k for k, _ in dims)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"dims": [v for _, v in dims], "durs": [], "t": [], "bytes": 0}
        g["durs"].append(r["dur"])
        g["t"].append(r["start_ns"] // 1_000)
        g["bytes"] += r["rlen"]
    out_groups = []
    all_t = []
    for key in sorted(groups):
        g = groups[key]
        d = sorted(g["durs"])
        all_t.extend((min(g["t"]), max(g["t"])))
        out_groups.append({
            **dict(zip(by, g["dims"])), "count": len(d),
            "min_us": d[0], "max_us": d[-1], "sum_us": sum(d),
            "p50_us": nearest_rank(d, 50), "p90_us": nearest_rank(d, 90), "p99_us": nearest_rank(d, 99),
            "first_seen": rfc3339(min(g["t"])), "last_seen": rfc3339(max(g["t"])),
            "resp_bytes": g["bytes"],
        })
    assert sum(g["count"] for g in out_groups) == c["records"]
    inp = {
        "lines": c["lines"], "records": c["records"], "filtered_out": c["filtered_out"],
        "empty_lines": c["empty_lines"], "oversized": c["oversized"], "incomplete_tail": c["incomplete_tail"],
        "malformed": {"total": sum(by_reason.values()), "by_reason": by_reason},
        "first_seen": rfc3339(min(all_t)) if all_t else None,
        "last_seen": rfc3339(max(all_t)) if all_t else None,
        "partial_files": partial_files,
    }
    return {"input": inp, "groups": out_groups}


def timeline(path, max_line=DEFAULT_MAX_LINE, filters=None, bucket_ns=60 * 10**9, series="service"):
    """Per series (a service, or service+code) and per bucket: requests and errors. Every series
    runs over the same buckets: from the first kept record's to the last kept record's."""
    _, _, _, kept = scan(path, max_line, filters)
    cells = {}
    for _, _, _, r in kept:
        skey = (r["service"].encode("utf-8", "surrogateescape"),) + ((r["code"],) if series == "group" else ())
        s = cells.setdefault(skey, {"service": r["service"], "code": r["code"], "b": {}})
        b = r["start_ns"] // bucket_ns
        req_err = s["b"].setdefault(b, [0, 0])
        req_err[0] += 1
        if error_class(r["code"]) in ("client", "server"):
            req_err[1] += 1
    out = []
    if kept:
        lo = min(r["start_ns"] for _, _, _, r in kept) // bucket_ns
        hi = max(r["start_ns"] for _, _, _, r in kept) // bucket_ns
        for skey in sorted(cells):
            s = cells[skey]
            entry = {"service": s["service"]}
            if series == "group":
                entry["code"] = s["code"]
            entry["points"] = [
                {"t": rfc3339_ns(b * bucket_ns), "requests": s["b"].get(b, [0, 0])[0],
                 "errors": s["b"].get(b, [0, 0])[1]}
                for b in range(lo, hi + 1)]
            out.append(entry)
        assert sum(p["requests"] for e in out for p in e["points"]) == len(kept)
    secs = bucket_ns // 10**9 if bucket_ns % 10**9 == 0 else bucket_ns / 10**9
    return {"bucket_seconds": secs, "series": out}


def lines_mode(path, max_line=DEFAULT_MAX_LINE, filters=None, limit=None, display=None):
    """The kept records in input order: file, 1-based line number, raw text (CR and LF removed)."""
    _, _, _, kept = scan(path, max_line, filters, display)
    if limit is not None:
        kept = kept[:limit]
    return [{"file": f, "line": n, "raw": raw.decode("utf-8", "surrogateescape")} for f, n, raw, _ in kept]


# --------------------------------------------------------------------------- CLI

def build_parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?")
    ap.add_argument("--max-line", type=int, default=DEFAULT_MAX_LINE)
    ap.add_argument("--service", action="append", help="keep only this service, case-insensitive")
    ap.add_argument("--code", action="append", help="keep only these codes: 613, 6xx, 500-599")
    ap.add_argument("--since", help="keep start >= T (RFC 3339, date, or a duration before the newest record)")
    ap.add_argument("--until", help="keep start < T")
    ap.add_argument("--last", help="same as --since D")
    ap.add_argument("--api", action="append")
    ap.add_argument("--host", action="append")
    ap.add_argument("--trace", action="append")
    ap.add_argument("--min-duration", help="keep duration_us >= D (500ms, 2s, 1500us)")
    ap.add_argument("--by", help="group by these dimensions: " + ",".join(DIMENSIONS))
    ap.add_argument("--bucket", default="1m", help="time bucket size (default 1m)")
    ap.add_argument("--timeline", action="store_true")
    ap.add_argument("--series", choices=("service", "group"), default="service")
    ap.add_argument("--lines", action="store_true")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--write-expected", action="store_true")
    return ap


def execute(a, display=None):
    """Runs parsed options. Returns (mode, result)."""
    if a.last and a.since:
        raise SystemExit("--last and --since are exclusive")
    filters = Filters(split_list(a.service), split_list(a.code), a.since or a.last, a.until,
                      split_list(a.api), split_list(a.host), split_list(a.trace), a.min_duration)
    bucket_ns = parse_duration(a.bucket)
    if not bucket_ns:
        raise SystemExit(f"bad --bucket: {a.bucket!r}")
    if a.timeline:
        return "timeline", timeline(a.path, a.max_line, filters, bucket_ns, a.series)
    if a.lines:
        return "lines", lines_mode(a.path, a.max_line, filters, a.limit, display)
    by = None
    if a.by:
        by = [d.strip() for d in a.by.split(",") if d.strip()]
        bad = [d for d in by if d not in DIMENSIONS]
        if bad or len(set(by)) != len(by):
            raise SystemExit(f"bad --by: {a.by!r}")
    return "report", run(a.path, a.max_line, filters=filters, by=by, bucket_ns=bucket_ns)


EXPECTED = [
    # name, path relative to the repo root, max_line
    ("cluster", "testdata/cluster", DEFAULT_MAX_LINE),
    ("awkward", "testdata/awkward", DEFAULT_MAX_LINE),
    ("awkward-oversized", "testdata/awkward/oversized.log", 4096),
    ("broken", "testdata/broken", DEFAULT_MAX_LINE),
    ("real-writer", "testdata/real-writer", DEFAULT_MAX_LINE),
]

# expected/triage/<name>.json: name, path, mode, bsaudit-style arguments
TRIAGE = [
    ("disk-613", "testdata/cluster", "report", ["--service", "blobnode", "--code", "613", "--by", "disk"]),
    ("by-api", "testdata/cluster", "report", ["--by", "service,api"]),
    ("by-host", "testdata/cluster", "report", ["--service", "blobnode", "--by", "host,code"]),
    ("by-vuid-method", "testdata/cluster", "report", ["--service", "blobnode", "--by", "method,vuid", "--code", "6xx"]),
    ("by-bucket", "testdata/cluster", "report", ["--by", "service,code,bucket", "--bucket", "10m"]),
    ("window-abs", "testdata/cluster", "report", ["--since", "2025-11-24T10:42:00Z", "--until", "2025-11-24T10:50:00Z"]),
    ("window-edge-until", "testdata/windows/edge.log", "report", ["--until", "2025-11-24T10:42:00Z"]),
    ("window-edge-since", "testdata/windows/edge.log", "report", ["--since", "2025-11-24T10:42:00Z"]),
    ("window-last", "testdata/cluster", "report", ["--last", "15m"]),
    ("timeline-service", "testdata/cluster", "timeline", ["--bucket", "5m", "--series", "service"]),
    ("timeline-group", "testdata/cluster", "timeline", ["--bucket", "10m", "--series", "group", "--service", "blobnode"]),
    ("lines-613", "testdata/cluster", "lines", ["--service", "blobnode", "--code", "613", "--limit", "5"]),
    ("lines-slow", "testdata/cluster", "lines", ["--min-duration", "5s"]),
    ("lines-trace", "testdata/cluster", "lines", ["--trace", "df76e80ad7256c06"]),
    ("lines-api-host", "testdata/cluster", "lines", ["--api", "shard.get", "--host", "10.9.3.17:8889", "--limit", "7"]),
]


def dump(doc, mode):
    # lines mode: raw text may hold surrogate escapes, so it is written ASCII-only
    return json.dumps(doc, indent=2, ensure_ascii=(mode == "lines")) + "\n"


def write_expected():
    repo = HERE.parent
    outdir = HERE / "expected"
    outdir.mkdir(exist_ok=True)
    for name, rel, max_line in EXPECTED:
        res = run(repo / rel, max_line)
        doc = {"path": rel, "max_line": max_line, **res}
        (outdir / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: {res['input']['lines']} lines, {res['input']['records']} records")
    # one file per awkward fixture, to pin a failure down
    for p in sorted((repo / "testdata/awkward").iterdir()):
        rel = p.relative_to(repo).as_posix()
        res = run(p, DEFAULT_MAX_LINE)
        doc = {"path": rel, "max_line": DEFAULT_MAX_LINE, **res}
        (outdir / "awkward-files").mkdir(exist_ok=True)
        (outdir / "awkward-files" / f"{p.name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    # triage cases: filters, windows, dimensions, timeline, lines
    (outdir / "triage").mkdir(exist_ok=True)
    for name, rel, mode, args in TRIAGE:
        flag = {"report": [], "timeline": ["--timeline"], "lines": ["--lines"]}[mode]
        a = build_parser().parse_args([str(repo / rel)] + args + flag)
        got_mode, res = execute(a, display=rel)
        assert got_mode == mode
        doc = {"path": rel, "args": args, "mode": mode}
        doc.update({"lines": res} if mode == "lines" else res)
        (outdir / "triage" / f"{name}.json").write_text(dump(doc, mode))
        if mode == "report":
            print(f"triage/{name}: {res['input']['records']} records, {res['input']['filtered_out']} filtered out, "
                  f"{len(res['groups'])} groups")
        elif mode == "timeline":
            print(f"triage/{name}: {len(res['series'])} series, "
                  f"{len(res['series'][0]['points']) if res['series'] else 0} points each")
        else:
            print(f"triage/{name}: {len(res)} lines")


def main():
    ap = build_parser()
    a = ap.parse_args()
    if a.write_expected:
        write_expected()
        return
    if not a.path:
        ap.error("PATH is required")
    mode, res = execute(a)
    sys.stdout.write(dump(res, mode))


if __name__ == "__main__":
    main()
