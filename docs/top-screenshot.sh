#!/usr/bin/env bash
# Makes the README's picture of `bsaudit top`: replays testdata/cluster into a live tree
# (benches/replay.py: 2 minutes of back-dated history, then lines with start times set to now;
# BLOBNODE's 613 held back until 12 s in, so it shows as a NEW code; a new chunk per service
# every 15 s), runs `bsaudit top --last 5m` in a
# detached tmux pane, and captures the pane: docs/top.txt (text) and docs/top.png (the
# pane's colours, rendered by headless Chromium from the captured escape codes).
#
#   docs/top-screenshot.sh [BSAUDIT]        (default target/release/bsaudit)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/bsaudit}
[ -x "$bin" ] || cargo build --release --quiet
for tool in tmux python3 chromium; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'tmux kill-session -t bsaudit-shot 2>/dev/null || true; kill $replay 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/live"
python3 benches/replay.py testdata/cluster "$work/live" --rate 400 --seconds 60 \
    --hold 613 --hold-for 12 --rotate-every 15 --history 120 >/dev/null &
replay=$!
sleep 3
tmux new-session -d -s bsaudit-shot -x 150 -y 40 \
    "$bin top --last 5m --interval 1s --window 1m $work/live; sleep 60"
sleep 22
tmux capture-pane -p -t bsaudit-shot | sed "s|$work|/var/log/blobstore|g" > docs/top.txt
tmux capture-pane -e -p -t bsaudit-shot | sed "s|$work|/var/log/blobstore|g" > "$work/top.ansi"
python3 - "$work/top.ansi" "$work/top.html" <<'EOF'
# Captured SGR escapes to HTML spans: enough of ECMA-48 for what tmux prints.
import html, re, sys
base = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
        "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
def c256(n):
    if n < 16: return base[n]
    if n < 232:
        n -= 16; v = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (v[n // 36], v[n // 6 % 6], v[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
out, st = [], {}
def span(s):
    if not s: return ""
    fg, bg = st.get("fg"), st.get("bg")
    if st.get("rev"): fg, bg = bg or "#101418", fg or "#d4d4d4"
    css = []
    if fg: css.append("color:" + fg)
    if bg: css.append("background:" + bg)
    if st.get("bold"): css.append("font-weight:bold")
    if st.get("dim"): css.append("opacity:.7")
    if st.get("ul"): css.append("text-decoration:underline")
    body = html.escape(s)
    return f'<span style="{";".join(css)}">{body}</span>' if css else body
pos = 0
for m in re.finditer(r"\x1b\[([0-9;]*)m", text):
    out.append(span(text[pos:m.start()])); pos = m.end()
    codes = [int(c) if c else 0 for c in m.group(1).split(";")]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0: st = {}
        elif c == 1: st["bold"] = True
        elif c == 2: st["dim"] = True
        elif c == 4: st["ul"] = True
        elif c == 7: st["rev"] = True
        elif c == 22: st.pop("bold", None); st.pop("dim", None)
        elif c == 24: st.pop("ul", None)
        elif c == 27: st.pop("rev", None)
        elif 30 <= c <= 37: st["fg"] = base[c - 30]
        elif 90 <= c <= 97: st["fg"] = base[c - 90 + 8]
        elif c == 39: st.pop("fg", None)
        elif 40 <= c <= 47: st["bg"] = base[c - 40]
        elif 100 <= c <= 107: st["bg"] = base[c - 100 + 8]
        elif c == 49: st.pop("bg", None)
        elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
            st["fg" if c == 38 else "bg"] = c256(codes[i + 2]); i += 2
        elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
            st["fg" if c == 38 else "bg"] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
        i += 1
out.append(span(text[pos:]))
page = ('<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#101418}'
        'pre{margin:0;padding:12px;color:#d4d4d4;font:13px/1.25 "DejaVu Sans Mono",monospace}'
        '</style><pre>' + "".join(out) + "</pre>")
open(sys.argv[2], "w", encoding="utf-8").write(page)
EOF
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars --window-size=1240,680 \
    --screenshot="$PWD/docs/top.png" "file://$work/top.html" 2>/dev/null
echo "wrote docs/top.txt and docs/top.png"
