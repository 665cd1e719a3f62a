#!/bin/sh
# loop-analyze's parallel decoding (analyze/reader_par.c: worker threads,
# bounded queues, the merge) under ThreadSanitizer: the whole of
# tests/analyze_parallel.sh with the TSan build's loop-analyze.
exec sh tests/analyze_parallel.sh "$@"
