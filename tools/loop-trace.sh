#!/bin/sh
# loop-trace — record an LTTng trace of a libloop program (installed as loop-trace).
#
#   loop-trace [record] [-o DIR] [-n NAME] [--live[=URL]] [--blocking] [--pid-buffers]
#              [--subbuf-size SIZE] [--num-subbuf N] -- PROGRAM [ARGS...]
#
# Creates an LTTng session with a unique name, one user-space channel with
# generous sub-buffers, enables libloop:* with the vpid, vtid and procname
# contexts, starts it, runs PROGRAM with LOOP_TRACE=1 (libloop then loads its
# probe), stops and destroys the session, reports discarded events, prints
# the trace path on stderr and exits with PROGRAM's status.
#
# Its own failures print one line "loop-trace: ..." and exit 125. It needs a
# running session daemon (start one with `lttng-sessiond --daemonize`). The
# session is destroyed on every exit path, SIGINT included; on SIGINT the
# program gets the signal too and the trace recorded so far is kept.
#
# The same capture by hand:
#   lttng create S && lttng enable-event -u 'libloop:*' &&
#   lttng add-context -u -t vpid -t vtid -t procname && lttng start &&
#   LOOP_TRACE=1 PROGRAM; lttng destroy S
set -u

me=loop-trace

usage() {
    cat <<'USAGE'
usage: loop-trace [record] [options] -- PROGRAM [ARGS...]
  -o, --output DIR      write the trace under DIR (new or empty; default: lttng's
                        $LTTNG_HOME/lttng-traces/NAME-DATE-TIME)
  -n, --name NAME       session name (default: loop-trace-DATE-TIME-PID)
  --live[=URL]          live session streamed to a relay daemon (default
                        net://127.0.0.1); read it with babeltrace2's lttng-live input
  --blocking            never discard events: a blocking channel, and the program
                        runs with LTTNG_UST_ALLOW_BLOCKING=1 (use for replay)
  --pid-buffers         one buffer set (and one trace) per process
  --subbuf-size SIZE    sub-buffer size (default 2M)
  --num-subbuf N        sub-buffers per buffer (default 8)
  -h, --help            this text
Exit status: PROGRAM's, or 125 when loop-trace itself fails.
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

outdir=""
name=""
live=0
live_url=""
blocking=0
pid_buffers=0
subbuf_size=2M
num_subbuf=8

[ "${1:-}" = record ] && shift
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
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) die "unknown option $1 (see loop-trace --help)" ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || die "no program given (usage: loop-trace [options] -- PROGRAM [ARGS...])"

command -v lttng >/dev/null 2>&1 ||
    die "lttng is not installed (Debian package lttng-tools)"
lttng list >/dev/null 2>&1 ||
    die "no LTTng session daemon can be reached; start one with: lttng-sessiond --daemonize"

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
[ -n "$name" ] || name=loop-trace-$(date +%Y%m%d-%H%M%S)-$$

# Session life: created -> destroyed on every exit path.
created=0
running=0
interrupted=0
# shellcheck disable=SC2317 # called from traps
destroy_session() {
    if [ "$created" = 1 ]; then
        created=0
        lttng stop "$name" >/dev/null 2>&1
        lttng destroy "$name" >/dev/null 2>&1
    fi
}
trap 'destroy_session' EXIT
# While the program runs it gets SIGINT too: finish normally and keep the trace.
trap 'if [ $running = 1 ]; then interrupted=1; else destroy_session; exit 130; fi' INT
trap 'destroy_session; exit 143' TERM

if [ $live = 1 ]; then
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
# shellcheck disable=SC2086 # chan_opts holds separate options without spaces inside
lttng_q enable-channel -u -s "$name" $chan_opts loop
lttng_q enable-event -u -s "$name" -c loop 'libloop:*'
lttng_q add-context -u -s "$name" -c loop -t vpid -t vtid -t procname

trace_path=$(lttng list "$name" 2>/dev/null | sed -n 's/^ *Trace output: *//p' | head -n 1)
lttng_q start "$name"
if [ $live = 1 ]; then
    host=$(printf '%s\n' "${live_url:-net://127.0.0.1}" | sed -e 's|^[a-z0-9]*://||' -e 's|[:/].*||')
    echo "$me: live session $name: read it with babeltrace2 --input-format=lttng-live" \
        "net://$host/host/$(hostname)/$name (add :PORT if the relay daemon's live port is not 5344)" >&2
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
    trap - INT TERM EXIT
    exec "$@"
)
status=$?
running=0

lttng_q stop "$name"
discarded=$(lttng list "$name" -c loop 2>/dev/null |
    sed -n 's/^ *Discarded events: *\([0-9]*\).*/\1/p' | head -n 1)
lost=$(lttng list "$name" -c loop 2>/dev/null |
    sed -n 's/^ *Lost packets: *\([0-9]*\).*/\1/p' | head -n 1)
lttng_q destroy "$name"
created=0

if [ -n "$discarded" ] && [ "$discarded" != 0 ]; then
    echo "$me: warning: $discarded events were discarded (buffers full);" \
        "use --blocking or a larger --subbuf-size/--num-subbuf" >&2
fi
if [ -n "$lost" ] && [ "$lost" != 0 ]; then
    echo "$me: warning: $lost packets were lost" >&2
fi
[ $interrupted = 1 ] && echo "$me: interrupted; the trace holds what was recorded" >&2
if [ $live = 1 ]; then
    echo "$me: live session $name ended; the relay daemon kept the trace" >&2
else
    echo "$me: trace: ${trace_path:-unknown (see lttng list)}" >&2
fi
exit $status
