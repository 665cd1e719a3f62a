#!/bin/sh
# loop-trace — record an LTTng trace of a libloop program (installed as loop-trace).
#
#   loop-trace [record] [options] -- PROGRAM [ARGS...]
#   loop-trace flight [options] -- PROGRAM [ARGS...]
#   loop-trace attach [options] PID       loop-trace attach PID --stop
#
# attach: trace a libloop process that is already running (started without
# LOOP_TRACE, with its monitor on: LOOP_MONITOR=1). Creates and starts a
# session like record mode (named loop-attach-PID unless -n), then asks the
# process's monitor `trace on` through loopctl: its loop thread loads the
# probe and emits a state snapshot of its tasks, waits and handles (then one
# every 2 s), so loop-analyze reads the trace as if it had started with the
# process. Waits until the snapshot is emitted, then until Ctrl-C, until
# `loop-trace attach PID --stop` (from another shell) or until the process
# exits; then `trace off`, stops and destroys the session and prints the
# trace path. Exit 0, or 125 on its own failures (no such process, no
# monitor, the probe could not be loaded).
# record (the default): creates an LTTng session with a unique name, one
# user-space channel with generous sub-buffers, enables libloop:* with the
# vpid, vtid and procname contexts, starts it, runs PROGRAM with LOOP_TRACE=1
# (libloop then loads its probe), stops and destroys the session, reports
# discarded events, prints the trace path on stderr and exits with PROGRAM's
# status.
#
# Rotation (record mode, on by default): the session rotates every 2 s and
# whenever the current trace chunk holds 64 MiB (`lttng enable-rotation
# --timer=2s --size=64M`; --rotate PERIOD, --rotate-size SIZE, --no-rotate).
# LTTng writes a trace's metadata when a chunk is archived, so a plain
# session whose session daemon dies leaves undecodable stream files, while a
# rotating one keeps every archived chunk: a daemon killed mid-capture loses
# at most the last chunk. The trace directory then holds archives/CHUNK/...,
# one complete CTF trace per chunk, all with the same UUID: babeltrace2,
# loop-analyze and loop-replay extract read the directory as one trace.
# --live sessions do not rotate (the relay daemon owns their output), and
# flight mode does not either (a snapshot is its own complete trace).
# When the session daemon is gone at the end, loop-trace says so in one line,
# names the archived chunks, and still exits with PROGRAM's status.
#
# flight: the flight recorder. A snapshot-mode session whose channel is a ring
# buffer (overwrite mode: nothing reaches the disk while all goes well), and
# two LTTng triggers (event-rule-matches on libloop:stall and libloop:error,
# action snapshot-session) so that the session daemon writes a snapshot of
# the ring buffer to disk each time the program stalls or reports an error.
# The triggers are removed and the session destroyed when PROGRAM ends; the
# snapshot directories are listed on stderr.
#
# Both modes start a session daemon when none answers and say so in one line
# (as a normal user: `lttng-sessiond --daemonize` with the user's LTTNG_HOME,
# or $HOME; as root: the system daemon). The daemon is left running for the
# next capture (the line gives its pid) unless --stop-daemon is given: then
# loop-trace stops the daemon it started (never one it found) at exit.
#
# fork() without exec(): when liblttng-ust-fork.so.1 is installed (it comes
# with liblttng-ust), PROGRAM runs with it in LD_PRELOAD, so a forked child
# registers as its own process and its events carry its own vpid (without
# it they would land in the parent's buffers under the parent's vpid).
# --no-fork-wrapper leaves LD_PRELOAD alone.
#
# Its own failures print one line "loop-trace: ..." and exit 125, e.g. when
# lttng-tools is not installed. The session (and the triggers) are destroyed
# on every exit path, SIGINT included; on SIGINT the program gets the signal
# too and the trace recorded so far is kept.
#
# The same capture by hand:
#   lttng create S && lttng enable-event -u 'libloop:*' &&
#   lttng add-context -u -t vpid -t vtid -t procname &&
#   lttng enable-rotation --timer=2s --size=64M && lttng start &&
#   LOOP_TRACE=1 PROGRAM; lttng destroy S
# The flight recorder by hand:
#   lttng create F --snapshot --output=DIR &&
#   lttng enable-channel -u -s F --overwrite --subbuf-size=1M --num-subbuf=4 loop &&
#   lttng enable-event -u -s F -c loop 'libloop:*' &&
#   lttng add-context -u -s F -c loop -t vpid -t vtid -t procname && lttng start F &&
#   lttng add-trigger --name=F-stall --condition=event-rule-matches --type=user \
#       --name=libloop:stall --action=snapshot-session F   (and the same for libloop:error)
#   LOOP_TRACE=1 LOOP_STALL_MS=100 PROGRAM
#   lttng remove-trigger F-stall; lttng remove-trigger F-error; lttng destroy F
set -u

