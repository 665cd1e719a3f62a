#!/bin/sh
# trace_fork.sh — a traced program that fork()s without exec(): the child
# runs its own loop, and its events must carry the child's own vpid.
#
#  - loop-trace preloads liblttng-ust-fork.so.1 (when installed): the child's
#    loop (loop_id 2) has every event under the child's vpid and vtid, the
#    parent's loop (loop_id 1) every event under the parent's, before and
#    after the fork, with the expected dispatch counts on both sides;
#  - the same with plain lttng commands and the wrapper preloaded by hand;
#  - with --no-fork-wrapper the child's events land under the parent's vpid
#    (the LTTng-UST behaviour docs/trace-format.md documents): reported as a
#    note, not checked, since it is LTTng's behaviour and not libloop's.
# The program is compiled here against $BUILD/lib/libloop.a.
# Run by `make check` (scripts/run-tests) from the repository root; BUILD is
# the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in cc babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in lib/libloop.a lib/liblooptp.so bin/loop-trace; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
LT=$BUILD/bin/loop-trace

make_tmp loop-fork-test
mkdir -p "$tmp/bin" "$tmp/lib"
# The probe is found in ../lib from the program (the layout of build/bin, build/lib).
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so"
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
SANITIZE=${SANITIZE:-}
san=""
[ -n "$SANITIZE" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"

# Parent: loop 1, 5 dispatches, fork, wait, 7 more. Child: loop 2, 10 dispatches.
cat >"$tmp/fork_prog.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <loop.h>

static int count, target;

static void on_defer(loop_defer_t *d)
{
    if (++count < target) {
        loop_defer_start(d, on_defer);
    }
}

/* target dispatches of one call-soon record on loop. */
static int run_defers(loop_t *loop, int n)
{
    loop_defer_t d;

    count = 0;
    target = n;
    if (loop_defer_init(loop, &d) != 0 || loop_defer_start(&d, on_defer) != 0 ||
        loop_run(loop, LOOP_RUN_DEFAULT) != 0) {
        return -1;
    }
    loop_handle_close(&d.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    return count == n ? 0 : -1;
}

int main(void)
{
    loop_t *loop = loop_new();
    pid_t child;
    int st;

    if (loop == NULL || run_defers(loop, 5) != 0) {
        return 1;
    }
    fflush(stdout);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        loop_t *l2 = loop_new();

        if (l2 == NULL || run_defers(l2, 10) != 0 || loop_close(l2) != 0) {
            _exit(1);
        }
        printf("child %d\n", (int)getpid());
        /*
         * _exit, not exit: without liblttng-ust-fork.so (the --no-fork-wrapper
         * case) the child inherits LTTng-UST's state but not its threads, and
         * its exit-time destructors can wait forever for them (LTTng-UST's
         * documented limit of fork without the wrapper; seen hanging here).
         */
        fflush(stdout);
        _exit(0);
    }
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child failed\n");
        return 1;
    }
    if (run_defers(loop, 7) != 0 || loop_close(loop) != 0) {
        return 1;
    }
    printf("parent %d\n", (int)getpid());
    return 0;
}
CEOF
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/bin/fork_prog" "$tmp/fork_prog.c" \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the fork program against libloop.a"

fork_lib=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) |
    awk '$1 == "liblttng-ust-fork.so.1" { print $NF; exit }')
[ -n "$fork_lib" ] && [ -r "$fork_lib" ] ||
    fail "liblttng-ust-fork.so.1 not found (package liblttng-ust1): the fork wrapper cannot be tested"

sessiond_start

