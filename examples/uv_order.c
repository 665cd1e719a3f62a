/*
 * uv_order.c — an order bug in a libuv program: two streams ready in the
 * same poll, whose read callbacks must not run in the other order.
 *
 * A "config" socket and a "request" socket (two socket pairs, read ends
 * opened as uv_pipe_t) both have data before uv_run starts, so one poll
 * reports both. The request handler uses the configuration the config
 * handler stores; run first, it finds none and the program exits 1 (after
 * its loop ends, so that a recording of the run is whole). With
 * epoll's order (the config fd was watched first) it never does; libuv
 * does not promise that order. `loop-replay explore` finds the other one
 * (tests/uv_explore.sh). With the argument "fixed" the request handler
 * keeps the request until the configuration comes: no order fails.
 *
 * Written against libuv 1.44.2's API only; built against libloop-uv.
 * Usage: uv_order [fixed]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#define CHECK(expr)                                                                      \
    do {                                                                                 \
        int rc_ = (expr);                                                                \
        if (rc_ < 0) {                                                                   \
            fprintf(stderr, "uv_order: %s: %s\n", #expr, uv_strerror(rc_));              \
            exit(2);                                                                     \
        }                                                                                \
    } while (0)

static uv_pipe_t config_in, request_in;
static int config_peer, request_peer;
static char config[64], request[64];
static int fixed, served, failed;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    buf->base = h == (uv_handle_t *)&config_in ? config : request;
    buf->len = sizeof(config) - 1;
}

static void serve(void)
{
    printf("served \"%s\" with config \"%s\"\n", request, config);
    served = 1;
}

static void on_config(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n <= 0) {
        return;
    }
    config[n] = '\0';
    uv_read_stop(s);
    uv_close((uv_handle_t *)s, NULL);
    if (fixed && request[0] != '\0' && !served) {
        serve(); /* the request came first and waited */
    }
}

static void on_request(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n <= 0) {
        return;
    }
    request[n] = '\0';
    uv_read_stop(s);
    uv_close((uv_handle_t *)s, NULL);
    if (config[0] == '\0') {
        if (fixed) {
            return; /* kept until the configuration comes */
        }
        fprintf(stderr, "uv_order: request \"%s\" arrived before the configuration\n", request);
        failed = 1; /* the loop ends normally, so a recording of the run is whole */
        return;
    }
    serve();
}

/* a socket pair: the read end opened as a uv pipe, the other end's fd returned */
static int open_pair(uv_loop_t *loop, uv_pipe_t *p)
{
    uv_os_sock_t fds[2];

    CHECK(uv_socketpair(SOCK_STREAM, 0, fds, UV_NONBLOCK_PIPE, 0));
    CHECK(uv_pipe_init(loop, p, 0));
    CHECK(uv_pipe_open(p, fds[0]));
    return fds[1];
}

int main(int argc, char **argv)
{
    uv_loop_t *loop = uv_default_loop();

    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    config_peer = open_pair(loop, &config_in);
    request_peer = open_pair(loop, &request_in);
    CHECK(uv_read_start((uv_stream_t *)&config_in, on_alloc, on_config));
    CHECK(uv_read_start((uv_stream_t *)&request_in, on_alloc, on_request));
    /* both ready before the first poll */
    if (write(config_peer, "verbose", 7) != 7 || write(request_peer, "GET /", 5) != 5) {
        perror("uv_order: write");
        return 2;
    }
    CHECK(uv_run(loop, UV_RUN_DEFAULT));
    close(config_peer);
    close(request_peer);
    CHECK(uv_loop_close(loop));
    return served && !failed ? 0 : 1;
}