me=loop-trace

usage() {
    cat <<'USAGE'
usage: loop-trace [record] [options] -- PROGRAM [ARGS...]
       loop-trace flight [options] -- PROGRAM [ARGS...]
       loop-trace attach [options] PID     (loop-trace attach PID --stop ends it)
record: trace everything PROGRAM does into a trace directory.
attach: trace a running libloop process through its monitor (LOOP_MONITOR=1):
        its loop loads the probe and emits a snapshot of its state, so the
        trace reads as if it had started with the process; Ctrl-C or
        `loop-trace attach PID --stop` ends it (also when PID exits).
flight: keep the trace in a ring buffer only; write a snapshot of it to disk at
        each libloop:stall and libloop:error event (set LOOP_STALL_MS to start
        libloop's stall watchdog).
  -o, --output DIR      record: write the trace under DIR (new or empty; default:
                        lttng's $LTTNG_HOME/lttng-traces/NAME-DATE-TIME);
                        flight: write the snapshots under DIR (same default)
  -n, --name NAME       session name (default: loop-trace-DATE-TIME-PID)
  --live[=URL]          record: live session streamed to a relay daemon (default
                        net://127.0.0.1); read it with babeltrace2's lttng-live input.
                        PROGRAM runs with LOOP_MONITOR=1 unless set: its monitor
                        emits a state snapshot every 2 s for late viewers
  --blocking            record: never discard events: a blocking channel, and the
                        program runs with LTTNG_UST_ALLOW_BLOCKING=1 (use for replay)
  --pid-buffers         one buffer set (and one trace) per process
  --rotate PERIOD       record: archive a trace chunk every PERIOD (lttng's --timer
                        syntax: 500ms, 2s, 1m; default 2s), so that a session
                        daemon that dies loses at most the last chunk
  --rotate-size SIZE    record: also archive a chunk when it holds SIZE bytes
                        (k, M, G suffixes; default 64M)
  --no-rotate           record: one chunk, written at the end (a session daemon
                        that dies takes the whole trace with it)
  --subbuf-size SIZE    sub-buffer size (default 2M; flight: 1M)
  --num-subbuf N        sub-buffers per buffer (default 8; flight: 4)
  --stop-daemon         stop the session daemon at exit if loop-trace started it
                        (by default it keeps running for the next capture)
  --no-fork-wrapper     do not preload liblttng-ust-fork.so.1 (see fork() in
                        docs/trace-format.md)
  --stop                attach: end the `loop-trace attach PID` of this PID
  -h, --help            this text
Starts a session daemon when none answers (and says so).
Exit status: PROGRAM's; 127 when PROGRAM is not found, 126 when it is not
executable (nothing is recorded, no directory is left); 125 when loop-trace
itself fails.
USAGE
}

die() {
    echo "$me: $*" >&2
    exit 125
}

# Run an lttng command quietly; on failure, one line with lttng's own error.
lttng_q() {
    if ! _out=$(lttng "$@" 2>&1); then
        _err=$(printf '%s\n' "$_out" | grep -m 1 -i 'error' || printf '%s\n' "$_out" | head -n 1)
        die "lttng $1 failed: ${_err:-no message}"
    fi
}

mode=record
outdir=""
name=""
live=0
live_url=""
blocking=0
pid_buffers=0
subbuf_size=""
num_subbuf=""
stop_daemon=0
fork_wrapper=1
rotate=1
rotate_timer=""
rotate_size=""

case ${1:-} in
    record) shift ;;
    flight) mode=flight; shift ;;
    attach) mode=attach; shift ;;