# Check the trace $1 of a run whose output is $2 ("child PID" / "parent PID").
check_fork_trace() {
    child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$2")
    parent=$(sed -n 's/^parent \([0-9]*\)$/\1/p' "$2")
    [ -n "$child" ] && [ -n "$parent" ] || fail "$3: the program did not print both pids: $(cat "$2")"
    babeltrace2 "$1" >"$1.txt" 2>"$tmp/bt.err" ||
        fail "$3: babeltrace2 cannot read the trace: $(head -n 3 "$tmp/bt.err")"
    if ! awk -v child="$child" -v parent="$parent" '
        function field(name,   re, s) {
            re = "[{ ]" name " = [0-9]+"
            if (!match($0, re)) return ""
            return substr($0, RSTART + length(name) + 4, RLENGTH - length(name) - 4)
        }
        / libloop:/ {
            vpid = field("vpid"); vtid = field("vtid"); loop = field("loop_id")
            want = loop == 2 ? child : parent
            if (vpid != want || vtid != want) {
                if (bad++ < 5) print "  loop " loop " event with vpid " vpid " vtid " vtid ", want " want ": " substr($0, 1, 200)
            }
            if ($0 ~ / libloop:callback_begin: /) begins[loop]++
            if ($0 ~ / libloop:loop_new: /) news[loop]++
            if ($0 ~ / libloop:loop_close: /) closes[loop]++
        }
        END {
            # 5 + 7 dispatches and 2 close callbacks; 10 dispatches and 1 close callback.
            if (begins[1] != 14) { print "  parent loop: " begins[1] + 0 " callback_begin, want 14"; bad++ }
            if (begins[2] != 11) { print "  child loop: " begins[2] + 0 " callback_begin, want 11"; bad++ }
            for (l = 1; l <= 2; l++)
                if (news[l] != 1 || closes[l] != 1) { print "  loop " l ": loop_new x" news[l] + 0 ", loop_close x" closes[l] + 0; bad++ }
            exit bad > 0
        }' "$1.txt" >"$tmp/checks.out"; then
        cat "$tmp/checks.out" >&2
        fail "$3: the child's events do not carry the child's own vpid"
    fi
}

# 1. loop-trace (the wrapper is preloaded by default).
"$LT" -o "$tmp/t-lt" -- "$tmp/bin/fork_prog" >"$tmp/lt.out" 2>"$tmp/lt.err"
st=$?
[ $st = 0 ] || fail "loop-trace -- fork_prog exited $st: $(cat "$tmp/lt.err")"
check_fork_trace "$tmp/t-lt" "$tmp/lt.out" "loop-trace"

# 2. Plain lttng, the wrapper and the probe preloaded by hand.
lttng create forked --output="$tmp/t-plain" >/dev/null || fail "lttng create failed"
lttng enable-event -u -s forked 'libloop:*' >/dev/null || fail "lttng enable-event failed"
lttng add-context -u -s forked -t vpid -t vtid -t procname >/dev/null || fail "lttng add-context failed"
lttng start forked >/dev/null || fail "lttng start failed"
preload=""
case ",$SANITIZE," in
    *,address,*) preload="$(cc -print-file-name=libasan.so) " ;;
    *,thread,*) preload="$(cc -print-file-name=libtsan.so) " ;;
esac
LTTNG_UST_REGISTER_TIMEOUT=-1 LD_PRELOAD="${preload}liblttng-ust-fork.so.1 $BUILD/lib/liblooptp.so" \
    "$tmp/bin/fork_prog" >"$tmp/plain.out" || fail "fork_prog failed under a plain session"
lttng destroy forked >/dev/null || fail "lttng destroy failed"
check_fork_trace "$tmp/t-plain" "$tmp/plain.out" "plain lttng"

# 3. Without the wrapper: what LTTng-UST does (a note only).
note=""
if "$LT" --no-fork-wrapper -o "$tmp/t-nowrap" -- "$tmp/bin/fork_prog" >"$tmp/nowrap.out" 2>/dev/null; then
    child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$tmp/nowrap.out")
    vpids=$(babeltrace2 "$tmp/t-nowrap" 2>/dev/null | grep 'loop_id = 2' |
        grep -o 'vpid = [0-9]*' | sort -u | sed 's/vpid = //' | tr '\n' ' ')
    note="; without the wrapper the child ($child) logged under vpid ${vpids% }"
fi

echo "trace_fork: ok (child events under the child's vpid with loop-trace and with plain lttng$note)"
