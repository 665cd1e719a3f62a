/*
 * test_task_io.c — tasks doing I/O: loop_read/loop_write with partial writes
 * of a large buffer through a small socket buffer, a reader and a writer task
 * waiting on one fd at the same time, loop_accept/loop_connect on a loopback
 * TCP listener (success, timeout, refusal), read/write timeouts, cancel at an
 * fd wait, EMFILE from accept (fault injection) with the server carrying on,
 * and wait_fd on an fd that is or becomes closed (an error, never a hang).
 *
 * Timeouts are read from the loop clock; every test closes its fds, joins its
 * tasks and asserts loop_close() == 0.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "helpers.h"
#include "core/sys.h"

static loop_t *L;


static char trace[64];
static size_t trace_len;

static void trace_put(char c)
{
    if (trace_len + 1 < sizeof trace) {
        trace[trace_len++] = c;
        trace[trace_len] = '\0';
    }
}

static void join_ok(loop_task_t *t)
{
    intptr_t r = 0;
    int rc = loop_join(t, &r, 0);
    cr_assert_eq(rc, 0, "task %s: %d (%s)", loop_task_name(t), rc, loop_strerror(rc));
    cr_assert_geq(r, 0, "task %s returned %ld (%s)", loop_task_name(t), (long)r,
                  loop_strerror((int)r));
}

/* A non-blocking AF_UNIX stream pair with small kernel buffers. */
static void small_socketpair(int sv[2], int bufsize)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    for (int i = 0; i < 2 && bufsize > 0; i++) {
        cr_assert_eq(setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize), 0);
        cr_assert_eq(setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize), 0);
    }
}

static int tcp_listener(struct sockaddr_in *addr, int backlog)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = 0;
    cr_assert_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    cr_assert_eq(listen(fd, backlog), 0);
    socklen_t len = sizeof *addr;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

static int tcp_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    return fd;
}

/* ======================================================================== */
/* Read and write                                                           */

#define BIG (4u << 20)

static unsigned char *wbuf, *rbuf;
static int io_fd[2];
static ssize_t write_rc;
static size_t read_total;
static int read_end_rc;

static intptr_t big_writer(void *arg)
{
    (void)arg;
    write_rc = loop_write(io_fd[0], wbuf, BIG, 10000);
    shutdown(io_fd[0], SHUT_WR);
    return write_rc == (ssize_t)BIG ? 0 : -EIO;
}

static intptr_t big_reader(void *arg)
{
    (void)arg;
    for (;;) {
        size_t want = BIG - read_total < 65536 ? BIG - read_total + 1 : 65536;
        ssize_t n = loop_read(io_fd[1], rbuf + read_total, want, 10000);
        if (n <= 0) {
            read_end_rc = (int)n;
            return n == 0 ? 0 : n;
        }
        read_total += (size_t)n;
        if (read_total > BIG) {
            return -E2BIG;
        }
    }
}

Test(task_io, a_large_write_through_a_small_buffer_arrives_whole_and_in_order, .timeout = 20)
{
    loop_t *loop = new_loop();
    small_socketpair(io_fd, 4096);
    wbuf = malloc(BIG);
    rbuf = malloc(BIG + 1);
    cr_assert(wbuf && rbuf);
    for (size_t i = 0; i < BIG; i++) {
        wbuf[i] = (unsigned char)(i * 7 + (i >> 12));
    }
    loop_task_t *w = loop_spawn(loop, big_writer, NULL, "writer");
    loop_task_t *r = loop_spawn(loop, big_reader, NULL, "reader");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);

    cr_assert_eq(write_rc, (ssize_t)BIG, "loop_write returns the whole length: %zd", write_rc);
    cr_assert_eq(read_total, BIG);
    cr_assert_eq(read_end_rc, 0, "then end of file");
    cr_assert_eq(memcmp(wbuf, rbuf, BIG), 0, "bytes arrive in order");
    loop_task_info_t info;
    loop_task_info(w, &info);
    cr_assert_gt(info.steps, 10, "the writer had to wait for room many times: %llu steps",
                 (unsigned long long)info.steps);
    join_ok(w);
    join_ok(r);
    free(wbuf);
    free(rbuf);
    close(io_fd[0]);
    close(io_fd[1]);
    close_loop(loop);
}

/* A reader and a writer task wait on the same fd at the same time. */
#define MID (1u << 20)

static loop_task_t *same_r, *same_w;
static loop_task_info_t seen_r, seen_w;
static char reply[16];

