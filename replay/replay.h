/*
 * replay.h — loop-replay: the commands and what they share.
 *
 * loop-replay is a program, not part of the library: it reads and writes
 * schedule files through libloop's schedule code (libloop/schedule.h), runs
 * programs under LOOP_REPLAY / LOOP_RECORD / LOOP_CHAOS, and reads LTTng
 * traces through the one trace reader (analyze/reader.h).
 *
 * Conventions: a command returns the process exit status. Bad input (a
 * missing, truncated, corrupt or foreign file, bad arguments) prints one line
 * "loop-replay: ..." on stderr and returns EXIT_BAD (2).
 */
#ifndef LOOP_REPLAY_H
#define LOOP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/schedule.h"

#define EXIT_DIFFER 1 /* diff: the schedules differ; chaos: failures found */
#define EXIT_BAD 2    /* bad input or usage */

/* One line on stderr, prefixed "loop-replay: ". */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* say() and return EXIT_BAD. */
int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands (argv[0] is the command name). */
int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_chaos(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_explore(int argc, char **argv);

/* Schedules ---------------------------------------------------------------- */

const char *sched_mode_name(uint32_t mode);
const char *sched_kind_name(int kind);
/* "r", "rw", "rh", "e"... for an I/O mask; "-" for 0. */
const char *sched_revents_str(int revents, char *buf, size_t len);
/* What a task I/O attempt found, in words: "8 bytes", "end of file", "EPIPE"... */
const char *sched_io_result_str(int op, int64_t result, char *buf, size_t len);
/* One record as `dump` prints it (without the step number). */
void sched_rec_str(const struct loop__rec *r, char *buf, size_t len);
bool sched_rec_equal(const struct loop__rec *a, const struct loop__rec *b);

/* Open a schedule; on failure say() one line and return -errno. */
int sched_open(const char *path, struct loop__sched_reader **r, struct loop__sched_hdr *hdr);

/*
 * Does the schedule's program (argv[0] as recorded, or a trace's procname)
 * name the same program as prog? Compared by base name; a trace's procname
 * is the kernel's 15-character comm.
 */
bool sched_program_matches(const struct loop__sched_hdr *hdr, const char *prog);

/* The recorded command line (program, then the arguments) as a new argv. */
char **sched_recorded_argv(const struct loop__sched_hdr *hdr);
void argv_free(char **av);

/* How a schedule ends. */
enum sched_end {
    SCHED_END_CLEAN,     /* an END record */
    SCHED_END_NO_END,    /* a complete stream without END (loop not closed) */
    SCHED_END_TRUNCATED, /* cut inside the stream: a killed recorder */
    SCHED_END_CORRUPT,
};

/* Read a whole schedule into memory (minimize, run's check). */
struct sched_file {
    struct loop__sched_hdr hdr;
    struct loop__rec *recs;
    size_t n, cap;
    enum sched_end end;
    char err[256]; /* set when end is TRUNCATED or CORRUPT */
    struct loop__sched_reader *r; /* owns hdr's strings */
};
/* 0, or -errno after say()ing why the file cannot be opened. */
int sched_load(const char *path, struct sched_file *f);
void sched_file_free(struct sched_file *f);

/* Processes --------------------------------------------------------------- */

struct child_env {
    const char *set[8][2]; /* name, value; name NULL ends */
    const char *unset[8];  /* NULL ends */
};

struct child_result {
    int status;       /* as waitpid() gives it */
    bool timed_out;   /* killed after the timeout */
    double seconds;   /* wall time */
};

/*
 * Run argv with the environment changes, stdout and stderr to out_fd (-1:
 * inherited), at most timeout_s seconds (0: no limit; then SIGKILL). 0, or
 * -errno when it cannot be started (exec failures: status 127).
 */
int child_run(char *const argv[], const struct child_env *env, int out_fd, double timeout_s,
              struct child_result *res);
/* "exit 1", "signal 11 (SIGSEGV)", "timed out". */
const char *child_status_str(const struct child_result *res, char *buf, size_t len);
bool child_failed(const struct child_result *res);
/* Exec argv with the environment changes (does not return on success). */
int child_exec(char *const argv[], const struct child_env *env);

/* The text of a command line, shell-quoted where needed. */
char *argv_str(char *const argv[]);
/* An absolute version of path (malloc'd); path itself when it cannot tell. */
char *abs_path(const char *path);
const char *base_name(const char *path);
/* Option values: 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *v);
int parse_seconds(const char *s, double *v);

/* Explore's run log (LOOP_EXPLORE_LOG) as events, for --por (por.c) ---------- */

struct xlog_ev {
    char type;       /* 'I' an iteration, 'C' a choice point (id: its number), 'D' a dispatch */
    uint64_t id;     /* the item dispatched */
    uint64_t *keys;  /* its footprint: what it touched (tagged) */
    size_t nkeys;
    uint64_t *wakes; /* the items it made ready */
    size_t nwakes;
    bool all;        /* touched more than the line could say: depends on everything */
};

struct xlog {
    struct xlog_ev *ev;
    size_t nev, cap;
};

int xlog_add(struct xlog *l, char type, uint64_t id);
/* A "D<id> <key>..." line of the log. */
int xlog_add_dispatch(struct xlog *l, const char *line);
void xlog_free(struct xlog *l);
/*
 * Does alternative alt of the choice point at event ci (of type "pick",
 * "hold" or "late", about items ids) commute with what it reorders in this
 * run, assuming the items share no state outside libloop's objects?
 */
bool por_commutes(const struct xlog *l, size_t ci, const char *type, const uint64_t *ids,
                  size_t nids, uint64_t alt);

#endif /* LOOP_REPLAY_H */
