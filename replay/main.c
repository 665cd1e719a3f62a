/*
 * main.c — loop-replay: record, replay, chaos runs, minimization and the
 * schedule tools of libloop (docs/schedule-format.md).
 *
 * This file only picks the command; each lives in its own file:
 * run.c (run, record, chaos), minimize.c, explore.c, inspect.c (dump, info, diff),
 * extract.c (extract).
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"

static const char usage_text[] =
    "usage: loop-replay COMMAND [ARGS...]\n"
    "  run [--force] FILE [-- PROGRAM [ARGS...]]\n"
    "        replay FILE (LOOP_REPLAY=FILE); without PROGRAM, the recorded command line\n"
    "  record -o FILE -- PROGRAM [ARGS...]\n"
    "        run PROGRAM and record its schedule (LOOP_RECORD=FILE)\n"
    "  chaos [-n RUNS] [--seed-start N] [--until-fail] [-o DIR] [--timeout SEC] [-v]\n"
    "        -- PROGRAM [ARGS...]\n"
    "        run PROGRAM under successive chaos seeds (LOOP_CHAOS), keep failing schedules\n"
    "  minimize FILE [-o OUT] [--max-runs N] [--timeout SEC] [--any-failure] [--force] [-v]\n"
    "        [-- PROGRAM [ARGS...]]\n"
    "        shrink a failing chaos schedule towards fifo order; report what matters\n"
    "        (OUT defaults to FILE with .min.sch)\n"
    "  explore [-k K] [--max-runs N] [-o FILE] [--timeout SEC] [--por] [--predicate CMD] [-v]\n"
    "        -- PROGRAM [ARGS...]\n"
    "        systematic search: fifo, then every schedule with 1, 2.. K deviations from it;\n"
    "        the first failing one is written to FILE (default PROGRAM-explore.sch);\n"
    "        --por skips deviations that commute by the handles, fds and task objects the\n"
    "        items touched (assuming they share nothing else); --predicate: a failure when\n"
    "        CMD (sh -c, after each run) exits non-zero\n"
    "  dump FILE             one line per record\n"
    "  info FILE             header, counts, size, how the file ends\n"
    "  diff A B              the first differing step, with context (exit 1 if any)\n"
    "  extract TRACE -o FILE [--pid PID] [--loop ID] [--program NAME]\n"
    "        build the schedule of a run from its LTTng trace\n"
    "Exit status: 0 ok; 1 diff found a difference, chaos or explore a failure, minimize\n"
    "could not reproduce; 2 bad input or usage; run and record exit with the program's status\n"
    "(3: the replay diverged).\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    {"run", cmd_run},   {"record", cmd_record}, {"chaos", cmd_chaos},
    {"minimize", cmd_minimize}, {"dump", cmd_dump}, {"info", cmd_info},
    {"diff", cmd_diff}, {"extract", cmd_extract}, {"explore", cmd_explore},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_BAD;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    return bad("unknown command \"%s\" (see loop-replay --help)", argv[1]);
}
