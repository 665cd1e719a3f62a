/*
 * loop_model.h — a randomized model-based test of the loop (issue 13,
 * "beyond the list"), shared by tests/test_model.c (seeded runs in make
 * check, under every sanitizer build) and tests/fuzz/fuzz_loop.c (libFuzzer
 * drives the same operations from its input).
 *
 * A byte stream picks operations on a few slots of each kind: start, stop,
 * restart and close timers; start and close call-soons; make socketpair
 * watchers readable; send async wakeups from this thread and from a helper
 * thread; spawn tasks that sleep, take a lock, wait on an event or pass a
 * value through a channel, cancel them; ask a callback to close its own
 * handle; run the loop once or without waiting. A reference model follows
 * along and every callback checks it:
 *   - a started one-shot timer fires once, at or after its due time on the
 *     loop clock, and never after it was stopped or closed; timers due at
 *     the same time fire in start order;
 *   - call-soons run in the order they were started (FIFO), once per start;
 *   - a watcher fires only when its socket has unread bytes;
 *   - every close callback runs exactly once, and no callback runs after it;
 *   - every spawned task ends (done or cancelled) and its join gives its
 *     result;
 *   - at the end, after closing everything, loop_close() returns 0.
 * A violation prints one line and aborts (a Criterion crash, a fuzzer
 * finding).
 */
#ifndef LOOP_TEST_MODEL_H
#define LOOP_TEST_MODEL_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <loop.h>

#define M_SLOTS 6
#define M_TASKS 8

#define M_CHECK(cond, ...)                                                                       \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "loop_model: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                        \
            fputc('\n', stderr);                                                                 \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

enum m_state { M_FREE = 0, M_OPEN, M_CLOSING };

struct m_timer {
    loop_timer_t t;
    int state;
    int armed;           /* started one-shot, not yet fired or stopped */
    uint64_t due_ns;     /* loop clock */
    uint64_t start_seq;  /* for the tie order */
    int close_in_cb;
};

struct m_defer {
    loop_defer_t d;
    int state;
    int pending;         /* started, not yet run */
    uint64_t seq;        /* start order */
    int close_in_cb;
};

struct m_io {
    loop_io_t io;
    int fds[2];
    int state;
    size_t unread;       /* bytes written to fds[1] not yet read */
    int close_in_cb;
};

struct m_async {
    loop_async_t a;
    int state;
    int sent;            /* sends not yet answered by a callback */
};

struct m_task {
    loop_task_t *t;
    int kind;
    intptr_t want;       /* its result when it runs to its end */
    int cancelled;
};

struct m_world {
    loop_t *loop;
    struct m_timer timers[M_SLOTS];
    struct m_defer defers[M_SLOTS];
    struct m_io ios[M_SLOTS];
    struct m_async asyncs[M_SLOTS];
    struct m_task tasks[M_TASKS];
    int ntasks;
    loop_lock_t *lock;
    loop_event_t *event;
    loop_chan_t *chan;
    uint64_t seq;             /* start counter (timers, call-soons) */
    uint64_t last_defer_seq;  /* FIFO: the last call-soon run */
    uint64_t last_timer_due, last_timer_seq; /* tie order within one due time */
    int closes_wanted, closes_seen;
    pthread_t sender;
    int sender_started;
    const uint8_t *in;
    size_t len, pos;
};

static struct m_world *m_w;

static int m_byte(struct m_world *w)
{
    return w->pos < w->len ? w->in[w->pos++] : -1;
}

static void m_on_close(loop_handle_t *h)
{
    struct m_world *w = m_w;
    int found = 0;

    for (int i = 0; i < M_SLOTS; i++) {
        if (h == &w->timers[i].t.handle && w->timers[i].state == M_CLOSING) {
            w->timers[i].state = M_FREE;
            found = 1;
        } else if (h == &w->defers[i].d.handle && w->defers[i].state == M_CLOSING) {
            w->defers[i].state = M_FREE;
            found = 1;
        } else if (h == &w->ios[i].io.handle && w->ios[i].state == M_CLOSING) {
            w->ios[i].state = M_FREE;
            close(w->ios[i].fds[0]);
            close(w->ios[i].fds[1]);
            found = 1;
        } else if (h == &w->asyncs[i].a.handle && w->asyncs[i].state == M_CLOSING) {
            w->asyncs[i].state = M_FREE;
            found = 1;
        }
    }
    M_CHECK(found, "a close callback for a handle not closing (twice, or never closed)");
    w->closes_seen++;
}