esac
stop_attach=0
while [ $# -gt 0 ]; do
    case $1 in
        -o | --output)
            [ $# -ge 2 ] || die "$1 needs a directory"
            outdir=$2
            shift 2
            ;;
        --output=*) outdir=${1#*=}; shift ;;
        -n | --name)
            [ $# -ge 2 ] || die "$1 needs a name"
            name=$2
            shift 2
            ;;
        --name=*) name=${1#*=}; shift ;;
        --live) live=1; shift ;;
        --live=*) live=1; live_url=${1#*=}; shift ;;
        --blocking) blocking=1; shift ;;
        --pid-buffers) pid_buffers=1; shift ;;
        --subbuf-size)
            [ $# -ge 2 ] || die "$1 needs a size"
            subbuf_size=$2
            shift 2
            ;;
        --subbuf-size=*) subbuf_size=${1#*=}; shift ;;
        --num-subbuf)
            [ $# -ge 2 ] || die "$1 needs a count"
            num_subbuf=$2
            shift 2
            ;;
        --num-subbuf=*) num_subbuf=${1#*=}; shift ;;
        --rotate)
            [ $# -ge 2 ] || die "$1 needs a period (e.g. 2s, 500ms)"
            rotate_timer=$2
            shift 2
            ;;
        --rotate=*) rotate_timer=${1#*=}; shift ;;
        --rotate-size)
            [ $# -ge 2 ] || die "$1 needs a size (e.g. 64M)"
            rotate_size=$2
            shift 2
            ;;
        --rotate-size=*) rotate_size=${1#*=}; shift ;;
        --no-rotate) rotate=0; shift ;;
        --stop-daemon) stop_daemon=1; shift ;;
        --no-fork-wrapper) fork_wrapper=0; shift ;;
        --stop) stop_attach=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) die "unknown option $1 (see loop-trace --help)" ;;
        *) break ;;
    esac
