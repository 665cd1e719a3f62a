/*
 * monitor.c — the live monitor (the aiomonitor analog): a thread per loop
 * serving a Unix socket on which a person, or loopctl, asks what the loop is
 * doing. This file is the server; the commands are in monitor_cmd.c. Commands, one per line: ps, where ID, cancel ID, handles, stats,
 * slow, help, quit. Every reply ends with a line holding a single "."; the
 * first line of an error reply starts with "error:".
 *
 * Threads. loop_monitor_start/stop run on the loop thread. The core takes
 * loop->inspect_mu around every change of the task and handle tables while
 * loop->monitor is set; the monitor thread copies rows under it in short
 * chunks and formats them outside (monitor_cmd.c), so ps and where answer
 * while the loop thread is blocked in a callback, and the loop thread waits
 * for the lock microseconds at most. What must run on the loop thread
 * (cancel) is posted through an internal async handle that never keeps the
 * loop alive.
 *
 * Security. A Unix socket by default: mode 0600, in a directory we own that
 * nobody else can write (0700 when we create it); symlinks are refused, not
 * followed. Every connection's peer uid (SO_PEERCRED) must equal our
 * effective uid, root included: another uid is refused even when the file
 * permissions were loosened. TCP only when asked ("tcp:PORT"), and then bound
 * to 127.0.0.1 only; the peer's uid is then read from /proc/net/tcp (the
 * owner of the connecting socket, as identd does) and must equal ours too.
 *
 * Robustness. Client sockets are non-blocking; each has a bounded output
 * buffer. A line over MON_LINE_MAX bytes, or binary input (NUL, control
 * characters, bytes over 0x7e), gets one error reply and the connection is
 * closed. A client whose output does not drain is dropped when its buffer is
 * full or after MON_DRAIN_MS without progress, so a client that never reads
 * blocks neither the monitor nor the loop (the loop never waits on a socket).
 * A client that sends nothing for the idle timeout (loop_monitor_set_idle_timeout,
 * MON_IDLE_MS by default) is told so and closed: silent connections cannot
 * hold the MON_CLIENTS slots. With every slot taken, new connections wait in
 * the listen backlog and are served when a slot frees.
 * Every socket, poll and pipe call goes through the fault seam (syscalls.h)
 * and is retried on EINTR (the thread blocks signals, but a debugger or a
 * seccomp'd sandbox can still interrupt it).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/internal.h"
#include "task/task.h"
#include "core/trace.h"
#include "monitor.h"
#include "core/syscalls.h"

/* Clients ---------------------------------------------------------------------- */

