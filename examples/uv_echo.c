/*
 * uv_echo.c — a small libuv program, written against libuv 1.44.2's API
 * only: an echo server and its client in one loop, a timer that paces the
 * client, and a thread-pool job that checksums what came back.
 *
 * It builds unchanged against Debian's libuv and against libloop-uv:
 *   cc uv_echo.c $(pkg-config --cflags --libs libuv)        # real libuv
 *   cc uv_echo.c $(pkg-config --cflags --libs libloop-uv)   # libloop-uv
 * and prints the same lines with both (tests/uv_example.sh checks it).
 * Against libloop-uv it is traced (LOOP_TRACE=1 / loop-trace), shows up in
 * loopctl (LOOP_MONITOR=1) and names its own source lines in reports.
 *
 * Usage: uv_echo [PORT] [MESSAGES]   (default 9127, 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define CHECK(expr)                                                                      \
    do {                                                                                 \
        int rc_ = (expr);                                                                \
        if (rc_ < 0) {                                                                   \
            fprintf(stderr, "uv_echo: %s: %s\n", #expr, uv_strerror(rc_));               \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static uv_loop_t *loop;
static uv_tcp_t server, client, peer;
static uv_connect_t connect_req;
static uv_timer_t pace;
static int messages = 5, sent, echoed_bytes;
static char echoed[4096];

struct checksum_job {
    uv_work_t req;
    unsigned long sum;
};

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base != NULL ? suggested : 0;
}

static void on_write(uv_write_t *req, int status)
{
    CHECK(status);
    free(req->data);
    free(req);
}

static void write_copy(uv_stream_t *s, const char *p, size_t n)
{
    uv_write_t *req = malloc(sizeof(*req));
    uv_buf_t buf = uv_buf_init(malloc(n), (unsigned int)n);

    memcpy(buf.base, p, n);
    req->data = buf.base;
    CHECK(uv_write(req, s, &buf, 1, on_write));
}

/* The server side: echo everything back. */
static void peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        write_copy(s, buf->base, (size_t)nread);
    } else if (nread == UV_EOF) {
        uv_close((uv_handle_t *)s, NULL);
    }
    free(buf->base);
}

static void on_connection(uv_stream_t *srv, int status)
{
    CHECK(status);
    CHECK(uv_tcp_init(loop, &peer));
    CHECK(uv_accept(srv, (uv_stream_t *)&peer));
    CHECK(uv_read_start((uv_stream_t *)&peer, alloc_cb, peer_read));
    printf("server: accepted a connection\n");
}

static void checksum(uv_work_t *req)
{
    struct checksum_job *job = req->data;

    for (int i = 0; i < echoed_bytes; i++) {
        job->sum = job->sum * 31 + (unsigned char)echoed[i];
    }
}

static void checksum_done(uv_work_t *req, int status)
{
    struct checksum_job *job = req->data;

    CHECK(status);
    printf("pool: checksum of %d echoed bytes = %lu\n", echoed_bytes, job->sum);
    free(job);
    uv_close((uv_handle_t *)&server, NULL);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    CHECK(status);
    free(req);
}

/* The client side: collect the echo; when all came back, checksum it. */
static void client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0 && echoed_bytes + nread <= (ssize_t)sizeof(echoed)) {
        memcpy(echoed + echoed_bytes, buf->base, (size_t)nread);
        echoed_bytes += (int)nread;
    } else if (nread == UV_EOF) {
        struct checksum_job *job = calloc(1, sizeof(*job));
        job->req.data = job;
        printf("client: echo complete\n");
        uv_close((uv_handle_t *)s, NULL);
        CHECK(uv_queue_work(loop, &job->req, checksum, checksum_done));
    }
    free(buf->base);
}

static void tick(uv_timer_t *t)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "message %d\n", ++sent);

    write_copy((uv_stream_t *)&client, line, (size_t)n);
    printf("client: sent message %d\n", sent);
    if (sent == messages) {
        uv_shutdown_t *req = malloc(sizeof(*req));
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        CHECK(uv_shutdown(req, (uv_stream_t *)&client, on_shutdown));
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    CHECK(status);
    CHECK(uv_read_start(req->handle, alloc_cb, client_read));
    CHECK(uv_timer_start(&pace, tick, 10, 10));
    printf("client: connected\n");
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    int port = argc > 1 ? atoi(argv[1]) : 9127;

    messages = argc > 2 ? atoi(argv[2]) : 5;
    setvbuf(stdout, NULL, _IOLBF, 0);
    loop = uv_default_loop();
    CHECK(uv_ip4_addr("127.0.0.1", port, &addr));
    CHECK(uv_tcp_init(loop, &server));
    CHECK(uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0));
    CHECK(uv_listen((uv_stream_t *)&server, 16, on_connection));
    CHECK(uv_tcp_init(loop, &client));
    CHECK(uv_timer_init(loop, &pace));
    CHECK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr *)&addr, on_connect));
    CHECK(uv_run(loop, UV_RUN_DEFAULT));
    CHECK(uv_loop_close(loop));
    printf("done: %s\n", echoed_bytes > 0 ? "ok" : "nothing echoed");
    return 0;
}
