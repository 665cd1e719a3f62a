#!/bin/sh
# replay_echo.sh — the echo server, recorded while real clients drive it over
# TCP, replays to the same dispatch order when the clients drive it again.
#
#  1. Paced clients (a small client built here: one connection at a time,
#     pausing before each send and before each close so that the server's
#     every read first finds nothing and waits): echo_server --max-conns 4 is
#     recorded, then replayed (LOOP_REPLAY, recording again) while the same
#     clients run; the server exits 0 and the two schedules are identical.
#  2. fanout --port --tasks 4 drives the server (four connections at once).
#     Its clients write right after connecting, racing the server's first
#     read, and close right after the echo, racing the server's next read:
#     whether each read found data, EAGAIN or the end of the stream is
#     timing. The schedule holds what each task I/O call found (IO records),
#     and the replay makes each call find the same, so every recording
#     replays to the identical schedule: 10 recordings out of 10.
#  3. The peer sends less than recorded: the paced client sends 3 bytes of
#     its first 8-byte message during the replay, keeping the connection
#     open (the read must not hang: it waits LOOP_REPLAY_WAIT_MS), then
#     again closing it at once. Either way the replay stops with one line
#     "replay diverged at step N" at the step of the recorded 8-byte read,
#     and exit status 3.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
for f in "$R" "$BUILD/bin/echo_server" "$BUILD/bin/fanout"; do
    [ -x "$f" ] || fail "$f is missing: run make first"
done
command -v cc >/dev/null 2>&1 || fail "cc not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-replay-echo.XXXXXX") || fail "mktemp failed"
server=""
cleanup() {
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_REPLAY_DIVERGE

cat >"$tmp/pacer.c" <<'EOF'
/*
 * pacer PORT CONNS PAUSE_MS [SHORT hold|close]: one echo client at a time,
 * pausing around each step. With SHORT, the first connection sends only
 * SHORT bytes of its message, then waits for an echo that cannot be whole
 * (hold) or closes at once (close), and the client exits 1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]), shortlen = argc == 6 ? atoi(argv[4]) : -1;
    long pause = atol(argv[3]);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        char msg[32], buf[32];
        int len = snprintf(msg, sizeof(msg), "hello %d\n", i), got = 0;
        pause_ms(pause); /* the server waits in accept */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            perror("pacer: connect");
            return 1;
        }
        pause_ms(pause); /* the server's read finds nothing, and waits */
        if (shortlen >= 0) {
            if (write(fd, msg, (size_t)shortlen) != shortlen) {
                perror("pacer: write");
            }
            if (strcmp(argv[5], "hold") == 0) {
                ssize_t r = read(fd, buf, sizeof(buf)); /* until the server goes away */
                (void)r;
            }
            close(fd);
            return 1;
        }
        if (write(fd, msg, (size_t)len) != len) {
            perror("pacer: write");
            return 1;
        }
        while (got < len) {
            ssize_t r = read(fd, buf + got, sizeof(buf) - (size_t)got);
            if (r <= 0) {
                fprintf(stderr, "pacer: connection %d: %s\n", i, r ? "read error" : "EOF");
                return 1;
            }
            got += (int)r;
        }
        if (memcmp(buf, msg, (size_t)len) != 0) {
            fprintf(stderr, "pacer: connection %d: wrong echo\n", i);
            return 1;
        }
        pause_ms(pause); /* the server's next read finds nothing, and waits */
        close(fd);
    }
    return 0;
}
EOF
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$tmp/pacer" "$tmp/pacer.c" || fail "cannot build the client"

# serve TAG CONNS ENV...: start echo_server with ENV in the background; sets $server, $port
serve() {
    tag=$1
    conns=$2
    shift 2
    rm -f "$tmp/$tag.port" # a stale port line would send the client elsewhere
    env "$@" "$BUILD/bin/echo_server" --port 0 --max-conns "$conns" >"$tmp/$tag.port" 2>"$tmp/$tag.err" &
    server=$!
    i=0
    until grep -q '^port [0-9]' "$tmp/$tag.port" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 500 ] || fail "$tag: echo_server did not print its port within 5 s: $(cat "$tmp/$tag.err")"
        kill -0 "$server" 2>/dev/null || fail "$tag: echo_server exited: $(cat "$tmp/$tag.err")"
        sleep 0.01
    done
    port=$(sed -n 's/^port //p' "$tmp/$tag.port")
    case $port in
        '' | *[!0-9]*) fail "$tag: bad port line: $(cat "$tmp/$tag.port")" ;;
    esac
}

# finish: wait (20 s at most) for the server; its status
finish() {
    i=0
    while kill -0 "$server" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 2000 ] || fail "echo_server $server did not exit within 20 s after its clients"
        sleep 0.01
    done
    wait "$server"
    st=$?
    server=""
    return $st
}

