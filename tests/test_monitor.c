/*
 * test_monitor.c — the live monitor: ps, where, handles and stats answer
 * while the loop thread is blocked in a callback; cancel is carried out by
 * the loop thread; another uid is refused (even with loosened permissions);
 * unsafe socket paths are refused; over-long and binary input get one error
 * and the connection closed; a client that never reads blocks neither the
 * monitor nor the loop; the socket is 0600 in a 0700 directory; loopctl.
 *
 * The loop thread is the test's main thread; a client thread talks to the
 * monitor. Blocking callbacks wait on a condition the client thread sets once
 * it has its replies, never on a sleep.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "helpers.h"

#define REPLY_MAX 65536

/* Client side ---------------------------------------------------------------- */

static int mon_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -errno;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t mon_cmd(int fd, const char *cmd, char *buf, size_t cap)
{
    char line[256];
    int rc;

    snprintf(line, sizeof(line), "%s\n", cmd);
    rc = send_all(fd, line, strlen(line));
    if (rc < 0) {
        return rc;
    }
    return mon_read_reply(fd, buf, cap);
}

/* After an error reply: the monitor closes the connection (EOF or reset). */
static bool closed_by_peer(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
}

/* A private directory for the socket. */
static char tmpdir[64];

static const char *sock_path(void)
{
    static char path[128];

    if (tmpdir[0] == '\0') {
        strcpy(tmpdir, "/tmp/libloop-test-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof(path), "%s/m.sock", tmpdir);
    return path;
}

static void remove_tmpdir(void)
{
    if (tmpdir[0] != '\0') {
        unlink(sock_path());
        cr_expect_eq(rmdir(tmpdir), 0, "rmdir %s: %s (left over files?)", tmpdir,
                     strerror(errno));
        tmpdir[0] = '\0';
    }
}

/* A gate between the blocked loop thread and the client thread. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered;  /* the loop thread is blocked in its callback */
    bool released; /* the client has its replies */
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};

static void gate_set(bool *flag)
{
    pthread_mutex_lock(&gate.mu);
    *flag = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* Wait for flag, at most 10 s (a failing monitor must fail the test, not hang it). */
static bool gate_wait(bool *flag)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&gate.mu);
    while (!*flag) {
        if (pthread_cond_timedwait(&gate.cv, &gate.mu, &ts) != 0) {
            break;
        }
    }
    bool ok = *flag;
    pthread_mutex_unlock(&gate.mu);
    return ok;
}

/* ps, where, handles and stats while the loop thread is blocked ---------------- */

static loop_t *the_loop;
static loop_task_t *sleeper_task;
static char ps_reply[REPLY_MAX], where_reply[REPLY_MAX], handles_reply[REPLY_MAX];
static char stats_reply[REPLY_MAX], slow_reply[REPLY_MAX], help_reply[REPLY_MAX];
static char ps2_reply[REPLY_MAX];
static bool block_released;

static void blocking_call(loop_t *loop, void *arg)
{
    (void)arg;
    gate_set(&gate.entered);
    block_released = gate_wait(&gate.released);
    loop_task_cancel(sleeper_task);
    (void)loop;
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    loop_call_soon(the_loop, blocking_call, NULL);
    return loop_sleep(60000);
}

static void *ps_client(void *arg)
{
    const char *path = arg;
    char cmd[64];
    int fd;

    if (!gate_wait(&gate.entered)) {
        return NULL;
    }
    fd = mon_connect(path);
    if (fd >= 0) {
        mon_cmd(fd, "ps", ps_reply, REPLY_MAX);
        snprintf(cmd, sizeof(cmd), "where %llu", (unsigned long long)loop_task_id(sleeper_task));
        mon_cmd(fd, cmd, where_reply, REPLY_MAX);
        mon_cmd(fd, "handles", handles_reply, REPLY_MAX);
        mon_cmd(fd, "stats", stats_reply, REPLY_MAX);
        mon_cmd(fd, "slow", slow_reply, REPLY_MAX);
        close(fd);
    }
    /* another client, after the first one left */
    fd = mon_connect(path);
    if (fd >= 0) {
        mon_cmd(fd, "help", help_reply, REPLY_MAX);
        mon_cmd(fd, "ps", ps2_reply, REPLY_MAX);
        close(fd);
    }
    gate_set(&gate.released);
    return NULL;
}

