# reader/ — the one trace reader: babeltrace2 graph set-up, discovery of trace
# directories, truncation repair, decoding of libloop:* events into typed
# structs, the parallel split and merge, and the event/enum name tables.
# Used by analyze/ (loop-analyze and the babeltrace2 plugin) and replay/
# (loop-replay extract); it uses neither. Included by the top Makefile.
#
# names.c needs no libbabeltrace2: the model and its tests link it alone.

READER_SRC   := $(wildcard reader/*.c)
READER_OBJ   := $(READER_SRC:%.c=$(BUILD)/obj/%.o)
READER_NAMES := $(BUILD)/obj/reader/names.o
READER_BT2   := $(filter-out $(READER_NAMES),$(READER_OBJ))
READER_BT2_CFLAGS := $(shell pkg-config --cflags babeltrace2 2>/dev/null)

$(READER_OBJ): CPPFLAGS += -Ireader $(READER_BT2_CFLAGS)
$(READER_OBJ): CFLAGS += -Werror
