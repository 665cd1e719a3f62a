#!/bin/sh
# bench/trace_overhead.sh — what libloop's LTTng tracepoints cost.
#
# usage: bench/trace_overhead.sh [--runs N] [--quick] [--write [FILE]]
#   (or `make bench-trace`, which builds libloop and the probe first;
#    `make bench-trace TRACE_BENCH_ARGS="--runs 9 --write"`)
#
# Builds, into $BUILD/bench-trace:
#   - a libloop without tracepoints: every libloop/*/*.c compiled again with
#     -DLOOP_NO_TRACE (libloop/core/trace.h makes each call site a no-op);
#   - the workloads bench/trace_callsoon.c and bench/trace_timers.c, linked
#     once against $BUILD/lib/libloop.a and once against that no-trace build;
#   - bench/trace_minimal.c with the one-integer provider bench/trace_minimal_tp.[ch]
#     (static linkage, -llttng-ust), the bare LTTng-UST reference;
#   - bench/trace_hello.c, bench/trace_plain.c and the spawner bench/trace_startup.c.
# Then, under a private lttng-sessiond (tests/lib/sessiond.sh; as root in its
# own mount namespace), runs every variant N times (default 7), interleaved
# (run 1 of every variant, then run 2, ...):
#   notrace     the LOOP_NO_TRACE build
#   notloaded   the normal build, probe not loaded (no LOOP_TRACE, no LD_PRELOAD)
#   loaded      LD_PRELOAD=liblooptp.so, registered with the session daemon, no session
#   thread      control: not loaded, but bench/trace_idle_thread.c preloaded (one
#               idle thread, as liblttng-ust's listener threads are)
#   session     the same with a session recording every libloop event (libloop:*,
#               vpid/vtid/procname contexts, 16 x 8 MiB sub-buffers per CPU in
#               discard mode; discarded events are counted and reported)
#   minimal     loop_bench:tick without a session (a disabled call site) and in
#               the same session as the libloop run (its own channel, same
#               contexts and sizes): the bare per-event cost
# and counts the events per dispatch / per timer in a small traced run
# (babeltrace2). Start-up: the median of 300 fork+exec+wait of each program.
#
# Prints a markdown report; --write puts it into FILE (default
# bench/TRACING.md) between the markers
#   <!-- trace-bench:begin --> and <!-- trace-bench:end -->
# (the text around them is kept). --quick: 3 runs and smaller counts (smoke test).
# --report-only: no build and no run, the report again from the figures of the
# last run ($BUILD/bench-trace/raw.txt and counts.txt).
# Environment: BUILD (default build), CC (cc), OPT (-O2 -g, as the Makefile).
set -u

script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$script")/.." || exit 1
args_for_isolate="$*"

runs=7
quick=0
write=""
report_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --quick) quick=1; runs=3; shift ;;
        --report-only) report_only=1; shift ;;
        --write)
            if [ $# -ge 2 ] && [ "${2#-}" = "$2" ]; then
                write=$2
                shift 2
            else
                write=bench/TRACING.md
                shift
            fi
            ;;
        --write=*) write=${1#*=}; shift ;;
        -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$script"; exit 0 ;;
        *) echo "trace_overhead.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

. tests/lib/sessiond.sh
# shellcheck disable=SC2086 # re-run with the same arguments
sessiond_isolate "$script" $args_for_isolate

BUILD=${BUILD:-build}
CC=${CC:-cc}
OPT=${OPT:--O2 -g}
OUT=$BUILD/bench-trace
for f in "$BUILD/lib/libloop.a" "$BUILD/lib/liblooptp.so"; do
    [ -e "$f" ] || fail "$f is missing: run make first (or make bench-trace)"
done
for tool in "$CC" ar lttng lttng-sessiond babeltrace2; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found"
done
PROBE=$(cd "$BUILD/lib" && pwd)/liblooptp.so

if [ $quick = 1 ]; then
    n_callsoon=300000 n_callsoon_sess=100000 n_timers=100000 n_min=2000000 n_min_sess=300000 n_start=100
