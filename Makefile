# libloop — GNU Make build.
#   make                    build libraries and programs into build/
#   make check              run every test (SANITIZE=address,undefined or thread for sanitizers)
#   make bench              run the benchmarks side by side with libuv, libev, libevent
#   make demo               the end-to-end demo
#   make install PREFIX=/usr/local DESTDIR=
# Conventions: every libloop/PART/*.c and the arch's libloop/task/arch/*.S go into
# libloop (docs/architecture.md names the parts);
# examples/NAME.c, tools/NAME.c become build/bin/NAME; tests/test_*.c are Criterion
# suites; other parts add rules in their own DIR/*.mk fragment.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
ARCH    := $(shell uname -m)
SANITIZE ?=
WERROR  ?= $(if $(CI),1,0)

ifeq ($(SANITIZE),)
BUILD   ?= build
else
BUILD   ?= build/san-$(subst $(comma),-,$(SANITIZE))
endif
comma := ,

WARN     := -Wall -Wextra -Wshadow $(if $(filter 1,$(WERROR)),-Werror)
OPT      ?= -O2 -g
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilibloop -I.
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -fPIC -fvisibility=hidden $(SANFLAGS)
# Probe big frames page by page, so that a task frame larger than its stack's guard
# hits the guard (the overflow report, libloop/task/stack.h) instead of jumping it.
STACK_CLASH := $(shell $(CC) -fstack-clash-protection -Werror -x c -c /dev/null -o /dev/null \
                 2>/dev/null && echo -fstack-clash-protection)
CFLAGS   += $(STACK_CLASH)
LDFLAGS  += $(SANFLAGS)
LIBS     := -lpthread -ldl $(shell pkg-config --libs libzstd 2>/dev/null || echo -lzstd)

LIB_SRC  := $(wildcard libloop/*/*.c)
LIB_ASM  := $(wildcard libloop/task/arch/*_$(ARCH).S)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(LIB_ASM:%.S=$(BUILD)/obj/%.o)
LIB_A    := $(BUILD)/lib/libloop.a
LIB_SO   := $(BUILD)/lib/libloop.so

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/bin/%,$(wildcard examples/*.c))
TOOLS    := $(patsubst tools/%.c,$(BUILD)/bin/%,$(wildcard tools/*.c))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
PROGRAMS := $(EXAMPLES) $(TOOLS)
SCRIPTS  := $(wildcard tools/loop-*.sh)

DEPS_STAMP := build/.deps-ok

.PHONY: all lib programs check check-unit check-integration bench demo install clean deps
all: lib programs

$(DEPS_STAMP): scripts/install-deps
	@scripts/install-deps
	@mkdir -p $(@D) && touch $@
deps: $(DEPS_STAMP)

lib: $(LIB_A) $(LIB_SO)
programs: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/%.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIB_SO): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libloop.so.0 $(LDFLAGS) -o $@ $^ $(LIBS)

# Programs link the static library: they run from the tree without LD_LIBRARY_PATH.
$(BUILD)/bin/%: $(BUILD)/obj/examples/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(LIB_A) $(LIBS)
$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(LIB_A) $(LIBS)

CRITERION_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(LIB_A) $(CRITERION_LIBS) $(LIBS)

# reader/ first: analyze/ and replay/ name its objects in their rules.
include reader/reader.mk
-include $(filter-out reader/reader.mk,$(wildcard */*.mk))

# Every test: the Criterion suites, then the integration scripts (tests/*.sh).
check: all $(TESTS) $(CHECK_DEPS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) CC="$(CC)" SANFLAGS="$(SANFLAGS)" \
	    LOOP_TEST_CFLAGS="$(CPPFLAGS) -std=gnu11 $(SANFLAGS)" \
	    LOOP_TEST_LIBS="$(abspath $(LIB_A)) $(LIBS) $(SANFLAGS)" scripts/run-tests $(TESTS)

demo: all $(DEMO_DEPS)
	@BUILD=$(BUILD) scripts/demo

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/*.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libloop.so.0
	ln -sf libloop.so.0 $(DESTDIR)$(PREFIX)/lib/libloop.so
	for f in $(wildcard $(BUILD)/lib/liblooptp.so); do install -m 755 $$f $(DESTDIR)$(PREFIX)/lib/; done
	for f in $(PROGRAMS) $(INSTALL_PROGRAMS) $(SCRIPTS); do install -m 755 $$f $(DESTDIR)$(PREFIX)/bin/; done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBS@|$(LIBS)|g' libloop.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libloop.pc

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