static intptr_t same_fd_reader(void *arg)
{
    (void)arg;
    ssize_t n = loop_read(io_fd[0], reply, sizeof reply - 1, 10000);
    trace_put('R');
    return n == 4 ? 0 : (n < 0 ? n : -EPROTO);
}

static intptr_t same_fd_writer(void *arg)
{
    (void)arg;
    ssize_t n = loop_write(io_fd[0], wbuf, MID, 10000);
    trace_put('W');
    return n == (ssize_t)MID ? 0 : (n < 0 ? n : -EPROTO);
}

static intptr_t peer(void *arg)
{
    (void)arg;
    /* both tasks ran once already and now wait on io_fd[0] */
    loop_task_info(same_r, &seen_r);
    loop_task_info(same_w, &seen_w);
    size_t got = 0;
    while (got < MID) {
        ssize_t n = loop_read(io_fd[1], rbuf + got, MID - got, 10000);
        if (n <= 0) {
            return n < 0 ? n : -EPIPE;
        }
        got += (size_t)n;
    }
    trace_put('P');
    if (memcmp(wbuf, rbuf, MID) != 0) {
        return -EBADMSG;
    }
    ssize_t n = loop_write(io_fd[1], "done", 4, 10000);
    return n == 4 ? 0 : -EIO;
}

Test(task_io, a_reader_and_a_writer_task_wait_on_one_fd_together, .timeout = 20)
{
    loop_t *loop = new_loop();
    small_socketpair(io_fd, 4096);
    wbuf = malloc(MID);
    rbuf = malloc(MID);
    for (size_t i = 0; i < MID; i++) {
        wbuf[i] = (unsigned char)(i * 13);
    }
    same_r = loop_spawn(loop, same_fd_reader, NULL, "reader");
    same_w = loop_spawn(loop, same_fd_writer, NULL, "writer");
    loop_task_t *p = loop_spawn(loop, peer, NULL, "peer");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);

    cr_assert_eq(seen_r.state, LOOP_TASK_WAITING);
    cr_assert_eq(seen_r.wait_kind, LOOP_WAIT_FD, "%s", loop_wait_kind_name(seen_r.wait_kind));
    cr_assert_eq(seen_r.wait_obj_id, (uint64_t)io_fd[0], "the fd number is the object");
    cr_assert_eq(seen_w.state, LOOP_TASK_WAITING);
    cr_assert_eq(seen_w.wait_kind, LOOP_WAIT_FD);
    cr_assert_eq(seen_w.wait_obj_id, (uint64_t)io_fd[0]);
    cr_assert_str_eq(trace, "WPR", "writer done, peer read all, then the reader got the reply: %s",
                     trace);
    cr_assert_str_eq(reply, "done");
    join_ok(same_r);
    join_ok(same_w);
    join_ok(p);
    free(wbuf);
    free(rbuf);
    close(io_fd[0]);
    close(io_fd[1]);
    close_loop(loop);
}

static int rw_timeout_rc[2];
static uint64_t rw_waited_ns[2];

static intptr_t read_and_write_timeouts(void *arg)
{
    (void)arg;
    char buf[64];
    uint64_t t0 = loop_now(L);
    rw_timeout_rc[0] = (int)loop_read(io_fd[0], buf, sizeof buf, 30);
    rw_waited_ns[0] = loop_now(L) - t0;
    /* nobody reads io_fd[1]: a big write fills the buffers and times out */
    t0 = loop_now(L);
    rw_timeout_rc[1] = (int)loop_write(io_fd[0], wbuf, MID, 20);
    rw_waited_ns[1] = loop_now(L) - t0;
    return 0;
}

Test(task_io, read_and_write_time_out_on_the_loop_clock, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    small_socketpair(io_fd, 4096);
    wbuf = calloc(1, MID);
    loop_task_t *t = loop_spawn(loop, read_and_write_timeouts, NULL, "timeouts");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(rw_timeout_rc[0], -ETIMEDOUT, "%d", rw_timeout_rc[0]);
    cr_assert_geq(rw_waited_ns[0], 30 * MS_NS);
    cr_assert_eq(rw_timeout_rc[1], -ETIMEDOUT, "%d", rw_timeout_rc[1]);
    cr_assert_geq(rw_waited_ns[1], 20 * MS_NS);
    join_ok(t);
    free(wbuf);
    close(io_fd[0]);
    close(io_fd[1]);
    close_loop(loop);
}

static loop_task_t *fd_victim;
static int fd_cancel_rc;

