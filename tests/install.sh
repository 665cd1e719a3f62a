#!/bin/sh
# install.sh — `make install` as a package would do it, then use it:
#  1. DESTDIR=… PREFIX=/usr/local: exactly the expected files, file by file
#     (tools only in bin/, headers in include/libloop/, share/libloop/ with the
#     schema, the Trace Compass XML and the gdb extension, gdb's auto-load
#     file, man pages that groff reads without a warning, docs); libloop.pc's
#     Cflags point at include/libloop; `make uninstall` removes every file.
#  2. PREFIX=TMP: a program outside the tree builds with
#     `cc app.c $(pkg-config --cflags --libs libloop)` and `#include <loop.h>`
#     against the shared and the static library, runs, links no lttng; gdb
#     auto-loads the extension for libloop.so (info loop-tasks lists its task).
set -eu
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install.sh: FAIL: $*"; exit 1; }

# 1. DESTDIR install, file by file
dest=$tmp/dest
make -s install DESTDIR="$dest" PREFIX=/usr/local BUILD="$BUILD" >/dev/null
{
    for f in loop-analyze loop-replay loop-trace loopctl; do echo "bin/$f"; done
    for f in include/*.h; do echo "include/libloop/${f#include/}"; done
    for f in libloop.a libloop.so libloop.so.0 liblooptp.so pkgconfig/libloop.pc \
             babeltrace2/plugins/babeltrace-plugin-libloop.so; do echo "lib/$f"; done
    echo share/doc/libloop/README.md
    for f in docs/*.md; do echo "share/doc/libloop/${f#docs/}"; done
    echo share/gdb/auto-load/usr/local/lib/libloop.so.0-gdb.py
    echo share/libloop/gdb/libloop_gdb.py
    echo share/libloop/loop-analyze.schema.json
    echo share/libloop/tracecompass/libloop.xml
    for f in loop-analyze loop-replay loop-trace loopctl; do echo "share/man/man1/$f.1"; done
    echo share/man/man7/libloop.7
    # the libloop face of libuv programs (uv/uv.mk): its header, library, pkg-config file
    for f in uv/include/*.h uv/include/uv/*.h; do echo "include/libloop-uv/${f#uv/include/}"; done
    echo lib/libloop-uv.a
    echo lib/pkgconfig/libloop-uv.pc
} | sort > "$tmp/expected"
(cd "$dest/usr/local" && find . -type f -o -type l) | sed 's|^\./||' | sort > "$tmp/got"
if ! diff -u "$tmp/expected" "$tmp/got" > "$tmp/diff"; then
    cat "$tmp/diff"
    fail "the installed files differ from the expected list (- missing, + unexpected)"
fi
[ "$(readlink "$dest/usr/local/lib/libloop.so")" = libloop.so.0 ] || fail "libloop.so is not a link to libloop.so.0"
for f in bin/loop-analyze bin/loop-replay bin/loop-trace bin/loopctl lib/libloop.so.0; do
    [ -x "$dest/usr/local/$f" ] || fail "$f is not executable"
done
grep -qx 'Cflags: -I${includedir}/libloop' "$dest/usr/local/lib/pkgconfig/libloop.pc" ||
    fail "libloop.pc: Cflags do not name include/libloop"
grep -qx 'prefix=/usr/local' "$dest/usr/local/lib/pkgconfig/libloop.pc" || fail "libloop.pc: prefix"
grep -q '"/usr/local/share/libloop", "gdb", "libloop_gdb.py"' \
    "$dest/usr/local/share/gdb/auto-load/usr/local/lib/libloop.so.0-gdb.py" ||
    fail "the gdb auto-load file does not name the installed extension"
for m in "$dest"/usr/local/share/man/man1/*.1 "$dest"/usr/local/share/man/man7/*.7; do
    w=$(LC_ALL=C groff -mdoc -Tutf8 -ww -z "$m" 2>&1)
    [ -z "$w" ] || fail "$(basename "$m"): groff: $w"
    grep -q '^\.Sh DESCRIPTION' "$m" || fail "$(basename "$m") has no DESCRIPTION"
done
"$dest/usr/local/bin/loop-analyze" --help | grep -q 'schema: .*/share/libloop/loop-analyze\.schema\.json' ||
    fail "loop-analyze --help does not name the installed schema"
make -s uninstall DESTDIR="$dest" PREFIX=/usr/local BUILD="$BUILD" >/dev/null
left=$(cd "$dest" && find . -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install.sh: DESTDIR install file by file, uninstall: ok"

# 2. A real prefix: build and run a program against it
prefix=$tmp/prefix
make -s install PREFIX="$prefix" BUILD="$BUILD" >/dev/null
cat > "$tmp/app.c" <<'C'
#include <loop.h>
#include <stdio.h>
static int fired;
static void on_timer(loop_timer_t *t) { fired++; loop_handle_close(&t->handle, NULL); }
static intptr_t sleeper(void *arg) { (void)arg; return loop_sleep(1); }
void app_stop_here(void);
void app_stop_here(void) { __asm__ volatile("" ::: "memory"); }
int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t t;
    loop_timer_init(loop, &t);
    loop_timer_start(&t, on_timer, 1, 0);
    loop_task_t *task = loop_spawn(loop, sleeper, NULL, "sleeper");
    loop_run(loop, LOOP_RUN_ONCE);
    app_stop_here();
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(task, NULL, 0);
    printf("fired %d\n", fired);
    return loop_close(loop) == 0 && fired == 1 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# SANFLAGS: a sanitizer build installs sanitized libraries; link the runtime too
cc ${SANFLAGS:-} -g -o "$tmp/app" "$tmp/app.c" $(pkg-config --cflags --libs libloop)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/app" | grep -q "fired 1" || fail "the shared build did not run"
cc ${SANFLAGS:-} -o "$tmp/app-static" "$tmp/app.c" $(pkg-config --cflags libloop) \
    "$prefix/lib/libloop.a" $(pkg-config --libs --static libloop | sed 's/-lloop//')
"$tmp/app-static" | grep -q "fired 1" || fail "the static build did not run"
if ldd "$tmp/app" | grep -q lttng; then
    fail "an untraced program links liblttng"
fi
if command -v gdb >/dev/null 2>&1 && [ -z "${SANITIZE:-}" ]; then
    LD_LIBRARY_PATH="$prefix/lib" gdb -q -batch -nx \
        -iex "add-auto-load-scripts-directory $prefix/share/gdb/auto-load" \
        -iex "add-auto-load-safe-path $prefix" \
        -ex 'set environment LD_LIBRARY_PATH '"$prefix/lib" \
        -ex 'break app_stop_here' -ex run -ex 'info loop-tasks' "$tmp/app" > "$tmp/gdb.out" 2>&1 || true
    grep -Eq '^ +[0-9]+ sleeper +waiting +sleep' "$tmp/gdb.out" ||
        { cat "$tmp/gdb.out"; fail "gdb did not auto-load the extension for libloop.so"; }
fi
echo "install.sh: ok"
