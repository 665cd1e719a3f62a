/*
 * symbolize.c — resolve the frames of a stall backtrace to function and
 * source line, the way `babeltrace2 --debug-info` would.
 *
 * The watchdog records glibc backtrace_symbols() text: "#3 /path/prog(+0x871d)
 * [0x55c0ea01c71d]". A static function has no symbol there; its offset in
 * the object still names it. When the object is still on disk, addr2line
 * (binutils) turns the offset into "spin_ms at stall.c:17". No shell is
 * involved: addr2line is spawned with an argument vector. A binary rebuilt
 * since the trace gives wrong answers; --no-symbolize turns this off.
 *
 * Return addresses are looked up one byte back (the call, not the next
 * line or an inlined function after it); the signal frame and the
 * interrupted pc after it as they are. addr2line -i names the functions
 * inlined at an address with their callers. A program started by a
 * relative path (./prog) is found from the current directory.
 */
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* One frame of backtrace_symbols(): "[#N ]PATH([SYM]+0xOFF) [0xADDR]". */
struct frame {
    char path[512];
    char sym[256]; /* "" for "(+0xOFF)" */
    uint64_t off;  /* from SYM, or from the object's base when SYM is "" */
    uint64_t addr; /* the runtime address, 0 if absent */
};

static int parse_frame(const char *line, size_t len, struct frame *f)
{
    const char *p = line, *end = line + len, *lp, *plus, *rp, *lb;
    char num[32];

    memset(f, 0, sizeof(*f));
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    if (p < end && *p == '#') {
        while (p < end && *p != ' ') {
            p++;
        }
        while (p < end && *p == ' ') {
            p++;
        }
    }
    lp = memchr(p, '(', (size_t)(end - p));
    if (lp == NULL || lp == p || (size_t)(lp - p) >= sizeof f->path) {
        return 0;
    }
    rp = memchr(lp, ')', (size_t)(end - lp));
    plus = rp != NULL ? memchr(lp, '+', (size_t)(rp - lp)) : NULL;
    if (rp == NULL || plus == NULL || (size_t)(plus - lp - 1) >= sizeof f->sym ||
        (size_t)(rp - plus - 1) >= sizeof num) {
        return 0;
    }
    memcpy(f->path, p, (size_t)(lp - p));
    memcpy(f->sym, lp + 1, (size_t)(plus - lp - 1));
    memcpy(num, plus + 1, (size_t)(rp - plus - 1));
    num[rp - plus - 1] = '\0';
    f->off = strtoull(num, NULL, 16);
    lb = memchr(rp, '[', (size_t)(end - rp));
    if (lb != NULL && (size_t)(end - lb) < sizeof num) {
        memcpy(num, lb + 1, (size_t)(end - lb - 1));
        num[end - lb - 1] = '\0';
        f->addr = strtoull(num, NULL, 16);
    }
    /* an absolute path, or one relative to the program's cwd ("./prog", "bin/prog") */
    return f->path[0] == '/' || strchr(f->path, '/') != NULL;
}

/*
 * The object to read for path: itself when absolute; a relative one (a
 * program started as ./prog) resolved against the current directory, which
 * must then be the program's (run loop-analyze from there). 0 or -1.
 */
static int object_path(const char *path, char *out, size_t len)
{
    char buf[4096];

    if (path[0] == '/') {
        return snprintf(out, len, "%s", path) < (int)len ? 0 : -1;
    }
    if (realpath(path, buf) == NULL) {
        return -1;
    }
    return snprintf(out, len, "%s", buf) < (int)len ? 0 : -1;
}

/* Append s to out (size len, *o used), truncating. */
static void append(char *out, size_t len, size_t *o, const char *s)
{
    size_t n = strlen(s);

    if (*o + 1 >= len) {
        return;
    }
    if (n > len - 1 - *o) {
        n = len - 1 - *o;
    }
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
}

