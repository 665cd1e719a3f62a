# analyze/ — loop-analyze: reads libloop's LTTng traces through libbabeltrace2,
# rebuilds the model and prints the reports. Included by the top Makefile.
#
# The model objects (everything but main.c and reader.c) do not need
# libbabeltrace2: tests/test_analyze_model.c links them to feed synthetic
# event sequences.

ANALYZE_SRC   := $(wildcard analyze/*.c)
ANALYZE_OBJ   := $(ANALYZE_SRC:%.c=$(BUILD)/obj/%.o)
ANALYZE_MODEL := $(filter-out $(BUILD)/obj/analyze/main.o $(BUILD)/obj/analyze/reader.o,$(ANALYZE_OBJ))
ANALYZE_BIN   := $(BUILD)/bin/loop-analyze
BT2_LIBS      := $(shell pkg-config --libs babeltrace2 2>/dev/null || echo -lbabeltrace2)
BT2_CFLAGS    := $(shell pkg-config --cflags babeltrace2 2>/dev/null)

all: $(ANALYZE_BIN)
CHECK_DEPS += $(ANALYZE_BIN)
DEMO_DEPS += $(ANALYZE_BIN)
INSTALL_PROGRAMS += $(ANALYZE_BIN)

# The analyzer is a program, not part of the library: no -fvisibility games needed,
# but it builds with the same warnings (and -Werror here: it has no excuse).
$(ANALYZE_OBJ): CPPFLAGS += -Ianalyze $(BT2_CFLAGS)
$(ANALYZE_OBJ): CFLAGS += -Werror

$(ANALYZE_BIN): $(ANALYZE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(BT2_LIBS)

# The model test links the model objects on top of what every test links.
$(BUILD)/obj/tests/test_analyze_model.o: CPPFLAGS += -Ianalyze
$(BUILD)/tests/test_analyze_model: $(ANALYZE_MODEL)
$(BUILD)/tests/test_analyze_model: $(BUILD)/obj/tests/test_analyze_model.o $(LIB_A) $(ANALYZE_MODEL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(ANALYZE_MODEL) $(LIB_A) $(CRITERION_LIBS) $(LIBS)
