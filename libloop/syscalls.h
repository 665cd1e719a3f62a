/*
 * syscalls.h — the loop core's system calls that tests make fail, each
 * through the fault-injection seam of sys.h (STYLE rule 23).
 */
#ifndef LOOP_SYSCALLS_H
#define LOOP_SYSCALLS_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

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

#endif /* LOOP_SYSCALLS_H */