done
if [ $mode = attach ]; then
    [ $# -ge 1 ] || die "attach: which process? (usage: loop-trace attach [options] PID)"
    attach_pid=$1
    shift
    [ "${1:-}" = --stop ] && { stop_attach=1; shift; }
    [ $# -eq 0 ] || die "attach: unexpected argument $1 (usage: loop-trace attach [options] PID)"
    case $attach_pid in
        '' | *[!0-9]*) die "attach: $attach_pid is not a process id" ;;
    esac
    [ $stop_attach = 1 ] || kill -0 "$attach_pid" 2>/dev/null ||
        [ -d "/proc/$attach_pid" ] || die "attach: no process $attach_pid"
    loopctl=$(dirname "$0")/loopctl
    [ -x "$loopctl" ] || loopctl=$(command -v loopctl 2>/dev/null) ||
        die "attach: loopctl not found (next to $0 or in PATH)"
    [ -n "$name" ] || name=loop-attach-$attach_pid
    set -- "$loopctl" # the checks below find it runnable
elif [ $stop_attach = 1 ]; then
    die "--stop belongs to attach (loop-trace attach PID --stop)"
fi
[ $# -gt 0 ] || die "no program given (usage: loop-trace [record|flight] [options] -- PROGRAM [ARGS...])"

# The program must be runnable before any session or directory exists: one
# line and the shell's statuses (127 not found, 126 not executable), nothing
# left behind.
case $1 in
    */*)
        if [ ! -e "$1" ]; then
            echo "$me: $1: no such file" >&2
            exit 127
        elif [ -d "$1" ] || [ ! -x "$1" ]; then
            echo "$me: $1: not an executable file" >&2
            exit 126
        fi
        ;;
    *)
        if ! command -v "$1" >/dev/null 2>&1; then
            echo "$me: $1: command not found" >&2
            exit 127
        fi
        ;;
esac

if [ $mode = flight ]; then
    [ $live = 0 ] || die "--live and flight exclude each other (a flight recording stays in memory until a snapshot)"
    [ $blocking = 0 ] ||
        die "--blocking and flight exclude each other (a flight recorder's ring buffer overwrites its oldest events)"
    : "${subbuf_size:=1M}" "${num_subbuf:=4}"
else
    : "${subbuf_size:=2M}" "${num_subbuf:=8}"
fi

if [ $mode = flight ] || [ $live = 1 ]; then
    if [ -n "$rotate_timer$rotate_size" ]; then
        [ $mode = flight ] && die "--rotate and flight exclude each other (a snapshot is its own complete trace)"
        die "--rotate and --live exclude each other (the relay daemon owns a live session's output)"
    fi
    rotate=0
elif [ $rotate = 1 ]; then
    [ -z "$rotate_timer$rotate_size" ] || [ -n "$rotate_timer" ] || rotate_timer=none
    : "${rotate_timer:=2s}" "${rotate_size:=64M}"
    case $rotate_timer in
        none | [1-9]*) ;;
        *) die "--rotate $rotate_timer: not a period (e.g. 500ms, 2s, 1m)" ;;
    esac
    case $rotate_size in
        [1-9]*) ;;
        *) die "--rotate-size $rotate_size: not a size (e.g. 64M)" ;;
    esac
elif [ -n "$rotate_timer$rotate_size" ]; then
    die "--no-rotate and --rotate/--rotate-size exclude each other"
fi

if [ $live = 1 ] && [ -n "$outdir" ]; then
    die "-o and --live exclude each other (the relay daemon decides where a live trace goes)"
fi
if [ -n "$outdir" ]; then
    case $outdir in
        /*) ;;
        *) outdir=$PWD/$outdir ;;
    esac
    if [ -e "$outdir" ] && [ -n "$(ls -A "$outdir" 2>/dev/null)" ]; then
        die "output directory $outdir exists and is not empty"
    fi
fi

# ---- lttng-tools and a session daemon ---------------------------------------

command -v lttng >/dev/null 2>&1 ||
    die "lttng-tools is not installed (no lttng command; Debian package lttng-tools)"

daemon_pid=""    # set when loop-trace started the daemon
daemon_pidfile() {
    if [ "$(id -u)" = 0 ]; then
        if [ -d /run/lttng ]; then
            echo /run/lttng/lttng-sessiond.pid
        else
            echo /var/run/lttng/lttng-sessiond.pid
        fi
    else
        echo "${LTTNG_HOME:-$HOME}/.lttng/lttng-sessiond.pid"
    fi
}

# shellcheck disable=SC2317 # called from traps
stop_started_daemon() {
    [ -n "$daemon_pid" ] || return 0
    _pid=$daemon_pid
    daemon_pid=""
    kill -TERM "$_pid" 2>/dev/null || return 0
    _i=0
    while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    if kill -0 "$_pid" 2>/dev/null; then
        echo "$me: warning: lttng-sessiond $_pid did not stop within 10 s" >&2
    fi
}

start_daemon() {
    command -v lttng-sessiond >/dev/null 2>&1 ||
        die "no session daemon answers and lttng-sessiond is not installed (Debian package lttng-tools)"
    if ! _err=$(lttng-sessiond --daemonize 2>&1); then
        die "no session daemon answered and lttng-sessiond --daemonize failed:" \
            "$(printf '%s\n' "$_err" | grep -m 1 -i 'error' || printf '%s\n' "$_err" | head -n 1)"
    fi
    _pidfile=$(daemon_pidfile)
    _i=0
    until lttng list >/dev/null 2>&1; do
        _i=$((_i + 1))
        [ $_i -le 100 ] || die "started lttng-sessiond, but it did not answer within 10 s"
        sleep 0.1
    done
    _pid=$(cat "$_pidfile" 2>/dev/null)
    if [ "$(id -u)" = 0 ]; then
        _what="the system lttng-sessiond"
    else
        _what="lttng-sessiond for LTTNG_HOME=${LTTNG_HOME:-$HOME}"
    fi
    if [ $stop_daemon = 1 ]; then
        daemon_pid=$_pid
        echo "$me: no session daemon was running: started $_what (pid ${_pid:-?}); stopped at exit (--stop-daemon)" >&2
    else
        echo "$me: no session daemon was running: started $_what (pid ${_pid:-?}); it keeps running (stop it: kill ${_pid:-PID})" >&2
    fi
}

[ -n "$name" ] || name=loop-trace-$(date +%Y%m%d-%H%M%S)-$$
triggers=""

# attach --stop: turn the process's tracing off and end the attach session;
# the `loop-trace attach PID` waiting in another shell then exits.
if [ $mode = attach ] && [ $stop_attach = 1 ]; then
    "$loopctl" "$attach_pid" trace off >/dev/null 2>&1
    lttng list "$name" >/dev/null 2>&1 || die "attach --stop: no session $name (is loop-trace attach $attach_pid running?)"
    trace_path=$(lttng list "$name" 2>/dev/null | sed -n 's/^ *Trace output: *//p' | head -n 1)
    lttng_q stop "$name"
    lttng_q destroy "$name"
    echo "$me: attach session $name ended; trace: ${trace_path:-unknown}" >&2
    exit 0
fi

# Session life: created -> destroyed on every exit path.
created=0
running=0
interrupted=0
# shellcheck disable=SC2317 # called from traps
destroy_session() {
    for _t in $triggers; do
        lttng remove-trigger "$_t" >/dev/null 2>&1
    done
    triggers=""
    if [ "$created" = 1 ]; then
        created=0
        lttng stop "$name" >/dev/null 2>&1
        lttng destroy "$name" >/dev/null 2>&1
    fi
}
trap 'destroy_session; stop_started_daemon' EXIT
# While the program runs it gets SIGINT too: finish normally and keep the trace.
trap 'if [ $running = 1 ]; then interrupted=1; else destroy_session; exit 130; fi' INT
trap 'destroy_session; exit 143' TERM

lttng list >/dev/null 2>&1 || start_daemon

# ---- fork() wrapper -----------------------------------------------------------

# The path of liblttng-ust-fork.so.1 for this machine's word size, or nothing.
find_fork_lib() {
    case $(uname -m) in
        x86_64) _tag='x86-64' ;;
        aarch64) _tag='AArch64' ;;
        *) _tag='' ;;
    esac
    _lib=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) |
        awk -v tag="$_tag" '$1 == "liblttng-ust-fork.so.1" {
                if (tag == "" || index($0, tag)) { print $NF; exit } }')
    if [ -n "$_lib" ] && [ -r "$_lib" ]; then
        echo "$_lib"
        return
    fi
    for _d in "/usr/lib/$(uname -m)-linux-gnu" /usr/lib64 /usr/lib /usr/local/lib; do
        if [ -r "$_d/liblttng-ust-fork.so.1" ]; then
            echo "$_d/liblttng-ust-fork.so.1"
            return
        fi
    done
}

