/*
 * trace.c — the tracepoint call-site definitions and the probe loader.
 *
 * The one translation unit that defines LTTNG_UST_TRACEPOINT_DEFINE: the
 * call-site structures of every libloop:* event live here, with dynamic probe
 * linkage, so libloop links only libc/libdl and an untraced program never
 * loads liblttng-ust. (The DEFINE part itself dlopens the small
 * liblttng-ust-tracepoint.so.1 at start-up; without it tracepoints stay off.)
 *
 * Loading the probe: with LD_PRELOAD=liblooptp.so nothing is left to do. With
 * LOOP_TRACE=1 in the environment, a constructor dlopens the probe object
 * liblooptp.so, looking in this order:
 *   1. $LOOP_TRACE_PROBE, a path, when set;
 *   2. next to the object that holds libloop (libloop.so, or the program that
 *      linked libloop.a), then in ../lib from there (programs in build/bin);
 *   3. the installed library directory (LOOP_LIBDIR, set by the build);
 *   4. the plain name, through the dynamic linker's search path.
 * The probe is never unloaded: liblttng-ust does not support it and its
 * threads would keep running. Failing to load logs one warning line and
 * leaves tracing off; the program runs on.
 *
 * Loading at run time (loop__trace_load_now, for `loopctl PID trace on`):
 * the same search, from the loop thread of a process started without
 * LOOP_TRACE. trace.h's early constructor then skipped the registration of
 * libloop's call sites with LTTng (so that an untraced program never loads
 * it): once the probe (and with it liblttng-ust) is loaded, the call sites
 * are registered here, by running the two registration constructors of
 * <lttng/tracepoint.h> again with their counters reset.
 *
 * Process-wide state: only the loader's outcome, written by the constructor
 * before main() or later by loop__trace_load_now under load_mu; read with
 * atomic loads.
 */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The trace encodes the core's enums by value (docs/trace-format.md): keep
 * them equal, or bump the format version.
 */
_Static_assert((int)LOOP_KIND_NONE == LOOP__TP_KIND_NONE && (int)LOOP_KIND_TIMER == LOOP__TP_KIND_TIMER &&
                   (int)LOOP_KIND_IO == LOOP__TP_KIND_IO && (int)LOOP_KIND_SIGNAL == LOOP__TP_KIND_SIGNAL &&
                   (int)LOOP_KIND_DEFER == LOOP__TP_KIND_DEFER && (int)LOOP_KIND_ASYNC == LOOP__TP_KIND_ASYNC &&
                   (int)LOOP_KIND_WORK == LOOP__TP_KIND_WORK && (int)LOOP_KIND_TASK == LOOP__TP_KIND_TASK &&
                   (int)LOOP_KIND_CLOSE == LOOP__TP_KIND_CLOSE && LOOP_KIND_MAX == 9,
               "loop_kind_t changed: update the kind enum in tracepoints/libloop_tp_types.h");
_Static_assert((int)LOOP_RUN_DEFAULT == LOOP__TP_RUN_DEFAULT &&
                   (int)LOOP_RUN_ONCE == LOOP__TP_RUN_ONCE &&
                   (int)LOOP_RUN_NOWAIT == LOOP__TP_RUN_NOWAIT,
               "loop_run_mode_t changed: update the run_mode enum");
_Static_assert((int)LOOP__POLICY_FIFO == LOOP__TP_POLICY_FIFO &&
                   (int)LOOP__POLICY_CHAOS == LOOP__TP_POLICY_CHAOS &&
                   (int)LOOP__POLICY_REPLAY == LOOP__TP_POLICY_REPLAY,
               "loop__policy_t changed: update the policy enum");
