/*
 * env.c — the LOOP_* environment variables read when a loop is created.
 *   LOOP_DEBUG=1   debug mode (misuse reports; more with the debug-mode issue)
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

void loop__env_init(loop_t *loop)
{
    loop->debug = env_flag("LOOP_DEBUG");
}