# LD_PRELOAD with the fork wrapper: first, except after a sanitizer runtime
# (AddressSanitizer insists on coming first); one the program itself needs is
# put there too.
preload_list() {
    _san=""
    _rest=""
    for _p in $(printf '%s\n' "${LD_PRELOAD:-}" | tr ':' ' '); do
        case ${_p##*/} in
            libasan.so* | libtsan.so* | libhwasan.so*) _san="$_san $_p" ;;
            *) _rest="$_rest $_p" ;;
        esac
    done
    if [ -z "$_san" ]; then
        _prog=$(command -v "$1" 2>/dev/null)
        if [ -n "$_prog" ] && [ -f "$_prog" ]; then
            _san=$(ldd "$_prog" 2>/dev/null |
                sed -n 's/^[[:space:]]*lib[at]san\.so[^ ]* => \(\/[^ ]*\).*/ \1/p' | head -n 1)
        fi
    fi
    _all="$_san $fork_lib$_rest"
    # shellcheck disable=SC2086 # split and join with single spaces
    echo $_all
}

fork_lib=""
if [ $fork_wrapper = 1 ]; then
    fork_lib=$(find_fork_lib)
fi

# ---- the session ----------------------------------------------------------------


if [ $mode = flight ]; then
    if [ -n "$outdir" ]; then
        lttng_q create "$name" --snapshot --output="$outdir"
    else
        lttng_q create "$name" --snapshot
    fi
