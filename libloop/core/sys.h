/*
 * sys.h — the fault-injection seam for system calls (STYLE rule 23).
 *
 * Every system call that a test wants to fail goes through a loop__sys_*
 * wrapper (or the LOOP__SYS() macro). Each wrapper first asks loop__fault()
 * whether this call should fail; a test arms a failure by name:
 *
 *     loop__fault_set("mmap", 3, ENOMEM);   // the 3rd mmap from now fails
 *
 * Cost when nothing is armed: one relaxed atomic load and a predictable
 * branch. Arming, checking and clearing are thread-safe; the counters are
 * process-wide (one table, since a test drives the whole process).
 *
 * Faults can also be armed from the environment before main() runs:
 *     LOOP_FAULT="mmap:3:ENOMEM,epoll_wait:1:EINTR:5"   (name:nth[:errno[:count]])
 * errno is a number or one of the common names (ENOMEM, EMFILE, EAGAIN, ...);
 * the default errno is ENOMEM and the default count is 1.
 *
 * To add a system call: add a line to LOOP__SYS_LIST, then wrap the call,
 *     int fd = LOOP__SYS(EVENTFD, -1, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
 * The wrappers behave exactly like the call they wrap (-1 / MAP_FAILED / NULL
 * and errno set), so they drop into existing code.
 */
#ifndef LOOP_SYS_H
#define LOOP_SYS_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

/* X(ID, "name"): the system calls (and allocations) that can be failed. */
#define LOOP__SYS_LIST(X)                                                                \
    X(MMAP, "mmap")                                                                      \
    X(MUNMAP, "munmap")                                                                  \
    X(MPROTECT, "mprotect")                                                              \
    X(MADVISE, "madvise")                                                                \
    X(SIGALTSTACK, "sigaltstack")                                                        \
    X(MALLOC, "malloc")                                                                  \
    X(CALLOC, "calloc")                                                                  \
    X(REALLOC, "realloc")                                                                \
    X(READ, "read")                                                                      \
    X(WRITE, "write")                                                                    \
    X(READV, "readv")                                                                    \
    X(WRITEV, "writev")                                                                  \
    X(OPEN, "open")                                                                      \
    X(CLOSE, "close")                                                                    \
    X(PIPE, "pipe")                                                                      \
    X(SOCKET, "socket")                                                                  \
    X(SOCKETPAIR, "socketpair")                                                          \
    X(BIND, "bind")                                                                      \
    X(LISTEN, "listen")                                                                  \
    X(ACCEPT, "accept")                                                                  \
    X(CONNECT, "connect")                                                                \
    X(EPOLL_CREATE, "epoll_create")                                                      \
    X(EPOLL_CTL, "epoll_ctl")                                                            \
    X(EPOLL_WAIT, "epoll_wait")                                                          \
    X(EVENTFD, "eventfd")                                                                \
    X(SIGNALFD, "signalfd")                                                              \
    X(EVENTFD_READ, "eventfd_read")                                                      \
    X(EVENTFD_WRITE, "eventfd_write")                                                    \
    X(SIGNALFD_READ, "signalfd_read")                                                    \
    X(RECV, "recv")                                                                      \
    X(SEND, "send")                                                                      \
    X(POLL, "poll")                                                                      \
    X(TIMERFD, "timerfd")                                                                \
    X(PTHREAD_CREATE, "pthread_create")                                                  \
    X(FOPEN, "fopen")

enum loop__sys_id {
#define LOOP__SYS_ENUM_(id, name) LOOP__SYS_##id,
    LOOP__SYS_LIST(LOOP__SYS_ENUM_)
#undef LOOP__SYS_ENUM_
    LOOP__SYS_COUNT
};

/* count argument of loop__fault_set_n(): fail every call from the nth on. */
#define LOOP__FAULT_FOREVER UINT_MAX

/* Number of armed entries; read relaxed on every wrapped call. private */
extern atomic_uint loop__fault_armed;

