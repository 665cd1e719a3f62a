/*
 * footprint.c — what each dispatch touches, for loop-replay explore --por.
 *
 * Under LOOP_EXPLORE with LOOP_EXPLORE_LOG, every dispatch adds one line to
 * the log after the choice points it follows:
 *   D<id> <key> <key> ...
 * where a key is what libloop saw the item do while it ran:
 *   f<fd>  task I/O on fd (loop_read, loop_write, loop_accept, loop_connect,
 *          loop_wait_fd), or the fd of the I/O watcher dispatched;
 *   o<id>  a future, event, lock or channel (task_sync.c), by its id;
 *   w<id>  an item it made ready (a wake);
 *   h<id>  a queued item it took off the ready queue (stop, close, cancel);
 *   *      more than fits in a line: conflicts with everything.
 * and "I" begins each iteration. The keys see libloop objects only: memory
 * the items share, and system calls made outside the task I/O helpers (a
 * plain write() to a pipe another item reads), are invisible here; explore
 * says so when it prunes on them (docs/schedule-format.md).
 */
#include <stdio.h>
#include <string.h>

#include "record.h"

void loop__fp_begin(loop_t *loop, const loop_handle_t *h, int kind)
{
    struct loop__rr *rr = loop->rr;

    rr->fp_on = true;
    rr->fp_len = (size_t)snprintf(rr->fp_buf, sizeof(rr->fp_buf), "D%llu",
                                  (unsigned long long)h->id);
    if (kind == LOOP_KIND_IO) {
        loop__fp_add(loop, 'f', (uint64_t)((const loop_io_t *)h)->fd);
    }
}

void loop__fp_add(loop_t *loop, char tag, uint64_t key)
{
    struct loop__rr *rr = loop->rr;
    char one[32];
    int n = snprintf(one, sizeof(one), " %c%llu", tag, (unsigned long long)key);

    for (const char *p = rr->fp_buf; (p = strstr(p, one)) != NULL; p += n) {
        if (p[n] == ' ' || p[n] == '\0') {
            return; /* once is enough */
        }
    }
    if (rr->fp_len + (size_t)n + 3 > sizeof(rr->fp_buf)) {
        if (rr->fp_len + 3 <= sizeof(rr->fp_buf) && rr->fp_buf[rr->fp_len - 1] != '*') {
            rr->fp_len += (size_t)snprintf(rr->fp_buf + rr->fp_len, 3, " *");
        }
        return;
    }
    memcpy(rr->fp_buf + rr->fp_len, one, (size_t)n + 1);
    rr->fp_len += (size_t)n;
}

void loop__fp_end(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;

    if (rr->fp_on && rr->explore_log != NULL) {
        fprintf(rr->explore_log, "%s\n", rr->fp_buf);
    }
    rr->fp_on = false;
}