/* send(), retried on EINTR; the socket is non-blocking. */
static ssize_t send_retry(int fd, const void *buf, size_t len)
{
    ssize_t n;

    do {
        n = loop__sys_send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
}

static void client_drop(struct mon_client *c)
{
    if (c->fd >= 0) {
        /* Unread input would turn our reply into ECONNRESET at the peer: drain it. */
        char sink[4096];
        for (int i = 0; i < 16 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++) {
        }
        close(c->fd);
    }
    free(c->out.buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* Queue an error reply and close once it is sent. */
static void client_refuse(struct mon_client *c, const char *why)
{
    loop__mon_out(&c->out, "error: %s\n.\n", why);
    c->closing = true;
    c->in_len = 0;
}

static bool is_text(unsigned char b)
{
    return (b >= 0x20 && b <= 0x7e) || b == '\t' || b == '\r';
}

static void client_input(struct loop__monitor *m, struct mon_client *c)
{
    char buf[4096];
    ssize_t n;

    do {
        n = loop__sys_recv(c->fd, buf, sizeof(buf), 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
        client_drop(c);
        return;
    }
    if (n > 0) {
        c->input_ns = loop__hrtime_ns();
    }
    for (ssize_t i = 0; i < n && !c->closing; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (b == '\n') {
            c->in[c->in_len] = '\0';
            c->in_len = 0;
            if (!loop__mon_run_command(m, &c->out, c->in)) {
                c->closing = true;
            }
        } else if (!is_text(b)) {
            client_refuse(c, "binary input (commands are lines of printable text); closing");
        } else if (c->in_len == MON_LINE_MAX) {
            client_refuse(c, "line too long (at most 1024 bytes); closing");
        } else {
            c->in[c->in_len++] = (char)b;
        }
    }
    if (c->out.nomem) {
        static const char nomem[] = "error: out of memory; closing\n.\n";
        (void)!send_retry(c->fd, nomem, sizeof(nomem) - 1);
        loop_log(LOOP_LOG_WARN, "Monitor: dropped a client: out of memory for its reply path=%s",
                 m->path);
        client_drop(c);
    } else if (c->out.overflow) {
        loop_log(LOOP_LOG_WARN, "Monitor: dropped a client: reply over %d bytes unsent path=%s",
                 MON_OUT_MAX, m->path);
        client_drop(c);
    }
}

static void client_output(struct mon_client *c, uint64_t now_ns)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send_retry(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off);
        if (n < 0) {
            if (errno != EAGAIN) {
                client_drop(c);
            }
            return;
        }
        c->out_off += (size_t)n;
        c->progress_ns = now_ns;
    }
    c->out.len = 0;
    c->out_off = 0;
    if (c->closing) {
        client_drop(c);
    }
}

/*
 * The uid owning the loopback TCP connection whose local end is
 * peer_port and remote end our_port, from /proc/net/tcp; -1 if not found.
 */
static long tcp_peer_uid(unsigned peer_port, unsigned our_port)
{
    FILE *f = fopen("/proc/net/tcp", "re");
    char line[512];
    long uid = -1;

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned la, lp, ra, rp, st;
        long u;
        if (sscanf(line, " %*d: %x:%x %x:%x %x %*x:%*x %*x:%*x %*x %ld", &la, &lp, &ra, &rp,
                   &st, &u) == 6 &&
            lp == peer_port && rp == our_port && la == htonl(INADDR_LOOPBACK)) {
            uid = u;
            break;
        }
    }
    fclose(f);
    return uid;
}

/* The peer's uid (Unix: SO_PEERCRED; loopback TCP: /proc/net/tcp), -1 unknown. */
static long peer_uid(const struct loop__monitor *m, int fd, long *pid)
{
    *pid = -1;
    if (m->tcp) {
        struct sockaddr_in peer, self;
        socklen_t pl = sizeof(peer), sl = sizeof(self);
        if (getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 ||
            getsockname(fd, (struct sockaddr *)&self, &sl) != 0 ||
            peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
            return -1;
        }
        return tcp_peer_uid(ntohs(peer.sin_port), ntohs(self.sin_port));
    }
    struct ucred cr;
    socklen_t len = sizeof(cr);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)) {
        return -1;
    }
    *pid = (long)cr.pid;
    return (long)cr.uid;
}

static struct mon_client *free_slot(struct loop__monitor *m)
{
    for (int i = 0; i < MON_CLIENTS; i++) {
        if (m->clients[i].fd < 0) {
            return &m->clients[i];
        }
    }
    return NULL;
}

static void accept_clients(struct loop__monitor *m, uint64_t now_ns)
{
    /* with every slot taken, the next connections wait in the backlog */
    while (free_slot(m) != NULL) {
        int fd = loop__sys_accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct mon_client *c = NULL;
        long pid, uid;

        if (fd < 0) {
            int e = errno;
            if (e == EINTR || e == ECONNABORTED) {
                continue; /* the next connection may be there already */
            }
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                /* The connection stays queued and poll would report it again at
                 * once: rest the listening socket instead of spinning. */
                m->accept_after_ns = now_ns + (uint64_t)MON_ACCEPT_BACKOFF_MS * 1000000u;
                if (!m->accept_starved) {
                    m->accept_starved = true;
                    loop_log(LOOP_LOG_WARN,
                             "Monitor: cannot accept a connection: %s; retrying every %d ms "
                             "path=%s", strerror(e), MON_ACCEPT_BACKOFF_MS, m->path);
                }
            }
            return; /* EAGAIN: poll says when to try again */
        }
        m->accept_starved = false;
        uid = peer_uid(m, fd, &pid);
        if (uid != (long)geteuid()) {
            static const char refused[] = "error: permission denied\n.\n";
            (void)!send_retry(fd, refused, sizeof(refused) - 1);
            loop_log(LOOP_LOG_WARN,
                     "Monitor: refused a connection from uid=%ld pid=%ld (only uid %ld) path=%s",
                     uid, pid, (long)geteuid(), m->path);
            close(fd);
            continue;
        }
        c = free_slot(m);
        c->fd = fd;
        c->progress_ns = now_ns;
        c->input_ns = now_ns;
    }
}

/* The monitor thread ------------------------------------------------------------ */

/* Whether c has been silent past the idle timeout (nothing of its own pending). */
static bool client_idle(const struct mon_client *c, uint64_t idle_ns, uint64_t now_ns)
{
    return idle_ns != 0 && c->fd >= 0 && !c->closing && c->out_off >= c->out.len &&
           now_ns > c->input_ns && now_ns - c->input_ns >= idle_ns;
}

