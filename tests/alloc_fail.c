/*
 * alloc_fail.c — out of memory everywhere libloop allocates.
 *
 * Linked with libloop.a and
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *   --wrap=posix_memalign,--wrap=backtrace_symbols
 * so that every allocation libloop (and this file) makes goes through the
 * __wrap_ functions below, without a wrapper in libloop itself; libc's own
 * allocations (stdio, pthread) are not counted.
 *
 *   alloc_fail [--persistent] [--max N]
 * For N = 1, 2, ...: a child process runs the workload below with the Nth
 * allocation failing (--persistent: the Nth and every later one), until a
 * run makes fewer than N allocations: then every allocation point of the
 * workload has failed once. Each child must end cleanly: exit 0, no signal
 * (no crash, no abort), no leak (LeakSanitizer under SANITIZE=address fails
 * the child's exit status), no hang (20 s alarm); the failure must show as an
 * error returned by the API (NULL + ENOMEM, -ENOMEM), as a libloop log line,
 * or not at all when libloop can do without that memory (a debug
 * backtrace, a statistics histogram), and then the workload's results must
 * be exactly right. Prints one line per outcome class and a summary:
 *   alloc_fail: N allocation points: A API errors, L log lines, S absorbed, 0 failed
 * Exit 0 when every run was clean, 1 otherwise (the runs that were not, on stderr).
 *
 * The workload (one loop, debug mode on): timers, an I/O watcher, a deferred
 * callback, call-soons, a signal watcher, the monitor (and a client thread
 * asking `ps`), tasks in a group exchanging values over a channel under a
 * lock, an event, a future, a join, a thread-pool job (loop_run_blocking),
 * task I/O over a socketpair (loop_read/loop_write) — then everything is
 * closed and loop_close() must return 0.
 */
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include <loop.h>
#include <loop_debug.h>
#include <loop_task.h>

/* ---------------------------------------------------------------------- */
/* The allocator seam                                                      */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
int __real_posix_memalign(void **p, size_t align, size_t n);
char **__real_backtrace_symbols(void *const *frames, int n);

static long fail_at;        /* 0: count only */
static bool persistent;
static atomic_long nallocs;
static atomic_long nfailed;

