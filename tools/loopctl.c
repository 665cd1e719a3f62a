/*
 * loopctl — talk to a libloop monitor (LOOP_MONITOR=1 or loop_monitor_start()).
 *
 *   loopctl list                       the monitor sockets of this user, with pid and loop
 *   loopctl [SOCKET|PID] COMMAND...    send one command, print the reply
 *   loopctl [SOCKET|PID]               read commands from stdin, one per line
 *
 * SOCKET is a path (it contains a '/'); PID picks the socket of that process
 * in the default directories ($XDG_RUNTIME_DIR/libloop, /tmp/libloop-UID);
 * with neither, the only socket there is used. Commands: ps, where ID,
 * cancel ID, handles, stats, slow, help (see docs/monitor.md).
 *
 * Exit status: 0 when the reply came and was not an error; 1 with one line on
 * stderr otherwise (no such socket, connection refused, permission denied,
 * timeout, error reply).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <editline/readline.h>

#include "loopctl/loopctl.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 5000
#define MAX_SOCKETS 256
#define CMD_MAX 1024

static const char *prog = "loopctl";

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s list\n"
            "       %s [SOCKET|PID] COMMAND...   (ps, where ID, cancel ID, handles, stats, slow, help)\n"
            "       %s [SOCKET|PID]              commands from stdin, one per line\n",
            prog, prog, prog);
}

/* Default directories ---------------------------------------------------------- */

static int default_dirs(char dirs[2][sizeof(((struct sockaddr_un *)0)->sun_path)])
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n = 0;

    if (xdg != NULL && xdg[0] == '/') {
        snprintf(dirs[n++], sizeof(dirs[0]), "%s/libloop", xdg);
    }
    snprintf(dirs[n++], sizeof(dirs[0]), "/tmp/libloop-%ld", (long)geteuid());
    return n;
}

struct sock_ent {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    long pid;
    unsigned long long loop_id;
};

static int cmp_ent(const void *a, const void *b)
{
    const struct sock_ent *x = a, *y = b;

    if (x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
    }
    return x->loop_id < y->loop_id ? -1 : x->loop_id > y->loop_id;
}

/* Sockets named PID-LOOP.sock in the default directories (pid < 0: any). */
static size_t find_sockets(struct sock_ent *out, size_t cap, long want_pid)
{
    char dirs[2][sizeof(((struct sockaddr_un *)0)->sun_path)];
    int ndirs = default_dirs(dirs);
    size_t n = 0;

    for (int d = 0; d < ndirs; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        if (dir == NULL) {
            continue;
        }
        while ((e = readdir(dir)) != NULL && n < cap) {
            long pid;
            unsigned long long id;
            int used = 0;
            struct stat st;
            if (sscanf(e->d_name, "%ld-%llu.sock%n", &pid, &id, &used) != 2 ||
                e->d_name[used] != '\0' || (want_pid >= 0 && pid != want_pid)) {
                continue;
            }
            int len = snprintf(out[n].path, sizeof(out[n].path), "%s/%s", dirs[d], e->d_name);
            if (len < 0 || (size_t)len >= sizeof(out[n].path) || lstat(out[n].path, &st) != 0 ||
                !S_ISSOCK(st.st_mode)) {
                continue;
            }
            bool dup = false;
            for (size_t i = 0; i < n; i++) {
                dup |= out[i].pid == pid && out[i].loop_id == id;
            }
            if (!dup) {
                out[n].pid = pid;
                out[n].loop_id = id;
                n++;
            }
        }
        closedir(dir);
    }
    qsort(out, n, sizeof(out[0]), cmp_ent);
    return n;
}

static int cmd_list(void)
{
    struct sock_ent ents[MAX_SOCKETS];
    size_t n = find_sockets(ents, MAX_SOCKETS, -1);

    if (n == 0) {
        char dirs[2][sizeof(((struct sockaddr_un *)0)->sun_path)];
        int nd = default_dirs(dirs);
        fprintf(stderr, "%s: no monitor sockets in %s%s%s\n", prog, dirs[0], nd > 1 ? " or " : "",
                nd > 1 ? dirs[1] : "");
        return 1;
    }
    printf("%-8s %-6s %-6s %s\n", "PID", "LOOP", "STATE", "SOCKET");
    for (size_t i = 0; i < n; i++) {
        bool alive = kill((pid_t)ents[i].pid, 0) == 0 || errno == EPERM;
        printf("%-8ld %-6llu %-6s %s\n", ents[i].pid, ents[i].loop_id, alive ? "live" : "stale",
               ents[i].path);
    }
    return 0;
}