elif [ $live = 1 ]; then
    if [ -n "$live_url" ]; then
        lttng_q create "$name" --live --set-url="$live_url"
    else
        lttng_q create "$name" --live
    fi
elif [ -n "$outdir" ]; then
    lttng_q create "$name" --output="$outdir"
else
    lttng_q create "$name"
fi
created=1

chan_opts="--subbuf-size=$subbuf_size --num-subbuf=$num_subbuf"
[ $pid_buffers = 1 ] && chan_opts="$chan_opts --buffers-pid"
[ $blocking = 1 ] && chan_opts="$chan_opts --blocking-timeout=inf"
[ $mode = flight ] && chan_opts="$chan_opts --overwrite"
# shellcheck disable=SC2086 # chan_opts holds separate options without spaces inside
lttng_q enable-channel -u -s "$name" $chan_opts loop
lttng_q enable-event -u -s "$name" -c loop 'libloop:*'
lttng_q add-context -u -s "$name" -c loop -t vpid -t vtid -t procname
if [ $rotate = 1 ]; then
    rot_opts="--size=$rotate_size"
    [ "$rotate_timer" = none ] || rot_opts="--timer=$rotate_timer $rot_opts"
    # shellcheck disable=SC2086 # rot_opts holds separate options without spaces inside
    lttng_q enable-rotation -s "$name" $rot_opts
fi

if [ $mode = flight ]; then
    snap_dir=$(lttng snapshot list-output -s "$name" 2>/dev/null |
        sed -n 's/^ *\[[0-9]*\] [^:]*: *//p' | head -n 1)
    trace_path=""
else
    trace_path=$(lttng list "$name" 2>/dev/null | sed -n 's/^ *Trace output: *//p' | head -n 1)
fi
lttng_q start "$name"
if [ $mode = flight ]; then
    # The triggers belong to the session daemon, not to the session: named
    # after the session, removed by destroy_session.
    for ev in stall error; do
        lttng_q add-trigger --name="$name-$ev" --condition=event-rule-matches \
            --type=user --name="libloop:$ev" --action=snapshot-session "$name"
        triggers="$triggers $name-$ev"
    done
    echo "$me: flight recorder $name: a snapshot goes to ${snap_dir:-?} at each libloop:stall" \
        "and libloop:error (one by hand: lttng snapshot record -s $name)" >&2
fi
if [ $live = 1 ]; then
    host=$(printf '%s\n' "${live_url:-net://127.0.0.1}" | sed -e 's|^[a-z0-9]*://||' -e 's|[:/].*||')
    echo "$me: live session $name: read it with babeltrace2 --input-format=lttng-live" \
        "net://$host/host/$(hostname)/$name (add :PORT if the relay daemon's live port is not 5344)" >&2
