/*
 * floor.c — the costs no event loop can go below on this machine, measured in
 * the same run as the loops:
 *   floor.heap            push then pop 1,000,000 (due, seq) keys drawn from the
 *                         million-timers sequence through a bare binary heap of
 *                         16-byte entries (CPU ns per item, peak RSS)
 *   floor.epoll_wait0     epoll_wait(fd, .., 0) on a set holding one idle pipe
 *   floor.syscall         syscall(SYS_getppid): a bare kernel round trip
 *   floor.clock_gettime   clock_gettime(CLOCK_MONOTONIC) (vDSO)
 *   floor.unix_write_read a 1-byte write on one AF_UNIX socketpair end and the
 *                         read on the other
 *   floor.raw_pingpong    the ping-pong scenario as a hand-written epoll loop:
 *                         what pingpong_*.c would cost with no library at all
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "bench.h"

struct ent {
    uint64_t key;
    uint64_t val;
};

static void heap_push(struct ent *h, size_t *len, struct ent e)
{
    size_t i = (*len)++;

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].key <= e.key) {
            break;
        }
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static struct ent heap_pop(struct ent *h, size_t *len)
{
    struct ent top = h[0], last = h[--(*len)];
    size_t i = 0, n = *len;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && h[c + 1].key < h[c].key) {
            c++;
        }
        if (last.key <= h[c].key) {
            break;
        }
        h[i] = h[c];
        i = c;
    }
    if (n > 0) {
        h[i] = last;
    }
    return top;
}

static void floor_heap(void)
{
    long n = bench_count(1000000);
    uint64_t rng = BENCH_SEED, prev = 0, sum = 0;
    struct ent *h = malloc((size_t)n * sizeof(*h));
    size_t len = 0;
    uint64_t cpu0, cpu;

    BENCH_CHECK(h != NULL);
    cpu0 = bench_cpu_ns();
    for (long i = 0; i < n; i++) {
        uint64_t ms = bench_timer_ms(&rng);
        heap_push(h, &len, (struct ent){.key = (ms << 32) | (uint64_t)i, .val = (uint64_t)i});
    }
    while (len > 0) {
        struct ent e = heap_pop(h, &len);
        BENCH_CHECK(e.key >= prev);
        prev = e.key;
        sum += e.val;
    }
    cpu = bench_cpu_ns() - cpu0;
    BENCH_CHECK(sum == (uint64_t)n * (uint64_t)(n - 1) / 2);
    bench_print("floor", "heap", "ns_per_item", (double)cpu / (double)n, "ns");
    bench_print("floor", "heap", "peak_rss", bench_peak_rss_mib(), "MiB");
    free(h);
}

static void floor_epoll_wait0(void)
{
    long n = bench_count(2000000);
    struct epoll_event ev = {.events = EPOLLIN}, out[64];
    int ep = epoll_create1(EPOLL_CLOEXEC), fds[2];
    uint64_t t0;

    BENCH_CHECK(ep >= 0);
    bench_idle_pipe(fds);
    BENCH_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev) == 0);
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(epoll_wait(ep, out, 64, 0) == 0);
    }
    bench_print("floor", "epoll_wait0", "ns_per_call", (double)(bench_now_ns() - t0) / (double)n,
                "ns");
    close(ep);
    close(fds[0]);
    close(fds[1]);
}

static void floor_syscall(void)
{
    long n = bench_count(2000000);
    uint64_t t0 = bench_now_ns();

    for (long i = 0; i < n; i++) {
        BENCH_CHECK(syscall(SYS_getppid) > 0);
    }
    bench_print("floor", "syscall", "ns_per_call", (double)(bench_now_ns() - t0) / (double)n,
                "ns");
}

static void floor_clock_gettime(void)
{
    long n = bench_count(10000000);
    struct timespec ts;
    uint64_t t0 = bench_now_ns(), acc = 0;

    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        acc += (uint64_t)ts.tv_nsec;
    }
    bench_print("floor", "clock_gettime", "ns_per_call",
                (double)(bench_now_ns() - t0) / (double)n, "ns");
    BENCH_CHECK(acc != 1); /* keep the calls */
}

static void floor_unix_write_read(void)
{
    long n = bench_count(500000);
    int sv[2];
    char c = 'x';
    uint64_t t0;

    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(write(sv[0], &c, 1) == 1);
        BENCH_CHECK(read(sv[1], &c, 1) == 1);
    }
    bench_print("floor", "unix_write_read", "ns_per_pair",
                (double)(bench_now_ns() - t0) / (double)n, "ns");
    close(sv[0]);
    close(sv[1]);
}

static void floor_raw_pingpong(void)
{
    long n = bench_count(500000), trips = 0;
    struct epoll_event ev, out[8];
    int ep = epoll_create1(EPOLL_CLOEXEC), sv[2];
    uint64_t t0;

    BENCH_CHECK(ep >= 0);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    for (int i = 0; i < 2; i++) {
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        BENCH_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[i], &ev) == 0);
    }
    t0 = bench_now_ns();
    BENCH_CHECK(write(sv[0], "x", 1) == 1);
    while (trips < n) {
        int k = epoll_wait(ep, out, 8, -1);
        BENCH_CHECK(k > 0);
        for (int j = 0; j < k && trips < n; j++) {
            int side = (int)out[j].data.u32;
            char c;
            BENCH_CHECK(read(sv[side], &c, 1) == 1);
            if (side == 0 && ++trips >= n) {
                break;
            }
            BENCH_CHECK(write(sv[side], &c, 1) == 1);
        }
    }
    bench_print("floor", "raw_pingpong", "us_per_roundtrip",
                (double)(bench_now_ns() - t0) / 1e3 / (double)n, "us");
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    floor_heap(); /* first: its peak RSS should be the heap's */
    floor_epoll_wait0();
    floor_syscall();
    floor_clock_gettime();
    floor_unix_write_read();
    floor_raw_pingpong();
    return 0;
}
