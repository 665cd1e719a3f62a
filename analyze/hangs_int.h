/*
 * hangs_int.h — what the hangs report's files share (hangs.c, hangs_text.c,
 * hangs_json.c, hangs_live.c, hangs_stuck.c). Not for other reports.
 */
#ifndef LOOP_ANALYZE_HANGS_INT_H
#define LOOP_ANALYZE_HANGS_INT_H

#include "report.h"
#include "symbolize.h"

/* A wait on a task or a sync object (not time, not I/O). */
int hangs__is_sync_wait(uint8_t k);
/* qsort order of struct hang: by process, loop, task id. */
int hangs__cmp(const void *a, const void *b);
/* The top-K instances, longest first (out holds MODEL_TOPK). */
void hangs__sorted_topk(const struct topk *k, struct instance *out, size_t *n);

/* Text sections; *shown counts what was printed. */
void hangs__text_cycles(const struct ctx *c, size_t *shown);
void hangs__text_instance(const struct ctx *c, const struct instance *in, const char *what);
void hangs__text_stalls(const struct ctx *c, size_t *shown);
void hangs__text_crashes(const struct ctx *c, size_t *shown);
int hangs__json_report(const struct ctx *c);

/* hangs_stuck.c: loops that ran out of work with tasks waiting (model.stucks). */
void hangs__text_stucks(const struct ctx *c, size_t *shown);
void hangs__json_stucks(const struct ctx *c, struct jw *w);

/* hangs_lost.c: lost wakeups certain while the loop ran (model.losts). */
void hangs__text_losts(const struct ctx *c, size_t *shown);
void hangs__json_losts(const struct ctx *c, struct jw *w);

#endif /* LOOP_ANALYZE_HANGS_INT_H */
