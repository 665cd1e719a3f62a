# tests/lib/common.sh — what every integration script starts with.
#
# Source it first, from the repository root (scripts/run-tests runs them
# there with sh):
#
#     . tests/lib/common.sh
#     need "$BUILD/bin/loop-replay" ...   # one line and exit 1 if one is missing
#     make_tmp loop-replay-race            # $tmp: removed at exit (KEEP=1 keeps it)
#     at_exit "kill $pid"                  # more cleanup, run in reverse order
#
# It sets `me` (the script's name), makes BUILD (default: build) absolute,
# and defines fail (one line "SCRIPT: FAIL: why", exit 1) and note. The
# exit trap runs the cleanups also on failure and on SIGINT/SIGTERM; a
# script that installs its own EXIT trap takes over from it.
# tests/lib/sessiond.sh sources it.

me=${0##*/}
BUILD=${BUILD:-build}
case $BUILD in
    /*) ;;
    *) BUILD=$PWD/$BUILD ;;
esac

fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

note() {
    echo "$me: $*" >&2
}

# need FILE...: each must exist (a program, a library, a fixture)
need() {
    for _tl_f in "$@"; do
        [ -e "$_tl_f" ] || fail "$_tl_f is missing: run make first"
    done
}

_tl_cleanups=""
_tl_first_cleanup=:

# Register a shell command to run at exit (most recent first).
at_exit() {
    _tl_cleanups="$1
$_tl_cleanups"
}

_tl_on_exit() {
    _tl_rc=$?
    trap - EXIT INT TERM
    $_tl_first_cleanup
    _tl_old_ifs=$IFS
    IFS='
'
    for _tl_cmd in $_tl_cleanups; do
        IFS=$_tl_old_ifs
        eval "$_tl_cmd" || true
    done
    IFS=$_tl_old_ifs
    exit "$_tl_rc"
}
trap _tl_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make_tmp NAME: a private directory in $tmp, removed at exit unless KEEP is set
make_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || fail "mktemp failed"
    at_exit '[ -n "${KEEP:-}" ] || rm -rf "$tmp"'
}