#ifdef LOOP_TASK_H
_Static_assert((int)LOOP_TASK_NEW == LOOP__TP_TASK_NEW &&
                   (int)LOOP_TASK_READY == LOOP__TP_TASK_READY &&
                   (int)LOOP_TASK_RUNNING == LOOP__TP_TASK_RUNNING &&
                   (int)LOOP_TASK_WAITING == LOOP__TP_TASK_WAITING &&
                   (int)LOOP_TASK_DONE == LOOP__TP_TASK_DONE &&
                   (int)LOOP_TASK_CANCELLED == LOOP__TP_TASK_CANCELLED &&
                   (int)LOOP_TASK_FAILED == LOOP__TP_TASK_FAILED,
               "loop_task_state_t changed: update the task_state enum");
_Static_assert((int)LOOP_WAIT_NONE == LOOP__TP_WAIT_NONE &&
                   (int)LOOP_WAIT_SLEEP == LOOP__TP_WAIT_SLEEP &&
                   (int)LOOP_WAIT_YIELD == LOOP__TP_WAIT_YIELD &&
                   (int)LOOP_WAIT_FD == LOOP__TP_WAIT_FD &&
                   (int)LOOP_WAIT_JOIN == LOOP__TP_WAIT_JOIN &&
                   (int)LOOP_WAIT_FUTURE == LOOP__TP_WAIT_FUTURE &&
                   (int)LOOP_WAIT_EVENT == LOOP__TP_WAIT_EVENT &&
                   (int)LOOP_WAIT_LOCK == LOOP__TP_WAIT_LOCK &&
                   (int)LOOP_WAIT_CHAN_SEND == LOOP__TP_WAIT_CHANNEL_SEND &&
                   (int)LOOP_WAIT_CHAN_RECV == LOOP__TP_WAIT_CHANNEL_RECV &&
                   (int)LOOP_WAIT_WORK == LOOP__TP_WAIT_WORK &&
                   (int)LOOP_WAIT_GROUP == LOOP__TP_WAIT_GROUP && (int)LOOP_WAIT_MAX == 12,
               "loop_wait_kind_t changed: update the wait_kind enum");
#endif

#ifndef LOOP_LIBDIR
#define LOOP_LIBDIR "/usr/local/lib"
#endif

#define PROBE_NAME "liblooptp.so"

static atomic_int probe_loaded;
#ifndef LOOP_NO_TRACE
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER; /* loop__trace_load_now */
#endif

int loop__trace_probe_loaded(void)
{
    return atomic_load(&probe_loaded);
}

static bool trace_wanted(void)
{
    return loop__env_flag("LOOP_TRACE"); /* env.c: one parser for LOOP_* */
}

/*
 * The directory of the object this code lives in: libloop.so, or the main
 * program when libloop.a was linked in (dladdr names that one "" or argv[0],
 * so ask /proc/self/exe instead). Returns 0 and fills dir, or -1.
 */
static int self_dir(char *dir, size_t size)
{
    Dl_info info;
    struct link_map *map = NULL;
    char path[PATH_MAX];
    char *slash;

    if (dladdr1((void *)&loop__trace_probe_loaded, &info, (void **)&map, RTLD_DL_LINKMAP) == 0) {
        return -1;
    }
    if (map != NULL && map->l_name != NULL && map->l_name[0] != '\0') {
        if (realpath(map->l_name, path) == NULL) {
            return -1;
        }
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

        if (n <= 0) {
            return -1;
        }
        path[n] = '\0';
    }
    slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) >= size) {
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return 0;
}

static void *try_open(const char *path, char *why, size_t why_size)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);

    if (h == NULL && why[0] == '\0') {
        const char *e = dlerror();

        snprintf(why, why_size, "%.400s", e != NULL ? e : path);
    }
    return h;
}

/* dl_iterate_phdr callback: is liblooptp.so mapped? (no file-system search) */
static int probe_mapped(struct dl_phdr_info *info, size_t size, void *data)
{
    const char *base = info->dlpi_name != NULL ? strrchr(info->dlpi_name, '/') : NULL;

    (void)size;
    (void)data;
    base = base != NULL ? base + 1 : info->dlpi_name;
    return base != NULL && strcmp(base, PROBE_NAME) == 0;
}

