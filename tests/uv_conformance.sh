#!/bin/sh
# libuv conformance: build libuv 1.44.2's own test runner (vendored,
# unmodified, in ../shared/vendor/libuv-1.44.2) against libloop-uv's uv.h and
# libloop-uv.a, run the 163 in-scope tests one by one, and run the same runner
# built against Debian's real libuv (libuv1-dev) as the control. Prints a
# table per group and the failing tests.
#
# Never runs tcp_close_while_connecting or tcp_connect_timeout: they connect
# to outside addresses. Tests use fixed TCP ports 9123-9125: never run two
# copies of this script at once.
#
# Fails when libloop-uv passes fewer tests than UV_CONFORMANCE_MIN (the count
# reached when the floor was last raised), or when a test passes with real
# libuv but the control cannot be built (then only libloop-uv is judged).
# Environment: BUILD (default build), UV_ONLY=name,... to run a subset (then
# every test of it must pass),
# UV_SKIP_CONTROL=1 to skip the control run.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$here/$BUILD" ;; esac
VENDOR="$here/../shared/vendor/libuv-1.44.2"
UV_CONFORMANCE_MIN=${UV_CONFORMANCE_MIN:-163}
CC=${CC:-cc}

if [ ! -f "$VENDOR/test/runner.c" ]; then
    echo "uv_conformance: skipped: libuv's vendored test suite is not at $VENDOR (../shared is absent from this checkout)"
    exit 0
fi

# name group (group names as in the vendor README)
TESTS='
tcp connect_unspecified tcp_alloc_cb_fail tcp_ping_pong tcp_ping_pong_vec tcp6_ping_pong \
    tcp6_ping_pong_vec delayed_accept multiple_listen tcp_write_after_connect tcp_writealot \
    tcp_write_fail tcp_try_write tcp_try_write_error tcp_write_queue_order tcp_open tcp_open_twice \
    tcp_open_bound tcp_open_connected tcp_write_ready tcp_shutdown_after_write \
    tcp_connect_error_after_write tcp_bind_error_addrinuse_connect tcp_bind_error_addrinuse_listen \
    tcp_bind_error_addrnotavail_1 tcp_bind_error_addrnotavail_2 tcp_bind_error_fault \
    tcp_bind_error_inval tcp_bind_localhost_ok tcp_bind_invalid_flags tcp_bind_writable_flags \
    tcp_bind_or_listen_error_after_close tcp_listen_without_bind tcp_connect_error_fault \
    tcp_close_after_read_timeout tcp_close tcp_close_reset_accepted \
    tcp_close_reset_accepted_after_shutdown tcp_close_reset_accepted_after_socket_shutdown \
    tcp_close_reset_client tcp_close_reset_client_after_shutdown tcp_create_early \
    tcp_create_early_bad_bind tcp_create_early_bad_domain tcp_create_early_accept tcp_close_accept \
    tcp_oob tcp_flags tcp_write_to_half_open_connection tcp_unexpected_read tcp_read_stop \
    tcp_read_stop_start tcp_rst tcp_bind6_error_addrinuse tcp_bind6_error_addrnotavail \
    tcp_bind6_error_fault tcp_bind6_error_inval tcp_bind6_localhost_ok connection_fail \
    connection_fail_doesnt_auto_close getsockname_tcp emfile
loop close_order run_once run_nowait loop_alive loop_close loop_instant_close loop_stop \
    loop_update_time loop_backend_timeout loop_configure default_loop_close callback_stack \
    loop_handles walk_handles active embed hrtime handle_type_name req_type_name
pipe pipe_connect_bad_name pipe_connect_to_file pipe_connect_on_prepare pipe_server_close \
    pipe_close_stdout_read_stdin pipe_set_chmod pipe_ping_pong pipe_ping_pong_vec \
    pipe_bind_error_addrinuse pipe_bind_error_addrnotavail pipe_bind_error_inval \
    pipe_connect_multiple pipe_listen_without_bind pipe_bind_or_listen_error_after_close \
    pipe_getsockname pipe_getsockname_abstract pipe_getsockname_blocking pipe_pending_instances
