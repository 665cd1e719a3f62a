/*
 * fanout — a fan-out client: N tasks in a group, each connects to an echo
 * server, sends a message and reads it back, all under one deadline.
 *
 *   fanout [--port N] [--tasks N] [--deadline-ms MS]
 * Without --port it runs its own echo server task in the same loop.
 * Exits 0 when every task got its echo before the deadline.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <loop.h>

static struct sockaddr_in server;
static long ok_count;

static intptr_t client(void *arg)
{
    long i = (long)(intptr_t)arg;
    char msg[64], buf[64];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int n = snprintf(msg, sizeof(msg), "hello %ld\n", i);
    ssize_t got = 0;
    int rc;

    if (fd < 0) {
        return -errno;
    }
    rc = loop_connect(fd, (struct sockaddr *)&server, sizeof(server), LOOP_FOREVER);
    if (rc == 0) {
        rc = (int)loop_write(fd, msg, (size_t)n, LOOP_FOREVER);
    }
    while (rc >= 0 && got < n) {
        ssize_t r = loop_read(fd, buf + got, sizeof(buf) - (size_t)got, LOOP_FOREVER);
        if (r <= 0) {
            rc = r == 0 ? -ECONNRESET : (int)r;
            break;
        }
        got += r;
    }
    close(fd);
    if (rc < 0) {
        return rc;
    }
    if (memcmp(buf, msg, (size_t)n) != 0) {
        return -EBADMSG;
    }
    ok_count++;
    return 0;
}

static intptr_t echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[256];
    ssize_t n;

    while ((n = loop_read(fd, buf, sizeof(buf), 5000)) > 0) {
        if (loop_write(fd, buf, (size_t)n, 5000) < 0) {
            break;
        }
    }
    close(fd);
    return 0;
}

static intptr_t echo_server(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    loop_t *loop = loop_task_loop(loop_task_current());
    int rc = 0;

    while (rc >= 0) {
        int fd = loop_accept(lfd, NULL, NULL, LOOP_FOREVER);
        if (fd < 0) {
            rc = fd;
            break;
        }
        loop_task_t *t = loop_spawn(loop, echo_conn, (void *)(intptr_t)fd, "echo-conn");
        if (t == NULL) {
            close(fd);
        } else {
            loop_task_detach(t);
        }
    }
    close(lfd);
    return rc == -ECANCELED ? 0 : rc;
}

struct opts {
    long tasks;
    int64_t deadline_ms;
    loop_task_t *server;
};

static intptr_t run_fanout(void *arg)
{
    struct opts *o = arg;
    loop_t *loop = loop_task_loop(loop_task_current());
    loop_group_t *g = loop_group_new(loop);
    int rc;

    for (long i = 0; i < o->tasks; i++) {
        if (loop_group_spawn(g, client, (void *)(intptr_t)i, "client") == NULL) {
            break;
        }
    }
    rc = loop_group_wait(g, o->deadline_ms);
    loop_group_free(g);
    if (o->server != NULL) {
        loop_task_cancel(o->server);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {1000, 10000, NULL};
    int port = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--tasks") == 0 && i + 1 < argc) {
            o.tasks = atol(argv[++i]);
        } else if (strcmp(argv[i], "--deadline-ms") == 0 && i + 1 < argc) {
            o.deadline_ms = atol(argv[++i]);
        } else {
            fprintf(stderr, "usage: fanout [--port N] [--tasks N] [--deadline-ms MS]\n");
            return 2;
        }
    }
    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("fanout: loop_new");
        return 1;
    }
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server.sin_port = htons((uint16_t)port);
    if (port == 0) {
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        socklen_t len = sizeof(server);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&server, sizeof(server)) < 0 ||
            listen(lfd, 4096) < 0 || getsockname(lfd, (struct sockaddr *)&server, &len) < 0) {
            perror("fanout: listen");
            return 1;
        }
        o.server = loop_spawn(loop, echo_server, (void *)(intptr_t)lfd, "echo-server");
    }
    loop_task_t *main_task = loop_spawn(loop, run_fanout, &o, "fanout");
    loop_run(loop, LOOP_RUN_DEFAULT);
    intptr_t res;
    int rc = loop_join(main_task, &res, 0);
    if (o.server != NULL) {
        loop_join(o.server, &res, 0);
    }
    printf("fanout: %ld of %ld echoes ok, status %s\n", ok_count, o.tasks, loop_err_name(rc));
    if (loop_close(loop) != 0) {
        return 1;
    }
    return rc == 0 && ok_count == o.tasks ? 0 : 1;
}
