/*
 * trace_prog.c — a small libloop program for the trace integration tests
 * (tests/trace_capture.sh). One of each: a named repeating timer that fires
 * three times, a deferred call, a pipe read by an I/O watcher, a thread-pool
 * work item and a call-soon. Exits 0 when loop_close() succeeds.
 *
 *   trace_prog [MAPS_FILE]   with MAPS_FILE: copy /proc/self/maps there at the
 *                            end (the test checks which libraries were loaded)
 */
#include <loop.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ticks;
static int fds[2];
static int work_status = 1;

static void on_tick(loop_timer_t *t)
{
    if (++ticks == 3) {
        loop_handle_close(&t->handle, NULL);
    }
}

static void on_defer(loop_defer_t *d)
{
    loop_handle_close(&d->handle, NULL);
}

static void on_readable(loop_io_t *io, int events)
{
    char c;

    (void)events;
    if (read(io->fd, &c, 1) != 1) {
        perror("read");
    }
    loop_handle_close(&io->handle, NULL);
}

static void crunch(loop_work_t *w)
{
    (void)w;
    usleep(2000);
}

static void crunched(loop_work_t *w, int status)
{
    (void)w;
    work_status = status;
}

static void soon(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

static int copy_maps(const char *to)
{
    char buf[4096];
    size_t n;
    FILE *in = fopen("/proc/self/maps", "r");
    FILE *out = fopen(to, "w");

    if (in == NULL || out == NULL) {
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, out);
    }
    fclose(in);
    return fclose(out);
}

int main(int argc, char **argv)
{
    loop_t *loop = loop_new();
    loop_timer_t tick;
    loop_defer_t later;
    loop_io_t pipe_r;
    loop_work_t work;
    int rc;

    if (loop == NULL || pipe(fds) != 0) {
        perror("trace_prog: setup");
        return 2;
    }
    loop_timer_init(loop, &tick);
    loop_handle_set_name(&tick.handle, "tick");
    loop_timer_start(&tick, on_tick, 1, 1);

    loop_defer_init(loop, &later);
    loop_handle_set_name(&later.handle, "later");
    loop_defer_start(&later, on_defer);

    loop_io_init(loop, &pipe_r, fds[0]);
    loop_handle_set_name(&pipe_r.handle, "pipe-r");
    loop_io_start(&pipe_r, on_readable, LOOP_READABLE);
    if (write(fds[1], "x", 1) != 1) {
        perror("trace_prog: write");
        return 2;
    }

    loop_work_submit(loop, &work, crunch, crunched);
    loop_call_soon(loop, soon, NULL);

    rc = loop_run(loop, LOOP_RUN_DEFAULT);
    if (rc != 0 || ticks != 3 || work_status != 0) {
        fprintf(stderr, "trace_prog: run rc=%d ticks=%d work=%d\n", rc, ticks, work_status);
        return 1;
    }
    rc = loop_close(loop);
    if (rc != 0) {
        fprintf(stderr, "trace_prog: loop_close: %s\n", loop_strerror(rc));
        return 1;
    }
    close(fds[0]);
    close(fds[1]);
    if (argc > 1 && copy_maps(argv[1]) != 0) {
        perror("trace_prog: maps");
        return 2;
    }
    return 0;
}
