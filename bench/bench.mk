# bench/bench.mk — the benchmark suite (included by the top-level Makefile).
#   make bench                       build everything, run each program BENCH_RUNS times
#   make bench BENCH_ARGS=--write    ... and rewrite the table in bench/RESULTS.md
#   make bench-peers                 build only the floor and the libuv/libev/libevent programs
#   BENCH_RUNS=5 BENCH_SCALE=0.01    runs per program / shrink every count (smoke run)
# One scenario per file: bench/<scenario>_<library>.c becomes $(BUILD)/bench/<scenario>_<library>;
# bench/floor.c measures the system floors. bench/run prints `name value unit` medians
# and the libloop/peer and libloop/floor ratios.

BENCH_OUT     := $(BUILD)/bench
BENCH_LIBLOOP := $(patsubst bench/%.c,$(BENCH_OUT)/%,$(wildcard bench/*_libloop.c))
BENCH_PEER    := $(patsubst bench/%.c,$(BENCH_OUT)/%,\
                   $(wildcard bench/*_libuv.c bench/*_libev.c bench/*_libevent.c)) \
                 $(BENCH_OUT)/floor
BENCH_ARGS    ?=

BENCH_UV_CFLAGS    = $(shell pkg-config --cflags libuv 2>/dev/null)
BENCH_UV_LIBS      = $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
BENCH_EVENT_CFLAGS = $(shell pkg-config --cflags libevent_core 2>/dev/null)
BENCH_EVENT_LIBS   = $(shell pkg-config --libs libevent_core 2>/dev/null || echo -levent_core)
BENCH_EV_LIBS      := -lev -lm
BENCH_CC           = $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)

.PHONY: bench-build bench-peers
bench-build: $(BENCH_LIBLOOP) $(BENCH_PEER)
bench-peers: $(BENCH_PEER)

bench: bench-build
	@python3 bench/run --dir $(BENCH_OUT) $(BENCH_ARGS)

$(BENCH_OUT)/%_libloop: bench/%_libloop.c bench/bench.h $(LIB_A)
	@mkdir -p $(@D)
	$(BENCH_CC) -o $@ $< $(LIB_A) $(LIBS)
$(BENCH_OUT)/%_libuv: bench/%_libuv.c bench/bench.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_UV_CFLAGS) -o $@ $< $(BENCH_UV_LIBS) -lpthread
$(BENCH_OUT)/%_libev: bench/%_libev.c bench/bench.h
	@mkdir -p $(@D)
	$(BENCH_CC) -o $@ $< $(BENCH_EV_LIBS)
$(BENCH_OUT)/%_libevent: bench/%_libevent.c bench/bench.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_EVENT_CFLAGS) -o $@ $< $(BENCH_EVENT_LIBS)
$(BENCH_OUT)/floor: bench/floor.c bench/bench.h
	@mkdir -p $(@D)
	$(BENCH_CC) -o $@ $<