ref ref idle_ref async_ref prepare_ref check_ref unref_in_prepare_cb timer_ref timer_ref2 \
    tcp_ref tcp_ref2 tcp_ref2b tcp_ref3 tcp_ref4 pipe_ref pipe_ref2 pipe_ref3 pipe_ref4 has_ref
timer timer timer_init timer_again timer_start_twice timer_order timer_huge_timeout \
    timer_huge_repeat timer_run_once timer_from_check timer_is_closing timer_null_callback \
    timer_early_check
stream shutdown_close_tcp shutdown_close_pipe shutdown_eof shutdown_simultaneous \
    shutdown_twice not_writable_after_shutdown not_readable_nor_writable_on_read_error \
    readable_on_eof
poll poll_duplex poll_unidirectional poll_close poll_bad_fdtype poll_oob poll_nested_epoll \
    poll_multiple_handles
signal we_get_signal we_get_signals we_get_signal_one_shot we_get_signals_mixed \
    signal_multiple_loops signal_pending_on_close
ip ip6_pton ip6_sin6_len ip4_addr ip_name
threadpool threadpool_queue_work_simple threadpool_queue_work_einval threadpool_cancel_work \
    threadpool_cancel_single
errors error_message sys_error
idle idle_starvation idle_check
async async async_null_cb
'
# Beyond the judged 163: tests that need only the small OS and thread
# wrappers. Reported in their own rows, not counted in the floor.
EXTRA='
extra-os uname kill_invalid_signum ip6_addr_link_local signal_close_loop_alive
extra-threads barrier_1 barrier_2 barrier_3 barrier_serial_thread barrier_serial_thread_single \
    condvar_1 condvar_2 condvar_3 condvar_4 condvar_5 semaphore_1 semaphore_2 semaphore_3 \
    thread_create thread_local_storage thread_stack_size thread_stack_size_explicit thread_equal \
    thread_mutex thread_mutex_recursive thread_rwlock thread_rwlock_trylock
'
FILES='
test-active.c test-async-null-cb.c test-async.c test-callback-stack.c test-close-order.c
test-connect-unspecified.c test-connection-fail.c test-default-loop-close.c
test-delayed-accept.c test-embed.c test-emfile.c test-error.c test-getsockname.c
test-getters-setters.c test-hrtime.c test-idle.c test-ip-name.c test-ip4-addr.c test-ip6-addr.c
test-loop-alive.c test-loop-close.c test-loop-configure.c test-loop-handles.c test-loop-stop.c
test-loop-time.c test-multiple-listen.c test-not-readable-nor-writable-on-read-error.c
test-not-writable-after-shutdown.c test-ping-pong.c test-pipe-bind-error.c
test-pipe-close-stdout-read-stdin.c test-pipe-connect-error.c test-pipe-connect-multiple.c
test-pipe-connect-prepare.c test-pipe-getsockname.c test-pipe-pending-instances.c
test-pipe-server-close.c test-pipe-set-fchmod.c test-poll-close.c test-poll-multiple-handles.c
test-poll-oob.c test-poll.c test-readable-on-eof.c test-ref.c test-run-nowait.c test-run-once.c
test-shutdown-close.c test-shutdown-eof.c test-shutdown-simultaneous.c test-shutdown-twice.c
test-signal-multiple-loops.c test-signal-pending-on-close.c test-signal.c
test-tcp-alloc-cb-fail.c test-tcp-bind-error.c test-tcp-bind6-error.c test-tcp-close-accept.c
test-tcp-close-after-read-timeout.c test-tcp-close-reset.c test-tcp-close-while-connecting.c
test-tcp-close.c test-tcp-connect-error-after-write.c test-tcp-connect-error.c
test-tcp-connect-timeout.c test-tcp-create-socket-early.c test-tcp-flags.c test-tcp-oob.c
test-tcp-open.c test-tcp-read-stop-start.c test-tcp-read-stop.c test-tcp-rst.c
test-tcp-shutdown-after-write.c test-tcp-try-write-error.c test-tcp-try-write.c
test-tcp-unexpected-read.c test-tcp-write-after-connect.c test-tcp-write-fail.c
test-tcp-write-queue-order.c test-tcp-write-to-half-open-connection.c test-tcp-writealot.c
test-threadpool-cancel.c test-threadpool.c test-timer-again.c test-timer-from-check.c
test-timer.c test-walk-handles.c test-barrier.c test-condvar.c test-mutexes.c test-semaphore.c
test-thread.c test-thread-equal.c test-uname.c'

