#!/usr/bin/env bash
# Peak RSS and wall time of high-cardinality --by on a generated input, per thread count.
#   benches/groups-memory.sh [SIZE] [DIR]      (default 4GiB into bench-data/groups)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-4GiB}
dir=${2:-bench-data/groups}
cargo build --release --quiet --example gen-auditlog
cargo build --release --quiet
[ -f "$dir/expected.tsv" ] || target/release/examples/gen-auditlog --size "$size" --out "$dir" >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for args in "--all --by vuid" "--by vuid" "--all --by api,host,disk" "--by service,code"; do
    for j in 2 8; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "$args -j$j: %e s, peak RSS %M KiB" \
            target/release/bsaudit report "$dir" $args -j"$j" -q --top 3 --format csv >/dev/null
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