fi

if [ $mode = attach ]; then
    # The process's monitor turns tracing on; its loop thread then loads the
    # probe and emits the state snapshot (loopctl's `trace` counts them).
    _out=$("$loopctl" "$attach_pid" trace on 2>&1) ||
        die "attach: loopctl $attach_pid trace on failed: $(printf '%s\n' "$_out" | head -n 1)"
    _i=0
    _snaps=0
    while [ $_i -lt 100 ]; do
        _st=$("$loopctl" "$attach_pid" trace 2>/dev/null)
        _snaps=$(printf '%s\n' "$_st" | sed -n 's/.*snapshots=\([0-9]*\).*/\1/p' | head -n 1)
        case $_st in
            *error=*) die "attach: the process could not load the probe ($(printf '%s\n' "$_st" |
                sed -n 's/.*error=\([^ ]*\).*/\1/p')); see its log" ;;
        esac
        [ "${_snaps:-0}" -ge 1 ] && break
        sleep 0.1
        _i=$((_i + 1))
    done
    [ "${_snaps:-0}" -ge 1 ] ||
        echo "$me: warning: no state snapshot within 10 s (the loop thread may be blocked); tracing anyway" >&2
    echo "$me: attached to pid $attach_pid: session $name records libloop:* (state snapshot" \
        "emitted); Ctrl-C or \`loop-trace attach $attach_pid --stop\` ends it" >&2
    running=1
    while [ $interrupted = 0 ] && kill -0 "$attach_pid" 2>/dev/null &&
        lttng list "$name" >/dev/null 2>&1; do
        sleep 0.2
    done
    running=0
    "$loopctl" "$attach_pid" trace off >/dev/null 2>&1
    if ! lttng list "$name" >/dev/null 2>&1; then
        created=0 # ended by loop-trace attach --stop
        echo "$me: trace: ${trace_path:-unknown}" >&2
        exit 0
    fi
    set -- true # the shared ending below: stop, destroy, report
fi

# The program: its stdin/stdout stay the terminal's; it may be a script that
# starts several libloop processes, all of them traced.
running=1
(
    LOOP_TRACE=1
    # Wait for the session daemon at start-up: the first events (loop_new) matter.
    LTTNG_UST_REGISTER_TIMEOUT=${LTTNG_UST_REGISTER_TIMEOUT:--1}
    export LOOP_TRACE LTTNG_UST_REGISTER_TIMEOUT
    if [ $blocking = 1 ]; then
        LTTNG_UST_ALLOW_BLOCKING=1
        export LTTNG_UST_ALLOW_BLOCKING
    fi
    if [ $live = 1 ] && [ -z "${LOOP_MONITOR:-}" ]; then
        # a viewer that connects late needs the state: the monitor emits a
        # state snapshot every 2 s while the probe is loaded
        LOOP_MONITOR=1
        export LOOP_MONITOR
    fi
    if [ -n "$fork_lib" ]; then
        LD_PRELOAD=$(preload_list "$1")
        export LD_PRELOAD
    fi
    trap - INT TERM EXIT
    exec "$@"
)
status=$?
running=0

# Snapshots named after the session's output, in creation order.
count_snapshots() {
    if [ -n "$snap_dir" ] && [ -d "$snap_dir" ]; then
        find "$snap_dir" -mindepth 1 -maxdepth 1 -type d -name 'snapshot-*' | wc -l
    else
        echo 0
    fi
}

