#!/bin/sh
# load_echo.sh — the echo server under load, traced, and the analyzer's
# counts against the load generator's.
#
# build/bin/echo_server serves build/bin/loadgen (tools/loadgen.c): LOAD_CONNS
# concurrent connections (default 1,000) on loopback carrying LOAD_MESSAGES
# messages in all (default 200,000 in CI; LOAD_MESSAGES=1000000 for the full
# run, see docs/reliability.md for both figures), each echoed and checked byte
# for byte. Both processes run under `loop-trace --blocking` (a blocking
# channel with generous buffers: no event may be discarded). Then:
#  - loadgen exits 0: every message came back intact;
#  - loop-trace reports no discarded event and no lost packet, and
#    `loop-analyze summary --json` agrees (discarded_events 0, no gap);
#  - echo_server's loop spawned connections + 1 tasks (one "conn" task per
#    connection and its acceptor), all done, none failed or cancelled, no
#    error; loadgen's loop spawned one task per connection, all done;
#  - the exact message count: each "client" task of loadgen takes one step
#    per message plus one (it waits for each echo with loop_wait_fd, which
#    always suspends once; see tools/loadgen.c), so the step count of the
#    "client" tasks in `loop-analyze profile --json` must equal
#    messages + connections + the extra waits loadgen counted (echoes read in
#    pieces, full socket buffers; normally 0). One lost event and it differs.
#  - the server's side, exact, from its task I/O (task_io events, in
#    `loop-analyze profile --json`): the "conn" tasks read and wrote exactly
#    messages x LOAD_SIZE bytes (default 64, passed to loadgen --size), read
#    one end of file each, and no read or write failed; the "acceptor"
#    accepted exactly `connections` connections; and the "conn" steps are
#    exactly connections + the attempts that found nothing (EAGAIN): a
#    task suspends once per such attempt, never otherwise. (The old bound,
#    connections <= steps <= messages + 2 x connections, is still checked.)
#  - loadgen's "client" tasks read with read(2) and write with write(2)
#    (tools/loadgen.c; only the rest of a message after a full socket buffer
#    goes through loop_write): the trace shows no loop_read of theirs, and
#    no loop_write when loadgen counted no write wait. Their bytes are
#    loadgen's own count (echoed, each echo checked byte for byte).
# The same again with chaos scheduling (LOOP_CHAOS=LOAD_CHAOS_SEED, default
# 1234, in both processes).
# Under SANITIZE builds the default is 20,000 messages. Uses a private
# lttng-sessiond (tests/lib/sessiond.sh). BUILD is the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"
me=load_echo

for tool in babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in bin/echo_server bin/loadgen bin/loop-trace bin/loop-analyze lib/liblooptp.so; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
conns=${LOAD_CONNS:-1000}
if [ -n "${SANITIZE:-}" ]; then
    messages=${LOAD_MESSAGES:-20000}
else
    messages=${LOAD_MESSAGES:-200000}
fi
seed=${LOAD_CHAOS_SEED:-1234}
size=${LOAD_SIZE:-64}
# loop-trace preloads liblttng-ust-fork.so before a program it runs through a
# shell, so an ASan runtime cannot come first: let ASan accept that.
case ",${SANITIZE:-}," in
    *,address,*) ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
        export ASAN_OPTIONS ;;
esac