else
    n_callsoon=3000000 n_callsoon_sess=500000 n_timers=300000 n_min=50000000 n_min_sess=2000000 n_start=300
fi
n_count=20000 # dispatches / timers of the run whose events are counted

if [ $report_only = 0 ]; then
# ---- build ----------------------------------------------------------------------

CPPF="-D_GNU_SOURCE -Iinclude -Ilibloop -I."
# shellcheck disable=SC2086
CFL="-std=gnu11 $OPT -Wall -Wextra -Wshadow -fPIC -fvisibility=hidden"
LIBS="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
mkdir -p "$OUT/notrace/obj" || fail "cannot create $OUT"

note "building the LOOP_NO_TRACE libloop and the programs in $OUT"
objs=""
for src in libloop/*/*.c libloop/task/arch/*_"$(uname -m)".S; do
    [ -e "$src" ] || continue
    obj=$OUT/notrace/obj/$(basename "$src" | sed 's/\.[cS]$//').o
    # shellcheck disable=SC2086
    $CC $CPPF $CFL -DLOOP_NO_TRACE -c "$src" -o "$obj" || fail "cannot compile $src with -DLOOP_NO_TRACE"
    objs="$objs $obj"
done
rm -f "$OUT/notrace/libloop.a"
# shellcheck disable=SC2086
ar rcs "$OUT/notrace/libloop.a" $objs || fail "ar failed"
if nm "$OUT/notrace/libloop.a" 2>/dev/null | grep -q lttng; then
    fail "the LOOP_NO_TRACE libloop still references LTTng"
fi

prog() { # name source lib [extra...]
    _name=$1 _src=$2 _lib=$3
    shift 3
    # shellcheck disable=SC2086
    $CC $CPPF -Ibench $CFL -o "$_name" "$_src" "$_lib" "$@" $LIBS || fail "cannot build $_name"
}
for w in callsoon timers; do
    prog "$OUT/trace_$w" "bench/trace_$w.c" "$BUILD/lib/libloop.a"
    prog "$OUT/notrace/trace_$w" "bench/trace_$w.c" "$OUT/notrace/libloop.a"
done
prog "$OUT/trace_hello" bench/trace_hello.c "$BUILD/lib/libloop.a"
prog "$OUT/notrace/trace_hello" bench/trace_hello.c "$OUT/notrace/libloop.a"
# shellcheck disable=SC2086
$CC $CFL -o "$OUT/trace_plain" bench/trace_plain.c || fail "cannot build trace_plain"
# shellcheck disable=SC2086
$CC $CFL -shared -o "$OUT/libtrace_idle_thread.so" bench/trace_idle_thread.c -lpthread ||
    fail "cannot build libtrace_idle_thread.so"
# shellcheck disable=SC2086
$CC $CPPF -Ibench $CFL -o "$OUT/trace_startup" bench/trace_startup.c || fail "cannot build trace_startup"
# shellcheck disable=SC2086
$CC -D_GNU_SOURCE -Ibench $CFL -DLTTNG_UST_COMPAT_API_VERSION=1 -o "$OUT/trace_minimal" \
    bench/trace_minimal.c bench/trace_minimal_tp.c -llttng-ust -ldl || fail "cannot build trace_minimal"

# ---- runs -------------------------------------------------------------------------

sessiond_start
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-trace-bench.XXXXXX") || fail "mktemp failed"
at_exit "rm -rf '$tmp'"
raw=$OUT/raw.txt
: >"$raw"

# Append "run variant figure value" for each figure line of a program's output.
record() { # run variant program args...
    _run=$1 _var=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" || fail "$* failed: $(head -n 3 "$tmp/err")"
    awk -v r="$_run" -v v="$_var" '$1 ~ /^trace\./ { print r, v, $1, $2 }' "$tmp/out" >>"$raw"
}

# A session recording every libloop event (channel loop) and loop_bench:tick
# (channel min, same sizes and contexts). Events of each channel discarded
# so far: discarded CH.
session_create() {
    lttng create tb --output="$tmp/trace" >/dev/null || fail "lttng create failed"
    for ch in loop min; do
        lttng enable-channel -u -s tb --subbuf-size=8M --num-subbuf=16 "$ch" >/dev/null ||
            fail "lttng enable-channel $ch failed"
        lttng add-context -u -s tb -c "$ch" -t vpid -t vtid -t procname >/dev/null ||
            fail "lttng add-context failed"
    done
    lttng enable-event -u -s tb -c loop 'libloop:*' >/dev/null || fail "lttng enable-event failed"
    lttng enable-event -u -s tb -c min 'loop_bench:*' >/dev/null || fail "lttng enable-event failed"
    lttng start tb >/dev/null || fail "lttng start failed"
}
discarded() {
    lttng list tb -c "$1" 2>/dev/null | sed -n 's/^ *Discarded events: *\([0-9]*\).*/\1/p' | head -n 1
}
session_destroy() {
    lttng destroy tb >/dev/null 2>&1
    rm -rf "$tmp/trace"
}
at_exit "lttng destroy tb >/dev/null 2>&1"

