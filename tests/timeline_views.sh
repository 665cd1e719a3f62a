#!/bin/sh
# timeline_views.sh — the pictures of `loop-analyze timeline` on real traces:
# captured with loop-trace under a private lttng-sessiond from
# tests/lib/tl_onepercent.c (a task that runs 1% of the time, a wakeup
# through an event, a spawn) and examples/deadlock (a deadlock broken by a
# timeout), then
#  - the ASCII Gantt shows each column's dominant state: the 1% task's row is
#    at most 2% running over the whole run, and mostly running in a window
#    cut around one of its steps (--from/--to);
#  - the Chrome JSON parses, names slices stably ("run busy"), has spawn and
#    wake flow arrows and instant events for findings, and --max-events caps it
#    with one line on stderr;
#  - the HTML page, loaded in headless Chromium (Debian's chromium), runs
#    without a script error, holds every row (3000+ tasks: no cap) but draws
#    only the rows on screen (virtualized),
#    renders the 1% task at most 2% running, lists and marks the deadlock and
#    jumps to it; a screenshot is left in $BUILD/test-artifacts/;
#  - tree shows busy's child under busy and folds the 3000 tiny tasks;
#    why sleeper walks from its end back through the waker's wakeup and
#    sleep to the root, and puts the waker's sleep first (text and --json);
#  - profile --flame/--wait-flame write well-formed SVG, --speedscope a file
#    whose weights add up to the CPU time of the folded stacks;
#  - a progress line goes to stderr when it is a terminal, never with
#    --quiet or to a file.
. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

A=$BUILD/bin/loop-analyze
for tool in cc lttng lttng-sessiond babeltrace2 python3 chromium; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in bin/loop-analyze bin/loop-trace bin/deadlock lib/libloop.a lib/liblooptp.so; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
make_tmp loop-timeline-test
mkdir -p "$tmp/bin" "$tmp/lib" "$BUILD/test-artifacts"
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so" # found via ../lib from $tmp/bin
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
# shellcheck disable=SC2086 # lists of options
${CC:-cc} -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -rdynamic ${SANFLAGS:-} -Iinclude \
    -o "$tmp/bin/onepercent" tests/lib/tl_onepercent.c "$BUILD/lib/libloop.a" $libs ||
    fail "cannot build tests/lib/tl_onepercent.c"
cp "$BUILD/bin/deadlock" "$tmp/bin/deadlock"

sessiond_start
"$BUILD/bin/loop-trace" -o "$tmp/t-one" -- "$tmp/bin/onepercent" >"$tmp/cap.err" 2>&1 ||
    fail "onepercent failed under loop-trace: $(tail -n 3 "$tmp/cap.err")"
# the same with 3000 short tasks more: many rows (their start-up delays the others: not for the timing checks)
"$BUILD/bin/loop-trace" -o "$tmp/t-many" -- "$tmp/bin/onepercent" 3000 >"$tmp/cap.err" 2>&1 ||
    fail "onepercent 3000 failed under loop-trace: $(tail -n 3 "$tmp/cap.err")"
"$BUILD/bin/loop-trace" -o "$tmp/t-dl" -- "$tmp/bin/deadlock" >"$tmp/cap.err" 2>&1
[ -d "$tmp/t-dl" ] || fail "loop-trace made no trace of examples/deadlock: $(tail -n 3 "$tmp/cap.err")"
sessiond_stop

