/*
 * pipe.c — uv_pipe_t over Unix domain sockets and pipes: bind, listen,
 * connect, open, names, chmod; uv_pipe() and uv_socketpair(). No IPC handle
 * passing (ipc pipes cannot listen, uv_write2 with a handle is UV_EINVAL).
 */
#include <sys/un.h>
#include <unistd.h>

#include "uv-internal.h"

int uv_pipe_init_at(uv_loop_t *loop, uv_pipe_t *handle, int ipc, const loop_site_t *site)
{
    uv__stream_init(loop, (uv_stream_t *)handle, UV_NAMED_PIPE, site);
    handle->shutdown_req = NULL;
    handle->connect_req = NULL;
    handle->pipe_fname = NULL;
    handle->ipc = ipc;
    return 0;
}

static void copy_name(struct sockaddr_un *saddr, const char *name)
{
    memset(saddr, 0, sizeof(*saddr));
    strncpy(saddr->sun_path, name, sizeof(saddr->sun_path) - 1);
    saddr->sun_family = AF_UNIX;
}

int uv_pipe_bind(uv_pipe_t *handle, const char *name)
{
    struct sockaddr_un saddr;
    char *pipe_fname;
    int sockfd, err;

    if (uv__stream_fd(handle) >= 0) {
        return UV_EINVAL;
    }
    if (uv__is_closing(handle)) {
        return UV_EINVAL;
    }
    pipe_fname = strdup(name);
    if (pipe_fname == NULL) {
        return UV_ENOMEM;
    }
    err = uv__socket(AF_UNIX, SOCK_STREAM, 0);
    if (err < 0) {
        free(pipe_fname);
        return err;
    }
    sockfd = err;
    copy_name(&saddr, pipe_fname);
    if (bind(sockfd, (struct sockaddr *)&saddr, sizeof(saddr))) {
        err = UV__ERR(errno);
        /* ENOENT is EACCES, as on Windows */
        if (err == UV_ENOENT) {
            err = UV_EACCES;
        }
        uv__close(sockfd);
        free(pipe_fname);
        return err;
    }
    handle->flags |= UV_HANDLE_BOUND;
    handle->pipe_fname = pipe_fname;
    handle->io_watcher.fd = sockfd;
    return 0;
}

int uv__pipe_listen(uv_pipe_t *handle, int backlog, uv_connection_cb cb)
{
    if (uv__stream_fd(handle) == -1) {
        return UV_EINVAL;
    }
    if (handle->ipc) {
        return UV_EINVAL;
    }
    if (listen(uv__stream_fd(handle), backlog)) {
        return UV__ERR(errno);
    }
    handle->connection_cb = cb;
    handle->io_watcher.cb = uv__server_io;
    uv__io_start(handle->loop, &handle->io_watcher, UV__POLLIN);
    return 0;
}

void uv__pipe_close(uv_pipe_t *handle)
{
    if (handle->pipe_fname != NULL) {
        /* The server removes its socket file; a client never bound one. */
        unlink(handle->pipe_fname);
        free((void *)handle->pipe_fname);
        handle->pipe_fname = NULL;
    }
    uv__stream_close((uv_stream_t *)handle);
}

int uv_pipe_open(uv_pipe_t *handle, uv_file fd)
{
    int flags = 0, mode, err;

    if (uv__fd_exists(handle->loop, fd)) {
        return UV_EEXIST;
    }
    do {
        mode = fcntl(fd, F_GETFL);
    } while (mode == -1 && errno == EINTR);
    if (mode == -1) {
        return UV__ERR(errno);
    }
    err = uv__nonblock(fd, 1);
    if (err) {
        return err;
    }
    mode &= O_ACCMODE;
    if (mode != O_WRONLY) {
        flags |= UV_HANDLE_READABLE;
    }
    if (mode != O_RDONLY) {
        flags |= UV_HANDLE_WRITABLE;
    }
    return uv__stream_open((uv_stream_t *)handle, fd, flags);
}

void uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle, const char *name, uv_connect_cb cb)
{
    struct sockaddr_un saddr;
    int new_sock, err, r;

    new_sock = (uv__stream_fd(handle) == -1);
    if (new_sock) {
        err = uv__socket(AF_UNIX, SOCK_STREAM, 0);
        if (err < 0) {
            goto out;
        }
        handle->io_watcher.fd = err;
    }
    copy_name(&saddr, name);
    do {
        r = connect(uv__stream_fd(handle), (struct sockaddr *)&saddr, sizeof(saddr));
    } while (r == -1 && errno == EINTR);
    if (r == -1 && errno != EINPROGRESS) {
        err = UV__ERR(errno);
        goto out;
    }
    err = 0;
    if (new_sock) {
        err = uv__stream_open((uv_stream_t *)handle, uv__stream_fd(handle),
                              UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    }
    if (err == 0) {
        uv__io_start(handle->loop, &handle->io_watcher, UV__POLLOUT);
    }
out:
    handle->delayed_error = err;
    handle->connect_req = req;
    req->type = UV_CONNECT;
    uv__req_register(handle->loop);
    req->handle = (uv_stream_t *)handle;
    req->cb = cb;
    uv__q_init(&req->queue);
    /* an error is reported from the next iteration, as a callback */
    if (err) {
        uv__io_feed(handle->loop, &handle->io_watcher);
    }
}

static int pipe_getsockpeername(const uv_pipe_t *handle,
                                int (*func)(int, struct sockaddr *, socklen_t *), char *buffer,
                                size_t *size)
{
    struct sockaddr_un sa;
    int addrlen = sizeof(sa), err;
    size_t len;

    memset(&sa, 0, sizeof(sa));
    err = uv__getsockpeername((const uv_handle_t *)handle, func, (struct sockaddr *)&sa, &addrlen);
    if (err < 0) {
        *size = 0;
        return err;
    }
    if (sa.sun_path[0] == 0) {
        /* Linux abstract namespace */
        len = (size_t)addrlen - offsetof(struct sockaddr_un, sun_path);
    } else {
        len = strlen(sa.sun_path);
    }
    if (len >= *size) {
        *size = len + 1;
        return UV_ENOBUFS;
    }
    memcpy(buffer, sa.sun_path, len);
    *size = len;
    if (buffer[0] != '\0') {
        buffer[len] = '\0';
    }
    return 0;
}

int uv_pipe_getsockname(const uv_pipe_t *handle, char *buffer, size_t *size)
{
    return pipe_getsockpeername(handle, getsockname, buffer, size);
}

int uv_pipe_getpeername(const uv_pipe_t *handle, char *buffer, size_t *size)
{
    return pipe_getsockpeername(handle, getpeername, buffer, size);
}

void uv_pipe_pending_instances(uv_pipe_t *handle, int count)
{
    (void)handle;
    (void)count;
}

int uv_pipe_pending_count(uv_pipe_t *handle)
{
    (void)handle;
    return 0;
}

uv_handle_type uv_pipe_pending_type(uv_pipe_t *handle)
{
    (void)handle;
    return UV_UNKNOWN_HANDLE;
}

int uv_pipe_chmod(uv_pipe_t *handle, int mode)
{
    struct stat pipe_stat;
    char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
    size_t name_len = sizeof(name);
    mode_t desired_mode = 0;
    int r;

    if (handle == NULL || uv__stream_fd(handle) == -1) {
        return UV_EBADF;
    }
    if (mode != UV_READABLE && mode != UV_WRITABLE && mode != (UV_WRITABLE | UV_READABLE)) {
        return UV_EINVAL;
    }
    r = uv_pipe_getsockname(handle, name, &name_len);
    if (r != 0) {
        return r;
    }
    if (stat(name, &pipe_stat) == -1) {
        return UV__ERR(errno);
    }
    if (mode & UV_READABLE) {
        desired_mode |= S_IRUSR | S_IRGRP | S_IROTH;
    }
    if (mode & UV_WRITABLE) {
        desired_mode |= S_IWUSR | S_IWGRP | S_IWOTH;
    }
    if ((pipe_stat.st_mode & desired_mode) == desired_mode) {
        return 0;
    }
    pipe_stat.st_mode |= desired_mode;
    return chmod(name, pipe_stat.st_mode) != -1 ? 0 : UV__ERR(errno);
}

/* A new pair: each end made non-blocking as its flags ask, then handed out (closed on error). */
static int pair_finish(int temp[2], int flags0, int flags1, int out[2])
{
    int err;

    if ((flags0 & UV_NONBLOCK_PIPE) && (err = uv__nonblock(temp[0], 1)) != 0) {
        goto fail;
    }
    if ((flags1 & UV_NONBLOCK_PIPE) && (err = uv__nonblock(temp[1], 1)) != 0) {
        goto fail;
    }
    out[0] = temp[0];
    out[1] = temp[1];
    return 0;
fail:
    uv__close(temp[0]);
    uv__close(temp[1]);
    return err;
}

int uv_pipe(uv_file fds[2], int read_flags, int write_flags)
{
    uv_file temp[2];

    if (pipe2(temp, O_CLOEXEC)) {
        return UV__ERR(errno);
    }
    return pair_finish(temp, read_flags, write_flags, fds);
}

int uv_socketpair(int type, int protocol, uv_os_sock_t fds[2], int flags0, int flags1)
{
    uv_os_sock_t temp[2];

    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, protocol, temp)) {
        return UV__ERR(errno);
    }
    return pair_finish(temp, flags0, flags1, fds);
}