Test(monitor, ps_where_handles_stats_answer_while_the_loop_is_blocked, .timeout = 60)
{
    loop_t *loop = the_loop = new_loop();
    loop_timer_t ticker;
    pthread_t client;
    intptr_t result;

    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    cr_assert_str_eq(loop_monitor_path(loop), sock_path());
    loop_timer_init(loop, &ticker);
    loop_handle_set_name(LOOP_HANDLE(&ticker), "ticker");
    sleeper_task = loop_spawn(loop, sleeper, NULL, "sleeper");
    cr_assert_not_null(sleeper_task);
    pthread_create(&client, NULL, ps_client, (void *)sock_path());

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);
    cr_assert(block_released, "the client never got its replies");

    char want[128];
    cr_expect(strstr(ps_reply, "loop is busy in kind=defer") != NULL, "ps:\n%s", ps_reply);
    snprintf(want, sizeof(want), "task id=%llu name=\"sleeper\" state=waiting wait=sleep",
             (unsigned long long)loop_task_id(sleeper_task));
    cr_expect(strstr(ps_reply, want) != NULL, "ps:\n%s", ps_reply);
    cr_expect(strstr(ps_reply, "timeout-ms=60000") != NULL, "ps:\n%s", ps_reply);
    cr_expect(strstr(ps_reply, "test_monitor.c") != NULL, "ps shows sites:\n%s", ps_reply);
    cr_expect(strstr(where_reply, "suspended at: tests/test_monitor.c") != NULL ||
                  strstr(where_reply, "suspended at: ") != NULL,
              "where:\n%s", where_reply);
    cr_expect(strstr(where_reply, "(sleeper)") != NULL, "where names the function:\n%s",
              where_reply);
    cr_expect(strstr(where_reply, "waits on: sleep") != NULL, "where:\n%s", where_reply);
    cr_expect(strstr(handles_reply, "name=\"ticker\" inactive") != NULL, "handles:\n%s",
              handles_reply);
    cr_expect(strstr(stats_reply, "callbacks=") != NULL, "stats:\n%s", stats_reply);
    cr_expect(strstr(stats_reply, "tasks-alive=1") != NULL, "stats:\n%s", stats_reply);
    cr_expect(strstr(slow_reply, "debug mode") != NULL, "slow:\n%s", slow_reply);
    cr_expect(strstr(help_reply, "cancel ID") != NULL, "help:\n%s", help_reply);
    cr_expect(strstr(ps2_reply, "name=\"sleeper\"") != NULL, "second client:\n%s", ps2_reply);

    cr_expect_eq(loop_join(sleeper_task, &result, 0), -ECANCELED);
    loop_handle_close(LOOP_HANDLE(&ticker), NULL);
    finish_loop(loop);
    cr_expect_eq(access(sock_path(), F_OK), -1, "loop_close removes the socket");
    remove_tmpdir();
}

/* cancel -------------------------------------------------------------------------- */

static loop_task_t *victim;
static loop_event_t *never;
static char cancel_reply[REPLY_MAX], cancel_bad_reply[REPLY_MAX], cancel_usage_reply[REPLY_MAX];
static atomic_bool cancel_client_done;
static int watch_ticks;

static int cancel_each(loop_task_t *t, void *arg)
{
    (void)arg;
    loop_task_cancel(t);
    return 0;
}

static intptr_t wait_forever(void *arg)
{
    (void)arg;
    return loop_event_wait(never, LOOP_FOREVER);
}