traced() { # the environment of a program whose probe is loaded
    LD_PRELOAD=$PROBE LTTNG_UST_REGISTER_TIMEOUT=-1 "$@"
}

note "$runs runs of every variant (interleaved)"
r=1
while [ $r -le "$runs" ]; do
    for w in callsoon timers; do
        case $w in
            callsoon) n=$n_callsoon ;;
            *) n=$n_timers ;;
        esac
        record $r notrace "$OUT/notrace/trace_$w" "$n"
        record $r notloaded "$OUT/trace_$w" "$n"
        record $r loaded traced "$OUT/trace_$w" "$n"
        record $r thread env LD_PRELOAD="$OUT/libtrace_idle_thread.so" "$OUT/trace_$w" "$n"
    done
    record $r disabled "$OUT/trace_minimal" "$n_min"

    session_create
    record $r session traced "$OUT/trace_callsoon" "$n_callsoon_sess"
    record $r session traced "$OUT/trace_timers" "$n_timers"
    record $r session "$OUT/trace_minimal" "$n_min_sess"
    lttng stop tb >/dev/null || fail "lttng stop failed"
    echo "$r session trace.discarded.loop $(discarded loop)" >>"$raw"
    echo "$r session trace.discarded.min $(discarded min)" >>"$raw"
    session_destroy

    S=$OUT/trace_startup
    record $r startup "$S" plain "$n_start" "$OUT/trace_plain"
    record $r startup "$S" libloop "$n_start" "$OUT/trace_hello"
    record $r startup "$S" libloop_notrace "$n_start" "$OUT/notrace/trace_hello"
    record $r startup "$S" liblttng_ust "$n_start" "$OUT/trace_minimal" 0
    record $r startup env LOOP_TRACE=1 "$S" libloop_probe "$n_start" "$OUT/trace_hello"
    note "run $r of $runs done"
    r=$((r + 1))
done

# Events per dispatch / per timer: a small traced run of each workload, all
# events counted by name (callsoon: loop 1 is the poll variant, loop 2 nopoll).
session_create
traced "$OUT/trace_callsoon" $n_count >/dev/null || fail "trace_callsoon failed under a session"
traced "$OUT/trace_timers" $n_count >/dev/null || fail "trace_timers failed under a session"
lttng stop tb >/dev/null || fail "lttng stop failed"
babeltrace2 "$tmp/trace" 2>/dev/null >"$tmp/count.txt" || fail "babeltrace2 cannot read the counting trace"
session_destroy
awk -v n="$n_count" '
    / libloop:/ {
        match($0, /procname = "[^"]*"/); p = substr($0, RSTART + 12, RLENGTH - 13)
        match($0, /libloop:[a-z_]*/); ev = substr($0, RSTART + 8, RLENGTH - 8)
        match($0, /loop_id = [0-9]+/); l = substr($0, RSTART + 10, RLENGTH - 10)
        w = p == "trace_timers" ? "timers" : (l == 1 ? "callsoon_poll" : "callsoon_nopoll")
        c[w " " ev]++; t[w]++
    }
    END {
        for (k in c) { split(k, a, " "); printf "count %s %s %.3f\n", a[1], a[2], c[k] / n }
        for (w in t) printf "count %s total %.3f\n", w, t[w] / n
    }' "$tmp/count.txt" | sort >"$OUT/counts.txt"

    # What the report needs to describe this run (--report-only reads it).
    cat >"$OUT/params.sh" <<PARAMS