# 1. paced clients
serve rec 4 LOOP_RECORD="$tmp/paced.sch"
"$tmp/pacer" "$port" 4 30 || fail "the clients failed against the recorded server"
finish rec || fail "the recorded server exited $?: $(cat "$tmp/rec.err")"
serve rep 4 LOOP_REPLAY="$tmp/paced.sch" LOOP_RECORD="$tmp/paced-again.sch" LOOP_REPLAY_WAIT_MS=5000
"$tmp/pacer" "$port" 4 30 || fail "the clients failed against the replayed server: $(cat "$tmp/rep.err")"
finish rep || fail "the replayed server exited $?: $(cat "$tmp/rep.err")"
[ -s "$tmp/rep.err" ] && fail "the replay printed: $(cat "$tmp/rep.err")"
"$R" diff "$tmp/paced.sch" "$tmp/paced-again.sch" >"$tmp/diff" 2>&1 ||
    fail "the replay ran another schedule: $(cat "$tmp/diff")"
ios=$("$R" dump "$tmp/paced.sch" | grep -c 'dispatch io')
[ "$ios" -ge 12 ] || fail "only $ios I/O dispatches in the recording: $("$R" dump "$tmp/paced.sch")"
echo "$me: paced clients: $(cat "$tmp/diff") ($ios I/O dispatches)"

# 2. fanout drives it with four connections at once: every recording replays
runs=10
for try in $(seq 1 $runs); do
    serve frec 4 LOOP_RECORD="$tmp/fanout.sch"
    "$BUILD/bin/fanout" --port "$port" --tasks 4 >"$tmp/fanout.out" 2>&1 ||
        fail "fanout failed against the recorded server: $(cat "$tmp/fanout.out")"
    finish frec || fail "the recorded server exited $?: $(cat "$tmp/frec.err")"
    serve frep 4 LOOP_REPLAY="$tmp/fanout.sch" LOOP_RECORD="$tmp/fanout-again.sch" \
        LOOP_REPLAY_WAIT_MS=5000
    "$BUILD/bin/fanout" --port "$port" --tasks 4 --deadline-ms 10000 >"$tmp/fanout.out" 2>&1 ||
        fail "recording $try: fanout failed against the replayed server: $(cat "$tmp/fanout.out")"
    finish frep || fail "recording $try: the replayed server exited $?: $(cat "$tmp/frep.err")"
    [ -s "$tmp/frep.err" ] && fail "recording $try: the replay printed: $(cat "$tmp/frep.err")"
    "$R" diff "$tmp/fanout.sch" "$tmp/fanout-again.sch" >"$tmp/diff" 2>&1 ||
        fail "recording $try replayed to another schedule: $(cat "$tmp/diff")"
    "$R" info "$tmp/fanout.sch" >"$tmp/info" 2>&1 || fail "info: $(cat "$tmp/info")"
    grep -q '^task I/O by op: read [1-9][0-9]* .*accept [1-9]' "$tmp/info" ||
        fail "recording $try: no task I/O records: $(cat "$tmp/info")"
done
echo "$me: fanout-driven, 4 connections: $runs of $runs recordings replayed identically (last: $(cat "$tmp/diff"))"

# 3. the peer sends less than recorded: a divergence at the 8-byte read, no hang
step=$("$R" dump "$tmp/paced.sch" | awk '$2 == "io" && $3 == "read" && $5 == "result=8" { print $1; exit }')
[ -n "$step" ] || fail "no 8-byte read in the paced recording: $("$R" dump "$tmp/paced.sch")"
for how in hold close; do
    serve short 4 LOOP_REPLAY="$tmp/paced.sch" LOOP_REPLAY_WAIT_MS=500
    "$tmp/pacer" "$port" 1 30 3 $how >/dev/null 2>&1 && fail "$how: the short client passed"
    finish && fail "$how: the replay with a short peer exited 0"
    rc=$?
    [ $rc = 3 ] || fail "$how: the replay with a short peer exited $rc, not 3: $(cat "$tmp/short.err")"
    [ "$(wc -l <"$tmp/short.err")" = 1 ] || fail "$how: not one line: $(cat "$tmp/short.err")"
    case $how in
        hold) then="nothing within LOOP_REPLAY_WAIT_MS" ;;
        close) then="end of file (the peer closed)" ;;
    esac
    grep -q "replay diverged at step $step: expected a read by kind=task id=[0-9]* name=\"conn\" .* that got 8 bytes, the program got 3 bytes from its read, then $then instead" \
        "$tmp/short.err" || fail "$how: want step $step: $(cat "$tmp/short.err")"
    echo "$me: short peer ($how): $(cat "$tmp/short.err")"
done
echo "$me: ok"
