/*
 * flame.h — flame graphs from folded stacks (flame.c): an SVG, and a
 * speedscope file. folded: "frame;frame;frame weight-ns" lines.
 */
#ifndef LOOP_ANALYZE_FLAME_H
#define LOOP_ANALYZE_FLAME_H

#include <stdio.h>

/* wait: draw in blues (a wait-time graph) rather than warm colours. 0 or -ENOMEM. */
int flame_svg(const char *folded, FILE *out, const char *title, int wait);
int flame_speedscope(const char *folded, FILE *out, const char *name);

#endif
