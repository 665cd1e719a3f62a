/*
 * env.c — the LOOP_* environment variables: one parser for all of them, and
 * the ones read when a loop is created.
 *
 * Every LOOP_* variable libloop reads goes through loop__env_long(),
 * loop__env_flag() or loop__env_signal() (strings such as paths are read
 * with getenv and checked by their user). A bad value is refused with one
 * line naming the variable, the value and what is accepted, and the default
 * is used: a typo never crashes, hangs or silently changes the program being
 * debugged. The line is logged once per variable per process. The table of
 * every variable is docs/environment.md.
 *
 * Read at loop_new():
 *   LOOP_DEBUG=1     debug mode
 *   LOOP_SLOW_MS=N   slow callback threshold in ms (1..3600000, default 100)
 *   LOOP_STALL_MS=N  stall watchdog threshold (0..3600000; 0 = off; default off,
 *                    500 in debug mode) (watchdog.c)
 *   LOOP_MONITOR=1   start the monitor on its default socket path (monitor.c)
 *   LOOP_MONITOR=/p  ... on the socket path /p
 *   LOOP_DUMP_SIGNAL=USR1  that signal prints every loop's tables to stderr
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "record/record.h"

/* Variables already complained about: one line per variable per process. */
static pthread_mutex_t refused_mu = PTHREAD_MUTEX_INITIALIZER;
static char refused[16][32];
static int nrefused;

static bool first_refusal(const char *name)
{
    bool first = true;

    pthread_mutex_lock(&refused_mu);
    for (int i = 0; i < nrefused; i++) {
        if (strcmp(refused[i], name) == 0) {
            first = false;
        }
    }
    if (first && nrefused < (int)(sizeof(refused) / sizeof(refused[0]))) {
        snprintf(refused[nrefused++], sizeof(refused[0]), "%s", name);
    }
    pthread_mutex_unlock(&refused_mu);
    return first;
}

#define refuse(name, v, ...)                                                             \
    do {                                                                                 \
        if (first_refusal(name)) {                                                       \
            loop_log(LOOP_LOG_ERROR, __VA_ARGS__);                                       \
        }                                                                                \
        (void)(v);                                                                       \
    } while (0)

/* Strict decimal: optional sign, digits, nothing else; false on overflow. */
static bool parse_long(const char *v, long *out)
{
    const char *p = v;
    long n = 0;
    bool neg = false;

    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (n > (__LONG_MAX__ - d) / 10) {
            return false;
        }
        n = n * 10 + d;
    }
    if (*p != '\0') {
        return false;
    }
    *out = neg ? -n : n;
    return true;
}

int loop__env_long(const char *name, long min, long max, long dflt, long *out)
{
    const char *v = getenv(name);
    long n;

    *out = dflt;
    if (v == NULL || *v == '\0') {
        return 0;
    }
    if (!parse_long(v, &n) || n < min || n > max) {
        refuse(name, v, "%s=\"%s\" refused: not a whole number in %ld..%ld; using %ld", name, v,
               min, max, dflt);
        return -EINVAL;
    }
    *out = n;
    return 0;
}

bool loop__env_flag(const char *name)
{
    const char *v = getenv(name);
    long n;

    if (v == NULL || *v == '\0' || strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
        strcmp(v, "false") == 0) {
        return false;
    }
    if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0) {
        return true;
    }
    if (parse_long(v, &n) && n >= 0) {
        return n > 0;
    }
    refuse(name, v, "%s=\"%s\" refused: not 0/1 (or yes/no, on/off, true/false); using 0", name,
           v);
    return false;
}

int loop__env_choice(const char *name, const char *const *choices, int dflt)
{
    const char *v = getenv(name);
    char list[256];
    size_t len = 0;

    if (v == NULL || *v == '\0') {
        return dflt;
    }
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(v, choices[i]) == 0) {
            return i;
        }
        len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s%s",
                                i > 0 ? ", " : "", choices[i]);
    }
    refuse(name, v, "%s=\"%s\" refused: not one of %s; using %s", name, v, list,
           choices[dflt]);
    return dflt;
}