static void m_close(loop_handle_t *h, int *state)
{
    M_CHECK(*state == M_OPEN, "closing a handle that is not open");
    *state = M_CLOSING;
    m_w->closes_wanted++;
    M_CHECK(loop_handle_close(h, m_on_close) == 0, "loop_handle_close failed");
}

static void m_on_timer(loop_timer_t *t)
{
    struct m_world *w = m_w;
    struct m_timer *mt = (struct m_timer *)t; /* the handle is the first member of both */
    uint64_t now = loop_now(w->loop);

    M_CHECK(mt->state == M_OPEN, "a timer callback after its close");
    M_CHECK(mt->armed, "a timer fired that was not armed (stopped, or fired twice)");
    M_CHECK(now >= mt->due_ns, "a timer fired %llu ns early",
            (unsigned long long)(mt->due_ns - now));
    if (mt->due_ns == w->last_timer_due) {
        M_CHECK(mt->start_seq > w->last_timer_seq, "equal deadlines out of start order");
    }
    w->last_timer_due = mt->due_ns;
    w->last_timer_seq = mt->start_seq;
    mt->armed = 0;
    if (mt->close_in_cb) {
        m_close(&t->handle, &mt->state);
    }
}

static void m_on_defer(loop_defer_t *d)
{
    struct m_world *w = m_w;
    struct m_defer *md = (struct m_defer *)d;

    M_CHECK(md->state == M_OPEN, "a call-soon callback after its close");
    M_CHECK(md->pending, "a call-soon ran that was not started");
    M_CHECK(md->seq > w->last_defer_seq, "call-soons out of FIFO order");
    w->last_defer_seq = md->seq;
    md->pending = 0;
    if (md->close_in_cb) {
        m_close(&d->handle, &md->state);
    }
}

static void m_on_io(loop_io_t *io, int events)
{
    struct m_io *mi = (struct m_io *)io;
    char buf[64];
    ssize_t n;

    M_CHECK(mi->state == M_OPEN, "an I/O callback after its close");
    M_CHECK(events & LOOP_READABLE, "an I/O callback without readiness (events %d)", events);
    M_CHECK(mi->unread > 0, "readable with nothing written");
    n = read(mi->fds[0], buf, sizeof(buf));
    M_CHECK(n > 0, "read found nothing after a readable callback");
    mi->unread -= (size_t)n;
    if (mi->close_in_cb) {
        m_close(&io->handle, &mi->state);
    }
}

static void m_on_async(loop_async_t *a)
{
    struct m_async *ma = (struct m_async *)a;

    M_CHECK(ma->state == M_OPEN, "an async callback after its close");
    ma->sent = 0; /* coalesced: one callback answers every send before it */
}

static void *m_sender(void *arg)
{
    loop_async_t *a = arg;

    loop_async_send(a); /* thread-safe */
    return NULL;
}

/* Tasks: what each kind does, and the result it returns. */
static intptr_t m_task_fn(void *arg)
{
    struct m_world *w = m_w;
    struct m_task *mt = arg;
    int rc;

    switch (mt->kind) {
    case 0:
        rc = loop_sleep((int64_t)(mt->want & 7));
        return rc == 0 ? mt->want : rc;
    case 1:
        rc = loop_lock_acquire(w->lock, 50);
        if (rc == 0) {
            loop_yield();
            loop_lock_release(w->lock);
            return mt->want;
        }
        return rc;
    case 2:
        rc = loop_event_wait(w->event, 5);
        return rc == 0 || rc == -ETIMEDOUT ? mt->want : rc;
    default: {
        intptr_t v = 0;
        if (mt->want & 1) {
            rc = loop_chan_send(w->chan, mt->want, 5);
        } else {
            rc = loop_chan_recv(w->chan, &v, 5);
        }
        return rc == 0 || rc == -ETIMEDOUT ? mt->want : rc;
    }
    }
}