static intptr_t read_forever(void *arg)
{
    (void)arg;
    char c;
    fd_cancel_rc = (int)loop_read(io_fd[0], &c, 1, LOOP_FOREVER);
    return fd_cancel_rc;
}

static void cancel_fd_victim(loop_timer_t *tm)
{
    loop_task_cancel(fd_victim);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(task_io, cancel_at_an_fd_wait_returns_ECANCELED_and_stops_watching, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_timer_t tm;
    small_socketpair(io_fd, 0);
    fd_victim = loop_spawn(loop, read_forever, NULL, "reader");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_fd_victim, 2, 0);
    /* returns: the cancelled wait leaves no watcher keeping the loop alive */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fd_cancel_rc, -ECANCELED);
    cr_assert_eq(loop_join(fd_victim, NULL, 0), -ECANCELED);
    close(io_fd[0]);
    close(io_fd[1]);
    close_loop(loop);
}

static int eof_rc, wait_ev;

static intptr_t read_eof(void *arg)
{
    (void)arg;
    char c;
    wait_ev = loop_wait_fd(io_fd[0], LOOP_WRITABLE, 1000);
    eof_rc = (int)loop_read(io_fd[0], &c, 1, 1000); /* the peer closes meanwhile */
    return 0;
}

static intptr_t close_peer(void *arg)
{
    (void)arg;
    loop_sleep(2);
    close(io_fd[1]);
    return 0;
}

Test(task_io, wait_fd_reports_events_and_read_returns_0_at_end_of_file, .timeout = 5)
{
    loop_t *loop = new_loop();
    small_socketpair(io_fd, 0);
    loop_task_t *a = loop_spawn(loop, read_eof, NULL, "reader");
    loop_task_t *b = loop_spawn(loop, close_peer, NULL, "closer");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert(wait_ev > 0 && (wait_ev & LOOP_WRITABLE), "events %d", wait_ev);
    cr_assert_eq(eof_rc, 0, "end of file: %d", eof_rc);
    join_ok(a);
    join_ok(b);
    close(io_fd[0]);
    close_loop(loop);
}

/* ======================================================================== */
/* Accept and connect                                                       */

static int lfd;
static struct sockaddr_in laddr;
static int accepted_flags_ok;

static intptr_t serve_one(void *arg)
{
    (void)arg;
    char buf[16] = {0};
    int c = loop_accept(lfd, NULL, NULL, 2000);
    if (c < 0) {
        return c;
    }
    accepted_flags_ok = (fcntl(c, F_GETFL) & O_NONBLOCK) && (fcntl(c, F_GETFD) & FD_CLOEXEC);
    ssize_t n = loop_read(c, buf, 4, 2000);
    int rc = n == 4 && memcmp(buf, "ping", 4) == 0 ? 0 : -EPROTO;
    if (rc == 0 && loop_write(c, "pong", 4, 2000) != 4) {
        rc = -EIO;
    }
    close(c);
    return rc;
}

static intptr_t client_ping(void *arg)
{
    (void)arg;
    char buf[16] = {0};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
        return -errno;
    }
    int rc = loop_connect(s, (struct sockaddr *)&laddr, sizeof laddr, 2000);
    if (rc == 0 && loop_write(s, "ping", 4, 2000) != 4) {
        rc = -EIO;
    }
    if (rc == 0) {
        ssize_t n = loop_read(s, buf, 4, 2000);
        rc = n == 4 && memcmp(buf, "pong", 4) == 0 ? 0 : -EPROTO;
    }
    close(s);
    return rc;
}

Test(task_io, accept_and_connect_on_a_loopback_listener, .timeout = 5)
{
    loop_t *loop = new_loop();
    lfd = tcp_listener(&laddr, 16);
    loop_task_t *srv = loop_spawn(loop, serve_one, NULL, "server");
    loop_task_t *cli = loop_spawn(loop, client_ping, NULL, "client");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    join_ok(srv);
    join_ok(cli);
    cr_assert(accepted_flags_ok, "accepted fds are non-blocking and close-on-exec");
    close(lfd);
    close_loop(loop);
}

static int accept_timeout_rc;
static uint64_t accept_waited_ns;

static intptr_t accept_with_timeout(void *arg)
{
    (void)arg;
    uint64_t t0 = loop_now(L);
    accept_timeout_rc = loop_accept(lfd, NULL, NULL, 20);
    accept_waited_ns = loop_now(L) - t0;
    return 0;
}

