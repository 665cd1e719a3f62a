# Plain-C drivers of the threaded parts, for `make check SANITIZE=thread`
# (Criterion cannot start under ThreadSanitizer: Snaipe/Criterion#274).
TSAN_TESTS := $(patsubst tests/tsan/%.c,$(BUILD)/tests/%,$(wildcard tests/tsan/tsan_*.c))
CHECK_DEPS += $(TSAN_TESTS)
$(BUILD)/tests/tsan_%: $(BUILD)/obj/tests/tsan/tsan_%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $< $(LIB_A) $(LIBS)