/* The poll timeout, ms: housekeeping, or the next idle deadline if sooner. */
static int next_timeout_ms(const struct loop__monitor *m, int timeout_ms, uint64_t now_ns)
{
    uint64_t idle_ns = atomic_load_explicit(&m->idle_ns, memory_order_relaxed);

    for (int i = 0; idle_ns != 0 && i < MON_CLIENTS; i++) {
        const struct mon_client *c = &m->clients[i];
        if (c->fd < 0 || c->closing) {
            continue;
        }
        uint64_t due = c->input_ns + idle_ns;
        int ms = due > now_ns ? (int)((due - now_ns + 999999) / 1000000u) : 0;
        timeout_ms = ms < timeout_ms ? ms : timeout_ms;
    }
    return timeout_ms;
}

static void *monitor_main(void *arg)
{
    struct loop__monitor *m = arg;
    struct pollfd pfd[2 + MON_CLIENTS];
    int who[2 + MON_CLIENTS];

    while (!atomic_load(&m->stop)) {
        nfds_t n = 0;
        int timeout_ms = MON_POLL_MS;
        uint64_t before_ns = loop__hrtime_ns();
        pfd[n] = (struct pollfd){.fd = m->wake[0], .events = POLLIN};
        who[n++] = -1;
        if (free_slot(m) == NULL) {
            /* every slot taken: new connections wait in the backlog until a
             * client leaves or times out, then they are served */
        } else if (before_ns >= m->accept_after_ns) {
            pfd[n] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
            who[n++] = -2;
        } else {
            timeout_ms = (int)((m->accept_after_ns - before_ns) / 1000000u) + 1;
        }
        for (int i = 0; i < MON_CLIENTS; i++) {
            struct mon_client *c = &m->clients[i];
            if (c->fd < 0) {
                continue;
            }
            short ev = c->closing ? 0 : POLLIN;
            if (c->out_off < c->out.len) {
                ev |= POLLOUT;
            }
            pfd[n] = (struct pollfd){.fd = c->fd, .events = ev};
            who[n++] = i;
        }
        timeout_ms = next_timeout_ms(m, timeout_ms, before_ns);
        int rc = loop__sys_poll(pfd, n, timeout_ms);
        uint64_t now_ns = loop__hrtime_ns();
        if (rc < 0 && errno != EINTR) {
            loop_log(LOOP_LOG_ERROR, "Monitor: poll failed: %s; the monitor stops path=%s",
                     strerror(errno), m->path);
            break;
        }
        for (nfds_t i = 0; rc > 0 && i < n; i++) {
            if (pfd[i].revents == 0) {
                continue;
            }
            if (who[i] == -1) {
                char drain[64];
                ssize_t got;
                do {
                    got = loop__sys_read(m->wake[0], drain, sizeof(drain));
                } while (got > 0 || (got < 0 && errno == EINTR));
            } else if (who[i] == -2) {
                accept_clients(m, now_ns);
            } else {
                struct mon_client *c = &m->clients[who[i]];
                if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                    if (c->closing) {
                        client_drop(c);
                        continue;
                    }
                    client_input(m, c);
                }
                if (c->fd >= 0) {
                    client_output(c, now_ns);
                }
            }
        }
        loop__attach_tick(m, now_ns); /* periodic state snapshots while tracing is on */
        /* A client whose output has not moved for MON_DRAIN_MS is dropped, and
         * one that sent nothing for the idle timeout (it holds a slot). */
        uint64_t idle_ns = atomic_load_explicit(&m->idle_ns, memory_order_relaxed);
        for (int i = 0; i < MON_CLIENTS; i++) {
            struct mon_client *c = &m->clients[i];
            if (client_idle(c, idle_ns, now_ns)) {
                char msg[96];
                int len = snprintf(msg, sizeof(msg), "error: idle for %" PRIu64 " ms; closing\n.\n",
                                   idle_ns / 1000000u);
                (void)!send_retry(c->fd, msg, (size_t)len);
                loop_log(LOOP_LOG_INFO, "Monitor: dropped a client idle for %" PRIu64 " ms path=%s",
                         idle_ns / 1000000u, m->path);
                client_drop(c);
                continue;
            }
            if (c->fd >= 0 && c->out_off < c->out.len &&
                now_ns - c->progress_ns > (uint64_t)MON_DRAIN_MS * 1000000u) {
                loop_log(LOOP_LOG_WARN, "Monitor: dropped a client that does not read path=%s",
                         m->path);
                client_drop(c);
            }
        }
    }
    for (int i = 0; i < MON_CLIENTS; i++) {
        client_drop(&m->clients[i]);
    }
    return NULL;
}

