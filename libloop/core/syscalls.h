/*
 * syscalls.h — the loop core's system calls that tests make fail, each
 * through the fault-injection seam of sys.h (STYLE rule 23).
 *
 * The reads and writes of the loop's wakeup eventfd and of the process
 * signalfd have names of their own ("eventfd_read", "signalfd_read", ...),
 * so a test can interrupt them without touching the program's own reads.
 * The monitor thread's socket calls are "accept" (shared with loop_accept),
 * "recv", "send" and "poll"; its wakeup pipe uses "read" and "write".
 */
#ifndef LOOP_SYSCALLS_H
#define LOOP_SYSCALLS_H

#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "sys.h"

static inline int loop__sys_epoll_create1(int flags)
{
    return LOOP__SYS(EPOLL_CREATE, -1, epoll_create1(flags));
}

static inline int loop__sys_eventfd(unsigned int initval, int flags)
{
    return LOOP__SYS(EVENTFD, -1, eventfd(initval, flags));
}

static inline int loop__sys_epoll_wait(int epfd, struct epoll_event *evs, int max, int ms)
{
    return LOOP__SYS(EPOLL_WAIT, -1, epoll_wait(epfd, evs, max, ms));
}

static inline int loop__sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    return LOOP__SYS(EPOLL_CTL, -1, epoll_ctl(epfd, op, fd, ev));
}

static inline int loop__sys_signalfd(int fd, const sigset_t *mask, int flags)
{
    return LOOP__SYS(SIGNALFD, -1, signalfd(fd, mask, flags));
}

static inline ssize_t loop__sys_eventfd_read(int fd, uint64_t *val)
{
    return LOOP__SYS(EVENTFD_READ, (ssize_t)-1, read(fd, val, sizeof(*val)));
}

static inline ssize_t loop__sys_eventfd_write(int fd, const uint64_t *val)
{
    return LOOP__SYS(EVENTFD_WRITE, (ssize_t)-1, write(fd, val, sizeof(*val)));
}

static inline ssize_t loop__sys_signalfd_read(int fd, struct signalfd_siginfo *si, size_t n)
{
    return LOOP__SYS(SIGNALFD_READ, (ssize_t)-1, read(fd, si, n * sizeof(*si)));
}

static inline int loop__sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return LOOP__SYS(ACCEPT, -1, accept4(fd, addr, len, flags));
}

static inline ssize_t loop__sys_recv(int fd, void *buf, size_t n, int flags)
{
    return LOOP__SYS(RECV, (ssize_t)-1, recv(fd, buf, n, flags));
}

static inline ssize_t loop__sys_send(int fd, const void *buf, size_t n, int flags)
{
    return LOOP__SYS(SEND, (ssize_t)-1, send(fd, buf, n, flags));
}

static inline int loop__sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    return LOOP__SYS(POLL, -1, poll(fds, n, timeout_ms));
}

#endif /* LOOP_SYSCALLS_H */
