/*
 * loadgen — a load generator for echo servers (examples/echo_server), itself
 * a libloop program.
 *
 *   loadgen --port N [--conns C] [--messages M] [--size S] [--timeout-ms MS]
 *
 * Opens C connections (default 1,000) to 127.0.0.1:N before its loop starts,
 * then runs one task named "client" per connection. The M messages (default
 * 1,000,000) are shared out evenly; each client sends one message of S bytes
 * (default 64: its connection, sequence number and a pattern), waits for the
 * echo and checks it byte for byte before sending the next, so every
 * connection has one message in flight and the server holds C busy
 * connections at once. Exits 0 when every message came back intact, 1
 * otherwise, 2 on bad usage.
 *
 * What a trace of it shows, exactly (tests/load_echo.sh checks it against
 * loop-analyze): a client task takes one step per message plus one, because
 * after each write it waits with loop_wait_fd(), which always suspends the
 * task once, and the echo's bytes are then read without waiting. Only an
 * echo that arrives in pieces, or a write that finds the socket buffer full,
 * costs an extra step; both are counted and printed. So
 *     steps of the "client" tasks == messages + conns + partial_reads + write_waits
 * The last line on stdout is the result, one line of key=value fields:
 *     loadgen: conns=1000 messages=1000000 echoed=1000000 errors=0 partial_reads=0
 *              write_waits=0 client_steps=1001000 seconds=12.3 rate=81234
 * Errors go to stderr, one line each (the first few).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <loop.h>

#define MAX_SIZE 4096

struct client {
    int fd;
    long id;
    long count; /* messages to send */
};

static long conns = 1000, messages = 1000000, size = 64;
static int64_t timeout_ms = 30000;
static long echoed, errors, partial_reads, write_waits;

static void report(long id, const char *what, int err)
{
    if (errors++ < 10) {
        fprintf(stderr, "loadgen: connection %ld: %s: %s\n", id, what,
                err ? loop_strerror(err) : "wrong bytes");
    }
}

static void fill(char *msg, long id, long seq)
{
    int n = snprintf(msg, (size_t)size, "conn %ld seq %ld ", id, seq);
    for (long i = n < 0 ? 0 : n; i < size; i++) {
        msg[i] = (char)('a' + (id + seq + i) % 26);
    }
}

/* Write all of msg; a full socket buffer makes it wait (counted). */
static int send_msg(int fd, const char *msg)
{
    ssize_t w = write(fd, msg, (size_t)size);

    if (w == size) {
        return 0;
    }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return -errno;
    }
    if (w < 0) {
        w = 0;
    }
    write_waits++;
    ssize_t rest = loop_write(fd, msg + w, (size_t)(size - w), timeout_ms);
    return rest < 0 ? (int)rest : 0;
}

/* Read exactly size bytes of echo after loop_wait_fd() said readable. */
static int recv_echo(int fd, char *buf)
{
    long got = 0;

    while (got < size) {
        ssize_t r = read(fd, buf + got, (size_t)(size - got));
        if (r > 0) {
            got += r;
            continue;
        }
        if (r == 0) {
            return -ECONNRESET;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return -errno;
        }
        partial_reads++; /* the echo came in pieces: wait for the rest */
        int rc = loop_wait_fd(fd, LOOP_READABLE, timeout_ms);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static intptr_t client(void *arg)
{
    struct client *c = arg;
    char msg[MAX_SIZE], buf[MAX_SIZE];
    int rc = 0;

    for (long seq = 0; seq < c->count; seq++) {
        fill(msg, c->id, seq);
        rc = send_msg(c->fd, msg);
        if (rc < 0) {
            report(c->id, "write", rc);
            break;
        }
        /* Always suspends once: one task step per message. */
        rc = loop_wait_fd(c->fd, LOOP_READABLE, timeout_ms);
        if (rc < 0) {
            report(c->id, "waiting for the echo", rc);
            break;
        }
        rc = recv_echo(c->fd, buf);
        if (rc < 0) {
            report(c->id, "read", rc);
            break;
        }
        if (memcmp(buf, msg, (size_t)size) != 0) {
            report(c->id, "echo", 0);
            rc = -EBADMSG;
            break;
        }
        echoed++;
    }
    close(c->fd);
    c->fd = -1;
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: loadgen --port N [--conns C] [--messages M] [--size S]"
                    " [--timeout-ms MS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int port = 0;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            return usage();
        }
        if (strcmp(argv[i], "--port") == 0) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--conns") == 0) {
            conns = atol(argv[++i]);
        } else if (strcmp(argv[i], "--messages") == 0) {
            messages = atol(argv[++i]);
        } else if (strcmp(argv[i], "--size") == 0) {
            size = atol(argv[++i]);
        } else if (strcmp(argv[i], "--timeout-ms") == 0) {
            timeout_ms = atol(argv[++i]);
        } else {
            return usage();
        }
    }
    if (port <= 0 || port > 65535 || conns < 1 || messages < 0 || size < 16 || size > MAX_SIZE) {
        return usage();
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)conns + 64) {
        fprintf(stderr, "loadgen: %ld connections need ulimit -n %ld (it is %llu)\n", conns,
                conns + 64, (unsigned long long)rl.rlim_cur);
        return 1;
    }

    struct client *cs = calloc((size_t)conns, sizeof(*cs));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (cs == NULL) {
        perror("loadgen");
        return 1;
    }
    /* Connect first, blocking: the connections are up before any task runs. */
    for (long i = 0; i < conns; i++) {
        int one = 1;
        cs[i].id = i;
        cs[i].count = messages / conns + (i < messages % conns ? 1 : 0);
        cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (cs[i].fd < 0 || connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            fprintf(stderr, "loadgen: connection %ld to port %d: %s\n", i, port, strerror(errno));
            return 1;
        }
        setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
    }

    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("loadgen: loop_new");
        return 1;
    }
    loop_task_t **tasks = calloc((size_t)conns, sizeof(*tasks));
    if (tasks == NULL) {
        perror("loadgen");
        return 1;
    }
    double t0 = now_s();
    for (long i = 0; i < conns; i++) {
        tasks[i] = loop_spawn(loop, client, &cs[i], "client");
        if (tasks[i] == NULL) {
            fprintf(stderr, "loadgen: spawn: %s\n", strerror(errno));
            return 1;
        }
    }
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    double secs = now_s() - t0;
    long failed = 0;
    for (long i = 0; i < conns; i++) {
        intptr_t res = 0;
        if (loop_join(tasks[i], &res, 0) != 0 || res != 0) {
            failed++;
        }
    }
    free(tasks);
    free(cs);
    if (loop_close(loop) != 0 || rc != 0) {
        failed++;
    }
    printf("loadgen: conns=%ld messages=%ld echoed=%ld errors=%ld partial_reads=%ld"
           " write_waits=%ld client_steps=%ld seconds=%.3f rate=%.0f\n",
           conns, messages, echoed, errors + failed, partial_reads, write_waits,
           messages + conns + partial_reads + write_waits, secs,
           secs > 0 ? (double)echoed / secs : 0.0);
    return echoed == messages && errors == 0 && failed == 0 ? 0 : 1;
}
