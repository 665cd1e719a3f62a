/*
 * tsan_monitor — the monitor thread against a busy loop (issue 13, items 6
 * and 7). The loop thread runs, all at once: a spawner task whose children
 * sleep, yield and end (some cancelled by the monitor), call-soons, a 1 ms
 * repeating timer, timers opened and closed, thread-pool work, and two tasks
 * ping-ponging bytes over a socketpair with loop_read/loop_write (task_io.c's
 * shared watchers come and go). A client thread meanwhile sends every monitor
 * command — ps, ps-done, where N, handles, stats, slow, cancel N — for
 * ROUNDS rounds, while a silent client waits to be closed by the idle timeout
 * (which the loop thread changes meanwhile). Under `make check SANITIZE=thread` a data race between the
 * two threads fails the run (TSAN_OPTIONS=halt_on_error=1); in every build it
 * checks that each reply is complete. A plain program: Criterion does not
 * start under ThreadSanitizer (Snaipe/Criterion#274). Exit 0, or 1 with a
 * message.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <loop.h>

#define ROUNDS 40
#define MIN_TICKS 300
#define REPLY_MAX (4 << 20)

static atomic_int client_done;
static atomic_ulong loop_ticks; /* the client goes on until the loop ticked this much too */
static atomic_int client_failed;
static char sock_path[108];

static void fail(const char *what)
{
    fprintf(stderr, "tsan_monitor: %s\n", what);
    exit(1);
}

/* The client ----------------------------------------------------------------------- */

static int mon_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    memcpy(sa.sun_path, sock_path, sizeof(sa.sun_path) - 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send one command, read its reply (up to the "." line) into buf. */
static int ask(int fd, const char *cmd, char *buf, size_t cap)
{
    size_t len = strlen(cmd), got = 0;

    if (send(fd, cmd, len, MSG_NOSIGNAL) != (ssize_t)len) {
        return -1;
    }
    for (;;) {
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n <= 0) {
            return -1;
        }
        got += (size_t)n;
        buf[got] = '\0';
        if ((got >= 2 && strcmp(buf + got - 2, ".\n") == 0 &&
             (got == 2 || buf[got - 3] == '\n'))) {
            return 0;
        }
        if (got == cap - 1) {
            return -1;
        }
    }
}

/* The id of a task named "child" in a ps reply, 0 if none. */
static uint64_t some_child(const char *ps, int skip)
{
    const char *p = ps;

    while ((p = strstr(p, "task id=")) != NULL) {
        uint64_t id = strtoull(p + 8, NULL, 10);
        const char *nl = strchr(p, '\n');
        const char *name = strstr(p, "name=\"child\"");
        if (name != NULL && (nl == NULL || name < nl) && skip-- <= 0) {
            return id;
        }
        p += 8;
    }
    return 0;
}

static void *client_main(void *arg)
{
    static const char *const plain[] = {"ps\n", "handles\n", "stats\n", "slow\n", "ps-done\n"};
    char *buf = malloc(REPLY_MAX);
    char cmd[64];
    int fd = -1;

    (void)arg;
    for (int tries = 0; buf != NULL && fd < 0 && tries < 2000; tries++) {
        fd = mon_connect();
        if (fd < 0) {
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
    }
    if (fd < 0) {
        atomic_store(&client_failed, 1);
        goto out;
    }
    /* a silent client: the idle timeout (200-250 ms, changed by the loop thread
     * while this runs) must close it */
    int silent = mon_connect();
    if (silent < 0) {
        atomic_store(&client_failed, 5);
        goto out;
    }
    for (int round = 0; round < ROUNDS || atomic_load(&loop_ticks) < MIN_TICKS; round++) {
        for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
            if (ask(fd, plain[i], buf, REPLY_MAX) < 0) {
                atomic_store(&client_failed, 2);
                goto out;
            }
        }
        if (ask(fd, "ps\n", buf, REPLY_MAX) < 0) {
            atomic_store(&client_failed, 2);
            goto out;
        }
        uint64_t child = some_child(buf, round % 3);
        /* where: a child task, low ids (handles and tasks), one that does not exist */
        uint64_t ids[] = {child ? child : 1, (uint64_t)(round % 12) + 1, 999999};
        for (size_t i = 0; i < 3; i++) {
            snprintf(cmd, sizeof(cmd), "where %" PRIu64 "\n", ids[i]);
            if (ask(fd, cmd, buf, REPLY_MAX) < 0) {
                atomic_store(&client_failed, 3);
                goto out;
            }
        }
        snprintf(cmd, sizeof(cmd), "cancel %" PRIu64 "\n", child ? child : 999999);
        if (ask(fd, cmd, buf, REPLY_MAX) < 0) {
            atomic_store(&client_failed, 4);
            goto out;
        }
    }
    struct pollfd pfd = {.fd = silent, .events = POLLIN};
    if (poll(&pfd, 1, 10000) != 1 || recv(silent, buf, REPLY_MAX - 1, 0) <= 0 ||
        strstr(buf, "error: idle") == NULL) {
        atomic_store(&client_failed, 6); /* never told it was idle */
    }
    close(silent);
out:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    atomic_store(&client_done, 1);
    return NULL;
}

/* The busy loop -------------------------------------------------------------------- */

static int sp[2];
static loop_timer_t tick;
static loop_work_t work;
static int work_busy;
static unsigned long ticks, calls, pongs, children_done;

static void on_call(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    calls++;
}

static void on_closed_free(loop_handle_t *h)
{
    free(h);
}

