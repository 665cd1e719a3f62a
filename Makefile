# libloop — GNU Make build.
#   make                    build libraries and programs into build/
#   make check              run every test (SANITIZE=address,undefined or thread for sanitizers)
#   make bench              run the benchmarks side by side with libuv, libev, libevent
#   make demo               the end-to-end demo
#   make install PREFIX=/usr/local DESTDIR=   (make uninstall with the same variables)
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

# Install like a package (README: "Installing, man pages, gdb"): the tools only in bin/, the
# headers in include/libloop/ (libloop.pc's Cflags keep `#include <loop.h>`),
# share/libloop/ for the JSON schema, the Trace Compass XML and the gdb
# extension (auto-loaded for libloop.so), man pages, docs. `make uninstall`
# removes exactly what `make install` wrote (INSTALLED_FILES).
bindir     := $(PREFIX)/bin
libdir     := $(PREFIX)/lib
incdir     := $(PREFIX)/include/libloop
datadir    := $(PREFIX)/share/libloop
mandir     := $(PREFIX)/share/man
docdir     := $(PREFIX)/share/doc/libloop
gdbautodir := $(PREFIX)/share/gdb/auto-load$(libdir)
INSTALL_BIN  = $(BUILD)/bin/loopctl $(INSTALL_PROGRAMS)
INSTALL_HDRS := $(wildcard include/*.h)
INSTALL_MAN1 := $(wildcard man/*.1)
INSTALL_MAN7 := $(wildcard man/*.7)
INSTALL_DOCS := README.md $(wildcard docs/*.md)
INSTALLED_FILES = $(addprefix $(bindir)/,$(notdir $(INSTALL_BIN))) \
    $(addprefix $(incdir)/,$(notdir $(INSTALL_HDRS))) \
    $(libdir)/libloop.a $(libdir)/libloop.so.0 $(libdir)/libloop.so $(libdir)/liblooptp.so \
    $(libdir)/pkgconfig/libloop.pc $(libdir)/babeltrace2/plugins/babeltrace-plugin-libloop.so \
    $(datadir)/loop-analyze.schema.json $(datadir)/tracecompass/libloop.xml \
    $(datadir)/gdb/libloop_gdb.py $(gdbautodir)/libloop.so.0-gdb.py \
    $(addprefix $(mandir)/man1/,$(notdir $(INSTALL_MAN1))) \
    $(addprefix $(mandir)/man7/,$(notdir $(INSTALL_MAN7))) \
    $(addprefix $(docdir)/,$(notdir $(INSTALL_DOCS)))
# loop-analyze --help names the installed schema.
$(BUILD)/obj/analyze/main.o: CPPFLAGS += -DLOOP_DATADIR='"$(datadir)"'

.PHONY: uninstall
install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(incdir) $(DESTDIR)$(libdir)/pkgconfig \
	    $(DESTDIR)$(datadir)/gdb $(DESTDIR)$(datadir)/tracecompass $(DESTDIR)$(gdbautodir) \
	    $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man7 $(DESTDIR)$(docdir)
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(bindir)/
	install -m 644 $(INSTALL_HDRS) $(DESTDIR)$(incdir)/
	install -m 644 $(LIB_A) $(DESTDIR)$(libdir)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(libdir)/libloop.so.0
	ln -sf libloop.so.0 $(DESTDIR)$(libdir)/libloop.so
	install -m 755 $(BUILD)/lib/liblooptp.so $(DESTDIR)$(libdir)/
	install -d $(DESTDIR)$(libdir)/babeltrace2/plugins
	install -m 755 $(ANALYZE_PLUGIN) $(DESTDIR)$(libdir)/babeltrace2/plugins/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBS@|$(LIBS)|g' libloop.pc.in \
	    > $(DESTDIR)$(libdir)/pkgconfig/libloop.pc
	install -m 644 analyze/loop-analyze.schema.json $(DESTDIR)$(datadir)/
	install -m 644 tracecompass/libloop.xml $(DESTDIR)$(datadir)/tracecompass/
	install -m 644 tools/gdb/libloop_gdb.py $(DESTDIR)$(datadir)/gdb/
	sed -e 's|@DATADIR@|$(datadir)|g' tools/gdb/libloop.so-gdb.py.in \
	    > $(DESTDIR)$(gdbautodir)/libloop.so.0-gdb.py
	install -m 644 $(INSTALL_MAN1) $(DESTDIR)$(mandir)/man1/
	install -m 644 $(INSTALL_MAN7) $(DESTDIR)$(mandir)/man7/
	install -m 644 $(INSTALL_DOCS) $(DESTDIR)$(docdir)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	-rmdir $(DESTDIR)$(incdir) $(DESTDIR)$(libdir)/babeltrace2/plugins \
	    $(DESTDIR)$(libdir)/babeltrace2 $(DESTDIR)$(datadir)/gdb $(DESTDIR)$(datadir)/tracecompass \
	    $(DESTDIR)$(datadir) $(DESTDIR)$(docdir) 2>/dev/null
	-cd $(DESTDIR)$(PREFIX)/share/gdb/auto-load && rmdir -p .$(libdir) 2>/dev/null; true

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
