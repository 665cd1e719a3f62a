#!/bin/sh
# bench/debug_overhead.sh — what debug mode costs, off and on.
#
# usage: bench/debug_overhead.sh [RUNS]     (default 7)
#
# Builds libloop a second time with -DLOOP_NO_INSTRUMENT (the one branch per
# dispatch that debug mode, the monitor and the watchdog hang on is compiled
# out), links bench/callsoon_libloop.c and bench/tasks_libloop.c against both
# builds, and runs, interleaved, RUNS times each:
#   none   the build without the branch
#   off    the normal build, debug mode off (what every program pays)
#   on     the normal build with LOOP_DEBUG=1
# Prints the medians (ns per dispatch / per yield) and off/none, on/off.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-7}
BUILD=${BUILD:-build}
CC=${CC:-cc}
OUT=$BUILD/bench-debug
mkdir -p "$OUT/obj"
make -s lib >/dev/null
CFLAGS="-std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Ilibloop -I. -fvisibility=hidden"
for f in libloop/*/*.c libloop/task/arch/*_"$(uname -m)".S; do
    o="$OUT/obj/$(basename "$f").o"
    $CC $CFLAGS -DLOOP_NO_INSTRUMENT -c "$f" -o "$o"
done
rm -f "$OUT/libloop-noinst.a"
ar rcs "$OUT/libloop-noinst.a" "$OUT"/obj/*.o
LIBS="-lpthread -ldl -lzstd"
for p in callsoon tasks; do
    $CC $CFLAGS -o "$OUT/${p}_none" "bench/${p}_libloop.c" "$OUT/libloop-noinst.a" $LIBS
    $CC $CFLAGS -o "$OUT/${p}_off" "bench/${p}_libloop.c" "$BUILD/lib/libloop.a" $LIBS
done
raw="$OUT/raw.txt"
: > "$raw"
i=0
while [ "$i" -lt "$RUNS" ]; do
    for v in none off on; do
        bin=$v
        [ "$v" = on ] && bin=off
        dbg=0
        [ "$v" = on ] && dbg=1
        LOOP_DEBUG=$dbg "$OUT/callsoon_$bin" 2>/dev/null | sed "s/^/$v /" >> "$raw"
        LOOP_DEBUG=$dbg LOOP_SLOW_MS=100000 "$OUT/tasks_$bin" 2>/dev/null | grep yield | sed "s/^/$v /" >> "$raw"
    done
    i=$((i + 1))
done
python3 - "$raw" <<'PY'
import statistics, sys, collections
vals = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 3:
        vals[(parts[0], parts[1].split('.', 1)[0] + '.' + parts[1].rsplit('.', 1)[-1])].append(float(parts[2]))
figs = sorted({k[1] for k in vals})
print("| figure | no branch (ns) | debug off (ns) | debug on (ns) | off / no branch | on / off |")
print("|---|---:|---:|---:|---:|---:|")
for f in figs:
    m = {v: statistics.median(vals[(v, f)]) for v in ("none", "off", "on") if vals.get((v, f))}
    if len(m) == 3:
        print(f"| {f} | {m['none']:.1f} | {m['off']:.1f} | {m['on']:.1f} | {m['off']/m['none']:.3f} | {m['on']/m['off']:.2f} |")
PY
