#!/bin/sh
# tests/tsan/uv_threads.sh — libuv's tests that use threads (async sends from
# other threads, the pool, signals, embedding, barriers, condition variables,
# semaphores, mutexes, rwlocks), built against a ThreadSanitizer libloop-uv:
# each must pass without a report. Run by `make check SANITIZE=thread`.
UV_SKIP_CONTROL=1 UV_ONLY=async,async_null_cb,async_ref,embed,threadpool_queue_work_simple,threadpool_queue_work_einval,threadpool_cancel_work,threadpool_cancel_single,we_get_signal,we_get_signals,signal_pending_on_close,tcp_ping_pong,pipe_ping_pong,barrier_1,barrier_2,barrier_3,barrier_serial_thread,barrier_serial_thread_single,condvar_1,condvar_2,condvar_3,condvar_4,condvar_5,semaphore_1,semaphore_2,semaphore_3,thread_create,thread_local_storage,thread_mutex,thread_mutex_recursive,thread_rwlock,thread_rwlock_trylock \
    exec sh tests/uv_conformance.sh
