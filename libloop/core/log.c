/*
 * log.c — the log: one line per message, "libloop: " first, through a sink
 * (stderr by default), and the loop's error reports built on it.
 * The sink and level are process-wide (set them before starting threads).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "trace.h"

static loop_log_sink log_sink;
static void *log_userdata;
static atomic_int log_level = LOOP_LOG_INFO;

void loop_log_set_sink(loop_log_sink sink, void *userdata)
{
    log_sink = sink;
    log_userdata = userdata;
}

void loop_log_set_level(loop_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}

void loop__logv(loop_log_level_t level, const char *fmt, va_list ap)
{
    char line[1024];
    int n;

    if ((int)level < atomic_load_explicit(&log_level, memory_order_relaxed)) {
        return;
    }
    n = snprintf(line, sizeof(line), "libloop: ");
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (log_sink != NULL) {
        log_sink(level, line, log_userdata);
        return;
    }
    size_t len = strlen(line);
    line[len < sizeof(line) - 1 ? len : sizeof(line) - 2] = '\n';
    line[len < sizeof(line) - 1 ? len + 1 : sizeof(line) - 1] = '\0';
    fputs(line, stderr);
}

void loop_log(loop_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loop__logv(level, fmt, ap);
    va_end(ap);
}

void loop__report_error(loop_t *loop, int err, const loop_handle_t *h, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    LOOP_TRACE(error, loop, h, err, msg);
    loop__error(loop, err, loop ? loop->current_task : 0, h, h ? h->site : NULL, msg);
}

void loop__misuse(loop_t *loop, const loop_handle_t *h, const char *api, const char *what)
{
    if (loop == NULL || !loop->debug) {
        return;
    }
    const loop_site_t *s = h ? h->site : NULL;
    if (h == NULL) {
        loop_log(LOOP_LOG_WARN, "Misuse: %s: %s loop=%llu", api, what,
                 (unsigned long long)loop->id);
        return;
    }
    loop_log(LOOP_LOG_WARN, "Misuse: %s: %s kind=%s id=%llu name=\"%s\" site=%s:%d (%s)", api,
             what, loop_kind_name(h->kind), (unsigned long long)h->id, loop__h_label(h),
             s ? s->file : "?", s ? s->line : 0, s ? s->func : "?");
}