static void watch_victim(loop_timer_t *t)
{
    watch_ticks++;
    if (loop_task_state(victim) >= LOOP_TASK_DONE || watch_ticks > 2000) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

static void *cancel_client(void *arg)
{
    char cmd[64];
    int fd = mon_connect(arg);

    if (fd >= 0) {
        snprintf(cmd, sizeof(cmd), "cancel %llu", (unsigned long long)loop_task_id(victim));
        mon_cmd(fd, cmd, cancel_reply, REPLY_MAX);
        mon_cmd(fd, "cancel 987654", cancel_bad_reply, REPLY_MAX);
        mon_cmd(fd, "cancel x", cancel_usage_reply, REPLY_MAX);
        close(fd);
    }
    atomic_store(&cancel_client_done, true);
    return NULL;
}

Test(monitor, cancel_is_carried_out_by_the_loop_thread, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_timer_t watch;
    pthread_t client;

    capture_logs();
    never = loop_event_new(loop);
    victim = loop_spawn(loop, wait_forever, NULL, "victim");
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    loop_timer_init(loop, &watch);
    loop_timer_start(&watch, watch_victim, 5, 5);
    pthread_create(&client, NULL, cancel_client, (void *)sock_path());

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);

    char want[128];
    snprintf(want, sizeof(want), "cancel requested: task id=%llu name=\"victim\"",
             (unsigned long long)loop_task_id(victim));
    cr_expect(strstr(cancel_reply, want) != NULL, "cancel:\n%s", cancel_reply);
    cr_expect(strstr(cancel_bad_reply, "error: no task id=987654") != NULL, "%s",
              cancel_bad_reply);
    cr_expect(strstr(cancel_usage_reply, "error: usage: cancel ID") != NULL, "%s",
              cancel_usage_reply);
    cr_expect_eq(loop_task_state(victim), LOOP_TASK_CANCELLED);
    snprintf(want, sizeof(want), "Monitor: cancel task id=%llu name=\"victim\": done",
             (unsigned long long)loop_task_id(victim));
    cr_expect_eq(loop_join(victim, NULL, 0), -ECANCELED);
    cr_expect(logs_contain(want), "log:\n%s", logs_text());
    /* ps-done says who cancelled it: the monitor, not "a callback" */
    {
        static char done_reply[REPLY_MAX];
        int fd = mon_connect(sock_path());
        cr_assert_geq(fd, 0);
        mon_cmd(fd, "ps-done", done_reply, REPLY_MAX);
        close(fd);
        cr_expect(strstr(done_reply, "cancelled by the monitor") != NULL, "ps-done:\n%s", done_reply);
    }
    cr_expect_eq(loop_event_free(never), 0);
    finish_loop(loop);
    remove_tmpdir();
}

/* security ------------------------------------------------------------------------ */