/* The socket -------------------------------------------------------------------- */

/*
 * A directory we may put the socket in: a real directory (not a symlink),
 * owned by our effective uid, that nobody else can write to (and, when
 * private, that nobody else can even enter).
 */
static int check_dir(const char *dir, bool private_dir)
{
    struct stat st;

    if (lstat(dir, &st) != 0) {
        return -errno;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        return -EACCES;
    }
    if ((st.st_mode & (private_dir ? 077 : 022)) != 0) {
        return -EACCES;
    }
    return 0;
}

static int default_path(loop_t *loop, char *path, size_t len)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int n, rc;

    /* $XDG_RUNTIME_DIR counts only when it is ours and private; else /tmp */
    if (xdg != NULL && xdg[0] == '/' && check_dir(xdg, true) == 0) {
        n = snprintf(dir, sizeof(dir), "%s/libloop", xdg);
    } else {
        n = snprintf(dir, sizeof(dir), "/tmp/libloop-%ld", (long)geteuid());
    }
    if (n < 0 || (size_t)n >= sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return -errno;
    }
    rc = check_dir(dir, true);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN,
                 "Monitor: refusing directory %s: not a directory of uid %ld with mode 0700", dir,
                 (long)geteuid());
        return rc;
    }
    n = snprintf(path, len, "%s/%ld-%" PRIu64 ".sock", dir, (long)getpid(), loop->id);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* An explicit path: its directory must be ours and not writable by others. */
static int check_path(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *slash = strrchr(path, '/');
    int rc;

    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    rc = check_dir(dir, false);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN,
                 "Monitor: refusing socket path %s: its directory is not owned by uid %ld or is "
                 "writable by others (or is a symlink)",
                 path, (long)geteuid());
    }
    return rc;
}

/* Something at path already: a stale socket of ours is replaced, anything else refused. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
        loop_log(LOOP_LOG_WARN, "Monitor: refusing socket path %s: something else is there",
                 path);
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    close(fd);
    if (rc == 0) {
        return -EADDRINUSE; /* a live monitor serves it */
    }
    return unlink(path) == 0 ? 0 : -errno;
}

/* "tcp:PORT" or "tcp:127.0.0.1:PORT" (0: any free port); loopback only. */
static int open_tcp(struct loop__monitor *m, const char *spec)
{
    const char *p = spec + 4;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    char *end;
    long port;
    int fd, one = 1;

    if (strncmp(p, "127.0.0.1:", 10) == 0) {
        p += 10;
    } else if (strchr(p, ':') != NULL) {
        loop_log(LOOP_LOG_WARN, "Monitor: refusing %s: TCP is served on 127.0.0.1 only", spec);
        return -EINVAL;
    }
    port = strtol(p, &end, 10);
    if (*p == '\0' || *end != '\0' || port < 0 || port > 65535) {
        return -EINVAL;
    }
    sa.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    m->tcp = true;
    m->listen_fd = fd;
    snprintf(m->path, sizeof(m->path), "tcp:127.0.0.1:%u", ntohs(sa.sin_port));
    return 0;
}

static int open_socket(struct loop__monitor *m)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, m->path, strlen(m->path) + 1);
    rc = clear_stale(m->path, &sa);
    if (rc < 0) {
        return rc;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    /* The directory is ours and nobody else can write it: the file we chmod is ours. */
    if (chmod(m->path, 0600) != 0 || lstat(m->path, &st) != 0) {
        rc = -errno;
        goto fail_unlink;
    }
    if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
        rc = -EACCES;
        goto fail_unlink;
    }
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    if (listen(fd, 16) != 0) {
        rc = -errno;
        goto fail_unlink;
    }
    m->listen_fd = fd;
    return 0;

fail_unlink:
    unlink(m->path);
fail_fd:
    close(fd);
    return rc;
}

static void close_socket(struct loop__monitor *m)
{
    struct stat st;

    if (m->listen_fd >= 0) {
        close(m->listen_fd);
        m->listen_fd = -1;
    }
    if (!m->tcp && lstat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino) {
        unlink(m->path);
    }
}

/* API ------------------------------------------------------------------------------ */

/* Debug mode: these run on the loop thread (they create and free its handles). */
static int wrong_thread(loop_t *loop, const char *api)
{
    if (LOOP_UNLIKELY(loop->debug) && !loop__on_loop_thread(loop)) {
        loop__misuse(loop, NULL, api, "called from a thread other than the loop's");
        return 1;
    }
    return 0;
}