# Each process holds a descriptor per connection.
need=$((conns + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null ||
        fail "cannot raise the descriptor limit (ulimit -n) to $need for $conns connections"
fi

make_tmp loop-load

# The program loop-trace runs: the server in the background, the generator,
# then the server's own exit (it stops after --max-conns connections).
cat >"$tmp/drive.sh" <<'EOF'
# drive.sh BUILD DIR CONNS MESSAGES SIZE [SEED]
B=$1 D=$2 C=$3 M=$4 Z=$5 S=${6:-}
if [ -n "$S" ]; then LOOP_CHAOS=$S; export LOOP_CHAOS; fi
"$B/bin/echo_server" --max-conns "$C" --idle-ms 60000 >"$D/server.out" 2>"$D/server.err" &
srv=$!
i=0
until grep -q '^port ' "$D/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $srv 2>/dev/null; then echo "echo_server did not start" >&2; kill $srv 2>/dev/null; exit 1; fi
    sleep 0.05
done
if [ -n "$S" ]; then LOOP_CHAOS=$((S + 1)); fi
"$B/bin/loadgen" --port "$(sed -n 's/^port //p' "$D/server.out")" --conns "$C" --messages "$M" --size "$Z" \
    --timeout-ms 60000 >"$D/loadgen.out" 2>"$D/loadgen.err"
lg=$?
wait $srv
sv=$?
[ $lg = 0 ] && [ $sv = 0 ]
EOF

# json_proc FILE PROCNAME KEY: the first "KEY": value inside that process's entry.
json_proc() {
    awk -v p="\"$2\"," -v k="\"$3\":" '
        $1 == "\"procname\":" { cur = $2 }
        cur == p && $1 == k { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}
# json_top FILE KEY: the first "KEY": value anywhere.
json_top() {
    awk -v k="\"$2\":" '$1 == k { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}
# task_steps FILE NAME: step count of the tasks named NAME in profile --json.
task_steps() {
    awk -v n="\"$2\"," '
        /^  "tasks": \[/ { intasks = 1 }
        intasks && $1 == "\"name\":" { name = $2 }
        intasks && name == n && $1 == "\"step\":" { instep = 1 }
        instep && $1 == "\"count\":" { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}
# task_io FILE NAME OP KEY: from the "io" object of the tasks named NAME in
# profile --json, KEY of OP (read, write, accept, connect), or KEY of io
# itself when OP is "-" (bytes_read, bytes_written, eof). Nothing when the
# trace has no task I/O for them (null).
task_io() {
    awk -v n="\"$2\"," -v op="\"$3\":" -v k="$4" '
        /^  "tasks": \[/ { intasks = 1 }
        intasks && /^      "name": / { name = $2; io = 0; o = "" }
        intasks && name == n && /^      "io": \{/ { io = 1 }
        io && /^        "[a-z]*": \{/ { o = $1 }
        io && op == "\"-\":" && $0 ~ "^        \"" k "\": " { v = $2; sub(/,$/, "", v); print v; exit }
        io && o == op && $0 ~ "^          \"" k "\": " { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}
# field LINE KEY: KEY=value from loadgen's result line.
field() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# run NAME [SEED]
run() {
    name=$1
    d=$tmp/$name
    mkdir -p "$d"
    t0=$(date +%s)
    "$BUILD/bin/loop-trace" --blocking --subbuf-size 4M --num-subbuf 16 -o "$d/trace" \
        -- sh "$tmp/drive.sh" "$BUILD" "$d" "$conns" "$messages" "$size" "${2:-}" 2>"$d/loop-trace.err"
    st=$?
    t1=$(date +%s)
    [ $st = 0 ] || fail "$name: the traced run failed ($st): $(cat "$d/loop-trace.err" "$d/server.err" \
        "$d/loadgen.err" 2>/dev/null | head -n 5)"
    result=$(tail -n 1 "$d/loadgen.out")
    [ "$(field "$result" echoed)" = "$messages" ] && [ "$(field "$result" errors)" = 0 ] ||
        fail "$name: $result"
    grep -q 'discarded\|lost' "$d/loop-trace.err" && fail "$name: $(grep 'discarded\|lost' "$d/loop-trace.err")"

    "$BUILD/bin/loop-analyze" summary --json "$d/trace" >"$d/summary.json" 2>"$d/analyze.err" ||
        fail "$name: loop-analyze summary: $(head -n 3 "$d/analyze.err")"
    "$BUILD/bin/loop-analyze" profile --json "$d/trace" >"$d/profile.json" 2>>"$d/analyze.err" ||
        fail "$name: loop-analyze profile: $(head -n 3 "$d/analyze.err")"
    t2=$(date +%s)
    events=$(json_top "$d/summary.json" events)
    [ "$(json_top "$d/summary.json" discarded_events)" = 0 ] &&
        [ "$(json_top "$d/summary.json" discarded_packets)" = 0 ] ||
        fail "$name: the analyzer saw discarded events or packets"
    for p in echo_server loadgen; do
        [ "$(json_proc "$d/summary.json" $p gap)" = false ] || fail "$name: $p: a gap in its events"
        [ "$(json_proc "$d/summary.json" $p errors)" = 0 ] || fail "$name: $p: errors reported"
        [ "$(json_proc "$d/summary.json" $p closed)" = true ] || fail "$name: $p: loop not closed"
        for k in cancelled failed alive; do
            v=$(json_proc "$d/summary.json" $p $k)
            [ "$v" = 0 ] || fail "$name: $p: $v tasks $k"
        done
    done
    policy=fifo
    [ -n "${2:-}" ] && policy=chaos
    for p in echo_server loadgen; do
        v=$(json_proc "$d/summary.json" $p policy)
        [ "$v" = "\"$policy\"" ] || fail "$name: $p ran with policy $v, want $policy"
    done
    want=$((conns + 1))
    for k in spawned done; do
        v=$(json_proc "$d/summary.json" echo_server $k)
        [ "$v" = "$want" ] || fail "$name: echo_server: $v tasks $k, want $want (one conn per connection + the acceptor)"
        v=$(json_proc "$d/summary.json" loadgen $k)
        [ "$v" = "$conns" ] || fail "$name: loadgen: $v tasks $k, want $conns"
    done
    extra=$(($(field "$result" partial_reads) + $(field "$result" write_waits)))
    want=$((messages + conns + extra))
    client=$(task_steps "$d/profile.json" client)
    [ "$client" = "$want" ] ||
        fail "$name: the client tasks took $client steps in the trace, loadgen counted $want" \
            "($messages messages + $conns connections + $extra extra waits)"
    conn=$(task_steps "$d/profile.json" conn)
    [ "${conn:-0}" -ge "$conns" ] && [ "$conn" -le $((messages + 2 * conns)) ] ||
        fail "$name: the conn tasks took $conn steps: not within [$conns, $((messages + 2 * conns))]"
    # The server's side, exact, from its task I/O (task_io): the "conn" tasks
    # read and wrote every byte loadgen sent, each read its end of file once,
    # nothing failed; the acceptor accepted every connection.
    bytes=$((messages * size))
    for k in bytes_read bytes_written; do
        v=$(task_io "$d/profile.json" conn - $k)
        [ "$v" = "$bytes" ] ||
            fail "$name: the conn tasks' $k is ${v:-absent}, loadgen sent $bytes ($messages x $size bytes)"
    done
    v=$(task_io "$d/profile.json" conn - eof)
    [ "$v" = "$conns" ] || fail "$name: the conn tasks read ${v:-no} ends of file, want $conns"
    for op in read write; do
        v=$(task_io "$d/profile.json" conn $op failed)
        [ "$v" = 0 ] || fail "$name: ${v:-?} conn ${op}s failed"
    done
    v=$(task_io "$d/profile.json" acceptor accept ok)
    [ "$v" = "$conns" ] || fail "$name: the acceptor accepted ${v:-?} connections, want $conns"
    # and its steps: a conn task suspends exactly once per attempt that found
    # nothing (EAGAIN: it waits for the fd), after its first step.
    again=$(($(task_io "$d/profile.json" conn read again) + $(task_io "$d/profile.json" conn write again)))
    [ "$conn" = $((conns + again)) ] ||
        fail "$name: the conn tasks took $conn steps, want $conns connections + $again attempts that found nothing"
    # loadgen's clients read and write with read(2)/write(2) (only the rest of
    # a message after a full socket buffer goes through loop_write): no task
    # I/O of theirs is traced but those rests.
    v=$(task_io "$d/profile.json" client read calls)
    [ "$v" = 0 ] || fail "$name: the client tasks made ${v:-?} loop_read calls, loadgen makes none"
    v=$(task_io "$d/profile.json" client write calls)
    [ "$(field "$result" write_waits)" != 0 ] || [ "$v" = 0 ] ||
        fail "$name: the client tasks made ${v:-?} loop_write calls without a write wait"
    echo "$me: $name: $conns connections, $messages messages echoed" \
        "($(field "$result" rate) msg/s traced, run $((t1 - t0)) s, analysis $((t2 - t1)) s);" \
        "$events events, 0 discarded; analyzer: $((conns + 1)) server tasks, $conns client tasks," \
        "$client client steps = messages + connections + $extra; $conn server conn steps" \
        "= connections + $again EAGAIN; server read and wrote $bytes bytes each way, accepted $conns"
}

sessiond_start
run fifo
run chaos "$seed"
echo "$me: ok"