/* The join of every task: its own result, or -ECANCELED for a cancelled one. */
static intptr_t m_joiner(void *arg)
{
    struct m_world *w = arg;

    for (int i = 0; i < w->ntasks; i++) {
        intptr_t r = 0;
        int rc = loop_join(w->tasks[i].t, &r, LOOP_FOREVER);
        if (w->tasks[i].cancelled) {
            M_CHECK(rc == 0 || rc == -ECANCELED, "join of a cancelled task: %d", rc);
        } else {
            M_CHECK(rc == 0 && r == w->tasks[i].want, "task %d (kind %d) gave %ld/%d, want %ld", i,
                    w->tasks[i].kind, (long)r, rc, (long)w->tasks[i].want);
        }
    }
    return 0;
}

static void m_step(struct m_world *w, int op, int arg)
{
    int i = arg % M_SLOTS;

    switch (op % 12) {
    case 0: { /* start (or move) a one-shot timer */
        struct m_timer *mt = &w->timers[i];
        if (mt->state == M_FREE) {
            M_CHECK(loop_timer_init(w->loop, &mt->t) == 0, "timer init");
            mt->state = M_OPEN;
        }
        if (mt->state == M_OPEN) {
            uint64_t ms = (uint64_t)(arg / M_SLOTS) % 4;
            M_CHECK(loop_timer_start(&mt->t, m_on_timer, ms, 0) == 0, "timer start");
            mt->armed = 1;
            mt->due_ns = loop_timer_due_ns(&mt->t);
            mt->start_seq = ++w->seq;
        }
        break;
    }
    case 1:
        if (w->timers[i].state == M_OPEN) {
            M_CHECK(loop_timer_stop(&w->timers[i].t) == 0, "timer stop");
            w->timers[i].armed = 0;
        }
        break;
    case 2: { /* start a call-soon */
        struct m_defer *md = &w->defers[i];
        if (md->state == M_FREE) {
            M_CHECK(loop_defer_init(w->loop, &md->d) == 0, "defer init");
            md->state = M_OPEN;
        }
        if (md->state == M_OPEN && !md->pending) {
            M_CHECK(loop_defer_start(&md->d, m_on_defer) == 0, "defer start");
            md->pending = 1;
            md->seq = ++w->seq;
        }
        break;
    }
    case 3: { /* make a watcher readable */
        struct m_io *mi = &w->ios[i];
        if (mi->state == M_FREE) {
            M_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, mi->fds) == 0,
                    "socketpair: %s", strerror(errno));
            M_CHECK(loop_io_init(w->loop, &mi->io, mi->fds[0]) == 0, "io init");
            M_CHECK(loop_io_start(&mi->io, m_on_io, LOOP_READABLE) == 0, "io start");
            mi->state = M_OPEN;
            mi->unread = 0;
        }
        if (mi->state == M_OPEN && write(mi->fds[1], "x", 1) == 1) {
            mi->unread++;
        }
        break;
    }
    case 4: { /* async send, here or from a thread */
        struct m_async *ma = &w->asyncs[i];
        if (ma->state == M_FREE) {
            M_CHECK(loop_async_init(w->loop, &ma->a, m_on_async) == 0, "async init");
            ma->state = M_OPEN;
        }
        if (ma->state == M_OPEN) {
            if ((arg / M_SLOTS) & 1 && !w->sender_started) {
                M_CHECK(pthread_create(&w->sender, NULL, m_sender, &ma->a) == 0, "pthread_create");
                w->sender_started = 1;
            } else {
                M_CHECK(loop_async_send(&ma->a) == 0, "async send");
            }
            ma->sent++;
        }
        break;
    }
    case 5: { /* close something (a different kind per arg) */
        int k = (arg / M_SLOTS) % 4;
        if (k == 0 && w->timers[i].state == M_OPEN) {
            m_close(&w->timers[i].t.handle, &w->timers[i].state);
            w->timers[i].armed = 0; /* a closed timer never fires */
        } else if (k == 1 && w->defers[i].state == M_OPEN) {
            m_close(&w->defers[i].d.handle, &w->defers[i].state);
            w->defers[i].pending = 0; /* nor does a closed call-soon */
        } else if (k == 2 && w->ios[i].state == M_OPEN) {
            m_close(&w->ios[i].io.handle, &w->ios[i].state);
        } else if (k == 3 && w->asyncs[i].state == M_OPEN && !w->sender_started) {
            m_close(&w->asyncs[i].a.handle, &w->asyncs[i].state);
        }
        break;
    }
    case 6: /* the next callback of this slot closes its own handle */
        w->timers[i].close_in_cb = 1;
        w->defers[i].close_in_cb = 1;
        w->ios[i].close_in_cb = 1;
        break;
    case 7:
    case 8: /* spawn a task */
        if (w->ntasks < M_TASKS) {
            struct m_task *mt = &w->tasks[w->ntasks];
            mt->kind = arg % 4;
            mt->want = (intptr_t)(arg + 1);
            mt->t = loop_spawn(w->loop, m_task_fn, mt, "model");
            M_CHECK(mt->t != NULL, "spawn");
            w->ntasks++;
        }
        break;
    case 9: /* cancel a task */
        if (w->ntasks > 0) {
            struct m_task *mt = &w->tasks[arg % w->ntasks];
            if (loop_task_cancel(mt->t) == 0) {
                mt->cancelled = 1;
            }
        }
        break;
    case 10:
        loop_event_set(w->event);
        break;
    default: {
        /* ONCE may wait: only when a timer bounds the wait (an idle watcher would not) */
        int timer_armed = 0;
        for (int k = 0; k < M_SLOTS; k++) {
            timer_armed |= w->timers[k].armed && w->timers[k].state == M_OPEN;
        }
        M_CHECK(loop_run(w->loop, (arg & 1) && timer_armed ? LOOP_RUN_ONCE : LOOP_RUN_NOWAIT) >= 0,
                "loop_run");
        break;
    }
    }
}

