# uv/ — libloop-uv: libuv 1.44.2's API over libloop (see docs/uv.md).
# Builds build/lib/libloop-uv.a (the uv objects plus libloop's own, so that a
# program links one archive) and build/lib/pkgconfig/libloop-uv.pc for
#   cc app.c $(pkg-config --cflags --libs libloop-uv)
# examples/uv_*.c are libuv programs: built here against uv/include and
# libloop-uv.a (a more specific rule than the top Makefile's examples rule).
# Included by the top Makefile.

UV_SRC := $(wildcard uv/*.c)
UV_OBJ := $(UV_SRC:%.c=$(BUILD)/obj/%.o)
UV_LIB := $(BUILD)/lib/libloop-uv.a
UV_PC  := $(BUILD)/lib/pkgconfig/libloop-uv.pc
UV_EXAMPLES := $(patsubst examples/%.c,$(BUILD)/bin/%,$(wildcard examples/uv_*.c))

$(UV_OBJ): CPPFLAGS += -Iuv/include -Iuv
$(BUILD)/obj/examples/uv_%.o: CPPFLAGS += -Iuv/include

$(UV_LIB): $(UV_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(UV_PC): uv/uv.mk
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	    'Name: libloop-uv' 'Description: libuv 1.44.2 API over libloop (traced, inspectable, replayable)' \
	    'Version: 1.44.2' 'Libs: $${libdir}/libloop-uv.a $(LIBS)' \
	    'Cflags: -I$${includedir}/libloop-uv -I$${includedir}' > $@

$(BUILD)/bin/uv_%: $(BUILD)/obj/examples/uv_%.o $(UV_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(UV_LIB) $(LIBS)

lib: $(UV_LIB) $(UV_PC)
CHECK_DEPS += $(UV_LIB)
INSTALL_UV := $(UV_LIB) $(UV_PC)

# The libuv benchmarks built against libloop-uv: bench/X_libuv.c, unchanged,
# becomes $(BUILD)/bench/X_libloopuv. `make bench-uv` runs each next to the
# real-libuv build (BENCH_SCALE shrinks the counts).
UV_BENCH := $(patsubst bench/%_libuv.c,$(BUILD)/bench/%_libloopuv,$(wildcard bench/*_libuv.c))
$(BUILD)/bench/%_libloopuv: bench/%_libuv.c bench/bench.h $(UV_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuv/include $(CFLAGS) $(LDFLAGS) -o $@ $< $(UV_LIB) $(LIBS)

.PHONY: bench-uv
bench-uv: $(UV_BENCH) $(UV_BENCH:%_libloopuv=%_libuv)
	@for b in $(UV_BENCH); do $${b%_libloopuv}_libuv; $$b; done

# make install: the header under include/libloop-uv (it must not shadow a
# system libuv's uv.h), the archive and the pkg-config file.
.PHONY: install-uv
install: install-uv
install-uv: $(UV_LIB) $(UV_PC)
	install -d $(DESTDIR)$(PREFIX)/include/libloop-uv/uv $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 uv/include/uv.h $(DESTDIR)$(PREFIX)/include/libloop-uv/
	install -m 644 uv/include/uv/*.h $(DESTDIR)$(PREFIX)/include/libloop-uv/uv/
	install -m 644 $(UV_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(UV_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# make uninstall: exactly what install-uv put there.
.PHONY: uninstall-uv
uninstall: uninstall-uv
uninstall-uv:
	rm -f $(DESTDIR)$(PREFIX)/include/libloop-uv/uv.h \
	    $(addprefix $(DESTDIR)$(PREFIX)/include/libloop-uv/uv/,$(notdir $(wildcard uv/include/uv/*.h))) \
	    $(DESTDIR)$(PREFIX)/lib/$(notdir $(UV_LIB)) $(DESTDIR)$(PREFIX)/lib/pkgconfig/$(notdir $(UV_PC))
	-rmdir $(DESTDIR)$(PREFIX)/include/libloop-uv/uv $(DESTDIR)$(PREFIX)/include/libloop-uv 2>/dev/null; true