/* In a child that became uid 65534: connect and ask for ps. Exit status says what happened. */
static int nobody_child(const char *path)
{
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    int fd;

    if (setgid(65534) != 0 || setuid(65534) != 0) {
        return 10;
    }
    fd = mon_connect(path);
    if (fd < 0) {
        return fd == -EACCES ? 20 : 21; /* 20: the file permissions stopped us */
    }
    (void)send_all(fd, "ps\n", 3); /* may fail: the monitor may have refused and closed already */
    while (len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (strstr(buf, "loop id=") != NULL || strstr(buf, "task id=") != NULL) {
        return 40; /* it answered */
    }
    return strstr(buf, "error: permission denied") != NULL ? 0 : 41;
}

static int run_nobody_child(const char *path)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        _exit(nobody_child(path));
    }
    cr_assert_gt(pid, 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

Test(monitor, another_uid_is_refused, .timeout = 60)
{
    loop_t *loop;

    if (geteuid() != 0) {
        cr_skip_test("needs root to become uid 65534");
    }
    capture_logs();
    loop = new_loop();
    loop_spawn(loop, wait_forever, NULL, "secret");
    never = loop_event_new(loop);
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);

    /* as created: the 0700 directory and 0600 socket keep uid 65534 out */
    cr_expect_eq(run_nobody_child(sock_path()), 20);
    /* loosened: the kernel lets it connect, SO_PEERCRED makes the monitor refuse */
    cr_assert_eq(chmod(tmpdir, 0755), 0);
    cr_assert_eq(chmod(sock_path(), 0666), 0);
    int status = run_nobody_child(sock_path());
    cr_expect_eq(status, 0, "the child saw: %d (40: it was answered)", status);
    cr_expect(logs_contain("Monitor: refused a connection from uid=65534"), "log:\n%s",
              logs_text());

    /* our own uid is still served */
    int fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    static char reply[REPLY_MAX];
    cr_expect_gt(mon_cmd(fd, "ps", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "name=\"secret\"") != NULL, "%s", reply);
    close(fd);

    cr_expect_eq(loop_monitor_stop(loop), 0);
    cr_expect_eq(loop_monitor_stop(loop), -EALREADY);
    cr_expect_eq(access(sock_path(), F_OK), -1, "loop_monitor_stop removes the socket");
    /* the task never ran: cancel it, then let it finish */
    loop_task_walk(loop, cancel_each, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_expect_eq(loop_event_free(never), 0);
    cr_expect_eq(loop_close(loop), 0);
    remove_tmpdir();
}

Test(monitor, unsafe_socket_paths_are_refused, .timeout = 60)
{
    loop_t *loop = new_loop();
    char dir[64], path[256], link[128];
    struct stat st;
    int fd;

    strcpy(dir, "/tmp/libloop-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));

    /* a directory writable by others */
    cr_assert_eq(chmod(dir, 0777), 0);
    snprintf(path, sizeof(path), "%s/m.sock", dir);
    cr_expect_eq(loop_monitor_start(loop, path), -EACCES);
    cr_expect_eq(access(path, F_OK), -1);
    cr_assert_eq(chmod(dir, 0700), 0);

    /* a directory of another uid */
    if (geteuid() == 0) {
        cr_assert_eq(chown(dir, 65534, 65534), 0);
        cr_expect_eq(loop_monitor_start(loop, path), -EACCES);
        cr_expect_eq(access(path, F_OK), -1);
        cr_assert_eq(chown(dir, 0, 0), 0);
    } else {
        cr_expect_eq(loop_monitor_start(loop, "/tmp/m.sock"), -EACCES); /* root's /tmp */
    }

    /* the directory through a symlink */
    snprintf(link, sizeof(link), "%s.link", dir);
    cr_assert_eq(symlink(dir, link), 0);
    snprintf(path, sizeof(path), "%s/m.sock", link);
    cr_expect_eq(loop_monitor_start(loop, path), -EACCES);
    unlink(link);

    /* something else at the path: a file, a symlink; neither is touched */
    snprintf(path, sizeof(path), "%s/file", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_expect_eq(loop_monitor_start(loop, path), -EEXIST);
    cr_expect_eq(stat(path, &st), 0);
    cr_expect(S_ISREG(st.st_mode));
    snprintf(link, sizeof(link), "%s/sym.sock", dir);
    cr_assert_eq(symlink(path, link), 0);
    cr_expect_eq(loop_monitor_start(loop, link), -EEXIST);
    cr_expect_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode));
    unlink(link);
    unlink(path);

    /* too long for sun_path; empty */
    char longpath[300];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    cr_expect_eq(loop_monitor_start(loop, longpath), -ENAMETOOLONG);
    cr_expect_eq(loop_monitor_start(loop, ""), -EINVAL);
    cr_expect_eq(loop_monitor_start(NULL, NULL), -EINVAL);
    cr_expect_null(loop_monitor_path(loop));

    /* a good path works, and a second monitor is refused */
    snprintf(path, sizeof(path), "%s/m.sock", dir);
    cr_expect_eq(loop_monitor_start(loop, path), 0);
    cr_expect_eq(loop_monitor_start(loop, path), -EBUSY);
    cr_expect_eq(loop_close(loop), 0);
    cr_expect_eq(access(path, F_OK), -1);
    cr_expect_eq(rmdir(dir), 0);
}

Test(monitor, socket_is_0600_in_a_0700_directory, .timeout = 60)
{
    char xdg[64], want[256];
    struct stat st;
    loop_t *loop;

    strcpy(xdg, "/tmp/libloop-xdg-XXXXXX");
    cr_assert_not_null(mkdtemp(xdg));
    setenv("XDG_RUNTIME_DIR", xdg, 1);
    setenv("LOOP_MONITOR", "1", 1);
    loop = new_loop();
    unsetenv("LOOP_MONITOR");
    cr_assert_not_null(loop_monitor_path(loop), "LOOP_MONITOR=1 starts the monitor");
    snprintf(want, sizeof(want), "%s/libloop/%ld-%llu.sock", xdg, (long)getpid(),
             (unsigned long long)loop_id(loop));
    cr_expect_str_eq(loop_monitor_path(loop), want);
    cr_assert_eq(lstat(want, &st), 0);
    cr_expect(S_ISSOCK(st.st_mode));
    cr_expect_eq(st.st_mode & 07777, 0600, "socket mode %o", st.st_mode & 07777);
    cr_expect_eq(st.st_uid, geteuid());
    snprintf(want, sizeof(want), "%s/libloop", xdg);
    cr_assert_eq(lstat(want, &st), 0);
    cr_expect(S_ISDIR(st.st_mode));
    cr_expect_eq(st.st_mode & 07777, 0700, "directory mode %o", st.st_mode & 07777);
    cr_expect_eq(loop_close(loop), 0);
    cr_expect_eq(rmdir(want), 0, "the socket is gone after loop_close");

    /* an XDG_RUNTIME_DIR that is not private is not used: /tmp/libloop-UID instead */
    cr_assert_eq(chmod(xdg, 0755), 0);
    loop = new_loop();
    cr_assert_eq(loop_monitor_start(loop, NULL), 0);
    snprintf(want, sizeof(want), "/tmp/libloop-%ld/", (long)geteuid());
    cr_expect_eq(strncmp(loop_monitor_path(loop), want, strlen(want)), 0, "%s",
                 loop_monitor_path(loop));
    cr_expect_eq(loop_close(loop), 0);
    cr_expect_eq(rmdir(xdg), 0);
    unsetenv("XDG_RUNTIME_DIR");
}

/* malformed input -------------------------------------------------------------------- */

Test(monitor, over_long_and_binary_input_get_one_error_and_close, .timeout = 60)
{
    loop_t *loop = new_loop();
    static char reply[REPLY_MAX], big[4096];
    int fd;

    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);

    fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    memset(big, 'a', 2000);
    big[2000] = '\n';
    cr_assert_eq(send_all(fd, big, 2001), 0);
    cr_expect_gt(mon_read_reply(fd, reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: line too long") != NULL, "%s", reply);
    cr_expect(closed_by_peer(fd), "closed after an over-long line");
    close(fd);

    fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    cr_assert_eq(send_all(fd, "ps\0x\n", 5), 0);
    cr_expect_gt(mon_read_reply(fd, reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: binary input") != NULL, "%s", reply);
    cr_expect(closed_by_peer(fd), "closed after a NUL");
    close(fd);

    fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    cr_assert_eq(send_all(fd, "\x01\x02\xff\n", 4), 0);
    cr_expect_gt(mon_read_reply(fd, reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: binary input") != NULL, "%s", reply);
    cr_expect(closed_by_peer(fd), "closed after control bytes");
    close(fd);

    /* a wrong command is answered with an error line and the connection stays usable */
    fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    cr_expect_gt(mon_cmd(fd, "bogus", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: unknown command") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "where", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: usage: where ID") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "where 18446744073709551616", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: usage: where ID") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "where 424242", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "error: no task or handle id=424242") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "  help\r", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "commands:") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "quit", reply, REPLY_MAX), 0);
    cr_expect(closed_by_peer(fd), "quit closes");
    close(fd);

    cr_expect_eq(loop_close(loop), 0);
    remove_tmpdir();
}

/* a client that never reads ----------------------------------------------------------- */

static atomic_bool stuffer_done;
static atomic_bool stuffer_dropped;
static atomic_int ticks;
static int ticks_while_stuck = -1;
static char after_reply[REPLY_MAX];
static uint64_t last_tick_ns, max_gap_ns;

static void tick(loop_timer_t *t)
{
    uint64_t now = mono_ns();

    if (last_tick_ns != 0 && now - last_tick_ns > max_gap_ns) {
        max_gap_ns = now - last_tick_ns;
    }
    last_tick_ns = now;
    atomic_fetch_add(&ticks, 1);
    if (atomic_load(&stuffer_done)) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

/* Ask for help n times (or until dropped) without reading; true if dropped. */
static bool stuff(int fd, int n, uint64_t end_ns)
{
    for (int i = 0; i < n && mono_ns() < end_ns;) {
        ssize_t sent = send(fd, "help\n", 5, MSG_NOSIGNAL);
        if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return true;
        }
        if (sent < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 10);
            continue;
        }
        i++;
    }
    return false;
}

/*
 * Leave some 250 KB of replies unread (the monitor holds what the socket does
 * not), then check that the loop ticks and another client is served while
 * this one is stuck; then keep asking until the monitor drops us.
 */
static void *stuffer(void *arg)
{
    const char *path = arg;
    uint64_t end = mono_ns() + 20000 * MS_NS;
    struct timespec hold = {0, 200 * 1000000L};
    int fd = mon_connect(path);

    if (fd >= 0) {
        fcntl(fd, F_SETFL, O_NONBLOCK);
        if (!stuff(fd, 400, end)) {
            int t0 = atomic_load(&ticks);
            int other = mon_connect(path);
            if (other >= 0) {
                mon_cmd(other, "ps", after_reply, REPLY_MAX);
                close(other);
            }
            nanosleep(&hold, NULL);
            ticks_while_stuck = atomic_load(&ticks) - t0;
            atomic_store(&stuffer_dropped, stuff(fd, 1 << 30, end));
        }
        close(fd);
    }
    atomic_store(&stuffer_done, true);
    return NULL;
}

Test(monitor, a_client_that_never_reads_blocks_neither_monitor_nor_loop, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    pthread_t client;

    capture_logs();
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    loop_timer_init(loop, &t);
    loop_timer_start(&t, tick, 2, 2);
    pthread_create(&client, NULL, stuffer, (void *)sock_path());
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);

    cr_expect_geq(ticks_while_stuck, 5, "timers kept firing while the client was stuck: %d",
                  ticks_while_stuck);
    cr_expect(strstr(after_reply, "loop id=") != NULL, "another client is served meanwhile:\n%s",
              after_reply);
    cr_expect(atomic_load(&stuffer_dropped), "the monitor dropped the client in the end");
    cr_expect(logs_contain("Monitor: dropped a client"), "log:\n%s", logs_text());
    cr_expect_lt(max_gap_ns, 1000 * MS_NS, "the loop never stalled: max gap %.1f ms",
                 (double)max_gap_ns / 1e6);
    cr_expect_eq(loop_close(loop), 0);
    remove_tmpdir();
}

/* loopctl ------------------------------------------------------------------------------ */

/* Run loopctl with args; its stdout+stderr in out; exit status. */
static int run_loopctl(const char *const *args, char *out, size_t cap)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char exe[256];
    int pipefd[2], status;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    snprintf(exe, sizeof(exe), "%s/bin/loopctl", build);
    if (access(exe, X_OK) != 0) {
        return -1;
    }
    cr_assert_eq(pipe(pipefd), 0);
    pid = fork();
    if (pid == 0) {
        const char *argv[8] = {exe};
        for (int i = 0; args[i] != NULL && i < 6; i++) {
            argv[i + 1] = args[i];
        }
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    while (len < cap - 1 && (n = read(pipefd[0], out + len, cap - 1 - len)) > 0) {
        len += (size_t)n;
    }
    out[len] = '\0';
    close(pipefd[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Test(monitor, loopctl_sends_one_command_and_prints_the_reply, .timeout = 60)
{
    loop_t *loop = new_loop();
    static char text[REPLY_MAX];
    char nosock[160];

    loop_spawn(loop, wait_forever, NULL, "ctl-visible");
    never = loop_event_new(loop);
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);

    const char *ps[] = {sock_path(), "ps", NULL};
    int rc = run_loopctl(ps, text, sizeof(text));
    if (rc == -1) {
        cr_skip_test("loopctl not built (make programs)");
    }
    cr_expect_eq(rc, 0, "%s", text);
    cr_expect(strstr(text, "name=\"ctl-visible\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\n.\n") == NULL, "the terminator is not printed:\n%s", text);

    const char *bad[] = {sock_path(), "where", "x", NULL};
    cr_expect_eq(run_loopctl(bad, text, sizeof(text)), 1, "an error reply exits 1: %s", text);

    snprintf(nosock, sizeof(nosock), "%s/none.sock", tmpdir);
    const char *none[] = {nosock, "ps", NULL};
    cr_expect_eq(run_loopctl(none, text, sizeof(text)), 1);
    cr_expect(strstr(text, "no such socket") != NULL, "%s", text);
    cr_expect(strchr(text, '\n') == text + strlen(text) - 1, "one line: %s", text);

    loop_task_walk(loop, cancel_each, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_expect_eq(loop_event_free(never), 0);
    cr_expect_eq(loop_close(loop), 0);
    remove_tmpdir();
}

/* Big tables and tasks that come and go (issue 13, items 6 and 7) -------------- */

/* Read one reply in bulk (the command was the only one sent); its length or -errno. */
static ssize_t read_reply_bulk(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    for (;;) {
        if ((len == 2 && memcmp(buf, ".\n", 2) == 0) ||
            (len >= 3 && memcmp(buf + len - 3, "\n.\n", 3) == 0)) {
            buf[len] = '\0';
            return (ssize_t)len;
        }
        if (len + 1 >= cap) {
            return -EMSGSIZE;
        }
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) {
            return n == 0 ? -EPIPE : -errno;
        }
        len += (size_t)n;
    }
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0, plen = strlen(prefix);

    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        n += strncmp(p, prefix, plen) == 0;
    }
    return n;
}

static loop_event_t *big_ev;
static loop_async_t big_done;
static char *big_reply;
static ssize_t big_len;
static atomic_int big_rounds_ok;

static intptr_t big_waiter(void *arg)
{
    (void)arg;
    return loop_event_wait(big_ev, LOOP_FOREVER);
}

static void on_big_done(loop_async_t *a)
{
    loop_event_set(big_ev);
    loop_handle_close(&a->handle, NULL);
}

static void *big_client(void *arg)
{
    int fd = mon_connect(arg);

    big_len = fd < 0 ? fd : send_all(fd, "ps\n", 3);
    if (big_len == 0) {
        big_len = read_reply_bulk(fd, big_reply, 16 << 20);
    }
    if (fd >= 0) {
        close(fd);
    }
    loop_async_send(&big_done);
    return NULL;
}

/* Before: ps walked and formatted under the loop's lock and a reply over 1 MB
 * dropped the client: a program with thousands of tasks could not be listed. */
Test(monitor, ps_lists_every_task_of_a_large_table, .timeout = 120)
{
    enum { NTASKS = 8000 };
    loop_t *loop = new_loop();
    pthread_t client;

    big_reply = malloc(16 << 20);
    cr_assert_not_null(big_reply);
    big_ev = loop_event_new(loop);
    for (int i = 0; i < NTASKS; i++) {
        loop_task_t *t = loop_spawn(loop, big_waiter, NULL, "big-waiter");
        cr_assert_not_null(t);
        loop_task_detach(t);
    }
    cr_assert_eq(loop_async_init(loop, &big_done, on_big_done), 0);
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    cr_assert_eq(pthread_create(&client, NULL, big_client, (void *)sock_path()), 0);
    cr_assert_geq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);
    cr_assert_gt(big_len, 0, "ps failed: %s", strerror((int)-big_len));
    cr_expect_eq(count_lines(big_reply, "task id="), NTASKS, "every task is listed");
    cr_expect(strstr(big_reply, "tasks-alive=8000") != NULL);
    cr_expect_eq(loop_event_free(big_ev), 0);
    close_loop(loop);
    free(big_reply);
    remove_tmpdir();
}

/* A walk pauses between chunks (and whenever the loop thread wants the lock);
 * the tasks it paused on end meanwhile. Under ASan a walk that resumed on a
 * freed task would be a use-after-free; every reply must be whole. */
enum { CHURN_ALIVE = 600, CHURN_PS = 25 };
static int churn_stop;

static intptr_t churn_child(void *arg)
{
    for (intptr_t i = 0; i < (intptr_t)arg % 4 + 1; i++) {
        loop_yield();
    }
    return 0;
}

static intptr_t churn_spawner(void *arg)
{
    loop_t *loop = arg;
    long n = 0;

    while (!churn_stop) {
        size_t alive;
        loop_task_t *t = loop_spawn(loop, churn_child, (void *)(intptr_t)n++, "churn");
        if (t == NULL) {
            return -ENOMEM;
        }
        loop_task_detach(t);
        loop_stats_t s;
        loop_get_stats(loop, &s);
        alive = s.tasks_alive;
        if (alive >= CHURN_ALIVE) {
            loop_yield();
        }
    }
    return 0;
}

static void on_churn_done(loop_async_t *a)
{
    churn_stop = 1;
    loop_handle_close(&a->handle, NULL);
}

static void *churn_client(void *arg)
{
    int fd = mon_connect(arg);

    for (int i = 0; fd >= 0 && i < CHURN_PS; i++) {
        const char *cmd = i % 5 == 4 ? "handles\n" : i % 5 == 3 ? "stats\n" : "ps\n";
        if (send_all(fd, cmd, strlen(cmd)) != 0 ||
            read_reply_bulk(fd, big_reply, 16 << 20) <= 0 ||
            strstr(big_reply, "loop id=") == NULL) {
            break;
        }
        atomic_fetch_add(&big_rounds_ok, 1);
    }
    if (fd >= 0) {
        close(fd);
    }
    loop_async_send(&big_done);
    return NULL;
}

Test(monitor, walks_survive_tasks_ending_between_chunks, .timeout = 120)
{
    loop_t *loop = new_loop();
    pthread_t client;
    loop_task_t *spawner;

    big_reply = malloc(16 << 20);
    cr_assert_not_null(big_reply);
    cr_assert_eq(loop_async_init(loop, &big_done, on_churn_done), 0);
    spawner = loop_spawn(loop, churn_spawner, loop, "spawner");
    cr_assert_not_null(spawner);
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    cr_assert_eq(pthread_create(&client, NULL, churn_client, (void *)sock_path()), 0);
    cr_assert_geq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);
    cr_expect_eq(atomic_load(&big_rounds_ok), CHURN_PS, "every reply came whole");
    cr_expect_eq(loop_join(spawner, NULL, 0), 0);
    close_loop(loop);
    free(big_reply);
    remove_tmpdir();
}

/* Idle clients (issue 13, item 12) ---------------------------------------------- */

/* Before: a client that connected and never sent anything kept its slot for
 * ever; 8 of them locked everybody else out ("too many monitor clients"). */
Test(monitor, idle_clients_time_out_and_free_their_slots, .timeout = 60)
{
    enum { IDLE_MS = 300 };
    loop_t *loop = new_loop();
    static char reply[REPLY_MAX];
    int silent[8], ninth;
    uint64_t t0;

    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    cr_assert_eq(loop_monitor_set_idle_timeout(loop, IDLE_MS), 0);
    t0 = mono_ns();
    for (int i = 0; i < 8; i++) {
        silent[i] = mon_connect(sock_path());
        cr_assert_geq(silent[i], 0);
    }
    /* the 9th waits in the backlog while the silent ones hold every slot, and
     * is served once they time out (mon_connect: a 5 s receive timeout) */
    ninth = mon_connect(sock_path());
    cr_assert_geq(ninth, 0);
    cr_assert_gt(mon_cmd(ninth, "ps", reply, REPLY_MAX), 0, "the 9th client was never served");
    uint64_t waited_ns = mono_ns() - t0;
    cr_expect(strstr(reply, "loop id=") != NULL, "%s", reply);
    cr_expect_geq(waited_ns, (uint64_t)IDLE_MS * MS_NS, "served after %.1f ms: before the "
                  "silent clients timed out?", (double)waited_ns / 1e6);
    for (int i = 0; i < 8; i++) {
        cr_expect_gt(mon_read_reply(silent[i], reply, REPLY_MAX), 0);
        cr_expect(strstr(reply, "error: idle for 300 ms") != NULL, "%s", reply);
        cr_expect(closed_by_peer(silent[i]));
        close(silent[i]);
    }
    /* a client that talks is not idle: the 9th still answers */
    cr_expect_gt(mon_cmd(ninth, "stats", reply, REPLY_MAX), 0);
    close(ninth);
    cr_expect_eq(loop_monitor_set_idle_timeout(loop, 0), 0, "0: never");
    cr_expect_eq(loop_monitor_stop(loop), 0);
    cr_expect_eq(loop_monitor_set_idle_timeout(loop, 10), -EINVAL, "no monitor");
    close_loop(loop);
    remove_tmpdir();
}

/* trace: the tracing state of a process started untraced, and bad arguments. */
Test(monitor, trace_reports_its_state_and_refuses_bad_arguments, .timeout = 60)
{
    loop_t *loop = new_loop();
    static char reply[REPLY_MAX];
    int fd;

    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    fd = mon_connect(sock_path());
    cr_assert_geq(fd, 0);
    cr_expect_gt(mon_cmd(fd, "trace", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "trace=off probe=not-loaded snapshots=0\n") != NULL, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "trace sideways", reply, REPLY_MAX), 0);
    cr_expect(strncmp(reply, "error: usage: trace [on|off]\n", 29) == 0, "%s", reply);
    cr_expect_gt(mon_cmd(fd, "help", reply, REPLY_MAX), 0);
    cr_expect(strstr(reply, "trace on|off") != NULL, "%s", reply);
    close(fd);
    cr_assert_eq(loop_monitor_stop(loop), 0);
    cr_assert_eq(loop_close(loop), 0);
    remove_tmpdir();
}

/* trace off then on, both before the loop thread looks: the last one wins. */
static bool trace_released;

static void trace_block(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    gate_set(&gate.entered);
    trace_released = gate_wait(&gate.released);
}

static void *trace_client(void *arg)
{
    static char reply[REPLY_MAX];
    int fd;

    if (gate_wait(&gate.entered)) {
        fd = mon_connect(arg);
        if (fd >= 0) {
            mon_cmd(fd, "trace off", reply, REPLY_MAX);
            mon_cmd(fd, "trace on", reply, REPLY_MAX);
            close(fd);
        }
    }
    gate_set(&gate.released);
    return NULL;
}

static intptr_t trace_waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000 && !logs_contain("Monitor: trace on"); i++) {
        loop_sleep(5);
    }
    return 0;
}

Test(monitor, trace_off_then_on_while_the_loop_is_busy_ends_on, .timeout = 60)
{
    loop_t *loop = new_loop();
    pthread_t client;

    gate.entered = gate.released = false;
    capture_logs();
    cr_assert_eq(loop_monitor_start(loop, sock_path()), 0);
    cr_assert_eq(loop_call_soon(loop, trace_block, NULL), 0);
    pthread_create(&client, NULL, trace_client, (void *)sock_path());
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(client, NULL);
    cr_assert(trace_released, "the client never got its replies");
    /* the requests reach the loop thread while it runs: a task keeps it running */
    loop_task_t *t = loop_spawn(loop, trace_waiter, NULL, "waiter");
    cr_assert_not_null(t);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(t, NULL, 0), 0);
    cr_expect(logs_contain("Monitor: trace on"), "log:\n%s", logs_text());
    cr_expect(!logs_contain("Monitor: trace off"), "off was overridden by the later on; log:\n%s", logs_text());
    cr_assert_eq(loop_monitor_stop(loop), 0);
    finish_loop(loop);
    remove_tmpdir();
}
