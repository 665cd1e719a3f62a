#!/bin/sh
# trace_capture.sh — libloop's tracepoints under a real LTTng session daemon.
#
# Builds tests/lib/trace_prog.c against the built libloop, then checks:
#  - libloop.so and a program linked with libloop.a need no lttng library;
#  - untraced, the program does not load liblttng-ust (its /proc/PID/maps);
#  - loop-trace fails with one clear line when lttng-tools is missing;
#  - under a private lttng-sessiond, `loop-trace` records a trace in which
#    babeltrace2 shows every event the program causes, with enum labels,
#    format_version 1 in loop_new, matching ids, right sites, paired
#    callback_begin/end, a monotonic clock and the pool events in order;
#    the program ran with liblooptp.so and liblttng-ust loaded; loop-trace
#    exits with the program's status;
#  - plain `lttng create/enable-event/start` works as well, with the probe
#    found next to libloop.so (LOOP_TRACE=1) or brought by LD_PRELOAD.
# Run by `make check` (scripts/run-tests) from the repository root; BUILD is
# the build directory. Needs root (then a mount namespace) or a normal user.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in cc babeltrace2 lttng lttng-sessiond ldd; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in lib/libloop.a lib/libloop.so lib/liblooptp.so bin/loop-trace; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done

make_tmp loop-trace-test
mkdir -p "$tmp/bin" "$tmp/lib" "$tmp/shlib"
src=tests/lib/trace_prog.c
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
# A sanitizer build's libloop needs the same runtime in the test programs.
SANITIZE=${SANITIZE:-}
san=""
if [ -n "$SANITIZE" ]; then
    san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
    libs="$san $libs"
fi

# The static program lives in $tmp/bin with the probe in $tmp/lib: libloop
# finds it in ../lib from the program (the layout of build/bin and build/lib).
# shellcheck disable=SC2086 # libs is a list of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$tmp/bin/trace_prog" "$src" \
    "$BUILD/lib/libloop.a" $libs || fail "cannot build $src against libloop.a"
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so"
# The shared program: libloop.so.0 in $tmp/shlib is a link to build/lib/libloop.so,
# and the probe is found next to the real libloop.so.
ln -s "$BUILD/lib/libloop.so" "$tmp/shlib/libloop.so.0"
ln -s "$BUILD/lib/libloop.so" "$tmp/shlib/libloop.so"
# shellcheck disable=SC2086 # san is a list of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/trace_prog_so" "$src" \
    -L"$tmp/shlib" -lloop || fail "cannot build $src against libloop.so"

line_of() {
    grep -n "$1" "$src" | head -n 1 | cut -d: -f1
}
timer_line=$(line_of 'loop_timer_init(')
io_line=$(line_of 'loop_io_init(')
work_line=$(line_of 'loop_work_submit(')
defer_line=$(line_of 'loop_defer_init(')

# 1. No link-time dependency on LTTng.
for obj in "$BUILD/lib/libloop.so" "$tmp/bin/trace_prog" "$tmp/trace_prog_so"; do
    deps=$(LD_LIBRARY_PATH="$tmp/shlib" ldd "$obj") || fail "ldd $obj failed"
    if printf '%s\n' "$deps" | grep -q lttng; then
        fail "ldd $obj shows an lttng library: $(printf '%s\n' "$deps" | grep lttng | tr '\n' ' ')"
    fi
done

# 2. Untraced: liblttng-ust (and its threads) never loaded, nor the probe.
"$tmp/bin/trace_prog" "$tmp/maps-untraced" || fail "trace_prog failed untraced"
if grep -E 'liblttng-ust\.so|liblooptp' "$tmp/maps-untraced" >/dev/null; then
    fail "untraced run loaded: $(grep -oE '[^ ]*(liblttng-ust\.so|liblooptp)[^ ]*' \
        "$tmp/maps-untraced" | sort -u | tr '\n' ' ')"
fi
# LOOP_TRACE=1 without a session daemon: the program still runs and succeeds.
LOOP_TRACE=1 LTTNG_HOME="$tmp" "$tmp/bin/trace_prog" "$tmp/maps-nosessiond" ||
    fail "trace_prog failed with LOOP_TRACE=1 and no session daemon"