if [ $mode = flight ]; then
    # A trigger's action runs in the session daemon, after the event: let the
    # last snapshots be written (the count stays put for 0.6 s; 5 s at most).
    _n=$(count_snapshots)
    _stable=0
    _i=0
    while [ $_stable -lt 3 ] && [ $_i -lt 25 ]; do
        sleep 0.2
        _m=$(count_snapshots)
        if [ "$_m" = "$_n" ]; then
            _stable=$((_stable + 1))
        else
            _stable=0
            _n=$_m
        fi
        _i=$((_i + 1))
    done
    for _t in $triggers; do
        lttng_q remove-trigger "$_t"
    done
    triggers=""
fi

# Archived trace chunks of a rotating session, in the trace directory.
count_chunks() {
    if [ -n "$trace_path" ] && [ -d "$trace_path/archives" ]; then
        find "$trace_path/archives" -mindepth 1 -maxdepth 1 -type d | wc -l
    else
        echo 0
    fi
}

# The session daemon died under us (killed, out of memory, the machine lost
# it): say what is left, and still exit with the program's status.
if ! _out=$(lttng stop "$name" 2>&1); then
    _err=$(printf '%s\n' "$_out" | grep -m 1 -i 'error' || printf '%s\n' "$_out" | head -n 1)
    lttng list >/dev/null 2>&1 && die "lttng stop failed: ${_err:-no message}"
    created=0
    if [ $rotate = 1 ]; then
        echo "$me: lttng stop failed: ${_err:-no message}: the session daemon is gone;" \
            "the trace keeps the $(count_chunks) trace chunk(s) archived before it died (the" \
            "chunk being written is lost): ${trace_path:-unknown}" >&2
    else
        echo "$me: lttng stop failed: ${_err:-no message}: the session daemon is gone;" \
            "with --no-rotate its metadata was never written, so the trace in" \
            "${trace_path:-unknown} cannot be decoded" >&2
    fi
    exit $status
fi
discarded=$(lttng list "$name" -c loop 2>/dev/null |
    sed -n 's/^ *Discarded events: *\([0-9]*\).*/\1/p' | head -n 1)
lost=$(lttng list "$name" -c loop 2>/dev/null |
    sed -n 's/^ *Lost packets: *\([0-9]*\).*/\1/p' | head -n 1)
lttng_q destroy "$name"
created=0

if [ $mode != flight ] && [ -n "$discarded" ] && [ "$discarded" != 0 ]; then
    echo "$me: warning: $discarded events were discarded (buffers full);" \
        "use --blocking or a larger --subbuf-size/--num-subbuf" >&2
fi
if [ -n "$lost" ] && [ "$lost" != 0 ]; then
    echo "$me: warning: $lost packets were lost" >&2
fi
[ $interrupted = 1 ] && echo "$me: interrupted; the trace holds what was recorded" >&2
if [ $mode = flight ]; then
    n=$(count_snapshots)
    if [ "$n" = 0 ]; then
        echo "$me: no snapshot: no libloop:stall or libloop:error event (nothing written to ${snap_dir:-?})" >&2
    else
        echo "$me: $n snapshot(s) in $snap_dir:" >&2
        # snapshot-OUTPUT-DATE-TIME-SEQ: in SEQ order
        find "$snap_dir" -mindepth 1 -maxdepth 1 -type d -name 'snapshot-*' |
            awk -F- '{ print $NF "\t" $0 }' | sort -n | cut -f 2 | sed 's/^/  /' >&2
    fi
elif [ $live = 1 ]; then
    echo "$me: live session $name ended; the relay daemon kept the trace" >&2
else
    _chunks=$(count_chunks)
    # A short capture has nothing archived yet: nothing to say about chunks.
    if [ $rotate = 1 ] && [ "$_chunks" != 0 ]; then
        _every="every $rotate_timer or $rotate_size"
        [ "$rotate_timer" = none ] && _every="every $rotate_size"
        echo "$me: $_chunks trace chunk(s) in archives/ (rotation $_every):" \
            "babeltrace2 and loop-analyze read the directory as one trace" >&2
    fi
    echo "$me: trace: ${trace_path:-unknown (see lttng list)}" >&2
fi
exit $status
