/*
 * fuzz_monitor.c — libFuzzer target for the monitor's command parser
 * (libloop/monitor_cmd.c, loop__mon_run_command), over a loop with tasks in
 * every interesting state: sleeping, waiting on an event, on a lock held by
 * another task, on a join, on a channel, plus timers and an fd watcher.
 *
 * The input is split into lines as the monitor's server does
 * (libloop/monitor.c): a line with a byte that is not printable text, or
 * longer than MON_LINE_MAX, is refused by the server before any parsing, so
 * it is skipped here too; every other line goes to loop__mon_run_command on
 * this thread (the monitor thread is started but has no client).
 * The contract checked for every line: a non-blank line gets a reply that
 * ends with the line ".", the reply is printable text (whatever the command
 * echoes back), it stays under MON_OUT_MAX, and the sanitizers see no bad
 * access, leak or undefined behaviour. Cancel requests are queued, never
 * carried out (the loop does not run), and the queue is emptied after each
 * input, so every input meets the same loop.
 *
 *   make fuzz FUZZ_TARGETS=monitor FUZZ_SECONDS=60     (tests/fuzz/fuzz.mk)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "debug/monitor.h"

static loop_t *loop;
static struct loop__monitor *mon;
static loop_event_t *never;
static loop_lock_t *lock;
static loop_chan_t *chan;
static loop_timer_t timers[3];
static loop_io_t io;
static int pipefd[2];
static char path[64];

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return loop_sleep(1000000000);
}

static intptr_t event_waiter(void *arg)
{
    (void)arg;
    return loop_event_wait(never, LOOP_FOREVER);
}

static intptr_t lock_holder(void *arg)
{
    (void)arg;
    if (loop_lock_acquire(lock, LOOP_FOREVER) < 0) {
        return -1;
    }
    return loop_event_wait(never, LOOP_FOREVER);
}

static intptr_t lock_waiter(void *arg)
{
    (void)arg;
    return loop_lock_acquire(lock, LOOP_FOREVER);
}

static intptr_t joiner(void *arg)
{
    return loop_join((loop_task_t *)arg, NULL, LOOP_FOREVER);
}

static intptr_t receiver(void *arg)
{
    intptr_t v;
    (void)arg;
    return loop_chan_recv(chan, &v, 5000000);
}

static void nop_timer(loop_timer_t *t)
{
    (void)t;
}

static void nop_io(loop_io_t *w, int events)
{
    (void)w;
    (void)events;
}

static char dir[64];

static void remove_socket(void)
{
    loop_monitor_stop(loop);
    loop_set_debug(loop, 0); /* the loop stays open on purpose: no exit report */
    unlink(path);
    rmdir(dir);
}

static void setup(void)
{
    loop = loop_new();
    if (loop == NULL) {
        abort();
    }
    loop_set_debug(loop, 1); /* creation backtraces, slow list: more to print */
    never = loop_event_new(loop);
    lock = loop_lock_new(loop);
    chan = loop_chan_new(loop, 2);
    for (int i = 0; i < 3; i++) {
        loop_timer_init(loop, &timers[i]);
        loop_handle_set_name(&timers[i].handle, i == 0 ? "tick \"quoted\"" : "t");
        loop_timer_start(&timers[i], nop_timer, 1000000 + (uint64_t)i, i == 2 ? 1000 : 0);
    }
    if (pipe(pipefd) != 0) {
        abort();
    }
    loop_io_init(loop, &io, pipefd[0]);
    loop_io_start(&io, nop_io, LOOP_READABLE);
    loop_task_t *s = loop_spawn(loop, sleeper, NULL, "sleeper");
    loop_spawn(loop, event_waiter, NULL, "event-waiter");
    loop_spawn(loop, lock_holder, NULL, "lock-holder");
    loop_task_t *w = loop_spawn(loop, lock_waiter, NULL, "lock-waiter");
    loop_task_t *j = loop_spawn(loop, joiner, s, "joiner");
    loop_spawn(loop, joiner, j, "joiner-of-joiner");
    loop_spawn(loop, joiner, w, "joins-lock-waiter");
    loop_spawn(loop, receiver, NULL, NULL);
    loop_spawn(loop, sleeper, NULL, "never-ran"); /* stays ready: the loop runs once */
    for (int i = 0; i < 3; i++) {
        loop_run(loop, LOOP_RUN_NOWAIT);
    }
    loop_spawn(loop, sleeper, NULL, "new");
    /* a private directory: the monitor refuses sockets in /tmp itself */
    strcpy(dir, "/tmp/loop-fuzz-monitor.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    snprintf(path, sizeof(path), "%s/m.sock", dir);
    if (loop_monitor_start(loop, path) != 0) {
        abort();
    }
    mon = loop->monitor;
    atexit(remove_socket);
}

static int is_text(unsigned char b)
{
    return (b >= 0x20 && b <= 0x7e) || b == '\t' || b == '\r';
}

static void check_reply(const struct mon_out *o, const char *line)
{
    const char *p = line;

    while (*p == ' ' || *p == '\t' || *p == '\r') {
        p++;
    }
    if (o->overflow) {
        return; /* the server drops such a client */
    }
    if (o->len > MON_OUT_MAX) {
        __builtin_trap();
    }
    if (*p == '\0') {
        return; /* a blank line gets no reply */
    }
    if (o->len < 2 || memcmp(o->buf + o->len - 2, ".\n", 2) != 0 ||
        (o->len > 2 && o->buf[o->len - 3] != '\n')) {
        __builtin_trap(); /* every reply ends with the line "." */
    }
    for (size_t i = 0; i < o->len; i++) {
        unsigned char b = (unsigned char)o->buf[i];
        if (b != '\n' && !is_text(b)) {
            __builtin_trap(); /* replies are text */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[MON_LINE_MAX + 1];
    size_t start = 0;

    if (loop == NULL) {
        setup();
    }
    while (start < size) {
        size_t end = start;
        int text = 1;
        while (end < size && data[end] != '\n') {
            text &= is_text(data[end]);
            end++;
        }
        if (text && end - start <= MON_LINE_MAX) {
            struct mon_out o = {NULL, 0, 0, false};
            memcpy(line, data + start, end - start);
            line[end - start] = '\0';
            char copy[MON_LINE_MAX + 1];
            memcpy(copy, line, end - start + 1);
            (void)loop__mon_run_command(mon, &o, line);
            check_reply(&o, copy);
            free(o.buf);
        }
        start = end + 1;
    }
    pthread_mutex_lock(&mon->cancel_mu);
    mon->ncancel = 0;
    pthread_mutex_unlock(&mon->cancel_mu);
    return 0;
}