# ---- ASCII Gantt: the dominant state per column -----------------------------
"$A" timeline --width 100 "$tmp/t-one" >"$tmp/gantt" 2>"$tmp/err" || fail "timeline failed: $(cat "$tmp/err")"
row=$(grep -E '^  task [0-9]+ busy +\|' "$tmp/gantt") || fail "no Gantt row for task busy: $(cat "$tmp/gantt")"
run=$(printf '%s\n' "$row" | sed 's/^[^|]*|//; s/|$//' | tr -cd '#' | wc -c)
[ "$run" -le 2 ] || fail "task busy runs 1% of the time but $run of 100 Gantt columns show it running: $row"
# a window around one of its steps: running is what it mostly does there
"$A" timeline --json "$tmp/t-one" >"$tmp/tl.json" || fail "timeline --json failed"
win=$(python3 - "$tmp/tl.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t0 = min(r["begin_ns"] for r in d["rows"])
busy = [r for r in d["rows"] if r.get("name") == "busy"][0]
runs = [i for i in busy["intervals"] if i["state"] == "running" and i["end_ns"] - i["start_ns"] > 100000]
i = runs[len(runs) // 2]
pad = (i["end_ns"] - i["start_ns"]) // 4
print("%dus %dus" % ((i["start_ns"] - pad - t0) // 1000, (i["end_ns"] + pad - t0) // 1000))
EOF
) || fail "no long running interval of task busy in the JSON timeline"
set -- $win
"$A" timeline --width 100 --from "$1" --to "$2" "$tmp/t-one" >"$tmp/gantt2" || fail "timeline --from/--to failed"
row=$(grep -E '^  task [0-9]+ busy +\|' "$tmp/gantt2") || fail "no busy row in the window"
run=$(printf '%s\n' "$row" | sed 's/^[^|]*|//; s/|$//' | tr -cd '#' | wc -c)
[ "$run" -ge 50 ] || fail "in a window around one step ($win) task busy shows only $run of 100 columns running: $row"
note "Gantt: busy runs 1%: $(printf '%s' "$run") columns of 100 in a window around one step, <= 2 over the run"

# ---- Chrome trace JSON ------------------------------------------------------
"$A" timeline --chrome "$tmp/one.json" "$tmp/t-one" >/dev/null 2>"$tmp/err" || fail "--chrome failed: $(cat "$tmp/err")"
"$A" timeline --chrome "$tmp/dl.json" "$tmp/t-dl" >/dev/null 2>"$tmp/err" || fail "--chrome failed: $(cat "$tmp/err")"
python3 - "$tmp/one.json" "$tmp/dl.json" <<'EOF' || fail "Chrome JSON check failed"
import json, sys
one = json.load(open(sys.argv[1]))["traceEvents"]
dl = json.load(open(sys.argv[2]))["traceEvents"]
tid = {e["args"]["name"].split(" (loop")[0]: e["tid"] for e in one if e["ph"] == "M" and e["name"] == "thread_name"}
def name_of(t):
    return [k for k, v in tid.items() if v == t][0]
busy = [k for k in tid if k.endswith(" busy")][0]
names = {e["name"] for e in one if e["ph"] == "X" and e["tid"] == tid[busy] and e["cat"] == "running"}
assert names == {"run busy"}, "busy's running slices are not named stably: %s" % names
flows = {}
for e in one:
    if e["ph"] in "sf":
        flows.setdefault((e["name"], e["id"]), {})[e["ph"]] = name_of(e["tid"])
pairs = {(n, f.get("s", "?").split()[-1], f.get("f", "?").split()[-1]) for (n, _), f in flows.items()}
assert ("spawn", "busy", "child") in pairs, "no spawn arrow busy -> child: %s" % sorted(pairs)
assert ("wake", "waker", "sleeper") in pairs, "no wake arrow waker -> sleeper: %s" % sorted(pairs)
assert all(len(f) == 2 for f in flows.values()), "a flow without both ends"
inst = [e for e in dl if e["ph"] == "i" and e["name"] == "deadlock"]
assert len(inst) == 2, "deadlock instants: %d" % len(inst)
print("chrome: ok: %d events, %d flows, %d deadlock instants" % (len(one), len(flows), len(inst)))
EOF
"$A" timeline --chrome "$tmp/cap.json" --max-events 40 "$tmp/t-one" >/dev/null 2>"$tmp/err" ||
    fail "--max-events failed: $(cat "$tmp/err")"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["traceEvents"]))' "$tmp/cap.json") ||
    fail "--max-events 40 wrote invalid JSON"
[ "$n" -le 40 ] || fail "--max-events 40 wrote $n events"
grep -q 'events left out (at most 40' "$tmp/err" || fail "--max-events said nothing on stderr: $(cat "$tmp/err")"

# ---- HTML in a real browser -------------------------------------------------
browse() { # page.html out.dom [screenshot.png]
    set -- "$1" "$2" "${3:-}"
    # the flags Debian's chromium needs on a machine without a network or a display
    ch="chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir=$tmp/chromium --window-size=1400,700 --virtual-time-budget=5000"
    # shellcheck disable=SC2086
    timeout 120 $ch --dump-dom "file://$1#selftest" >"$2" 2>"$tmp/chromium.err" ||
        fail "chromium failed on $1: $(tail -n 3 "$tmp/chromium.err")"
    if [ -n "$3" ]; then
        # shellcheck disable=SC2086
        timeout 120 $ch --screenshot="$3" "file://$1" >/dev/null 2>&1 || fail "chromium took no screenshot of $1"
    fi
}
attr() { # file name
    sed -n "s/.*<body[^>]* data-$2=\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -n 1 | sed 's/&quot;/"/g'
}
"$A" timeline --html "$tmp/one.html" "$tmp/t-one" >/dev/null || fail "--html failed"
"$A" timeline --html "$tmp/many.html" "$tmp/t-many" >/dev/null || fail "--html failed"
"$A" timeline --html "$tmp/dl.html" "$tmp/t-dl" >/dev/null || fail "--html failed"
grep -q 'src=\|href=\|https\?:' "$tmp/one.html" && fail "the page loads something from outside: $(grep -o 'src=[^ ]*\|href=[^ ]*\|https\?:[^ ]*' "$tmp/one.html" | head -n 3)"
browse "$tmp/one.html" "$tmp/one.dom" "$BUILD/test-artifacts/timeline-onepercent.png"
browse "$tmp/dl.html" "$tmp/dl.dom" "$BUILD/test-artifacts/timeline-deadlock.png"
browse "$tmp/many.html" "$tmp/many.dom"
for d in one dl many; do
    [ "$(attr "$tmp/$d.dom" errors)" = 0 ] || fail "$d.html: script errors in the page: $(attr "$tmp/$d.dom" errors)"
    [ "$(attr "$tmp/$d.dom" drawn)" -gt 0 ] || fail "$d.html: no row drawn"
done
rows=$(attr "$tmp/many.dom" rows)
drawn=$(attr "$tmp/many.dom" drawn)
[ "$rows" -gt 3000 ] || fail "many.html has $rows rows (want the 3000 tiny tasks and more: no cap)"
[ "$drawn" -le 60 ] || fail "many.html drew $drawn of $rows rows: not virtualized"
share=$(attr "$tmp/one.dom" share)
python3 - "$tmp/one.html" "$share" <<'EOF' || fail "the page renders the 1% task wrong"
import json, re, sys
page = open(sys.argv[1]).read()
data = json.loads(re.search(r'<script type="application/json" id="tl-data">(.*?)</script>', page, re.S).group(1))
share = json.loads(sys.argv[2])
busy = [i for i, r in enumerate(data["rows"]) if r[0].endswith(" busy")][0]
assert share[busy][4] <= 0.02, "busy drawn running in %.1f%% of its row" % (100 * share[busy][4])
assert share[busy][1] == max(share[busy]), "busy is not drawn mostly waiting on time: %s" % share[busy]
print("html: busy running in %.1f%% of its row" % (100 * share[busy][4]))
EOF
[ "$(attr "$tmp/dl.dom" marks)" = 2 ] || fail "dl.html: findings listed: $(attr "$tmp/dl.dom" marks) (want the 2 deadlock edges)"
grep -q 'class="finding deadlock"' "$tmp/dl.dom" || fail "dl.html: no deadlock in the findings panel"
view=$(attr "$tmp/dl.dom" view)
span=$(python3 -c 'import json,re,sys; print(json.loads(re.search(r"id=\"tl-data\">(.*?)</script>", open(sys.argv[1]).read(), re.S).group(1))["span"])' "$tmp/dl.html")
python3 -c 'import sys; a, b = map(int, sys.argv[1].split(",")); sys.exit(0 if b - a < int(sys.argv[2]) / 2 else 1)' \
    "$view" "$span" || fail "dl.html: clicking the finding did not zoom to it (view $view of $span ns)"

# ---- causality: tree and why -------------------------------------------------
"$A" tree "$tmp/t-many" >"$tmp/tree" 2>"$tmp/err" || fail "tree failed: $(cat "$tmp/err")"
awk '/ busy done/ { b = index($0, "task") } / child done/ && b { c = index($0, "task"); exit !(c > b) }
     END { if (!b) exit 1 }' "$tmp/tree" || fail "tree: child is not under busy: $(head -n 8 "$tmp/tree")"
grep -Eq '\.\.\. 29[0-9][0-9] more task\(s\), all "tiny"' "$tmp/tree" ||
    fail "tree did not fold the 3000 tiny tasks: $(grep -c tiny "$tmp/tree") lines name them"
"$A" why sleeper "$tmp/t-one" >"$tmp/why" 2>"$tmp/err" || fail "why failed: $(cat "$tmp/err")"
grep -Eq 'task [0-9]+ waker woke task [0-9]+ sleeper' "$tmp/why" || fail "why sleeper: no wakeup by waker: $(cat "$tmp/why")"
grep -Eq 'task [0-9]+ root spawned task [0-9]+ waker' "$tmp/why" || fail "why sleeper: the chain does not reach root: $(cat "$tmp/why")"
sed -n '/^where the/{n;p;}' "$tmp/why" | grep -q 'sleep at tests/lib/tl_onepercent.c:[0-9]* (waker)' ||
    fail "why sleeper: the waker's sleep is not where most time went: $(cat "$tmp/why")"
"$A" why --json sleeper "$tmp/t-one" >"$tmp/why.json" || fail "why --json failed"
python3 - "$tmp/why.json" <<'EOF2' || fail "why --json is inconsistent"
import json, sys
d = json.load(open(sys.argv[1]))
segs = [s for s in d["path"] if s["what"] in ("running", "ready", "waiting")]
covered = sum(s["end_ns"] - s["begin_ns"] for s in segs)
length = d["path_end_ns"] - d["path_begin_ns"]
assert covered == length, "segments cover %d ns of a %d ns path" % (covered, length)
assert sum(t["ns"] for t in d["totals"]) == length
for a, b in zip(d["path"], d["path"][1:]):
    assert a["end_ns"] <= b["begin_ns"] or a["what"] in ("spawned", "woke"), "path out of order at %s" % a
EOF2
"$A" tree --json "$tmp/t-many" >"$tmp/tree.json" || fail "tree --json failed"
if python3 -c 'import jsonschema' 2>/dev/null; then
    python3 - analyze/loop-analyze.schema.json "$tmp/tree.json" "$tmp/why.json" <<'EOF2' || fail "tree/why JSON does not validate against the schema"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for f in sys.argv[2:]:
    v.validate(json.load(open(f)))
EOF2
else
    note "python3 jsonschema is missing: the schema check of tree/why is skipped"
fi
"$A" why nosuchtask "$tmp/t-one" >/dev/null 2>"$tmp/err" && fail "why on an unknown task succeeded"
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'no task "nosuchtask"' "$tmp/err" || fail "why nosuchtask: $(cat "$tmp/err")"

# ---- flame graphs ------------------------------------------------------------
"$A" profile --flame "$tmp/cpu.svg" --wait-flame "$tmp/wait.svg" --speedscope "$tmp/ss.json" \
    --folded "$tmp/t-one" >"$tmp/folded" 2>"$tmp/err" || fail "profile graphs failed: $(cat "$tmp/err")"
python3 - "$tmp/cpu.svg" "$tmp/wait.svg" "$tmp/ss.json" "$tmp/folded" <<'EOF2' || fail "flame graph check failed"
import json, sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
cpu = ET.parse(sys.argv[1]).getroot()
titles = [t.text for t in cpu.iter(ns + "title")]
assert any(t.startswith("task busy ") for t in titles), "no frame for task busy: %s" % titles[:5]
wait = ET.parse(sys.argv[2]).getroot()
assert any("event;" not in t and t.startswith("event ") or t.startswith("join ") for t in (x.text for x in wait.iter(ns + "title"))), \
    "no event or join wait in the wait flame graph"
ss = json.load(open(sys.argv[3]))
folded = sum(int(l.rsplit(" ", 1)[1]) for l in open(sys.argv[4]) if l.strip())
p = ss["profiles"][0]
assert p["type"] == "sampled" and p["unit"] == "nanoseconds"
assert sum(p["weights"]) == folded == p["endValue"], "speedscope weights %d, folded %d" % (sum(p["weights"]), folded)
assert len(p["samples"]) == len(p["weights"])
assert all(0 <= i < len(ss["shared"]["frames"]) for s in p["samples"] for i in s)
EOF2

# ---- progress: on a terminal only ------------------------------------------
progress() { # run loop-analyze ARGS with stderr on a pseudo-terminal; print what it wrote there
    LOOP_ANALYZE_PROGRESS_MS=0 python3 - "$A" "$@" <<'EOF2'
import os, subprocess, sys
m, s = os.openpty()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.exit(p.wait() or sys.stdout.write(out.decode(errors="replace")) and 0)
EOF2
}
progress summary "$tmp/t-many" >"$tmp/tty" || fail "summary on a terminal failed"
grep -Eq 'loop-analyze: [0-9.]+M events, \+[0-9.]+ s into the trace, [0-9]+k events/s, +[0-9]+% of [0-9.]+ MB' "$tmp/tty" ||
    fail "no progress line on a terminal: $(tr '\r' '\n' <"$tmp/tty" | head -n 3)"
progress summary --quiet "$tmp/t-many" >"$tmp/tty" || fail "summary --quiet on a terminal failed"
[ ! -s "$tmp/tty" ] || fail "--quiet still printed on the terminal: $(head -c 200 "$tmp/tty")"
LOOP_ANALYZE_PROGRESS_MS=0 "$A" summary "$tmp/t-many" >/dev/null 2>"$tmp/err" || fail "summary failed"
[ ! -s "$tmp/err" ] || fail "progress printed to a file: $(head -c 200 "$tmp/err")"
note "ok (screenshots in $BUILD/test-artifacts/)"
