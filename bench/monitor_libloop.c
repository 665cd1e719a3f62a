/*
 * monitor_libloop — what a monitor client costs the loop (issue 13, item 7).
 * 20,000 tasks wait on an event; a 1 ms repeating timer measures the loop:
 * ticks in a 2 s window and the worst gap between two ticks. Each window runs
 * twice without a client and twice with a client thread that sends `ps` every
 * 100 ms (on a deadline, reading the whole reply: every task's line):
 *   monitor.libloop.ticks_idle / ticks_ps          ticks per window (mean)
 *   monitor.libloop.gaps_over_2ms_idle / _ps       gaps over 2 ms per window (mean)
 *   monitor.libloop.worst_gap_idle_ms / _ps_ms     the worst gap over both windows
 *   monitor.libloop.added_worst_gap_ms             ps minus idle (the goal: < 1 ms)
 *   monitor.libloop.ps_reply_ms                    the slowest ps reply seen by the client
 *   monitor.libloop.ps_replies                     replies read in the ps windows
 *   monitor.libloop.ps_dropped                     replies the monitor dropped (too long)
 *   monitor.libloop.loop_wait_max_ms / _total_ms   the loop thread's longest and total wait
 *                                                  for the monitor's lock (stats command)
 * On a loaded machine the worst gaps are mostly the scheduler's: loop_wait_max_ms
 * is the part the monitor's lock is responsible for.
 * BENCH_SCALE scales the task count; MONITOR_BENCH_MS the window (default 2000).
 */
#include "bench.h"
#include "loop.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>

static char sock_path[108];
static atomic_int client_stop;
static uint64_t client_worst_ns;
static long client_replies, client_dropped;

static void sleep_until(uint64_t t_ns)
{
    uint64_t now = bench_now_ns();

    if (t_ns > now) {
        uint64_t d = t_ns - now;
        nanosleep(&(struct timespec){(time_t)(d / 1000000000u), (long)(d % 1000000000u)}, NULL);
    }
}

static int client_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    BENCH_CHECK(fd >= 0);
    memcpy(sa.sun_path, sock_path, sizeof(sa.sun_path) - 1);
    BENCH_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    return fd;
}

/* A monitor that drops the client (a reply over its output bound) counts as a dropped reply. */
static void *client_main(void *arg)
{
    size_t cap = 64 << 20;
    char *buf = malloc(cap);
    int fd = client_connect();
    uint64_t next = bench_now_ns();

    (void)arg;
    BENCH_CHECK(buf != NULL);
    while (!atomic_load(&client_stop)) {
        uint64_t t0 = bench_now_ns();
        size_t got = 0;
        bool ok = send(fd, "ps\n", 3, MSG_NOSIGNAL) == 3;
        while (ok) {
            ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
            ok = n > 0;
            got += ok ? (size_t)n : 0;
            if (got >= 3 && memcmp(buf + got - 3, "\n.\n", 3) == 0) {
                break;
            }
            BENCH_CHECK(got < cap - 1);
        }
        if (ok) {
            uint64_t took = bench_now_ns() - t0;
            client_worst_ns = took > client_worst_ns ? took : client_worst_ns;
            client_replies++;
        } else {
            client_dropped++;
            close(fd);
            fd = client_connect();
        }
        next += 100 * 1000000ull;
        sleep_until(next);
    }
    close(fd);
    free(buf);
    return NULL;
}

/* The loop's own account of waiting for the monitor: the stats line "monitor-wait-ms". */
static void monitor_wait(double *total_ms, double *max_ms)
{
    static char buf[1 << 20];
    int fd = client_connect();
    size_t got = 0;
    const char *p;

    BENCH_CHECK(send(fd, "stats\n", 6, MSG_NOSIGNAL) == 6);
    while (got < 3 || memcmp(buf + got - 3, "\n.\n", 3) != 0) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        BENCH_CHECK(n > 0);
        got += (size_t)n;
        buf[got] = '\0';
    }
    close(fd);
    p = strstr(buf, "monitor-wait-ms total=");
    if (p == NULL || sscanf(p, "monitor-wait-ms total=%lf max=%lf", total_ms, max_ms) != 2) {
        *total_ms = *max_ms = -1; /* a libloop before this figure */
    }
}

struct window {
    uint64_t start_ns, last_ns, worst_ns, end_ns;
    long ticks, late; /* late: gaps over 2 ms */
};

static void on_tick(loop_timer_t *t)
{
    struct window *w = t->handle.data;
    uint64_t now = bench_now_ns();

    if (w->ticks > 0 && now - w->last_ns > w->worst_ns) {
        w->worst_ns = now - w->last_ns;
    }
    if (w->ticks > 0 && now - w->last_ns > 2000000) {
        w->late++;
    }
    w->last_ns = now;
    w->ticks++;
    if (now >= w->end_ns) {
        loop_timer_stop(t);
    }
}

