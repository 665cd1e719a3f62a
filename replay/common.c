/*
 * common.c — what loop-replay's commands share: one-line messages, schedule
 * helpers (names, record formatting, loading a whole file), and running a
 * program with a changed environment and a timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"

void say(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* one line, whatever the message holds */
    for (char *p = msg; *p; p++) {
        if (*p == '\n') {
            *p = ' ';
        }
    }
    fprintf(stderr, "loop-replay: %s\n", msg);
}

int bad(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    say("%s", msg);
    return EXIT_BAD;
}

/* Schedules ---------------------------------------------------------------- */

const char *sched_mode_name(uint32_t mode)
{
    switch (mode) {
    case LOOP__SCHED_MODE_FIFO:
        return "fifo";
    case LOOP__SCHED_MODE_CHAOS:
        return "chaos";
    case LOOP__SCHED_MODE_TRACE:
        return "trace";
    case LOOP__SCHED_MODE_REPLAY:
        return "replay";
    case LOOP__SCHED_MODE_EXPLORE:
        return "explore";
    default:
        return "unknown";
    }
}

/* The kind enum of loop.h and of the trace format (docs/trace-format.md). */
static const char *const kind_names[] = {"none", "timer", "io",   "signal", "defer",
                                         "async", "work", "task", "close"};

const char *sched_kind_name(int kind)
{
    if (kind >= 0 && (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0])) {
        return kind_names[kind];
    }
    return "unknown";
}

const char *sched_revents_str(int revents, char *buf, size_t len)
{
    static const char letters[] = "rwhe"; /* readable, writable, hang-up, error */
    size_t n = 0;

    for (int i = 0; i < 4 && n + 1 < len; i++) {
        if (revents & (1 << i)) {
            buf[n++] = letters[i];
        }
    }
    if (revents & ~0xf) {
        n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "+0x%x", revents & ~0xf);
    }
    if (n == 0 && len > 1) {
        buf[n++] = '-';
    }
    buf[n < len ? n : len - 1] = '\0';
    return buf;
}

const char *sched_io_result_str(int op, int64_t result, char *buf, size_t len)
{
    if (result == -EAGAIN) {
        snprintf(buf, len, "EAGAIN: nothing yet");
    } else if (result < 0) {
        const char *name = result >= -4095 ? strerrorname_np((int)-result) : NULL;
        if (name != NULL) {
            snprintf(buf, len, "%s", name);
        } else {
            snprintf(buf, len, "errno %lld", (long long)-result);
        }
    } else if (op == LOOP__IO_ACCEPT) {
        snprintf(buf, len, "a connection");
    } else if (op == LOOP__IO_CONNECT) {
        snprintf(buf, len, "connected");
    } else if (op == LOOP__IO_READ && result == 0) {
        snprintf(buf, len, "end of file");
    } else {
        snprintf(buf, len, "%lld byte%s", (long long)result, result == 1 ? "" : "s");
    }
    return buf;
}

void sched_rec_str(const struct loop__rec *r, char *buf, size_t len)
{
    char ev[32];

    switch (r->type) {
    case LOOP__REC_ITER:
    case LOOP__REC_CLOCK:
        snprintf(buf, len, "%-8s clock=%llu", loop__rec_type_name(r->type),
                 (unsigned long long)r->clock_ns);
        break;
    case LOOP__REC_DISPATCH:
        if (r->kind == 2 /* io */) {
            snprintf(buf, len, "dispatch %-6s id=%llu revents=0x%x (%s)", sched_kind_name(r->kind),
                     (unsigned long long)r->id, (unsigned)r->revents,
                     sched_revents_str(r->revents, ev, sizeof(ev)));
        } else {
            snprintf(buf, len, "dispatch %-6s id=%llu", sched_kind_name(r->kind),
                     (unsigned long long)r->id);
        }
        break;
    case LOOP__REC_END:
        snprintf(buf, len, "end");
        break;
    case LOOP__REC_IO:
        snprintf(buf, len, "io       %-7s task=%llu result=%lld (%s)", loop__io_op_name(r->op),
                 (unsigned long long)r->id, (long long)r->result,
                 sched_io_result_str(r->op, r->result, ev, sizeof(ev)));
        break;
    case LOOP__REC_NOTE:
        snprintf(buf, len, "note     %-14s id=%llu value=%lld", loop__note_name(r->what),
                 (unsigned long long)r->id, (long long)r->value);
        break;
    default:
        snprintf(buf, len, "unknown type %d", r->type);
    }
}

