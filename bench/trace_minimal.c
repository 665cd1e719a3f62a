/*
 * trace_minimal.c — the reference for bench/trace_overhead.sh: N calls
 * (argv[1], default 5,000,000) of the minimal provider's one-integer event
 * loop_bench:tick in a tight loop. Reports wall ns per call:
 *     trace.minimal.ns_per_call 178.2 ns
 * With no session enabling loop_bench:tick this is the cost of a disabled
 * call site (plus the loop); with one, the bare LTTng-UST cost per event.
 * N = 0: emits nothing (the start-up measurement of a program that links
 * liblttng-ust).
 */
#include "bench.h"
#include "trace_minimal_tp.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000000;
    uint64_t t0, t;

    if (n <= 0) {
        return 0;
    }
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        lttng_ust_tracepoint(loop_bench, tick, (int64_t)i);
    }
    t = bench_now_ns() - t0;
    /* Two decimals: a disabled call site costs about a nanosecond. */
    printf("trace.minimal.ns_per_call %.2f ns\n", (double)t / (double)n);
    return 0;
}
