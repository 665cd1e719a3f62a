/*
 * leak — a server that forgets to close some connections' watchers and
 * timers: loop_close refuses and names them, grouped by creation site.
 *
 *   leak [--conns N]   (default 20; every 4th connection leaks its timer,
 *                        every 5th its watcher)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <loop.h>

struct conn {
    int fds[2];
    loop_io_t io;
    loop_timer_t idle;
    int id;
};

static void on_readable(loop_io_t *io, int events)
{
    struct conn *c = io->handle.data;
    char buf[64];
    (void)events;
    ssize_t n = read(io->fd, buf, sizeof(buf));
    if (n <= 0 || c->id % 5 != 0) {
        loop_io_stop(io); /* every 5th connection forgets this and the close below */
    }
    if (c->id % 5 != 0) {
        loop_handle_close(&io->handle, NULL);
    }
}

static void on_idle(loop_timer_t *t)
{
    struct conn *c = t->handle.data;
    if (c->id % 4 != 0) { /* every 4th connection forgets to close its timer */
        loop_handle_close(&t->handle, NULL);
    }
}

int main(int argc, char **argv)
{
    int nconns = 20;
    if (argc == 3 && strcmp(argv[1], "--conns") == 0) {
        nconns = atoi(argv[2]);
    }
    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("leak: loop_new");
        return 1;
    }
    struct conn *conns = calloc((size_t)nconns, sizeof(*conns));
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->id = i + 1;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, c->fds) < 0) {
            perror("leak: socketpair");
            return 1;
        }
        loop_io_init(loop, &c->io, c->fds[0]);
        c->io.handle.data = c;
        loop_io_start(&c->io, on_readable, LOOP_READABLE);
        loop_timer_init(loop, &c->idle);
        c->idle.handle.data = c;
        loop_timer_start(&c->idle, on_idle, 1, 0);
        if (write(c->fds[1], "hi", 2) < 0) {
            perror("leak: write");
        }
    }
    /* run until the leaking watchers are the only thing left */
    for (int i = 0; i < 100 && loop_run(loop, LOOP_RUN_NOWAIT) != 0; i++) {
        loop_run(loop, LOOP_RUN_ONCE);
        int active = 0;
        for (int k = 0; k < nconns; k++) {
            active += loop_handle_active(&conns[k].idle.handle) == 1;
        }
        if (active == 0) {
            break;
        }
    }
    int rc = loop_close(loop);
    printf("leak: loop_close: %s\n", loop_strerror(rc));
    return rc == 0 ? 0 : 3; /* the leaked memory stays: this program exists to leak */
}