grep -q liblooptp "$tmp/maps-nosessiond" ||
    fail "LOOP_TRACE=1 did not load liblooptp.so (found via ../lib from the program)"

# 3. loop-trace without lttng-tools: one clear line, status 125. (Without a
#    session daemon it starts one: tests/trace_daemon.sh.)
mkdir -p "$tmp/nolttng"
for c in sh sed grep date ls cat id; do
    p=$(command -v "$c") && ln -s "$p" "$tmp/nolttng/$c"
done
err=$(PATH="$tmp/nolttng" "$BUILD/bin/loop-trace" -- true 2>&1)
st=$?
[ $st = 125 ] || fail "loop-trace without lttng-tools exited $st, want 125"
case $err in
    "loop-trace: lttng-tools is not installed"*) ;;
    *) fail "loop-trace without lttng-tools said: $err" ;;
esac
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] ||
    fail "loop-trace without lttng-tools printed more than one line: $err"

sessiond_start

# 4. loop-trace: record, exit status, trace content.
"$BUILD/bin/loop-trace" -o "$tmp/trace" -- "$tmp/bin/trace_prog" "$tmp/maps-traced" \
    2>"$tmp/loop-trace.err"
st=$?
[ $st = 0 ] || fail "loop-trace -- trace_prog exited $st: $(cat "$tmp/loop-trace.err")"
grep -q "^loop-trace: trace: $tmp/trace\$" "$tmp/loop-trace.err" ||
    fail "loop-trace did not print the trace path: $(cat "$tmp/loop-trace.err")"
grep -q 'liblttng-ust\.so' "$tmp/maps-traced" ||
    fail "traced run did not load liblttng-ust.so"
grep -q liblooptp "$tmp/maps-traced" || fail "traced run did not load liblooptp.so"

babeltrace2 "$tmp/trace" >"$tmp/events.txt" 2>"$tmp/bt.err" ||
    fail "babeltrace2 cannot read the trace: $(head -n 3 "$tmp/bt.err")"
if ! awk -v timer_line="$timer_line" -v io_line="$io_line" -v work_line="$work_line" \
    -v defer_line="$defer_line" -v prog=trace_prog \
    -f tests/lib/trace_checks.awk "$tmp/events.txt" >"$tmp/checks.out"; then
    cat "$tmp/checks.out" >&2
    echo "--- first events:" >&2
    head -n 20 "$tmp/events.txt" | cut -c 1-300 >&2
    fail "the trace does not hold what trace_prog did ($(wc -l <"$tmp/checks.out") problems above)"
fi

"$BUILD/bin/loop-trace" -o "$tmp/trace-status" -- sh -c 'exit 7' 2>/dev/null
st=$?
[ $st = 7 ] || fail "loop-trace did not pass on the program's exit status 7 (got $st)"
lttng list 2>/dev/null | grep -q loop-trace- && fail "loop-trace left a session behind"

# SIGINT (a Ctrl-C reaches the whole process group): the program ends, the
# session is destroyed, the trace kept, and the status says so.
if command -v setsid >/dev/null 2>&1; then
    # env --default-signal: a background job starts with SIGINT ignored.
    setsid env --default-signal=INT "$BUILD/bin/loop-trace" -n loop-trace-int -o "$tmp/trace-int" \
        -- sleep 30 2>/dev/null &
    lt=$!
    i=0
    until lttng list loop-trace-int 2>/dev/null | grep -q active; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "loop-trace did not start its session within 10 s"
        sleep 0.1
    done
    sleep 0.5
    /bin/kill -s INT -- "-$lt" || fail "cannot send SIGINT to loop-trace's process group"
    wait "$lt"
    st=$?
    [ $st = 130 ] || fail "loop-trace after SIGINT exited $st, want 130"
    lttng list 2>/dev/null | grep -q loop-trace-int && fail "loop-trace left its session after SIGINT"
    [ -d "$tmp/trace-int/ust" ] || fail "loop-trace after SIGINT kept no trace"
fi

