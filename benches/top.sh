#!/usr/bin/env bash
# How `bsaudit top` keeps up with a growing tree, and what it costs when nothing happens.
#
#   benches/top.sh [--size 1GiB] [--rate 100] [--interval 1s]
#
# The generated records are spread over 10 minutes (`gen-auditlog --span 600`), as a busy
# cluster writes them, not over a day: a day of history in one look is the seed case.
#
# 1. paced:  copies a generated tree (gen-auditlog, text) into an empty live tree at --rate
#            MB/s in 4 MiB appends, file after file as the writer rotates, while
#            `top --format json` follows it; prints when the last byte was written and when a
#            frame first counted every byte (the lag), and checks the frame's records against
#            the generator's expected.tsv.
# 2. burst:  appends the whole tree at once (cp) and times until a frame counts every byte:
#            the most top reads per second on this machine.
# 3. idle:   top on a tree that does not change, for 20 s: CPU time from /proc/PID/stat.
#
# A benchmark, not a test: the machine is shared; the load average is printed with each part.
set -euo pipefail
cd "$(dirname "$0")/.."
size=1GiB rate=100 interval=1s
while [ $# -gt 0 ]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --interval) interval=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
cargo build --release --quiet --bin bsaudit --example gen-auditlog
bin=$PWD/target/release/bsaudit
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
target/release/examples/gen-auditlog --size "$size" --out "$work/src" --file-size 64MiB --span 600 >/dev/null
records=$(awk -F'\t' 'NR > 1 { n += $3 } END { print n }' "$work/src/expected.tsv" 2>/dev/null || echo "?")
bytes=$(find "$work/src" -type f ! -name '*.tsv' -printf '%s\n' | awk '{ n += $1 } END { print n }')
echo "input: $size generated text, $bytes bytes, $records records (expected.tsv)"
echo "machine: $(nproc) cores; $(uname -r)"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# Waits until a frame in $1 counts $2 bytes; prints the wall time (s since the epoch, from
# the frame) of the first such frame, and its records.
caught() {
    python3 - "$1" "$2" <<'EOF'
import json, sys, time, datetime
path, want = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 600
seen = 0
while time.time() < deadline:
    with open(path) as f:
        lines = f.readlines()
    for line in lines[seen:]:
        if not line.endswith("\n"):
            break
        seen += 1
        fr = json.loads(line)
        if fr["totals"]["bytes"] >= want:
            t = datetime.datetime.fromisoformat(fr["time"].replace("Z", "+00:00")).timestamp()
            print(f'{t:.3f} {fr["totals"]["records"]} {fr["totals"]["lines"]}')
            sys.exit(0)
    time.sleep(0.05)
sys.exit("top never counted every byte")
EOF
}

start_top() {
    mkdir -p "$1"
    "$bin" top --format json --interval "$interval" -q "$1" > "$2" &
    pid=$!
    sleep 1
}

stop_top() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }

echo
echo "== paced: $rate MB/s in 4 MiB appends (load $(load))"
start_top "$work/live" "$work/paced.ndjson"
t0=$(date +%s.%N)
python3 - "$work/src" "$work/live" "$rate" <<'EOF'
import os, sys, time
src, dst, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]) * 1e6
block = 4 << 20
start, done = time.time(), 0
for root, _, files in sorted(os.walk(src)):
    for name in sorted(files):
        if name.endswith(".tsv"):
            continue
        rel = os.path.relpath(os.path.join(root, name), src)
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        with open(os.path.join(root, name), "rb") as f, open(os.path.join(dst, rel), "ab") as out:
            while True:
                data = f.read(block)
                if not data:
                    break
                out.write(data)
                out.flush()
                done += len(data)
                ahead = done / rate - (time.time() - start)
                if ahead > 0:
                    time.sleep(ahead)
print(f"wrote {done} bytes in {time.time() - start:.2f} s: {done / (time.time() - start) / 1e6:.1f} MB/s", file=sys.stderr)
EOF
t1=$(date +%s.%N)
read -r tc got lines < <(caught "$work/paced.ndjson" "$bytes")
stop_top
awk -v t0="$t0" -v t1="$t1" -v tc="$tc" -v b="$bytes" -v got="$got" -v want="$records" -v i="$interval" 'BEGIN {
    printf "written in %.2f s (%.1f MB/s); every byte counted %.2f s after the last append (interval %s)\n", t1 - t0, b / (t1 - t0) / 1e6, tc - t1, i
    printf "records counted %d, expected %s: %s\n", got, want, (got == want ? "equal" : "DIFFER")
}'

echo
echo "== burst: the whole tree appended at once (load $(load))"
rm -rf "$work/live"
start_top "$work/live" "$work/burst.ndjson"
t0=$(date +%s.%N)
cp -r "$work/src/." "$work/live/"
rm -f "$work/live/expected.tsv"
read -r tc got lines < <(caught "$work/burst.ndjson" "$bytes")
stop_top
awk -v t0="$t0" -v tc="$tc" -v b="$bytes" -v got="$got" -v want="$records" 'BEGIN {
    printf "every byte counted %.2f s after the copy began: %.0f MB/s\n", tc - t0, b / (tc - t0) / 1e6
    printf "records counted %d, expected %s: %s\n", got, want, (got == want ? "equal" : "DIFFER")
}'

echo
echo "== idle: 20 s on a tree that does not change (load $(load))"
start_top "$work/live" "$work/idle.ndjson"
sleep 2
hz=$(getconf CLK_TCK)
c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep 20
c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
stop_top
awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {
    printf "CPU %.2f s in 20 s: %.2f%% of one core\n", (b - a) / hz, (b - a) / hz / 20 * 100
}'