/* "file:line (discriminator N)" → "file:line"; "??:0" / "??:?" → "" */
static void clean_loc(char *loc)
{
    char *sp = strchr(loc, ' ');

    if (sp != NULL) {
        *sp = '\0';
    }
    if (strncmp(loc, "??", 2) == 0) {
        loc[0] = '\0';
    }
}

/*
 * addr2line -f -C -i -e path off → "func at file:line", or "func" without a
 * line, and for code inlined there its callers: "parse at p.c:9 (inlined
 * into on_tick at p.c:30)". *innermost gets the first part alone (the
 * function the address is in). 0 when resolved.
 */
static int addr2line(const char *opath, uint64_t offset, uint64_t not_after_ns, char *out, size_t len,
                     char *innermost, size_t ilen)
{
    char off[32], path[4096];
    char *argv[] = {"addr2line", "-f", "-C", "-i", "-e", path, off, NULL};
    posix_spawn_file_actions_t fa;
    char buf[4096];
    int fds[2], status, k;
    size_t n = 0, o = 0;
    ssize_t got;
    pid_t pid;
    char *p, *func, *loc;
    struct stat st;

    if (object_path(opath, path, sizeof path) < 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        return -1;
    }
    /* rebuilt since the trace: its offsets mean something else now */
    if (not_after_ns != 0 &&
        (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + (uint64_t)st.st_mtim.tv_nsec > not_after_ns) {
        return -1;
    }
    snprintf(off, sizeof off, "0x%llx", (unsigned long long)offset);
    if (pipe(fds) < 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "addr2line", &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    while (n + 1 < sizeof buf && (got = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0) {
        n += (size_t)got;
    }
    buf[n] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    /* pairs of lines: function, location; the innermost first, then who inlined it */
    out[0] = '\0';
    for (p = buf, k = 0; *p != '\0'; k++) {
        func = p;
        p = strchr(p, '\n');
        if (p == NULL) {
            break;
        }
        *p++ = '\0';
        loc = p;
        p = strchr(p, '\n');
        if (p != NULL) {
            *p++ = '\0';
        } else {
            p = loc + strlen(loc);
        }
        if (func[0] == '\0' || strcmp(func, "??") == 0) {
            if (k == 0) {
                return -1;
            }
            break;
        }
        clean_loc(loc);
        if (k == 0) {
            size_t in = 0;
            innermost[0] = '\0';
            append(innermost, ilen, &in, func);
            append(innermost, ilen, &in, loc[0] ? " at " : "");
            append(innermost, ilen, &in, loc);
            append(out, len, &o, innermost);
        } else {
            append(out, len, &o, k == 1 ? " (inlined into " : ", ");
            append(out, len, &o, func);
            append(out, len, &o, loc[0] ? " at " : "");
            append(out, len, &o, loc);
        }
    }
    if (k > 1) {
        append(out, len, &o, ")");
    }
    return out[0] != '\0' ? 0 : -1;
}

/* libloop's own shared objects (a program linking libloop.a has its frames in its own object:
 * those are told by name, loop_*) */
static int libloop_object(const char *path)
{
    const char *b = strrchr(path, '/');

    b = b != NULL ? b + 1 : path;
    return strncmp(b, "libloop.so", 10) == 0 || strncmp(b, "liblooptp.so", 12) == 0;
}

static int system_object(const char *path)
{
    return strstr(path, "/libc.so") != NULL || strstr(path, "/libpthread") != NULL ||
           strstr(path, "linux-vdso") != NULL || strstr(path, "/ld-linux") != NULL ||
           strstr(path, "/libasan.so") != NULL || strstr(path, "/libtsan.so") != NULL ||
           strstr(path, "/libubsan.so") != NULL; /* sanitizer interceptors */
}

/*
 * The load base of path, from a "(+0xOFF) [0xADDR]" frame of the same object
 * (ADDR - OFF); 0 if none. It turns "(sym+0xOFF) [0xADDR]" into an offset too.
 */
static uint64_t object_base(const char *bt, const char *path)
{
    const char *p = bt;
    struct frame f;

    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (parse_frame(p, len, &f) && f.sym[0] == '\0' && f.addr > f.off && strcmp(f.path, path) == 0) {
            return f.addr - f.off;
        }
        p += len + (e != NULL);
    }
    return 0;
}

/*
 * The index of the signal frame (the trampoline the kernel returns through,
 * __restore_rt) in bt, -1 if none: the frame after it is the interrupted
 * program counter, the others return addresses. The watchdog's backtraces
 * start at the trampoline (the handler's own frame is dropped): frame 0,
 * when it is in a system library and cannot be named otherwise.
 */
static int signal_frame(const char *bt, uint64_t trace_ns)
{
    const char *p = bt;
    struct frame f, first;
    int i, have_first = 0;

    for (i = 0; *p && i < 4; i++) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char sym[512], inner[512];
        if (parse_frame(p, len, &f)) {
            if (i == 0) {
                first = f;
                have_first = 1;
            }
            if (strcmp(f.sym, "__restore_rt") == 0 ||
                (f.sym[0] == '\0' && system_object(f.path) && f.off != 0 &&
                 addr2line(f.path, f.off, trace_ns, sym, sizeof sym, inner, sizeof inner) == 0 &&
                 strncmp(inner, "__restore_rt", 12) == 0)) {
                return i;
            }
        }
        p += len + (e != NULL);
    }
    return have_first && system_object(first.path) ? 0 : -1;
}

char *symbolize_backtrace(const char *bt, uint64_t trace_ns, char *first_program_frame, size_t flen)
{
    size_t cap = strlen(bt) * 2 + 64, n = 0;
    char *out = malloc(cap);
    const char *p = bt;
    int sig = signal_frame(bt, trace_ns), i;

    if (first_program_frame != NULL && flen > 0) {
        first_program_frame[0] = '\0';
    }
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; *p; i++) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char sym[1024], inner[512];
        struct frame f;
        int resolved = 0;

        if (parse_frame(p, len, &f)) {
            uint64_t off = f.off, base;
            if (f.sym[0] != '\0') {
                base = object_base(bt, f.path);
                off = base != 0 && f.addr > base ? f.addr - base : 0;
            }
            /*
             * A return address points after its call, often into the next
             * line or into code inlined after the call: look up the byte
             * before it. Not for the trampoline and the interrupted pc.
             */
            if (off != 0 && !(sig >= 0 && i <= sig + 1)) {
                off--;
            }
            if (off != 0 && addr2line(f.path, off, trace_ns, sym, sizeof sym, inner, sizeof inner) == 0) {
                resolved = 1;
            } else if (f.sym[0] != '\0') {
                snprintf(sym, sizeof sym, "%s", f.sym); /* its name, without a line */
                snprintf(inner, sizeof inner, "%s", f.sym);
                resolved = 2;
            }
        }
        while (n + len + (resolved ? strlen(sym) + 8 : 0) + 2 > cap) {
            char *no;
            cap *= 2;
            no = realloc(out, cap);
            if (no == NULL) {
                free(out);
                return NULL;
            }
            out = no;
        }
        memcpy(out + n, p, len);
        n += len;
        if (resolved == 1) {
            n += (size_t)sprintf(out + n, " = %s", sym);
        }
        /* the first frame below the signal frame outside the system libraries
         * and libloop's own code (its objects, or its loop_* functions linked
         * into the program): where the program blocks */
        if (resolved && first_program_frame != NULL && first_program_frame[0] == '\0' && i > sig &&
            !system_object(f.path) && !libloop_object(f.path) && strncmp(inner, "loop_", 5) != 0) {
            snprintf(first_program_frame, flen, "%s", sym);
        }
        out[n++] = '\n';
        p += len + (e != NULL);
    }
    if (n > 0 && out[n - 1] == '\n') {
        n--;
    }
    out[n] = '\0';
    return out;
}
