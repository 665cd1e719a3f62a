/*
 * env.c — the LOOP_* environment variables read when a loop is created.
 *   LOOP_DEBUG=1     debug mode
 *   LOOP_SLOW_MS=N   slow callback threshold in ms
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (v == NULL || *v == '\0') {
        return dflt;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n <= 0) {
        loop_log(LOOP_LOG_WARN, "Ignoring %s=\"%s\": not a positive number", name, v);
        return dflt;
    }
    return n;
}

void loop__env_init(loop_t *loop)
{
    loop_set_debug(loop, env_flag("LOOP_DEBUG"));
    loop_set_slow_callback_ms(loop, (uint64_t)env_long("LOOP_SLOW_MS", 100));
}
