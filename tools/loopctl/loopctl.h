/*
 * loopctl.h — what loopctl's main file (tools/loopctl.c: the command line,
 * the console) shares with its other parts (tools/loopctl/: client.c,
 * complete.c, top.c).
 */
#ifndef LOOPCTL_H
#define LOOPCTL_H

#include <stddef.h>

/* Connect to a monitor socket path or "tcp:PORT"; -1 with a one-line reason in err. */
int loopctl_connect_quiet(const char *path, char *err, size_t len);
/*
 * Send cmd (no newline) and read the reply; the reply text without its
 * final "." line (free it), or NULL with a one-line reason in err.
 */
char *loopctl_ask(int fd, const char *cmd, int timeout_ms, char *err, size_t len);
/* Tab completion of commands and task ids in the console on connection fd. */
void loopctl_complete_init(int fd);
/* `loopctl SOCKET top`: the live view until q. The exit status. */
int loopctl_top(const char *path);

#endif
