/*
 * util.c — containers and formatting for the analyzer (util.h).
 */
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* u64map                                                                  */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    size_t i;

    if (m->cap == 0) {
        return NULL;
    }
    i = mix64(key) & (m->cap - 1);
    while (m->vals[i] != NULL) {
        if (m->keys[i] == key) {
            return m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static int u64map_grow(struct u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16, i, j;
    uint64_t *nk = malloc(ncap * sizeof(*nk));
    void **nv = calloc(ncap, sizeof(*nv));

    if (nk == NULL || nv == NULL) {
        free(nk);
        free(nv);
        return -ENOMEM;
    }
    for (i = 0; i < m->cap; i++) {
        if (m->vals[i] == NULL) {
            continue;
        }
        j = mix64(m->keys[i]) & (ncap - 1);
        while (nv[j] != NULL) {
            j = (j + 1) & (ncap - 1);
        }
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
    return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *val)
{
    size_t i;

    if ((m->len + 1) * 4 >= m->cap * 3) {
        int rc = u64map_grow(m);
        if (rc < 0) {
            return rc;
        }
    }
    i = mix64(key) & (m->cap - 1);
    while (m->vals[i] != NULL) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = val;
    m->len++;
    return 0;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    size_t i, j, k;
    void *old;

    if (m->cap == 0) {
        return NULL;
    }
    i = mix64(key) & (m->cap - 1);
    while (m->vals[i] != NULL && m->keys[i] != key) {
        i = (i + 1) & (m->cap - 1);
    }
    if (m->vals[i] == NULL) {
        return NULL;
    }
    old = m->vals[i];
    m->vals[i] = NULL;
    m->len--;
    /* backward-shift: move later entries of the run into the hole */
    j = i;
    for (;;) {
        j = (j + 1) & (m->cap - 1);
        if (m->vals[j] == NULL) {
            break;
        }
        k = mix64(m->keys[j]) & (m->cap - 1);
        /* entry at j may move to i if its home k is not in (i, j] cyclically */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->vals[j] = NULL;
            i = j;
        }
    }
    return old;
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

int u64map_next(const struct u64map *m, size_t *iter, uint64_t *key, void **val)
{
    while (*iter < m->cap) {
        size_t i = (*iter)++;
        if (m->vals[i] != NULL) {
            if (key != NULL) {
                *key = m->keys[i];
            }
            if (val != NULL) {
                *val = m->vals[i];
            }
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* strtab                                                                  */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

int strtab_init(struct strtab *t)
{
    memset(t, 0, sizeof(*t));
    return strtab_intern(t, "") < 0 ? -ENOMEM : 0;
}

static int strtab_rehash(struct strtab *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 64, i;
    uint32_t *s = calloc(n, sizeof(*s));

    if (s == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < t->len; i++) {
        size_t j = str_hash(t->strs[i]) & (n - 1);
        while (s[j] != 0) {
            j = (j + 1) & (n - 1);
        }
        s[j] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = s;
    t->nslots = n;
    return 0;
}

int64_t strtab_find(const struct strtab *t, const char *s)
{
    size_t j;

    if (t->nslots == 0) {
        return -1;
    }
    j = str_hash(s) & (t->nslots - 1);
    while (t->slots[j] != 0) {
        uint32_t idx = t->slots[j] - 1;
        if (strcmp(t->strs[idx], s) == 0) {
            return idx;
        }
        j = (j + 1) & (t->nslots - 1);
    }
    return -1;
}

int64_t strtab_intern(struct strtab *t, const char *s)
{
    size_t j;
    char *dup;

    if (s == NULL) {
        s = "";
    }
    if ((t->len + 1) * 2 >= t->nslots && strtab_rehash(t) < 0) {
        return -ENOMEM;
    }
    j = str_hash(s) & (t->nslots - 1);
    while (t->slots[j] != 0) {
        uint32_t idx = t->slots[j] - 1;
        if (strcmp(t->strs[idx], s) == 0) {
            return idx;
        }
        j = (j + 1) & (t->nslots - 1);
    }
    if (t->len == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        char **ns = realloc(t->strs, nc * sizeof(*ns));
        if (ns == NULL) {
            return -ENOMEM;
        }
        t->strs = ns;
        t->cap = nc;
    }
    dup = strdup(s);
    if (dup == NULL) {
        return -ENOMEM;
    }
    t->strs[t->len] = dup;
    t->slots[j] = (uint32_t)(t->len + 1);
    return (int64_t)t->len++;
}

void strtab_free(struct strtab *t)
{
    size_t i;

    for (i = 0; i < t->len; i++) {
        free(t->strs[i]);
    }
    free(t->strs);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------------- */
/* hist                                                                    */

static unsigned hist_index(uint64_t v)
{
    unsigned e;

    if (v < (1u << HIST_SUB_BITS)) {
        return (unsigned)v;
    }
    e = 63u - (unsigned)__builtin_clzll(v);
    return ((e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) |
           (unsigned)((v >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1));
}

/* [lo, hi] of bucket idx */
static void hist_bounds(unsigned idx, uint64_t *lo, uint64_t *hi)
{
    unsigned e, m;

    if (idx < (1u << HIST_SUB_BITS)) {
        *lo = *hi = idx;
        return;
    }
    e = (idx >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
    m = idx & ((1u << HIST_SUB_BITS) - 1);
    *lo = ((uint64_t)((1u << HIST_SUB_BITS) | m)) << (e - HIST_SUB_BITS);
    *hi = *lo + (((uint64_t)1 << (e - HIST_SUB_BITS)) - 1);
}

int hist_add(struct hist *h, uint64_t v)
{
    if (h->b == NULL) {
        h->b = calloc(HIST_NBUCKETS, sizeof(*h->b));
        if (h->b == NULL) {
            return -ENOMEM;
        }
    }
    if (h->count == 0 || v < h->min) {
        h->min = v;
    }
    if (v > h->max) {
        h->max = v;
    }
    h->count++;
    h->sum += v;
    h->b[hist_index(v)]++;
    return 0;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    uint64_t rank, seen = 0, lo, hi, v;
    unsigned i;

    if (h->count == 0 || h->b == NULL) {
        return 0;
    }
    if (q >= 1.0) {
        return h->max;
    }
    rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count) {
        rank = h->count - 1;
    }
    for (i = 0; i < HIST_NBUCKETS; i++) {
        seen += h->b[i];
        if (seen > rank) {
            break;
        }
    }
    if (i == HIST_NBUCKETS) {
        return h->max;
    }
    hist_bounds(i, &lo, &hi);
    v = lo + (hi - lo) / 2;
    if (v < h->min) {
        v = h->min;
    }
    if (v > h->max) {
        v = h->max;
    }
    return v;
}

void hist_free(struct hist *h)
{
    free(h->b);
    memset(h, 0, sizeof(*h));
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */

const char *fmt_dur(char *buf, size_t len, uint64_t ns)
{
    if (ns < 1000) {
        snprintf(buf, len, "%llu ns", (unsigned long long)ns);
    } else if (ns < 1000000) {
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    } else if (ns < 1000000000) {
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    } else {
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    }
    return buf;
}

const char *fmt_site(char *buf, size_t len, const char *file, int32_t line, const char *func)
{
    if (file == NULL || file[0] == '\0') {
        snprintf(buf, len, "?");
    } else if (func != NULL && func[0] != '\0') {
        snprintf(buf, len, "%s:%d (%s)", file, (int)line, func);
    } else {
        snprintf(buf, len, "%s:%d", file, (int)line);
    }
    return buf;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

void markup_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

void json_escape(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    fputc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

void jw_init(struct jw *w, FILE *f, int pretty)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->pretty = pretty;
    w->first[0] = 1;
}

static void jw_sep(struct jw *w, const char *key)
{
    int i;

    if (!w->first[w->depth]) {
        fputc(',', w->f);
    }
    w->first[w->depth] = 0;
    if (w->pretty && w->depth > 0) {
        fputc('\n', w->f);
        for (i = 0; i < w->depth; i++) {
            fputs("  ", w->f);
        }
    }
    if (key != NULL) {
        json_escape(w->f, key);
        fputs(w->pretty ? ": " : ":", w->f);
    }
}

static void jw_open(struct jw *w, const char *key, int c)
{
    jw_sep(w, key);
    fputc(c, w->f);
    if (w->depth < 63) {
        w->depth++;
    }
    w->first[w->depth] = 1;
}

static void jw_close(struct jw *w, int c)
{
    int i, empty = w->first[w->depth];

    if (w->depth > 0) {
        w->depth--;
    }
    if (w->pretty && !empty) {
        fputc('\n', w->f);
        for (i = 0; i < w->depth; i++) {
            fputs("  ", w->f);
        }
    }
    fputc(c, w->f);
    if (w->depth == 0) {
        fputc('\n', w->f);
    }
}

void jw_obj(struct jw *w, const char *key)
{
    jw_open(w, key, '{');
}
void jw_arr(struct jw *w, const char *key)
{
    jw_open(w, key, '[');
}
void jw_end_obj(struct jw *w)
{
    jw_close(w, '}');
}
void jw_end_arr(struct jw *w)
{
    jw_close(w, ']');
}
void jw_str(struct jw *w, const char *key, const char *val)
{
    jw_sep(w, key);
    if (val == NULL) {
        fputs("null", w->f);
    } else {
        json_escape(w->f, val);
    }
}
void jw_u64(struct jw *w, const char *key, uint64_t val)
{
    jw_sep(w, key);
    fprintf(w->f, "%llu", (unsigned long long)val);
}
void jw_i64(struct jw *w, const char *key, int64_t val)
{
    jw_sep(w, key);
    fprintf(w->f, "%lld", (long long)val);
}
void jw_dbl(struct jw *w, const char *key, double val)
{
    jw_sep(w, key);
    if (val != val || val > 1e300 || val < -1e300) {
        fputs("null", w->f);
    } else {
        fprintf(w->f, "%.6g", val);
    }
}
void jw_bool(struct jw *w, const char *key, int val)
{
    jw_sep(w, key);
    fputs(val ? "true" : "false", w->f);
}
void jw_null(struct jw *w, const char *key)
{
    jw_sep(w, key);
    fputs("null", w->f);
}