/* One run over input in[0..len). */
static void loop_model_run(const uint8_t *in, size_t len)
{
    struct m_world *w = calloc(1, sizeof(*w));
    loop_task_t *joiner;
    int op, arg;

    M_CHECK(w != NULL, "out of memory");
    m_w = w;
    w->in = in;
    w->len = len < 4096 ? len : 4096; /* bounded: a few hundred operations */
    w->loop = loop_new();
    M_CHECK(w->loop != NULL, "loop_new");
    w->lock = loop_lock_new(w->loop);
    w->event = loop_event_new(w->loop);
    w->chan = loop_chan_new(w->loop, 1);
    M_CHECK(w->lock && w->event && w->chan, "sync objects");
    while ((op = m_byte(w)) >= 0 && (arg = m_byte(w)) >= 0) {
        m_step(w, op, arg);
    }
    /* the end: every task joined, every pending thing run, everything closed */
    if (w->sender_started) {
        pthread_join(w->sender, NULL);
        w->sender_started = 0;
    }
    joiner = loop_spawn(w->loop, m_joiner, w, "joiner");
    M_CHECK(joiner != NULL, "spawn joiner");
    M_CHECK(loop_task_detach(joiner) == 0, "detach joiner");
    for (int i = 0; i < M_SLOTS; i++) {
        if (w->ios[i].state == M_OPEN) {
            m_close(&w->ios[i].io.handle, &w->ios[i].state);
        }
        if (w->asyncs[i].state == M_OPEN) {
            m_close(&w->asyncs[i].a.handle, &w->asyncs[i].state);
        }
    }
    M_CHECK(loop_run(w->loop, LOOP_RUN_DEFAULT) == 0, "loop_run to the end");
    for (int i = 0; i < M_SLOTS; i++) {
        M_CHECK(!w->timers[i].armed, "timer %d armed but never fired", i);
        M_CHECK(!w->defers[i].pending, "call-soon %d started but never run", i);
        if (w->timers[i].state == M_OPEN) {
            m_close(&w->timers[i].t.handle, &w->timers[i].state);
        }
        if (w->defers[i].state == M_OPEN) {
            m_close(&w->defers[i].d.handle, &w->defers[i].state);
        }
    }
    M_CHECK(loop_run(w->loop, LOOP_RUN_DEFAULT) == 0, "loop_run for the closes");
    M_CHECK(w->closes_seen == w->closes_wanted, "%d close callbacks for %d closes", w->closes_seen,
            w->closes_wanted);
    M_CHECK(loop_lock_free(w->lock) == 0, "lock free");
    M_CHECK(loop_event_free(w->event) == 0, "event free");
    M_CHECK(loop_chan_free(w->chan) == 0, "chan free");
    M_CHECK(loop_close(w->loop) == 0, "loop_close after clean-up");
    free(w);
    m_w = NULL;
}

#endif /* LOOP_TEST_MODEL_H */
