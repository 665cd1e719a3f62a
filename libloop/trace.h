/*
 * trace.h — tracepoint call sites inside libloop.
 *
 * Code calls LOOP_TRACE(event, args...) with object pointers (loop, handle,
 * task...); the provider in tracepoints/ dereferences them into fields, so
 * the call sites stay one line and argument preparation happens only when an
 * event is enabled.
 *
 * Events and their arguments (provider "libloop"):
 *   loop_new(const loop_t *)            loop_close(const loop_t *)
 *   run_begin(const loop_t *, int mode) run_end(const loop_t *, int rc)
 *   iter_begin(const loop_t *)          (carries loop->now_ns)
 *   poll_begin(const loop_t *, int64_t timeout_ns)
 *   poll_end(const loop_t *, int nready, int err)
 *   io_ready(const loop_t *, const loop_io_t *, int revents)
 *   handle_new(const loop_handle_t *)   handle_start(const loop_handle_t *)
 *   handle_stop(const loop_handle_t *)  handle_close(const loop_handle_t *)
 *   callback_begin(const loop_t *, const loop_handle_t *)
 *   callback_end(const loop_t *, const loop_handle_t *)
 *   pool_submit(const loop_work_t *)    pool_begin(const loop_work_t *) (worker thread)
 *   pool_end(const loop_work_t *)       pool_done(const loop_work_t *, int status)
 *   signal_recv(const loop_t *, int signum)
 *   error(const loop_t *, const loop_handle_t * or NULL, int err, const char *msg)
 * Task, slow-callback and stall events are added with those features.
 *
 * Until the provider is built in, these compile to nothing.
 */
#ifndef LOOP_TRACE_H
#define LOOP_TRACE_H

#define LOOP_TRACE(event, ...) do { } while (0)

#endif /* LOOP_TRACE_H */
