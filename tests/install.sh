#!/bin/sh
# make install into a temporary prefix, then build and run a program outside
# the tree with `cc app.c $(pkg-config --cflags --libs libloop)`, against the
# shared library and against the static one.
set -eu
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s install PREFIX="$tmp/prefix" BUILD="$BUILD" >/dev/null
for f in include/loop.h lib/libloop.a lib/libloop.so lib/pkgconfig/libloop.pc bin/loop-analyze \
         bin/loop-replay bin/loopctl bin/loop-trace; do
    [ -e "$tmp/prefix/$f" ] || { echo "install.sh: FAIL: $f not installed"; exit 1; }
done
cat > "$tmp/app.c" <<'C'
#include <loop.h>
#include <stdio.h>
static int fired;
static void on_timer(loop_timer_t *t) { fired++; loop_handle_close(&t->handle, NULL); }
int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t t;
    loop_timer_init(loop, &t);
    loop_timer_start(&t, on_timer, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("fired %d\n", fired);
    return loop_close(loop) == 0 && fired == 1 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# SANFLAGS: a sanitizer build installs sanitized libraries; link the runtime too
cc ${SANFLAGS:-} -o "$tmp/app" "$tmp/app.c" $(pkg-config --cflags --libs libloop)
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/app" | grep -q "fired 1"
cc ${SANFLAGS:-} -o "$tmp/app-static" "$tmp/app.c" $(pkg-config --cflags libloop) \
    "$tmp/prefix/lib/libloop.a" $(pkg-config --libs --static libloop | sed 's/-lloop//')
"$tmp/app-static" | grep -q "fired 1"
if ldd "$tmp/app" | grep -q lttng; then
    echo "install.sh: FAIL: an untraced program links liblttng"
    exit 1
fi
echo "install.sh: ok"