static void on_short_timer(loop_timer_t *t)
{
    loop_handle_close(&t->handle, on_closed_free);
}

static void work_fn(loop_work_t *w)
{
    (void)w;
}

static void work_done(loop_work_t *w, int status)
{
    (void)w;
    (void)status;
    work_busy = 0;
}

static void on_tick(loop_timer_t *t)
{
    loop_t *loop = t->handle.loop;

    ticks++;
    atomic_store(&loop_ticks, ticks);
    if (ticks % 100 == 0) {
        loop_monitor_set_idle_timeout(loop, ticks % 200 ? 250 : 200);
    }
    for (int i = 0; i < 4; i++) {
        loop_call_soon(loop, on_call, NULL);
    }
    loop_timer_t *st = malloc(sizeof(*st));
    if (st != NULL && loop_timer_init(loop, st) == 0) {
        loop_handle_set_name(&st->handle, "short");
        loop_timer_start(st, on_short_timer, 1, 0);
    } else {
        free(st);
    }
    if (!work_busy && loop_work_submit(loop, &work, work_fn, work_done) == 0) {
        work_busy = 1;
    }
    if (atomic_load(&client_done)) {
        loop_handle_close(&t->handle, NULL);
        shutdown(sp[0], SHUT_RDWR); /* ends the ping-pong */
    }
}

static intptr_t child(void *arg)
{
    int n = (int)(intptr_t)arg;

    if (loop_sleep(n % 3) < 0 || loop_yield() < 0) {
        return -ECANCELED;
    }
    return n;
}

static intptr_t spawner(void *arg)
{
    loop_t *loop = arg;
    loop_task_t *kids[8];

    for (int round = 0; !atomic_load(&client_done); round++) {
        for (int i = 0; i < 8; i++) {
            kids[i] = loop_spawn(loop, child, (void *)(intptr_t)(round + i), "child");
            if (kids[i] == NULL) {
                return -ENOMEM;
            }
        }
        for (int i = 0; i < 8; i++) {
            int rc = loop_join(kids[i], NULL, LOOP_FOREVER);
            if (rc < 0 && rc != -ECANCELED) {
                return rc;
            }
            children_done++;
        }
        loop_sleep(1);
    }
    return 0;
}

static intptr_t pinger(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 'p';

    for (;;) {
        if (loop_write(fd, &c, 1, LOOP_FOREVER) != 1 || loop_read(fd, &c, 1, LOOP_FOREVER) != 1) {
            return 0;
        }
        pongs++;
    }
}

static intptr_t ponger(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;

    for (;;) {
        if (loop_read(fd, &c, 1, LOOP_FOREVER) != 1 || loop_write(fd, &c, 1, LOOP_FOREVER) != 1) {
            return 0;
        }
    }
}

int main(void)
{
    char dir[] = "/tmp/tsan-monitor-XXXXXX";
    loop_t *loop;
    pthread_t client;
    loop_task_t *ts[3];

    signal(SIGPIPE, SIG_IGN); /* the ping-pong ends with a shutdown socket */
    loop_log_set_level(LOOP_LOG_ERROR); /* cancels and slow steps are expected */
    if (mkdtemp(dir) == NULL) {
        fail("mkdtemp");
    }
    snprintf(sock_path, sizeof(sock_path), "%s/m.sock", dir);
    loop = loop_new();
    if (loop == NULL) {
        fail("loop_new");
    }
    loop_set_debug(loop, 1); /* backtraces at suspension (where) and the slow ring */
    loop_set_slow_callback_ms(loop, 1);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0) {
        fail("socketpair");
    }
    if (loop_monitor_start(loop, sock_path) != 0 || loop_monitor_set_idle_timeout(loop, 200) != 0) {
        fail("loop_monitor_start");
    }
    loop_timer_init(loop, &tick);
    loop_handle_set_name(&tick.handle, "tick");
    loop_timer_start(&tick, on_tick, 1, 1);
    ts[0] = loop_spawn(loop, spawner, loop, "spawner");
    ts[1] = loop_spawn(loop, pinger, (void *)(intptr_t)sp[0], "pinger");
    ts[2] = loop_spawn(loop, ponger, (void *)(intptr_t)sp[1], "ponger");
    if (ts[0] == NULL || ts[1] == NULL || ts[2] == NULL) {
        fail("loop_spawn");
    }
    if (pthread_create(&client, NULL, client_main, NULL) != 0) {
        fail("pthread_create");
    }
    if (loop_run(loop, LOOP_RUN_DEFAULT) < 0) {
        fail("loop_run");
    }
    pthread_join(client, NULL);
    for (int i = 0; i < 3; i++) {
        intptr_t r = -1;
        if (loop_join(ts[i], &r, 0) != 0 || r != 0) {
            fprintf(stderr, "tsan_monitor: task %d ended with %ld\n", i, (long)r);
            return 1;
        }
    }
    if (loop_monitor_stop(loop) != 0 || loop_close(loop) != 0) {
        fail("loop_close");
    }
    close(sp[0]);
    close(sp[1]);
    rmdir(dir);
    if (atomic_load(&client_failed)) {
        fprintf(stderr, "tsan_monitor: the client failed at step %d\n", atomic_load(&client_failed));
        return 1;
    }
    printf("tsan_monitor: ok: %d rounds of every command; ticks=%lu call-soons=%lu pongs=%lu "
           "children=%lu\n", ROUNDS, ticks, calls, pongs, children_done);
    return 0;
}
