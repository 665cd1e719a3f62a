/*
 * fuzz_loop.c — the loop's randomized model-based test (tests/lib/loop_model.h)
 * driven by libFuzzer: each input is a sequence of API calls (timers,
 * call-soons, watchers, async sends from threads, tasks with locks, events
 * and channels, cancels, closes from callbacks, loop runs) checked against
 * the reference model; a broken promise aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/lib/loop_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    loop_model_run(data, size);
    return 0;
}
