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
    return f->path[0] == '/';
}

/* addr2line -f -C -e path off → "func at file:line" (or "func"); 0 when resolved. */
static int addr2line(const char *path, uint64_t offset, uint64_t not_after_ns, char *out, size_t len)
{
    char off[32];
    char *argv[] = {"addr2line", "-f", "-C", "-e", (char *)path, off, NULL};
    posix_spawn_file_actions_t fa;
    char buf[1024];
    int fds[2], status;
    size_t n = 0;
    ssize_t got;
    pid_t pid;
    char *nl, *func, *loc;
    struct stat st;

    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
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
    func = buf;
    nl = strchr(buf, '\n');
    if (nl == NULL) {
        return -1;
    }
    *nl = '\0';
    loc = nl + 1;
    nl = strchr(loc, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    if (func[0] == '\0' || strcmp(func, "??") == 0) {
        return -1;
    }
    /* "file:line (discriminator N)" → keep file:line; "??:0" / "??:?" → none */
    nl = strchr(loc, ' ');
    if (nl != NULL) {
        *nl = '\0';
    }
    if (strncmp(loc, "??", 2) == 0) {
        return snprintf(out, len, "%s", func) < 0 ? -1 : 0;
    }
    return snprintf(out, len, "%s at %s", func, loc) < 0 ? -1 : 0;
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

char *symbolize_backtrace(const char *bt, uint64_t trace_ns, char *first_program_frame, size_t flen)
{
    size_t cap = strlen(bt) * 2 + 64, n = 0;
    char *out = malloc(cap);
    const char *p = bt;

    if (first_program_frame != NULL && flen > 0) {
        first_program_frame[0] = '\0';
    }
    if (out == NULL) {
        return NULL;
    }
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char sym[512];
        struct frame f;
        int resolved = 0;

        if (parse_frame(p, len, &f)) {
            uint64_t off = f.off, base;
            if (f.sym[0] != '\0') {
                base = object_base(bt, f.path);
                off = base != 0 && f.addr > base ? f.addr - base : 0;
            }
            if (off != 0 && addr2line(f.path, off, trace_ns, sym, sizeof sym) == 0) {
                resolved = 1;
            } else if (f.sym[0] != '\0') {
                snprintf(sym, sizeof sym, "%s", f.sym); /* its name, without a line */
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
        /* the first frame outside the system libraries and libloop itself (the
         * watchdog's capture handler may be on top): where the program blocks */
        if (resolved && first_program_frame != NULL && first_program_frame[0] == '\0' &&
            !system_object(f.path) && strstr(sym, "/libloop/") == NULL &&
            strncmp(sym, "loop__", 6) != 0) {
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
