# tests/lib/sessiond.sh — a private lttng-sessiond for integration tests.
#
# Source it from a test script (run with sh from the repository root):
#
#     . tests/lib/sessiond.sh
#     sessiond_isolate "$0" "$@"   # first: as root, re-runs the script in its
#                                  # own mount namespace (see below)
#     at_exit "rm -rf '$tmp'"      # optional: more cleanup, run in reverse order
#     sessiond_start               # starts the daemon, waits until it answers
#     lttng create ...             # LTTNG_HOME is exported: lttng talks to it
#
# The daemon is stopped by pid (kill -TERM, then -KILL after 10 s) when the
# script exits, also on failure or on SIGINT/SIGTERM; sessiond_stop stops it
# earlier.
#
# Isolation (docs in ../shared/docs/INTEGRATION.md): a test neither uses nor
# disturbs a session daemon that may already run on the machine.
#  - As a normal user, LTTNG_HOME=$(mktemp -d) gives lttng and lttng-sessiond
#    private sockets and pid file.
#  - As root the daemon's sockets live under /run/lttng whatever LTTNG_HOME
#    says, and the buffers under /dev/shm: sessiond_isolate re-executes the
#    script under `unshare -m` and mounts a private tmpfs on both.
#    A root run that cannot get a mount namespace says why and fails: it
#    never falls back to the machine's /run/lttng.
#
# Every failure prints one line "SCRIPT: FAIL: why" and exits 1 (fail, note,
# at_exit, need and make_tmp come from tests/lib/common.sh, sourced here).

. tests/lib/common.sh
SESSIOND_PID=""
_tl_first_cleanup=sessiond_stop

# As root: re-run "$@" (the script and its arguments) in a private mount
# namespace, then mount private tmpfs on /run/lttng and /dev/shm there.
sessiond_isolate() {
    [ "$(id -u)" = 0 ] || return 0
    if [ "${LOOP_TEST_MNTNS:-}" != "$$" ]; then
        command -v unshare >/dev/null 2>&1 ||
            fail "running as root needs unshare (util-linux) to isolate lttng-sessiond in a mount namespace"
        if ! _tl_err=$(unshare -m --propagation private true 2>&1); then
            fail "running as root needs a private mount namespace for lttng-sessiond, and unshare -m failed: $_tl_err"
        fi
        # exec keeps the pid, so the re-run recognizes itself by $$.
        LOOP_TEST_MNTNS=$$ exec unshare -m --propagation private sh "$@"
    fi
    mkdir -p /run/lttng /dev/shm ||
        fail "cannot create /run/lttng"
    mount -t tmpfs -o mode=0755 loop-test-lttng /run/lttng ||
        fail "cannot mount a private tmpfs on /run/lttng"
    mount -t tmpfs -o mode=1777 loop-test-shm /dev/shm ||
        fail "cannot mount a private tmpfs on /dev/shm"
}

# _tl_read_pid FILE: print the pid FILE holds if it is complete (digits and
# one newline: lttng-sessiond writes "%d\n"), else nothing. A file being
# written can hold a prefix of the number, or the tail of an older one.
_tl_read_pid() {
    _tl_c=$(cat "$1" 2>/dev/null; echo .) || return 0
    _tl_c=${_tl_c%.}
    case $_tl_c in
        *"
") ;;
        *) return 0 ;; # no final newline: being written
    esac
    _tl_p=${_tl_c%"
"}
    case $_tl_p in
        "" | *[!0-9]*) return 0 ;; # empty, or not one number (another newline)
    esac
    echo "$_tl_p"
}

# _tl_is_sessiond PID: PID is alive (kill -0) and is an lttng-sessiond.
_tl_is_sessiond() {
    kill -0 "$1" 2>/dev/null || return 1
    case $(cat "/proc/$1/comm" 2>/dev/null) in
        lttng-sessiond*) return 0 ;;
    esac
    return 1
}

# Start a private lttng-sessiond and wait (10 s at most) until its pid file
# holds a complete pid of a live lttng-sessiond and `lttng list` answers.
# Race-free when called again after the previous daemon was killed: the
# stale pid file is removed first (as root the file is /run/lttng's, the same
# for every start; the daemon's own write can be read half done), and a pid
# counts only once kill -0 accepts it and /proc says it is lttng-sessiond.
sessiond_start() {
    command -v lttng >/dev/null 2>&1 || fail "lttng not found (Debian package lttng-tools)"
    command -v lttng-sessiond >/dev/null 2>&1 ||
        fail "lttng-sessiond not found (Debian package lttng-tools)"
    if [ "$(id -u)" = 0 ] && [ "${LOOP_TEST_MNTNS:-}" != "$$" ]; then
        fail "as root, call sessiond_isolate \"\$0\" \"\$@\" before sessiond_start"
    fi
    [ -z "$SESSIOND_PID" ] || fail "sessiond_start: a daemon (pid $SESSIOND_PID) is already running"
    LTTNG_HOME=$(mktemp -d "${TMPDIR:-/tmp}/loop-lttng-home.XXXXXX") || fail "mktemp failed"
    export LTTNG_HOME
    at_exit "rm -rf '$LTTNG_HOME'"
    if [ "$(id -u)" = 0 ]; then
        _tl_pidfile=/run/lttng/lttng-sessiond.pid
    else
        _tl_pidfile=$LTTNG_HOME/.lttng/lttng-sessiond.pid
    fi
    rm -f "$_tl_pidfile" || fail "cannot remove the stale pid file $_tl_pidfile"
    if ! _tl_err=$(lttng-sessiond --daemonize --no-kernel 2>&1); then
        fail "lttng-sessiond --daemonize failed: $(echo "$_tl_err" | head -n 3 | tr '\n' ' ')"
    fi
    _tl_i=0
    _tl_pid=""
    while :; do
        if [ -z "$_tl_pid" ]; then
            _tl_pid=$(_tl_read_pid "$_tl_pidfile")
            if [ -n "$_tl_pid" ] && ! _tl_is_sessiond "$_tl_pid"; then
                _tl_pid="" # not (yet) the daemon: read the file again
            fi
        fi
        if [ -n "$_tl_pid" ] && lttng list >/dev/null 2>&1; then
            # the file still names it: it was not a half-written number
            [ "$(_tl_read_pid "$_tl_pidfile")" = "$_tl_pid" ] && break
            _tl_pid=""
        fi
        _tl_i=$((_tl_i + 1))
        [ "$_tl_i" -le 100 ] ||
            fail "the private lttng-sessiond did not answer within 10 s (pid file $_tl_pidfile: $(head -c 40 "$_tl_pidfile" 2>/dev/null))"
        sleep 0.1
    done
    SESSIOND_PID=$_tl_pid
}

# Stop the daemon started by sessiond_start (by pid); safe to call twice.
sessiond_stop() {
    [ -n "$SESSIOND_PID" ] || return 0
    kill -TERM "$SESSIOND_PID" 2>/dev/null || true
    _tl_i=0
    while kill -0 "$SESSIOND_PID" 2>/dev/null && [ "$_tl_i" -lt 100 ]; do
        sleep 0.1
        _tl_i=$((_tl_i + 1))
    done
    if kill -0 "$SESSIOND_PID" 2>/dev/null; then
        note "lttng-sessiond $SESSIOND_PID ignored SIGTERM for 10 s; killing it"
        kill -KILL "$SESSIOND_PID" 2>/dev/null || true
    fi
    SESSIOND_PID=""
}