static bool all_digits(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

/* The socket of pid (pid < 0: the only one there is). */
static void resolve(long pid, char *path, size_t len)
{
    struct sock_ent ents[MAX_SOCKETS];
    size_t n = find_sockets(ents, MAX_SOCKETS, pid);

    if (n == 0) {
        if (pid >= 0) {
            char proc[64];
            struct stat st;

            snprintf(proc, sizeof(proc), "/proc/%ld", pid);
            if (stat(proc, &st) != 0) {
                die("no process %ld", pid);
            }
            /* Its socket is in its owner's directories, and a monitor serves
             * its own uid only (root included): say so, not "is it set?". */
            if (st.st_uid != geteuid()) {
                die("pid %ld: permission denied (it runs as uid %ld; a monitor answers its own "
                    "uid only: run loopctl as that user)",
                    pid, (long)st.st_uid);
            }
            die("no monitor socket for pid %ld (is LOOP_MONITOR=1 set in it?)", pid);
        }
        die("no monitor sockets found (try: loopctl list)");
    }
    if (n > 1) {
        fprintf(stderr, "%s: %zu monitor sockets match; name one:\n", prog, n);
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "  %s\n", ents[i].path);
        }
        exit(1);
    }
    snprintf(path, len, "%s", ents[0].path);
}

/* Talking ---------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A monitor served on loopback TCP: "tcp:PORT" or "tcp:127.0.0.1:PORT". */
static int connect_tcp(const char *spec, char *err, size_t len)
{
    const char *p = spec + 4;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd;

    if (strncmp(p, "127.0.0.1:", 10) == 0) {
        p += 10;
    }
    sa.sin_port = htons((uint16_t)atoi(p));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, len, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(err, len, "%s: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int loopctl_connect_quiet(const char *path, char *err, size_t len)
{
    struct sockaddr_un sa;
    int fd, e;

    if (strncmp(path, "tcp:", 4) == 0) {
        return connect_tcp(path, err, len);
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, len, "%s: path too long", path);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, len, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        return fd;
    }
    e = errno;
    close(fd);
    if (e == ENOENT) {
        snprintf(err, len, "%s: no such socket", path);
    } else if (e == ECONNREFUSED) {
        snprintf(err, len, "%s: connection refused (the process is gone? a stale socket)", path);
    } else if (e == EACCES || e == EPERM) {
        snprintf(err, len, "%s: permission denied (monitors serve their own uid only)", path);
    } else {
        snprintf(err, len, "%s: %s", path, strerror(e));
    }
    return -1;
}

static int connect_to(const char *path)
{
    char err[300];
    int fd = loopctl_connect_quiet(path, err, sizeof err);

    if (fd < 0) {
        die("%s", err);
    }
    return fd;
}

static void send_all(int fd, const char *buf, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("%s: send: %s", path, strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
    }
}

/*
 * Read one reply (lines up to "."), print it; 0 if it was not an error.
 * The reader keeps what follows the "." in *carry for the next reply.
 */
struct reader {
    char buf[65536];
    size_t len;
};

static int read_reply(int fd, struct reader *r, const char *path)
{
    uint64_t deadline = now_ms() + TIMEOUT_MS;
    bool first = true, error = false;

    for (;;) {
        char *nl;
        while ((nl = memchr(r->buf, '\n', r->len)) != NULL) {
            size_t linelen = (size_t)(nl - r->buf);
            if (linelen == 1 && r->buf[0] == '.') {
                memmove(r->buf, nl + 1, r->len - linelen - 1);
                r->len -= linelen + 1;
                return error ? 1 : 0;
            }
            if (first && linelen >= 6 && memcmp(r->buf, "error:", 6) == 0) {
                error = true;
            }
            first = false;
            fwrite(r->buf, 1, linelen + 1, error ? stderr : stdout);
            memmove(r->buf, nl + 1, r->len - linelen - 1);
            r->len -= linelen + 1;
        }
        if (r->len == sizeof(r->buf)) {
            fwrite(r->buf, 1, r->len, stdout); /* an over-long line: pass it through */
            r->len = 0;
        }
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            die("%s: timeout: no complete reply within %d ms (the monitor is stuck?)", path,
                TIMEOUT_MS);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, left);
        if (rc < 0 && errno != EINTR) {
            die("poll: %s", strerror(errno));
        }
        if (rc <= 0) {
            continue;
        }
        ssize_t n = recv(fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fflush(stdout);
            if (first) {
                die("%s: the monitor closed the connection without a reply (refused?)", path);
            }
            die("%s: the monitor closed the connection in the middle of a reply", path);
        }
        r->len += (size_t)n;
    }
}

