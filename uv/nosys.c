/*
 * nosys.c — what libloop-uv declares but does not implement (udp, process,
 * fs_event, fs_poll, getaddrinfo, getnameinfo, random, and the fs calls but
 * a synchronous unlink): each returns UV_ENOSYS, so that programs build.
 */
#include <unistd.h>

#include "uv-internal.h"

int uv_udp_init(uv_loop_t *loop, uv_udp_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_udp_init_ex(uv_loop_t *loop, uv_udp_t *handle, unsigned int flags)
{
    (void)flags;
    return uv_udp_init(loop, handle);
}

int uv_udp_bind(uv_udp_t *handle, const struct sockaddr *addr, unsigned int flags)
{
    (void)handle;
    (void)addr;
    (void)flags;
    return UV_ENOSYS;
}

int uv_udp_getsockname(const uv_udp_t *handle, struct sockaddr *name, int *namelen)
{
    (void)handle;
    (void)name;
    (void)namelen;
    return UV_ENOSYS;
}

int uv_udp_send(uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[], unsigned int nbufs,
                const struct sockaddr *addr, uv_udp_send_cb send_cb)
{
    (void)req;
    (void)handle;
    (void)bufs;
    (void)nbufs;
    (void)addr;
    (void)send_cb;
    return UV_ENOSYS;
}

int uv_udp_recv_start(uv_udp_t *handle, uv_alloc_cb alloc_cb, uv_udp_recv_cb recv_cb)
{
    (void)handle;
    (void)alloc_cb;
    (void)recv_cb;
    return UV_ENOSYS;
}

int uv_udp_recv_stop(uv_udp_t *handle)
{
    (void)handle;
    return UV_ENOSYS;
}

int uv_spawn(uv_loop_t *loop, uv_process_t *handle, const uv_process_options_t *options)
{
    (void)loop;
    (void)handle;
    (void)options;
    return UV_ENOSYS;
}

int uv_process_kill(uv_process_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    return UV_ENOSYS;
}

int uv_fs_event_init(uv_loop_t *loop, uv_fs_event_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path,
                      unsigned int flags)
{
    (void)handle;
    (void)cb;
    (void)path;
    (void)flags;
    return UV_ENOSYS;
}

int uv_fs_poll_init(uv_loop_t *loop, uv_fs_poll_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_fs_poll_start(uv_fs_poll_t *handle, uv_fs_poll_cb poll_cb, const char *path,
                     unsigned int interval)
{
    (void)handle;
    (void)poll_cb;
    (void)path;
    (void)interval;
    return UV_ENOSYS;
}

int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
                   const char *node, const char *service, const struct addrinfo *hints)
{
    (void)loop;
    (void)req;
    (void)cb;
    (void)node;
    (void)service;
    (void)hints;
    return UV_ENOSYS;
}

void uv_freeaddrinfo(struct addrinfo *ai)
{
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
}

int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
                   const struct sockaddr *addr, int flags)
{
    (void)loop;
    (void)req;
    (void)cb;
    (void)addr;
    (void)flags;
    return UV_ENOSYS;
}

int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen, unsigned flags,
              uv_random_cb cb)
{
    (void)loop;
    (void)req;
    (void)buf;
    (void)buflen;
    (void)flags;
    (void)cb;
    return UV_ENOSYS;
}

/* File system: synchronous unlink only. */
static int fs_init(uv_fs_t *req, uv_loop_t *loop, uv_fs_type type, const char *path,
                   uv_fs_cb cb)
{
    if (req == NULL) {
        return UV_EINVAL;
    }
    memset(req, 0, sizeof(*req));
    req->type = UV_FS;
    req->fs_type = type;
    req->loop = loop;
    req->cb = cb;
    req->path = path;
    return cb != NULL ? UV_ENOSYS : 0;
}

void uv_fs_req_cleanup(uv_fs_t *req)
{
    if (req != NULL) {
        req->path = NULL;
        req->ptr = NULL;
    }
}

uv_fs_type uv_fs_get_type(const uv_fs_t *req)
{
    return req->fs_type;
}

ssize_t uv_fs_get_result(const uv_fs_t *req)
{
    return req->result;
}

void *uv_fs_get_ptr(const uv_fs_t *req)
{
    return req->ptr;
}