static bool fail_now(void)
{
    long n = atomic_fetch_add(&nallocs, 1) + 1;

    if (fail_at > 0 && (n == fail_at || (persistent && n > fail_at))) {
        atomic_fetch_add(&nfailed, 1);
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strdup(s);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
    if (fail_now()) {
        return ENOMEM;
    }
    return __real_posix_memalign(p, align, n);
}

char **__wrap_backtrace_symbols(void *const *frames, int n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_backtrace_symbols(frames, n);
}

/* ---------------------------------------------------------------------- */
/* What the workload saw                                                   */

static int api_errors;      /* calls that returned an error (ENOMEM or a consequence) */
static int bad_errors;      /* errors that are neither ENOMEM nor a consequence of one */
static atomic_int log_lines;
static char first_error[256];

static void api_error(const char *what, int err)
{
    if (api_errors++ == 0) {
        snprintf(first_error, sizeof first_error, "%s: %s", what, loop_err_name(err));
    }
    /* ENOMEM itself; the others only as a consequence of an earlier ENOMEM */
    if (err != -ENOMEM && !(api_errors > 1 && (err == -ECANCELED || err == -EPIPE))) {
        bad_errors++;
        fprintf(stderr, "alloc_fail: N=%ld: %s returned %s\n", fail_at, what, loop_err_name(err));
    }
}

/* Warnings and errors count (the monitor's "listening" line is information). */
static void log_sink(loop_log_level_t level, const char *line, void *ud)
{
    (void)ud;
    if (level >= LOOP_LOG_WARN) {
        atomic_fetch_add(&log_lines, 1);
        if (getenv("ALLOC_FAIL_VERBOSE") != NULL) {
            fprintf(stderr, "alloc_fail: N=%ld: log: %s\n", fail_at, line);
        }
    }
}

static void on_error(const loop_error_ctx_t *ctx, void *ud)
{
    (void)ctx;
    (void)ud;
    atomic_fetch_add(&log_lines, 1);
}

/* ---------------------------------------------------------------------- */
/* Workload                                                                */

#define NVALUES 8

static int sv[2];
static int timers_fired, io_reads, defers_run, soons_run;
static long chan_sum;
static intptr_t future_value, blocking_value;
static ssize_t echoed;

static void on_timer(loop_timer_t *t)
{
    (void)t;
    timers_fired++;
}

static void on_io(loop_io_t *io, int revents)
{
    char c;
    (void)revents;
    if (read(sv[1], &c, 1) == 1) {
        io_reads++;
    }
    loop_io_stop(io);
}

static void on_defer(loop_defer_t *d)
{
    defers_run++;
    loop_defer_stop(d);
}

static void on_soon(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    soons_run++;
}

static loop_signal_t *started_sig; /* stopped by the coordinator at its end */

static void on_signal(loop_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
}

struct shared {
    loop_chan_t *ch;
    loop_lock_t *lock;
    loop_event_t *ev;
    loop_future_t *fut;
};

static intptr_t producer(void *arg)
{
    struct shared *s = arg;
    int rc = 0;

    for (int i = 1; i <= NVALUES && rc == 0; i++) {
        rc = loop_lock_acquire(s->lock, 5000);
        if (rc == 0) {
            rc = loop_chan_send(s->ch, i, 5000);
            loop_lock_release(s->lock);
        }
    }
    loop_chan_close(s->ch);
    loop_event_set(s->ev);
    return rc;
}

static intptr_t consumer(void *arg)
{
    struct shared *s = arg;
    intptr_t v;
    long sum = 0;
    int rc;

    while ((rc = loop_chan_recv(s->ch, &v, 5000)) == 0) {
        sum += v;
    }
    loop_future_resolve(s->fut, sum);
    return rc == -EPIPE ? 0 : rc;
}

static intptr_t blocking_job(void *arg)
{
    return (intptr_t)arg * 2;
}

static intptr_t echo_peer(void *arg)
{
    char buf[16];
    (void)arg;
    ssize_t n = loop_read(sv[1], buf, sizeof buf, 5000);
    return n < 0 ? n : loop_write(sv[1], buf, (size_t)n, 5000);
}

static intptr_t coordinator(void *arg)
{
    loop_t *loop = arg;
    struct shared s = {0};
    loop_group_t *g = NULL;
    int rc = 0;
    intptr_t res;

    s.ch = loop_chan_new(loop, 2);
    s.lock = loop_lock_new(loop);
    s.ev = loop_event_new(loop);
    s.fut = loop_future_new(loop);
    g = loop_group_new(loop);
    if (s.ch == NULL || s.lock == NULL || s.ev == NULL || s.fut == NULL || g == NULL) {
        api_error("a sync object's _new()", -errno);
        rc = -ENOMEM;
        goto out;
    }
    if (loop_group_spawn(g, producer, &s, "producer") == NULL) {
        api_error("loop_group_spawn(producer)", -errno);
        rc = -ENOMEM;
        loop_chan_close(s.ch); /* the consumer, if any, ends at once */
    }
    if (loop_group_spawn(g, consumer, &s, "consumer") == NULL) {
        api_error("loop_group_spawn(consumer)", -errno);
        rc = -ENOMEM;
        loop_chan_close(s.ch); /* the producer's sends fail at once */
        loop_future_resolve(s.fut, -1);
    }
    int wrc = loop_group_wait(g, 10000);
    if (wrc < 0) {
        api_error("loop_group_wait", wrc);
        rc = rc < 0 ? rc : wrc;
    }
    if (rc == 0) {
        int frc = loop_future_await(s.fut, &future_value, 5000);
        if (frc < 0) {
            api_error("loop_future_await", frc);
            rc = frc;
        }
        frc = loop_event_wait(s.ev, 5000);
        if (frc < 0) {
            api_error("loop_event_wait", frc);
            rc = frc;
        }
        (void)loop_future_result(s.fut, &res);
        chan_sum = (long)res;
    }
    /* the thread pool */
    int brc = loop_run_blocking(blocking_job, (void *)21, &blocking_value, 5000);
    if (brc < 0) {
        api_error("loop_run_blocking", brc);
        rc = rc < 0 ? rc : brc;
    }
    /* task I/O, and a join */
    loop_task_t *peer = loop_spawn(loop, echo_peer, NULL, "peer");
    if (peer == NULL) {
        api_error("loop_spawn(peer)", -errno);
        rc = -ENOMEM;
    } else {
        ssize_t w = loop_write(sv[0], "ping", 4, 5000);
        char buf[16];
        ssize_t r = w == 4 ? loop_read(sv[0], buf, sizeof buf, 5000) : -1;
        if (w != 4 || r < 0) {
            int err = w < 0 ? (int)w : r < 0 ? (int)r : -EIO;
            api_error("loop_write/loop_read", err);
            rc = rc < 0 ? rc : err;
            loop_task_cancel(peer);
        } else {
            echoed = r;
        }
        int jrc = loop_join(peer, &res, 5000);
        if (jrc < 0) {
            api_error("loop_join(peer)", jrc);
        }
    }
out:
    if (started_sig != NULL) {
        loop_signal_stop(started_sig); /* it would keep loop_run going */
        started_sig = NULL;
    }
    if (g != NULL) {
        loop_group_free(g);
    }
    if (s.fut != NULL) {
        loop_future_unref(s.fut);
    }
    if (s.ev != NULL) {
        loop_event_free(s.ev);
    }
    if (s.lock != NULL) {
        loop_lock_free(s.lock);
    }
    if (s.ch != NULL) {
        loop_chan_free(s.ch);
    }
    return rc;
}

/* A monitor client: asks ps, reads until the "." line, EOF or 5 s. */
static char mon_path[108];
static int mon_replied;

static void *mon_client(void *arg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 5};
    char buf[4096];
    size_t len = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void)arg;
    if (fd < 0) {
        return NULL;
    }
    memcpy(sa.sun_path, mon_path, strlen(mon_path) + 1);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        send(fd, "ps\n", 3, MSG_NOSIGNAL) == 3) {
        ssize_t n;
        while (len < sizeof buf - 1 && (n = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\n.\n") != NULL) {
                mon_replied = 1;
                break;
            }
        }
    }
    close(fd);
    return NULL;
}

