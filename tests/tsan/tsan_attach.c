/*
 * tsan_attach — the monitor's `trace on|off` and `trace` from a client
 * thread while the loop runs tasks: requests cross from the monitor thread
 * to the loop thread (attach.c), the loop thread loads the probe and emits
 * snapshots (when a session records), the monitor thread times the periodic
 * ones. A plain program for `make check SANITIZE=thread` (Criterion does
 * not start under ThreadSanitizer). Exit 0 on success, 1 with a message.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <loop.h>

static char dir[64], path[96];
static atomic_bool done;
static loop_async_t finish;

static int ask(const char *cmd, char *out, size_t cap)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    size_t len = 0;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        return -1;
    }
    if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
        close(fd);
        return -1;
    }
    while (len + 1 < cap) {
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        out[len] = '\0';
        if (len >= 2 && strcmp(out + len - 2, ".\n") == 0) {
            break;
        }
    }
    out[len] = '\0';
    close(fd);
    return 0;
}

static void *client(void *arg)
{
    char reply[4096];

    (void)arg;
    for (int i = 0; i < 50; i++) {
        if (ask(i % 3 == 0 ? "trace on\n" : i % 3 == 1 ? "trace\n" : "trace off\n", reply, sizeof reply) < 0) {
            fprintf(stderr, "tsan_attach: the monitor does not answer\n");
            exit(1);
        }
    }
    if (ask("trace off\n", reply, sizeof reply) < 0 || ask("trace on\n", reply, sizeof reply) < 0) {
        exit(1);
    }
    /* the last request wins, however the loop thread batched them */
    for (int i = 0; i < 1000 && strstr(reply, "trace=on") == NULL; i++) {
        usleep(10000);
        if (ask("trace\n", reply, sizeof reply) < 0) {
            exit(1);
        }
    }
    if (strstr(reply, "trace=on") == NULL) {
        fprintf(stderr, "tsan_attach: trace off then on left tracing off: %s", reply);
        exit(1);
    }
    atomic_store(&done, true);
    loop_async_send(&finish);
    return NULL;
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        loop_sleep(1);
    }
    return 0;
}

static void on_finish(loop_async_t *a)
{
    if (atomic_load(&done)) {
        loop_handle_close(&a->handle, NULL);
    }
}

int main(void)
{
    loop_t *loop = loop_new();
    pthread_t th;

    strcpy(dir, "/tmp/tsan-attach-XXXXXX");
    if (loop == NULL || mkdtemp(dir) == NULL) {
        fprintf(stderr, "tsan_attach: setup failed\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/m.sock", dir);
    if (loop_monitor_start(loop, path) != 0) {
        fprintf(stderr, "tsan_attach: monitor did not start\n");
        return 1;
    }
    loop_async_init(loop, &finish, on_finish);
    loop_task_t *t = loop_spawn(loop, sleeper, NULL, "sleeper");
    pthread_create(&th, NULL, client, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    pthread_join(th, NULL);
    loop_join(t, NULL, 0);
    loop_monitor_stop(loop);
    if (loop_close(loop) != 0) {
        fprintf(stderr, "tsan_attach: loop_close failed\n");
        return 1;
    }
    rmdir(dir);
    puts("tsan_attach: ok");
    return 0;
}
