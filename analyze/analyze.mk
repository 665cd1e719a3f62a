# analyze/ — loop-analyze: reads libloop's LTTng traces through libbabeltrace2,
# rebuilds the model and prints the reports. Included by the top Makefile.
#
# It reads traces only through reader/ (reader.mk). The model objects (everything
# but main.c and plugin.c, plus reader/names.c) do not need libbabeltrace2:
# tests/test_analyze_model.c links them to feed synthetic event sequences.

ANALYZE_SRC   := $(wildcard analyze/*.c)
ANALYZE_OBJ   := $(ANALYZE_SRC:%.c=$(BUILD)/obj/%.o)
ANALYZE_PLUGIN_OBJ := $(BUILD)/obj/analyze/plugin.o
ANALYZE_MAIN  := $(BUILD)/obj/analyze/main.o
ANALYZE_MODEL := $(filter-out $(ANALYZE_MAIN) $(ANALYZE_PLUGIN_OBJ),$(ANALYZE_OBJ)) $(READER_NAMES)
ANALYZE_CORE  := $(ANALYZE_MODEL) $(READER_BT2)
ANALYZE_BIN   := $(BUILD)/bin/loop-analyze
# babeltrace2 --plugin-path=$(BUILD)/lib/babeltrace2 TRACE -c sink.libloop.summary
ANALYZE_PLUGIN := $(BUILD)/lib/babeltrace2/babeltrace-plugin-libloop.so
BT2_LIBS      := $(shell pkg-config --libs babeltrace2 2>/dev/null || echo -lbabeltrace2)
BT2_CFLAGS    := $(shell pkg-config --cflags babeltrace2 2>/dev/null)

all: $(ANALYZE_BIN) $(ANALYZE_PLUGIN)
CHECK_DEPS += $(ANALYZE_BIN) $(ANALYZE_PLUGIN)
DEMO_DEPS += $(ANALYZE_BIN)
INSTALL_PROGRAMS += $(ANALYZE_BIN)

# The analyzer is a program, not part of the library: no -fvisibility games needed,
# but it builds with the same warnings (and -Werror here: it has no excuse).
$(ANALYZE_OBJ): CPPFLAGS += -Ianalyze -Ireader $(BT2_CFLAGS)
$(ANALYZE_OBJ): CFLAGS += -Werror

$(ANALYZE_BIN): $(ANALYZE_MAIN) $(ANALYZE_CORE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(BT2_LIBS) -lpthread

# The plugin's descriptors must be visible to babeltrace2's loader.
$(ANALYZE_PLUGIN_OBJ): CFLAGS += -fvisibility=default
$(ANALYZE_PLUGIN): $(ANALYZE_PLUGIN_OBJ) $(ANALYZE_CORE)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(BT2_LIBS) -lpthread

# The model test links the model objects on top of what every test links.
$(BUILD)/obj/tests/test_analyze_model.o: CPPFLAGS += -Ianalyze -Ireader
$(BUILD)/tests/test_analyze_model: $(ANALYZE_MODEL)
$(BUILD)/tests/test_analyze_model: $(BUILD)/obj/tests/test_analyze_model.o $(LIB_A) $(ANALYZE_MODEL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(ANALYZE_MODEL) $(LIB_A) $(CRITERION_LIBS) $(LIBS)

# make install: the plugin where babeltrace2 looks for user plugins of this prefix
# (babeltrace2 --plugin-path=$(PREFIX)/lib/babeltrace2/plugins, or symlink it into
# ~/.local/lib/babeltrace2/plugins).
.PHONY: analyze-install-plugin
install: analyze-install-plugin
analyze-install-plugin: $(ANALYZE_PLUGIN)
	install -d $(DESTDIR)$(PREFIX)/lib/babeltrace2/plugins
	install -m 755 $(ANALYZE_PLUGIN) $(DESTDIR)$(PREFIX)/lib/babeltrace2/plugins/

# The HTML timeline's viewer, compiled in as a string (timeline_html.c).
ANALYZE_GEN := $(BUILD)/gen/timeline_view.h
$(ANALYZE_GEN): analyze/timeline_view.js
	@mkdir -p $(@D)
	{ printf 'static const char TIMELINE_VIEW_JS[] =\n'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; printf ';\n'; } > $@
$(BUILD)/obj/analyze/timeline_html.o: $(ANALYZE_GEN)
$(BUILD)/obj/analyze/timeline_html.o: CPPFLAGS += -I$(BUILD)/gen