static const struct {
    const char *name;
    int signum;
} signames[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
                {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
                {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
                {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
                {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
                {"SYS", SIGSYS}};

/* USR1, SIGUSR1, RTMIN+3, SIGRTMIN+3, RTMAX-2 or a number; 0 if not a signal name. */
static int signal_from_name(const char *v)
{
    long n, off = 0;
    int base;

    if (strncmp(v, "SIG", 3) == 0) {
        v += 3;
    }
    for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++) {
        if (strcmp(v, signames[i].name) == 0) {
            return signames[i].signum;
        }
    }
    if (strncmp(v, "RTMIN", 5) == 0 || strncmp(v, "RTMAX", 5) == 0) {
        base = v[4] == 'N' ? SIGRTMIN : SIGRTMAX;
        if (v[5] != '\0' && !parse_long(v + 5, &off)) {
            return 0;
        }
        n = base + off;
        return n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : 0;
    }
    if (parse_long(v, &n) && n > 0 && n < 65) {
        return (int)n;
    }
    return 0;
}

int loop__env_signal(const char *name, int dflt, int *out)
{
    const char *v = getenv(name);
    int signum;

    *out = dflt;
    if (v == NULL || *v == '\0') {
        return 0;
    }
    signum = signal_from_name(v);
    if (signum <= 0 || signum == SIGKILL || signum == SIGSTOP || signum == SIGSEGV ||
        signum == SIGBUS || signum == SIGFPE || signum == SIGILL) {
        refuse(name, v,
               "%s=\"%s\" refused: not a signal libloop can use (a name such as USR1, "
               "RTMIN+3, or a number 1..64 other than KILL, STOP, SEGV, BUS, FPE, ILL)",
               name, v);
        return -EINVAL;
    }
    *out = signum;
    return 0;
}

static void env_watchdog(loop_t *loop)
{
    long ms;
    int rc;

    loop__env_long("LOOP_STALL_MS", 0, 3600000, loop->debug ? 500 : 0, &ms);
    if (ms == 0) {
        return; /* off, even in debug mode */
    }
    rc = loop_watchdog_start(loop, (uint64_t)ms);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_STALL_MS=%ld: the watchdog did not start: %s", ms,
                 loop_strerror(rc));
    }
}

static void env_monitor(loop_t *loop)
{
    const char *v = getenv("LOOP_MONITOR");
    int rc;

    if (v == NULL || *v == '\0' || strcmp(v, "0") == 0) {
        return;
    }
    rc = loop_monitor_start(loop, strcmp(v, "1") == 0 ? NULL : v);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_MONITOR=%s: the monitor did not start: %s", v,
                 loop_strerror(rc));
    }
}

static void on_dump_signal(loop_signal_t *s, int signum)
{
    (void)signum;
    loop_dump(s->handle.loop, stderr);
}

/* LOOP_DUMP_SIGNAL=USR1 (or SIGUSR1, or a number): that signal dumps the tables. */
static void env_dump_signal(loop_t *loop)
{
    int signum;

    if (loop__env_signal("LOOP_DUMP_SIGNAL", 0, &signum) < 0 || signum == 0) {
        return;
    }
    if (loop__signal_start_internal(loop, &loop->dump_signal, on_dump_signal, signum) < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_DUMP_SIGNAL=%s: not a signal libloop can watch",
                 getenv("LOOP_DUMP_SIGNAL"));
    }
}

void loop__env_init(loop_t *loop)
{
    long slow_ms;

    loop_set_debug(loop, loop__env_flag("LOOP_DEBUG"));
    loop__env_long("LOOP_SLOW_MS", 1, 3600000, 100, &slow_ms);
    loop_set_slow_callback_ms(loop, (uint64_t)slow_ms);
    env_watchdog(loop);
    env_monitor(loop);
    env_dump_signal(loop);
    loop__rr_env_init(loop);
}
