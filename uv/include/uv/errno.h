/*
 * uv/errno.h — libloop-uv's error codes: libuv 1.44.2's values on Linux.
 *
 * Every UV_E* code is the negated errno value, except UV_EOF, UV_UNKNOWN,
 * UV_ECHARSET, UV_EFTYPE and the getaddrinfo codes (UV_EAI_*), which have no
 * errno and keep libuv's fixed numbers.
 */
#ifndef UV_ERRNO_H
#define UV_ERRNO_H

#include <errno.h>

#define UV__EOF (-4095)
#define UV__UNKNOWN (-4094)
#define UV__ECHARSET (-4080)
#define UV__EFTYPE (-4028)

#define UV__EAI_ADDRFAMILY (-3000)
#define UV__EAI_AGAIN (-3001)
#define UV__EAI_BADFLAGS (-3002)
#define UV__EAI_CANCELED (-3003)
#define UV__EAI_FAIL (-3004)
#define UV__EAI_FAMILY (-3005)
#define UV__EAI_MEMORY (-3006)
#define UV__EAI_NODATA (-3007)
#define UV__EAI_NONAME (-3008)
#define UV__EAI_OVERFLOW (-3009)
#define UV__EAI_SERVICE (-3010)
#define UV__EAI_SOCKTYPE (-3011)
#define UV__EAI_BADHINTS (-3013)
#define UV__EAI_PROTOCOL (-3014)

/*
 * One list: (name, value, message), in libuv's order. UV_ERRNO_MAP(XX) is
 * libuv's public two-argument form, XX(name, message).
 */
