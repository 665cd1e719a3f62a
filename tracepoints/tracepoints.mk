# tracepoints/ — the LTTng-UST probe object of the "libloop" provider, and the
# loop-trace capture wrapper. Included by the top Makefile.
#
# libloop itself never links liblttng-ust: libloop/core/trace.c defines the call
# sites with dynamic probe linkage, and build/lib/liblooptp.so (this file)
# holds the probes. It is loaded by LD_PRELOAD or by libloop when LOOP_TRACE=1.

TP_SRC := $(wildcard tracepoints/*.c)
TP_OBJ := $(TP_SRC:%.c=$(BUILD)/obj/%.o)
TP_SO  := $(BUILD)/lib/liblooptp.so
LOOP_TRACE_BIN := $(BUILD)/bin/loop-trace

all: $(TP_SO) $(LOOP_TRACE_BIN)
CHECK_DEPS += $(TP_SO) $(LOOP_TRACE_BIN)
DEMO_DEPS += $(TP_SO) $(LOOP_TRACE_BIN)
INSTALL_PROGRAMS += $(LOOP_TRACE_BIN)

# The provider header includes itself by this name (LTTNG_UST_TRACEPOINT_INCLUDE).
# Only tracepoints/ on the include path: the probe is a leaf that needs nothing
# of libloop (libloop_tp_types.h holds the trace's own types).
$(TP_OBJ): CPPFLAGS := -D_GNU_SOURCE -Itracepoints -DLTTNG_UST_COMPAT_API_VERSION=1
# Where an installed libloop looks for the probe (trace.c, after its own directory).
$(BUILD)/obj/libloop/core/trace.o: CPPFLAGS += -DLOOP_LIBDIR='"$(PREFIX)/lib"'

# --no-as-needed: the probe calls into liblttng-ust only from its constructor.
$(TP_SO): $(TP_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,liblooptp.so $(LDFLAGS) -o $@ $^ \
		-Wl,--no-as-needed -llttng-ust -ldl

$(LOOP_TRACE_BIN): tools/loop-trace.sh
	@mkdir -p $(@D)
	install -m 755 $< $@

# make bench-trace: what the tracepoints cost — no tracepoints (-DLOOP_NO_TRACE),
# probe not loaded, loaded without a session, a session recording everything,
# the minimal provider, start-up (bench/trace_overhead.sh; results in
# bench/TRACING.md). TRACE_BENCH_ARGS="--runs 9 --write" rewrites the report there.
TRACE_BENCH_ARGS ?=
.PHONY: bench-trace
bench-trace: $(LIB_A) $(TP_SO)
	@BUILD=$(BUILD) CC="$(CC)" OPT="$(OPT)" sh bench/trace_overhead.sh $(TRACE_BENCH_ARGS)