# 5. Plain lttng commands; probe found next to libloop.so, or by LD_PRELOAD.
lttng create plain --output="$tmp/trace-plain" >/dev/null || fail "lttng create failed"
lttng enable-event -u -s plain 'libloop:*' >/dev/null || fail "lttng enable-event failed"
lttng add-context -u -s plain -t vpid -t vtid -t procname >/dev/null ||
    fail "lttng add-context failed"
lttng start plain >/dev/null || fail "lttng start failed"
LOOP_TRACE=1 LTTNG_UST_REGISTER_TIMEOUT=-1 LD_LIBRARY_PATH="$tmp/shlib" "$tmp/trace_prog_so" ||
    fail "trace_prog (libloop.so) failed under a plain session"
# Under ASan/TSan the sanitizer runtime must come first in the library list.
preload=""
case ",$SANITIZE," in
    *,address,*) preload="$(cc -print-file-name=libasan.so) " ;;
    *,thread,*) preload="$(cc -print-file-name=libtsan.so) " ;;
esac
LTTNG_UST_REGISTER_TIMEOUT=-1 LD_PRELOAD="$preload$BUILD/lib/liblooptp.so" "$tmp/bin/trace_prog" ||
    fail "trace_prog (LD_PRELOAD) failed under a plain session"
lttng destroy plain >/dev/null || fail "lttng destroy failed"
babeltrace2 "$tmp/trace-plain" >"$tmp/events-plain.txt" 2>"$tmp/bt.err" ||
    fail "babeltrace2 cannot read the plain trace: $(head -n 3 "$tmp/bt.err")"
procs=$(grep 'libloop:loop_new:' "$tmp/events-plain.txt" | grep -o 'vpid = [0-9]*' | sort -u | wc -l)
[ "$procs" = 2 ] ||
    fail "the plain session saw loop_new from $procs processes, want 2 (shared LOOP_TRACE=1, static LD_PRELOAD)"

# 6. The whole schema: every event of the provider, through the real call
#    sites, decodes to the expected fields and labels; each one is documented.
# shellcheck disable=SC2086 # libs is a list of options
cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Ilibloop -I. \
    -o "$tmp/bin/trace_all_events" tests/lib/trace_all_events.c "$BUILD/lib/libloop.a" $libs ||
    fail "cannot build tests/lib/trace_all_events.c"
"$BUILD/bin/loop-trace" -o "$tmp/trace-all" -- "$tmp/bin/trace_all_events" 2>/dev/null ||
    fail "loop-trace -- trace_all_events failed"
babeltrace2 "$tmp/trace-all" 2>"$tmp/bt.err" |
    sed -n 's/^.* \(libloop:[a-z_]*:\) { cpu_id = [0-9]* }, { vpid = [0-9]*, vtid = [0-9]*, procname = "[^"]*" }, /\1 /p' \
        >"$tmp/events-all.txt"
if ! diff -u tests/lib/trace_all_events.expected "$tmp/events-all.txt" >"$tmp/all.diff"; then
    cat "$tmp/all.diff" >&2
    fail "the events of trace_all_events differ from tests/lib/trace_all_events.expected" \
        "(a schema change: update docs/trace-format.md, the expected file, and maybe the version)"
fi
events=$(sed -n -e 's/^LTTNG_UST_TRACEPOINT_EVENT(libloop, \([a-z_]*\),.*/\1/p' \
    -e 's/^LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, [a-z_]*, libloop, \([a-z_]*\),.*/\1/p' \
    tracepoints/libloop_tp.h)
[ "$(echo "$events" | wc -w)" -ge 30 ] || fail "found only $(echo "$events" | wc -w) events in libloop_tp.h"
for ev in $events; do
    grep -q "^libloop:$ev: " "$tmp/events-all.txt" || fail "trace_all_events does not emit $ev"
    grep -q "^####.*\`$ev\`" docs/trace-format.md || fail "docs/trace-format.md does not document $ev"
done

echo "trace_capture: ok ($(grep -c 'libloop:' "$tmp/events.txt") events of a real program," \
    "$(wc -l <"$tmp/events-all.txt") of the whole schema checked)"