work="$BUILD/uv-conformance"
gen="$work/gen"
mkdir -p "$gen" "$work/run/test"
ln -sfn "$VENDOR/test/fixtures" "$work/run/test/fixtures"

# --- the generated test list: only the selected tests and their helpers ---
names=$(printf '%s\n%s\n' "$TESTS" "$EXTRA" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
    awk 'NF > 1 { for (i = 2; i <= NF; i++) print $i }')
{
    echo "/* generated by tests/uv_conformance.sh from libuv's test-list.h */"
    for n in $names; do echo "TEST_DECLARE ($n)"; done
    echo "HELPER_DECLARE (tcp4_echo_server)"
    echo "HELPER_DECLARE (tcp6_echo_server)"
    echo "HELPER_DECLARE (pipe_echo_server)"
    echo "TASK_LIST_START"
    for n in $names; do
        grep -E "^[[:space:]]*(TEST_ENTRY|TEST_ENTRY_CUSTOM|TEST_HELPER)[[:space:]]*\($n[,)]" \
            "$VENDOR/test/test-list.h"
    done
    echo "TASK_LIST_END"
} > "$gen/test-list.h"
cp "$VENDOR/test/run-tests.c" "$gen/run-tests.c"
cat > "$gen/stubs.c" <<'EOF'
/* Helpers that run-tests.c names but that belong to tests outside the selection. */
int ipc_helper(int listen_after_write) { (void)listen_after_write; return 1; }
int ipc_helper_heavy_traffic_deadlock_bug(void) { return 1; }
int ipc_helper_tcp_connection(void) { return 1; }
int ipc_send_recv_helper(void) { return 1; }
int ipc_helper_bind_twice(void) { return 1; }
int ipc_helper_send_zero(void) { return 1; }
int stdio_over_pipes_helper(void) { return 1; }
void spawn_stdin_stdout(void) {}
void process_title_big_argv(void) {}
int spawn_tcp_server_helper(void) { return 1; }
EOF

srcs="$gen/run-tests.c $gen/stubs.c $VENDOR/test/runner.c $VENDOR/test/runner-unix.c $VENDOR/test/echo-server.c"
for f in $FILES; do srcs="$srcs $VENDOR/test/$f"; done
RUNNER_CFLAGS="-g -O1 -w -D_GNU_SOURCE -I$gen -I$VENDOR/test"

# build OUT INCLUDE-FLAGS LIBS...: compile the runner (objects per flavour)
build() {
    out=$1 inc=$2
    shift 2
    objdir="$out.obj"
    mkdir -p "$objdir"
    objs=""
    for s in $srcs; do
        o="$objdir/$(basename "$s" .c).o"
        if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$gen/test-list.h" -nt "$o" ] || [ "$out.stamp" -nt "$o" ]; then
            # shellcheck disable=SC2086
            $CC $RUNNER_CFLAGS $inc -c "$s" -o "$o" || return 1
        fi
        objs="$objs $o"
    done
    # shellcheck disable=SC2086
    $CC -o "$out" $objs "$@" -lpthread
}

UVLIB="$BUILD/lib/libloop-uv.a"
if [ ! -f "$UVLIB" ]; then
    make -s -C "$here" BUILD="$BUILD" "$UVLIB" >/dev/null || exit 1