/* The workload under fail_at; 0 when it ended cleanly. */
static int workload(const char *dir)
{
    loop_timer_t timers[4];
    loop_io_t io;
    loop_defer_t defer;
    loop_signal_t sig;
    bool timer_ok[4] = {false}, io_ok = false, sig_ok = false, mon_ok = false;
    loop_task_t *coord = NULL;
    pthread_t client;
    bool client_ok = false;
    int soons = 0, rc;

    loop_log_set_sink(log_sink, NULL);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("alloc_fail: socketpair");
        return 1;
    }
    atomic_store(&nallocs, 0); /* count from here */
    errno = 0;
    loop_t *loop = loop_new();
    if (loop == NULL) {
        api_error("loop_new", -errno);
        return bad_errors ? 1 : 0;
    }
    loop_set_error_handler(loop, on_error, NULL);
    rc = loop_set_debug(loop, 1);
    if (rc < 0) {
        api_error("loop_set_debug", rc);
    }
    for (int i = 0; i < 4; i++) {
        loop_timer_init(loop, &timers[i]);
        rc = loop_timer_start(&timers[i], on_timer, (uint64_t)i + 1, 0);
        if (rc < 0) {
            api_error("loop_timer_start", rc);
            loop_handle_close(&timers[i].handle, NULL);
        } else {
            timer_ok[i] = true;
        }
    }
    (void)!write(sv[0], "x", 1);
    loop_io_init(loop, &io, sv[1]);
    rc = loop_io_start(&io, on_io, LOOP_READABLE);
    if (rc < 0) {
        api_error("loop_io_start", rc);
        loop_handle_close(&io.handle, NULL);
    } else {
        io_ok = true;
    }
    loop_defer_init(loop, &defer);
    rc = loop_defer_start(&defer, on_defer);
    if (rc < 0) {
        api_error("loop_defer_start", rc);
    }
    for (int i = 0; i < 3; i++) {
        rc = loop_call_soon(loop, on_soon, NULL);
        if (rc < 0) {
            api_error("loop_call_soon", rc);
        } else {
            soons++;
        }
    }
    loop_signal_init(loop, &sig);
    rc = loop_signal_start(&sig, on_signal, SIGUSR2);
    if (rc < 0) {
        api_error("loop_signal_start", rc);
    } else {
        sig_ok = true;
        started_sig = &sig;
    }
    snprintf(mon_path, sizeof mon_path, "%s/m.sock", dir);
    rc = loop_monitor_start(loop, mon_path);
    if (rc < 0) {
        api_error("loop_monitor_start", rc);
    } else {
        mon_ok = true;
        client_ok = pthread_create(&client, NULL, mon_client, NULL) == 0;
    }
    coord = loop_spawn(loop, coordinator, loop, "coordinator");
    if (coord == NULL) {
        api_error("loop_spawn(coordinator)", -errno);
        if (sig_ok) {
            loop_signal_stop(&sig);
        }
    }
    rc = loop_run(loop, LOOP_RUN_DEFAULT);
    if (rc < 0) {
        api_error("loop_run", rc);
    }
    intptr_t cres = 0;
    if (coord != NULL) {
        rc = loop_join(coord, &cres, 0);
        if (rc < 0) {
            api_error("loop_join(coordinator)", rc);
        }
    }
    if (client_ok) {
        pthread_join(client, NULL);
    }
    if (mon_ok) {
        loop_monitor_stop(loop);
    }
    for (int i = 0; i < 4; i++) {
        if (timer_ok[i]) {
            loop_handle_close(&timers[i].handle, NULL);
        }
    }
    if (io_ok) {
        loop_handle_close(&io.handle, NULL);
    }
    loop_handle_close(&defer.handle, NULL);
    if (sig_ok) {
        loop_signal_stop(&sig);
    }
    loop_handle_close(&sig.handle, NULL);
    rc = loop_run(loop, LOOP_RUN_DEFAULT);
    if (rc < 0) {
        api_error("loop_run (closing)", rc);
    }
    rc = loop_close(loop);
    if (rc != 0) {
        fprintf(stderr, "alloc_fail: N=%ld: loop_close: %s (something was left open)\n", fail_at,
                loop_err_name(rc));
        return 1;
    }
    close(sv[0]);
    close(sv[1]);

    /* Without a reported error, everything must have happened, exactly. */
    bool exact = timers_fired == 4 && io_reads == 1 && defers_run == 1 && soons_run == 3 &&
                 chan_sum == NVALUES * (NVALUES + 1) / 2 && future_value == chan_sum &&
                 blocking_value == 42 && echoed == 4 && cres == 0 && (!mon_ok || mon_replied);
    if (api_errors == 0 && atomic_load(&log_lines) == 0 && !exact) {
        fprintf(stderr,
                "alloc_fail: N=%ld: no error reported, yet the results are wrong: timers %d "
                "io %d defer %d soons %d/%d sum %ld future %ld pool %ld echo %zd coordinator %ld "
                "monitor %d logs %d\n",
                fail_at, timers_fired, io_reads, defers_run, soons_run, soons, chan_sum,
                (long)future_value, (long)blocking_value, echoed, (long)cres, mon_replied,
                atomic_load(&log_lines));
        return 1;
    }
    return bad_errors ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Driver                                                                  */

