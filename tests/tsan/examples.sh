#!/bin/sh
# The examples under ThreadSanitizer: the echo server serving the fan-out
# client from another process, the fan-out with its own server, the race
# under chaos, the deadlock. Each must behave as documented with no report.
set -eu
BIN=${BUILD:-build}/bin
tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$BIN/fanout" --tasks 200 --deadline-ms 20000
"$BIN/echo_server" --max-conns 100 > "$tmp/port" &
srv=$!
i=0
while ! grep -q port "$tmp/port" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 500 ] || { echo "echo_server did not start"; exit 1; }
    sleep 0.01
done
"$BIN/fanout" --port "$(awk '{print $2}' "$tmp/port")" --tasks 100 --deadline-ms 20000
wait $srv
LOOP_CHAOS=1 "$BIN/race" || [ $? -eq 1 ]
"$BIN/deadlock" || [ $? -eq 3 ]
echo "tsan examples: ok"