fi
for h in "$here"/uv/include/uv.h "$here"/uv/include/uv/*.h "$here"/include/*.h; do
    [ "$h" -nt "$work/libloop-uv.stamp" ] && touch "$work/libloop-uv.stamp"
done
[ -f "$work/libloop-uv.stamp" ] || touch "$work/libloop-uv.stamp"
zstd_libs=$(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)
# A sanitizer build's library needs its runtime in the runner (make check passes SANFLAGS).
SANFLAGS=${SANFLAGS:-}
if ! build "$work/libloop-uv" "-I$here/uv/include -I$here/include $SANFLAGS" "$UVLIB" -ldl $zstd_libs $SANFLAGS; then
    echo "uv_conformance: FAILED: the runner does not build against libloop-uv" >&2
    exit 1
fi

control=""
if [ "${UV_SKIP_CONTROL:-0}" != 1 ] && [ -f /usr/include/uv.h ]; then
    [ -f "$work/libuv.stamp" ] || touch "$work/libuv.stamp"
    if build "$work/libuv" "" $(pkg-config --libs libuv 2>/dev/null || echo -luv); then
        control="$work/libuv"
    else
        echo "uv_conformance: the control runner does not build against Debian's libuv"
    fi
else
    echo "uv_conformance: control skipped (libuv1-dev not installed or UV_SKIP_CONTROL=1)"
fi

# --- run ---
export UV_RUN_AS_ROOT=1
only=",${UV_ONLY:-},"
results="$work/results.txt"
: > "$results"
t0=$(date +%s)
# (read without -r: a line ending in a backslash goes on on the next one)
# shellcheck disable=SC2162
printf '%s\n%s\n' "$TESTS" "$EXTRA" | while read group rest; do
    [ -n "$group" ] || continue
    for n in $rest; do
        case "$only" in ",,") ;; *",$n,"*) ;; *) continue ;; esac
        (cd "$work/run" && "$work/libloop-uv" "$n" > "$work/out.$n.txt" 2>&1)
        a=$?
        b=-
        if [ -n "$control" ]; then
            (cd "$work/run" && "$control" "$n" > "$work/out-libuv.$n.txt" 2>&1)
            b=$?
        fi
        echo "$group $n $a $b" >> "$results"
    done
done
t1=$(date +%s)

# --- report ---
awk -v secs=$((t1 - t0)) -v has_control="$control" '
{
    g = $1; if (!(g in seen)) { seen[g] = 1; order[++ng] = g }
    extra = (g ~ /^extra/)
    total[g]++
    if (!extra) all++
    if (extra) xall++
    if ($3 == 0) { pass[g]++; if (!extra) passed++; else xpassed++ } else { fails[g] = fails[g] " " $2 }
    if ($4 == 0) { cpass[g]++; if (!extra) cpassed++ }
}
END {
    printf "\n| group | tests | libloop-uv | libuv 1.44.2 (control) |\n|---|---|---|---|\n"
    for (i = 1; i <= ng; i++) {
        g = order[i]
        if (g ~ /^extra/) continue
        printf "| %s | %d | %d | %s |\n", g, total[g], pass[g] + 0, has_control ? cpass[g] + 0 : "n/a"
    }
    printf "| **all** | %d | %d | %s |\n", all, passed, has_control ? cpassed + 0 : "n/a"
    for (i = 1; i <= ng; i++) {
        g = order[i]
        if (g !~ /^extra/) continue
        printf "| %s (not judged) | %d | %d | %s |\n", g, total[g], pass[g] + 0, has_control ? cpass[g] + 0 : "n/a"
    }
    printf "\n"
    for (i = 1; i <= ng; i++) if (fails[order[i]] != "") printf "failing in %s:%s\n", order[i], fails[order[i]]
    printf "uv_conformance: libloop-uv passed %d of %d (and %d of %d beyond the judged set) in %d s\n", passed, all, xpassed, xall, secs
}' "$results"
passed=$(awk '$1 !~ /^extra/ && $3 == 0' "$results" | wc -l)
if [ -n "${UV_ONLY:-}" ]; then
    # a chosen subset must pass whole
    if awk '$3 != 0 { bad = 1 } END { exit !bad }' "$results"; then
        echo "uv_conformance: FAILED: $(awk '$3 != 0 { printf "%s ", $2 }' "$results")" >&2
        exit 1
    fi
elif [ "$passed" -lt "$UV_CONFORMANCE_MIN" ]; then
    echo "uv_conformance: FAILED: $passed passed, fewer than the floor $UV_CONFORMANCE_MIN" >&2
    exit 1
fi
exit 0
