/*
 * tcp.c — uv_tcp_t: socket creation (early with uv_tcp_init_ex or lazily at
 * bind/connect/listen), bind, connect, listen, open, socket options, names
 * and close-with-reset.
 */
#include <unistd.h>

#include "uv-internal.h"

static int new_socket(uv_tcp_t *handle, int domain, int flags)
{
    struct sockaddr_storage saddr;
    socklen_t slen;
    int sockfd, err;

    err = uv__socket(domain, SOCK_STREAM, 0);
    if (err < 0) {
        return err;
    }
    sockfd = err;
    err = uv__stream_open((uv_stream_t *)handle, sockfd, flags);
    if (err) {
        uv__close(sockfd);
        return err;
    }
    if (flags & UV_HANDLE_BOUND) {
        /* bind to an arbitrary port */
        slen = sizeof(saddr);
        memset(&saddr, 0, sizeof(saddr));
        if (getsockname(uv__stream_fd(handle), (struct sockaddr *)&saddr, &slen)) {
            uv__close(sockfd);
            return UV__ERR(errno);
        }
        if (bind(uv__stream_fd(handle), (struct sockaddr *)&saddr, slen)) {
            uv__close(sockfd);
            return UV__ERR(errno);
        }
    }
    return 0;
}

static int maybe_new_socket(uv_tcp_t *handle, int domain, int flags)
{
    struct sockaddr_storage saddr;
    socklen_t slen;

    if (domain == AF_UNSPEC) {
        handle->flags |= (unsigned int)flags;
        return 0;
    }
    if (uv__stream_fd(handle) != -1) {
        if (flags & UV_HANDLE_BOUND) {
            if (handle->flags & UV_HANDLE_BOUND) {
                handle->flags |= (unsigned int)flags;
                return 0;
            }
            slen = sizeof(saddr);
            memset(&saddr, 0, sizeof(saddr));
            if (getsockname(uv__stream_fd(handle), (struct sockaddr *)&saddr, &slen)) {
                return UV__ERR(errno);
            }
            if ((saddr.ss_family == AF_INET6 &&
                 ((struct sockaddr_in6 *)&saddr)->sin6_port != 0) ||
                (saddr.ss_family == AF_INET && ((struct sockaddr_in *)&saddr)->sin_port != 0)) {
                handle->flags |= (unsigned int)flags;
                return 0;
            }
            if (bind(uv__stream_fd(handle), (struct sockaddr *)&saddr, slen)) {
                return UV__ERR(errno);
            }
        }
        handle->flags |= (unsigned int)flags;
        return 0;
    }
    return new_socket(handle, domain, flags);
}

int uv_tcp_init_ex_at(uv_loop_t *loop, uv_tcp_t *tcp, unsigned int flags,
                      const loop_site_t *site)
{
    int domain = (int)(flags & 0xFF);
    int err;

    if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNSPEC) {
        return UV_EINVAL;
    }
    if (flags & ~0xFFu) {
        return UV_EINVAL;
    }
    uv__stream_init(loop, (uv_stream_t *)tcp, UV_TCP, site);
    if (domain != AF_UNSPEC) {
        err = new_socket(tcp, domain, 0);
        if (err) {
            uv__q_remove(UV__HNODE(tcp));
            if (tcp->io_watcher.fd != -1) {
                uv__close(tcp->io_watcher.fd);
            }
            tcp->io_watcher.fd = -1;
            /* the libloop handle goes with it */
            tcp->flags |= UV_HANDLE_CLOSING;
            loop_handle_close(&tcp->ll.handle, NULL);
            loop__run_closing(loop->ll);
            return err;
        }
    }
    return 0;
}

int uv_tcp_init_at(uv_loop_t *loop, uv_tcp_t *tcp, const loop_site_t *site)
{
    return uv_tcp_init_ex_at(loop, tcp, AF_UNSPEC, site);
}

int uv_tcp_bind(uv_tcp_t *tcp, const struct sockaddr *addr, unsigned int flags)
{
    unsigned int addrlen;
    int err, on;

    if (tcp->type != UV_TCP) {
        return UV_EINVAL;
    }
    if (uv__is_closing(tcp)) {
        return UV_EINVAL;
    }
    if (addr->sa_family == AF_INET) {
        addrlen = sizeof(struct sockaddr_in);
    } else if (addr->sa_family == AF_INET6) {
        addrlen = sizeof(struct sockaddr_in6);
    } else {
        return UV_EINVAL;
    }
    if (flags & ~(unsigned int)UV_TCP_IPV6ONLY) {
        return UV_ENOTSUP;
    }
    if ((flags & UV_TCP_IPV6ONLY) && addr->sa_family != AF_INET6) {
        return UV_EINVAL;
    }
    err = maybe_new_socket(tcp, addr->sa_family, 0);
    if (err) {
        return err;
    }
    on = 1;
    if (setsockopt(tcp->io_watcher.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on))) {
        return UV__ERR(errno);
    }
    if (addr->sa_family == AF_INET6) {
        on = (flags & UV_TCP_IPV6ONLY) != 0;
        if (setsockopt(tcp->io_watcher.fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1) {
            return UV__ERR(errno);
        }
    }
    errno = 0;
    err = bind(tcp->io_watcher.fd, addr, addrlen);
    if (err == -1 && errno != EADDRINUSE) {
        if (errno == EAFNOSUPPORT) {
            return UV_EINVAL;
        }
        return UV__ERR(errno);
    }
    tcp->delayed_error = (err == -1) ? UV__ERR(errno) : 0;
    tcp->flags |= UV_HANDLE_BOUND;
    if (addr->sa_family == AF_INET6) {
        tcp->flags |= UV_HANDLE_IPV6;
    }
    return 0;
}