static int run_one(const char *path, int argc, char **argv)
{
    char cmd[CMD_MAX + 2];
    size_t len = 0;
    struct reader *r = calloc(1, sizeof(*r));
    int fd, rc;

    if (r == NULL) {
        die("out of memory");
    }
    for (int i = 0; i < argc; i++) {
        int n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(cmd) - len - 1) {
            die("command too long (at most %d bytes)", CMD_MAX);
        }
        len += (size_t)n;
    }
    cmd[len++] = '\n';
    fd = connect_to(path);
    send_all(fd, cmd, len, path);
    rc = read_reply(fd, r, path);
    close(fd);
    free(r);
    return rc;
}

/*
 * One command line: with libedit's readline (line editing, history) on a
 * terminal, else fgets. NULL at end of input. The result is in buf.
 */
static char *read_command(char *buf, size_t size, bool tty)
{
    if (tty) {
        char *l = readline("loop> ");
        if (l == NULL) {
            return NULL;
        }
        if (*l != '\0') {
            add_history(l);
        }
        snprintf(buf, size, "%s\n", l);
        if (strlen(l) + 1 >= size) {
            buf[size - 2] = 'X'; /* too long: no newline, refused below */
        }
        free(l);
        return buf;
    }
    return fgets(buf, (int)size, stdin);
}

static int run_interactive(const char *path)
{
    char line[CMD_MAX + 2];
    struct reader *r = calloc(1, sizeof(*r));
    bool tty = isatty(STDIN_FILENO);
    int fd, rc = 0;

    if (r == NULL) {
        die("out of memory");
    }
    fd = connect_to(path);
    if (tty) {
        loopctl_complete_init(fd);
        fprintf(stderr, "connected to %s; help lists the commands, Tab completes, ^D ends\n", path);
    }
    for (;;) {
        if (read_command(line, sizeof(line), tty) == NULL) {
            break;
        }
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] != '\n') {
            die("command too long (at most %d bytes)", CMD_MAX);
        }
        if (strspn(line, " \t\r\n") == len) {
            continue;
        }
        send_all(fd, line, len, path);
        rc |= read_reply(fd, r, path);
        fflush(stdout);
        if (strncmp(line, "quit", 4) == 0 || strncmp(line, "exit", 4) == 0) {
            break;
        }
    }
    close(fd);
    free(r);
    return rc;
}

int main(int argc, char **argv)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int i = 1;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        return cmd_list();
    }
    if (argc >= 2 && (strchr(argv[1], '/') != NULL || strncmp(argv[1], "tcp:", 4) == 0)) {
        if (strlen(argv[1]) >= sizeof(path)) {
            die("%s: path too long", argv[1]);
        }
        strcpy(path, argv[1]);
        i = 2;
    } else if (argc >= 2 && all_digits(argv[1])) {
        resolve(strtol(argv[1], NULL, 10), path, sizeof(path));
        i = 2;
    } else {
        resolve(-1, path, sizeof(path));
    }
    if (i == argc) {
        return run_interactive(path);
    }
    if (argc - i == 1 && strcmp(argv[i], "top") == 0) {
        return loopctl_top(path);
    }
    return run_one(path, argc - i, argv + i);
}
