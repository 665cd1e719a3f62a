# tests/fuzz_targets.mk — what the reliability fuzz targets need on top of
# libloop-fuzz.a (tests/fuzz/fuzz.mk's convention: FUZZ_EXTRA_NAME,
# FUZZ_CPPFLAGS_NAME, FUZZ_LIBS_NAME). Included by the top Makefile's */*.mk.
#
#   model          loop-analyze's model and reports (analyze.mk's ANALYZE_MODEL)
#   trace_version  loop-analyze's trace reader over generated CTF traces (libbabeltrace2)
#   monitor        needs nothing more: the monitor is in libloop

# analyze/analyze.mk's ANALYZE_MODEL: the model objects, as sources (deferred: any include order)
FUZZ_EXTRA_model     = $(patsubst $(BUILD)/obj/%.o,%.c,$(ANALYZE_MODEL))
FUZZ_CPPFLAGS_model := -Ianalyze -Ireader -I$(BUILD)/gen

FUZZ_EXTRA_trace_version    := $(wildcard reader/*.c)
FUZZ_CPPFLAGS_trace_version := -Ireader $(shell pkg-config --cflags babeltrace2 2>/dev/null)
FUZZ_LIBS_trace_version     := $(shell pkg-config --libs babeltrace2 2>/dev/null || echo -lbabeltrace2)

# Rebuild a target when the sources it compiles in change (fuzz.mk's pattern
# rule knows only the target's own file and libloop-fuzz.a).
$(FUZZ_OUT)/fuzz_model: $(FUZZ_EXTRA_model) $(wildcard analyze/*.h) $(ANALYZE_GEN)
$(FUZZ_OUT)/fuzz_trace_version: $(FUZZ_EXTRA_trace_version) $(wildcard reader/*.h)
$(FUZZ_OUT)/fuzz_monitor: $(wildcard libloop/debug/monitor.h libloop/core/internal.h)