bool sched_rec_equal(const struct loop__rec *a, const struct loop__rec *b)
{
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case LOOP__REC_ITER:
    case LOOP__REC_CLOCK:
        return a->clock_ns == b->clock_ns;
    case LOOP__REC_DISPATCH:
        return a->id == b->id && a->kind == b->kind && a->revents == b->revents;
    case LOOP__REC_IO:
        return a->id == b->id && a->op == b->op && a->result == b->result;
    case LOOP__REC_NOTE:
        return a->id == b->id && a->what == b->what && a->value == b->value;
    default:
        return true;
    }
}

int sched_open(const char *path, struct loop__sched_reader **r, struct loop__sched_hdr *hdr)
{
    char err[512];
    int rc = loop__schedr_open(r, path, hdr, err, sizeof(err));

    if (rc < 0) {
        if (rc == -ENOENT || rc == -EACCES || rc == -EISDIR) {
            say("%s", err); /* already "cannot open PATH: ..." */
        } else {
            say("%s: %s", path, err);
        }
    }
    return rc;
}

const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

bool sched_program_matches(const struct loop__sched_hdr *hdr, const char *prog)
{
    const char *a = base_name(hdr->program ? hdr->program : "");
    const char *b = base_name(prog);

    if (strcmp(a, b) == 0) {
        return true;
    }
    /* a trace knows the program only by its comm: at most 15 characters */
    return hdr->mode == LOOP__SCHED_MODE_TRACE && strlen(a) == 15 && strncmp(a, b, 15) == 0;
}

int sched_load(const char *path, struct sched_file *f)
{
    int rc;

    memset(f, 0, sizeof(*f));
    rc = sched_open(path, &f->r, &f->hdr);
    if (rc < 0) {
        return rc;
    }
    for (;;) {
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 1024;
            struct loop__rec *p = realloc(f->recs, cap * sizeof(*p));
            if (p == NULL) {
                say("%s: out of memory", path);
                sched_file_free(f);
                return -ENOMEM;
            }
            f->recs = p;
            f->cap = cap;
        }
        rc = loop__schedr_next(f->r, &f->recs[f->n], f->err, sizeof(f->err));
        if (rc == 1) {
            f->n++;
            continue;
        }
        if (rc == 0) {
            f->end = f->n > 0 && f->recs[f->n - 1].type == LOOP__REC_END ? SCHED_END_CLEAN
                                                                          : SCHED_END_NO_END;
        } else if (rc == -EPIPE) {
            f->end = SCHED_END_TRUNCATED;
        } else {
            f->end = SCHED_END_CORRUPT;
        }
        return 0;
    }
}

char **sched_recorded_argv(const struct loop__sched_hdr *hdr)
{
    size_t n = 2;
    char **av;

    for (size_t i = 0; i < hdr->args_len; i++) {
        n += hdr->args[i] == '\0';
    }
    av = calloc(n + 1, sizeof(*av));
    if (av == NULL) {
        return NULL;
    }
    n = 0;
    av[n++] = strdup(hdr->program ? hdr->program : "");
    for (size_t i = 0; i < hdr->args_len;) {
        size_t len = strnlen(hdr->args + i, hdr->args_len - i);
        av[n++] = strndup(hdr->args + i, len);
        i += len + 1;
    }
    av[n] = NULL;
    return av;
}

void argv_free(char **av)
{
    for (size_t i = 0; av != NULL && av[i] != NULL; i++) {
        free(av[i]);
    }
    free(av);
}

void sched_file_free(struct sched_file *f)
{
    free(f->recs);
    loop__schedr_close(f->r);
    memset(f, 0, sizeof(*f));
}

/* Processes --------------------------------------------------------------- */