int loop_monitor_start(loop_t *loop, const char *path)
{
    struct loop__monitor *m;
    sigset_t all, old;
    int rc;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_monitor_start")) {
        return -EINVAL;
    }
    if (loop->monitor != NULL) {
        return -EBUSY;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->loop = loop;
    m->listen_fd = -1;
    atomic_init(&m->idle_ns, (uint64_t)MON_IDLE_MS * 1000000u);
    m->wake[0] = m->wake[1] = -1;
    for (int i = 0; i < MON_CLIENTS; i++) {
        m->clients[i].fd = -1;
    }
    if (path != NULL) {
        if (*path == '\0') {
            rc = -EINVAL;
            goto fail_free;
        }
        if (strlen(path) >= sizeof(m->path)) {
            rc = -ENAMETOOLONG;
            goto fail_free;
        }
        strcpy(m->path, path);
        rc = strncmp(path, "tcp:", 4) == 0 ? open_tcp(m, path) : check_path(m->path);
    } else {
        rc = default_path(loop, m->path, sizeof(m->path));
    }
    if (rc < 0) {
        goto fail_free;
    }
    if (pipe2(m->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = -errno;
        goto fail_free;
    }
    rc = m->tcp ? 0 : open_socket(m);
    if (rc < 0) {
        goto fail_pipe;
    }
    loop__async_init_internal(loop, &m->async, loop__mon_on_cancel_requests, "libloop-monitor");
    pthread_mutex_init(&m->cancel_mu, NULL);
    m->stats_ns = loop__hrtime_ns();
    /* Traced from start-up (LOOP_TRACE=1, LD_PRELOAD): periodic state snapshots
     * for viewers that connect late (attach.c). */
    m->trace_tick_ns = m->stats_ns;
    atomic_store(&m->trace_on, loop__trace_probe_loaded() != 0);
    /* The core locks inspect_mu around table changes from now on: set it before
     * the thread can read the tables. */
    loop->monitor = m;
    loop__update_instrument(loop);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no process signals */
    rc = -pthread_create(&m->thread, NULL, monitor_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        loop->monitor = NULL;
        loop__update_instrument(loop);
        goto fail_async;
    }
    pthread_setname_np(m->thread, "loop-monitor");
    loop_log(LOOP_LOG_INFO, "Monitor: loop=%" PRIu64 " listening on %s", loop->id, m->path);
    return 0;

fail_async:
    pthread_mutex_destroy(&m->cancel_mu);
    loop__async_free_internal(loop, &m->async);
    close_socket(m);
fail_pipe:
    close(m->wake[0]);
    close(m->wake[1]);
fail_free:
    free(m);
    return rc;
}

const char *loop_monitor_path(const loop_t *loop)
{
    return loop != NULL && loop->monitor != NULL ? loop->monitor->path : NULL;
}

int loop_monitor_stop(loop_t *loop)
{
    struct loop__monitor *m;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_monitor_stop")) {
        return -EINVAL;
    }
    m = loop->monitor;
    if (m == NULL) {
        return -EALREADY;
    }
    atomic_store(&m->stop, true);
    ssize_t w;
    do {
        w = loop__sys_write(m->wake[1], "x", 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(m->thread, NULL);
    /* The thread is gone: nobody reads the tables any more. */
    loop->monitor = NULL;
    loop__update_instrument(loop);
    loop__async_free_internal(loop, &m->async);
    pthread_mutex_destroy(&m->cancel_mu);
    close_socket(m);
    close(m->wake[0]);
    close(m->wake[1]);
    free(m);
    return 0;
}

int loop_monitor_set_idle_timeout(loop_t *loop, uint64_t idle_ms)
{
    if (loop == NULL || loop->monitor == NULL || idle_ms > UINT64_MAX / 1000000u) {
        return -EINVAL;
    }
    atomic_store_explicit(&loop->monitor->idle_ns, idle_ms * 1000000u, memory_order_relaxed);
    /* the monitor thread recomputes its poll timeout: wake it */
    ssize_t w;
    do {
        w = loop__sys_write(loop->monitor->wake[1], "x", 1);
    } while (w < 0 && errno == EINTR);
    return 0;
}

/* loop_close(): stop the thread and remove the socket. */
void loop__monitor_free(loop_t *loop)
{
    if (loop->monitor != NULL) {
        loop_monitor_stop(loop);
    }
}