Test(task_io, accept_times_out_without_clients, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    lfd = tcp_listener(&laddr, 16);
    loop_task_t *t = loop_spawn(loop, accept_with_timeout, NULL, "acceptor");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(accept_timeout_rc, -ETIMEDOUT, "%d", accept_timeout_rc);
    cr_assert_geq(accept_waited_ns, 20 * MS_NS);
    join_ok(t);
    close(lfd);
    close_loop(loop);
}

static int connect_rc;

static intptr_t connect_only(void *arg)
{
    int s = *(int *)arg;
    connect_rc = loop_connect(s, (struct sockaddr *)&laddr, sizeof laddr, 2000);
    return 0;
}

Test(task_io, connect_to_a_closed_port_is_refused, .timeout = 5)
{
    loop_t *loop = new_loop();
    int l = tcp_listener(&laddr, 1);
    close(l); /* the port is free now: nobody listens */
    int s = tcp_socket();
    loop_task_t *t = loop_spawn(loop, connect_only, &s, "connector");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(connect_rc, -ECONNREFUSED, "%d (%s)", connect_rc, loop_strerror(connect_rc));
    join_ok(t);
    close(s);
    close_loop(loop);
}

static uint64_t connect_waited_ns;

static intptr_t connect_with_timeout(void *arg)
{
    int s = *(int *)arg;
    uint64_t t0 = loop_now(L);
    connect_rc = loop_connect(s, (struct sockaddr *)&laddr, sizeof laddr, 50);
    connect_waited_ns = loop_now(L) - t0;
    return 0;
}

/*
 * A listener with a full accept queue drops SYNs: a connect then waits for a
 * retransmission (a second or more), which the 50 ms timeout cuts short.
 */
Test(task_io, connect_times_out_when_the_listener_drops_syns, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    int l = tcp_listener(&laddr, 0);
    int fill[4];
    int nfill = 0;
    /* fill the accept queue (backlog 0 holds one connection) */
    for (; nfill < 4; nfill++) {
        fill[nfill] = tcp_socket();
        int rc = connect(fill[nfill], (struct sockaddr *)&laddr, sizeof laddr);
        if (rc < 0 && errno != EINPROGRESS) {
            break;
        }
        struct pollfd pfd = {.fd = fill[nfill], .events = POLLOUT};
        if (poll(&pfd, 1, 200) == 0) {
            nfill++; /* this one is stuck: the queue is full */
            break;
        }
    }
    int s = tcp_socket();
    loop_task_t *t = loop_spawn(loop, connect_with_timeout, &s, "connector");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(connect_rc, -ETIMEDOUT, "%d (%s)", connect_rc, loop_strerror(connect_rc));
    cr_assert_geq(connect_waited_ns, 50 * MS_NS);
    join_ok(t);
    close(s);
    for (int i = 0; i < nfill; i++) {
        close(fill[i]);
    }
    close(l);
    close_loop(loop);
}

/* ======================================================================== */
/* EMFILE on accept                                                         */

static loop_event_t *client_connected;
static int accept_errors[4];
static int naccept_errors;
static int served;

static intptr_t resilient_server(void *arg)
{
    int want = (int)(intptr_t)arg;
    loop_event_wait(client_connected, 2000);
    while (served < want) {
        char buf[8] = {0};
        int c = loop_accept(lfd, NULL, NULL, 2000);
        if (c < 0) {
            if (naccept_errors < 4) {
                accept_errors[naccept_errors++] = c;
            }
            if (c == -EMFILE || c == -ENFILE) {
                continue; /* out of fds for now: try again */
            }
            return c;
        }
        ssize_t n = loop_read(c, buf, 4, 2000);
        if (n == 4 && loop_write(c, "pong", 4, 2000) == 4) {
            served++;
        }
        close(c);
    }
    return 0;
}

static int client_results[2];

static intptr_t pinging_client(void *arg)
{
    intptr_t i = (intptr_t)arg;
    char buf[8] = {0};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = loop_connect(s, (struct sockaddr *)&laddr, sizeof laddr, 2000);
    if (i == 0) {
        loop_event_set(client_connected); /* the connection waits in the accept queue */
    }
    if (rc == 0 && loop_write(s, "ping", 4, 2000) != 4) {
        rc = -EIO;
    }
    if (rc == 0) {
        rc = loop_read(s, buf, 4, 2000) == 4 && memcmp(buf, "pong", 4) == 0 ? 0 : -EPROTO;
    }
    close(s);
    client_results[i] = rc;
    return rc;
}

