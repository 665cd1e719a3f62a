/*
 * complete.c — tab completion in loopctl's console (libedit's readline
 * interface): the first word completes to a monitor command; the word after
 * `where` or `cancel` to a task id of the loop, asked from the monitor (`ps`)
 * on the console's own connection when Tab is pressed; after `trace` to on/off.
 */
#include "loopctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

static const char *const commands[] = {"ps", "ps-done", "where", "cancel", "handles", "stats",
                                       "slow", "trace", "help", "quit", NULL};
static const char *const trace_args[] = {"on", "off", NULL};
static int g_fd = -1;
static char **g_ids;     /* task ids and names of the last ps, for the generator */
static size_t g_nids;

static void ids_free(void)
{
    for (size_t i = 0; i < g_nids; i++) {
        free(g_ids[i]);
    }
    free(g_ids);
    g_ids = NULL;
    g_nids = 0;
}

/* The ids of the tasks the monitor lists now ("task id=N ..." lines of ps). */
static void ids_load(void)
{
    char err[200], *reply = loopctl_ask(g_fd, "ps", 2000, err, sizeof err), *line, *save = NULL;

    ids_free();
    for (line = reply ? strtok_r(reply, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long id;
        char **nv, buf[32];
        if (sscanf(line, "task id=%llu", &id) != 1) {
            continue;
        }
        nv = realloc(g_ids, (g_nids + 1) * sizeof(*nv));
        if (nv == NULL) {
            break;
        }
        g_ids = nv;
        snprintf(buf, sizeof buf, "%llu", id);
        g_ids[g_nids] = strdup(buf);
        if (g_ids[g_nids] != NULL) {
            g_nids++;
        }
    }
    free(reply);
}

static char *gen_from(const char *const *words, size_t n, const char *text, int state)
{
    static size_t i;
    size_t len = strlen(text);

    if (state == 0) {
        i = 0;
    }
    while (i < n) {
        const char *w = words[i++];
        if (strncmp(w, text, len) == 0) {
            return strdup(w);
        }
    }
    return NULL;
}

static char *gen_command(const char *text, int state)
{
    return gen_from(commands, sizeof commands / sizeof commands[0] - 1, text, state);
}

static char *gen_id(const char *text, int state)
{
    return gen_from((const char *const *)g_ids, g_nids, text, state);
}

static char *gen_trace(const char *text, int state)
{
    return gen_from(trace_args, sizeof trace_args / sizeof trace_args[0] - 1, text, state);
}

static char **complete(const char *text, int start, int end)
{
    const char *line = rl_line_buffer;
    size_t skip = strspn(line, " \t");

    (void)end;
    rl_attempted_completion_over = 1; /* never file names */
    if ((size_t)start <= skip) {
        return rl_completion_matches(text, gen_command);
    }
    if (strncmp(line + skip, "where ", 6) == 0 || strncmp(line + skip, "cancel ", 7) == 0) {
        ids_load();
        return rl_completion_matches(text, gen_id);
    }
    if (strncmp(line + skip, "trace ", 6) == 0) {
        return rl_completion_matches(text, gen_trace);
    }
    return NULL;
}

void loopctl_complete_init(int fd)
{
    g_fd = fd;
    rl_attempted_completion_function = complete;
}
