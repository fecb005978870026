#!/usr/bin/env bash
# Compares bsaudit with the true floor (examples/floor.rs), ripgrep, mawk, gawk and DuckDB on
# generated audit logs; or, with --instructions, counts instructions per line with callgrind.
#
# Usage: benches/compare.sh [--size 1GiB] [--runs 5] [--threads N] [--all-variants | --variants LIST]
#        benches/compare.sh --instructions
#
#   --size SIZE      log text per variant (uncompressed), e.g. 64MiB, 1GiB   (default 1GiB)
#   --runs N         hyperfine runs per command                             (default 5)
#   --threads N      passed to bsaudit as --threads (default: bsaudit's own, one per core)
#   --all-variants   also the rotated-text (32 MiB files), small-files (100 KiB files), JSON-lines
#                    and gzip variants (default: text only, 256 MiB files)
#   --variants LIST  the variants to run, comma-separated: text, rotated, small, json, gzip
#   --instructions   generate 32 MiB and 64 MiB of text and of JSON (seed 1), run the floor and
#                    `bsaudit report -j1` under `valgrind --tool=callgrind`, print instructions
#                    per line (a figure the load of the machine cannot move): the whole process
#                    on 32 MiB, and the marginal cost of a line from the difference of the two
#                    sizes; then exit
#
# Every time is also given as a ratio to the floor, the faster in this run of `floor` (maps
# every file and counts LF with memchr on all threads) and `floor --pread` (reads with pread
# instead). The load average is read
# before each command is measured, and a row measured at a load above 1 is marked `busy`.
#
# Data goes to ${BENCH_DIR:-bench-data}/{text,json,gzip} and is reused when its stamp (size,
# seed, flags, generator source hash) matches; results to ${BENCH_DIR}/results/. Missing tools
# are installed quietly (apt-get: hyperfine mawk gawk ripgrep time; pip: duckdb).
# Before timing, bsaudit's counts are checked once per variant against the generator's
# expected.tsv; a mismatch stops the script.
set -euo pipefail

SIZE=1GiB
RUNS=5
THREADS=
ALL_VARIANTS=0
VARIANT_LIST=
INSTRUCTIONS=0
SEED=1

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --size=*) SIZE=${1#*=}; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    --threads) THREADS=$2; shift 2 ;;
    --threads=*) THREADS=${1#*=}; shift ;;
    --all-variants) ALL_VARIANTS=1; shift ;;
    --variants) VARIANT_LIST=$2; shift 2 ;;
    --variants=*) VARIANT_LIST=${1#*=}; shift ;;
    --instructions) INSTRUCTIONS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --runs must be a positive integer" >&2; exit 2; }
