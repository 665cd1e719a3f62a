#!/bin/sh
# schema_check.sh — one definition of the trace schema.
#
# The provider tracepoints/libloop_tp.h is the schema. This test compiles it
# the way the probe object is compiled (tests/lib/schema_dump.c, with only
# tracepoints/ on the include path: the provider is a leaf) and prints what
# the probe declares: the format version, every event's fields with their
# types in order, and the enumerations. tests/lib/schema_check.py then checks
# the copies against it: the reader's event names, enumeration labels,
# format version and field table (reader/), the tables of
# docs/trace-format.md, and the events and fields tracecompass/libloop.xml
# reads. Any disagreement fails with one line each.
#
# A self-test first feeds the checker a dump with one field renamed: it must
# find the reader, the doc and the XML disagreeing.
#
# No session daemon is needed: the dump only links liblttng-ust (isolated
# like the other LTTng tests, it finds no daemon and goes on at once).
# Run by `make check` (scripts/run-tests) from the repository root.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in cc python3; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
make_tmp loop-schema-test

cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Itracepoints \
    -DLTTNG_UST_COMPAT_API_VERSION=1 -o "$tmp/schema_dump" tests/lib/schema_dump.c \
    -llttng-ust -ldl 2>"$tmp/cc.err" ||
    fail "cannot build tests/lib/schema_dump.c against tracepoints/ alone: $(head -n 3 "$tmp/cc.err")"
LTTNG_UST_REGISTER_TIMEOUT=0 "$tmp/schema_dump" >"$tmp/schema.txt" ||
    fail "schema_dump failed"
[ "$(grep -c '^event ' "$tmp/schema.txt")" -ge 30 ] ||
    fail "the probe declares only $(grep -c '^event ' "$tmp/schema.txt") events"

# The checker must notice a renamed field (reader, doc and XML all read by_id).
sed 's/^field task_cancel by_id /field task_cancel by_idx /' "$tmp/schema.txt" >"$tmp/renamed.txt"
if python3 tests/lib/schema_check.py "$tmp/renamed.txt" >"$tmp/self.out" 2>&1; then
    fail "the checker accepted a dump with task_cancel.by_id renamed"
fi
for where in reader/decode.c docs/trace-format.md tracecompass/libloop.xml; do
    grep -q "$where" "$tmp/self.out" || fail "the checker did not see $where disagree with a renamed field"
done

python3 tests/lib/schema_check.py "$tmp/schema.txt" || fail "the schema's copies disagree with the provider (above)"
