/*
 * util.h — small containers and formatting shared by the analyzer files:
 * a u64 → pointer hash map, a string interning table, log-linear histograms,
 * duration/site formatting and a streaming JSON writer.
 * Allocation failures are returned as -ENOMEM (or NULL), never aborted on.
 */
#ifndef LOOP_ANALYZE_UTIL_H
#define LOOP_ANALYZE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------------- */
/* u64 → void * map (open addressing, linear probing, backward-shift delete) */

struct u64map {
    uint64_t *keys;
    void **vals; /* NULL: empty slot */
    size_t cap, len;
};

void *u64map_get(const struct u64map *m, uint64_t key);
/* Insert or replace; val must not be NULL. 0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t key, void *val);
/* Remove; returns the old value or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);
/* Iterate: for (i = 0; u64map_next(m, &i, &k, &v);) */
int u64map_next(const struct u64map *m, size_t *iter, uint64_t *key, void **val);

/* ---------------------------------------------------------------------- */
/* Interned strings: equal strings get one stable pointer and an index.   */

struct strtab {
    char **strs;      /* by index; strs[0] = "" */
    size_t len, cap;
    uint32_t *slots;  /* hash slots holding index + 1, 0 = empty */
    size_t nslots;
};

int strtab_init(struct strtab *t);
/* The interned copy's index (0 for ""), or -ENOMEM. */
int64_t strtab_intern(struct strtab *t, const char *s);
/* The index of s if it is interned, else -1. */
int64_t strtab_find(const struct strtab *t, const char *s);
static inline const char *strtab_str(const struct strtab *t, uint32_t idx)
{
    return idx < t->len ? t->strs[idx] : "";
}
void strtab_free(struct strtab *t);

/* ---------------------------------------------------------------------- */
/* Log-linear histogram of nanosecond values: 16 sub-buckets per power of  */
/* two (relative error under 6.25%), buckets allocated on first use.       */

#define HIST_SUB_BITS 4
#define HIST_NBUCKETS ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
    uint64_t count, sum, min, max;
    uint32_t *b; /* HIST_NBUCKETS counters */
};

int hist_add(struct hist *h, uint64_t v);
/* The value at quantile q (0..1): the middle of its bucket, clamped to [min, max]. */
uint64_t hist_quantile(const struct hist *h, double q);
void hist_free(struct hist *h);

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */

/* "812 ns", "4.2 us", "12.3 ms", "1.50 s" into buf (>= 32 bytes). */
const char *fmt_dur(char *buf, size_t len, uint64_t ns);
/* "file:line (func)", "file:line", or "?" into buf. */
const char *fmt_site(char *buf, size_t len, const char *file, int32_t line, const char *func);

/* ---------------------------------------------------------------------- */
/* JSON writer: keys are NULL inside arrays. Output is one document.      */

struct jw {
    FILE *f;
    int depth;
    int first[64];
    int pretty;
};

void jw_init(struct jw *w, FILE *f, int pretty);
void jw_obj(struct jw *w, const char *key);   /* { */
void jw_arr(struct jw *w, const char *key);   /* [ */
void jw_end_obj(struct jw *w);                /* } */
void jw_end_arr(struct jw *w);                /* ] */
void jw_str(struct jw *w, const char *key, const char *val); /* NULL → null */
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_dbl(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, int val);
void jw_null(struct jw *w, const char *key);
/* A JSON string literal (with quotes) for s, to f. */
void json_escape(FILE *f, const char *s);
/* s as HTML/XML text or attribute value (&lt; &gt; &amp; &quot;), to f. */
void markup_escape(FILE *f, const char *s);

#endif /* LOOP_ANALYZE_UTIL_H */
