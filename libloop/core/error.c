/*
 * error.c — names and messages of the error values libloop returns.
 * One X-macro table: symbolic name and message per errno.
 */
#include <errno.h>
#include <string.h>

#include "loop.h"

#define LOOP_ERRNO_MAP(X)                                                                \
    X(EPERM, "operation not permitted (not inside a task?)")                             \
    X(ENOENT, "no such file or directory")                                               \
    X(EINTR, "interrupted system call")                                                  \
    X(EIO, "i/o error")                                                                  \
    X(EBADF, "bad file descriptor or closed handle")                                     \
    X(EAGAIN, "resource temporarily unavailable")                                        \
    X(ENOMEM, "not enough memory")                                                       \
    X(EACCES, "permission denied")                                                       \
    X(EFAULT, "bad address")                                                             \
    X(EBUSY, "resource busy or in use")                                                  \
    X(EEXIST, "already exists")                                                          \
    X(EINVAL, "invalid argument")                                                        \
    X(ENFILE, "file table overflow")                                                     \
    X(EMFILE, "too many open files")                                                     \
    X(ENOSPC, "no space left on device")                                                 \
    X(EPIPE, "broken pipe")                                                              \
    X(ERANGE, "result out of range")                                                     \
    X(EDEADLK, "resource deadlock would occur")                                          \
    X(ENAMETOOLONG, "name too long")                                                     \
    X(ENOSYS, "function not implemented")                                                \
    X(ENOTSUP, "operation not supported")                                                \
    X(EPROTO, "protocol error")                                                          \
    X(EBADMSG, "bad message (corrupt input)")                                            \
    X(EOVERFLOW, "value too large")                                                      \
    X(EADDRINUSE, "address already in use")                                              \
    X(ECONNABORTED, "connection aborted")                                                \
    X(ECONNRESET, "connection reset by peer")                                            \
    X(ENOTCONN, "socket is not connected")                                               \
    X(ETIMEDOUT, "timed out")                                                            \
    X(ECONNREFUSED, "connection refused")                                                \
    X(EALREADY, "operation already in progress")                                         \
    X(EINPROGRESS, "operation in progress")                                              \
    X(ECANCELED, "operation canceled")                                                   \
    X(EOWNERDEAD, "owner died")                                                          \
    X(ESRCH, "no such process or task")                                                  \
    X(ECHILD, "no child")                                                                \
    X(ENODATA, "no data available")                                                      \
    X(EILSEQ, "illegal byte sequence")

const char *loop_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define X(e, msg)                                                                        \
    case -e:                                                                             \
        return msg;
        LOOP_ERRNO_MAP(X)
#undef X
    default:
        return "unknown error";
    }
}

const char *loop_err_name(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define X(e, msg)                                                                        \
    case -e:                                                                             \
        return #e;
        LOOP_ERRNO_MAP(X)
#undef X
    default:
        return "EUNKNOWN";
    }
}
