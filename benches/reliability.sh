#!/usr/bin/env bash
# The cost of the reliability choices, behind the README's "Reliability" section: mapping
# closed files (guarded against SIGBUS) against reading them with pread (--no-mmap), and the
# gzip and zstd decoders, on generated audit logs.
#
# Usage: benches/reliability.sh [--size 256MiB] [--runs 10] [--baseline [NAME=]PATH]...
#
#   --size SIZE      log text to generate (default 256MiB)
#   --runs N         hyperfine runs per command (default 10)
#   --baseline [NAME=]PATH
#                    another bsaudit binary to time next to this one, for the same commands
#                    (e.g. a build of the commit before the change); repeatable
#
# Layouts, in ${BENCH_DIR:-bench-data}/reliability/: `closed` holds the text in 32 MiB files
# in one directory, all last written a day ago, plus one small newest file: every big file is
# closed and mapped. `gzip` and `zstd` hold the same text compressed (`gzip -6`, `zstd -3`);
# `longline` a file with one 256 MiB line, plain and gzip'd, for the --max-line figures.
# Results go to ${BENCH_DIR}/reliability/results.md (and .json).
set -euo pipefail

SIZE=256MiB
RUNS=10
BASELINES=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --baseline)
      if [[ $2 == *=* ]]; then BASELINES+=("$2"); else BASELINES+=("baseline=$2"); fi
      shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "reliability.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_DIR=${BENCH_DIR:-bench-data}
OUT=$BENCH_DIR/reliability
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for tool in hyperfine gzip zstd; do
  command -v "$tool" >/dev/null || { echo "reliability.sh: $tool is required" >&2; exit 1; }
done

cargo build --release --quiet --bin bsaudit --example gen-auditlog
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$(cd "$TARGET_DIR/release" && pwd)/bsaudit
GEN=$TARGET_DIR/release/examples/gen-auditlog

STAMP="$SIZE"
if [[ ! -f $OUT/stamp || $(cat "$OUT/stamp") != "$STAMP" ]]; then
  rm -rf "$OUT/src" "$OUT/closed" "$OUT/gzip" "$OUT/zstd"
  "$GEN" --size "$SIZE" --file-size 32MiB --out "$OUT/src" >/dev/null
  mkdir -p "$OUT/closed/svc/auditlog" "$OUT/gzip" "$OUT/zstd"
  i=0
  while IFS= read -r f; do
    cp -p "$f" "$OUT/closed/svc/auditlog/$i-0"
    i=$((i + 1))
  done < <(find "$OUT/src" -type f -name '[0-9]*' | sort)
  # The newest file of the directory is never mapped; keep it tiny.
  head -n 1 "$OUT/closed/svc/auditlog/0-0" > "$OUT/closed/svc/auditlog/$i-0"
  cat "$OUT"/closed/svc/auditlog/* > "$OUT/all.log"
  gzip -6 -c "$OUT/all.log" > "$OUT/gzip/0-0.log.gz"
  zstd -q -3 -c "$OUT/all.log" > "$OUT/zstd/0-0.log.zst"
  rm -f "$OUT/all.log"
  echo "$STAMP" > "$OUT/stamp"
fi

commands=()
add() { # add NAME BINARY ARGS...
  local name=$1 bin=$2
  shift 2
  commands+=(-n "$name" "$bin report -q $*")
}
bins=("bsaudit=$BIN" "${BASELINES[@]}")
for entry in "${bins[@]}"; do
  label=${entry%%=*}
  bin=${entry#*=}
  add "$label closed (mmap)" "$bin" "$OUT/closed"
  add "$label closed --no-mmap" "$bin" "$OUT/closed" --no-mmap
  add "$label closed (mmap) -j1" "$bin" "$OUT/closed" -j1
  add "$label closed --no-mmap -j1" "$bin" "$OUT/closed" --no-mmap -j1
  add "$label gzip" "$bin" "$OUT/gzip"
  add "$label zstd" "$bin" "$OUT/zstd"
done
cat "$OUT"/closed/svc/auditlog/* > /dev/null # warm the page cache
hyperfine -N -w 2 -r "$RUNS" --export-json "$OUT/results.json" "${commands[@]}" >&2
# Wall time and CPU time (user + system): on a shared machine the CPU time is the steadier one.
python3 - "$OUT/results.json" > "$OUT/results.md" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print("| command | wall (ms, mean ± σ) | user (ms) | system (ms) | CPU = user + system (ms) |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    ms = lambda v: v * 1000
    print(f"| `{r['command']}` | {ms(r['mean']):.1f} ± {ms(r['stddev']):.1f} | {ms(r['user']):.1f} "
          f"| {ms(r['system']):.1f} | {ms(r['user'] + r['system']):.1f} |")
PY
cat "$OUT/results.md"

# One 256 MiB line between 1000 records on each side, as a plain file and gzip'd: peak RSS,
# time and the counts, under the default --max-line and a raised one.
command -v /usr/bin/time >/dev/null || { echo "reliability.sh: /usr/bin/time is required" >&2; exit 1; }
LONG=$OUT/longline
if [[ ! -f $LONG/long.log.gz ]]; then
  mkdir -p "$LONG"
  first=$OUT/closed/svc/auditlog/0-0
  { head -n 1000 "$first"; head -c $((256 << 20)) /dev/zero | tr '\0' x; echo; head -n 2000 "$first" | tail -n 1000; } > "$LONG/long.log"
  gzip -1 -c "$LONG/long.log" > "$LONG/long.log.gz"
fi
{
  echo
  echo "| binary | input | options | peak RSS (MiB) | time (s) | lines | oversized | input.bytes |"
  echo "|---|---|---|---:|---:|---:|---:|---:|"
  for entry in "${bins[@]}"; do
    label=${entry%%=*}
    bin=${entry#*=}
    for input in long.log long.log.gz; do
      for opts in "" "--max-line 1GiB"; do
        cat "$LONG/$input" > /dev/null # from the page cache, not the disk
        # shellcheck disable=SC2086 # opts is a list of words
        /usr/bin/time -f '%M %e' -o "$LONG/time" "$bin" report -q --format json $opts "$LONG/$input" > "$LONG/out.json" || true
        read -r kib secs < "$LONG/time"
        python3 - "$LONG/out.json" "$label" "$input" "${opts:-(default)}" "$kib" "$secs" <<'PY'
import json, sys
path, label, name, opts, kib, secs = sys.argv[1:]
i = json.load(open(path))["input"]
print(f"| {label} | `{name}` | `{opts}` | {int(kib) / 1024:.0f} | {float(secs):.2f} | {i['lines']} | {i['oversized']} | {i['bytes']:,} |")
PY
      done
    done
  done
} | tee -a "$OUT/results.md"
