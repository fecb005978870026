#!/usr/bin/env python3
"""Independent reference counter for bsaudit, written from docs/semantics.md only.

    python3 testdata/oracle.py PATH [--max-line N] [--service S]... [--code C]...
    python3 testdata/oracle.py --write-expected      # regenerate testdata/expected/*.json

PATH is a file or a directory (walked recursively, files sorted by path; `*.md`, `*.py`, `*.json`,
`*.tar` and any directory named `expected` are skipped). Compression is detected by magic bytes:
gzip (1f 8b, every member decoded, output kept up to the first error) and zstd (28 b5 2f fd,
`zstd -dc`, stdout kept even when it fails). Prints one JSON document on stdout.
"""

import argparse
import datetime
import json
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


def walk(root):
    """[(relative name, path)] sorted by relative path."""
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
    files.sort(key=lambda x: x[0].encode())
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


def to_micros(st, ndigits):
    """Start time in microseconds by digit count (semantics.md, Text records)."""
    if ndigits <= 10:
        return st * 1_000_000
    if ndigits <= 13:
        return st * 1_000
    if ndigits <= 16:
        return st
    if ndigits == 17:
        return st // 10
    return st // 1_000          # 18-19 digits: nanoseconds


def parse_text(line):
    """Returns ('rec', (service, code, start_us, dur, rlen)) or ('bad', reason)."""
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
    service = f[1].split(b"@", 1)[0].decode("utf-8", "surrogateescape")
    return "rec", (service, int(f[7]), to_micros(int(f[2]), len(f[2])), int(f[11]), int(f[10]))


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
    service = module.split("@", 1)[0]
    return "rec", (service, obj["status_code"], to_micros(st, len(str(st))), dur, rlen)


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


# --------------------------------------------------------------------------- report

def rfc3339(us):
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def nearest_rank(sorted_vals, pct):
    """Smallest d such that at least ceil(pct/100 * n) values are <= d (exact integer ceil)."""
    n = len(sorted_vals)
    rank = max(1, -(-pct * n // 100))
    return sorted_vals[rank - 1]


def run(path, max_line=DEFAULT_MAX_LINE, services=None, codes=None):
    root = Path(path)
    c = {"lines": 0, "records": 0, "filtered_out": 0, "empty_lines": 0, "oversized": 0, "incomplete_tail": 0}
    by_reason = {r: 0 for r in REASONS}
    partial_files = []
    groups = {}
    for rel, p in walk(root):
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
                service, code, start_us, dur, rlen = detail
                if (services and service not in services) or (codes and code not in codes):
                    c["filtered_out"] += 1
                    continue
                c["records"] += 1
                g = groups.setdefault((service.encode("utf-8", "surrogateescape"), code),
                                      {"service": service, "code": code, "durs": [], "t": [], "bytes": 0})
                g["durs"].append(dur)
                g["t"].append(start_us)
                g["bytes"] += rlen
    malformed_total = sum(by_reason.values())
    identity = (c["records"] + c["filtered_out"] + c["empty_lines"] + malformed_total + c["oversized"]
                + c["incomplete_tail"])
    assert c["lines"] == identity, (c, by_reason)
    out_groups = []
    all_t = []
    for key in sorted(groups):
        g = groups[key]
        d = sorted(g["durs"])
        all_t.extend((min(g["t"]), max(g["t"])))
        out_groups.append({
            "service": g["service"], "code": g["code"], "count": len(d),
            "min_us": d[0], "max_us": d[-1], "sum_us": sum(d),
            "p50_us": nearest_rank(d, 50), "p90_us": nearest_rank(d, 90), "p99_us": nearest_rank(d, 99),
            "first_seen": rfc3339(min(g["t"])), "last_seen": rfc3339(max(g["t"])),
            "resp_bytes": g["bytes"],
        })
    assert sum(g["count"] for g in out_groups) == c["records"]
    inp = {
        "lines": c["lines"], "records": c["records"], "filtered_out": c["filtered_out"],
        "empty_lines": c["empty_lines"], "oversized": c["oversized"], "incomplete_tail": c["incomplete_tail"],
        "malformed": {"total": malformed_total, "by_reason": by_reason},
        "first_seen": rfc3339(min(all_t)) if all_t else None,
        "last_seen": rfc3339(max(all_t)) if all_t else None,
        "partial_files": partial_files,
    }
    return {"input": inp, "groups": out_groups}


EXPECTED = [
    # name, path relative to the repo root, max_line
    ("cluster", "testdata/cluster", DEFAULT_MAX_LINE),
    ("awkward", "testdata/awkward", DEFAULT_MAX_LINE),
    ("awkward-oversized", "testdata/awkward/oversized.log", 4096),
    ("broken", "testdata/broken", DEFAULT_MAX_LINE),
    ("real-writer", "testdata/real-writer", DEFAULT_MAX_LINE),
]


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?")
    ap.add_argument("--max-line", type=int, default=DEFAULT_MAX_LINE)
    ap.add_argument("--service", action="append", help="keep only this service (repeatable)")
    ap.add_argument("--code", action="append", type=int, help="keep only this status code (repeatable)")
    ap.add_argument("--write-expected", action="store_true")
    a = ap.parse_args()
    if a.write_expected:
        write_expected()
        return
    if not a.path:
        ap.error("PATH is required")
    res = run(a.path, a.max_line, set(a.service or ()), set(a.code or ()))
    json.dump(res, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