[[ -z $THREADS || $THREADS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --threads must be a positive integer" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
BENCH_DIR=${BENCH_DIR:-bench-data}
mkdir -p "$BENCH_DIR/results"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
RESULTS=$BENCH_DIR/results
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# --instructions: callgrind instruction counts per line on fixed 32 MiB inputs.

if [[ $INSTRUCTIONS -eq 1 ]]; then
  command -v valgrind >/dev/null || die "--instructions needs valgrind (apt-get install valgrind)"
  log "building bsaudit, floor and gen-auditlog (release)"
  cargo build --release --quiet --bin bsaudit --example gen-auditlog --example floor
  BSAUDIT=$TARGET_DIR/release/bsaudit
  FLOOR=$TARGET_DIR/release/examples/floor
  GEN=$TARGET_DIR/release/examples/gen-auditlog
  GEN_HASH=$(sha256sum examples/gen-auditlog.rs | cut -c1-16)
  CG=$RESULTS/callgrind
  mkdir -p "$CG"
  # instr_run NAME OUTFILE COMMAND...: total instructions of one run under callgrind.
  instr_run() {
    local out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log" ||
      die "callgrind failed on: $* (see $out.log)"
    awk '/^summary:|^totals:/ { print $2; exit }' "$out"
  }
  rows=()
  for variant in text json; do
    # Two sizes: the whole-process figure at 32 MiB, and the marginal cost of a line (the
    # difference between 64 MiB and 32 MiB, so start-up, the code table, summary and render
    # cancel out).
    for size in 32MiB 64MiB; do
      dir=$BENCH_DIR/insn-$variant
      [[ $size != 32MiB ]] && dir+=-$size
      stamp="size=$size seed=1 json=$variant gen=$GEN_HASH"
      if [[ ! -f $dir/.stamp || $(cat "$dir/.stamp") != "$stamp" ]]; then
        log "generating $dir ($stamp)"
        rm -rf "$dir"
        flags=()
        [[ $variant == json ]] && flags=(--json)
        "$GEN" --size "$size" --seed 1 --out "$dir" "${flags[@]}" >/dev/null
        echo "$stamp" >"$dir/.stamp"
      fi
      lines=$("$FLOOR" "$dir"/*/auditlog/* | awk -F'\t' '$1 == "lines" { print $2 }')
      printf '\n== %s %s: %s lines; load average %s\n' "$variant" "$size" "$lines" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
      floor=$(instr_run "$CG/floor.$variant.$size.out" "$FLOOR" --threads 1 "$dir"/*/auditlog/*)
      bs=$(instr_run "$CG/bsaudit.$variant.$size.out" "$BSAUDIT" report "$dir" --quiet --threads 1)
      rows+=("$variant $size $lines $floor $bs")
    done
  done
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then rev+="-dirty"; fi
  echo
  echo "instructions per line (valgrind --tool=callgrind, one thread; bsaudit $rev)"
  echo "whole = the whole process on 32 MiB / its lines; marginal = (Ir at 64 MiB - Ir at 32 MiB) /"
  echo "(lines at 64 MiB - lines at 32 MiB), the cost of one more line; fixed = whole - marginal, per line"
  echo
  echo "| input (seed 1) | lines (32 MiB) | floor: whole | floor: marginal | bsaudit: whole | bsaudit: marginal | bsaudit: fixed (M Ir) | bsaudit / floor (whole) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for i in 0 2; do
    read -r variant _ lines floor bs <<<"${rows[$i]}"
    read -r _ _ lines2 floor2 bs2 <<<"${rows[$((i + 1))]}"
    awk -v v="$variant" -v l="$lines" -v f="$floor" -v b="$bs" -v l2="$lines2" -v f2="$floor2" -v b2="$bs2" 'BEGIN {
      fm = (f2 - f) / (l2 - l); bm = (b2 - b) / (l2 - l)
      printf "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.1f | %.1fx |\n", v, l, f / l, fm, b / l, bm, (b - bm * l) / 1e6, b / f }'
  done
  echo
  echo "(profiles in $CG: callgrind_annotate $CG/bsaudit.text.32MiB.out)" >&2
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Tools.

SUDO=
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=sudo; fi
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [[ $APT_UPDATED -eq 0 ]]; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1
}
ensure() { # ensure COMMAND PACKAGE
  command -v "$1" >/dev/null && return 0
  log "installing $2"
  apt_install "$2" || true
  command -v "$1" >/dev/null
}

command -v cargo >/dev/null || die "cargo is required (https://rustup.rs)"
ensure python3 python3 || die "python3 is required"
ensure hyperfine hyperfine || die "hyperfine is required and could not be installed"
ensure mawk mawk || die "mawk is required and could not be installed"
ensure gawk gawk || die "gawk is required and could not be installed"
ensure gzip gzip || die "gzip is required"
[[ -x /usr/bin/time ]] || apt_install time || true
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required and could not be installed"
HAVE_RG=1
ensure rg ripgrep || { HAVE_RG=0; echo "compare.sh: ripgrep missing; its row is skipped" >&2; }

DUCKDB=
if command -v duckdb >/dev/null; then
  DUCKDB=cli
elif python3 -c 'import duckdb' 2>/dev/null; then
  DUCKDB=python
else
  log "installing the duckdb python module"
  python3 -m pip install -q duckdb >/dev/null 2>&1 ||
    python3 -m pip install -q --break-system-packages duckdb >/dev/null 2>&1 ||
    { apt_install python3-pip && python3 -m pip install -q --break-system-packages duckdb >/dev/null 2>&1; } ||
    true
  if python3 -c 'import duckdb' 2>/dev/null; then DUCKDB=python; else
    echo "compare.sh: duckdb unavailable; its row is skipped" >&2
  fi
fi

# ---------------------------------------------------------------------------------------------
# Build and data.

log "building bsaudit, floor and gen-auditlog (release)"
cargo build --release --quiet --bin bsaudit --example gen-auditlog --example floor
BSAUDIT=$TARGET_DIR/release/bsaudit
GEN=$TARGET_DIR/release/examples/gen-auditlog
FLOOR=$TARGET_DIR/release/examples/floor
[[ -x $BSAUDIT && -x $GEN && -x $FLOOR ]] || die "built binaries not found under $TARGET_DIR/release"
GEN_HASH=$(sha256sum examples/gen-auditlog.rs | cut -c1-16)

# generate VARIANT [generator flags...]: (re)uses $BENCH_DIR/VARIANT.
generate() {
  local variant=$1; shift
  local dir=$BENCH_DIR/$variant
  local stamp="size=$SIZE seed=$SEED flags=$* gen=$GEN_HASH"
  if [[ -f $dir/.stamp && $(cat "$dir/.stamp") == "$stamp" && -f $dir/.gen.out ]]; then
    log "reusing $dir ($stamp)"
    return
  fi
  log "generating $dir ($stamp)"
  rm -rf "$dir"
  "$GEN" --size "$SIZE" --seed "$SEED" --out "$dir" "$@" >"$BENCH_DIR/.$variant.gen.out"
  mv "$BENCH_DIR/.$variant.gen.out" "$dir/.gen.out"
  echo "$stamp" >"$dir/.stamp"
}

gen_value() { awk -F'\t' -v k="$2" '$1 == k { print $2; exit }' "$BENCH_DIR/$1/.gen.out"; }

# check VARIANT: bsaudit's counts against expected.tsv; stops the script on any difference.
check() {
  local variant=$1 dir=$BENCH_DIR/$1
  local out=$RESULTS/$variant.bsaudit.json
  local rc=0 floor_lines
  floor_lines=$("$FLOOR" "$dir"/*/auditlog/* | awk -F'\t' '$1 == "lines" { print $2 }')
  [[ $variant == gzip || $floor_lines == "$(gen_value "$variant" lines)" ]] ||
    die "floor counted $floor_lines lines in $dir, the generator wrote $(gen_value "$variant" lines)"
  "$BSAUDIT" report "$dir" --all --top 0 --format json --quiet >"$out" || rc=$?
  [[ $rc -eq 0 ]] || die "bsaudit exited with $rc on $dir"
  python3 - "$out" "$dir/expected.tsv" "$(gen_value "$variant" lines)" "$variant" <<'PY'
import json, sys
report, expected, lines, variant = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = json.load(open(report))
inp = r["input"]
got = {(g["service"], g["code"]): (g["count"], g["latency_us"]["max"]) for g in r["groups"]}
want = {}
with open(expected) as f:
    next(f)
    for line in f:
        s, c, n, m = line.rstrip("\n").split("\t")
        want[(s, int(c))] = (int(n), int(m))
problems = []
if r.get("groups_total") != len(r["groups"]):
    problems.append(f"groups_total {r.get('groups_total')} != groups listed {len(r['groups'])}")
for k in sorted(set(got) | set(want)):
    if got.get(k) != want.get(k):
        problems.append(f"{k[0]} {k[1]}: bsaudit (count, max_us) {got.get(k)} expected {want.get(k)}")
for key, value in [("lines", lines), ("records", lines), ("empty_lines", 0), ("oversized", 0),
                   ("incomplete_tail", 0), ("filtered_out", 0)]:
    if inp[key] != value:
        problems.append(f"input.{key} = {inp[key]}, expected {value}")
if inp["malformed"]["total"] != 0:
    problems.append(f"malformed = {inp['malformed']}")
if inp["problems"]:
    problems.append(f"problems = {inp['problems']}")
if problems:
    print(f"\n!!! bsaudit counts DIFFER from expected.tsv for {variant}:", file=sys.stderr)
    for p in problems[:40]:
        print("    " + p, file=sys.stderr)
    sys.exit(1)
print(f"   {variant}: bsaudit matches expected.tsv ({len(want)} groups, {lines} records)",
      file=sys.stderr)
PY
}

# ---------------------------------------------------------------------------------------------
# Timing.

AWK_PROG='{c[$2" "$8]++} END{for(k in c)print k, c[k]}'
BS_THREADS=${THREADS:+ --threads $THREADS}
NPROC=$(nproc)

write_duckdb_query() { # write_duckdb_query GLOB FILE
  cat >"$2" <<SQL
SELECT split_part(module, '@', 1) AS service, code, count(*) AS n,
       quantile_cont(duration, 0.99) AS p99_us
FROM read_csv('$1', delim = '\t', header = false, quote = '', escape = '',
              columns = {'req': 'VARCHAR', 'module': 'VARCHAR', 'start_time': 'BIGINT',
                         'method': 'VARCHAR', 'path': 'VARCHAR', 'req_header': 'VARCHAR',
                         'req_params': 'VARCHAR', 'code': 'BIGINT', 'resp_header': 'VARCHAR',
                         'resp_body': 'VARCHAR', 'resp_length': 'BIGINT', 'duration': 'BIGINT'})
GROUP BY ALL
ORDER BY service, code;
SQL
}

duckdb_command() { # duckdb_command SQLFILE
  if [[ $DUCKDB == cli ]]; then
    echo "duckdb < '$1'"
  else
    echo "python3 -c 'import duckdb, sys; print(duckdb.sql(open(sys.argv[1]).read()).fetchall())' '$1'"
  fi
}

# run_variant VARIANT NAME COMMAND [NAME COMMAND ...]: hyperfine, then peak RSS of each.
run_variant() {
  local variant=$1; shift
  local dir=$BENCH_DIR/$variant
  local -a args=() names=() cmds=()
  while [[ $# -gt 0 ]]; do
    names+=("$1"); cmds+=("$2"); args+=(-n "$1" "$2"); shift 2
  done
  log "warming the page cache for $variant"
  find "$dir" -path '*/auditlog/*' -type f -exec cat {} + >/dev/null
  # One hyperfine per command, so that the load average can be read before each.
  local loads=$RESULTS/$variant.load.tsv i load
  : >"$loads"
  for i in "${!names[@]}"; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    log "hyperfine: $variant: ${names[$i]} ($RUNS runs), load average before: $load"
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$RESULTS/.$variant.$i.json" \
      --style basic -n "${names[$i]}" "${cmds[$i]}" >&2
    printf '%s\t%s\n' "${names[$i]}" "$load" >>"$loads"
  done
  python3 - "$RESULTS/$variant.hyperfine.json" "$RESULTS"/.$variant.*.json <<'PY'
import json, sys
out, parts = sys.argv[1], sorted(sys.argv[2:], key=lambda p: int(p.rsplit(".", 2)[-2]))
json.dump({"results": [r for p in parts for r in json.load(open(p))["results"]]}, open(out, "w"))
PY
  rm -f "$RESULTS"/.$variant.*.json
  log "peak RSS: $variant"
  local rss=$RESULTS/$variant.rss.tsv kib
  : >"$rss"
  for i in "${!names[@]}"; do
    /usr/bin/time -f '%M' -o "$RESULTS/.rss" sh -c "${cmds[$i]}" >/dev/null 2>&1 || true
    kib=$(tail -n1 "$RESULTS/.rss")
    printf '%s\t%s\n' "${names[$i]}" "$kib" >>"$rss"
    printf '   %-28s %s KiB\n' "${names[$i]}" "$kib" >&2
  done
}

table() { # table VARIANT: the markdown table of one variant
  python3 - "$RESULTS/$1.hyperfine.json" "$RESULTS/$1.rss.tsv" "$(gen_value "$1" bytes)" \
    "$(gen_value "$1" lines)" "$(gen_value "$1" disk_bytes)" "$1" "$RESULTS/$1.load.tsv" <<'PY'
import json, sys
hf, rss_file, log_bytes, lines, disk_bytes, variant, load_file = sys.argv[1:8]
log_bytes, lines, disk_bytes = int(log_bytes), int(lines), int(disk_bytes)
results = json.load(open(hf))["results"]
rss = dict(l.rstrip("\n").split("\t") for l in open(rss_file) if "\t" in l)
loads = dict(l.rstrip("\n").split("\t") for l in open(load_file) if "\t" in l)
base = next((r["mean"] for r in results if r["command"] == "bsaudit"), None)
# The true floor where there is one (plain files): the faster of its mapped and pread forms in
# this run (which one wins depends on the layout and, on a shared VM, on the moment: the
# mapped one has measured 0.059 s and 0.094 s on the same files an hour apart); for gzip, the
# first row (gzip -dc | wc -l).
floors = [r["mean"] for r in results if r["command"] in ("floor", "floor --pread")]
floor = min(floors) if floors else results[0]["mean"]
gib = log_bytes / 2**30
print(f"### {variant}: {gib:.2f} GiB of log text ({log_bytes:,} bytes, {lines:,} lines"
      + (f", {disk_bytes / 2**20:.0f} MiB on disk" if disk_bytes != log_bytes else "") + ")\n")
print("| command | load before | time (s, mean ± σ) | GB/s | M lines/s | peak RSS (MiB) | time / floor | time / bsaudit |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
busy_rows = 0
for r in results:
    mean, sd = r["mean"], r.get("stddev") or 0.0
    kib = rss.get(r["command"], "")
    rss_mib = f"{int(kib) / 1024:.0f}" if kib.isdigit() else "?"
    ratio = f"{mean / base:.2f}" if base else "-"
    name = r["command"].replace("|", "\\|")
    load = loads.get(r["command"], "?")
    busy = load.split()[0].replace(".", "", 1).isdigit() and float(load.split()[0]) > 1.0
    busy_rows += busy
    load_cell = f"{load.split()[0]}{' busy' if busy else ''}" if load != "?" else "?"
    print(f"| `{name}` | {load_cell} | {mean:.3f} ± {sd:.3f} | {log_bytes / mean / 1e9:.2f} | "
          f"{lines / mean / 1e6:.1f} | {rss_mib} | {mean / floor:.2f} | {ratio} |")
print()
if floors:
    print(f"time / floor: against the faster of `floor` and `floor --pread` in this run ({floor:.3f} s).\n")
if busy_rows:
    print(f"{busy_rows} row(s) marked busy: measured at a 1-minute load average above 1 on "
          "this machine, so other work shared the cores; compare ratios within a run.\n")
PY
}

# ---------------------------------------------------------------------------------------------
# Variants.

VARIANTS=(text)
[[ $ALL_VARIANTS -eq 1 ]] && VARIANTS+=(rotated small json gzip)
if [[ -n $VARIANT_LIST ]]; then
  IFS=, read -r -a VARIANTS <<<"$VARIANT_LIST"
  for v in "${VARIANTS[@]}"; do
    [[ $v =~ ^(text|rotated|small|json|gzip)$ ]] || die "unknown variant: $v (text, rotated, small, json, gzip)"
  done
fi

for v in "${VARIANTS[@]}"; do
  case $v in
    text) generate text ;;
    # The same text cut into 32 MiB files: most are closed (mapped), one per service is live.
    rotated) generate rotated --file-size 32MiB ;;
    # The same text in files of at most 100 KiB: ten thousand files per GiB, where the cost
    # of opening, mapping and scheduling a file shows.
    small) generate small --file-size 100KiB ;;
    json) generate json --json ;;
    gzip) generate gzip --gzip ;;
  esac
done

log "checking bsaudit's counts against expected.tsv"
for v in "${VARIANTS[@]}"; do check "$v"; done

# add_floor GLOB: the true floor (mapped, then pread) and ripgrep's line count as a peer.
add_floor() {
  cmds+=("floor" "$FLOOR $1")
  cmds+=("floor --pread" "$FLOOR --pread $1")
  if [[ $HAVE_RG -eq 1 ]]; then
    cmds+=("rg -c ''" "rg -c '' -j$NPROC --no-ignore --hidden -a $1")
  fi
}

for v in "${VARIANTS[@]}"; do
  dir=$BENCH_DIR/$v
  glob="$dir/*/auditlog/*"
  case $v in
    text|rotated)
      cmds=()
      add_floor "$glob"
      cmds+=("bsaudit" "$BSAUDIT report $dir --quiet$BS_THREADS")
      if [[ $v == text ]]; then
        # One thread, for the scaling figure (bsaudit / bsaudit -j1).
        [[ -z $THREADS ]] && cmds+=("bsaudit -j1" "$BSAUDIT report $dir --quiet --threads 1")
        # What a grouping and a time filter cost on top of the default report.
        cmds+=("bsaudit --by api,code" "$BSAUDIT report $dir --quiet$BS_THREADS --by api,code")
        cmds+=("bsaudit --last 15m" "$BSAUDIT report $dir --quiet$BS_THREADS --last 15m")
      fi
      cmds+=("mawk" "LC_ALL=C mawk -F'\t' '$AWK_PROG' $glob")
      cmds+=("gawk" "LC_ALL=C gawk -F'\t' '$AWK_PROG' $glob")
      if [[ -n $DUCKDB ]]; then
        write_duckdb_query "$glob" "$RESULTS/$v.sql"
        cmds+=("duckdb ($DUCKDB)" "$(duckdb_command "$RESULTS/$v.sql")")
      fi
      run_variant "$v" "${cmds[@]}"
      ;;
    json)
      cmds=()
      add_floor "$glob"
      cmds+=("bsaudit" "$BSAUDIT report $dir --quiet$BS_THREADS")
      run_variant json "${cmds[@]}"
      ;;
    small)
      # Ten thousand paths: the peers read the directory themselves rather than a glob.
      cmds=()
      cmds+=("floor" "$FLOOR $dir/*/auditlog")
      cmds+=("floor --pread" "$FLOOR --pread $dir/*/auditlog")
      cmds+=("bsaudit" "$BSAUDIT report $dir --quiet$BS_THREADS")
      run_variant small "${cmds[@]}"
      ;;
    gzip)
      cmds=("gzip -dc | wc -l (floor)" "gzip -dc $glob | wc -l")
      if [[ $HAVE_RG -eq 1 ]]; then
        cmds+=("rg -z -c '' (parallel floor)" "rg -z -c '' -j$NPROC --no-ignore --hidden -a $glob")
      fi
      cmds+=("bsaudit" "$BSAUDIT report $dir --quiet$BS_THREADS")
      cmds+=("gzip -dc | mawk" "gzip -dc $glob | LC_ALL=C mawk -F'\t' '$AWK_PROG'")
      run_variant gzip "${cmds[@]}"
      ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# Report.

REPORT=$RESULTS/report.md
{
  echo "## bsaudit comparison"
  echo
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  [[ -n $cpu ]] || cpu=$(lscpu 2>/dev/null | awk -F': +' '/Model name/ { print $2; exit }' || true)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then rev+="-dirty"; fi
  echo "- machine: $NPROC CPUs, ${cpu:-unknown CPU}, $mem RAM; $(uname -sr)"
  echo "- bsaudit: $rev$BS_THREADS; runs: $RUNS (+1 warmup), page cache warm; peak RSS from one extra run (for a pipeline, its largest process)"
  # first_line CMD...: the first line of a command's output, read whole (a `| head -1` closes
  # the pipe early, and some of these tools then complain of a broken pipe).
  first_line() { local out; out=$("$@" 2>&1 || true); printf '%s' "${out%%$'\n'*}"; }
  echo "- tools: $(first_line hyperfine --version); mawk $(first_line mawk -W version | awk '{print $2}'); $(first_line gawk --version | cut -d, -f1)$( [[ $HAVE_RG -eq 1 ]] && echo "; $(first_line rg --version)" )$( [[ -n $DUCKDB ]] && echo "; duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || duckdb --version)" )"
  echo "- data: gen-auditlog --size $SIZE --seed $SEED, 256 MiB rotation (rotated: 32 MiB), in $BENCH_DIR"
  echo
  for v in "${VARIANTS[@]}"; do table "$v"; done
} >"$REPORT"
echo
cat "$REPORT"
echo "(saved to $REPORT; hyperfine JSON in $RESULTS)" >&2