#define UV__ERRNO_LIST(X, A)                                                             \
    X(A, E2BIG, -E2BIG, "argument list too long")                                       \
    X(A, EACCES, -EACCES, "permission denied")                                          \
    X(A, EADDRINUSE, -EADDRINUSE, "address already in use")                             \
    X(A, EADDRNOTAVAIL, -EADDRNOTAVAIL, "address not available")                        \
    X(A, EAFNOSUPPORT, -EAFNOSUPPORT, "address family not supported")                   \
    X(A, EAGAIN, -EAGAIN, "resource temporarily unavailable")                           \
    X(A, EAI_ADDRFAMILY, UV__EAI_ADDRFAMILY, "address family not supported")            \
    X(A, EAI_AGAIN, UV__EAI_AGAIN, "temporary failure")                                 \
    X(A, EAI_BADFLAGS, UV__EAI_BADFLAGS, "bad ai_flags value")                          \
    X(A, EAI_BADHINTS, UV__EAI_BADHINTS, "invalid value for hints")                     \
    X(A, EAI_CANCELED, UV__EAI_CANCELED, "request canceled")                            \
    X(A, EAI_FAIL, UV__EAI_FAIL, "permanent failure")                                   \
    X(A, EAI_FAMILY, UV__EAI_FAMILY, "ai_family not supported")                         \
    X(A, EAI_MEMORY, UV__EAI_MEMORY, "out of memory")                                   \
    X(A, EAI_NODATA, UV__EAI_NODATA, "no address")                                      \
    X(A, EAI_NONAME, UV__EAI_NONAME, "unknown node or service")                         \
    X(A, EAI_OVERFLOW, UV__EAI_OVERFLOW, "argument buffer overflow")                    \
    X(A, EAI_PROTOCOL, UV__EAI_PROTOCOL, "resolved protocol is unknown")                \
    X(A, EAI_SERVICE, UV__EAI_SERVICE, "service not available for socket type")         \
    X(A, EAI_SOCKTYPE, UV__EAI_SOCKTYPE, "socket type not supported")                   \
    X(A, EALREADY, -EALREADY, "connection already in progress")                         \
    X(A, EBADF, -EBADF, "bad file descriptor")                                          \
    X(A, EBUSY, -EBUSY, "resource busy or locked")                                      \
    X(A, ECANCELED, -ECANCELED, "operation canceled")                                   \
    X(A, ECHARSET, UV__ECHARSET, "invalid Unicode character")                           \
    X(A, ECONNABORTED, -ECONNABORTED, "software caused connection abort")               \
    X(A, ECONNREFUSED, -ECONNREFUSED, "connection refused")                             \
    X(A, ECONNRESET, -ECONNRESET, "connection reset by peer")                           \
    X(A, EDESTADDRREQ, -EDESTADDRREQ, "destination address required")                   \
    X(A, EEXIST, -EEXIST, "file already exists")                                        \
    X(A, EFAULT, -EFAULT, "bad address in system call argument")                        \
    X(A, EFBIG, -EFBIG, "file too large")                                               \
    X(A, EHOSTUNREACH, -EHOSTUNREACH, "host is unreachable")                            \
    X(A, EINTR, -EINTR, "interrupted system call")                                      \
    X(A, EINVAL, -EINVAL, "invalid argument")                                           \
    X(A, EIO, -EIO, "i/o error")                                                        \
    X(A, EISCONN, -EISCONN, "socket is already connected")                              \
    X(A, EISDIR, -EISDIR, "illegal operation on a directory")                           \
    X(A, ELOOP, -ELOOP, "too many symbolic links encountered")                          \
    X(A, EMFILE, -EMFILE, "too many open files")                                        \
    X(A, EMSGSIZE, -EMSGSIZE, "message too long")                                       \
    X(A, ENAMETOOLONG, -ENAMETOOLONG, "name too long")                                  \
    X(A, ENETDOWN, -ENETDOWN, "network is down")                                        \
    X(A, ENETUNREACH, -ENETUNREACH, "network is unreachable")                           \
    X(A, ENFILE, -ENFILE, "file table overflow")                                        \
    X(A, ENOBUFS, -ENOBUFS, "no buffer space available")                                \
    X(A, ENODEV, -ENODEV, "no such device")                                             \
    X(A, ENOENT, -ENOENT, "no such file or directory")                                  \
    X(A, ENOMEM, -ENOMEM, "not enough memory")                                          \
    X(A, ENONET, -ENONET, "machine is not on the network")                              \
    X(A, ENOPROTOOPT, -ENOPROTOOPT, "protocol not available")                           \
    X(A, ENOSPC, -ENOSPC, "no space left on device")                                    \
    X(A, ENOSYS, -ENOSYS, "function not implemented")                                   \
    X(A, ENOTCONN, -ENOTCONN, "socket is not connected")                                \
    X(A, ENOTDIR, -ENOTDIR, "not a directory")                                          \
    X(A, ENOTEMPTY, -ENOTEMPTY, "directory not empty")                                  \
    X(A, ENOTSOCK, -ENOTSOCK, "socket operation on non-socket")                         \
    X(A, ENOTSUP, -ENOTSUP, "operation not supported on socket")                        \
    X(A, EOVERFLOW, -EOVERFLOW, "value too large for defined data type")                \
    X(A, EPERM, -EPERM, "operation not permitted")                                      \
    X(A, EPIPE, -EPIPE, "broken pipe")                                                  \
    X(A, EPROTO, -EPROTO, "protocol error")                                             \
    X(A, EPROTONOSUPPORT, -EPROTONOSUPPORT, "protocol not supported")                   \
    X(A, EPROTOTYPE, -EPROTOTYPE, "protocol wrong type for socket")                     \
    X(A, ERANGE, -ERANGE, "result too large")                                           \
    X(A, EROFS, -EROFS, "read-only file system")                                        \
    X(A, ESHUTDOWN, -ESHUTDOWN, "cannot send after transport endpoint shutdown")        \
    X(A, ESPIPE, -ESPIPE, "invalid seek")                                               \
    X(A, ESRCH, -ESRCH, "no such process")                                              \
    X(A, ETIMEDOUT, -ETIMEDOUT, "connection timed out")                                 \
    X(A, ETXTBSY, -ETXTBSY, "text file is busy")                                        \
    X(A, EXDEV, -EXDEV, "cross-device link not permitted")                              \
    X(A, UNKNOWN, UV__UNKNOWN, "unknown error")                                         \
    X(A, EOF, UV__EOF, "end of file")                                                   \
    X(A, ENXIO, -ENXIO, "no such device or address")                                    \
    X(A, EMLINK, -EMLINK, "too many links")                                             \
    X(A, EHOSTDOWN, -EHOSTDOWN, "host is down")                                         \
    X(A, EREMOTEIO, -EREMOTEIO, "remote I/O error")                                     \
    X(A, ENOTTY, -ENOTTY, "inappropriate ioctl for device")                             \
    X(A, EFTYPE, UV__EFTYPE, "inappropriate file type or format")                       \
    X(A, EILSEQ, -EILSEQ, "illegal byte sequence")                                      \
    X(A, ESOCKTNOSUPPORT, -ESOCKTNOSUPPORT, "socket type not supported")

#define UV__ERRNO_MAP_2(XX, name, value, msg) XX(name, msg)
#define UV_ERRNO_MAP(XX) UV__ERRNO_LIST(UV__ERRNO_MAP_2, XX)

#endif /* UV_ERRNO_H */