static void apply_env(const struct child_env *env)
{
    if (env == NULL) {
        return;
    }
    for (int i = 0; i < 8 && env->unset[i] != NULL; i++) {
        unsetenv(env->unset[i]);
    }
    for (int i = 0; i < 8 && env->set[i][0] != NULL; i++) {
        setenv(env->set[i][0], env->set[i][1], 1);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int child_run(char *const argv[], const struct child_env *env, int out_fd, double timeout_s,
              struct child_result *res)
{
    sigset_t chld, old;
    double t0 = now_s();
    pid_t pid;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    /* SIGCHLD blocked: sigtimedwait() below is the timeout without a race */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        return rc;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (out_fd >= 0) {
            dup2(out_fd, 1);
            dup2(out_fd, 2);
        }
        apply_env(env);
        execvp(argv[0], argv);
        fprintf(stderr, "loop-replay: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            res->status = st;
            break;
        }
        if (w < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (timeout_s > 0 && now_s() - t0 > timeout_s && !res->timed_out) {
            res->timed_out = true;
            kill(pid, SIGKILL);
        }
        double left = timeout_s > 0 ? timeout_s - (now_s() - t0) : 1.0;
        if (left <= 0 || left > 1.0) {
            left = res->timed_out ? 0.05 : 1.0;
        }
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        sigtimedwait(&chld, NULL, &ts);
    }
    res->seconds = now_s() - t0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

const char *child_status_str(const struct child_result *res, char *buf, size_t len)
{
    if (res->timed_out) {
        snprintf(buf, len, "timed out (killed)");
    } else if (WIFEXITED(res->status)) {
        snprintf(buf, len, "exit %d", WEXITSTATUS(res->status));
    } else if (WIFSIGNALED(res->status)) {
        int sig = WTERMSIG(res->status);
        const char *name = sigabbrev_np(sig);
        snprintf(buf, len, "signal %d (SIG%s)", sig, name ? name : "?");
    } else {
        snprintf(buf, len, "status 0x%x", (unsigned)res->status);
    }
    return buf;
}

bool child_failed(const struct child_result *res)
{
    return res->timed_out || !WIFEXITED(res->status) || WEXITSTATUS(res->status) != 0;
}

int child_exec(char *const argv[], const struct child_env *env)
{
    apply_env(env);
    fflush(NULL);
    execvp(argv[0], argv);
    return -errno;
}

/* Shell-quote s when it needs it. */
static void put_word(char **buf, size_t *len, size_t *cap, const char *s)
{
    bool plain = *s != '\0';
    size_t need;

    for (const char *p = s; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%",
                    *p)) {
            plain = false;
        }
    }
    need = *len + 4 * strlen(s) + 4;
    if (need > *cap) {
        char *p = realloc(*buf, need * 2);
        if (p == NULL) {
            return;
        }
        *buf = p;
        *cap = need * 2;
    }
    if (*len > 0) {
        (*buf)[(*len)++] = ' ';
    }
    if (plain) {
        memcpy(*buf + *len, s, strlen(s));
        *len += strlen(s);
    } else {
        (*buf)[(*len)++] = '\'';
        for (const char *p = s; *p; p++) {
            if (*p == '\'') {
                memcpy(*buf + *len, "'\\''", 4);
                *len += 4;
            } else {
                (*buf)[(*len)++] = *p;
            }
        }
        (*buf)[(*len)++] = '\'';
    }
    (*buf)[*len] = '\0';
}

char *argv_str(char *const argv[])
{
    char *buf = calloc(1, 64);
    size_t len = 0, cap = buf ? 64 : 0;

    for (int i = 0; buf != NULL && argv[i] != NULL; i++) {
        put_word(&buf, &len, &cap, argv[i]);
    }
    return buf;
}

char *abs_path(const char *path)
{
    char *cwd;
    char *out;

    if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL) {
        return strdup(path);
    }
    if (asprintf(&out, "%s/%s", cwd, path) < 0) {
        out = strdup(path);
    }
    free(cwd);
    return out;
}

int parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (s == NULL || *s == '\0' || *s == '-') {
        return -EINVAL;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return errno || *end ? -EINVAL : 0;
}

int parse_seconds(const char *s, double *v)
{
    char *end;

    if (s == NULL || *s == '\0') {
        return -EINVAL;
    }
    *v = strtod(s, &end);
    return *end || !(*v >= 0) ? -EINVAL : 0;
}
