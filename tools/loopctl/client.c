/*
 * client.c — one request and its reply on a monitor connection, for the
 * parts of loopctl that read replies instead of printing them (top, tab
 * completion). The protocol (docs/monitor.md): a command line; a reply ends
 * with a line holding a single ".".
 */
#include "loopctl.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int ends_reply(const char *buf, size_t n)
{
    return n >= 2 && (n == 2 ? memcmp(buf, ".\n", 2) == 0 : memcmp(buf + n - 3, "\n.\n", 3) == 0);
}

char *loopctl_ask(int fd, const char *cmd, int timeout_ms, char *err, size_t len)
{
    size_t clen = strlen(cmd), cap = 65536, n = 0;
    char *buf = malloc(cap);
    uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;

    if (buf == NULL) {
        snprintf(err, len, "out of memory");
        return NULL;
    }
    if (write(fd, cmd, clen) != (ssize_t)clen || write(fd, "\n", 1) != 1) {
        snprintf(err, len, "the monitor went away: %s", strerror(errno));
        free(buf);
        return NULL;
    }
    while (!ends_reply(buf, n)) {
        struct pollfd p = {fd, POLLIN, 0};
        uint64_t now = mono_ms();
        ssize_t r;
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                snprintf(err, len, "out of memory");
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        if (poll(&p, 1, (int)(deadline > now ? deadline - now : 0)) <= 0) {
            snprintf(err, len, "no reply to %s within %d ms (the monitor is stuck?)", cmd, timeout_ms);
            free(buf);
            return NULL;
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r <= 0) {
            snprintf(err, len, "the monitor closed the connection");
            free(buf);
            return NULL;
        }
        n += (size_t)r;
    }
    buf[n - 2] = '\0'; /* drop the final "." line */
    return buf;
}