const char *uv_fs_get_path(const uv_fs_t *req)
{
    return req->path;
}

uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req)
{
    return &req->statbuf;
}

int uv_fs_unlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb)
{
    int err = fs_init(req, loop, UV_FS_UNLINK, path, cb);

    if (err < 0) {
        return err;
    }
    req->result = unlink(path) ? UV__ERR(errno) : 0;
    return (int)req->result;
}

#define UV__FS_NOSYS(name, type, ...)                                                    \
    int uv_fs_##name(uv_loop_t *loop, uv_fs_t *req, __VA_ARGS__, uv_fs_cb cb)            \
    {                                                                                    \
        int err = fs_init(req, loop, type, NULL, cb);                                    \
        if (err < 0) {                                                                   \
            return err;                                                                  \
        }                                                                                \
        req->result = UV_ENOSYS;                                                         \
        return UV_ENOSYS;                                                                \
    }

UV__FS_NOSYS(close, UV_FS_CLOSE, uv_file file __attribute__((unused)))
UV__FS_NOSYS(open, UV_FS_OPEN, const char *path __attribute__((unused)),
             int flags __attribute__((unused)), int mode __attribute__((unused)))
UV__FS_NOSYS(read, UV_FS_READ, uv_file file __attribute__((unused)),
             const uv_buf_t bufs[] __attribute__((unused)),
             unsigned int nbufs __attribute__((unused)), int64_t off __attribute__((unused)))
UV__FS_NOSYS(write, UV_FS_WRITE, uv_file file __attribute__((unused)),
             const uv_buf_t bufs[] __attribute__((unused)),
             unsigned int nbufs __attribute__((unused)), int64_t off __attribute__((unused)))
UV__FS_NOSYS(mkdir, UV_FS_MKDIR, const char *path __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(scandir, UV_FS_SCANDIR, const char *path __attribute__((unused)),
             int flags __attribute__((unused)))
UV__FS_NOSYS(stat, UV_FS_STAT, const char *path __attribute__((unused)))
UV__FS_NOSYS(fstat, UV_FS_FSTAT, uv_file file __attribute__((unused)))
UV__FS_NOSYS(lstat, UV_FS_LSTAT, const char *path __attribute__((unused)))
UV__FS_NOSYS(rename, UV_FS_RENAME, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)))
UV__FS_NOSYS(fsync, UV_FS_FSYNC, uv_file file __attribute__((unused)))
UV__FS_NOSYS(fdatasync, UV_FS_FDATASYNC, uv_file file __attribute__((unused)))
UV__FS_NOSYS(ftruncate, UV_FS_FTRUNCATE, uv_file file __attribute__((unused)),
             int64_t off __attribute__((unused)))
UV__FS_NOSYS(sendfile, UV_FS_SENDFILE, uv_file out_fd __attribute__((unused)),
             uv_file in_fd __attribute__((unused)), int64_t off __attribute__((unused)),
             size_t len __attribute__((unused)))
UV__FS_NOSYS(chmod, UV_FS_CHMOD, const char *path __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(fchmod, UV_FS_FCHMOD, uv_file file __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(utime, UV_FS_UTIME, const char *path __attribute__((unused)),
             double atime __attribute__((unused)), double mtime __attribute__((unused)))
UV__FS_NOSYS(futime, UV_FS_FUTIME, uv_file file __attribute__((unused)),
             double atime __attribute__((unused)), double mtime __attribute__((unused)))
UV__FS_NOSYS(link, UV_FS_LINK, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)))
UV__FS_NOSYS(symlink, UV_FS_SYMLINK, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)), int flags __attribute__((unused)))
UV__FS_NOSYS(readlink, UV_FS_READLINK, const char *path __attribute__((unused)))
UV__FS_NOSYS(realpath, UV_FS_REALPATH, const char *path __attribute__((unused)))
UV__FS_NOSYS(chown, UV_FS_CHOWN, const char *path __attribute__((unused)),
             uv_uid_t uid __attribute__((unused)), uv_gid_t gid __attribute__((unused)))
UV__FS_NOSYS(fchown, UV_FS_FCHOWN, uv_file file __attribute__((unused)),
             uv_uid_t uid __attribute__((unused)), uv_gid_t gid __attribute__((unused)))
