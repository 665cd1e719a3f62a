/*
 * The monitor on loopback TCP ("tcp:PORT", only when asked): it answers its
 * own uid, refuses another uid (read from /proc/net/tcp), and refuses any
 * address but 127.0.0.1.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"

static int port_of(const char *path)
{
    const char *c = strrchr(path, ':');
    return c != NULL ? atoi(c + 1) : -1;
}

/* Send one command, read the reply up to its "." line; the reply's length. */
static ssize_t ask(int port, const char *cmd, char *buf, size_t len)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;

    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        return -1;
    }
    if (write(fd, cmd, strlen(cmd)) < 0) {
        close(fd);
        return -1;
    }
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\n.\n") != NULL || strncmp(buf, ".\n", 2) == 0) {
            break;
        }
    }
    buf[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

static atomic_int done;
static char reply[8192], refused[256];

static void *client(void *arg)
{
    int port = (int)(intptr_t)arg;

    ask(port, "handles\n", reply, sizeof(reply));
    pid_t pid = fork();
    if (pid == 0) {
        char buf[256] = "";
        if (setuid(65534) != 0) {
            _exit(2);
        }
        ask(port, "ps\n", buf, sizeof(buf));
        _exit(strstr(buf, "permission denied") != NULL ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    snprintf(refused, sizeof(refused), "%d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    atomic_store(&done, 1);
    return NULL;
}

static void until_done(loop_timer_t *t)
{
    if (atomic_load(&done)) {
        loop_handle_close(&t->handle, NULL);
    }
}

Test(monitor_tcp, answers_its_uid_and_refuses_others, .timeout = 20)
{
    if (geteuid() != 0) {
        cr_skip_test("needs root to drop to another uid");
    }
    loop_t *loop = loop_new();
    loop_timer_t t;
    pthread_t th;

    cr_assert_eq(loop_monitor_start(loop, "tcp:0"), 0);
    const char *path = loop_monitor_path(loop);
    cr_assert(strncmp(path, "tcp:127.0.0.1:", 14) == 0, "%s", path);
    loop_timer_init(loop, &t);
    loop_handle_set_name(&t.handle, "poller");
    loop_timer_start(&t, until_done, 1, 1);
    pthread_create(&th, NULL, client, (void *)(intptr_t)port_of(path));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    pthread_join(th, NULL);
    cr_assert(strstr(reply, "name=\"poller\"") != NULL, "reply: %s", reply);
    cr_assert_str_eq(refused, "0", "another uid was not refused (child status %s)", refused);
    cr_assert_eq(loop_monitor_stop(loop), 0);
    cr_assert_eq(loop_close(loop), 0);
}

Test(monitor_tcp, refuses_an_address_other_than_loopback, .timeout = 10)
{
    loop_t *loop = loop_new();

    cr_assert_eq(loop_monitor_start(loop, "tcp:0.0.0.0:0"), -EINVAL);
    cr_assert_eq(loop_monitor_start(loop, "tcp:nonsense"), -EINVAL);
    cr_assert_eq(loop_close(loop), 0);
}
