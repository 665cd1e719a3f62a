/*
 * trace_minimal_tp.h — the smallest useful LTTng-UST provider: one event with
 * one integer. bench/trace_overhead.sh measures its per-event cost in the same
 * session as libloop's events, as the "bare LTTng-UST" reference.
 * Provider "loop_bench", event "tick" (field: int64 v).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER loop_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./trace_minimal_tp.h"

#if !defined(LOOP_TRACE_MINIMAL_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define LOOP_TRACE_MINIMAL_TP_H

#ifndef LTTNG_UST_COMPAT_API_VERSION
#define LTTNG_UST_COMPAT_API_VERSION 1
#endif

#include <stdint.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(loop_bench, tick,
    LTTNG_UST_TP_ARGS(int64_t, v),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int64_t, v, v)
    )
)

#endif /* LOOP_TRACE_MINIMAL_TP_H */

#include <lttng/tracepoint-event.h>