int loop__fault_check_slow(enum loop__sys_id id);

/*
 * 0 if the call may proceed, else the errno value it must fail with (and the
 * failure has been counted). thread-safe.
 */
static inline int loop__fault(enum loop__sys_id id)
{
    if (__builtin_expect(atomic_load_explicit(&loop__fault_armed, memory_order_relaxed) != 0,
                         0)) {
        return loop__fault_check_slow(id);
    }
    return 0;
}

/*
 * Arm a fault: counting from now, the nth call (1 = the next one) of `name`
 * fails with `err`, once. nth == 0 disarms. Re-arming replaces the previous
 * setting. Returns 0, or -EINVAL for an unknown name or err <= 0. thread-safe.
 */
int loop__fault_set(const char *name, unsigned nth, int err);

/* As loop__fault_set(), failing `count` consecutive calls from the nth on
 * (LOOP__FAULT_FOREVER: every call until cleared). thread-safe. */
int loop__fault_set_n(const char *name, unsigned nth, unsigned count, int err);

/* Disarm one name (-EINVAL if unknown), or every name when name is NULL. thread-safe. */
int loop__fault_clear(const char *name);

/* Failures injected into `name` since it was last armed; -EINVAL if unknown. thread-safe. */
long loop__fault_hits(const char *name);

/* The name of an id ("mmap"), or NULL. */
const char *loop__sys_name(enum loop__sys_id id);

/*
 * LOOP__SYS(ID, failval, call): evaluate `call` unless a fault is armed for
 * LOOP__SYS_ID, in which case set errno and yield `failval` instead.
 */
#define LOOP__SYS(id, failval, call)                                                     \
    __extension__({                                                                      \
        int loop__e_ = loop__fault(LOOP__SYS_##id);                                      \
        __typeof__(call) loop__r_;                                                       \
        if (__builtin_expect(loop__e_ != 0, 0)) {                                        \
            errno = loop__e_;                                                            \
            loop__r_ = (failval);                                                        \
        } else {                                                                         \
            loop__r_ = (call);                                                           \
        }                                                                                \
        loop__r_;                                                                        \
    })

/* The wrappers used by more than one file. Same contract as the wrapped call. */

static inline void *loop__sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
                                   off_t off)
{
    return LOOP__SYS(MMAP, MAP_FAILED, mmap(addr, len, prot, flags, fd, off));
}

static inline int loop__sys_munmap(void *addr, size_t len)
{
    return LOOP__SYS(MUNMAP, -1, munmap(addr, len));
}

static inline int loop__sys_mprotect(void *addr, size_t len, int prot)
{
    return LOOP__SYS(MPROTECT, -1, mprotect(addr, len, prot));
}

static inline int loop__sys_madvise(void *addr, size_t len, int advice)
{
    return LOOP__SYS(MADVISE, -1, madvise(addr, len, advice));
}

static inline int loop__sys_sigaltstack(const stack_t *ss, stack_t *old)
{
    return LOOP__SYS(SIGALTSTACK, -1, sigaltstack(ss, old));
}

static inline void *loop__sys_malloc(size_t n)
{
    return LOOP__SYS(MALLOC, (void *)NULL, malloc(n));
}

static inline void *loop__sys_calloc(size_t n, size_t size)
{
    return LOOP__SYS(CALLOC, (void *)NULL, calloc(n, size));
}

static inline void *loop__sys_realloc(void *p, size_t n)
{
    return LOOP__SYS(REALLOC, (void *)NULL, realloc(p, n));
}

static inline ssize_t loop__sys_read(int fd, void *buf, size_t n)
{
    return LOOP__SYS(READ, (ssize_t)-1, read(fd, buf, n));
}

static inline ssize_t loop__sys_write(int fd, const void *buf, size_t n)
{
    return LOOP__SYS(WRITE, (ssize_t)-1, write(fd, buf, n));
}

#endif /* LOOP_SYS_H */