runs=$runs
n_callsoon=$n_callsoon n_callsoon_sess=$n_callsoon_sess n_timers=$n_timers
n_min=$n_min n_min_sess=$n_min_sess n_start=$n_start
run_args='$args_for_isolate'
run_date='$(date -u '+%Y-%m-%d %H:%M UTC')'
run_load='$(cut -d' ' -f1-3 /proc/loadavg)'
run_rev='$(git rev-parse --short HEAD 2>/dev/null)'
PARAMS
    . "$OUT/params.sh"
else
    [ -s "$OUT/raw.txt" ] && [ -s "$OUT/counts.txt" ] && [ -s "$OUT/params.sh" ] ||
        fail "no figures in $OUT: run without --report-only first"
    . "$OUT/params.sh"
    raw=$OUT/raw.txt
fi

# ---- report ----------------------------------------------------------------------

report=$OUT/report.md
# shellcheck disable=SC2154 # run_* come from $OUT/params.sh
awk -v runs="$runs" -v cmd="bench/trace_overhead.sh${run_args:+ $run_args}" \
    -v date="$run_date" -v uname="$(uname -srm)" -v nproc="$(nproc)" \
    -v cpu="$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
    -v load="$run_load" -v rev="$run_rev" \
    -v lttng="$(lttng --version | sed -n 's/^lttng (LTTng Trace Control) \([^ ]*\).*/\1/p')" \
    -v ncs="$n_callsoon" -v ncss="$n_callsoon_sess" -v nt="$n_timers" -v nmin="$n_min" \
    -v nmins="$n_min_sess" -v nstart="$n_start" '
    function median(key,   n, i, j, tmp, a) {
        n = cnt[key]
        if (n == 0) return ""
        for (i = 1; i <= n; i++) a[i] = val[key, i]
        for (i = 2; i <= n; i++) { tmp = a[i]; for (j = i - 1; j >= 1 && a[j] > tmp; j--) a[j + 1] = a[j]; a[j + 1] = tmp }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function amedian(arr, n,   i, j, tmp) {
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { tmp = arr[i]; for (j = i - 1; j >= 1 && arr[j] > tmp; j--) arr[j + 1] = arr[j]; arr[j + 1] = tmp }
        return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
    }
    function minv(key,   i, m) { m = val[key, 1]; for (i = 2; i <= cnt[key]; i++) if (val[key, i] < m) m = val[key, i]; return m }
    function maxv(key,   i, m) { m = val[key, 1]; for (i = 2; i <= cnt[key]; i++) if (val[key, i] > m) m = val[key, i]; return m }
    # The median over the runs of the per-run ratio a/b (paired, same run).
    function pratio(va, vb, fig,   i, k, n, tmp, j, a) {
        n = 0
        for (i = 1; i <= runs; i++) if ((i, va, fig) in byrun && (i, vb, fig) in byrun && byrun[i, vb, fig] > 0) a[++n] = byrun[i, va, fig] / byrun[i, vb, fig]
        for (i = 2; i <= n; i++) { tmp = a[i]; for (j = i - 1; j >= 1 && a[j] > tmp; j--) a[j + 1] = a[j]; a[j + 1] = tmp }
        if (n == 0) return ""
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function f(x) { return x == "" ? "—" : (x >= 100 ? sprintf("%.0f", x) : (x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x))) }
    function pct(x) { return x == "" ? "—" : sprintf("%+.1f%%", (x - 1) * 100) }
    $1 == "count" { evc[$2, $3] = $4; next }
    {
        key = $2 " " $3
        val[key, ++cnt[key]] = $4
        byrun[$1, $2, $3] = $4
    }
    END {
        print "- command: `" cmd "`"
        print "- date: " date "; libloop at `" rev "`; LTTng-tools/UST " lttng
        print "- machine: " uname ", " nproc " CPUs (" cpu "), load average at the end: " load
        print "- runs: " runs " of every variant, interleaved; figures are medians over the runs (min–max in brackets)"
        print "- counts: call-soon " ncs " dispatches per variant (" ncss " under a session), timers " nt ", minimal event " nmin " calls (" nmins " under a session), start-up " nstart " spawns per run"
        print ""
        print "### Workloads"
        print ""
        print "| figure | no tracepoints (`-DLOOP_NO_TRACE`) | probe not loaded | probe loaded, no session | session, every libloop event |"
        print "|---|---:|---:|---:|---:|"
        nf = split("trace.callsoon_poll.ns_per_dispatch trace.callsoon_nopoll.ns_per_dispatch trace.timers.ns_per_timer", figs, " ")
        split("call-soon, poll per dispatch (ns/dispatch)|call-soon, no poll between (ns/dispatch)|timers: CPU per timer (ns)", labels, "|")
        for (i = 1; i <= nf; i++) {
            line = "| " labels[i]
            split("notrace notloaded loaded session", vs, " ")
            for (j = 1; j <= 4; j++) {
                k = vs[j] " " figs[i]
                line = line " | " f(median(k)) " (" f(minv(k)) "–" f(maxv(k)) ")"
            }
            print line " |"
        }
        print ""
        print "| figure | not loaded vs no tracepoints | the same, fastest runs | loaded, no session vs no tracepoints | control: not loaded + one idle thread vs no tracepoints | session vs not loaded |"
        print "|---|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nf; i++) {
            print "| " labels[i] " | " pct(pratio("notloaded", "notrace", figs[i])) " | " pct(minv("notloaded " figs[i]) / minv("notrace " figs[i])) " | " pct(pratio("loaded", "notrace", figs[i])) " | " pct(pratio("thread", "notrace", figs[i])) " | ×" f(median("session " figs[i]) / median("notloaded " figs[i])) " |"
        }
        print ""
        print "Percentages: the median over the runs of each run'"'"'s ratio (the variants of one run ran back to back); fastest runs: the minimum of one variant over the runs ÷ the minimum of the other."
        print "Control: the normal build, probe not loaded, with bench/trace_idle_thread.c preloaded (one thread blocked in pause(): liblttng-ust starts two)."
        print ""
        print "### Cost per emitted event"
        print ""
        print "| | events per unit | ns per event | ÷ minimal provider | ns per event, from the fastest runs | ÷ minimal, from the fastest runs |"
        print "|---|---:|---:|---:|---:|---:|"
        split("callsoon_poll callsoon_nopoll timers", ws, " ")
        M = "trace.minimal.ns_per_call"
        bare_min = minv("session " M) - minv("disabled " M)
        for (i = 1; i <= 3; i++) {
            e = evc[ws[i], "total"]
            n1 = 0; n2 = 0
            for (r = 1; r <= runs; r++) {
                if (!((r, "session", figs[i]) in byrun) || !((r, "loaded", figs[i]) in byrun) || e <= 0) continue
                per = (byrun[r, "session", figs[i]] - byrun[r, "loaded", figs[i]]) / e
                pe[++n1] = per
                b = byrun[r, "session", M] - byrun[r, "disabled", M]
                if (b > 0) ra[++n2] = per / b
            }
            per_min = e > 0 ? (minv("session " figs[i]) - minv("loaded " figs[i])) / e : ""
            print "| " labels[i] " | " f(e) " | " f(amedian(pe, n1)) " | ×" sprintf("%.2f", amedian(ra, n2)) " | " f(per_min) " | " (per_min == "" || bare_min <= 0 ? "—" : "×" sprintf("%.2f", per_min / bare_min)) " |"
        }
        for (r = 1; r <= runs; r++) if ((r, "session", M) in byrun) pb[++nb] = byrun[r, "session", M] - byrun[r, "disabled", M]
        print "| minimal provider `loop_bench:tick` (one int64) | 1 | " f(amedian(pb, nb)) " | ×1.00 | " f(bare_min) " | ×1.00 |"
        print ""
        print "ns per event: per run, (session − loaded) ÷ events per unit, then the median over the runs; ÷ minimal: per run, divided by that run'"'"'s minimal-provider cost (session − disabled), then the median. From the fastest runs: the same with the minimum of each variant over the runs (less exposed to the load of the machine)."
        mind = median("disabled " M); mins = median("session " M)
        print "Minimal provider: " f(mins) " ns per call under the session, " f(mind) " ns per call with no session (a disabled call site plus the loop around it); per event: the difference."
        dl = median("session trace.discarded.loop"); dm = median("session trace.discarded.min")
        print "Discarded events per session run (median): libloop channel " dl ", minimal channel " dm "."
        print ""
        print "### Events per unit, by event"
        print ""
        print "| event | call-soon, poll | call-soon, no poll | timers |"
        print "|---|---:|---:|---:|"
        for (k in evc) { split(k, a, SUBSEP); if (a[2] != "total") names[a[2]] = 1 }
        n = 0; for (e in names) order[++n] = e
        for (i = 2; i <= n; i++) { tmp = order[i]; for (j = i - 1; j >= 1 && order[j] > tmp; j--) order[j + 1] = order[j]; order[j + 1] = tmp }
        for (i = 1; i <= n; i++) {
            e = order[i]
            print "| `" e "` | " f(evc["callsoon_poll", e] + 0) " | " f(evc["callsoon_nopoll", e] + 0) " | " f(evc["timers", e] + 0) " |"
        }
        print "| total | " f(evc["callsoon_poll", "total"]) " | " f(evc["callsoon_nopoll", "total"]) " | " f(evc["timers", "total"]) " |"
        print ""
        print "### Start-up (fork + exec + exit + wait)"
        print ""
        print "| program | median (µs) | min (µs) | ÷ plain C (medians) | ÷ plain C (minima) |"
        print "|---|---:|---:|---:|---:|"
        split("plain libloop libloop_notrace liblttng_ust libloop_probe", ps, " ")
        split("plain C (`int main(void) { return 0; }`)|libloop, untraced (libloop.a, loop_new + run + close)|libloop built with -DLOOP_NO_TRACE, same program|linked with liblttng-ust (minimal provider, emits nothing)|libloop with LOOP_TRACE=1 (loads the probe and liblttng-ust; daemon running, no session)", pl, "|")
        base = median("startup trace.startup." ps[1] ".us_median")
        basem = median("startup trace.startup." ps[1] ".us_min")
        for (i = 1; i <= 5; i++) {
            m = median("startup trace.startup." ps[i] ".us_median")
            mm = median("startup trace.startup." ps[i] ".us_min")
            print "| " pl[i] " | " f(m) " | " f(mm) " | ×" sprintf("%.2f", m / base) " | ×" sprintf("%.2f", mm / basem) " |"
        }
        print ""
        print "Each figure: the median over the runs of the median (or min) of " nstart " spawns."
    }' "$OUT/counts.txt" "$raw" >"$report" || fail "the report failed"

cat "$report"
if [ -n "$write" ]; then
    begin='<!-- trace-bench:begin (generated by bench/trace_overhead.sh --write; edit outside the markers) -->'
    end='<!-- trace-bench:end -->'
    if [ -e "$write" ] && grep -q '^<!-- trace-bench:begin' "$write"; then
        awk -v rep="$report" -v begin="$begin" -v end="$end" '
            /^<!-- trace-bench:begin/ { print begin; while ((getline l < rep) > 0) print l; skip = 1; next }
            /^<!-- trace-bench:end/ { skip = 0; print end; next }
            !skip' "$write" >"$write.new" && mv "$write.new" "$write" || fail "cannot write $write"
    else
        { echo "$begin"; cat "$report"; echo "$end"; } >>"$write" || fail "cannot write $write"
    fi
    note "report written into $write"
fi