int main(int argc, char **argv)
{
    long max = 100000, n, api = 0, logs = 0, absorbed = 0, failed = 0, diverged = 0, refused = 0;
    /* under LOOP_REPLAY a failed allocation changes what the program does: the
     * replayer stops it with one line and exit 3; one while opening the
     * schedule makes loop_new() exit 2 with one line (a replay that cannot
     * start). Both are clean outcomes here. */
    bool replaying = getenv("LOOP_REPLAY") != NULL && *getenv("LOOP_REPLAY") != '\0';
    char dir[] = "/tmp/loop-alloc-XXXXXX";
    int fds[2];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--persistent") == 0) {
            persistent = true;
        } else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            max = atol(argv[++i]);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            /* one run in this process, for a debugger */
            fail_at = atol(argv[++i]);
            if (mkdtemp(dir) == NULL) {
                return 2;
            }
            int st = workload(dir);
            printf("alloc_fail: N=%ld: %ld failed allocations of %ld, %d API errors (first: %s), "
                   "%d log lines, exit %d\n",
                   fail_at, atomic_load(&nfailed), atomic_load(&nallocs), api_errors,
                   first_error, atomic_load(&log_lines), st);
            rmdir(dir);
            return st;
        } else {
            fprintf(stderr, "usage: alloc_fail [--persistent] [--max N]\n");
            return 2;
        }
    }
    if (mkdtemp(dir) == NULL) {
        perror("alloc_fail: mkdtemp");
        return 2;
    }
    for (n = 1; n <= max; n++) {
        if (pipe(fds) != 0) {
            perror("alloc_fail: pipe");
            return 2;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("alloc_fail: fork");
            return 2;
        }
        if (pid == 0) {
            close(fds[0]);
            alarm(20);
            fail_at = n;
            int st = workload(dir);
            /* outcome for the parent: failures injected, API errors, log lines */
            char out[96];
            int len = snprintf(out, sizeof out, "%ld %d %d\n", atomic_load(&nfailed), api_errors,
                               atomic_load(&log_lines));
            (void)!write(fds[1], out, (size_t)len);
            close(fds[1]);
            exit(st); /* exit, not _exit: LeakSanitizer runs here */
        }
        close(fds[1]);
        char in[96] = "";
        ssize_t got = read(fds[0], in, sizeof in - 1);
        close(fds[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        long nf = -1, ne = 0, nl = 0;
        if (got > 0) {
            in[got] = '\0';
            sscanf(in, "%ld %ld %ld", &nf, &ne, &nl);
        }
        if (WIFSIGNALED(status)) {
            fprintf(stderr, "alloc_fail: N=%ld: the workload died of signal %d (%s)%s\n", n,
                    WTERMSIG(status), strsignal(WTERMSIG(status)),
                    WTERMSIG(status) == SIGALRM ? ": it hung" : "");
            failed++;
            continue;
        }
        if (replaying && WEXITSTATUS(status) == 3) {
            diverged++;
            continue;
        }
        if (replaying && WEXITSTATUS(status) == 2 && nf < 0) {
            refused++;
            continue;
        }
        if (WEXITSTATUS(status) != 0) {
            fprintf(stderr, "alloc_fail: N=%ld: the workload exited %d%s\n", n,
                    WEXITSTATUS(status), nf >= 0 ? "" : " before it ended (a leak report?)");
            failed++;
            continue;
        }
        if (nf == 0) {
            break; /* fewer than n allocations: every point has failed once */
        }
        if (ne > 0) {
            api++;
        } else if (nl > 0) {
            logs++;
        } else {
            absorbed++;
        }
    }
    rmdir(dir);
    n--;
    printf("alloc_fail: %ld allocation points%s: %ld API errors, %ld log lines only, %ld absorbed "
           "(results exact), %ld replay divergences, %ld replays refused, %ld failed\n",
           n, persistent ? " (persistent: every allocation from the Nth on fails)" : "", api,
           logs, absorbed, diverged, refused, failed);
    if (n >= max) {
        fprintf(stderr, "alloc_fail: still allocating after %ld runs (--max)\n", max);
        return 1;
    }
    return failed > 0 ? 1 : 0;
}
