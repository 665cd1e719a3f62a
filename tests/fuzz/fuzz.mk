# tests/fuzz/fuzz.mk — libFuzzer targets (included by the top Makefile).
#
#   make fuzz                     build every target, run each for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_TARGETS="schedule" FUZZ_SECONDS=10
#   make fuzz-regress             run each target once over its committed corpus (seconds)
#   make fuzz-build               build only
#
# A target is one file and one directory:
#   tests/fuzz/fuzz_NAME.c        defines LLVMFuzzerTestOneInput
#   tests/fuzz/corpus/NAME/       its committed seed corpus (small files)
# The target links an instrumented copy of libloop ($(FUZZ_OUT)/libloop-fuzz.a: every
# libloop source compiled again with clang and the sanitizers). A target that needs more
# sets, in this file or its own fragment,
#   FUZZ_EXTRA_NAME    := more sources to compile into it (e.g. analyze/model.c)
#   FUZZ_CPPFLAGS_NAME := more preprocessor flags (e.g. -Ianalyze)
#   FUZZ_LIBS_NAME     := more libraries
# New inputs found while fuzzing go to $(FUZZ_OUT)/corpus/NAME (the committed corpus is
# only read); a crash leaves $(FUZZ_OUT)/crash-NAME-<sha1> and fails the target.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -g -O1 $(FUZZ_SAN)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_LIB     := $(FUZZ_OUT)/libloop-fuzz.a
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o) $(LIB_ASM:%.S=$(FUZZ_OUT)/obj/%.o)

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)

$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_OUT)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -g -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CPPFLAGS_$*) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_EXTRA_$*) $(FUZZ_LIB) $(FUZZ_LIBS_$*) $(LIBS)

# Fuzz each target for FUZZ_SECONDS; the first crash stops with a non-zero status.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_OUT)/corpus/$$t || exit 1; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/crash-$$t- \
	        $(FUZZ_OUT)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | \
	        grep -v '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)' ; \
	    st=$$(ls $(FUZZ_OUT)/crash-$$t-* 2>/dev/null | head -n 1); \
	    if [ -n "$$st" ]; then echo "fuzz: $$t: crash input $$st" >&2; exit 1; fi; \
	done

# Every committed corpus input once: a quick regression check.
fuzz-regress: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    echo "== fuzz-regress $$t"; \
	    $(FUZZ_OUT)/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t || exit 1; \
	done