/* why_prefix: what the warning line starts with when nothing can be loaded. */
static void load_probe(const char *why_prefix)
{
    char dir[PATH_MAX];
    char path[PATH_MAX + sizeof "/../lib/" PROBE_NAME];
    char why[512] = "";
    const char *explicit_path = getenv("LOOP_TRACE_PROBE");
    void *h;

    /* Already there (LD_PRELOAD, or a program that loaded it itself). */
    h = dl_iterate_phdr(probe_mapped, NULL) != 0 ? dlopen(PROBE_NAME, RTLD_NOW | RTLD_NOLOAD)
                                                 : NULL;
    if (h == NULL && explicit_path != NULL && explicit_path[0] != '\0') {
        h = try_open(explicit_path, why, sizeof why);
        if (h == NULL) { /* said, not silently replaced by another probe */
            loop_log(LOOP_LOG_WARN, "LOOP_TRACE_PROBE=%s could not be loaded (%s); looking for "
                     PROBE_NAME " in the usual places", explicit_path, why);
        }
    }
    if (h == NULL && self_dir(dir, sizeof dir) == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, PROBE_NAME);
        if (access(path, R_OK) == 0) {
            h = try_open(path, why, sizeof why);
        }
        if (h == NULL) {
            snprintf(path, sizeof path, "%s/../lib/%s", dir, PROBE_NAME);
            if (access(path, R_OK) == 0) {
                h = try_open(path, why, sizeof why);
            }
        }
    }
    if (h == NULL) {
        snprintf(path, sizeof path, "%s/%s", LOOP_LIBDIR, PROBE_NAME);
        if (access(path, R_OK) == 0) {
            h = try_open(path, why, sizeof why);
        }
    }
    if (h == NULL) {
        h = try_open(PROBE_NAME, why, sizeof why);
    }
    if (h == NULL) {
        loop_log(LOOP_LOG_WARN, "%s the tracepoint probe " PROBE_NAME
                                " could not be loaded (%s); tracing stays off", why_prefix, why);
        return;
    }
    /* Never dlclose(h): see the file comment. */
    atomic_store(&probe_loaded, 1);
}

/*
 * Before main(): the probe must be registered before the first event (a
 * loop created in a constructor or early in main). Without LOOP_TRACE this
 * costs one getenv() and, when LD_PRELOAD brought the probe, one lookup.
 */
__attribute__((constructor)) static void trace_init(void)
{
    if (trace_wanted()) {
        load_probe("LOOP_TRACE is set but");
    } else if (dl_iterate_phdr(probe_mapped, NULL) != 0) {
        atomic_store(&probe_loaded, 1);
    }
}

int loop__trace_load_now(void)
{
#ifdef LOOP_NO_TRACE
    return -ENOTSUP; /* built without tracepoints */
#else
    int rc = 0;

    pthread_mutex_lock(&load_mu);
    if (!atomic_load(&probe_loaded)) {
        load_probe("tracing was asked for but");
    }
    if (!atomic_load(&probe_loaded)) {
        rc = -ENOENT;
    } else if (lttng_ust_tracepoint_dlopen_ptr == NULL ||
               lttng_ust_tracepoint_dlopen_ptr->liblttngust_handle == NULL) {
        /*
         * The call sites were never registered (trace.h's early constructor
         * marked them done without LTTng): register them now that the probe
         * brought liblttng-ust in. Only this module's counters are reset.
         */
        lttng_ust_tracepoint_registered = 0;
        lttng_ust_tracepoint_ptrs_registered = 0;
        lttng_ust__tracepoints__init();
        lttng_ust__tracepoints__ptrs_init();
        if (lttng_ust_tracepoint_dlopen_ptr->liblttngust_handle == NULL) {
            loop_log(LOOP_LOG_WARN, "the tracepoint probe is loaded but liblttng-ust-tracepoint.so.1 "
                                    "is not: libloop's events stay off");
            rc = -ENOENT;
        }
    }
    pthread_mutex_unlock(&load_mu);
    return rc;
#endif
}
