#!/usr/bin/env bash
# Throughput of `bsaudit trace` (the SIMD search for a trace id before any parsing) on generated
# traced data, next to a full `bsaudit report` scan of the same bytes.
#
#   benches/trace.sh [--size 1GiB] [--runs 5] [--out bench-data/traces]
#
# Builds bsaudit and the generator in release mode, generates DIR with --traces (once; reused
# while its size matches), warms the page cache, checks that `trace` returns exactly the
# records the generator lists for one id, then times each command RUNS times and prints the
# medians of wall, user and system time (with /usr/bin/time) and GB/s of log text.
set -euo pipefail

size=1GiB
runs=5
out=bench-data/traces
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "usage: $0 [--size 1GiB] [--runs 5] [--out DIR]" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin bsaudit --example gen-auditlog
bin=target/release/bsaudit
gen=target/release/examples/gen-auditlog

if [ ! -f "$out/traces.tsv" ] || [ "$(cat "$out/.size" 2>/dev/null)" != "$size" ]; then
    mkdir -p "$out"
    "$gen" --size "$size" --out "$out" --traces --force > /dev/null
    echo "$size" > "$out/.size"
fi

# An ACCESS put from the middle of the list.
id=$(awk -F'\t' '!/^#/ && $2 == "ACCESS" && $7 == "/put" { ids[n++] = $1 } END { print ids[int(n / 2)] }' "$out/traces.tsv")
want=$(awk -F'\t' -v id="$id" '$1 == id' "$out/traces.tsv" | wc -l)
got=$("$bin" trace "$id" "$out" --format json -q | grep -c '"offset_us"')
if [ "$got" != "$want" ]; then
    echo "trace $id: $got records, the generator wrote $want" >&2
    exit 1
fi

bytes=$(find "$out" -path "$out/*/auditlog/*" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
find "$out" -path "$out/*/auditlog/*" -type f -exec cat {} + > /dev/null
echo "data: $out, $bytes bytes of log text; trace id $id ($want records)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Median wall time and median CPU time (user + system) over RUNS runs, after one warm-up run.
# The CPU time says what the work costs even when other processes share the cores.
measure() {
    local name=$1; shift
    local times
    "$@" > /dev/null 2>&1 || true
    local tmp
    tmp=$(mktemp)
    times=$(for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %U %S" -o "$tmp" "$@" > /dev/null 2>&1 || true
        cat "$tmp"
    done)
    rm -f "$tmp"
    local wall user sys cpu
    wall=$(echo "$times" | awk '{ print $1 }' | median)
    user=$(echo "$times" | awk '{ print $2 }' | median)
    sys=$(echo "$times" | awk '{ print $3 }' | median)
    cpu=$(echo "$times" | awk '{ printf "%.2f\n", $2 + $3 }' | median)
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v c="$cpu" -v b="$bytes" 'BEGIN {
        printf "| `%s` | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", n, w, b / w / 1e9, u, s, c, b / c / 1e9 }'
}

echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall (s) | GB/s (wall) | user (s) | sys (s) | CPU (s) | GB/s per CPU second |"
echo "|---|---:|---:|---:|---:|---:|---:|"
measure "bsaudit trace ID" "$bin" trace "$id" "$out" -q
measure "bsaudit trace ID -j1" "$bin" trace "$id" "$out" -q -j1
measure "bsaudit report (full parse)" "$bin" report "$out" -q
