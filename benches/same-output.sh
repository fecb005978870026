#!/usr/bin/env bash
# Checks that a changed bsaudit prints byte for byte what a baseline build prints: the guard
# for speed work, where every change must leave every count, sample and reason as it was.
#
# Usage: benches/same-output.sh BASELINE_BINARY [NEW_BINARY]
#
# NEW_BINARY defaults to target/release/bsaudit. The inputs: every directory of testdata/, the
# generated 32 MiB text and JSON sets of `compare.sh --instructions` (bench-data/insn-*, when
# present), and a file of mutated lines made here from testdata's records (bytes flipped,
# inserted and deleted, fields dropped and doubled, TABs, NULs and CRs put in; seed 7), which
# exercises every malformed reason. Each input goes through `report --format json` with the
# default grouping, with `--all --by api,code`, and with `--invalid-lines`; outputs are
# compared with cmp. Exits 1 on the first difference, printing both outputs' first lines.
set -euo pipefail

BASE=${1:?usage: same-output.sh BASELINE_BINARY [NEW_BINARY]}
NEW=${2:-target/release/bsaudit}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x $BASE && -x $NEW ]] || { echo "same-output.sh: binaries not found: $BASE $NEW" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Mutated lines, text and JSON, from the records of testdata/ (decompressed where needed).
mkdir -p "$WORK/mutated"
python3 - "$WORK/mutated" <<'EOF'
import gzip, os, random, sys
out = sys.argv[1]
rng = random.Random(7)
lines = []
for root, _, files in os.walk("testdata"):
    for name in sorted(files):
        path = os.path.join(root, name)
        try:
            data = gzip.open(path).read() if name.endswith(".gz") else open(path, "rb").read()
        except (OSError, EOFError):
            continue  # testdata holds truncated and broken files on purpose
        lines += [l for l in data.split(b"\n") if l.startswith(b"REQ\t") or l.startswith(b"{")]
lines = sorted(set(lines))
if not lines:
    sys.exit("same-output.sh: no records found under testdata/")
def mutate(line):
    b = bytearray(line)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(9)
        at = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(at, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[at:at] = bytes([rng.choice(b"\t\r\x00{}\":,0123456789 x")])
        elif op == 2 and b:
            del b[min(at, len(b) - 1)]
        elif op == 3:
            f = b.split(b"\t")
            if len(f) > 1:
                del f[rng.randrange(len(f))]
            b = bytearray(b"\t".join(f))
        elif op == 4:
            f = b.split(b"\t")
            i = rng.randrange(len(f))
            f.insert(i, f[i])
            b = bytearray(b"\t".join(f))
        elif op == 5:
            b += b"\r"
        elif op == 6:
            b = b[:at]
        elif op == 7:
            f = b.split(b"\t")
            i = rng.randrange(len(f))
            f[i] = rng.choice([b"", b"-1", b"2OO", b"99999999999999999999", b"0", b"1" * 17, b"007"])
            b = bytearray(b"\t".join(f))
        else:
            b = bytearray(b" \t" + b)
    return bytes(b)
with open(os.path.join(out, "mutated.log"), "wb") as f:
    for i in range(40000):
        line = rng.choice(lines)
        f.write((line if i % 4 == 0 else mutate(line)) + b"\n")
EOF

inputs=(testdata/*/ "$WORK/mutated")
for d in bench-data/insn-text bench-data/insn-json; do [[ -d $d ]] && inputs+=("$d"); done
checked=0
for input in "${inputs[@]}"; do
  for args in "--format json" "--format json --all --by api,code" "--format json --invalid-lines"; do
    # shellcheck disable=SC2086
    "$BASE" report "$input" $args >"$WORK/base.out" 2>"$WORK/base.err" && rc_base=0 || rc_base=$?
    # shellcheck disable=SC2086
    "$NEW" report "$input" $args >"$WORK/new.out" 2>"$WORK/new.err" && rc_new=0 || rc_new=$?
    if ! cmp -s "$WORK/base.out" "$WORK/new.out" || [[ $rc_base != "$rc_new" ]]; then
      echo "same-output.sh: DIFFERENT on $input with: report $args (exit $rc_base vs $rc_new)" >&2
      diff <(head -c 2000 "$WORK/base.out") <(head -c 2000 "$WORK/new.out") >&2 || true
      exit 1
    fi
    checked=$((checked + 1))
  done
done
lines=$(wc -l <"$WORK/mutated/mutated.log")
echo "same-output.sh: $checked outputs identical over ${#inputs[@]} inputs (the mutated file: $lines lines)"
