/*
 * echo_server — a TCP echo server: one task per connection, idle timeout.
 *
 *   echo_server [--port N] [--idle-ms MS] [--max-conns N]
 * Listens on 127.0.0.1 (port 0: any free port), prints "port N" on stdout,
 * echoes every byte back. A connection idle for --idle-ms (default 10000) is
 * closed. With --max-conns N the server exits after serving N connections.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <loop.h>

static int64_t idle_ms = 10000;
static long max_conns = -1;
static long served;

static intptr_t serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[16384];

    for (;;) {
        ssize_t n = loop_read(fd, buf, sizeof(buf), idle_ms);
        if (n <= 0) { /* EOF, idle timeout, error or cancel */
            close(fd);
            return n == 0 || n == -ETIMEDOUT ? 0 : n;
        }
        ssize_t w = loop_write(fd, buf, (size_t)n, idle_ms);
        if (w < 0) {
            close(fd);
            return w;
        }
    }
}

static intptr_t acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    loop_t *loop = loop_task_loop(loop_task_current());
    loop_group_t *conns = loop_group_new(loop);

    while (max_conns < 0 || served < max_conns) {
        int fd = loop_accept(lfd, NULL, NULL, LOOP_FOREVER);
        if (fd == -EMFILE || fd == -ENFILE) {
            fprintf(stderr, "echo_server: accept: %s; backing off\n", loop_strerror(fd));
            loop_sleep(10);
            continue;
        }
        if (fd < 0) {
            fprintf(stderr, "echo_server: accept: %s\n", loop_strerror(fd));
            break;
        }
        served++;
        if (loop_group_spawn(conns, serve_conn, (void *)(intptr_t)fd, "conn") == NULL) {
            close(fd);
        }
    }
    int rc = loop_group_wait(conns, LOOP_FOREVER);
    loop_group_free(conns);
    close(lfd);
    return rc;
}

int main(int argc, char **argv)
{
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc) {
            idle_ms = atol(argv[++i]);
        } else if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc) {
            max_conns = atol(argv[++i]);
        } else {
            fprintf(stderr, "usage: echo_server [--port N] [--idle-ms MS] [--max-conns N]\n");
            return 2;
        }
    }
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof(sa);
    int one = 1;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
        perror("echo_server: listen");
        return 1;
    }
    printf("port %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("echo_server: loop_new");
        return 1;
    }
    loop_task_t *acc = loop_spawn(loop, acceptor, (void *)(intptr_t)lfd, "acceptor");
    loop_run(loop, LOOP_RUN_DEFAULT);
    intptr_t res;
    int rc = loop_join(acc, &res, 0);
    if (loop_close(loop) != 0) {
        return 1;
    }
    return rc == 0 ? 0 : 1;
}