static void run_window(loop_t *loop, loop_timer_t *timer, struct window *w, uint64_t ms)
{
    memset(w, 0, sizeof(*w));
    w->start_ns = w->last_ns = bench_now_ns();
    w->end_ns = w->start_ns + ms * 1000000u;
    timer->handle.data = w;
    BENCH_CHECK(loop_timer_start(timer, on_tick, 1, 1) == 0);
    /* the waiting tasks keep nothing alive: the timer alone runs the loop */
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) >= 0);
}

static loop_event_t *ev;

static intptr_t waiter(void *arg)
{
    (void)arg;
    return loop_event_wait(ev, LOOP_FOREVER);
}

int main(void)
{
    long ntasks = bench_count(20000);
    uint64_t ms = (uint64_t)bench_env_long("MONITOR_BENCH_MS", 2000);
    char dir[] = "/tmp/bench-monitor-XXXXXX";
    loop_t *loop = loop_new();
    loop_timer_t timer;
    struct window w;
    long ticks[2] = {0, 0}, late[2] = {0, 0};
    uint64_t worst[2] = {0, 0};

    BENCH_CHECK(loop != NULL && mkdtemp(dir) != NULL);
    snprintf(sock_path, sizeof(sock_path), "%s/m.sock", dir);
    loop_log_set_level(LOOP_LOG_ERROR); /* "Stuck" after each window: expected */
    BENCH_CHECK(loop_monitor_start(loop, sock_path) == 0);
    ev = loop_event_new(loop);
    BENCH_CHECK(ev != NULL);
    for (long i = 0; i < ntasks; i++) {
        loop_task_t *t = loop_spawn(loop, waiter, NULL, "waiter");
        BENCH_CHECK(t != NULL && loop_task_detach(t) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_NOWAIT) >= 0); /* every task now waits */
    loop_timer_init(loop, &timer);
    for (int round = 0; round < 2; round++) {
        for (int with_ps = 0; with_ps < 2; with_ps++) {
            pthread_t client;
            if (with_ps) {
                atomic_store(&client_stop, 0);
                BENCH_CHECK(pthread_create(&client, NULL, client_main, NULL) == 0);
            }
            run_window(loop, &timer, &w, ms);
            if (with_ps) {
                atomic_store(&client_stop, 1);
                pthread_join(client, NULL);
            }
            ticks[with_ps] += w.ticks;
            late[with_ps] += w.late;
            worst[with_ps] = w.worst_ns > worst[with_ps] ? w.worst_ns : worst[with_ps];
        }
    }
    printf("# %ld tasks waiting, 1 ms timer, %llu ms windows, 2 rounds\n", ntasks,
           (unsigned long long)ms);
    bench_print("monitor", "libloop", "ticks_idle", (double)ticks[0] / 2, "ticks");
    bench_print("monitor", "libloop", "ticks_ps", (double)ticks[1] / 2, "ticks");
    bench_print("monitor", "libloop", "gaps_over_2ms_idle", (double)late[0] / 2, "gaps");
    bench_print("monitor", "libloop", "gaps_over_2ms_ps", (double)late[1] / 2, "gaps");
    printf("monitor.libloop.worst_gap_idle_ms %.2f ms\n", (double)worst[0] / 1e6);
    printf("monitor.libloop.worst_gap_ps_ms %.2f ms\n", (double)worst[1] / 1e6);
    printf("monitor.libloop.added_worst_gap_ms %.2f ms\n",
           ((double)worst[1] - (double)worst[0]) / 1e6);
    printf("monitor.libloop.ps_reply_ms %.1f ms\n", (double)client_worst_ns / 1e6);
    bench_print("monitor", "libloop", "ps_replies", (double)client_replies, "replies");
    bench_print("monitor", "libloop", "ps_dropped", (double)client_dropped, "replies");
    double wait_total_ms, wait_max_ms;
    monitor_wait(&wait_total_ms, &wait_max_ms);
    if (wait_max_ms >= 0) {
        printf("monitor.libloop.loop_wait_max_ms %.3f ms\n", wait_max_ms);
        printf("monitor.libloop.loop_wait_total_ms %.3f ms\n", wait_total_ms);
    } else {
        bench_print_na("monitor", "libloop", "loop_wait_max_ms", "ms", "stats has no monitor-wait-ms");
    }
    BENCH_CHECK(loop_event_set(ev) == 0);
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) >= 0);
    loop_handle_close(&timer.handle, NULL);
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) >= 0);
    BENCH_CHECK(loop_event_free(ev) == 0);
    BENCH_CHECK(loop_monitor_stop(loop) == 0);
    BENCH_CHECK(loop_close(loop) == 0);
    rmdir(dir);
    return 0;
}
