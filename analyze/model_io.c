/*
 * model_io.c — task I/O: what the tasks' loop_read, loop_write, loop_accept
 * and loop_connect found (task_io events, trace format minor 1).
 *
 * Each attempt is added to its loop's totals and to the profile of its task
 * (struct prof: named tasks by name, unnamed ones by spawn site, the way
 * profile groups steps), so memory grows with names and sites, not events.
 * What a result means: read/write, bytes (a read of 0: end of file);
 * accept, the new fd; connect, 0; any op, -errno. -EAGAIN found nothing (the
 * task then waits and tries again), and so does a connect's -EINPROGRESS;
 * other errnos are failures, counted by errno.
 *
 * An attempt whose task is unknown (the trace began after its task_new)
 * goes to the unnamed profile of the unknown site. Attempts outside any task
 * (loop id 0) are model.io_outside: model_feed sends them there without
 * making a loop 0.
 */
#include "model_int.h"

#include <errno.h>

void model__io_add(struct mio *io, uint8_t op, int64_t result)
{
    size_t i;
    int32_t err;

    if (op >= IO_OP_MAX) {
        return; /* an op this analyzer does not know */
    }
    io->calls[op]++;
    if (result >= 0) {
        if (op == IO_READ) {
            io->bytes_read += (uint64_t)result;
            io->eof += result == 0;
        } else if (op == IO_WRITE) {
            io->bytes_written += (uint64_t)result;
        }
        return;
    }
    if (result == -EAGAIN || result == -EWOULDBLOCK || (op == IO_CONNECT && result == -EINPROGRESS)) {
        io->again[op]++;
        return;
    }
    io->failed[op]++;
    err = result < -INT32_MAX ? INT32_MAX : (int32_t)-result;
    for (i = 0; i < MIO_ERRS; i++) {
        if (io->errs[i].count == 0) {
            io->errs[i].err = err;
        }
        if (io->errs[i].err == err) {
            io->errs[i].count++;
            return;
        }
    }
    io->errs_other++;
}

void model__on_task_io(struct model *m, struct mloop *l, const struct event *ev)
{
    const struct mtask *t = ev->id != 0 ? model_task(l, ev->id) : NULL;
    struct prof *p;

    l->flags |= LF_IO;
    model__io_add(&l->io, ev->op, ev->result);
    if (ev->id == 0) {
        return;
    }
    p = t != NULL ? model__prof_task(m, t->name, t->site) : model__prof_task(m, 0, 0);
    if (p != NULL) {
        p->io_traced = 1;
        model__io_add(&p->io, ev->op, ev->result);
    }
}
