/*
 * sys.c — the fault table behind loop__fault() (see sys.h).
 *
 * One process-wide table, one entry per name in LOOP__SYS_LIST. It is real
 * process-wide state (STYLE rule 15): a test arms "the 3rd mmap" for the whole
 * process, whichever loop or thread makes the call. The fast path in sys.h
 * reads only loop__fault_armed (relaxed); everything else happens under
 * `mu`, which is taken only while some fault is armed, i.e. in tests.
 */
#include "sys.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fault {
    bool armed;          /* guarded by mu */
    unsigned skip;       /* calls still allowed before failing; guarded by mu */
    unsigned fail_left;  /* failures still to inject (LOOP__FAULT_FOREVER); guarded by mu */
    int err;             /* guarded by mu */
    long hits;           /* failures injected since armed; guarded by mu */
};

static const char *const names[LOOP__SYS_COUNT] = {
#define LOOP__SYS_NAME_(id, name) [LOOP__SYS_##id] = name,
    LOOP__SYS_LIST(LOOP__SYS_NAME_)
#undef LOOP__SYS_NAME_
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fault table[LOOP__SYS_COUNT];

atomic_uint loop__fault_armed;

static int lookup(const char *name)
{
    for (int i = 0; i < LOOP__SYS_COUNT; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *loop__sys_name(enum loop__sys_id id)
{
    if ((unsigned)id >= LOOP__SYS_COUNT) {
        return NULL;
    }
    return names[id];
}

/* Caller holds mu. */
static void disarm_locked(struct fault *f)
{
    if (f->armed) {
        f->armed = false;
        atomic_fetch_sub_explicit(&loop__fault_armed, 1, memory_order_relaxed);
    }
}

int loop__fault_check_slow(enum loop__sys_id id)
{
    int err = 0;

    if ((unsigned)id >= LOOP__SYS_COUNT) {
        return 0;
    }
    pthread_mutex_lock(&mu);
    struct fault *f = &table[id];
    if (f->armed) {
        if (f->skip > 0) {
            f->skip--;
        } else {
            err = f->err;
            f->hits++;
            if (f->fail_left != LOOP__FAULT_FOREVER && --f->fail_left == 0) {
                disarm_locked(f);
            }
        }
    }
    pthread_mutex_unlock(&mu);
    return err;
}

int loop__fault_set_n(const char *name, unsigned nth, unsigned count, int err)
{
    int i = name != NULL ? lookup(name) : -1;

    if (i < 0 || (nth > 0 && (err <= 0 || count == 0))) {
        return -EINVAL;
    }
    pthread_mutex_lock(&mu);
    struct fault *f = &table[i];
    disarm_locked(f);
    f->hits = 0;
    if (nth > 0) {
        f->skip = nth - 1;
        f->fail_left = count;
        f->err = err;
        f->armed = true;
        atomic_fetch_add_explicit(&loop__fault_armed, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

int loop__fault_set(const char *name, unsigned nth, int err)
{
    return loop__fault_set_n(name, nth, 1, err);
}

int loop__fault_clear(const char *name)
{
    int i = -1;

    if (name != NULL) {
        i = lookup(name);
        if (i < 0) {
            return -EINVAL;
        }
    }
    pthread_mutex_lock(&mu);
    for (int j = 0; j < LOOP__SYS_COUNT; j++) {
        if (i < 0 || i == j) {
            disarm_locked(&table[j]);
        }
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

long loop__fault_hits(const char *name)
{
    int i = name != NULL ? lookup(name) : -1;
    long hits;

    if (i < 0) {
        return -EINVAL;
    }
    pthread_mutex_lock(&mu);
    hits = table[i].hits;
    pthread_mutex_unlock(&mu);
    return hits;
}

/* ---------------------------------------------------------------------- */
/* LOOP_FAULT from the environment                                         */

static const struct {
    const char *name;
    int err;
} errnames[] = {
    {"ENOMEM", ENOMEM}, {"EMFILE", EMFILE},   {"ENFILE", ENFILE},         {"EAGAIN", EAGAIN},
    {"EINTR", EINTR},   {"EIO", EIO},         {"ENOSPC", ENOSPC},         {"EPIPE", EPIPE},
    {"EACCES", EACCES}, {"EPERM", EPERM},     {"ECONNRESET", ECONNRESET}, {"EINVAL", EINVAL},
    {"EBADF", EBADF},   {"ENOBUFS", ENOBUFS}, {"ECONNREFUSED", ECONNREFUSED},
};

static int parse_errno(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end != s && *end == '\0') {
        return v > 0 && v < 4096 ? (int)v : -1;
    }
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
        if (strcmp(errnames[i].name, s) == 0) {
            return errnames[i].err;
        }
    }
    return -1;
}

/* One "name:nth[:errno[:count]]" item; malformed items are ignored. */
static void arm_from_spec(char *item)
{
    char *field[4] = {NULL, NULL, NULL, NULL};
    int n = 0;
    char *save = NULL;

    for (char *tok = strtok_r(item, ":", &save); tok != NULL && n < 4;
         tok = strtok_r(NULL, ":", &save)) {
        field[n++] = tok;
    }
    if (n < 2) {
        return;
    }
    unsigned long nth = strtoul(field[1], NULL, 10);
    int err = n > 2 ? parse_errno(field[2]) : ENOMEM;
    unsigned long count = 1;
    if (n > 3) {
        count = strcmp(field[3], "forever") == 0 ? LOOP__FAULT_FOREVER
                                                 : strtoul(field[3], NULL, 10);
    }
    if (nth == 0 || nth > UINT_MAX || err <= 0 || count == 0 || count > UINT_MAX) {
        return;
    }
    (void)loop__fault_set_n(field[0], (unsigned)nth, (unsigned)count, err);
}

__attribute__((constructor)) static void fault_from_env(void)
{
    const char *env = getenv("LOOP_FAULT");
    char buf[512];
    char *save = NULL;

    if (env == NULL || env[0] == '\0' || strlen(env) >= sizeof(buf)) {
        return;
    }
    strcpy(buf, env);
    for (char *item = strtok_r(buf, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        arm_from_spec(item);
    }
}
