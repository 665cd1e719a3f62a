# tools/: loopctl's console edits lines with libedit (Debian libedit-dev).
$(BUILD)/bin/loopctl: LIBS += -ledit
