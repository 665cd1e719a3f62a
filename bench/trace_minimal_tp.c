/*
 * trace_minimal_tp.c — the probe of the minimal provider (trace_minimal_tp.h),
 * linked statically into bench/trace_minimal (with -llttng-ust).
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "trace_minimal_tp.h"
