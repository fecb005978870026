#!/usr/bin/env python3
"""Replays text audit logs into a live tree, as a running cluster would write them.

Reads the plain text audit files under SRC (as `gen-auditlog` or testdata write them), and
appends their lines to DST/<service>/auditlog/<index>-0 at a steady rate, with each line's
start time (field 3, in units of 100 ns) set to now, so `bsaudit top` sees a live cluster.
Used by benches/top.sh (throughput) and docs/top-screenshot.sh (the README picture).

  replay.py SRC DST [--rate LINES_PER_S | --mbps MB_PER_S] [--seconds S]
            [--hold CODE --hold-for S] [--rotate-every S] [--history S]

--hold CODE keeps the lines with that status code back for the first --hold-for seconds, so
the code appears only later (a "new" code). --rotate-every starts a new chunk file per
service every S seconds and deletes the oldest beyond two, as the BlobStore writer does.
--history S first writes S seconds of back-dated lines (start times spread over the S
seconds before now, none with the held code), as if the cluster had been running.
Prints what it wrote as `lines=N bytes=N` on stdout at the end.
"""

import argparse
import os
import sys
import time


def source_lines(src):
    """Every text record under SRC as (service, line), in start-time order: the real mix."""
    found = []
    for root, _dirs, files in os.walk(src):
        for name in sorted(files):
            if name.endswith((".gz", ".zst", ".tsv", ".md", ".bsum")):
                continue
            with open(os.path.join(root, name), "rb") as f:
                for line in f:
                    parts = line.split(b"\t", 3)
                    if len(parts) < 4 or parts[0] != b"REQ" or not line.endswith(b"\n"):
                        continue
                    service = parts[1].split(b"@")[0].decode("ascii", "replace").lower()
                    try:
                        start = int(parts[2])
                    except ValueError:
                        continue
                    found.append((start, service, line))
    found.sort(key=lambda t: t[0])
    return [(s, l) for _, s, l in found]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--rate", type=float, default=500.0, help="lines per second")
    ap.add_argument("--mbps", type=float, default=0.0, help="MB per second instead of --rate")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--hold", default=None)
    ap.add_argument("--hold-for", type=float, default=0.0)
    ap.add_argument("--rotate-every", type=float, default=0.0)
    ap.add_argument("--history", type=float, default=0.0)
    a = ap.parse_args()

    lines = source_lines(a.src)
    if not lines:
        sys.exit(f"no text audit lines under {a.src}")
    services = sorted({s for s, _ in lines})
    files, index = {}, {s: 0 for s in services}
    cursor = 0
    chunks = {s: [] for s in services}

    def open_chunk(s):
        d = os.path.join(a.dst, s, "auditlog")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{index[s]:x}-0")
        index[s] += 1
        if s in files:
            files[s].close()
        files[s] = open(path, "ab")
        chunks[s].append(path)
        while len(chunks[s]) > 2:
            os.remove(chunks[s].pop(0))

    for s in services:
        open_chunk(s)
    hold = a.hold.encode() if a.hold else None
    written = nbytes = 0
    history = (0, 0)
    if a.history:
        now = time.time()
        n = int(a.history * a.rate)
        for k in range(n):
            s, line = lines[k % len(lines)]
            f = line.split(b"\t")
            if hold is not None and f[7] == hold:
                continue
            f[2] = b"%d" % int((now - a.history + k / a.rate) * 1e7)
            text = b"\t".join(f)
            files[s].write(text)
            written += 1
            nbytes += len(text)
        for f in files.values():
            f.flush()
    history = (written, nbytes)
    written = nbytes = 0
    start = time.time()
    last_rotate = start
    step = 0.05
    while True:
        now = time.time()
        if now - start >= a.seconds:
            break
        if a.rotate_every and now - last_rotate >= a.rotate_every:
            last_rotate = now
            for s in services:
                open_chunk(s)
        stamp = b"%d" % int(now * 1e7)
        holding = hold is not None and now - start < a.hold_for
        out = {s: [] for s in services}
        ahead = now - start + step

        def behind():
            if a.mbps:
                return nbytes < ahead * a.mbps * 1e6
            return written < ahead * a.rate

        while behind():
            s, line = lines[cursor % len(lines)]
            cursor += 1
            f = line.split(b"\t")
            if holding and f[7] == hold:
                continue
            f[2] = stamp
            text = b"\t".join(f)
            out[s].append(text)
            written += 1
            nbytes += len(text)
        for s in services:
            if out[s]:
                files[s].write(b"".join(out[s]))
                files[s].flush()
        time.sleep(max(0.0, step - (time.time() - now)))
    for f in files.values():
        f.close()
    print(f"lines={written + history[0]} bytes={nbytes + history[1]}")


if __name__ == "__main__":
    main()