int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *handle, const struct sockaddr *addr,
                   uv_connect_cb cb)
{
    unsigned int addrlen;
    int err, r;

    if (handle->type != UV_TCP) {
        return UV_EINVAL;
    }
    if (addr->sa_family == AF_INET) {
        addrlen = sizeof(struct sockaddr_in);
    } else if (addr->sa_family == AF_INET6) {
        addrlen = sizeof(struct sockaddr_in6);
    } else {
        return UV_EINVAL;
    }
    if (uv__is_closing(handle)) {
        return UV_EINVAL;
    }
    if (handle->connect_req != NULL) {
        return UV_EALREADY;
    }
    if (handle->delayed_error != 0) {
        goto out;
    }
    err = maybe_new_socket(handle, addr->sa_family, UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    if (err) {
        return err;
    }
    do {
        errno = 0;
        r = connect(uv__stream_fd(handle), addr, addrlen);
    } while (r == -1 && errno == EINTR);
    if (r == -1 && errno != 0) {
        if (errno == EINPROGRESS) {
            /* not an error */
        } else if (errno == ECONNREFUSED) {
            handle->delayed_error = UV__ERR(ECONNREFUSED);
        } else {
            return UV__ERR(errno);
        }
    }
out:
    req->type = UV_CONNECT;
    uv__req_register(handle->loop);
    req->cb = cb;
    req->handle = (uv_stream_t *)handle;
    uv__q_init(&req->queue);
    handle->connect_req = req;
    uv__io_start(handle->loop, &handle->io_watcher, UV__POLLOUT);
    if (handle->delayed_error) {
        uv__io_feed(handle->loop, &handle->io_watcher);
    }
    return 0;
}

int uv_tcp_open(uv_tcp_t *handle, uv_os_sock_t sock)
{
    int err;

    if (uv__fd_exists(handle->loop, sock)) {
        return UV_EEXIST;
    }
    err = uv__nonblock(sock, 1);
    if (err) {
        return err;
    }
    return uv__stream_open((uv_stream_t *)handle, sock, UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
}

int uv__tcp_listen(uv_tcp_t *tcp, int backlog, uv_connection_cb cb)
{
    int err;

    if (tcp->delayed_error) {
        return tcp->delayed_error;
    }
    err = maybe_new_socket(tcp, AF_INET, UV_HANDLE_BOUND);
    if (err) {
        return err;
    }
    if (listen(tcp->io_watcher.fd, backlog)) {
        return UV__ERR(errno);
    }
    tcp->connection_cb = cb;
    tcp->flags |= UV_HANDLE_BOUND;
    tcp->io_watcher.cb = uv__server_io;
    uv__io_start(tcp->loop, &tcp->io_watcher, UV__POLLIN);
    return 0;
}

int uv_tcp_getsockname(const uv_tcp_t *handle, struct sockaddr *name, int *namelen)
{
    if (handle->delayed_error) {
        return handle->delayed_error;
    }
    return uv__getsockpeername((const uv_handle_t *)handle, getsockname, name, namelen);
}

int uv_tcp_getpeername(const uv_tcp_t *handle, struct sockaddr *name, int *namelen)
{
    if (handle->delayed_error) {
        return handle->delayed_error;
    }
    return uv__getsockpeername((const uv_handle_t *)handle, getpeername, name, namelen);
}

int uv_tcp_nodelay(uv_tcp_t *handle, int on)
{
    if (uv__stream_fd(handle) != -1) {
        if (setsockopt(uv__stream_fd(handle), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on))) {
            return UV__ERR(errno);
        }
    }
    if (on) {
        handle->flags |= UV_HANDLE_TCP_NODELAY;
    } else {
        handle->flags &= ~UV_HANDLE_TCP_NODELAY;
    }
    return 0;
}

int uv_tcp_keepalive(uv_tcp_t *handle, int on, unsigned int delay)
{
    int fd = uv__stream_fd(handle);

    if (fd != -1) {
        if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on))) {
            return UV__ERR(errno);
        }
        if (on) {
            int intvl = 1, cnt = 10, idle = (int)delay;
            if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt))) {
                return UV__ERR(errno);
            }
        }
    }
    if (on) {
        handle->flags |= UV_HANDLE_TCP_KEEPALIVE;
    } else {
        handle->flags &= ~UV_HANDLE_TCP_KEEPALIVE;
    }
    return 0;
}

int uv_tcp_simultaneous_accepts(uv_tcp_t *handle, int enable)
{
    (void)handle;
    (void)enable;
    return 0;
}

int uv_tcp_close_reset(uv_tcp_t *handle, uv_close_cb close_cb)
{
    struct linger l = {1, 0};
    int fd = uv__stream_fd(handle);

    if (handle->flags & UV_HANDLE_SHUTTING) {
        return UV_EINVAL;
    }
    if (fd != -1 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l))) {
        if (errno != EINVAL) {
            return UV__ERR(errno);
        }
        errno = 0; /* the peer reset first: close anyway */
    }
    uv_close((uv_handle_t *)handle, close_cb);
    return 0;
}
