/*
 * symbolize.h — stall backtraces to function and source line (addr2line).
 */
#ifndef LOOP_ANALYZE_SYMBOLIZE_H
#define LOOP_ANALYZE_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * bt: backtrace_symbols() lines ("#3 /path/prog(+0x871d) [0x55c0...]").
 * Returns a malloc'd copy where each frame that could be resolved ends with
 * " = func at file:line"; NULL on ENOMEM. first_program_frame (may be NULL)
 * receives the first resolved frame outside libc, the dynamic loader and the
 * vDSO ("spin_ms at stall.c:17"), or "". Objects modified after trace_ns
 * (ns since the epoch: when the backtrace was taken; 0: no check) are not
 * used: a rebuilt binary would name the wrong functions.
 */
char *symbolize_backtrace(const char *bt, uint64_t trace_ns, char *first_program_frame, size_t flen);

#endif /* LOOP_ANALYZE_SYMBOLIZE_H */
