/*
 * libloop_tp.c — the probe object of the "libloop" provider.
 *
 * Built alone into build/lib/liblooptp.so, linked with liblttng-ust. libloop
 * never links it: it is loaded by LD_PRELOAD or by libloop's dlopen() when
 * LOOP_TRACE=1 (libloop/core/trace.c). Loading it registers the probes and starts
 * liblttng-ust's listener threads; it is never unloaded.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "libloop_tp.h"