Test(task_io, EMFILE_from_accept_is_returned_and_the_server_keeps_serving, .timeout = 5)
{
    loop_t *loop = new_loop();
    lfd = tcp_listener(&laddr, 16);
    client_connected = loop_event_new(loop);
    cr_assert_eq(loop__fault_set("accept", 1, EMFILE), 0); /* the next accept fails */
    loop_task_t *c0 = loop_spawn(loop, pinging_client, (void *)0, "client0");
    loop_task_t *srv = loop_spawn(loop, resilient_server, (void *)2, "server");
    loop_task_t *c1 = loop_spawn(loop, pinging_client, (void *)1, "client1");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    loop__fault_clear(NULL);

    cr_assert_eq(naccept_errors, 1, "one failed accept");
    cr_assert_eq(accept_errors[0], -EMFILE, "%d", accept_errors[0]);
    cr_assert_eq(loop__fault_hits("accept"), 1);
    cr_assert_eq(served, 2, "the server served both clients after the failure");
    cr_assert_eq(client_results[0], 0);
    cr_assert_eq(client_results[1], 0);
    join_ok(srv);
    join_ok(c0);
    join_ok(c1);
    cr_assert_eq(loop_event_free(client_connected), 0);
    close(lfd);
    close_loop(loop);
}

/* ======================================================================== */
/* Closed fds                                                               */

static int closed_rc, bad_args_rc[3];
static uint64_t closed_waited_ns;

static intptr_t wait_on_closed_fd(void *arg)
{
    int fd = (int)(intptr_t)arg;
    uint64_t t0 = loop_now(L);
    closed_rc = loop_wait_fd(fd, LOOP_READABLE, 3000);
    closed_waited_ns = loop_now(L) - t0;
    bad_args_rc[0] = loop_wait_fd(-1, LOOP_READABLE, 10);
    bad_args_rc[1] = loop_wait_fd(io_fd[0], 0, 10);
    bad_args_rc[2] = loop_wait_fd(io_fd[0], 64, 10);
    return 0;
}

Test(task_io, wait_fd_on_an_already_closed_fd_is_EBADF_at_once, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    capture_logs();
    small_socketpair(io_fd, 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    close(p[0]);
    loop_task_t *t = loop_spawn(loop, wait_on_closed_fd, (void *)(intptr_t)p[0], "waiter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(closed_rc, -EBADF, "%d (%s)", closed_rc, loop_strerror(closed_rc));
    cr_assert_lt(closed_waited_ns, 1000 * MS_NS);
    cr_assert_eq(bad_args_rc[0], -EINVAL);
    cr_assert_eq(bad_args_rc[1], -EINVAL);
    cr_assert_eq(bad_args_rc[2], -EINVAL);
    join_ok(t);
    close(p[1]);
    close(io_fd[0]);
    close(io_fd[1]);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}

static int victim_fd;

static intptr_t wait_readable(void *arg)
{
    (void)arg;
    uint64_t t0 = loop_now(L);
    closed_rc = loop_wait_fd(victim_fd, LOOP_READABLE, 3000);
    closed_waited_ns = loop_now(L) - t0;
    return 0;
}

static intptr_t close_victim_after(void *arg)
{
    intptr_t ms = (intptr_t)arg;
    if (ms > 0) {
        loop_sleep(ms); /* the loop blocks in poll meanwhile */
    }
    close(victim_fd);
    return 0;
}

static void closed_while_waiting(intptr_t close_after_ms)
{
    loop_t *loop = L = new_loop();
    capture_logs();
    int p[2];
    cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    victim_fd = p[0];
    loop_task_t *w = loop_spawn(loop, wait_readable, NULL, "waiter");
    loop_task_t *c = loop_spawn(loop, close_victim_after, (void *)close_after_ms, "closer");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_neq(closed_rc, -ETIMEDOUT,
                  "the wait on the closed fd was only ended by its own timeout after %llu ms",
                  (unsigned long long)(closed_waited_ns / MS_NS));
    cr_assert_eq(closed_rc, -EBADF, "%d (%s)", closed_rc, loop_strerror(closed_rc));
    join_ok(w);
    join_ok(c);
    close(p[1]);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}

Test(task_io, fd_closed_while_a_task_waits_before_the_loop_polls_is_EBADF, .timeout = 10)
{
    closed_while_waiting(0);
}

Test(task_io, fd_closed_while_a_task_waits_after_the_loop_polled_is_EBADF, .timeout = 10)
{
    closed_while_waiting(20);
}
