#!/usr/bin/env bash
# Times `bsaudit export --format parquet` against DuckDB's own CSV -> Parquet
# (COPY (SELECT * FROM read_csv(...)) TO 'x.parquet') on the same generated logs, and checks
# that the export round-trips: DuckDB and chDB count every (service, code) of the Parquet as
# the generator's expected.tsv says.
#
# Usage: benches/export.sh [--size 1GiB] [--runs 3] [--threads N]
#
# Data: ${BENCH_DIR:-bench-data}/export-text (text logs, 256 MiB files, seed 1), reused when
# its stamp matches. Prints the load average before and after, each command's wall time
# (min and median of the runs), throughput, and output size per GiB of log text.
set -euo pipefail

SIZE=1GiB
RUNS=3
THREADS=
SEED=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "export.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "export.sh: --runs must be a positive integer" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_DIR=${BENCH_DIR:-bench-data}
mkdir -p "$BENCH_DIR/results"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
OUT=$BENCH_DIR/results/export
mkdir -p "$OUT"
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'export.sh: %s\n' "$*" >&2; exit 1; }

if ! python3 -c 'import duckdb' 2>/dev/null; then
  log "installing the duckdb python module"
  python3 -m pip install -q duckdb >/dev/null 2>&1 ||
    python3 -m pip install -q --break-system-packages duckdb >/dev/null 2>&1 ||
    die "python duckdb is required"
fi
HAVE_CHDB=1
python3 -c 'import chdb' 2>/dev/null || HAVE_CHDB=0

log "building bsaudit and gen-auditlog (release)"
cargo build --release --quiet --bin bsaudit --example gen-auditlog
BSAUDIT=$TARGET_DIR/release/bsaudit
GEN=$TARGET_DIR/release/examples/gen-auditlog

DATA=$BENCH_DIR/export-text
STAMP="size=$SIZE seed=$SEED file-size=256MiB gen=$(sha256sum examples/gen-auditlog.rs | cut -c1-16)"
if [[ -f $DATA/.stamp && $(cat "$DATA/.stamp") == "$STAMP" ]]; then
  log "reusing $DATA ($STAMP)"
else
  log "generating $DATA ($STAMP)"
  rm -rf "$DATA"
  "$GEN" --size "$SIZE" --seed "$SEED" --file-size 256MiB --out "$DATA" >/dev/null
  echo "$STAMP" >"$DATA/.stamp"
fi
GLOB="$DATA/*/auditlog/*"
INPUT_BYTES=$(cat $GLOB | wc -c)

BS_THREADS=${THREADS:+--threads $THREADS}
DUCK_THREADS=${THREADS:+"SET threads = $THREADS;"}
cat >"$OUT/duckdb-copy.sql" <<SQL
$DUCK_THREADS
COPY (SELECT * FROM read_csv('$GLOB', delim = '\t', header = false, quote = '', escape = '',
          columns = {'req': 'VARCHAR', 'module': 'VARCHAR', 'start_time': 'BIGINT',
                     'method': 'VARCHAR', 'path': 'VARCHAR', 'req_header': 'VARCHAR',
                     'req_params': 'VARCHAR', 'code': 'BIGINT', 'resp_header': 'VARCHAR',
                     'resp_body': 'VARCHAR', 'resp_length': 'BIGINT', 'duration': 'BIGINT'}))
TO '$OUT/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd);
SQL

# time_runs NAME COMMAND...: wall seconds of each run, one per line, into $OUT/NAME.times.
time_runs() {
  local name=$1; shift
  : >"$OUT/$name.times"
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$OUT/$name.stderr" || die "$name failed: $(tail -3 "$OUT/$name.stderr")"
    end=$(date +%s.%N)
    echo "$end - $start" | bc >>"$OUT/$name.times"
  done
}

summary() { # summary NAME OUTPUT_FILE COMMAND_TEXT
  python3 - "$OUT/$1.times" "$2" "$INPUT_BYTES" "$1" "$3" <<'PY'
import os, statistics, sys
times = sorted(float(t) for t in open(sys.argv[1]))
size, inp = os.path.getsize(sys.argv[2]), int(sys.argv[3])
gib = inp / 2**30
print(f"| {sys.argv[4]} | `{sys.argv[5]}` | {times[0]:.2f} | {statistics.median(times):.2f} "
      f"| {inp / 2**20 / times[0]:.0f} | {size / 2**20:.1f} | {size / 2**20 / gib:.1f} |")
PY
}

LOAD_BEFORE=$(uptime)
log "timing ($RUNS runs each); load before: $LOAD_BEFORE"
BS_CMD="bsaudit export --format parquet -o $OUT/bsaudit.parquet --quiet $BS_THREADS $DATA"
time_runs bsaudit "$BSAUDIT" export --format parquet -o "$OUT/bsaudit.parquet" --quiet $BS_THREADS "$DATA"
DUCK_CMD="duckdb: COPY (SELECT * FROM read_csv(...)) TO 'x.parquet' (zstd)"
time_runs duckdb python3 -c 'import duckdb, sys; duckdb.sql(open(sys.argv[1]).read())' "$OUT/duckdb-copy.sql"
LOAD_AFTER=$(uptime)

log "checking the round trip against expected.tsv"
"$BSAUDIT" codes --format parquet -o "$OUT/codes.parquet"
python3 - "$OUT/bsaudit.parquet" "$OUT/duckdb.parquet" "$DATA/expected.tsv" "$HAVE_CHDB" <<'PY'
import sys
import duckdb
ours, theirs, expected, have_chdb = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
want = {}
with open(expected) as f:
    next(f)
    for line in f:
        s, c, n, m = line.rstrip("\n").split("\t")
        want[(s, int(c))] = (int(n), int(m))
q = "SELECT service, code, count(*), max(duration_us) FROM '%s' GROUP BY ALL" % ours
got = {(s, int(c)): (int(n), int(m)) for s, c, n, m in duckdb.sql(q).fetchall()}
assert got == want, "duckdb over the export differs from expected.tsv"
n_theirs = duckdb.sql(f"SELECT count(*) FROM '{theirs}'").fetchall()[0][0]
assert n_theirs == sum(n for n, _ in want.values()), (n_theirs, "duckdb's own copy lost rows")
if have_chdb:
    import chdb
    r = chdb.query(f"SELECT service, code, count(), max(duration_us) FROM file('{ours}', Parquet)"
                   " GROUP BY service, code", "CSV").bytes().decode()
    got_ch = {}
    for line in r.splitlines():
        s, c, n, m = line.split(",")
        got_ch[(s.strip('"'), int(c))] = (int(n), int(m))
    assert got_ch == want, "chdb over the export differs from expected.tsv"
print(f"   round trip: {len(want)} (service, code) groups, {sum(n for n, _ in want.values())} "
      f"records, exact in duckdb{' and chdb' if have_chdb else ''}", file=sys.stderr)
PY

echo
echo "input: $INPUT_BYTES bytes of log text ($SIZE generated, seed $SEED), $(nproc) cores"
echo "load before: $LOAD_BEFORE"
echo "load after:  $LOAD_AFTER"
echo "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'); runs: $RUNS"
echo
echo "| tool | command | min s | median s | MiB/s (min) | output MiB | MiB per GiB of logs |"
echo "|---|---|--:|--:|--:|--:|--:|"
summary bsaudit "$OUT/bsaudit.parquet" "$BS_CMD"
summary duckdb "$OUT/duckdb.parquet" "$DUCK_CMD"
