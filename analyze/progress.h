/*
 * progress.h — a progress line on stderr while loop-analyze reads (progress.c).
 */
#ifndef LOOP_ANALYZE_PROGRESS_H
#define LOOP_ANALYZE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
    int on, drawn;
    uint64_t events;
    uint64_t bytes;            /* stream files on disk */
    uint64_t t_begin, t_end;   /* the trace's span from its packet indexes (cycles), 0 unknown */
    uint64_t first_ts;         /* the first event's time seen while drawing */
    uint64_t t_start, t_last_draw, interval_ns;
};

/* enabled: not --quiet, not live; it also needs stderr to be a terminal. */
void progress_open(struct progress *p, const char *const *inputs, size_t n, int enabled);
void progress__draw(struct progress *p, uint64_t ts);
/* Per event: a counter, and a clock read every 16384 events. */
static inline void progress_event(struct progress *p, uint64_t ts)
{
    if (p->on && (++p->events & 16383) == 0) {
        progress__draw(p, ts);
    }
    if (p->on && p->events == 1) {
        p->first_ts = ts;
    }
}
void progress_close(struct progress *p);

#endif
