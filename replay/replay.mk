# replay/ — loop-replay: record, replay, chaos runs, minimize, and the schedule
# tools (dump, info, diff, extract). Included by the top Makefile.
#
# It links libloop.a for the schedule file code (libloop/record/schedule.c) and
# the one trace reader, reader/ (reader/reader.mk), for extract. It includes
# nothing from analyze/.

REPLAY_SRC    := $(wildcard replay/*.c)
REPLAY_OBJ    := $(REPLAY_SRC:%.c=$(BUILD)/obj/%.o)
REPLAY_BIN    := $(BUILD)/bin/loop-replay
REPLAY_READER  = $(READER_OBJ)
REPLAY_BT2_CFLAGS := $(shell pkg-config --cflags babeltrace2 2>/dev/null)
REPLAY_BT2_LIBS   := $(shell pkg-config --libs babeltrace2 2>/dev/null || echo -lbabeltrace2)

all: $(REPLAY_BIN)
CHECK_DEPS += $(REPLAY_BIN)
DEMO_DEPS += $(REPLAY_BIN)
INSTALL_PROGRAMS += $(REPLAY_BIN)

$(REPLAY_OBJ): CPPFLAGS += -Ireader $(REPLAY_BT2_CFLAGS)
$(REPLAY_OBJ): CFLAGS += -Werror

$(REPLAY_BIN): $(REPLAY_OBJ) $(REPLAY_READER) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(REPLAY_OBJ) $(REPLAY_READER) $(LIB_A) $(REPLAY_BT2_LIBS) $(LIBS)

# The fuzz targets' fragment sits one level deeper than the top Makefile's
# `-include $(wildcard */*.mk)` looks: include it from here (once).
ifeq ($(filter tests/fuzz/fuzz.mk,$(MAKEFILE_LIST)),)
-include tests/fuzz/fuzz.mk
endif
