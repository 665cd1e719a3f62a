/*
 * progress.c — what a long read shows on a terminal: events read, how far
 * into the trace, the rate, and the size on disk. One line on stderr,
 * redrawn at most four times a second, erased when the read ends; nothing
 * when stderr is not a terminal, with --quiet, or for a live session.
 *
 * How far: the share of the trace's time already read. The trace's time
 * span comes from LTTng's packet index files (index/STREAM.idx next to each
 * stream: big-endian entries whose timestamp_begin/timestamp_end are in
 * clock cycles of a 1 GHz clock for LTTng-UST), so no extra pass over the
 * data is needed; the muxer delivers events in time order, so that share
 * is also about the share of the bytes. Without index files only the
 * counts are shown. LOOP_ANALYZE_PROGRESS_MS sets the redraw interval
 * (default 250; tests use 0).
 */
#define _XOPEN_SOURCE 700
#include "progress.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTF_INDEX_MAGIC 0xC1F1DCC1u

static struct progress *g_walk; /* nftw has no user argument */

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void read_index(struct progress *p, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char hdr[16], ent[256];
    uint32_t magic, len;

    if (f == NULL) {
        return;
    }
    if (fread(hdr, 1, sizeof hdr, f) == sizeof hdr) {
        memcpy(&magic, hdr, 4);
        memcpy(&len, hdr + 12, 4);
        magic = ntohl(magic);
        len = ntohl(len);
        if (magic == CTF_INDEX_MAGIC && len >= 40 && len <= sizeof ent) {
            while (fread(ent, 1, len, f) == len) {
                uint64_t b = be64(ent + 24), e = be64(ent + 32);
                if (b != 0 && (p->t_begin == 0 || b < p->t_begin)) {
                    p->t_begin = b;
                }
                if (e > p->t_end) {
                    p->t_end = e;
                }
            }
        }
    }
    fclose(f);
}

static int walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *base = path + ftw->base;
    size_t n = strlen(path);

    if (type != FTW_F) {
        return 0;
    }
    if (n > 4 && strcmp(path + n - 4, ".idx") == 0) {
        read_index(g_walk, path);
    } else if (strcmp(base, "metadata") != 0) {
        g_walk->bytes += (uint64_t)st->st_size;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_open(struct progress *p, const char *const *inputs, size_t n, int enabled)
{
    size_t i;

    memset(p, 0, sizeof(*p));
    if (!enabled || !isatty(STDERR_FILENO)) {
        return;
    }
    p->on = 1;
    g_walk = p;
    for (i = 0; i < n; i++) {
        nftw(inputs[i], walk, 16, FTW_PHYS);
    }
    g_walk = NULL;
    p->t_start = now_ns();
    p->t_last_draw = p->t_start;
    p->interval_ns = 250000000u;
    if (getenv("LOOP_ANALYZE_PROGRESS_MS") != NULL) { /* tests: redraw at every check */
        p->interval_ns = strtoull(getenv("LOOP_ANALYZE_PROGRESS_MS"), NULL, 10) * 1000000u;
    }
}

void progress__draw(struct progress *p, uint64_t ts)
{
    uint64_t now = now_ns();
    double secs, rate;
    char pct[48] = "";

    if (now - p->t_last_draw < p->interval_ns) {
        return;
    }
    p->t_last_draw = now;
    if (p->first_ts == 0) {
        p->first_ts = ts;
    }
    secs = (double)(now - p->t_start) / 1e9;
    rate = secs > 0 ? (double)p->events / secs : 0;
    if (p->t_end > p->t_begin && ts >= p->first_ts) {
        double f = (double)(ts - p->first_ts) / (double)(p->t_end - p->t_begin);
        snprintf(pct, sizeof pct, "%3.0f%% of ", 100.0 * (f > 1 ? 1 : f));
    }
    fprintf(stderr, "\rloop-analyze: %.1fM events, +%.3f s into the trace, %.0fk events/s, %s%.1f MB   ",
            (double)p->events / 1e6, p->first_ts && ts > p->first_ts ? (double)(ts - p->first_ts) / 1e9 : 0.0,
            rate / 1e3, pct, (double)p->bytes / 1e6);
    p->drawn = 1;
}

void progress_close(struct progress *p)
{
    if (p->drawn) {
        fprintf(stderr, "\r%*s\r", 100, "");
    }
    p->on = 0;
}
