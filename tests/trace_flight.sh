#!/bin/sh
# trace_flight.sh — `loop-trace flight`: the flight recorder under a real
# LTTng session daemon (a private one, tests/lib/sessiond.sh).
#
#  - the stall example with LOOP_STALL_MS=100: the watchdog's libloop:stall
#    event fires the trigger; the snapshot written to disk holds the stall
#    event (duration, backtrace) and the events just before it: the loop's
#    creation, the stalled timer "flush" (handle_new/handle_name) and its
#    callback_begin with no callback_end before the stall;
#  - the error path: a program that reports an error (loop_report_error)
#    after 200 dispatches gets a snapshot holding the libloop:error event and
#    the dispatches before it;
#  - a run without stall or error writes no snapshot;
#  - loop-trace removes its triggers and destroys its session, passes on the
#    program's exit status, and refuses --blocking in flight mode.
# Run by `make check` (scripts/run-tests) from the repository root; BUILD is
# the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in cc babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in lib/libloop.a lib/liblooptp.so bin/loop-trace bin/stall; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
LT=$BUILD/bin/loop-trace

make_tmp loop-flight-test
mkdir -p "$tmp/bin" "$tmp/lib"
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so"
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
SANITIZE=${SANITIZE:-}
san=""
[ -n "$SANITIZE" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"

# The error program: 200 call-soon dispatches, then loop_report_error, then
# 50 more; its error handler only counts (the default one logs too).
cat >"$tmp/flight_error.c" <<'EOF'
#include <errno.h>
#include <stdio.h>

#include <loop.h>
#include <loop_debug.h>

static int count, errors;

static void on_error(const loop_error_ctx_t *ctx, void *ud)
{
    (void)ctx;
    (void)ud;
    errors++;
}

static void on_defer(loop_defer_t *d)
{
    if (++count == 200) {
        loop_report_error(d->handle.loop, -EIO, "flight test: disk on fire");
    }
    if (count < 250) {
        loop_defer_start(d, on_defer);
    }
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_defer_t d;

    if (loop == NULL || loop_set_error_handler(loop, on_error, NULL) != 0) {
        return 1;
    }
    loop_defer_init(loop, &d);
    loop_handle_set_name(&d.handle, "ticker");
    loop_defer_start(&d, on_defer);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_handle_close(&d.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("flight_error: %d dispatches, %d error(s)\n", count, errors);
    return loop_close(loop) == 0 && count == 250 && errors == 1 ? 0 : 1;
}
EOF
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/bin/flight_error" \
    "$tmp/flight_error.c" "$BUILD/lib/libloop.a" $san $libs ||
    fail "cannot build the error program against libloop.a"

# 1. Refusals: one line, status 125.
err=$("$LT" flight --blocking -- true 2>&1)
st=$?
[ $st = 125 ] || fail "loop-trace flight --blocking exited $st, want 125"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "loop-trace flight --blocking said more than one line: $err"

sessiond_start

# The snapshot directories under $1, in snapshot order.
snapshots() {
    find "$1" -mindepth 1 -maxdepth 1 -type d -name 'snapshot-*' |
        awk -F- '{ print $NF "\t" $0 }' | sort -n | cut -f 2
}

# 2. The stall example.
LOOP_STALL_MS=100 "$LT" flight -n flight-stall -o "$tmp/stall" -- "$BUILD/bin/stall" \
    >"$tmp/stall.out" 2>"$tmp/stall.err"
st=$?
[ $st = 0 ] || fail "loop-trace flight -- stall exited $st: $(grep '^loop-trace' "$tmp/stall.err")"
grep -q 'stall: done' "$tmp/stall.out" || fail "the stall example did not finish: $(cat "$tmp/stall.out")"
grep -q '^loop-trace: flight recorder flight-stall: a snapshot goes to' "$tmp/stall.err" ||
    fail "loop-trace flight did not announce the flight recorder: $(grep '^loop-trace' "$tmp/stall.err")"
nsnap=$(snapshots "$tmp/stall" | wc -l)
# Two stalls (the 300 ms timer callback, the 200 ms task step): one snapshot each.
[ "$nsnap" -ge 1 ] || fail "no snapshot on disk after the stall example: $(grep '^loop-trace' "$tmp/stall.err")"
grep -q "^loop-trace: $nsnap snapshot(s) in $tmp/stall:" "$tmp/stall.err" ||
    fail "loop-trace did not list the $nsnap snapshot(s): $(grep '^loop-trace' "$tmp/stall.err")"
lttng list-triggers 2>/dev/null | grep -q flight-stall && fail "loop-trace left its triggers behind"
lttng list 2>/dev/null | grep -q flight-stall && fail "loop-trace left its session behind"

first=$(snapshots "$tmp/stall" | head -n 1)
babeltrace2 "$first" >"$tmp/stall-snap.txt" 2>"$tmp/bt.err" ||
    fail "babeltrace2 cannot read the snapshot $first: $(head -n 3 "$tmp/bt.err")"
# The first stall is the timer "flush" (id 1 in loop 1), stalled in its callback.
if ! awk '
    function field(name,   re, s) {
        re = "[{ ]" name " = [^,}]*"
        if (!match($0, re)) return ""
        s = substr($0, RSTART + length(name) + 4, RLENGTH - length(name) - 4)
        gsub(/"/, "", s)
        gsub(/^ +| +$/, "", s)
        return s
    }
    function problem(msg) { print "  " msg; bad = 1 }
    / libloop:stall: / && !seen {
        seen = 1
        vpid = field("vpid"); loop = field("loop_id"); id = field("id")
        dur = field("duration_ns") + 0
        if (dur < 100000000) problem("stall duration_ns " dur " < 100 ms")
        if ($0 !~ /backtrace = "#0 /) problem("stall backtrace is not a backtrace: " substr($0, 1, 300))
        if (field("procname") != "loop-watchdog") problem("stall not from the watchdog thread: " field("procname"))
        if (!loop_new[vpid, loop]) problem("no loop_new of loop " loop " before the stall")
        if (open_cb[vpid, loop] != id) problem("the stall names id " id " but the callback running was " open_cb[vpid, loop])
        if (name[vpid, loop, id] != "flush") problem("the stalled handle is \"" name[vpid, loop, id] "\", want \"flush\"")
        if (before[vpid] < 10) problem("only " before[vpid] " events of the process before the stall")
        next
    }
    seen { after++; next }
    / libloop:/ {
        v = field("vpid"); l = field("loop_id")
        before[v]++
        if ($0 ~ / libloop:loop_new: /) loop_new[v, l] = 1
        if ($0 ~ / libloop:handle_name: /) name[v, l, field("id")] = field("name")
        if ($0 ~ / libloop:callback_begin: /) open_cb[v, l] = field("id")
        if ($0 ~ / libloop:callback_end: /) open_cb[v, l] = ""
    }
    END {
        if (!seen) problem("no libloop:stall event in the snapshot")
        exit bad
    }' "$tmp/stall-snap.txt" >"$tmp/stall-checks.out"; then
    cat "$tmp/stall-checks.out" >&2
    echo "--- snapshot $first:" >&2
    cut -c 1-250 "$tmp/stall-snap.txt" | tail -n 15 >&2
    fail "the stall snapshot does not hold the stall and the events before it"
fi

# 3. The error path (libloop:error fires the other trigger).
"$LT" flight -n flight-error -o "$tmp/error" -- "$tmp/bin/flight_error" \
    >"$tmp/error.out" 2>"$tmp/error.err"
st=$?
[ $st = 0 ] || fail "loop-trace flight -- flight_error exited $st: $(cat "$tmp/error.out") $(grep '^loop-trace' "$tmp/error.err")"
[ "$(snapshots "$tmp/error" | wc -l)" = 1 ] ||
    fail "want 1 snapshot after one error, found $(snapshots "$tmp/error" | wc -l): $(grep '^loop-trace' "$tmp/error.err")"
babeltrace2 "$(snapshots "$tmp/error")" >"$tmp/error-snap.txt" 2>"$tmp/bt.err" ||
    fail "babeltrace2 cannot read the error snapshot: $(head -n 3 "$tmp/bt.err")"
if ! awk '
    / libloop:error: / && !seen {
        seen = 1
        if ($0 !~ /msg = "flight test: disk on fire"/) { print "  wrong error event: " substr($0, 1, 300); bad = 1 }
        if ($0 !~ /err = -5[,} ]/) { print "  error event without err = -5 (EIO): " substr($0, 1, 300); bad = 1 }
        next
    }
    !seen && / libloop:callback_begin: / { begins++ }
    END {
        if (!seen) { print "  no libloop:error event in the snapshot"; bad = 1 }
        # The 200 dispatches before the error, the one reporting it included.
        if (begins < 200) { print "  only " begins " callback_begin events before the error, want 200"; bad = 1 }
        exit bad
    }' "$tmp/error-snap.txt" >"$tmp/error-checks.out"; then
    cat "$tmp/error-checks.out" >&2
    fail "the error snapshot does not hold the error and the dispatches before it"
fi
lttng list-triggers 2>/dev/null | grep -q flight-error && fail "loop-trace left its triggers behind (error run)"

# 4. No stall, no error: no snapshot; the program's status passes through.
"$LT" flight -n flight-quiet -o "$tmp/quiet" -- sh -c "'$BUILD/bin/stall' >/dev/null 2>&1; exit 3" \
    2>"$tmp/quiet.err"
st=$?
[ $st = 3 ] || fail "loop-trace flight did not pass on the program's exit status 3 (got $st)"
[ "$(snapshots "$tmp/quiet" 2>/dev/null | wc -l)" = 0 ] ||
    fail "a run without LOOP_STALL_MS left a snapshot"
grep -q '^loop-trace: no snapshot' "$tmp/quiet.err" ||
    fail "loop-trace did not say that no snapshot was taken: $(grep '^loop-trace' "$tmp/quiet.err")"

echo "trace_flight: ok ($nsnap snapshot(s) of the stall example, the first with the stall and" \
    "$(grep -c 'libloop:' "$tmp/stall-snap.txt") events; the error snapshot with" \
    "$(grep -c 'libloop:callback_begin:' "$tmp/error-snap.txt") dispatches)"
