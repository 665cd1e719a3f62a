# tools/: loopctl's console edits lines with libedit (Debian libedit-dev).
$(BUILD)/bin/loopctl: LIBS += -ledit

# loopctl is tools/loopctl.c plus its parts in tools/loopctl/ (top: ncurses).
LOOPCTL_PARTS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/loopctl/*.c))
NCURSES_LIBS  := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
$(BUILD)/bin/loopctl: $(BUILD)/obj/tools/loopctl.o $(LOOPCTL_PARTS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(filter %.o,$^) $(LIB_A) $(LIBS) $(NCURSES_LIBS)
